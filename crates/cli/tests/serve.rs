//! `stator serve`'s server, in-process on port 0, against real clients: hyper's HTTP/1.1
//! client, tokio-tungstenite, and a tokio-rustls client trusting the generated
//! certificate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use stator_cli::serve::{self, CertSource, ServeOptions};
use stator_tokio::ShutdownHandle;
use stator_tokio::tls::{CertificateInfo, Identity};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// Every test finishes within this.
const LIMIT: Duration = Duration::from_secs(20);

struct Running {
    addr: SocketAddr,
    certificate: Option<(CertificateInfo, CertSource)>,
    banner: String,
    shutdown: ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.shutdown();
        self.task.await.unwrap().unwrap();
    }
}

async fn start(options: ServeOptions) -> Running {
    let built = serve::build(&options).await.expect("build");
    let banner = built.banner(None);
    let shutdown = built.server.shutdown_handle();
    let addr = built.local_addr;
    let certificate = built.certificate.clone();
    let task = tokio::spawn(built.server.serve(built.app));
    Running {
        addr,
        certificate,
        banner,
        shutdown,
        task,
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

/// One HTTP/1.1 exchange with hyper over `io`.
async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> Answer
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let response = sender.send_request(request).await.expect("response");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn request(method: &str, path: &str, body: &'static [u8]) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::from_static(body)))
        .unwrap()
}

async fn call(addr: SocketAddr, method: &str, path: &str) -> Answer {
    let tcp = TcpStream::connect(addr).await.unwrap();
    exchange(tcp, request(method, path, b"")).await
}

#[tokio::test]
async fn the_page_says_which_protocol_carried_it() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let page = call(server.addr, "GET", "/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
        assert!(
            page.text()
                .contains(r#"<strong id="page-version">HTTP/1.1</strong>"#)
        );
        assert!(
            page.text().contains("\"/ws?info\""),
            "runs the WebSocket echo"
        );
        // Self-contained: no external scripts, styles or images.
        assert!(!page.text().contains("src=\"http"));
        assert!(!page.text().contains("href=\"http"));
        assert!(!page.text().contains("{{"), "every placeholder filled");
        let head = call(server.addr, "HEAD", "/").await;
        assert_eq!(head.status, StatusCode::OK);
        assert!(head.body.is_empty());
        let post = call(server.addr, "POST", "/").await;
        assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.header("allow"), "GET, HEAD");
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn info_returns_the_scope_as_json() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let client = tcp.local_addr().unwrap();
        let mut req = request("POST", "/info?a=1&b=%20", b"12345");
        req.headers_mut().insert("x-probe", "yes".parse().unwrap());
        let answer = exchange(tcp, req).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("content-type"), "application/json");
        let json: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(json["type"], "http");
        assert_eq!(json["http_version"], "HTTP/1.1");
        assert_eq!(json["scheme"], "http");
        assert_eq!(json["method"], "POST");
        assert_eq!(json["path"], "/info");
        assert_eq!(json["query"], "a=1&b=%20");
        assert_eq!(json["client"], client.to_string());
        assert_eq!(json["server"], server.addr.to_string());
        assert_eq!(json["content_received"], 5);
        let headers = json["headers"].as_array().unwrap();
        assert!(headers.contains(&serde_json::json!(["x-probe", "yes"])));
        assert!(headers.contains(&serde_json::json!(["host", "localhost"])));
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn echo_streams_the_post_body_back_with_its_content_type() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let big: &'static [u8] = Vec::leak((0..300_000u32).map(|i| i as u8).collect());
        let mut req = request("POST", "/echo", big);
        req.headers_mut()
            .insert("content-type", "application/x-test".parse().unwrap());
        let answer = exchange(tcp, req).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.header("content-type"), "application/x-test");
        assert_eq!(&answer.body[..], big);

        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let empty = exchange(tcp, request("POST", "/echo", b"")).await;
        assert_eq!(empty.status, StatusCode::OK);
        assert_eq!(empty.header("content-type"), "application/octet-stream");
        assert!(empty.body.is_empty());

        let get = call(server.addr, "GET", "/echo").await;
        assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(get.header("allow"), "POST");
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn unknown_paths_are_404_and_plain_get_of_ws_is_426() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        assert_eq!(
            call(server.addr, "GET", "/nope").await.status,
            StatusCode::NOT_FOUND
        );
        // Without --root nothing is read from the disk.
        assert_eq!(
            call(server.addr, "GET", "/Cargo.toml").await.status,
            StatusCode::NOT_FOUND
        );
        let ws = call(server.addr, "GET", "/ws").await;
        assert_eq!(ws.status, StatusCode::UPGRADE_REQUIRED);
        assert_eq!(ws.header("upgrade"), "websocket");
        server.stop().await;
    })
    .await
    .unwrap();
}

/// Opens a WebSocket to `url` over `io`, offering `subprotocols`.
async fn websocket<S>(
    io: S,
    url: &str,
    subprotocols: &str,
) -> Result<
    (
        tokio_tungstenite::WebSocketStream<S>,
        tungstenite::handshake::client::Response,
    ),
    tungstenite::Error,
>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut req = url.into_client_request().unwrap();
    if !subprotocols.is_empty() {
        req.headers_mut()
            .insert("sec-websocket-protocol", subprotocols.parse().unwrap());
    }
    tokio_tungstenite::client_async(req, io).await
}

#[tokio::test]
async fn ws_echoes_text_and_binary_and_the_first_subprotocol() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/ws", server.addr);
        let (mut ws, response) = websocket(tcp, &url, "chat, superchat").await.unwrap();
        assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
        ws.send(Message::text("hello")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("hello"));
        let binary = vec![0u8, 1, 2, 255];
        ws.send(Message::binary(binary.clone())).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::binary(binary));
        let large = "x".repeat(200_000);
        ws.send(Message::text(large.clone())).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(large));
        ws.close(None).await.unwrap();
        while let Some(Ok(message)) = ws.next().await {
            assert!(message.is_close(), "{message:?}");
        }

        // Without a subprotocol offered, none is chosen.
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let (ws, response) = websocket(tcp, &url, "").await.unwrap();
        assert!(response.headers().get("sec-websocket-protocol").is_none());
        // A client that does not answer the shutdown's close 1001 would hold the drain
        // until its deadline: go away first.
        drop(ws);
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn ws_info_first_sends_the_scope_then_echoes() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let url = format!("ws://{}/ws?info", server.addr);
        let (mut ws, _) = websocket(tcp, &url, "stator-echo").await.unwrap();
        let first = ws.next().await.unwrap().unwrap();
        let json: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
        assert_eq!(json["type"], "websocket");
        assert_eq!(json["http_version"], "HTTP/1.1");
        assert_eq!(json["scheme"], "ws");
        assert_eq!(json["method"], "GET");
        assert_eq!(json["query"], "info");
        assert_eq!(json["subprotocols"], serde_json::json!(["stator-echo"]));
        ws.send(Message::text("after info")).await.unwrap();
        assert_eq!(
            ws.next().await.unwrap().unwrap(),
            Message::text("after info")
        );

        // A WebSocket anywhere else is refused.
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let refused = websocket(tcp, &format!("ws://{}/other", server.addr), "").await;
        match refused {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::NOT_FOUND);
            }
            other => panic!("expected a 404, got {other:?}"),
        }
        drop(ws);
        server.stop().await;
    })
    .await
    .unwrap();
}

/// A directory with a root inside it and a secret beside the root.
struct Tree {
    parent: PathBuf,
    root: PathBuf,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let parent = std::env::temp_dir().join(format!("stator-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        let root = parent.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(parent.join("secret.txt"), "secret").unwrap();
        std::fs::write(root.join("hello.txt"), "hello file").unwrap();
        std::fs::write(root.join("a b.css"), "body{}").unwrap();
        std::fs::write(root.join("sub/index.html"), "<p>sub</p>").unwrap();
        std::fs::write(root.join("big.bin"), vec![7u8; 200_000]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(parent.join("secret.txt"), root.join("link.txt")).unwrap();
        Tree { parent, root }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.parent);
    }
}

#[tokio::test]
async fn root_serves_files_with_their_type() {
    tokio::time::timeout(LIMIT, async {
        let tree = Tree::new("files");
        let server = start(ServeOptions::plain(loopback()).with_root(&tree.root)).await;
        let hello = call(server.addr, "GET", "/hello.txt").await;
        assert_eq!(hello.status, StatusCode::OK);
        assert_eq!(hello.text(), "hello file");
        assert_eq!(hello.header("content-type"), "text/plain; charset=utf-8");
        assert_eq!(hello.header("content-length"), "10");

        let css = call(server.addr, "GET", "/a%20b.css").await;
        assert_eq!(css.text(), "body{}");
        assert_eq!(css.header("content-type"), "text/css; charset=utf-8");

        let index = call(server.addr, "GET", "/sub/").await;
        assert_eq!(index.text(), "<p>sub</p>");
        assert_eq!(index.header("content-type"), "text/html; charset=utf-8");

        let big = call(server.addr, "GET", "/big.bin").await;
        assert_eq!(big.body.len(), 200_000);
        assert!(big.body.iter().all(|&b| b == 7));
        assert_eq!(big.header("content-type"), "application/octet-stream");

        let head = call(server.addr, "HEAD", "/hello.txt").await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.header("content-length"), "10");
        assert!(head.body.is_empty());

        assert_eq!(
            call(server.addr, "GET", "/missing").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            call(server.addr, "DELETE", "/hello.txt").await.status,
            StatusCode::METHOD_NOT_ALLOWED
        );
        // The built-in routes win over files.
        assert!(
            call(server.addr, "GET", "/")
                .await
                .text()
                .contains("page-version")
        );
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn root_refuses_traversal() {
    tokio::time::timeout(LIMIT, async {
        let tree = Tree::new("traversal");
        assert!(tree.parent.join("secret.txt").exists());
        let server = start(ServeOptions::plain(loopback()).with_root(&tree.root)).await;
        for path in [
            "/../secret.txt",
            "/sub/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/.%2e/secret.txt",
            "/sub%2f..%2f..%2fsecret.txt",
            "/..%5csecret.txt",
            "/%2e%2e%2fsecret.txt",
            "/C:/secret.txt",
            "/%00",
            "/%zz",
        ] {
            let answer = call(server.addr, "GET", path).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
            assert!(!answer.text().contains("secret"), "{path}");
        }
        // An absolute path after decoding stays under the root.
        let absolute = call(
            server.addr,
            "GET",
            &format!("/{}", tree.parent.join("secret.txt").display()),
        )
        .await;
        assert_eq!(absolute.status, StatusCode::NOT_FOUND);
        let encoded = call(server.addr, "GET", "/%2fetc%2fpasswd").await;
        assert_eq!(encoded.status, StatusCode::NOT_FOUND);
        // A symbolic link out of the root is refused too.
        #[cfg(unix)]
        assert_eq!(
            call(server.addr, "GET", "/link.txt").await.status,
            StatusCode::BAD_REQUEST
        );
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_root_that_is_not_a_directory_is_an_error() {
    let tree = Tree::new("badroot");
    let missing =
        serve::build(&ServeOptions::plain(loopback()).with_root(tree.root.join("none"))).await;
    assert!(
        matches!(missing, Err(serve::ServeError::Root { .. })),
        "{missing:?}"
    );
    let file =
        serve::build(&ServeOptions::plain(loopback()).with_root(tree.root.join("hello.txt"))).await;
    assert!(
        matches!(file, Err(serve::ServeError::Root { .. })),
        "{file:?}"
    );
}

/// A TLS connection to `addr` that trusts only `pem`, offering ALPN http/1.1.
async fn tls_connect(addr: SocketAddr, pem: &str) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake with the generated certificate")
}

#[tokio::test]
async fn tls_mode_serves_the_self_signed_certificate() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::tls(loopback())).await;
        let (cert, source) = server.certificate.clone().unwrap();
        assert_eq!(source, CertSource::SelfSigned);
        // The banner names what a user needs to reach it.
        let port = server.addr.port();
        assert!(
            server
                .banner
                .contains(&format!("https://localhost:{port}/"))
        );
        assert!(
            server
                .banner
                .contains(&format!("wss://localhost:{port}/ws"))
        );
        assert!(server.banner.contains(&cert.sha256_hex()));
        assert!(server.banner.contains(&format!(
            "--ignore-certificate-errors-spki-list={}",
            cert.spki_sha256_base64()
        )));

        let tls = tls_connect(server.addr, cert.pem()).await;
        let peer = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
        assert_eq!(
            CertificateInfo::from_der(&peer).unwrap().sha256(),
            cert.sha256()
        );
        let answer = exchange(tls, request("GET", "/info", b"")).await;
        let json: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(json["scheme"], "https");
        assert_eq!(json["http_version"], "HTTP/1.1");

        let tls = tls_connect(server.addr, cert.pem()).await;
        let page = exchange(tls, request("GET", "/", b"")).await;
        assert!(page.text().contains(r#"id="page-scheme">https<"#));

        // wss:// over the same certificate.
        let tls = tls_connect(server.addr, cert.pem()).await;
        let (mut ws, _) = websocket(tls, &format!("wss://localhost:{port}/ws?info"), "")
            .await
            .unwrap();
        let first = ws.next().await.unwrap().unwrap();
        let json: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
        assert_eq!(json["scheme"], "wss");
        ws.send(Message::text("secure")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("secure"));
        drop(ws);
        server.stop().await;
    })
    .await
    .unwrap();
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn tls_mode_serves_a_certificate_from_files() {
    tokio::time::timeout(LIMIT, async {
        let tree = Tree::new("certfiles");
        let identity = Identity::self_signed(["files.example"]).unwrap();
        let mut options = ServeOptions::tls(loopback());
        options.cert = Some(write(
            &tree.parent,
            "cert.pem",
            identity.certificate().pem(),
        ));
        options.key = Some(write(&tree.parent, "key.pem", &identity.private_key_pem()));
        let server = start(options).await;
        let (cert, source) = server.certificate.clone().unwrap();
        assert_eq!(source, CertSource::Files);
        assert_eq!(cert.sha256(), identity.certificate().sha256());
        assert!(server.banner.contains("from --cert"));
        let tls = tls_connect(server.addr, cert.pem()).await;
        let answer = exchange(tls, request("GET", "/info", b"")).await;
        assert_eq!(answer.status, StatusCode::OK);
        server.stop().await;

        let mut bad = ServeOptions::tls(loopback());
        bad.cert = Some(tree.parent.join("cert.pem"));
        bad.key = Some(write(&tree.parent, "bad.pem", "not a key"));
        assert!(matches!(
            serve::build(&bad).await,
            Err(serve::ServeError::Tls(_))
        ));
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_port_in_use_is_a_bind_error() {
    let server = start(ServeOptions::plain(loopback())).await;
    let taken = serve::build(&ServeOptions::plain(server.addr)).await;
    match taken {
        Err(serve::ServeError::Bind { addr, source }) => {
            assert_eq!(addr, server.addr);
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_open_websockets_with_1001() {
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let tcp = TcpStream::connect(server.addr).await.unwrap();
        let (mut ws, _) = websocket(tcp, &format!("ws://{}/ws", server.addr), "")
            .await
            .unwrap();
        ws.send(Message::text("before")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("before"));
        server.shutdown.shutdown();
        let Some(Ok(Message::Close(Some(frame)))) = ws.next().await else {
            panic!("expected a close frame");
        };
        assert_eq!(u16::from(frame.code), 1001);
        while ws.next().await.is_some() {}
        server.task.await.unwrap().unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn echo_answers_expect_100_continue() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::time::timeout(LIMIT, async {
        let server = start(ServeOptions::plain(loopback())).await;
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut buf = vec![0u8; 64];
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(
            std::str::from_utf8(&buf[..n]).unwrap().starts_with("HTTP/1.1 100 Continue\r\n"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        tcp.write_all(b"hello").await.unwrap();
        let mut rest = Vec::new();
        tcp.read_to_end(&mut rest).await.unwrap();
        let rest = String::from_utf8(rest).unwrap();
        assert!(rest.contains("200 OK"), "{rest}");
        assert!(rest.contains("hello"), "{rest}");
        server.stop().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn info_reports_ipv4_peers_of_a_dual_stack_listener_as_ipv4() {
    tokio::time::timeout(LIMIT, async {
        // Some systems have no IPv6 or no dual stack: nothing to check there.
        let Ok(built) = serve::build(&ServeOptions::plain("[::]:0".parse().unwrap())).await else {
            return;
        };
        let port = built.local_addr.port();
        let shutdown = built.server.shutdown_handle();
        let task = tokio::spawn(built.server.serve(built.app));
        if let Ok(tcp) = TcpStream::connect(("127.0.0.1", port)).await {
            let answer = exchange(tcp, request("GET", "/info", b"")).await;
            let json: Value = serde_json::from_slice(&answer.body).unwrap();
            assert!(
                json["client"].as_str().unwrap().starts_with("127.0.0.1:"),
                "{json}"
            );
        }
        shutdown.shutdown();
        task.await.unwrap().unwrap();
    })
    .await
    .unwrap();
}
