//! Differential: stator-h1 is stricter than httparse, never looser. Whenever our server
//! surfaces a request head, httparse must parse the same bytes as a complete request with
//! the same method, target and number of header fields.
#![no_main]

#[path = "../src/h1_drive.rs"]
mod h1_drive;

use libfuzzer_sys::fuzz_target;
use stator_h1::{Connection, Role};

fuzz_target!(|data: &[u8]| {
    let mut conn = Connection::new(Role::Server, h1_drive::limits());
    let seen = h1_drive::drive(&mut conn, data, data.len());
    let Some(first) = seen.requests.first() else { return };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let status = req.parse(data).expect("httparse accepts what we accepted");
    assert!(status.is_complete());
    assert_eq!(req.method, Some(first.method.as_str()));
    let target = req.path.expect("a target");
    // Origin-form targets come back as the path and query of the URI.
    if target.starts_with('/') {
        assert_eq!(first.uri.path_and_query().map(|p| p.as_str()), Some(target));
    }
    assert_eq!(req.headers.len(), first.headers.len());
});
