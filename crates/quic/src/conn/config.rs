//! Connection configuration: every limit with a safe default.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use crate::Version;
use crate::datagram::DatagramConfig;
use crate::stream::StreamsConfig;

/// Which congestion controller a connection runs (RFC 9002 §7, RFC 9438).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Congestion {
    /// `NewReno` (RFC 9002 §7).
    NewReno,
    /// CUBIC (RFC 9438), the default.
    #[default]
    Cubic,
}

/// Transport settings shared by both sides of a connection.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// How long a connection may stay silent before it is closed (RFC 9000 §10.1); the
    /// effective timeout is the smaller of both sides' non-zero values, and at least
    /// three PTOs. `None` disables ours.
    pub idle_timeout: Option<Duration>,
    /// Send a PING after this long without sending anything ack-eliciting, to keep the
    /// connection (and NAT bindings) alive. `None`: no keep-alive.
    pub keep_alive: Option<Duration>,
    /// The RTT assumed before the first sample (RFC 9002 §6.2.2: 333 ms).
    pub initial_rtt: Duration,
    /// The largest UDP payload sent (at least 1200, RFC 9000 §14); capped by the peer's
    /// `max_udp_payload_size`.
    pub max_datagram_size: usize,
    /// The congestion controller.
    pub congestion: Congestion,
    /// Stream limits, windows and buffers.
    pub streams: StreamsConfig,
    /// DATAGRAM support and queue limits (RFC 9221).
    pub datagrams: DatagramConfig,
    /// The `ack_delay_exponent` we send (RFC 9000 §18.2).
    pub ack_delay_exponent: u8,
    /// The `max_ack_delay` we send and honour (RFC 9000 §13.2.1).
    pub max_ack_delay: Duration,
    /// Ack-eliciting packets received before an ACK is sent at once (RFC 9000 §13.2.2).
    pub ack_eliciting_threshold: u64,
    /// ACK ranges remembered per packet number space (RFC 9000 §13.2.4).
    pub max_ack_ranges: usize,
    /// The `active_connection_id_limit` we send: peer connection IDs we store.
    pub active_connection_id_limit: u64,
    /// Our connection IDs active at once (capped by the peer's limit).
    pub max_local_cids: u64,
    /// `RETIRE_CONNECTION_ID` frames awaiting acknowledgement before the peer is deemed
    /// abusive (RFC 9000 §5.1.2).
    pub max_pending_retires: usize,
    /// CRYPTO bytes buffered per level beyond what TLS has read (RFC 9000 §7.5: at
    /// least 4096); more is `CRYPTO_BUFFER_EXCEEDED`.
    pub max_crypto_buffer: u64,
    /// Datagrams `poll_transmit` may put in one batch of equal-sized segments (GSO).
    pub max_batch: usize,
    /// How far ahead of `now` a paced datagram may be handed out with its send time
    /// (zero: only datagrams due now leave).
    pub pacing_lookahead: Duration,
    /// Undecryptable packets kept until their keys arrive (RFC 9001 §5.7).
    pub max_buffered_packets: usize,
}

impl Default for TransportConfig {
    fn default() -> TransportConfig {
        TransportConfig {
            idle_timeout: Some(Duration::from_secs(30)),
            keep_alive: None,
            initial_rtt: Duration::from_millis(333),
            max_datagram_size: 1200,
            congestion: Congestion::default(),
            streams: StreamsConfig::default(),
            datagrams: DatagramConfig::default(),
            ack_delay_exponent: 3,
            max_ack_delay: Duration::from_millis(25),
            ack_eliciting_threshold: 2,
            max_ack_ranges: 64,
            active_connection_id_limit: 4,
            max_local_cids: 4,
            max_pending_retires: 16,
            max_crypto_buffer: 64 * 1024,
            max_batch: 10,
            pacing_lookahead: Duration::ZERO,
            max_buffered_packets: 8,
        }
    }
}

/// What a client connection needs besides the transport settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// TLS 1.3 settings (rustls with a QUIC-capable provider).
    pub tls: Arc<rustls::ClientConfig>,
    /// The name the server's certificate must carry.
    pub server_name: ServerName<'static>,
    /// ALPN protocols offered, most preferred first (RFC 9001 §8.1: at least one).
    pub alpn: Vec<Vec<u8>>,
    /// The QUIC version of the first Initial.
    pub version: Version,
    /// A token from an earlier connection's `NEW_TOKEN` (RFC 9000 §8.1.3).
    pub token: Option<Vec<u8>>,
    /// Transport settings.
    pub transport: Arc<TransportConfig>,
}

impl ClientConfig {
    /// A client of `server_name` offering `alpn`, QUIC v1 and default transport settings.
    pub fn new(
        tls: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
        alpn: Vec<Vec<u8>>,
    ) -> ClientConfig {
        ClientConfig {
            tls,
            server_name,
            alpn,
            version: Version::V1,
            token: None,
            transport: Arc::new(TransportConfig::default()),
        }
    }
}
