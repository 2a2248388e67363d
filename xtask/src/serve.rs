//! `stator serve` (the release binary of `crates/cli`) against real third-party peers over
//! loopback: one instance with TLS and the certificate it generates, one with `--plain`.
//!
//! - curl: HTTP/1.1 and HTTP/2 over TLS (trusting the PEM the server printed), HTTP/1.1
//!   and h2c prior knowledge in cleartext; `/info`'s JSON says which version carried
//!   each request; a 1 MB upload is counted by `/info` and echoed by `/echo` byte for
//!   byte in every mode;
//! - nghttp: `/info` over TLS (ALPN h2) and h2c, our SETTINGS enabling Extended CONNECT,
//!   and a 1 MB echo;
//! - Python `websockets` (`interop/ws_client.py`): WebSocket over HTTP/1.1, ws and wss,
//!   with and without permessage-deflate, `/ws?info` saying HTTP/1.1;
//! - python-hyper h2 + wsproto (`interop/h2_ws_client.py`): WebSocket over HTTP/2
//!   (RFC 8441) over TLS and h2c, with and without deflate, `/ws?info` saying HTTP/2 and
//!   CONNECT;
//! - the Autobahn cases (kosoku's fuzzingclient) against the cleartext `/ws`, judged
//!   against the stator-ws harness's `interop/autobahn/expected-server.json`;
//! - headless Chromium (Debian's package, driven by playwright-core from
//!   `interop/package.json`) loads the page over HTTPS trusting only the printed SPKI
//!   hash: its WebSocket must arrive over HTTP/2 by Extended CONNECT, as the scope JSON
//!   the server sent the page and the server's own log both say; with `--disable-http2`
//!   it must arrive over HTTP/1.1.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cmd::{Guard, free_addr, spawn, wait_for};
use crate::interop::{AptTool, Toolbox, ensure_apt};
use crate::{Result, autobahn, cmd, root};

/// What this suite needs beyond the common toolbox.
const APT: &[AptTool] = &[AptTool {
    package: "chromium",
    program: "chromium",
    version_args: &["--version"],
}];

fn check(what: &str, ok: bool, detail: impl FnOnce() -> String) -> Result {
    if ok {
        println!("  ok   {what}");
        Ok(())
    } else {
        Err(format!("{what}: {}", detail()))
    }
}

/// Runs `program args` (bounded by `timeout`) with `env` and returns its standard output,
/// failing if it fails.
fn output(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<Vec<u8>> {
    println!("+ {program} {}", args.join(" "));
    let out = cmd::new("timeout", &["120", program])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {}: {}\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(what: &str, s: &str) -> Result<Value> {
    serde_json::from_str(s.trim()).map_err(|e| format!("{what}: not JSON ({e}): {s}"))
}

/// A string field of a JSON object, or "" (the check that uses it then says what came).
fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The line of `out` after `prefix` (`SCOPE: {...}`), parsed as JSON.
fn tagged_json(out: &str, prefix: &str) -> Result<Value> {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .ok_or_else(|| format!("no {prefix} line in:\n{out}"))?;
    json(prefix, line)
}

/// A running `stator serve`, killed on drop, with what its banner said.
struct Serve {
    _process: Guard,
    addr: SocketAddr,
    /// Its stderr: the `tracing` log, one line per request and WebSocket session.
    log: PathBuf,
    /// TLS only: the PEM file of the generated certificate and its SPKI SHA-256 (base64).
    pem: Option<PathBuf>,
    spki: Option<String>,
}

impl Serve {
    fn start(binary: &Path, dir: &Path, name: &str, plain: bool) -> Result<Serve> {
        let addr = free_addr()?;
        let out_path = dir.join(format!("{name}.out"));
        let log = dir.join(format!("{name}.log"));
        let create = |p: &Path| File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        let mut c = cmd::new(
            &binary.to_string_lossy(),
            &["serve", "--addr", &addr.to_string()],
        );
        if plain {
            c.arg("--plain");
        }
        c.env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(create(&out_path)?)
            .stderr(create(&log)?);
        let process = spawn(c)?;
        // The banner's last line is printed once the listener is bound.
        let deadline = Instant::now() + Duration::from_secs(30);
        let banner = loop {
            let banner = std::fs::read_to_string(&out_path).unwrap_or_default();
            if banner.contains("Ctrl-C stops the server") {
                break banner;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "stator serve printed no banner in 30 s; stdout:\n{banner}\nstderr:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        print!("{banner}");
        wait_for(addr)?;
        let after = |label: &str| {
            banner
                .lines()
                .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
        };
        let (pem, spki) = if plain {
            (None, None)
        } else {
            let pem =
                after("PEM").ok_or_else(|| format!("no PEM line in the banner:\n{banner}"))?;
            let spki = after("SPKI SHA-256")
                .ok_or_else(|| format!("no SPKI line in the banner:\n{banner}"))?;
            (Some(PathBuf::from(pem)), Some(spki))
        };
        Ok(Serve {
            _process: process,
            addr,
            log,
            pem,
            spki,
        })
    }

    fn port(&self) -> String {
        self.addr.port().to_string()
    }

    fn log_len(&self) -> usize {
        std::fs::read(&self.log).map_or(0, |b| b.len())
    }

    /// What the server logged since `from` (a [`Serve::log_len`]).
    fn log_since(&self, from: usize) -> Result<String> {
        let all = std::fs::read(&self.log).map_err(|e| format!("{}: {e}", self.log.display()))?;
        Ok(text(all.get(from..).unwrap_or_default()))
    }
}

pub(crate) fn run(tb: &Toolbox) -> Result {
    ensure_apt(APT)?;
    let node_modules = ensure_node()?;
    println!("serve suite peers:");
    println!(
        "  {:<16} {}",
        "chromium",
        cmd::version("chromium", &["--version"])
    );
    println!("  {:<16} {}", "node", cmd::version("node", &["--version"]));
    println!(
        "  {:<16} {}",
        "playwright-core",
        playwright_version(&node_modules)?
    );

    cmd::run(&mut cmd::new(
        "cargo",
        &["build", "--release", "--locked", "-p", "stator-cli"],
    ))?;
    let binary = cmd::target_dir().join("release/stator");
    let dir = root().join("target/interop/serve");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tls = Serve::start(&binary, &dir, "tls", false)?;
    let plain = Serve::start(&binary, &dir, "plain", true)?;

    curl(&tls, &plain, &dir)?;
    nghttp(&tls, &plain, &dir)?;
    websockets(tb, &tls, &plain)?;
    h2_websockets(tb, &tls, &plain)?;
    chromium(&tls, &node_modules)?;
    autobahn(tb, &plain, &dir)?;
    Ok(())
}

/// Installs the pinned `interop/package.json` under `target/interop/node` unless it is
/// there already; returns its `node_modules`.
fn ensure_node() -> Result<PathBuf> {
    let wanted = cmd::read(&root().join("interop/package.json"))?;
    let dir = root().join("target/interop/node");
    let manifest = dir.join("package.json");
    let modules = dir.join("node_modules");
    if std::fs::read_to_string(&manifest).is_ok_and(|s| s == wanted)
        && modules.join("playwright-core/package.json").is_file()
    {
        return Ok(modules);
    }
    if !cmd::exists("npm") {
        ensure_apt(&[AptTool {
            package: "npm",
            program: "npm",
            version_args: &["--version"],
        }])?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(&manifest, &wanted).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut install = cmd::new(
        "npm",
        &["install", "--no-audit", "--no-fund", "--no-package-lock"],
    );
    // playwright-core drives the system's Chromium; it never downloads a browser.
    install
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    cmd::run(&mut install)?;
    Ok(modules)
}

fn playwright_version(node_modules: &Path) -> Result<String> {
    let path = node_modules.join("playwright-core/package.json");
    let manifest = json(&path.display().to_string(), &cmd::read(&path)?)?;
    Ok(field(&manifest, "version").to_owned())
}

/// A 1,000,003-byte upload that is not a repeating pattern.
fn upload_file(dir: &Path) -> Result<(PathBuf, Vec<u8>)> {
    let path = dir.join("upload.bin");
    let data: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&path, &data).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path, data))
}

fn curl(tls: &Serve, plain: &Serve, dir: &Path) -> Result {
    let pem = tls.pem.as_deref().ok_or("the TLS server printed no PEM")?;
    let pem = pem.to_string_lossy().into_owned();
    let tls_port = tls.port();
    let resolve = format!("localhost:{tls_port}:127.0.0.1");
    let https = format!("https://localhost:{tls_port}");
    let http = format!("http://{}", plain.addr);
    let (upload, data) = upload_file(dir)?;
    let at_upload = format!("@{}", upload.display());
    // (what, curl options, base URL, HTTP version and scheme /info must report)
    let modes: [(&str, Vec<&str>, &str, &str, &str); 4] = [
        (
            "HTTP/1.1 over TLS",
            vec!["--cacert", &pem, "--resolve", &resolve, "--http1.1"],
            &https,
            "HTTP/1.1",
            "https",
        ),
        (
            "HTTP/2 over TLS (ALPN)",
            vec!["--cacert", &pem, "--resolve", &resolve, "--http2"],
            &https,
            "HTTP/2",
            "https",
        ),
        (
            "cleartext HTTP/1.1",
            vec!["--http1.1"],
            &http,
            "HTTP/1.1",
            "http",
        ),
        (
            "h2c prior knowledge",
            vec!["--http2-prior-knowledge"],
            &http,
            "HTTP/2",
            "http",
        ),
    ];
    for (what, options, base, version, scheme) in &modes {
        let run = |extra: &[&str]| {
            let mut args = vec!["-sS", "--fail", "--max-time", "30"];
            args.extend(options.iter().copied());
            args.extend(extra);
            output("curl", &args, &[])
        };
        let info_url = format!("{base}/info");
        let info = text(&run(&[&info_url])?);
        let scope = json("/info", &info)?;
        check(
            &format!("curl {what}: /info says {version}, {scheme}"),
            field(&scope, "http_version") == *version && field(&scope, "scheme") == *scheme,
            || info.clone(),
        )?;
        let info = text(&run(&[
            "--data-binary",
            &at_upload,
            "-H",
            "content-type: application/octet-stream",
            &info_url,
        ])?);
        let scope = json("/info", &info)?;
        check(
            &format!("curl {what}: 1 MB upload counted by /info"),
            scope.get("content_received").and_then(Value::as_u64) == Some(1_000_003)
                && field(&scope, "http_version") == *version,
            || info.clone(),
        )?;
        let body = run(&[
            "--data-binary",
            &at_upload,
            "-H",
            "content-type: application/octet-stream",
            &format!("{base}/echo"),
        ])?;
        check(
            &format!("curl {what}: 1 MB echoed byte for byte by /echo"),
            body == data,
            || format!("{} bytes back", body.len()),
        )?;
    }
    Ok(())
}

fn nghttp(tls: &Serve, plain: &Serve, dir: &Path) -> Result {
    // nghttp verifies no certificate; curl and the Python clients above do.
    let https = format!("https://127.0.0.1:{}", tls.port());
    let http = format!("http://{}", plain.addr);
    let (upload, data) = upload_file(dir)?;
    let upload = upload.to_string_lossy().into_owned();
    for (what, base, scheme) in [("TLS (ALPN h2)", &https, "https"), ("h2c", &http, "http")] {
        let info = text(&output("nghttp", &[&format!("{base}/info")], &[])?);
        let scope = json("/info", &info)?;
        check(
            &format!("nghttp {what}: /info says HTTP/2, {scheme}"),
            field(&scope, "http_version") == "HTTP/2" && field(&scope, "scheme") == scheme,
            || info.clone(),
        )?;
        let trace = text(&output(
            "nghttp",
            &["-v", "-n", &format!("{base}/info")],
            &[],
        )?);
        check(
            &format!("nghttp {what}: our SETTINGS enable Extended CONNECT"),
            trace.contains("SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1"),
            || trace.clone(),
        )?;
        let body = output("nghttp", &["-d", &upload, &format!("{base}/echo")], &[])?;
        check(
            &format!("nghttp {what}: 1 MB echoed byte for byte"),
            body == data,
            || format!("{} bytes back", body.len()),
        )?;
    }
    Ok(())
}

/// The checks on a `/ws?info` scope: the version and method that carried the WebSocket.
fn ws_scope_ok(scope: &Value, version: &str, method: &str, scheme: &str) -> bool {
    field(scope, "type") == "websocket"
        && field(scope, "http_version") == version
        && field(scope, "method") == method
        && field(scope, "scheme") == scheme
}

fn websockets(tb: &Toolbox, tls: &Serve, plain: &Serve) -> Result {
    let python = tb.venv_bin("python").to_string_lossy().into_owned();
    let client = root().join("interop/ws_client.py");
    let client = client.to_string_lossy().into_owned();
    let pem = tls.pem.as_deref().ok_or("the TLS server printed no PEM")?;
    let pem = pem.to_string_lossy().into_owned();
    let wss = format!("wss://localhost:{}/ws?info", tls.port());
    let ws = format!("ws://{}/ws?info", plain.addr);
    for (url, scheme) in [(&ws, "ws"), (&wss, "wss")] {
        for deflate in [false, true] {
            let mut args = vec![client.as_str(), url.as_str()];
            if scheme == "wss" {
                args.extend(["--ca-certs", &pem]);
            }
            if !deflate {
                args.push("--no-deflate");
            }
            let out = text(&output(&python, &args, &[])?);
            let scope = tagged_json(&out, "SCOPE: ")?;
            let extensions = out
                .lines()
                .find_map(|l| l.strip_prefix("EXTENSIONS:"))
                .unwrap_or_default();
            let what = format!(
                "websockets {scheme}:// {} permessage-deflate",
                if deflate { "with" } else { "without" }
            );
            check(
                &format!("{what}: 14 echoes up to 1 MB, close 1000"),
                out.contains("RESULT: OK"),
                || out.clone(),
            )?;
            check(
                &format!("{what}: deflate negotiated as offered"),
                extensions.contains("permessage-deflate") == deflate,
                || out.clone(),
            )?;
            check(
                &format!("{what}: /ws?info says HTTP/1.1 GET, {scheme}"),
                ws_scope_ok(&scope, "HTTP/1.1", "GET", scheme),
                || scope.to_string(),
            )?;
        }
    }
    Ok(())
}

fn h2_websockets(tb: &Toolbox, tls: &Serve, plain: &Serve) -> Result {
    let python = tb.venv_bin("python").to_string_lossy().into_owned();
    let client = root().join("interop/h2_ws_client.py");
    let client = client.to_string_lossy().into_owned();
    let pem = tls.pem.as_deref().ok_or("the TLS server printed no PEM")?;
    let pem = pem.to_string_lossy().into_owned();
    let tls_port = tls.port();
    let plain_port = plain.port();
    for (what, scheme, base) in [
        (
            "TLS (ALPN h2)",
            "wss",
            vec!["--port", &tls_port, "--tls", "--ca-certs", &pem],
        ),
        ("h2c", "ws", vec!["--port", &plain_port]),
    ] {
        for deflate in [false, true] {
            let mut args = vec![client.as_str(), "--info"];
            args.extend(base.iter().copied());
            if deflate {
                args.push("--deflate");
            }
            let out = text(&output(&python, &args, &[])?);
            let what = format!(
                "h2 + wsproto {what} {} permessage-deflate",
                if deflate { "with" } else { "without" }
            );
            check(
                &format!("{what}: RFC 8441 echo and close"),
                out.contains("RESULT: OK")
                    && out.contains("server ended the stream")
                    && out.contains("permessage-deflate:") == deflate,
                || out.clone(),
            )?;
            let scope = tagged_json(&out, "SCOPE: ")?;
            check(
                &format!("{what}: /ws?info says HTTP/2 CONNECT, {scheme}"),
                ws_scope_ok(&scope, "HTTP/2", "CONNECT", scheme),
                || scope.to_string(),
            )?;
        }
    }
    Ok(())
}

fn chromium(tls: &Serve, node_modules: &Path) -> Result {
    let spki = tls
        .spki
        .as_deref()
        .ok_or("the TLS server printed no SPKI hash")?;
    let script = root().join("interop/chromium_page.js");
    let script = script.to_string_lossy().into_owned();
    let url = format!("https://localhost:{}/", tls.port());
    let spki_flag = format!("--ignore-certificate-errors-spki-list={spki}");
    let node_path = node_modules.to_string_lossy().into_owned();
    // (what, extra flag, version, method of the WebSocket request, ALPN in CDP, WebSocket
    // handshake status in CDP)
    let runs = [
        ("HTTP/2", None, "HTTP/2", "CONNECT", "h2", 200),
        (
            "HTTP/2 disabled",
            Some("--disable-http2"),
            "HTTP/1.1",
            "GET",
            "http/1.1",
            101,
        ),
    ];
    for (what, extra, version, method, alpn, status) in runs {
        let mut args = vec![
            script.as_str(),
            url.as_str(),
            spki_flag.as_str(),
            "--host-resolver-rules=MAP localhost 127.0.0.1",
        ];
        args.extend(extra);
        let from = tls.log_len();
        let out = text(&output("node", &args, &[("NODE_PATH", &node_path)])?);
        let seen = tagged_json(&out, "RESULT: ")?;
        let what = format!("chromium ({what})");
        check(
            &format!("{what}: page loaded over {version}"),
            field(&seen, "pageVersion") == version
                && seen
                    .pointer("/responses/0/protocol")
                    .and_then(Value::as_str)
                    == Some(alpn),
            || out.clone(),
        )?;
        let row = seen
            .get("rows")
            .and_then(Value::as_array)
            .and_then(|rows| rows.iter().find(|r| field(r, "id") == "ws"))
            .ok_or_else(|| format!("{what}: the page has no WebSocket row:\n{out}"))?;
        check(
            &format!("{what}: the page's WebSocket echo passed, via {version}"),
            field(row, "state") == "ok" && field(row, "via") == version,
            || out.clone(),
        )?;
        // The scope JSON the server sent over that WebSocket (`/ws?info`), as logged.
        let page_log = field(&seen, "log");
        let scope = page_log
            .lines()
            .find_map(|l| l.strip_prefix("WebSocket scope: "))
            .ok_or_else(|| format!("{what}: no WebSocket scope in the page log:\n{out}"))
            .and_then(|s| json("the page's WebSocket scope", s))?;
        check(
            &format!("{what}: the server's session scope says {version} {method}, wss"),
            ws_scope_ok(&scope, version, method, "wss"),
            || scope.to_string(),
        )?;
        let cdp_status = seen.pointer("/webSockets/0/status").and_then(Value::as_u64);
        check(
            &format!("{what}: Chromium saw the handshake answered {status}"),
            cdp_status == Some(status),
            || out.clone(),
        )?;
        // The server's own log of the session, written before it answered.
        let log = tls.log_since(from)?;
        let want = format!("version=\"{version}\"");
        check(
            &format!("{what}: the server logged the WebSocket session as {version}"),
            log.lines()
                .any(|l| l.contains(" websocket ") && l.contains(&want)),
            || log.clone(),
        )?;
    }
    Ok(())
}

/// Cases whose Autobahn verdict is NON-STRICT when a message is followed, in the same
/// read, by a frame that fails the connection: "echo for the first message is received,
/// but then connection is failed immediately". The stator-ws harness echoes inline, before
/// it decodes the next frame (OK); behind stator-tokio the echo is the session's, which
/// runs after the driver has decoded the bad frame and failed the connection at once, so
/// the echo never leaves (NON-STRICT, which Autobahn counts as a pass). Either verdict is
/// accepted for these cases; every other case must match exactly.
const ECHO_RACES: &[&str] = &[
    "3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15",
];

fn autobahn(tb: &Toolbox, plain: &Serve, dir: &Path) -> Result {
    let out = dir.join("autobahn");
    let _ = std::fs::remove_dir_all(&out);
    let kosoku = tb.venv_bin("kosoku");
    let mut client = cmd::new(
        &kosoku.to_string_lossy(),
        &["-m", "fuzzingclient", "-p", "2", "-o"],
    );
    client.arg(&out).arg(format!("ws://{}/ws", plain.addr));
    // The exit code counts UNIMPLEMENTED as failed: the verdicts are judged below.
    let _ = cmd::run(&mut client);
    let mut got = autobahn::verdicts(&out)?;
    println!("\nstator serve /ws (kosoku fuzzingclient -> stator serve --plain):");
    autobahn::print_summary(&got);
    let expected = autobahn::read_expected(&root().join("interop/autobahn/expected-server.json"))?;
    let mut races = Vec::new();
    for id in ECHO_RACES {
        if let Some(v) = got.get_mut(*id)
            && v.0 == "NON-STRICT"
            && expected.get(*id).is_some_and(|e| e.0 == "OK" && e.1 == v.1)
        {
            races.push(*id);
            "OK".clone_into(&mut v.0);
        }
    }
    if !races.is_empty() {
        println!(
            "  NON-STRICT where the harness is OK (the echo before a failing frame, see ECHO_RACES): {}",
            races.join(", ")
        );
    }
    let problems = autobahn::compare("stator serve", &expected, &got);
    for p in &problems {
        eprintln!("  {p}");
    }
    check(
        "autobahn: 517 cases as the stator-ws harness (expected-server.json)",
        problems.is_empty(),
        || {
            format!(
                "{} case(s) differ (reports in {})",
                problems.len(),
                out.display()
            )
        },
    )
}
