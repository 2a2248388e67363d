//! Sans-IO QUIC (RFC 9000, RFC 9001, RFC 9002, RFC 9221, RFC 9369): connections and an
//! endpoint that consume datagrams and produce them, with the TLS 1.3 handshake through
//! rustls' `quic` module on ring. Time and randomness come from the caller.
//!
//! - [`conn`]: [`Connection`], one connection of either side: handshake, streams,
//!   datagrams, loss recovery, congestion control, key updates, closing;
//! - [`endpoint`]: [`Endpoint`], the connections of one socket: routing by connection
//!   ID, accepting, Version Negotiation, Retry, stateless resets, a connection cap.
//!
//! They are built bottom up, one concern per module:
//!
//! - [`version`]: QUIC versions and the long-header type bits of v1 and v2;
//! - [`level`]: encryption levels, packet number spaces and the two sides;
//! - [`error`]: transport error codes and [`TransportError`];
//! - [`cid`]: connection IDs and the pluggable generator of the IDs an endpoint issues;
//! - [`cids`]: the connection IDs of one connection, ours and the peer's: issuing,
//!   retiring, rotation, retire-prior-to and stateless reset detection;
//! - [`reset`]: stateless reset tokens (HMAC of the connection ID) and Stateless Reset
//!   datagrams;
//! - [`transport_params`]: transport parameters (RFC 9000 §18), encoded, decoded and
//!   validated;
//! - [`token`]: address-validation tokens for Retry and `NEW_TOKEN`, sealed with
//!   AES-256-GCM;
//! - [`frame`]: every QUIC frame, parsed per packet type and written to size;
//! - [`packet`]: packet headers (two-phase parsing around header protection), packet
//!   numbers, coalesced datagrams, and header, Version Negotiation and Retry builders;
//! - [`crypto`]: Initial keys, header and packet protection, key updates, the Retry
//!   integrity tag and the TLS 1.3 session over rustls' `quic` module;
//! - [`recovery`]: RTT estimation, PTO, loss thresholds, persistent congestion, pacing,
//!   the `NewReno` and CUBIC congestion controllers behind one trait (RFC 9002,
//!   RFC 9438), received-packet tracking with the ACK rules, and loss detection over the
//!   three packet number spaces;
//! - [`stream`]: stream IDs and limits, receive reassembly, send buffers with
//!   retransmission, flow-control credit with window auto-tuning, and the
//!   per-connection stream table with its priority scheduler;
//! - [`ecn`]: ECN codepoints of datagrams;
//! - [`datagram`]: the bounded DATAGRAM send and receive queues (RFC 9221).
//!
//! ```
//! use stator_quic::{Code, LongType, Version};
//!
//! assert_eq!(LongType::Handshake.bits(Version::V2), 0b11);
//! assert_eq!(Code::crypto(0x28).to_string(), "CRYPTO_ERROR(0x28)");
//! ```

pub mod cid;
pub mod cids;
pub mod conn;
pub mod crypto;
pub mod datagram;
pub mod ecn;
pub mod endpoint;
pub mod error;
pub mod frame;
pub mod level;
pub mod packet;
pub mod recovery;
pub mod reset;
pub mod stream;
pub mod token;
pub mod transport_params;
pub mod version;

pub use cid::{ConnectionId, ConnectionIdGenerator, RandomConnectionIds};
pub use cids::{CidSent, LocalCids, RemoteCids, RoutingChange};
pub use conn::{ClientConfig, Connection, Event, ServerConfig, Transmit, TransportConfig};
pub use datagram::{DatagramConfig, DatagramError, Datagrams, DropPolicy};
pub use ecn::Ecn;
pub use endpoint::{ConnectionHandle, Endpoint, EndpointConfig, EndpointEvent};
pub use error::{Code, TransportError};
pub use frame::{Frame, FrameType};
pub use level::{Level, Side, Space};
pub use reset::{ResetKey, ResetToken};
pub use token::{AddressToken, TokenError, TokenKey, TokenKind, TokenLifetimes};
pub use transport_params::{PreferredAddress, TransportParameters};
pub use version::{LongType, Version};
