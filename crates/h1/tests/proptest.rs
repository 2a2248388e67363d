//! Properties: any split of a byte stream gives the same events; generated requests and
//! responses round-trip through our serializer and parser; random bytes never panic
//! either role.

// Helpers outside `#[test]` functions are test code too.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use common::*;
use http::{HeaderMap, Method, request, response};
use proptest::prelude::*;
use stator_h1::{BodySize, Connection, Event, Violation};

/// Events in a form that does not depend on how the input was split: consecutive content
/// is merged.
#[derive(Debug, PartialEq)]
enum Seen {
    Head(String),
    Data(Vec<u8>),
    End(HeaderMap),
    Upgrade(Vec<u8>),
    Closed,
    Error(Violation),
}

fn summarize(into: &mut Vec<Seen>, event: Event) {
    let seen = match event {
        Event::Request(h) => Seen::Head(format!(
            "{} {} {:?} {:?}",
            h.method, h.uri, h.version, h.headers
        )),
        Event::Response(h) | Event::Informational(h) => {
            Seen::Head(format!("{} {:?} {:?}", h.status, h.version, h.headers))
        }
        Event::Data(d) => {
            if let Some(Seen::Data(prev)) = into.last_mut() {
                prev.extend_from_slice(&d);
                return;
            }
            Seen::Data(d.to_vec())
        }
        Event::End(t) => Seen::End(t),
        Event::Upgrade(u) => Seen::Upgrade(u.rest.to_vec()),
        Event::Closed => Seen::Closed,
        Event::Error(e) => Seen::Error(e.violation),
        Event::Writable => return,
    };
    into.push(seen);
}

/// A server fed `input` cut at `cuts`, answering every request with a 204.
fn run_server(input: &[u8], cuts: &[usize], eof: bool) -> Vec<Seen> {
    let mut server = Connection::server();
    let mut seen = Vec::new();
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        pieces.push(&input[start..c.max(start)]);
        start = c.max(start);
    }
    pieces.push(&input[start..]);
    let drain = |server: &mut Connection, seen: &mut Vec<Seen>| {
        while let Some(e) = server.poll_event() {
            let end = matches!(e, Event::End(_));
            summarize(seen, e);
            if end {
                let _ = server.send_response(&res(204, &[]), BodySize::Empty);
            }
        }
        let _ = output(server);
    };
    for piece in pieces {
        server.recv(piece);
        drain(&mut server, &mut seen);
    }
    if eof {
        server.recv_eof();
        drain(&mut server, &mut seen);
    }
    seen
}

fn arb_method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::OPTIONS),
        Just(Method::PATCH),
        "[A-Z]{1,8}".prop_map(|m| Method::from_bytes(m.as_bytes()).unwrap()),
    ]
    .prop_filter("not CONNECT or HEAD", |m| {
        m != Method::CONNECT && m != Method::HEAD
    })
}

fn arb_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("x-[a-z0-9-]{1,12}", "[ -~]{0,24}"), 0..6).prop_map(|fields| {
        fields
            .into_iter()
            .map(|(n, v)| (n, v.trim().to_owned()))
            .collect()
    })
}

fn arb_size_and_chunks() -> impl Strategy<Value = (u8, Vec<Vec<u8>>)> {
    (
        0..3_u8,
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..5),
    )
}

fn size_for(kind: u8, chunks: &[Vec<u8>]) -> BodySize {
    let total: usize = chunks.iter().map(Vec::len).sum();
    match kind {
        0 if total == 0 => BodySize::Empty,
        0 | 1 => BodySize::Known(total as u64),
        _ => BodySize::Unknown,
    }
}

fn arb_trailers() -> impl Strategy<Value = Option<HeaderMap>> {
    prop::option::of(prop::collection::vec(
        ("x-t-[a-z]{1,6}", "[!-~]{1,12}"),
        1..3,
    ))
    .prop_map(|t| {
        t.map(|t| {
            let mut map = HeaderMap::new();
            for (n, v) in t {
                map.append(
                    http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            map
        })
    })
}

prop_compose! {
    fn arb_request()(
        method in arb_method(),
        path in "/[a-zA-Z0-9/_.~-]{0,30}(\\?[a-z0-9=&]{0,20})?",
        fields in arb_fields(),
        (kind, chunks) in arb_size_and_chunks(),
        trailers in arb_trailers(),
    ) -> Message<request::Parts> {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let head = req(method, &format!("http://example.com{path}"), &fields);
        let size = size_for(kind, &chunks);
        let mut msg = Message::new(head, size);
        if size != BodySize::Empty {
            msg.chunks = chunks;
        }
        if size == BodySize::Unknown {
            msg.trailers = trailers;
        }
        msg
    }
}

prop_compose! {
    fn arb_response()(
        status in prop_oneof![200..=203_u16, 205..=299_u16, 400..=599_u16],
        fields in arb_fields(),
        (kind, chunks) in arb_size_and_chunks(),
        trailers in arb_trailers(),
    ) -> Message<response::Parts> {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let size = size_for(kind, &chunks);
        let mut msg = Message::new(res(status, &fields), size);
        if size != BodySize::Empty {
            msg.chunks = chunks;
        }
        if size == BodySize::Unknown {
            msg.trailers = trailers;
        }
        msg
    }
}

/// The wire bytes of `requests`, written by a client machine.
fn wire_of(requests: &[Message<request::Parts>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for msg in requests {
        // One client per request: the client machine runs one exchange at a time.
        let mut client = Connection::client();
        client.send_request(&msg.head, msg.size).unwrap();
        if msg.size != BodySize::Empty {
            for c in &msg.chunks {
                client.send_data(c).unwrap();
            }
            client.send_end(msg.trailers.as_ref()).unwrap();
        }
        wire.extend(output(&mut client));
    }
    wire
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_gives_the_same_events(
        requests in prop::collection::vec(arb_request(), 1..4),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        eof in any::<bool>(),
    ) {
        let wire = wire_of(&requests);
        let whole = run_server(&wire, &[], eof);
        let split = run_server(&wire, &cuts, eof);
        prop_assert_eq!(&whole, &split);
        let heads = whole.iter().filter(|s| matches!(s, Seen::Head(_))).count();
        prop_assert_eq!(heads, requests.len());
    }

    #[test]
    fn any_split_of_a_response(
        response in arb_response(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut server = serve(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").0;
        server.send_response(&response.head, response.size).unwrap();
        if response.size != BodySize::Empty {
            for c in &response.chunks {
                server.send_data(c).unwrap();
            }
            server.send_end(response.trailers.as_ref()).unwrap();
        }
        let wire = output(&mut server);
        let read = |cuts: &[usize]| {
            let mut client = Connection::client();
            client.send_request(&get("http://a/"), BodySize::Empty).unwrap();
            let mut seen = Vec::new();
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
            cuts.sort_unstable();
            let mut start = 0;
            for c in cuts.into_iter().chain([wire.len()]) {
                client.recv(&wire[start..c.max(start)]);
                start = c.max(start);
                while let Some(e) = client.poll_event() {
                    summarize(&mut seen, e);
                }
            }
            seen
        };
        prop_assert_eq!(read(&[]), read(&cuts));
    }

    #[test]
    fn requests_and_responses_round_trip(
        exchanges in prop::collection::vec((arb_request(), arb_response()), 1..4),
    ) {
        // Pair checks every head field, the content and the trailers.
        let mut pair = Pair::new();
        for (request, response) in &exchanges {
            pair.request(request);
            pair.respond(response);
        }
    }

    #[test]
    fn random_bytes_never_panic_a_server(
        input in prop::collection::vec(any::<u8>(), 0..512),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let _ = run_server(&input, &cuts, true);
    }

    #[test]
    fn mutated_requests_never_panic_a_server(
        request in arb_request(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let mut wire = wire_of(std::slice::from_ref(&request));
        for (at, byte) in flips {
            let i = at % wire.len();
            wire[i] = byte;
        }
        let _ = run_server(&wire, &[], true);
    }

    #[test]
    fn random_bytes_never_panic_a_client(
        input in prop::collection::vec(any::<u8>(), 0..512),
        prefix in prop::sample::select(vec![
            &b""[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
            b"HTTP/1.0 200 OK\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\n",
        ]),
        method in prop::sample::select(vec![Method::GET, Method::HEAD, Method::CONNECT]),
    ) {
        let mut client = Connection::client();
        let target = if method == Method::CONNECT { "a.example:443" } else { "http://a/" };
        client.send_request(&req(method, target, &[]), BodySize::Empty).unwrap();
        client.recv(prefix);
        client.recv(&input);
        client.recv_eof();
        while client.poll_event().is_some() {}
        let _ = output(&mut client);
    }
}
