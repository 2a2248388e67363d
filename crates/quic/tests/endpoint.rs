//! The endpoint's answers to datagrams it cannot route (RFC 9000 §5.2, §6, §10.3, §14.1)
//! and the client's reaction to Version Negotiation.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rustls::pki_types::ServerName;
use stator_quic::conn::{ClientConfig, CloseReason, ServerConfig, TransportConfig};
use stator_quic::endpoint::{Endpoint, EndpointConfig, ServerSetup};
use stator_quic::packet::{Header, write_version_negotiation};
use stator_quic::{Ecn, ResetKey, TokenKey, TokenLifetimes, Version};
use stator_wire::rand::SeededRandom;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn configs() -> (ClientConfig, ServerConfig) {
    let certs = common::certs();
    let client = ClientConfig::new(
        Arc::new(common::client_config(&certs, false)),
        ServerName::try_from("localhost").unwrap(),
        vec![b"t".to_vec()],
    );
    let server = ServerConfig {
        tls: Arc::new(common::server_config(&certs, &[b"t"], false)),
        transport: Arc::new(TransportConfig::default()),
    };
    (client, server)
}

fn server(config: ServerConfig, max_connections: usize) -> Endpoint {
    let mut ep = EndpointConfig::new(ResetKey::new(b"server key")).seeded();
    ep.max_connections = max_connections;
    ep.max_resets_per_second = 2;
    ep.server = Some(ServerSetup {
        config,
        retry: false,
        token_key: Arc::new(TokenKey::new(&[1; 32])),
        token_lifetimes: TokenLifetimes::default(),
    });
    Endpoint::new(ep, Box::new(SeededRandom::new(3)))
}

fn client_endpoint() -> Endpoint {
    Endpoint::new(
        EndpointConfig::new(ResetKey::new(b"client key")).seeded(),
        Box::new(SeededRandom::new(4)),
    )
}

/// Every datagram the endpoint wants to send now.
fn drain(ep: &mut Endpoint, now: Instant) -> Vec<(SocketAddr, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Some(t) = ep.poll_transmit(now, &mut buf) {
        let seg = t.segment_size.unwrap_or(t.size);
        for d in buf[..t.size].chunks(seg) {
            out.push((t.destination, d.to_vec()));
        }
    }
    out
}

/// A long-header datagram of `len` bytes with an unknown version.
fn unknown_version_datagram(len: usize) -> Vec<u8> {
    let mut d = vec![0xc0, 0x0a, 0x1a, 0x2a, 0x3a, 8];
    d.extend_from_slice(&[1; 8]);
    d.push(4);
    d.extend_from_slice(&[2; 4]);
    d.resize(len, 0);
    d
}

#[test]
fn unknown_versions_get_version_negotiation_only_at_1200_bytes() {
    let (_, server_config) = configs();
    let mut ep = server(server_config, 10);
    let now = Instant::now();
    let from = addr("10.0.0.9:1000");
    let local = addr("10.0.0.1:443");
    ep.handle_datagram(
        now,
        from,
        local,
        Ecn::NotEct,
        BytesMut::from(&unknown_version_datagram(1199)[..]),
    );
    assert!(drain(&mut ep, now).is_empty(), "no answer below 1200 bytes");
    ep.handle_datagram(
        now,
        from,
        local,
        Ecn::NotEct,
        BytesMut::from(&unknown_version_datagram(1200)[..]),
    );
    let out = drain(&mut ep, now);
    assert_eq!(out.len(), 1);
    let Header::VersionNegotiation(vn) = Header::parse(&out[0].1, 0).unwrap() else {
        panic!("not a Version Negotiation packet");
    };
    // The IDs are mirrored (RFC 9000 §17.2.1) and ours are listed.
    assert_eq!(vn.dcid, &[2; 4]);
    assert_eq!(vn.scid, &[1; 8]);
    let versions: Vec<Version> = vn.versions().collect();
    assert!(versions.contains(&Version::V1) && versions.contains(&Version::V2));
    assert_eq!(ep.connection_count(), 0);
}

#[test]
fn small_initials_are_dropped_and_the_connection_cap_holds() {
    let (client_config, server_config) = configs();
    let mut ep = server(server_config, 1);
    let now = Instant::now();
    let local = addr("10.0.0.1:443");
    let mut first = Vec::new();
    for port in [1000u16, 1001] {
        let mut client = client_endpoint();
        client.connect(now, &client_config, local).unwrap();
        let datagrams = drain(&mut client, now);
        first.push(datagrams[0].1.clone());
        let from = SocketAddr::new(addr("10.0.0.9:1").ip(), port);
        // Cut to 1199 bytes: dropped (RFC 9000 §14.1).
        let before = ep.connection_count();
        ep.handle_datagram(
            now,
            from,
            local,
            Ecn::NotEct,
            BytesMut::from(&datagrams[0].1[..1199]),
        );
        assert_eq!(ep.connection_count(), before);
        ep.handle_datagram(
            now,
            from,
            local,
            Ecn::NotEct,
            BytesMut::from(&datagrams[0].1[..]),
        );
    }
    // The second client is over the cap of one.
    assert_eq!(ep.connection_count(), 1);
    assert_eq!(ep.stats().accepted, 1);
    assert_eq!(ep.stats().dropped, 3);
}

#[test]
fn stateless_resets_answer_unknown_short_headers_within_the_rate() {
    let (_, server_config) = configs();
    let mut ep = server(server_config, 10);
    let now = Instant::now();
    let from = addr("10.0.0.9:1000");
    let local = addr("10.0.0.1:443");
    let short = |len: usize| {
        let mut d = vec![0x40u8];
        d.extend_from_slice(&[9; 8]);
        d.resize(len, 0x55);
        BytesMut::from(&d[..])
    };
    // Too small to answer without being as large as the trigger (RFC 9000 §10.3.3).
    ep.handle_datagram(now, from, local, Ecn::NotEct, short(21));
    assert!(drain(&mut ep, now).is_empty());
    ep.handle_datagram(now, from, local, Ecn::NotEct, short(100));
    let out = drain(&mut ep, now);
    assert_eq!(out.len(), 1);
    let reset = &out[0].1;
    assert!(reset.len() < 100, "a reset is smaller than its trigger");
    assert_eq!(reset[0] & 0xc0, 0x40, "it looks like a short header");
    // The token is the one the connection ID's owner would have announced.
    let token = ResetKey::new(b"server key").token(&[9; 8]);
    assert_eq!(&reset[reset.len() - 16..], token.as_bytes());
    // The rate limit: two per second in this configuration.
    for _ in 0..5 {
        ep.handle_datagram(now, from, local, Ecn::NotEct, short(100));
    }
    assert_eq!(drain(&mut ep, now).len(), 1);
    let later = now + Duration::from_secs(1);
    ep.handle_datagram(later, from, local, Ecn::NotEct, short(100));
    assert_eq!(drain(&mut ep, later).len(), 1);
    assert_eq!(ep.stats().resets, 3);
}

#[test]
fn a_client_abandons_on_version_negotiation_without_its_version() {
    let (client_config, _) = configs();
    let mut client = client_endpoint();
    let now = Instant::now();
    let server_addr = addr("10.0.0.1:443");
    let handle = client.connect(now, &client_config, server_addr).unwrap();
    let first = drain(&mut client, now);
    let Header::Long(h) = Header::parse(&first[0].1, 0).unwrap() else {
        panic!("not a long header")
    };
    let (dcid, scid) = (h.dcid.to_vec(), h.scid.to_vec());
    let local = addr("10.0.0.2:5000");
    // A VN listing the client's own version is ignored (RFC 9000 §6.2).
    let mut vn = Vec::new();
    write_version_negotiation(
        &mut vn,
        &mut SeededRandom::new(1),
        &dcid,
        &scid,
        &[Version::V1],
    )
    .unwrap();
    client.handle_datagram(
        now,
        server_addr,
        local,
        Ecn::NotEct,
        BytesMut::from(&vn[..]),
    );
    assert!(client.connection(handle).unwrap().close_reason().is_none());
    let mut vn = Vec::new();
    write_version_negotiation(
        &mut vn,
        &mut SeededRandom::new(1),
        &dcid,
        &scid,
        &[Version(0xff00_001d)],
    )
    .unwrap();
    client.handle_datagram(
        now,
        server_addr,
        local,
        Ecn::NotEct,
        BytesMut::from(&vn[..]),
    );
    let conn = client.connection_mut(handle).unwrap();
    assert_eq!(conn.close_reason(), Some(&CloseReason::VersionNegotiation));
    assert!(conn.is_closed());
}
