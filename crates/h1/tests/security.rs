//! Every request-smuggling vector and every limit, one test each (DESIGN.md §6), with the
//! advisory that inspired it where there is one. A server answers each with its status
//! and `Connection: close`, and closes.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;
use stator_h1::{Connection, Event, Limits, Role, Violation};
use stator_http::body::ContentLengthError;

/// Feeds `input` to a server and asserts the exact violation, the status line it answers
/// with, that it closes, and that nothing after the error is reported.
fn refused_with(limits: Limits, input: &[u8], violation: Violation, status: &str) {
    let (mut server, ev) = serve_with(limits, input);
    let errors: Vec<_> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{ev:?}");
    assert_eq!(
        errors[0].violation,
        violation,
        "{}",
        String::from_utf8_lossy(input)
    );
    assert!(!ev.iter().any(|e| matches!(e, Event::Request(_))), "{ev:?}");
    let out = output(&mut server);
    assert_eq!(status_line(&out), status);
    assert!(String::from_utf8_lossy(&out).contains("connection: close\r\n"));
    assert!(server.wants_close());
    // Sticky: later input and sends change nothing.
    server.recv(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(server.poll_event().is_none());
    let err = server
        .send_response(&res(200, &[]), stator_h1::BodySize::Empty)
        .unwrap_err();
    assert_eq!(err.remote().map(|e| e.violation), Some(violation));
}

fn refused(input: &[u8], violation: Violation) {
    refused_with(
        Limits::default(),
        input,
        violation,
        "HTTP/1.1 400 Bad Request",
    );
}

/// A POST with these extra field lines and this content.
fn post(fields: &str, body: &str) -> Vec<u8> {
    format!("POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n{body}").into_bytes()
}

// ---- Content-Length and Transfer-Encoding (RFC 9112 §6) ----------------------------------

#[test]
fn content_length_with_a_sign_rustsec_2021_0078() {
    // hyper accepted `+3` (CVE-2021-32715); a proxy that reads it differently desyncs.
    refused(
        &post("Content-Length: +3\r\n", "abc"),
        Violation::ContentLength(ContentLengthError::NotADigit),
    );
}

#[test]
fn content_length_and_transfer_encoding() {
    // The classic CL.TE / TE.CL desync (RFC 9112 §6.1, §11.2).
    refused(
        &post(
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "0\r\n\r\n",
        ),
        Violation::ContentLengthAndTransferEncoding,
    );
}

#[test]
fn several_different_content_lengths() {
    refused(
        &post("Content-Length: 3\r\nContent-Length: 4\r\n", "abcd"),
        Violation::ContentLength(ContentLengthError::Conflicting),
    );
    refused(
        &post("Content-Length: 3, 4\r\n", "abcd"),
        Violation::ContentLength(ContentLengthError::Conflicting),
    );
    // Identical values are one value (RFC 9112 §6.3 item 5).
    let (_, ev) = serve(&post(
        "Content-Length: 3\r\nContent-Length: 3, 3\r\n",
        "abc",
    ));
    assert_eq!(kinds(&ev), ["Request", "Data", "End"]);
}

#[test]
fn content_length_not_a_number() {
    for value in ["0x10", "1 2", "-1", "", "1e3"] {
        let input = post(&format!("Content-Length: {value}\r\n"), "");
        let (_, ev) = serve(&input);
        assert!(
            matches!(&ev[..], [Event::Error(e)] if matches!(e.violation, Violation::ContentLength(_))),
            "{value:?}: {ev:?}"
        );
    }
}

#[test]
fn transfer_encoding_whose_final_coding_is_not_chunked() {
    // RFC 9112 §6.3 item 4: the length cannot be determined: 400 and close.
    refused(
        &post("Transfer-Encoding: chunked, gzip\r\n", ""),
        Violation::ChunkedNotFinal,
    );
    refused(
        &post("Transfer-Encoding: identity\r\n", ""),
        Violation::ChunkedNotFinal,
    );
}

#[test]
fn unknown_transfer_coding_is_501() {
    refused_with(
        Limits::default(),
        &post("Transfer-Encoding: foo, chunked\r\n", "0\r\n\r\n"),
        Violation::UnsupportedTransferCoding,
        "HTTP/1.1 501 Not Implemented",
    );
}

#[test]
fn transfer_encoding_split_over_lines_cve_2022_32215() {
    // llhttp mishandled multi-line Transfer-Encoding; both lines count (RFC 9110 §5.3).
    refused(
        &post(
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
            "",
        ),
        Violation::ChunkedNotFinal,
    );
    refused(
        &post(
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "",
        ),
        Violation::ChunkedTwice,
    );
}

#[test]
fn malformed_transfer_encoding_cve_2022_32213() {
    // llhttp accepted malformed Transfer-Encoding values.
    refused(
        &post("Transfer-Encoding: chunked;x=1\r\n", ""),
        Violation::InvalidTransferEncoding,
    );
    refused(
        &post("Transfer-Encoding: \"chunked\"\r\n", ""),
        Violation::InvalidTransferEncoding,
    );
    refused(
        &post("Transfer-Encoding: ,\r\n", ""),
        Violation::InvalidTransferEncoding,
    );
}

#[test]
fn transfer_encoding_in_http10() {
    refused(
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        Violation::TransferEncodingInHttp10,
    );
}

// ---- chunked (RFC 9112 §7.1) --------------------------------------------------------------

fn chunked(body: &str) -> Vec<u8> {
    post("Transfer-Encoding: chunked\r\n", body)
}

/// A chunked request whose body is refused after the head was reported: the server
/// reports the request, then the error; no response had started, so it answers.
fn chunked_refused(body: &str, violation: Violation) {
    let (mut server, ev) = serve(&chunked(body));
    assert_eq!(kinds(&ev).first(), Some(&"Request"), "{body:?}");
    match ev.last() {
        Some(Event::Error(e)) => assert_eq!(e.violation, violation, "{body:?}"),
        other => panic!("{body:?}: {other:?}"),
    }
    assert_eq!(
        status_line(&output(&mut server)),
        "HTTP/1.1 400 Bad Request"
    );
    assert!(server.wants_close());
}

#[test]
fn chunk_size_overflow_rustsec_2021_0079() {
    // hyper's chunk size overflowed u64 and wrapped (CVE-2021-32714).
    chunked_refused(
        "10000000000000001\r\na\r\n0\r\n\r\n",
        Violation::ChunkSizeOverflow,
    );
    chunked_refused("fffffffffffffffff\r\n", Violation::ChunkSizeOverflow);
}

#[test]
fn chunk_size_with_leading_junk() {
    for body in [
        " 5\r\nhello\r\n",
        "+5\r\nhello\r\n",
        "0x5\r\nhello\r\n",
        "\r\n",
        ";5\r\n",
    ] {
        chunked_refused(body, Violation::InvalidChunkSize);
    }
}

#[test]
fn chunk_size_with_trailing_junk() {
    chunked_refused("5x\r\nhello\r\n0\r\n\r\n", Violation::InvalidChunkSize);
    chunked_refused("5\rhello\r\n0\r\n\r\n", Violation::InvalidChunkSize);
    chunked_refused("5\nhello\r\n0\r\n\r\n", Violation::InvalidChunkSize);
    // Whitespace is BWS before `;` only.
    chunked_refused("5 \r\nhello\r\n0\r\n\r\n", Violation::InvalidChunkExtension);
}

#[test]
fn chunk_extension_malformed() {
    for body in [
        "5;\r\nhello\r\n",
        "5;a=\r\nhello\r\n",
        "5;a=\"x\r\nhello\r\n",
        "5;a b\r\nhello\r\n",
    ] {
        chunked_refused(body, Violation::InvalidChunkExtension);
    }
}

#[test]
fn chunk_data_not_followed_by_crlf() {
    chunked_refused("5\r\nhelloXX0\r\n\r\n", Violation::InvalidChunkData);
    chunked_refused("5\r\nhello\n0\r\n\r\n", Violation::InvalidChunkData);
}

#[test]
fn trailer_with_bare_lf() {
    chunked_refused("0\r\nX-A: 1\n\r\n", Violation::BareLineEnding);
}

// ---- heads (RFC 9112 §2–§5) ---------------------------------------------------------------

#[test]
fn bare_lf_cve_2022_32214() {
    // llhttp accepted LF alone as a line ending; httparse does too, we do not.
    refused(b"GET / HTTP/1.1\nHost: a\n\n", Violation::BareLineEnding);
    refused(
        b"GET / HTTP/1.1\r\nHost: a\n\r\n",
        Violation::BareLineEnding,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\n\n",
        Violation::BareLineEnding,
    );
}

#[test]
fn bare_cr() {
    // RFC 9112 §2.2: a bare CR must be rejected or replaced; we reject.
    refused(
        b"GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n",
        Violation::BareLineEnding,
    );
    refused(
        b"GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n",
        Violation::BareLineEnding,
    );
}

#[test]
fn obs_fold() {
    // RFC 9112 §5.2: a server rejects obs-fold with 400.
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n",
        Violation::ObsFold,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
        Violation::ObsFold,
    );
}

#[test]
fn whitespace_before_colon_cve_2019_16869() {
    // Netty read `Transfer-Encoding : chunked` as Transfer-Encoding (RFC 9112 §5.1: 400).
    refused(
        &post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"),
        Violation::WhitespaceBeforeColon,
    );
    refused(
        &post("Content-Length\t: 1\r\n", "a"),
        Violation::WhitespaceBeforeColon,
    );
}

#[test]
fn invalid_header_names_and_values() {
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n",
        Violation::InvalidHeaderName,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n",
        Violation::InvalidHeaderName,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        Violation::InvalidHeaderName,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
        Violation::InvalidHeaderValue,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n",
        Violation::InvalidHeaderValue,
    );
}

#[test]
fn malformed_request_lines() {
    refused(
        b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::InvalidStartLine,
    );
    refused(
        b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::InvalidStartLine,
    );
    refused(
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        Violation::InvalidVersion,
    );
    refused(
        b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
        Violation::InvalidStartLine,
    );
}

#[test]
fn authority_form_only_with_connect() {
    refused(
        b"GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::TargetFormNotAllowed,
    );
    refused(
        b"CONNECT /path HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::TargetFormNotAllowed,
    );
    refused(
        b"CONNECT http://a.example:80/ HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::TargetFormNotAllowed,
    );
}

#[test]
fn asterisk_form_only_with_options() {
    refused(
        b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        Violation::TargetFormNotAllowed,
    );
}

#[test]
fn http11_request_without_host() {
    // RFC 9112 §3.2: 400 for a missing Host; HTTP/1.0 may omit it.
    refused(b"GET / HTTP/1.1\r\n\r\n", Violation::MissingHost);
    let (_, ev) = serve(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(kinds(&ev), ["Request", "End"]);
}

#[test]
fn several_hosts() {
    refused(
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        Violation::MultipleHost,
    );
}

#[test]
fn invalid_host() {
    refused(
        b"GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n",
        Violation::InvalidHost,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        Violation::InvalidHost,
    );
    refused(
        b"GET / HTTP/1.1\r\nHost: a:port\r\n\r\n",
        Violation::InvalidHost,
    );
}

// ---- the client side ----------------------------------------------------------------------

fn client_receiving(response: &[u8]) -> Vec<Event> {
    let mut client = Connection::client();
    client
        .send_request(&get("http://a/"), stator_h1::BodySize::Empty)
        .unwrap();
    let _ = output(&mut client);
    client.recv(response);
    let ev = events(&mut client);
    assert!(matches!(ev.last(), Some(Event::Error(_))) || !ev.is_empty());
    ev
}

fn client_refuses(response: &[u8], violation: Violation) {
    let ev = client_receiving(response);
    assert!(
        matches!(ev.last(), Some(Event::Error(e)) if e.violation == violation),
        "{}: {ev:?}",
        String::from_utf8_lossy(response)
    );
}

#[test]
fn response_smuggling_vectors() {
    client_refuses(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        Violation::ContentLengthAndTransferEncoding,
    );
    client_refuses(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        Violation::ContentLength(ContentLengthError::Conflicting),
    );
    client_refuses(b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", Violation::ObsFold);
    client_refuses(
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        Violation::BareLineEnding,
    );
    client_refuses(
        b"HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
        Violation::WhitespaceBeforeColon,
    );
    client_refuses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        Violation::UnsupportedTransferCoding,
    );
    client_refuses(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        Violation::InvalidChunkSize,
    );
    client_refuses(b"HTTP/1.1 600 Odd\r\n\r\n", Violation::InvalidStatus);
    client_refuses(b"HTTP/1.1 20 OK\r\n\r\n", Violation::InvalidStatus);
    client_refuses(b"HTTP/2 200\r\n\r\n", Violation::InvalidVersion);
}

#[test]
fn response_without_a_request() {
    let mut client = Connection::client();
    client.recv(b"HTTP/1.1 200 OK\r\n\r\n");
    assert!(matches!(
        &events(&mut client)[..],
        [Event::Error(e)] if e.violation == Violation::UnexpectedResponse
    ));
}

// ---- limits: each one hit -----------------------------------------------------------------

#[test]
fn limit_max_head_size_431() {
    let limits = Limits {
        max_head_size: 64,
        ..Limits::default()
    };
    let big = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "v".repeat(64));
    refused_with(
        limits,
        big.as_bytes(),
        Violation::HeadTooLarge,
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
    // Never finished: refused as soon as the buffer crosses the limit.
    let slow = format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}", "v".repeat(64));
    refused_with(
        limits,
        slow.as_bytes(),
        Violation::HeadTooLarge,
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
}

#[test]
fn limit_slowloris_byte_by_byte_still_hits_the_head_limit() {
    let mut server = Connection::new(
        Role::Server,
        Limits {
            max_head_size: 256,
            ..Limits::default()
        },
    );
    let mut seen = Vec::new();
    for b in b"GET / HTTP/1.1\r\nHost: a\r\nX: "
        .iter()
        .chain([b'v'; 300].iter())
    {
        server.recv(&[*b]);
        seen.extend(events(&mut server));
        if !seen.is_empty() {
            break;
        }
    }
    assert!(matches!(&seen[..], [Event::Error(e)] if e.violation == Violation::HeadTooLarge));
}

#[test]
fn limit_max_headers_431() {
    let limits = Limits {
        max_headers: 4,
        ..Limits::default()
    };
    let ok = b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\n\r\n";
    assert_eq!(kinds(&serve_with(limits, ok).1), ["Request", "End"]);
    refused_with(
        limits,
        b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n",
        Violation::TooManyHeaders,
        "HTTP/1.1 431 Request Header Fields Too Large",
    );
}

#[test]
fn limit_max_uri_len_414() {
    let limits = Limits {
        max_uri_len: 32,
        ..Limits::default()
    };
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "p".repeat(40));
    refused_with(
        limits,
        long.as_bytes(),
        Violation::UriTooLong,
        "HTTP/1.1 414 URI Too Long",
    );
    // A request line that never ends.
    let endless = format!("GET /{}", "p".repeat(200));
    refused_with(
        limits,
        endless.as_bytes(),
        Violation::UriTooLong,
        "HTTP/1.1 414 URI Too Long",
    );
}

#[test]
fn limit_max_chunk_extensions_cve_2023_39326() {
    // Go's net/http read unbounded extension bytes on tiny chunks.
    let limits = Limits {
        max_chunk_extensions: 64,
        ..Limits::default()
    };
    let body = "1;ext=aaaaaaaaaaaaaaaaaaaa\r\nx\r\n".repeat(4);
    let (mut server, ev) = serve_with(limits, &chunked(&body));
    assert!(
        matches!(ev.last(), Some(Event::Error(e)) if e.violation == Violation::ChunkExtensionsTooLarge)
    );
    assert_eq!(
        status_line(&output(&mut server)),
        "HTTP/1.1 400 Bad Request"
    );
}

#[test]
fn limit_max_trailer_size_431() {
    let limits = Limits {
        max_trailer_size: 32,
        ..Limits::default()
    };
    let body = format!("0\r\nX-T: {}\r\n\r\n", "t".repeat(40));
    let (mut server, ev) = serve_with(limits, &chunked(&body));
    assert!(
        matches!(ev.last(), Some(Event::Error(e)) if e.violation == Violation::TrailersTooLarge)
    );
    assert_eq!(
        status_line(&output(&mut server)),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    // Unfinished trailers too.
    let body = format!("0\r\nX-T: {}", "t".repeat(40));
    let (_, ev) = serve_with(limits, &chunked(&body));
    assert!(
        matches!(ev.last(), Some(Event::Error(e)) if e.violation == Violation::TrailersTooLarge)
    );
}

#[test]
fn limit_max_content_length_413() {
    let limits = Limits {
        max_content_length: 10,
        ..Limits::default()
    };
    refused_with(
        limits,
        &post("Content-Length: 11\r\n", "01234567890"),
        Violation::ContentTooLarge,
        "HTTP/1.1 413 Payload Too Large",
    );
    let (mut server, ev) = serve_with(limits, &chunked("6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n"));
    assert_eq!(kinds(&ev), ["Request", "Data", "Error"]);
    assert_eq!(
        status_line(&output(&mut server)),
        "HTTP/1.1 413 Payload Too Large"
    );
}

#[test]
fn limit_max_buffered_input_while_paused() {
    let limits = Limits {
        max_buffered_input: 100,
        ..Limits::default()
    };
    let mut server = Connection::new(Role::Server, limits);
    server.recv(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(kinds(&events(&mut server)), ["Request", "End"]);
    assert!(server.wants_input());
    server.recv(&[b'G'; 100]);
    assert!(!server.wants_input(), "a driver stops reading here");
    assert!(server.poll_event().is_none());
    server.recv(b"more");
    assert!(matches!(
        server.poll_event(),
        Some(Event::Error(e)) if e.violation == Violation::InputOverflow
    ));
}

#[test]
fn limit_max_pending_output_backpressure() {
    let limits = Limits {
        max_pending_output: 16,
        ..Limits::default()
    };
    let (mut server, _) = serve_with(limits, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    server
        .send_response(&res(200, &[]), stator_h1::BodySize::Unknown)
        .unwrap();
    assert_eq!(server.send_data(b"x"), Err(stator_h1::Error::WouldBlock));
    let _ = output(&mut server);
    assert!(matches!(server.poll_event(), Some(Event::Writable)));
    server.send_data(b"x").unwrap();
    server.send_end(None).unwrap();
}
