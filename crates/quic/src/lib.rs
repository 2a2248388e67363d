//! Sans-IO QUIC (RFC 9000, RFC 9001, RFC 9221, RFC 9369): the wire format, packet
//! protection and the TLS 1.3 handshake (through rustls' `quic` module on ring).
//!
//! Built bottom up, one concern per module:
//!
//! - [`version`]: QUIC versions and the long-header type bits of v1 and v2;
//! - [`level`]: encryption levels and packet number spaces;
//! - [`error`]: transport error codes and [`TransportError`];
//! - [`crypto`]: Initial keys, header and packet protection, key updates, the Retry
//!   integrity tag and the TLS 1.3 session over rustls' `quic` module.
//!
//! ```
//! use stator_quic::{Code, LongType, Version};
//!
//! assert_eq!(LongType::Handshake.bits(Version::V2), 0b11);
//! assert_eq!(Code::crypto(0x28).to_string(), "CRYPTO_ERROR(0x28)");
//! ```

pub mod crypto;
pub mod error;
pub mod level;
pub mod version;

pub use error::{Code, TransportError};
pub use level::{Level, Space};
pub use version::{LongType, Version};
