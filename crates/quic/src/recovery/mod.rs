//! Loss recovery and congestion control building blocks (RFC 9002, RFC 9438), sans-IO:
//! every function takes the time it needs as an [`Instant`](std::time::Instant) argument.
//!
//! - [`rtt`]: the RTT estimator (§5), PTO (§6.2.1) and loss time threshold (§6.1.2);
//! - [`loss`]: the packet and time thresholds of loss detection (§6.1);
//! - [`congestion`]: the [`Controller`] trait with [`NewReno`] (§7) and [`Cubic`]
//!   (RFC 9438);
//! - [`persistent`]: persistent congestion detection (§7.6);
//! - [`pacer`]: a token-bucket pacer giving send times (§7.7);
//! - [`received`]: received packet numbers, when to ACK and the ACK frame
//!   (RFC 9000 §13.2, RFC 9002 §3).
//! - [`sent`]: [`Recovery`], loss detection over the three packet number spaces: sent
//!   packets, ACK processing, the loss detection timer and PTO probes (§6, Appendix A).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use stator_quic::recovery::{Controller, Cubic, Pacer, RttEstimator};
//!
//! let mut rtt = RttEstimator::default();
//! let max_ack_delay = Duration::from_millis(25);
//! rtt.update(Duration::from_millis(50), Duration::ZERO, max_ack_delay, true);
//! assert_eq!(rtt.smoothed(), Duration::from_millis(50));
//! // PTO = 50 + 4 × 25 + 25 ms, doubled after one expiry.
//! assert_eq!(rtt.pto(max_ack_delay, 1), Duration::from_millis(350));
//!
//! let now = Instant::now();
//! let mut cc: Box<dyn Controller> = Box::new(Cubic::new(1200)); // or NewReno::new(1200)
//! cc.on_packet_sent(now, 1200);
//! cc.on_ack(1200, now, now + Duration::from_millis(50), &rtt);
//! assert_eq!(cc.window(), 13200); // slow start
//!
//! let mut pacer = Pacer::new(1200, 10);
//! let at = pacer.next_send_time(now, 1200, cc.window(), rtt.smoothed());
//! assert_eq!(at, now); // the burst allowance
//! ```

pub mod congestion;
pub mod loss;
pub mod pacer;
pub mod persistent;
pub mod received;
pub mod rtt;
pub mod sent;

pub use congestion::{Controller, Cubic, NewReno};
pub use loss::{Loss, is_lost, loss_time_threshold};
pub use pacer::Pacer;
pub use persistent::{LostPacket, is_persistent_congestion};
pub use received::ReceivedPackets;
pub use rtt::RttEstimator;
pub use sent::{AckOutcome, Probe, Recovery, SentPacket};
