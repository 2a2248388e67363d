//! curl, a client nobody here wrote, against a stator-h1 server (`crates/h1/examples/
//! echo_server.rs`) over loopback: keep-alive, chunked content both ways with a trailer,
//! `Expect: 100-continue`, HEAD, HTTP/1.0 and a 404. Each check states what curl must see.

use std::path::Path;

use crate::cmd::{free_addr, spawn, wait_for};
use crate::interop::Toolbox;
use crate::{Result, cmd, root};

/// Runs curl with `args` and returns its standard output and error (curl's `-v` and `-w`
/// write there), failing if curl fails.
fn curl(args: &[&str]) -> Result<(Vec<u8>, String)> {
    let mut c = cmd::new("curl", &["-sS", "--max-time", "20"]);
    c.args(args);
    println!("+ curl -sS {}", args.join(" "));
    let out = c.output().map_err(|e| format!("curl: {e}"))?;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(format!("curl {}: {}\n{err}", args.join(" "), out.status));
    }
    Ok((out.stdout, err))
}

fn check(what: &str, ok: bool, detail: impl FnOnce() -> String) -> Result {
    if ok {
        println!("  ok   {what}");
        Ok(())
    } else {
        Err(format!("{what}: {}", detail()))
    }
}

pub(crate) fn run(_tb: &Toolbox) -> Result {
    let mut build = cmd::new("cargo", &["build", "--locked", "-p", "stator-h1"]);
    build.args(["--example", "echo_server"]);
    cmd::run(&mut build)?;
    let addr = free_addr()?;
    let server = cmd::target_dir().join("debug/examples/echo_server");
    let _server = spawn(cmd::new(&server.to_string_lossy(), &[addr.to_string()]))?;
    wait_for(addr)?;
    let base = format!("http://{addr}");
    let root_url = format!("{base}/");
    let echo = format!("{base}/echo");

    // Keep-alive: two requests in one invocation reuse the connection (RFC 9112 §9.3).
    let (body, _) = curl(&["--http1.1", &root_url, &root_url, "-w", "[%{num_connects}]"])?;
    let body = String::from_utf8_lossy(&body);
    check(
        "two GETs on one persistent connection",
        body == "hello from stator-h1\n[1]hello from stator-h1\n[0]",
        || body.to_string(),
    )?;

    // Chunked upload and chunked echo with a trailer (RFC 9112 §7.1, §7.1.2).
    let dir = root().join("target/interop/curl");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let upload = dir.join("upload.bin");
    let data: Vec<u8> = (0..1_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    write(&upload, &data)?;
    let at_upload = format!("@{}", upload.display());
    let dump = dir.join("headers.txt");
    let dump_arg = dump.to_string_lossy().into_owned();
    let (body, err) = curl(&[
        "--http1.1",
        "-v",
        "-D",
        &dump_arg,
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &at_upload,
        &echo,
    ])?;
    // curl writes trailer fields into its header dump, after the head's fields.
    let dump = cmd::read(&dump)?;
    check(
        "1 MB chunked upload echoed back byte for byte",
        body == data,
        || format!("{} bytes back", body.len()),
    )?;
    check(
        "the echo is chunked",
        err.contains("< transfer-encoding: chunked"),
        || err.clone(),
    )?;
    check(
        "curl reads the trailer",
        dump.contains("x-echo-length: 1000003"),
        || dump.clone(),
    )?;

    // Expect: 100-continue (RFC 9110 §10.1.1): the content waits for the 100.
    let (body, err) = curl(&[
        "--http1.1",
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &at_upload,
        &echo,
    ])?;
    check(
        "100 Continue before the final response",
        err.contains("< HTTP/1.1 100 Continue"),
        || err.clone(),
    )?;
    check("content after 100-continue echoed", body == data, || {
        format!("{} bytes back", body.len())
    })?;

    // HEAD: the head of the GET, no content (RFC 9110 §9.3.2).
    let (body, err) = curl(&["--http1.1", "-v", "-I", &root_url])?;
    let head = String::from_utf8_lossy(&body);
    check(
        "HEAD gives the GET's Content-Length",
        head.contains("content-length: 21"),
        || head.to_string(),
    )?;
    check("HEAD has no content", !err.contains("Excess found"), || {
        err.clone()
    })?;

    // An HTTP/1.0 client.
    let (body, err) = curl(&["--http1.0", "-v", &root_url])?;
    check(
        "HTTP/1.0 request answered",
        body == b"hello from stator-h1\n",
        || String::from_utf8_lossy(&body).into_owned(),
    )?;
    check(
        "answered as HTTP/1.1 (RFC 9110 §2.5)",
        err.contains("< HTTP/1.1 200 OK"),
        || err.clone(),
    )?;

    let (_, err) = curl(&["--http1.1", "-v", &format!("{base}/missing")])?;
    check(
        "unknown path is 404",
        err.contains("< HTTP/1.1 404 Not Found"),
        || err.clone(),
    )?;
    Ok(())
}

fn write(path: &Path, data: &[u8]) -> Result {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}
