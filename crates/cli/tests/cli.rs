//! The command line: the parser's results and errors, and the `stator` binary's exit
//! statuses, output and graceful stop on SIGINT.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use stator_cli::args::{ArgError, Command, HttpChoice, parse};
use stator_cli::serve::ServeOptions;

fn serve(args: &[&str]) -> ServeOptions {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    match parse(all) {
        Ok(Command::Serve(options)) => options,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[test]
fn serve_defaults_and_flags() {
    assert_eq!(serve(&[]), ServeOptions::default());
    let options = serve(&[
        "--addr",
        "127.0.0.1:9000",
        "--cert",
        "c.pem",
        "--key=k.pem",
        "--root",
        "site",
    ]);
    assert_eq!(options.addr, Some("127.0.0.1:9000".parse().unwrap()));
    assert_eq!(options.cert, Some(PathBuf::from("c.pem")));
    assert_eq!(options.key, Some(PathBuf::from("k.pem")));
    assert_eq!(options.root, Some(PathBuf::from("site")));
    assert!(!options.plain);
    let plain = serve(&["--plain", "--addr=[::1]:0"]);
    assert!(plain.plain);
    assert_eq!(plain.addr, Some("[::1]:0".parse().unwrap()));
}

#[test]
fn serve_errors_name_the_flag() {
    let err = |args: &[&str]| {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        parse(all).unwrap_err()
    };
    assert_eq!(
        err(&["--bogus"]),
        ArgError::UnknownFlag {
            command: "serve",
            flag: "--bogus".into()
        }
    );
    assert_eq!(err(&["--addr"]), ArgError::MissingValue("--addr"));
    assert!(matches!(
        err(&["--addr", "localhost:80"]),
        ArgError::BadValue { what: "--addr", .. }
    ));
    assert!(matches!(
        err(&["--addr", "1.2.3.4"]),
        ArgError::BadValue { .. }
    ));
    assert_eq!(
        err(&["--cert", "c.pem"]),
        ArgError::Conflict("--cert needs --key")
    );
    assert_eq!(
        err(&["--key", "k.pem"]),
        ArgError::Conflict("--key needs --cert")
    );
    assert!(matches!(
        err(&["--plain", "--cert", "c", "--key", "k"]),
        ArgError::Conflict(_)
    ));
    assert!(matches!(
        err(&["--plain=yes"]),
        ArgError::UnknownFlag { .. }
    ));
    assert!(matches!(err(&["extra"]), ArgError::UnknownFlag { .. }));
}

#[test]
fn get_and_ws_arguments() {
    let Ok(Command::Get(get)) = parse([
        "get",
        "https://localhost:8443/info",
        "--http2",
        "-v",
        "-d",
        "x=1",
        "--cacert",
        "dev.pem",
    ]) else {
        panic!("a get command");
    };
    assert_eq!(get.url, "https://localhost:8443/info");
    assert_eq!(get.version, HttpChoice::Http2);
    assert!(get.verbose);
    assert_eq!(get.data.as_deref(), Some("x=1"));
    assert_eq!(get.cacert.as_deref(), Some(std::path::Path::new("dev.pem")));
    let Ok(Command::Get(get)) = parse(["get", "--http1.1", "http://127.0.0.1:8080/"]) else {
        panic!("a get command");
    };
    assert_eq!(get.version, HttpChoice::Http11);
    assert!(!get.verbose);
    assert_eq!(get.cacert, None);
    let Ok(Command::Ws(ws)) = parse(["ws", "wss://localhost:8443/ws", "--cacert=dev.pem"]) else {
        panic!("a ws command");
    };
    assert_eq!(ws.url, "wss://localhost:8443/ws");
    assert_eq!(ws.cacert.as_deref(), Some(std::path::Path::new("dev.pem")));
    assert_eq!(
        parse(["ws", "wss://a/ws", "--cacert"]).unwrap_err(),
        ArgError::MissingValue("--cacert")
    );

    assert_eq!(parse(["get"]).unwrap_err(), ArgError::MissingUrl("get"));
    assert_eq!(parse(["ws"]).unwrap_err(), ArgError::MissingUrl("ws"));
    assert!(matches!(
        parse(["get", "--http1.1", "--http2", "http://a/"]).unwrap_err(),
        ArgError::Conflict(_)
    ));
    assert!(matches!(
        parse(["get", "ftp://a/"]).unwrap_err(),
        ArgError::BadValue { what: "URL", .. }
    ));
    assert!(matches!(
        parse(["get", "/relative"]).unwrap_err(),
        ArgError::BadValue { .. }
    ));
    assert!(matches!(
        parse(["ws", "https://a/ws", "wss://b/ws"]).unwrap_err(),
        ArgError::Unexpected(_)
    ));
    assert_eq!(
        parse(["get", "http://a/", "-d"]).unwrap_err(),
        ArgError::MissingValue("-d")
    );
    assert!(matches!(
        parse(["ws", "-x", "ws://a/"]).unwrap_err(),
        ArgError::UnknownFlag { command: "ws", .. }
    ));
}

#[test]
fn top_level() {
    assert_eq!(
        parse(Vec::<String>::new()).unwrap_err(),
        ArgError::MissingCommand
    );
    assert_eq!(
        parse(["launch"]).unwrap_err(),
        ArgError::UnknownCommand("launch".into())
    );
    assert_eq!(parse(["--help"]).unwrap(), Command::Help);
    assert_eq!(parse(["serve", "--bogus", "-h"]).unwrap(), Command::Help);
    assert_eq!(parse(["help"]).unwrap(), Command::Help);
    assert_eq!(parse(["--version"]).unwrap(), Command::Version);
}

fn stator(args: &[&str]) -> std::process::Output {
    Process::new(env!("CARGO_BIN_EXE_stator"))
        .args(args)
        .output()
        .expect("run stator")
}

#[test]
fn the_binary_exits_2_on_bad_arguments_and_0_on_help() {
    let help = stator(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("stator serve [--addr ADDR]"));

    for (args, says) in [
        (&[][..], "no command given"),
        (&["serve", "--bogus"][..], "has no option \"--bogus\""),
        (&["serve", "--cert", "c.pem"][..], "--cert needs --key"),
        (&["get"][..], "needs a URL"),
    ] {
        let out = stator(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stderr.contains("stator --help"), "{args:?}: {stderr}");
    }
}

#[test]
fn get_and_ws_without_a_server_fail_with_status_1() {
    for args in [
        &["get", "http://127.0.0.1:1/"][..],
        &["ws", "ws://127.0.0.1:1/ws"][..],
    ] {
        let out = stator(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("connect to 127.0.0.1:1"), "{stderr}");
    }
}

#[test]
fn unreadable_inputs_are_argument_errors() {
    for (args, says) in [
        (
            &[
                "get",
                "https://127.0.0.1:1/",
                "--cacert",
                "/nonexistent.pem",
            ][..],
            "--cacert /nonexistent.pem",
        ),
        (
            &["get", "http://127.0.0.1:1/", "-d", "@/nonexistent"][..],
            "-d @/nonexistent",
        ),
    ] {
        let out = stator(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn a_missing_certificate_file_fails_to_start() {
    let out = stator(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--cert",
        "/nonexistent/c.pem",
        "--key",
        "/nonexistent/k.pem",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("/nonexistent/c.pem"), "{stderr}");
}

/// `stator serve --plain` prints its URLs, serves, and stops gracefully on SIGINT.
#[cfg(unix)]
#[test]
fn serve_prints_urls_serves_and_stops_on_sigint() {
    use std::io::{Read, Write};

    let mut child = Process::new(env!("CARGO_BIN_EXE_stator"))
        .args(["serve", "--plain", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn stator serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !banner.contains("Ctrl-C stops the server") {
        assert!(Instant::now() < deadline, "no banner: {banner}");
        let mut line = String::new();
        let read = stdout.read_line(&mut line).unwrap();
        assert!(read > 0, "stator serve exited: {banner}");
        banner.push_str(&line);
    }
    let origin = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://localhost:") && w.ends_with('/'))
        .expect("the URL to open");
    let port: u16 = origin
        .trim_start_matches("http://localhost:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    assert!(banner.contains(&format!("ws://localhost:{port}/ws")));
    assert!(banner.contains("--http2-prior-knowledge"));

    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(b"GET /info HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("\"http_version\":\"HTTP/1.1\""),
        "{response}"
    );

    let status = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("shutting down"), "{rest}");
    assert!(rest.contains("stopped"), "{rest}");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
