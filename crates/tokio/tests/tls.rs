//! The TLS configuration against real handshakes over loopback TCP, and its hashes
//! against values computed independently (ring over the DER, OpenSSL for the fixtures).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::format_collect
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use stator_tokio::tls::{
    CertificateInfo, ClientTls, DerError, DevCert, Identity, MAX_DEV_CERT_VALIDITY, PemSource,
    ServerTls, TlsError,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const RSA_KEY: &str = include_str!("fixtures/rsa-pkcs1.key");
const RSA_CRT: &str = include_str!("fixtures/rsa.crt");
const EC_KEY: &str = include_str!("fixtures/ec-sec1.key");
const EC_CRT: &str = include_str!("fixtures/ec.crt");

/// What a handshake negotiated, seen from both ends.
#[derive(Debug)]
struct Negotiated {
    client_alpn: Option<Vec<u8>>,
    server_alpn: Option<Vec<u8>>,
    version: rustls::ProtocolVersion,
}

/// Runs one handshake over loopback TCP and exchanges a byte each way.
async fn handshake(
    server: &ServerTls,
    client: Arc<rustls::ClientConfig>,
    name: &str,
) -> Result<Negotiated, std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = server.acceptor();
    let server_task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).await?;
        tls.write_all(&byte).await?;
        tls.shutdown().await?;
        Ok::<_, std::io::Error>(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
    });
    let connector = tokio_rustls::TlsConnector::from(client);
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let run = async {
        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector.connect(name, tcp).await?;
        tls.write_all(b"x").await?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte).await?;
        assert_eq!(&byte, b"x");
        let (_, conn) = tls.get_ref();
        Ok::<_, std::io::Error>((
            conn.alpn_protocol().map(<[u8]>::to_vec),
            conn.protocol_version().unwrap(),
        ))
    };
    let client_result = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("client handshake timed out");
    let server_result = tokio::time::timeout(Duration::from_secs(10), server_task)
        .await
        .expect("server timed out")
        .unwrap();
    let (client_alpn, version) = client_result?;
    Ok(Negotiated {
        client_alpn,
        server_alpn: server_result?,
        version,
    })
}

/// The rustls error inside a failed handshake's `io::Error`.
fn rustls_error(err: &std::io::Error) -> &rustls::Error {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {err:?}"))
}

fn ring_sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A unique path under the system's temporary directory.
fn temp_path(stem: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!(
        "stator-tls-{}-{nanos}-{n}-{stem}",
        std::process::id()
    ))
}

fn root_trusting(identity: &Identity) -> ClientTls {
    ClientTls::from_root_pem(identity.certificate().pem().as_bytes()).unwrap()
}

#[tokio::test]
async fn alpn_picks_h2_when_offered_and_http11_otherwise() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let server = ServerTls::new(&identity).unwrap();
    let pem = identity.certificate().pem().as_bytes().to_vec();

    let both = ClientTls::from_root_pem(&pem).unwrap();
    let n = handshake(&server, both.config(), "localhost")
        .await
        .unwrap();
    assert_eq!(n.client_alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(n.server_alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(n.version, rustls::ProtocolVersion::TLSv1_3);

    // The server's preference wins over the client's order.
    let reversed = ClientTls::builder()
        .add_root_pem(&pem)
        .unwrap()
        .alpn([&b"http/1.1"[..], b"h2"])
        .build()
        .unwrap();
    let n = handshake(&server, reversed.config(), "localhost")
        .await
        .unwrap();
    assert_eq!(n.client_alpn.as_deref(), Some(&b"h2"[..]));

    let http11 = ClientTls::builder()
        .add_root_pem(&pem)
        .unwrap()
        .alpn(["http/1.1"])
        .build()
        .unwrap();
    let n = handshake(&server, http11.config(), "localhost")
        .await
        .unwrap();
    assert_eq!(n.client_alpn.as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(n.server_alpn.as_deref(), Some(&b"http/1.1"[..]));

    let none = ClientTls::builder()
        .add_root_pem(&pem)
        .unwrap()
        .alpn(Vec::<Vec<u8>>::new())
        .build()
        .unwrap();
    let n = handshake(&server, none.config(), "localhost")
        .await
        .unwrap();
    assert_eq!((n.client_alpn, n.server_alpn), (None, None));
}

#[tokio::test]
async fn one_identity_serves_another_alpn_list() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let h3 = ServerTls::with_alpn(&identity, ["h3"]).unwrap();
    assert_eq!(h3.certificate(), identity.certificate());
    assert_eq!(h3.config().alpn_protocols, vec![b"h3".to_vec()]);
    // A client offering only h2/http/1.1 gets no_application_protocol (RFC 7301 §3.2).
    let err = handshake(&h3, root_trusting(&identity).config(), "localhost")
        .await
        .unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn tls12_is_still_served() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let server = ServerTls::new(&identity).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(identity.chain()[0].clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let n = handshake(&server, Arc::new(config), "localhost")
        .await
        .unwrap();
    assert_eq!(n.version, rustls::ProtocolVersion::TLSv1_2);
    assert_eq!(n.server_alpn.as_deref(), Some(&b"h2"[..]));
}

#[tokio::test]
async fn dev_cert_names_cover_loopback_and_the_callers_names() {
    let identity = Identity::self_signed(["dev.example", "10.1.2.3"]).unwrap();
    let server = ServerTls::new(&identity).unwrap();
    let client = root_trusting(&identity);
    for name in ["localhost", "127.0.0.1", "::1", "dev.example", "10.1.2.3"] {
        handshake(&server, client.config(), name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let err = handshake(&server, client.config(), "other.example")
        .await
        .unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{err:?}"
    );
}

#[test]
fn dev_cert_is_p256_and_valid_for_at_most_14_days() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let info = identity.certificate();
    let lifetime = info.not_after().unix_seconds() - info.not_before().unix_seconds();
    assert!(lifetime > 0);
    assert!(lifetime.unsigned_abs() <= MAX_DEV_CERT_VALIDITY.as_secs());
    assert!(lifetime.unsigned_abs() <= 14 * 24 * 3600);
    let now = SystemTime::now();
    assert!(info.not_before().to_system_time() <= now);
    assert!(info.not_after().to_system_time() > now);

    // The key is ECDSA P-256 and the walker found the same SPKI rcgen writes.
    let key = rcgen::KeyPair::from_pem(&identity.private_key_pem()).unwrap();
    assert_eq!(key.algorithm(), &rcgen::PKCS_ECDSA_P256_SHA256);
    let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
    assert_eq!(info.spki_sha256().to_vec(), ring_sha256(&spki));

    // The full 14 days are allowed; one second more is not.
    let max = Identity::self_signed_with(&DevCert {
        validity: MAX_DEV_CERT_VALIDITY,
        ..DevCert::default()
    })
    .unwrap();
    let c = max.certificate();
    assert_eq!(
        c.not_after().unix_seconds() - c.not_before().unix_seconds(),
        14 * 24 * 3600
    );
    let too_long = Identity::self_signed_with(&DevCert {
        validity: MAX_DEV_CERT_VALIDITY + Duration::from_secs(1),
        ..DevCert::default()
    });
    assert!(matches!(
        too_long,
        Err(TlsError::BadValidity { requested, .. }) if requested == MAX_DEV_CERT_VALIDITY + Duration::from_secs(1)
    ));
    assert!(matches!(
        Identity::self_signed(["not a name"]),
        Err(TlsError::InvalidName(name)) if name == "not a name"
    ));
}

#[test]
fn hashes_match_ring_over_the_der() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let info = identity.certificate();
    let der = identity.chain()[0].as_ref();
    let digest = ring_sha256(der);
    assert_eq!(info.sha256().to_vec(), digest);
    assert_eq!(info.sha256_hex(), colon_hex(&digest));
    assert_eq!(info.sha256_hex().len(), 95);
    // The PEM decodes (with rustls-pki-types' decoder) to the same DER.
    let from_pem = CertificateDer::from_pem_slice(info.pem().as_bytes()).unwrap();
    assert_eq!(from_pem.as_ref(), der);
    assert!(info.pem().lines().all(|l| l.len() <= 64));
    assert_eq!(info.sha256_base64(), base64_via_pem(&digest));
    assert_eq!(
        info.spki_sha256_base64(),
        base64_via_pem(&info.spki_sha256())
    );
}

/// Base64 of `bytes` computed by round-tripping through the PEM decoder: the PEM body
/// of `bytes` is accepted by rustls-pki-types only if its base64 is right.
fn base64_via_pem(bytes: &[u8]) -> String {
    // A naive reference encoder (bit string, 6 bits at a time)...
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits: String = bytes.iter().map(|b| format!("{b:08b}")).collect();
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| A[usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap()] as char)
        .collect();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    // ...checked by decoding it back with rustls-pki-types.
    let pem = format!("-----BEGIN CERTIFICATE-----\n{out}\n-----END CERTIFICATE-----\n");
    assert_eq!(
        CertificateDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .as_ref(),
        bytes
    );
    out
}

#[test]
fn walker_matches_rcgen_for_several_key_types_and_both_time_forms() {
    for (alg, not_after) in [
        (
            &rcgen::PKCS_ECDSA_P256_SHA256,
            rcgen::date_time_ymd(2049, 12, 31),
        ),
        (
            &rcgen::PKCS_ECDSA_P384_SHA384,
            rcgen::date_time_ymd(2050, 1, 1),
        ),
        (&rcgen::PKCS_ED25519, rcgen::date_time_ymd(2100, 2, 28)),
    ] {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(1999, 3, 1);
        params.not_after = not_after;
        let cert = params.self_signed(&key).unwrap();
        let info = CertificateInfo::from_der(cert.der()).unwrap();
        let spki = rcgen::PublicKeyData::subject_public_key_info(&key);
        assert_eq!(info.spki_sha256().to_vec(), ring_sha256(&spki), "{alg:?}");
        assert_eq!(info.not_before().to_string(), "1999-03-01T00:00:00Z");
        // UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
        assert_eq!(
            info.not_after().to_string(),
            format!(
                "{}-{:02}-{:02}T00:00:00Z",
                not_after.year(),
                u8::from(not_after.month()),
                not_after.day()
            )
        );
    }
}

#[test]
fn openssl_made_keys_load_and_hash_as_openssl_says() {
    // PKCS#1 RSA.
    let rsa = Identity::from_pem(RSA_CRT.as_bytes(), RSA_KEY.as_bytes()).unwrap();
    let info = rsa.certificate();
    assert_eq!(
        info.sha256_hex(),
        "A6:01:66:97:59:A7:23:1B:6F:9D:5F:90:9E:90:78:32:D9:B9:99:7F:2E:69:44:29:4B:37:65:D3:D5:4C:5F:CD"
    );
    assert_eq!(
        info.sha256_base64(),
        "pgFml1mnIxtvnV+QnpB4Mtm5mX8uaUQpSzdl09VMX80="
    );
    assert_eq!(
        info.spki_sha256_base64(),
        "qFMCAC5A/d2Iwa2p89N8AxKIGISRN/6WpL3mapflDSc="
    );
    assert_eq!(info.not_after().to_string(), "2036-11-19T07:07:07Z");
    assert!(
        rsa.private_key_pem()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
    );

    // SEC1 EC.
    let ec = Identity::from_pem(EC_CRT.as_bytes(), EC_KEY.as_bytes()).unwrap();
    let info = ec.certificate();
    assert_eq!(
        info.sha256_base64(),
        "lnpICxiLoRAUQsbkcCOuTaURdrknHUd3QfkQSTBeokU="
    );
    assert_eq!(
        info.spki_sha256_base64(),
        "B7YOnSGiQJTQkVGgO583isiGZpDtOJCJcbV7UBomBI8="
    );
    assert_eq!(info.not_before().to_string(), "2026-11-22T07:04:34Z");
    assert_eq!(info.not_after().to_string(), "2036-11-19T07:04:34Z");
    assert!(
        ec.private_key_pem()
            .starts_with("-----BEGIN EC PRIVATE KEY-----\n")
    );
}

#[tokio::test]
async fn pem_files_round_trip_through_a_handshake() {
    let generated = Identity::self_signed::<&str>([]).unwrap();
    let cert_path = temp_path("cert.pem");
    let key_path = temp_path("key.pem");
    std::fs::write(&cert_path, generated.certificate().pem()).unwrap();
    std::fs::write(&key_path, generated.private_key_pem()).unwrap();
    assert!(
        generated
            .private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );

    let loaded = Identity::from_pem_files(&cert_path, &key_path).unwrap();
    assert_eq!(loaded.certificate(), generated.certificate());
    let client = ClientTls::builder()
        .add_root_pem_file(&cert_path)
        .unwrap()
        .build()
        .unwrap();
    let server = ServerTls::new(&loaded).unwrap();
    let n = handshake(&server, client.config(), "localhost")
        .await
        .unwrap();
    assert_eq!(n.server_alpn.as_deref(), Some(&b"h2"[..]));

    std::fs::remove_file(&cert_path).unwrap();
    std::fs::remove_file(&key_path).unwrap();
    assert!(matches!(
        Identity::from_pem_files(&cert_path, &key_path),
        Err(TlsError::Io { path, .. }) if path == cert_path
    ));
}

#[test]
fn bad_input_gives_typed_errors() {
    let generated = Identity::self_signed::<&str>([]).unwrap();
    let cert = generated.certificate().pem().as_bytes();
    let key = generated.private_key_pem();

    // A section that never ends.
    let broken = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
    assert!(matches!(
        Identity::from_pem(broken, key.as_bytes()),
        Err(TlsError::Pem {
            what: PemSource::Certificate,
            source: rustls::pki_types::pem::Error::MissingSectionEnd { .. }
        })
    ));
    // Base64 that is not base64.
    let garbage = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        Identity::from_pem(garbage, key.as_bytes()),
        Err(TlsError::Pem {
            what: PemSource::Certificate,
            source: rustls::pki_types::pem::Error::Base64Decode(_)
        })
    ));
    // No key at all (the certificate PEM given twice).
    assert!(matches!(
        Identity::from_pem(cert, cert),
        Err(TlsError::Pem {
            what: PemSource::PrivateKey,
            source: rustls::pki_types::pem::Error::NoItemsFound
        })
    ));
    // No certificate.
    assert!(matches!(
        Identity::from_pem(b"", key.as_bytes()),
        Err(TlsError::NoCertificate)
    ));
    assert!(matches!(
        ClientTls::builder().add_root_pem(b"nothing here"),
        Err(TlsError::NoCertificate)
    ));
    // Well-formed PEM around DER that is not a certificate.
    let not_x509 = b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        Identity::from_pem(not_x509, key.as_bytes()),
        Err(TlsError::Certificate(DerError::UnexpectedTag {
            expected: 0x30,
            found: 0x02
        }))
    ));
    // A key that belongs to another certificate.
    let other = Identity::self_signed::<&str>([]).unwrap();
    assert!(matches!(
        Identity::from_pem(cert, other.private_key_pem().as_bytes()),
        Err(TlsError::Rustls(rustls::Error::InconsistentKeys(_)))
    ));
    // A client that trusts nothing.
    assert!(matches!(
        ClientTls::builder().build(),
        Err(TlsError::NoTrustAnchor)
    ));
}

#[tokio::test]
async fn pinned_verifier_accepts_the_pinned_cert_and_rejects_another() {
    let identity = Identity::self_signed::<&str>([]).unwrap();
    let server = ServerTls::new(&identity).unwrap();
    let pinned = ClientTls::pinned_sha256(identity.certificate().sha256()).unwrap();
    // The name is not checked: the pin is the whole trust decision.
    for name in ["localhost", "anything.invalid"] {
        let n = handshake(&server, pinned.config(), name).await.unwrap();
        assert_eq!(n.client_alpn.as_deref(), Some(&b"h2"[..]));
    }
    // The OpenSSL RSA certificate (`openssl req -x509` marks it CA:TRUE, which WebPKI
    // refuses as a leaf) is accepted when pinned; the RSA-PSS handshake signature is
    // still verified.
    let rsa = Identity::from_pem(RSA_CRT.as_bytes(), RSA_KEY.as_bytes()).unwrap();
    let rsa_server = ServerTls::new(&rsa).unwrap();
    let rsa_pin = ClientTls::pinned_sha256(rsa.certificate().sha256()).unwrap();
    handshake(&rsa_server, rsa_pin.config(), "localhost")
        .await
        .unwrap();

    let other = Identity::self_signed::<&str>([]).unwrap();
    let other_server = ServerTls::new(&other).unwrap();
    let err = handshake(&other_server, pinned.config(), "localhost")
        .await
        .unwrap_err();
    assert!(
        matches!(
            rustls_error(&err),
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure
            )
        ),
        "{err:?}"
    );
}
