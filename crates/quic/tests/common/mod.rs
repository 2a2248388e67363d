//! What the handshake tests share: a rustls provider on ring (optionally with only
//! ChaCha20-Poly1305), a self-signed certificate from rcgen, and TLS 1.3-only client and
//! server configurations that trust it.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// ring's provider, with only `TLS13_CHACHA20_POLY1305_SHA256` if `chacha_only`.
fn provider(chacha_only: bool) -> Arc<CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    if chacha_only {
        provider.cipher_suites = vec![TLS13_CHACHA20_POLY1305_SHA256];
    }
    Arc::new(provider)
}

/// A self-signed certificate for `localhost` and its PKCS#8 key.
pub(crate) struct Certs {
    pub(crate) cert: CertificateDer<'static>,
    pub(crate) key: Vec<u8>,
}

pub(crate) fn certs() -> Certs {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Certs {
        cert: certified.cert.der().clone(),
        key: certified.signing_key.serialize_der(),
    }
}

/// A TLS 1.3 server configuration with `certs` and the ALPN list `alpn`.
pub(crate) fn server_config(certs: &Certs, alpn: &[&[u8]], chacha_only: bool) -> ServerConfig {
    let mut config = ServerConfig::builder_with_provider(provider(chacha_only))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![certs.cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certs.key.clone())),
        )
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// A TLS 1.3 client configuration that trusts `certs`.
pub(crate) fn client_config(certs: &Certs, chacha_only: bool) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(certs.cert.clone()).unwrap();
    ClientConfig::builder_with_provider(provider(chacha_only))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}
