//! Framing and masking throughput of stator-ws, side by side with tungstenite 0.30 and
//! fastwebsockets 0.10 in the same run. Run: `cargo bench -p stator-ws --bench throughput`
//! (add `-- recv/` , `-- send/` or `-- mask/` for one part).
//!
//! One binary frame with a 16 B, 1 KiB, 64 KiB or 1 MiB payload; throughput counts payload
//! bytes. Every implementation is checked once, before timing, to deliver (or put on the
//! wire) exactly the same payload.
//!
//! # `recv/<size>`: parse + unmask of one masked client→server frame (server role)
//!
//! The frame's wire bytes sit in an in-memory "socket". Every row takes them from there
//! into its own buffer (one copy, as a real read would; this also re-creates the masked
//! input each iteration, so the in-place unmasking always works on masked data), parses
//! the header, unmasks the payload in place and hands the payload out.
//!
//! - `stator_frame`: the low-level floor: `extend_from_slice` into a reused `Vec`,
//!   [`FrameHeader::parse`], [`apply_mask`] in place, the payload as a slice.
//! - `stator_connection`: a server [`Connection`]: `recv(&wire)` (copies into its receive
//!   buffer), then `poll_event()` gives `Event::Message(Message::Binary(Bytes))`, a slice
//!   of the receive buffer; all role, RSV, fragmentation and limit checks run.
//! - `tungstenite`: `WebSocket::from_raw_socket(stream, Role::Server, None)` (default
//!   config: 128 KiB reads, 16 MiB frame limit) over an in-memory `Read + Write` stream;
//!   `read()` gives `Message::Binary(Bytes)`. Its `FrameSocket` does not unmask and its
//!   masking function is private, so it has no low-level row.
//! - `fastwebsockets`: `WebSocket::after_handshake(stream, Role::Server)` over an
//!   in-memory stream implementing tokio's `AsyncRead + AsyncWrite`; `read_frame()` gives
//!   a `Frame` whose payload is a `BytesMut` split off its read buffer. The stream never
//!   returns `Pending`, so the future is polled once with a no-op waker (no runtime; a
//!   runtime's `block_on` would only add its own overhead to this row).
//!
//! # `send/<size>`: encode + mask of one binary message (client role)
//!
//! From the application's payload (`&[u8]`, kept intact) to the masked frame's bytes in a
//! `Vec` sink standing for the socket, cleared every iteration. Each library draws its
//! own masking key per frame: tungstenite and fastwebsockets from `rand`'s `ThreadRng` (a
//! user-space CSPRNG seeded from the OS), stator from the `Random` of its `Config`.
//!
//! - `stator_frame`: the low-level floor with a fixed key: [`FrameHeader::write`] into the
//!   sink, the payload appended, [`apply_mask`] over it (one copy, one masking pass).
//! - `stator_connection`: a client [`Connection`] with the production generator
//!   `SystemRandom` (the OS generator through ring); `send_binary(&payload)` then
//!   `poll_output(&mut sink)` (copies the frame out of the connection's buffer).
//! - `stator_transmit`: the same, but `poll_transmit()` (the frame as `Bytes`, no copy),
//!   then copied into the sink so that the work ends in the same place.
//! - `stator_connection_pooled_rng`: `stator_connection` with [`PooledRandom`] (defined
//!   below: the OS generator read 4 KiB at a time) instead of one OS call per key, to
//!   show what the generator costs.
//! - `tungstenite`: `WebSocket::from_raw_socket(stream, Role::Client, None)`;
//!   `send(Message::Binary(bytes.clone()))` (a reference-count increment) formats header +
//!   payload into its write buffer, masks it there and writes it to the stream.
//! - `fastwebsockets`: `write_frame(Frame::binary(Payload::BorrowedMut(..)))`, its
//!   cheapest path: it masks the caller's buffer in place, so each iteration first copies
//!   the payload into a reused scratch buffer (the application's data stays intact, as
//!   for the others); frames up to 1 KiB are then copied into its write buffer and
//!   written, larger ones are written from the payload with a vectored write.
//!
//! # `mask/<size>`: masking alone against `memcpy`
//!
//! - `stator`: [`apply_mask`] in place; `fastwebsockets`: its public `unmask` in place
//!   (tungstenite's is private; fastwebsockets' is the same 32-bit-word loop);
//! - `memcpy`: `copy_from_slice` of the same number of bytes between two buffers.
//!
//! Masking is an XOR; the content of the buffer does not change its cost, so these rows
//! need not re-create their input.

// Benchmark code works on trusted fixtures it builds itself: the panic-free lints guard
// peer input, not this.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::cell::RefCell;
use std::future::Future;
use std::hint::black_box;
use std::io::{self, IoSlice, Read, Write};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use stator_wire::rand::{Random, SystemRandom};
use stator_ws::frame::{FrameHeader, OpCode};
use stator_ws::mask::apply_mask;
use stator_ws::{Config, Connection, Event, Message};

const SIZES: [(usize, &str); 4] = [
    (16, "16B"),
    (1024, "1KiB"),
    (64 * 1024, "64KiB"),
    (1024 * 1024, "1MiB"),
];

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A deterministic, non-repeating payload.
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 7)) as u8)
        .collect()
}

fn header(len: usize, mask: Option<[u8; 4]>) -> FrameHeader {
    FrameHeader {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: OpCode::Binary,
        mask,
        payload_len: len as u64,
    }
}

/// The masked client frame carrying `payload`.
fn masked_frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    header(payload.len(), Some(KEY)).write(&mut wire);
    let start = wire.len();
    wire.extend_from_slice(payload);
    apply_mask(&mut wire[start..], KEY, 0);
    wire
}

/// Checks that `wire` is exactly one masked, final binary frame carrying `payload`.
fn assert_frame(who: &str, wire: &[u8], payload: &[u8]) {
    let (h, n) = FrameHeader::parse(wire).unwrap().unwrap();
    assert!(h.fin && h.opcode == OpCode::Binary, "{who}: {h:?}");
    assert_eq!(h.payload_len, payload.len() as u64, "{who}");
    assert_eq!(wire.len(), n + payload.len(), "{who}");
    let mut body = wire[n..].to_vec();
    apply_mask(&mut body, h.mask.expect("client frames are masked"), 0);
    assert!(body == payload, "{who}: payload differs");
}

// ---- the in-memory socket ------------------------------------------------------------

/// An in-memory stream that never blocks. Reads return `input` over and over: each read
/// gives at most the rest of the current copy, so a reader that asks for as much as it can
/// gets one frame per read. Writes are appended to `output`, which the benchmark holds too
/// (fastwebsockets does not lend out its stream) and clears.
#[derive(Default)]
struct MemStream {
    input: Vec<u8>,
    pos: usize,
    output: Rc<RefCell<Vec<u8>>>,
}

impl MemStream {
    fn reading(input: Vec<u8>) -> MemStream {
        MemStream {
            input,
            ..MemStream::default()
        }
    }

    fn writing(output: &Rc<RefCell<Vec<u8>>>) -> MemStream {
        MemStream {
            output: Rc::clone(output),
            ..MemStream::default()
        }
    }

    /// What is left of the current copy of `input`, starting a new copy at its end.
    fn rest(&mut self) -> &[u8] {
        if self.pos == self.input.len() {
            self.pos = 0;
        }
        &self.input[self.pos..]
    }

    fn read_into(&mut self, dst: &mut [u8]) -> usize {
        let rest = self.rest();
        let n = rest.len().min(dst.len());
        dst[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        n
    }
}

impl Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf))
    }
}

impl Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // `put_slice`, not `initialize_unfilled`: no zeroing of the reader's spare capacity.
        let this = self.get_mut();
        let rest = this.rest();
        let n = rest.len().min(buf.remaining());
        buf.put_slice(&rest[..n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for MemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.output.borrow_mut().extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut out = self.output.borrow_mut();
        let mut n = 0;
        for b in bufs {
            out.extend_from_slice(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs a future over a `MemStream` to completion: it never waits, so one poll does it.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory stream never blocks"),
    }
}

/// The OS generator read 4 KiB at a time: one system call per 1,024 masking keys instead
/// of one per key. The keys are as unpredictable as the OS's output (RFC 6455 §5.3 asks
/// for that, not for a fresh system call).
struct PooledRandom {
    os: SystemRandom,
    pool: Box<[u8; 4096]>,
    used: usize,
}

impl PooledRandom {
    fn new() -> PooledRandom {
        PooledRandom {
            os: SystemRandom::new(),
            pool: Box::new([0; 4096]),
            used: 4096,
        }
    }
}

impl Random for PooledRandom {
    fn fill(&mut self, dst: &mut [u8]) {
        for b in dst {
            if self.used == self.pool.len() {
                self.os.fill(&mut self.pool[..]);
                self.used = 0;
            }
            *b = self.pool[self.used];
            self.used += 1;
        }
    }
}

// ---- recv ---------------------------------------------------------------------------

fn stator_frame_recv(wire: &[u8], buf: &mut Vec<u8>) -> usize {
    buf.clear();
    buf.extend_from_slice(wire);
    let (h, n) = FrameHeader::parse(buf).unwrap().unwrap();
    let body = &mut buf[n..n + h.payload_len as usize];
    apply_mask(body, h.mask.unwrap(), 0);
    black_box(&*body).len()
}

fn stator_connection_recv(conn: &mut Connection, wire: &[u8]) -> Bytes {
    conn.recv(wire);
    match conn.poll_event() {
        Some(Event::Message(Message::Binary(b))) => b,
        other => panic!("{other:?}"),
    }
}

fn tungstenite_recv(ws: &mut tungstenite::WebSocket<MemStream>) -> Bytes {
    match ws.read().unwrap() {
        tungstenite::Message::Binary(b) => b,
        other => panic!("{other:?}"),
    }
}

fn fastwebsockets_recv(ws: &mut fastwebsockets::WebSocket<MemStream>) -> fastwebsockets::Frame<'_> {
    let frame = ready(ws.read_frame()).unwrap();
    assert!(frame.opcode == fastwebsockets::OpCode::Binary);
    frame
}

fn recv(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, len: usize) {
    let plain = payload(len);
    let wire = masked_frame(&plain);

    let mut buf = Vec::new();
    let mut conn = Connection::new(Config::server());
    let mut tung = tungstenite::WebSocket::from_raw_socket(
        MemStream::reading(wire.clone()),
        tungstenite::protocol::Role::Server,
        None,
    );
    let mut fast = fastwebsockets::WebSocket::after_handshake(
        MemStream::reading(wire.clone()),
        fastwebsockets::Role::Server,
    );

    // Same payload from everyone, twice (the second time on reused buffers).
    for _ in 0..2 {
        let n = stator_frame_recv(&wire, &mut buf);
        assert!(buf[buf.len() - n..] == plain[..], "stator_frame");
        assert!(
            stator_connection_recv(&mut conn, &wire) == plain,
            "stator_connection"
        );
        assert!(tungstenite_recv(&mut tung) == plain, "tungstenite");
        assert!(
            *fastwebsockets_recv(&mut fast).payload == plain[..],
            "fastwebsockets"
        );
    }

    g.bench_function("stator_frame", |b| {
        b.iter(|| stator_frame_recv(black_box(&wire), &mut buf));
    });
    g.bench_function("stator_connection", |b| {
        b.iter(|| stator_connection_recv(&mut conn, black_box(&wire)));
    });
    g.bench_function("tungstenite", |b| b.iter(|| tungstenite_recv(&mut tung)));
    g.bench_function("fastwebsockets", |b| {
        b.iter(|| black_box(fastwebsockets_recv(&mut fast).payload.len()));
    });
}

// ---- send ---------------------------------------------------------------------------

fn stator_frame_send(payload: &[u8], sink: &mut Vec<u8>) {
    sink.clear();
    header(payload.len(), Some(KEY)).write(sink);
    let start = sink.len();
    sink.extend_from_slice(payload);
    apply_mask(&mut sink[start..], KEY, 0);
}

fn stator_connection_send(conn: &mut Connection, payload: &[u8], sink: &mut Vec<u8>) {
    conn.send_binary(payload).unwrap();
    sink.clear();
    let _ = conn.poll_output(sink);
}

fn stator_transmit_send(conn: &mut Connection, payload: &[u8], sink: &mut Vec<u8>) {
    conn.send_binary(payload).unwrap();
    sink.clear();
    sink.extend_from_slice(&conn.poll_transmit().unwrap());
}

fn tungstenite_send(
    ws: &mut tungstenite::WebSocket<MemStream>,
    sink: &RefCell<Vec<u8>>,
    payload: &Bytes,
) {
    sink.borrow_mut().clear();
    ws.send(tungstenite::Message::Binary(payload.clone()))
        .unwrap();
}

fn fastwebsockets_send(
    ws: &mut fastwebsockets::WebSocket<MemStream>,
    sink: &RefCell<Vec<u8>>,
    payload: &[u8],
    scratch: &mut [u8],
) {
    sink.borrow_mut().clear();
    scratch.copy_from_slice(payload);
    let frame = fastwebsockets::Frame::binary(fastwebsockets::Payload::BorrowedMut(scratch));
    ready(ws.write_frame(frame)).unwrap();
}

fn send(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, len: usize) {
    let plain = payload(len);
    let shared = Bytes::from(plain.clone());

    let mut sink = Vec::new();
    let mut conn = Connection::new(Config::client(SystemRandom::new()));
    let mut pooled = Connection::new(Config::client(PooledRandom::new()));
    let tung_sink = Rc::default();
    let mut tung = tungstenite::WebSocket::from_raw_socket(
        MemStream::writing(&tung_sink),
        tungstenite::protocol::Role::Client,
        None,
    );
    let fast_sink = Rc::default();
    let mut fast = fastwebsockets::WebSocket::after_handshake(
        MemStream::writing(&fast_sink),
        fastwebsockets::Role::Client,
    );
    let mut scratch = vec![0; len];

    for _ in 0..2 {
        stator_frame_send(&plain, &mut sink);
        assert_frame("stator_frame", &sink, &plain);
        stator_connection_send(&mut conn, &plain, &mut sink);
        assert_frame("stator_connection", &sink, &plain);
        stator_transmit_send(&mut conn, &plain, &mut sink);
        assert_frame("stator_transmit", &sink, &plain);
        stator_connection_send(&mut pooled, &plain, &mut sink);
        assert_frame("stator_connection_pooled_rng", &sink, &plain);
        tungstenite_send(&mut tung, &tung_sink, &shared);
        assert_frame("tungstenite", &tung_sink.borrow(), &plain);
        fastwebsockets_send(&mut fast, &fast_sink, &plain, &mut scratch);
        assert_frame("fastwebsockets", &fast_sink.borrow(), &plain);
    }

    g.bench_function("stator_frame", |b| {
        b.iter(|| stator_frame_send(black_box(&plain), &mut sink));
    });
    g.bench_function("stator_connection", |b| {
        b.iter(|| stator_connection_send(&mut conn, black_box(&plain), &mut sink));
    });
    g.bench_function("stator_transmit", |b| {
        b.iter(|| stator_transmit_send(&mut conn, black_box(&plain), &mut sink));
    });
    g.bench_function("stator_connection_pooled_rng", |b| {
        b.iter(|| stator_connection_send(&mut pooled, black_box(&plain), &mut sink));
    });
    g.bench_function("tungstenite", |b| {
        b.iter(|| tungstenite_send(&mut tung, &tung_sink, black_box(&shared)));
    });
    g.bench_function("fastwebsockets", |b| {
        b.iter(|| fastwebsockets_send(&mut fast, &fast_sink, black_box(&plain), &mut scratch));
    });
}

// ---- mask ---------------------------------------------------------------------------

fn mask(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, len: usize) {
    let src = payload(len);
    let mut buf = src.clone();
    let mut theirs = src.clone();
    apply_mask(&mut buf, KEY, 0);
    fastwebsockets::unmask(&mut theirs, KEY);
    assert!(buf == theirs, "stator and fastwebsockets mask alike");

    g.bench_function("stator", |b| {
        b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), 0));
    });
    g.bench_function("fastwebsockets", |b| {
        b.iter(|| fastwebsockets::unmask(black_box(&mut theirs), black_box(KEY)));
    });
    g.bench_function("memcpy", |b| {
        b.iter(|| black_box(&mut buf[..]).copy_from_slice(black_box(&src)));
    });
}

fn bench(c: &mut Criterion) {
    type Part = fn(&mut BenchmarkGroup<'_, criterion::measurement::WallTime>, usize);
    let parts: [(&str, Part); 3] = [("recv", recv), ("send", send), ("mask", mask)];
    for (name, part) in parts {
        for (len, label) in SIZES {
            let mut g = c.benchmark_group(format!("{name}/{label}"));
            g.throughput(Throughput::Bytes(len as u64));
            part(&mut g, len);
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
