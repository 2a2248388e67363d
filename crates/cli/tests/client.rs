//! `stator get` and `stator ws` (the binary) against `stator serve`'s server running
//! in-process on port 0, over TLS (trusting its generated certificate with `--cacert`)
//! and in cleartext. `/info` and `/ws?info` report how each request arrived.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command as Process, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use stator_cli::serve::{self, ServeOptions};
use stator_tokio::ShutdownHandle;
use tokio::task::JoinHandle;

/// Every test finishes within this.
const LIMIT: Duration = Duration::from_secs(30);

struct Running {
    addr: SocketAddr,
    /// The certificate's PEM file, over TLS.
    pem: Option<PathBuf>,
    shutdown: ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.shutdown();
        self.task.await.unwrap().unwrap();
        if let Some(pem) = self.pem {
            let _ = std::fs::remove_file(pem);
        }
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.pem.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    fn ws_url(&self, path: &str) -> String {
        let scheme = if self.pem.is_some() { "wss" } else { "ws" };
        format!("{scheme}://{}{path}", self.addr)
    }

    fn pem(&self) -> &str {
        self.pem.as_ref().unwrap().to_str().unwrap()
    }
}

async fn start(tls: bool) -> Running {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let options = if tls {
        ServeOptions::tls(addr)
    } else {
        ServeOptions::plain(addr)
    };
    let built = serve::build(&options).await.expect("build");
    let addr = built.local_addr;
    let pem = built
        .certificate
        .as_ref()
        .map(|(cert, _)| serve::write_certificate_pem(cert, addr.port()).unwrap());
    let shutdown = built.server.shutdown_handle();
    let task = tokio::spawn(built.server.serve(built.app));
    Running {
        addr,
        pem,
        shutdown,
        task,
    }
}

/// Runs `stator ARGS` with `stdin` as its input, off the runtime's threads.
async fn stator(args: &[&str], stdin: &str) -> Output {
    let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
    let stdin = stdin.to_owned();
    let run = tokio::task::spawn_blocking(move || {
        let mut child = Process::new(env!("CARGO_BIN_EXE_stator"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn stator");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    });
    tokio::time::timeout(LIMIT, run)
        .await
        .expect("stator finished in time")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `stator get` of `/info` with `flags`: the scope the server saw.
async fn info(server: &Running, flags: &[&str]) -> Value {
    let url = server.url("/info");
    let mut args = vec!["get", url.as_str()];
    args.extend_from_slice(flags);
    let out = stator(&args, "").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_over_tls_negotiates_h2_or_uses_http11_when_asked() {
    let server = start(true).await;
    let pem = server.pem().to_owned();
    let auto = info(&server, &["--cacert", &pem]).await;
    assert_eq!(auto["http_version"], "HTTP/2");
    assert_eq!(auto["scheme"], "https");
    let h2 = info(&server, &["--http2", "--cacert", &pem]).await;
    assert_eq!(h2["http_version"], "HTTP/2");
    let h1 = info(&server, &["--http1.1", "--cacert", &pem]).await;
    assert_eq!(h1["http_version"], "HTTP/1.1");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_in_cleartext_http11_or_h2c_prior_knowledge() {
    let server = start(false).await;
    let auto = info(&server, &[]).await;
    assert_eq!(auto["http_version"], "HTTP/1.1");
    let h2c = info(&server, &["--http2"]).await;
    assert_eq!(h2c["http_version"], "HTTP/2");
    assert_eq!(h2c["scheme"], "http");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_with_data_and_from_a_file_echoes_it() {
    let server = start(true).await;
    let pem = server.pem().to_owned();
    let url = server.url("/echo");
    let out = stator(&["get", &url, "-d", "a=1&b=2", "--cacert", &pem], "").await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, b"a=1&b=2");

    // Binary content from a file, over HTTP/1.1 and HTTP/2: the same bytes come back.
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let file = std::env::temp_dir().join(format!("stator-get-data-{}", server.addr.port()));
    std::fs::write(&file, &content).unwrap();
    let at_file = format!("@{}", file.display());
    for version in ["--http1.1", "--http2"] {
        let out = stator(
            &["get", &url, version, "-d", &at_file, "--cacert", &pem],
            "",
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            out.stdout == content,
            "{version}: {} bytes back",
            out.stdout.len()
        );
    }
    let _ = std::fs::remove_file(file);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_prints_the_head_to_stderr_and_any_status_exits_0() {
    let server = start(true).await;
    let pem = server.pem().to_owned();
    let url = server.url("/echo");
    let out = stator(&["get", "-v", &url, "-d", "hi", "--cacert", &pem], "").await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("HTTP/2 200 OK\n"), "{stderr}");
    assert!(
        stderr.contains("content-type: application/x-www-form-urlencoded\n"),
        "{stderr}"
    );
    assert_eq!(out.stdout, b"hi");

    let missing = server.url("/missing");
    let out = stator(&["get", "--http1.1", "-v", &missing, "--cacert", &pem], "").await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("HTTP/1.1 404 Not Found\n"), "{stderr}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_without_cacert_says_to_pass_it() {
    let server = start(true).await;
    for args in [
        vec!["get".to_owned(), server.url("/info")],
        vec!["ws".to_owned(), server.ws_url("/ws")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = stator(&args, "").await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("pass --cacert FILE"), "{stderr}");
    }

    // A PEM file that holds another certificate: the handshake fails, with a hint.
    let other = stator_tokio::tls::Identity::self_signed(["localhost"]).unwrap();
    let file = std::env::temp_dir().join(format!("stator-other-{}.pem", server.addr.port()));
    std::fs::write(&file, other.certificate().pem()).unwrap();
    let url = server.url("/info");
    let out = stator(&["get", &url, "--cacert", file.to_str().unwrap()], "").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("TLS handshake"), "{stderr}");
    assert!(stderr.contains("--cacert"), "{stderr}");
    let _ = std::fs::remove_file(file);
    server.stop().await;
}

/// `stator ws URL` with three lines of input: the echoes, then the close.
async fn ws_echo(server: &Running, flags: &[&str]) -> (Value, String) {
    let url = server.ws_url("/ws?info");
    let mut args = vec!["ws", url.as_str()];
    args.extend_from_slice(flags);
    let out = stator(&args, "one\ntwo words\n\nlast").await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(&lines[1..], ["one", "two words", "", "last"]);
    assert!(stderr.contains("closed with 1000"), "{stderr}");
    (serde_json::from_str(lines[0]).unwrap(), stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_over_tls_uses_http2_extended_connect() {
    let server = start(true).await;
    let pem = server.pem().to_owned();
    let (scope, stderr) = ws_echo(&server, &["--cacert", &pem]).await;
    assert_eq!(scope["type"], "websocket");
    assert_eq!(scope["http_version"], "HTTP/2");
    assert!(
        stderr.starts_with("connected over HTTP/2 (subprotocol none"),
        "{stderr}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_in_cleartext_uses_http11_upgrade() {
    let server = start(false).await;
    let (scope, stderr) = ws_echo(&server, &[]).await;
    assert_eq!(scope["http_version"], "HTTP/1.1");
    assert!(stderr.starts_with("connected over HTTP/1.1 ("), "{stderr}");
    assert!(stderr.contains("permessage-deflate on"), "{stderr}");
    server.stop().await;
}
