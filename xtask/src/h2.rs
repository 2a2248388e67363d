//! HTTP/2 peers nobody here wrote against a stator-h2 server (`crates/h2/examples/
//! h2_server.rs`, cleartext with prior knowledge) over loopback:
//!
//! - nghttp (nghttp2): a GET of `/` whose frame trace must show our SETTINGS with
//!   `ENABLE_CONNECT_PROTOCOL`, and a 1 MB upload to `/echo` echoed byte for byte with
//!   its trailer;
//! - h2load (nghttp2): 10,000 requests over 4 connections, 16 streams each, every one
//!   of which must succeed; the request rate is printed;
//! - `interop/h2_ws_client.py` (python-hyper's h2 + wsproto): WebSocket over HTTP/2
//!   (RFC 8441) on `/ws`, plain and with permessage-deflate.

use crate::cmd::{free_addr, spawn, wait_for};
use crate::interop::Toolbox;
use crate::{Result, cmd, root};

fn check(what: &str, ok: bool, detail: impl FnOnce() -> String) -> Result {
    if ok {
        println!("  ok   {what}");
        Ok(())
    } else {
        Err(format!("{what}: {}", detail()))
    }
}

/// Runs `program args` and returns its standard output and error, failing if it fails.
fn output(program: &str, args: &[&str]) -> Result<(Vec<u8>, String)> {
    println!("+ {program} {}", args.join(" "));
    let out = cmd::new("timeout", &["60", program])
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{program} {}: {}\n{}{err}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok((out.stdout, err))
}

pub(crate) fn run(tb: &Toolbox) -> Result {
    // Release: h2load measures the server, not the debug build's overhead.
    let mut build = cmd::new(
        "cargo",
        &["build", "--release", "--locked", "-p", "stator-h2"],
    );
    build.args(["--example", "h2_server"]);
    cmd::run(&mut build)?;
    let addr = free_addr()?;
    let server = cmd::target_dir().join("release/examples/h2_server");
    let _server = spawn(cmd::new(&server.to_string_lossy(), &[addr.to_string()]))?;
    wait_for(addr)?;
    let base = format!("http://{addr}");

    // nghttp: SETTINGS and a GET (RFC 9113 §3.4, §6.5; RFC 8441 §3).
    let (trace, _) = output("nghttp", &["-v", &format!("{base}/")])?;
    let trace = String::from_utf8_lossy(&trace).into_owned();
    check(
        "nghttp GET / answered over h2c",
        trace.contains(":status: 200") && trace.contains("hello from stator-h2"),
        || trace.clone(),
    )?;
    check(
        "our SETTINGS enable Extended CONNECT",
        trace.contains("SETTINGS_ENABLE_CONNECT_PROTOCOL(0x08):1"),
        || trace.clone(),
    )?;

    // nghttp: an upload echoed back, with a trailer (RFC 9113 §8.1).
    let dir = root().join("target/interop/h2");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let upload = dir.join("upload.bin");
    let data: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&upload, &data).map_err(|e| format!("{}: {e}", upload.display()))?;
    let upload = upload.to_string_lossy().into_owned();
    let echo = format!("{base}/echo");
    let (body, _) = output("nghttp", &["-d", &upload, &echo])?;
    check(
        "nghttp 1 MB upload echoed byte for byte",
        body == data,
        || format!("{} bytes back", body.len()),
    )?;
    let (trace, _) = output("nghttp", &["-v", "-n", "-d", &upload, &echo])?;
    let trace = String::from_utf8_lossy(&trace).into_owned();
    check(
        "nghttp reads the x-echo-length trailer",
        trace.contains("x-echo-length: 1000003"),
        || trace.clone(),
    )?;

    // h2load: 10,000 requests, 4 connections × 16 concurrent streams, all must succeed.
    let (report, _) = output(
        "h2load",
        &["-n", "10000", "-c", "4", "-m", "16", &format!("{base}/")],
    )?;
    let report = String::from_utf8_lossy(&report).into_owned();
    check(
        "h2load: 10000 of 10000 requests succeeded",
        report.contains("10000 succeeded, 0 failed, 0 errored"),
        || report.clone(),
    )?;
    let rate = report
        .lines()
        .find(|l| l.starts_with("finished in"))
        .unwrap_or("finished in ?");
    println!("  h2load {rate}");

    // python-hyper h2 + wsproto: WebSocket over HTTP/2, without and with deflate.
    let python = tb.venv_bin("python").to_string_lossy().into_owned();
    let client = root().join("interop/h2_ws_client.py");
    let client = client.to_string_lossy().into_owned();
    let port = addr.port().to_string();
    let (out, _) = output(&python, &[&client, "--port", &port])?;
    let out = String::from_utf8_lossy(&out).into_owned();
    check(
        "h2 + wsproto: RFC 8441 WebSocket echo and close",
        out.contains("RESULT: OK") && out.contains("server ended the stream"),
        || out.clone(),
    )?;
    let (out, _) = output(&python, &[&client, "--port", &port, "--deflate"])?;
    let out = String::from_utf8_lossy(&out).into_owned();
    check(
        "h2 + wsproto: permessage-deflate over HTTP/2",
        out.contains("RESULT: OK") && out.contains("permessage-deflate:"),
        || out.clone(),
    )?;
    Ok(())
}
