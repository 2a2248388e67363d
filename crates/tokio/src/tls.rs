//! TLS configuration for servers and clients: rustls on the ring provider, TLS 1.3
//! (RFC 8446) and 1.2 (RFC 5246), ALPN (RFC 7301).
//!
//! - [`Identity`]: a certificate chain and private key, from PEM files, from PEM in
//!   memory, or a self-signed development certificate generated at start (ECDSA P-256,
//!   at most 14 days, so WebTransport's `serverCertificateHashes` accepts it).
//! - [`ServerTls`]: the server's `rustls::ServerConfig` (ALPN `h2`, `http/1.1` by
//!   default) and a [`TlsAcceptor`](tokio_rustls::TlsAcceptor).
//! - [`CertificateInfo`]: the leaf certificate's SHA-256 and SPKI SHA-256, validity and
//!   PEM, to print at start or to pin.
//! - [`ClientTls`]: the client's `rustls::ClientConfig`, trusting roots from PEM or one
//!   pinned certificate, and a [`TlsConnector`](tokio_rustls::TlsConnector).
//!
//! ```
//! use stator_tokio::tls::{ClientTls, Identity, ServerTls};
//!
//! # fn main() -> Result<(), stator_tokio::tls::TlsError> {
//! let identity = Identity::self_signed(["dev.example"])?;
//! let cert = identity.certificate();
//! println!("SHA-256 {} (valid until {})", cert.sha256_hex(), cert.not_after());
//! println!("SPKI    {}", cert.spki_sha256_base64());
//! let server = ServerTls::new(&identity)?;
//! let _acceptor = server.acceptor();
//!
//! // A client that trusts this certificate, as `curl --cacert` would.
//! let client = ClientTls::from_root_pem(cert.pem().as_bytes())?;
//! let _connector = client.connector();
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;
use std::time::Duration;

use rustls::SupportedProtocolVersion;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem;

mod client;
mod der;
mod info;
mod server;

pub use client::{ClientTls, ClientTlsBuilder};
pub use der::{DerError, UtcDateTime};
pub use info::CertificateInfo;
pub use server::{DevCert, Identity, MAX_DEV_CERT_VALIDITY, ServerTls};

/// The ALPN protocol ID of HTTP/2 over TLS (RFC 9113 §3.2).
pub const ALPN_H2: &[u8] = b"h2";
/// The ALPN protocol ID of HTTP/1.1 (RFC 7301 §6, RFC 9112).
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// What went wrong while building a TLS configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM or certificate file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// PEM that is malformed, or has no section of the wanted kind (RFC 7468).
    #[error("bad PEM in the {what}: {source}")]
    Pem {
        /// Which input: certificate or private key.
        what: PemSource,
        /// The PEM parser's reason.
        source: pem::Error,
    },
    /// No certificate: the chain or the root list is empty.
    #[error("no certificate")]
    NoCertificate,
    /// A certificate's DER is malformed (RFC 5280 §4.1).
    #[error("malformed certificate: {0}")]
    Certificate(#[from] DerError),
    /// A client configuration with neither a root certificate nor a pin.
    #[error("the client trusts no certificate: add a root or a pin")]
    NoTrustAnchor,
    /// A development certificate's validity is over [`MAX_DEV_CERT_VALIDITY`] or not
    /// longer than the one-hour backdating.
    #[error("development certificate validity {requested:?} outside (1 h, {max:?}]")]
    BadValidity {
        /// The validity asked for.
        requested: Duration,
        /// The maximum.
        max: Duration,
    },
    /// A development certificate name that is neither a DNS name nor an IP address.
    #[error("not a DNS name or IP address: {0:?}")]
    InvalidName(String),
    /// rustls refused the key, the certificate, or their pairing.
    #[error("rustls: {0}")]
    Rustls(#[from] rustls::Error),
    /// Generating the development certificate failed (for instance an invalid name).
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
}

/// Which PEM input a [`TlsError::Pem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemSource {
    /// The certificate chain or root certificates.
    Certificate,
    /// The private key.
    PrivateKey,
}

impl std::fmt::Display for PemSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Certificate => "certificate",
            Self::PrivateKey => "private key",
        })
    }
}

fn pem_error(what: PemSource, source: pem::Error) -> TlsError {
    TlsError::Pem { what, source }
}

/// rustls' ring provider, named explicitly so that no other provider installed in the
/// process is picked up.
fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// TLS 1.3 first, and 1.2 for older clients (curl builds, load generators).
static VERSIONS: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

fn versions() -> &'static [&'static SupportedProtocolVersion] {
    VERSIONS
}

fn default_alpn() -> [&'static [u8]; 2] {
    [ALPN_H2, ALPN_HTTP11]
}
