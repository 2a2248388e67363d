//! Loss recovery and congestion control building blocks (RFC 9002, RFC 9438), sans-IO:
//! every function takes the time it needs as an [`Instant`](std::time::Instant) argument.
//!
//! - [`rtt`]: the RTT estimator (§5), PTO (§6.2.1) and loss time threshold (§6.1.2);
//! - [`loss`]: the packet and time thresholds of loss detection (§6.1);
//! - [`congestion`]: the [`Controller`] trait with [`NewReno`] (§7) and [`Cubic`]
//!   (RFC 9438);
//! - [`persistent`]: persistent congestion detection (§7.6);
//! - [`pacer`]: a token-bucket pacer giving send times (§7.7).

pub mod congestion;
pub mod loss;
pub mod pacer;
pub mod persistent;
pub mod rtt;

pub use congestion::{Controller, Cubic, NewReno};
pub use loss::{Loss, is_lost, loss_time_threshold};
pub use pacer::Pacer;
pub use persistent::{LostPacket, is_persistent_congestion};
pub use rtt::RttEstimator;
