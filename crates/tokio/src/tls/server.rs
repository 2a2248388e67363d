//! The server's identity (certificate chain and private key) and its rustls configuration.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::TlsAcceptor;

use super::{CertificateInfo, PemSource, TlsError, default_alpn, pem_error, provider, versions};

/// The longest validity a development certificate may have: 14 days, the limit browsers
/// enforce for WebTransport's `serverCertificateHashes` (W3C WebTransport §4.3,
/// "custom certificate requirements").
pub const MAX_DEV_CERT_VALIDITY: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// How far before "now" a development certificate's validity starts, so that a client
/// whose clock is a little behind still accepts it. Counted inside the 14 days.
const BACKDATE: Duration = Duration::from_secs(60 * 60);

/// Options of the self-signed development certificate ([`Identity::self_signed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCert {
    /// Names added to the built-in `localhost`, `127.0.0.1` and `::1`: DNS names or IP
    /// addresses (RFC 5280 §4.2.1.6 subjectAltName).
    pub names: Vec<String>,
    /// Total validity, `notAfter − notBefore`; at most [`MAX_DEV_CERT_VALIDITY`].
    /// Default: 13 days.
    pub validity: Duration,
}

impl Default for DevCert {
    fn default() -> Self {
        Self {
            names: Vec::new(),
            validity: Duration::from_secs(13 * 24 * 60 * 60),
        }
    }
}

/// A server's certificate chain (leaf first) and private key, with the leaf's
/// [`CertificateInfo`].
///
/// One identity can back several [`ServerTls`] configurations, for example TCP with ALPN
/// `h2`/`http/1.1` and, later, QUIC with `h3` (RFC 9114 §3.1).
#[derive(Debug)]
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    info: CertificateInfo,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            info: self.info.clone(),
        }
    }
}

impl Identity {
    /// Loads a PEM certificate chain (leaf first, RFC 7468 §5) and a PEM private key:
    /// PKCS#8 (`PRIVATE KEY`, RFC 5208), SEC1 EC (`EC PRIVATE KEY`, RFC 5915) or PKCS#1
    /// RSA (`RSA PRIVATE KEY`, RFC 8017 appendix A.1.2).
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Io {
                path: path.to_owned(),
                source,
            })
        };
        let cert_pem = read(cert.as_ref())?;
        let key_pem = read(key.as_ref())?;
        Self::from_pem(&cert_pem, &key_pem)
    }

    /// Like [`from_pem_files`](Self::from_pem_files), from PEM in memory.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(PemSource::Certificate, e))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| pem_error(PemSource::PrivateKey, e))?;
        Self::from_der(chain, key)
    }

    /// From DER: a chain (leaf first) and a private key.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsError> {
        let leaf = chain.first().ok_or(TlsError::NoCertificate)?;
        let info = CertificateInfo::from_der(leaf)?;
        // Catches a key that does not belong to the certificate now, not at the first
        // handshake.
        let signing_key = provider().key_provider.load_private_key(key.clone_key())?;
        let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing_key);
        certified.keys_match()?;
        Ok(Self { chain, key, info })
    }

    /// Generates a self-signed development certificate with the default [`DevCert`]
    /// options plus `names`.
    pub fn self_signed<S: Into<String>>(
        names: impl IntoIterator<Item = S>,
    ) -> Result<Self, TlsError> {
        Self::self_signed_with(&DevCert {
            names: names.into_iter().map(Into::into).collect(),
            ..DevCert::default()
        })
    }

    /// Generates a self-signed development certificate: ECDSA P-256 with SHA-256 (RFC
    /// 5758 §3.2), valid from one hour ago for `options.validity` in total, for
    /// `localhost`, `127.0.0.1`, `::1` and `options.names`.
    ///
    /// Browsers do not trust it; pin it with [`CertificateInfo`]'s hashes (WebTransport
    /// `serverCertificateHashes`, Chromium `--ignore-certificate-errors-spki-list`) or give
    /// its PEM to `curl --cacert`.
    pub fn self_signed_with(options: &DevCert) -> Result<Self, TlsError> {
        if options.validity > MAX_DEV_CERT_VALIDITY || options.validity <= BACKDATE {
            return Err(TlsError::BadValidity {
                requested: options.validity,
                max: MAX_DEV_CERT_VALIDITY,
            });
        }
        let mut names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        for name in &options.names {
            // A name no client could ask for (RFC 1035 §2.3.1 syntax, or an IP address)
            // would sit in the certificate unused; refuse it instead.
            if ServerName::try_from(name.as_str()).is_err() {
                return Err(TlsError::InvalidName(name.clone()));
            }
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = rcgen::CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "stator development certificate");
        let since_epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(BACKDATE);
        // X.509 times have whole seconds; dropping the fraction keeps the total validity
        // within `options.validity`.
        let since_epoch = Duration::from_secs(since_epoch.as_secs());
        // Now plus at most 14 days: far inside OffsetDateTime's range (years ±9999).
        #[allow(clippy::arithmetic_side_effects)]
        {
            params.not_before = rcgen::date_time_ymd(1970, 1, 1) + since_epoch;
            params.not_after = params.not_before + options.validity;
        }
        let cert = params.self_signed(&key)?;
        let chain = vec![cert.der().clone()];
        let key_der = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        Self::from_der(chain, key_der)
    }

    /// The leaf certificate's hashes, dates and PEM.
    pub fn certificate(&self) -> &CertificateInfo {
        &self.info
    }

    /// The certificate chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The private key in PEM (PKCS#8 for generated certificates), for a CLI that saves
    /// the development certificate. Keep it secret.
    pub fn private_key_pem(&self) -> String {
        let label = match &self.key {
            PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
            PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        super::info::pem_encode(label, self.key.secret_der())
    }
}

/// A server's TLS configuration: rustls with the ring provider, TLS 1.3 and 1.2
/// (RFC 8446, RFC 5246), no client authentication, and ALPN (RFC 7301).
#[derive(Debug, Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    info: CertificateInfo,
}

impl ServerTls {
    /// With the default ALPN list `h2`, `http/1.1` (RFC 9113 §3.2, RFC 9112): the server
    /// prefers HTTP/2 when the client offers it.
    pub fn new(identity: &Identity) -> Result<Self, TlsError> {
        Self::with_alpn(identity, default_alpn())
    }

    /// With an explicit ALPN list in the server's order of preference, e.g. `[b"h3"]` for
    /// HTTP/3 over QUIC (RFC 9114 §3.1). An empty list disables ALPN.
    pub fn with_alpn<P: Into<Vec<u8>>>(
        identity: &Identity,
        alpn: impl IntoIterator<Item = P>,
    ) -> Result<Self, TlsError> {
        let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_protocol_versions(versions())?
            .with_no_client_auth()
            .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
        config.alpn_protocols = alpn.into_iter().map(Into::into).collect();
        Ok(Self {
            config: Arc::new(config),
            info: identity.info.clone(),
        })
    }

    /// The rustls configuration.
    pub fn config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.config)
    }

    /// A tokio-rustls acceptor: `acceptor.accept(tcp_stream).await` runs the handshake;
    /// the negotiated protocol is then `stream.get_ref().1.alpn_protocol()`.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config())
    }

    /// The leaf certificate's hashes, dates and PEM.
    pub fn certificate(&self) -> &CertificateInfo {
        &self.info
    }
}
