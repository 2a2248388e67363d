//! The client's rustls configuration: which servers it trusts, and ALPN.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_rustls::TlsConnector;

use super::{PemSource, TlsError, default_alpn, der, info, pem_error, provider, versions};

/// A client's TLS configuration: rustls with the ring provider, TLS 1.3 and 1.2, ALPN
/// `h2`, `http/1.1` unless set otherwise, no client certificate.
///
/// The system's trust store is not used (this crate runs offline and carries no root
/// list): trust anchors come from PEM, typically the server's development certificate
/// ([`CertificateInfo::pem`](super::CertificateInfo::pem)), or the server's certificate
/// is pinned by hash ([`ClientTlsBuilder::pin_sha256`]).
#[derive(Debug, Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
}

impl ClientTls {
    /// Starts a configuration with no trust anchor and the default ALPN list.
    pub fn builder() -> ClientTlsBuilder {
        ClientTlsBuilder {
            roots: RootCertStore::empty(),
            pin: None,
            alpn: default_alpn().into_iter().map(Into::into).collect(),
        }
    }

    /// Trusts the certificates in `pem` (RFC 7468 §5) as roots, e.g. a server's
    /// self-signed development certificate; the usual Web PKI checks (RFC 5280 §6, server
    /// name per RFC 6125, validity) still apply.
    pub fn from_root_pem(pem: &[u8]) -> Result<Self, TlsError> {
        Self::builder().add_root_pem(pem)?.build()
    }

    /// Accepts exactly the server certificate whose DER has this SHA-256 hash.
    ///
    /// See [`ClientTlsBuilder::pin_sha256`] for what is and is not checked.
    pub fn pinned_sha256(hash: [u8; 32]) -> Result<Self, TlsError> {
        Self::builder().pin_sha256(hash).build()
    }

    /// The rustls configuration.
    pub fn config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    /// A tokio-rustls connector: `connector.connect(server_name, tcp_stream).await` runs
    /// the handshake; the negotiated protocol is `stream.get_ref().1.alpn_protocol()`.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.config())
    }
}

/// Builds a [`ClientTls`]: trust anchors or a pin, and ALPN.
#[derive(Debug)]
pub struct ClientTlsBuilder {
    roots: RootCertStore,
    pin: Option<[u8; 32]>,
    alpn: Vec<Vec<u8>>,
}

impl ClientTlsBuilder {
    /// Adds every certificate in `pem` as a trust anchor.
    pub fn add_root_pem(mut self, pem: &[u8]) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(PemSource::Certificate, e))?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        for cert in certs {
            self.roots.add(cert)?;
        }
        Ok(self)
    }

    /// Adds every certificate in the PEM file at `path` as a trust anchor.
    pub fn add_root_pem_file(self, path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| TlsError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.add_root_pem(&pem)
    }

    /// Adds one DER certificate as a trust anchor.
    pub fn add_root_der(mut self, cert: CertificateDer<'_>) -> Result<Self, TlsError> {
        self.roots.add(cert)?;
        Ok(self)
    }

    /// Trusts exactly one server certificate, named by the SHA-256 of its DER
    /// ([`CertificateInfo::sha256`](super::CertificateInfo::sha256)), instead of any
    /// trust anchor: the same rule as WebTransport's `serverCertificateHashes`.
    ///
    /// # Risk
    ///
    /// For development only. The server name is **not** checked, nor the chain, key
    /// usage or revocation: whoever holds that certificate's private key is accepted for
    /// every name. The handshake signature is still verified (so the server does hold
    /// the key) and so is the certificate's validity period. Never pin a certificate
    /// whose key has left your machine.
    #[must_use]
    pub fn pin_sha256(mut self, hash: [u8; 32]) -> Self {
        self.pin = Some(hash);
        self
    }

    /// Sets the ALPN list (RFC 7301) in order of preference; empty disables ALPN.
    #[must_use]
    pub fn alpn<P: Into<Vec<u8>>>(mut self, alpn: impl IntoIterator<Item = P>) -> Self {
        self.alpn = alpn.into_iter().map(Into::into).collect();
        self
    }

    /// Builds the configuration; fails with [`TlsError::NoTrustAnchor`] when neither a
    /// root nor a pin was given.
    pub fn build(self) -> Result<ClientTls, TlsError> {
        let provider = Arc::new(provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions())?;
        let mut config = if let Some(hash) = self.pin {
            let verifier = PinnedSha256 {
                hash,
                algorithms: provider.signature_verification_algorithms,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        } else if self.roots.is_empty() {
            return Err(TlsError::NoTrustAnchor);
        } else {
            builder
                .with_root_certificates(self.roots)
                .with_no_client_auth()
        };
        config.alpn_protocols = self.alpn;
        Ok(ClientTls {
            config: Arc::new(config),
        })
    }
}

/// Accepts the one end-entity certificate whose SHA-256 is `hash`.
#[derive(Debug)]
struct PinnedSha256 {
    hash: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedSha256 {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if info::sha256(end_entity.as_ref()) != self.hash {
            return Err(CertificateError::ApplicationVerificationFailure.into());
        }
        let fields = der::walk(end_entity.as_ref())
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < fields.not_before.unix_seconds() {
            return Err(CertificateError::NotValidYet.into());
        }
        if now > fields.not_after.unix_seconds() {
            return Err(CertificateError::Expired.into());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn verify(
        verifier: &PinnedSha256,
        cert: &CertificateDer<'_>,
        unix: u64,
    ) -> Result<(), rustls::Error> {
        let name = ServerName::try_from("localhost").unwrap();
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(unix));
        verifier
            .verify_server_cert(cert, &[], &name, &[], now)
            .map(|_| ())
    }

    #[test]
    fn pin_checks_the_hash_then_the_validity_period() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2030, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 10);
        let cert = params.self_signed(&key).unwrap();
        let der = cert.der();
        let verifier = PinnedSha256 {
            hash: info::sha256(der.as_ref()),
            algorithms: provider().signature_verification_algorithms,
        };
        let jan_1_2030 = 1_893_456_000;
        assert_eq!(verify(&verifier, der, jan_1_2030), Ok(()));
        assert_eq!(verify(&verifier, der, jan_1_2030 + 9 * 86_400), Ok(()));
        assert_eq!(
            verify(&verifier, der, jan_1_2030 - 1),
            Err(CertificateError::NotValidYet.into())
        );
        assert_eq!(
            verify(&verifier, der, jan_1_2030 + 9 * 86_400 + 1),
            Err(CertificateError::Expired.into())
        );
        let wrong = PinnedSha256 {
            hash: [0; 32],
            algorithms: provider().signature_verification_algorithms,
        };
        assert_eq!(
            verify(&wrong, der, jan_1_2030),
            Err(CertificateError::ApplicationVerificationFailure.into())
        );
    }
}
