//! A scripted byte-level HTTP/2 peer for conformance and attack tests.
//!
//! The peer plays the other end of a [`Connection`] frame by frame, including frames a
//! real peer never sends (wrong lengths, reserved bits, bad HPACK). It parses what the
//! machine writes with [`FrameReader`] and decodes the machine's header blocks with
//! `stator-hpack`'s decoder; the header blocks it sends are written by hand (literal
//! fields without indexing), so every byte is under the test's control.
//!
//! Time is an [`Instant`] the test advances: nothing reads a clock.

// Helpers outside `#[test]` functions are test code too; not every test file uses each.
#![allow(
    clippy::doc_markdown,
    clippy::struct_field_names,
    clippy::needless_pass_by_value,
    dead_code,
    unreachable_pub,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc,
    clippy::must_use_candidate,
    clippy::return_self_not_must_use
)]

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use bytes::Bytes;
use stator_h2::frame::{self, Frame, FrameReader, FrameType, PREFACE, Setting, SettingId};
use stator_h2::{Config, Connection, Error, ErrorCode, Event, StreamId};

/// Setting identifiers, as on the wire (RFC 9113 §6.5.2, RFC 8441 §3).
pub mod setting {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    pub const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
}

/// Frame type octets (RFC 9113 §6).
pub mod ty {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PUSH_PROMISE: u8 = 0x5;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
    pub const CONTINUATION: u8 = 0x9;
}

/// Flag bits (RFC 9113 §6).
pub mod fl {
    pub const END_STREAM: u8 = 0x1;
    pub const ACK: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;
}

/// Hand-written HPACK (RFC 7541): integers, raw strings and field representations.
pub mod hpack {
    /// An integer with an `n`-bit prefix; `first` holds the representation's high bits
    /// (RFC 7541 §5.1).
    pub fn int(out: &mut Vec<u8>, first: u8, n: u32, value: usize) {
        let max = (1usize << n) - 1;
        if value < max {
            out.push(first | value as u8);
            return;
        }
        out.push(first | max as u8);
        let mut rest = value - max;
        while rest >= 128 {
            out.push((rest % 128) as u8 | 0x80);
            rest /= 128;
        }
        out.push(rest as u8);
    }

    /// A string literal without Huffman coding (RFC 7541 §5.2).
    pub fn string(out: &mut Vec<u8>, s: &[u8]) {
        int(out, 0x00, 7, s.len());
        out.extend_from_slice(s);
    }

    /// Literal field without indexing, new name (RFC 7541 §6.2.2).
    pub fn literal(name: &[u8], value: &[u8]) -> Vec<u8> {
        let mut out = vec![0x00];
        string(&mut out, name);
        string(&mut out, value);
        out
    }

    /// Literal field with incremental indexing, new name (RFC 7541 §6.2.1): the field
    /// enters the dynamic table.
    pub fn literal_indexed(name: &[u8], value: &[u8]) -> Vec<u8> {
        let mut out = vec![0x40];
        string(&mut out, name);
        string(&mut out, value);
        out
    }

    /// Indexed field (RFC 7541 §6.1); 62 is the newest dynamic-table entry.
    pub fn indexed(index: usize) -> Vec<u8> {
        let mut out = Vec::new();
        int(&mut out, 0x80, 7, index);
        out
    }

    /// Dynamic table size update (RFC 7541 §6.3).
    pub fn size_update(size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        int(&mut out, 0x20, 5, size);
        out
    }

    /// A valid request block: `:method`, `:scheme https`, `:path`, `:authority`.
    pub fn request(method: &str, path: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, v) in [
            (":method", method),
            (":scheme", "https"),
            (":path", path),
            (":authority", "example.com"),
        ] {
            out.extend(literal(n.as_bytes(), v.as_bytes()));
        }
        out
    }
}

/// Frame builders. Everything becomes bytes through [`Wire`].
pub mod frames {
    use super::{Frame, FrameType, StreamId, fl, frame, hpack};
    use stator_h2::ErrorCode;
    use stator_h2::frame::Priority;

    /// Something the peer can send.
    pub trait Wire {
        /// The bytes on the wire.
        fn wire(&self) -> Vec<u8>;
    }

    impl Wire for Vec<u8> {
        fn wire(&self) -> Vec<u8> {
            self.clone()
        }
    }

    impl Wire for &[u8] {
        fn wire(&self) -> Vec<u8> {
            self.to_vec()
        }
    }

    impl<const N: usize> Wire for &[u8; N] {
        fn wire(&self) -> Vec<u8> {
            self.to_vec()
        }
    }

    /// Any frame, exactly as given: the 31-bit stream field is written with its reserved
    /// bit as passed in `stream` (RFC 9113 §4.1).
    pub fn raw(ty: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut out = Vec::with_capacity(9 + payload.len());
        out.extend_from_slice(&len.to_be_bytes()[1..]);
        out.push(ty);
        out.push(flags);
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn sid(stream: u32) -> StreamId {
        StreamId::from_wire(stream)
    }

    /// A HEADERS frame builder: `headers(1).request("GET", "/").eos()`.
    #[derive(Clone, Debug)]
    pub struct Headers {
        stream: u32,
        block: Vec<u8>,
        flags: u8,
        pad: Option<u8>,
        priority: Option<(u32, bool, u8)>,
    }

    pub fn headers(stream: u32) -> Headers {
        Headers {
            stream,
            block: Vec::new(),
            flags: fl::END_HEADERS,
            pad: None,
            priority: None,
        }
    }

    impl Headers {
        /// A valid GET-like request head (`:method`, `:scheme`, `:path`, `:authority`).
        pub fn request(mut self, method: &str, path: &str) -> Self {
            self.block.extend(hpack::request(method, path));
            self
        }
        /// A response head with this `:status`.
        pub fn response(self, status: u16) -> Self {
            self.field(":status", &status.to_string())
        }
        /// One more field (literal without indexing).
        pub fn field(mut self, name: &str, value: &str) -> Self {
            self.block
                .extend(hpack::literal(name.as_bytes(), value.as_bytes()));
            self
        }
        /// Several fields, in order.
        pub fn fields(mut self, fields: &[(&str, &str)]) -> Self {
            for (n, v) in fields {
                self.block
                    .extend(hpack::literal(n.as_bytes(), v.as_bytes()));
            }
            self
        }
        /// Raw HPACK bytes appended to the block.
        pub fn block(mut self, bytes: &[u8]) -> Self {
            self.block.extend_from_slice(bytes);
            self
        }
        /// Sets `END_STREAM`.
        pub fn eos(mut self) -> Self {
            self.flags |= fl::END_STREAM;
            self
        }
        /// Clears `END_HEADERS`: CONTINUATION frames must follow.
        pub fn no_end_headers(mut self) -> Self {
            self.flags &= !fl::END_HEADERS;
            self
        }
        /// Pads with `n` octets.
        pub fn padded(mut self, n: u8) -> Self {
            self.pad = Some(n);
            self
        }
        /// Adds the priority fields.
        pub fn priority(mut self, dependency: u32, exclusive: bool, weight: u8) -> Self {
            self.priority = Some((dependency, exclusive, weight));
            self
        }
        /// The block built so far.
        pub fn block_bytes(&self) -> Vec<u8> {
            self.block.clone()
        }
    }

    impl Wire for Headers {
        fn wire(&self) -> Vec<u8> {
            let mut flags = self.flags;
            let mut payload = Vec::new();
            if let Some(p) = self.pad {
                flags |= fl::PADDED;
                payload.push(p);
            }
            if let Some((dep, excl, weight)) = self.priority {
                flags |= fl::PRIORITY;
                let d = dep | if excl { 0x8000_0000 } else { 0 };
                payload.extend_from_slice(&d.to_be_bytes());
                payload.push(weight);
            }
            payload.extend_from_slice(&self.block);
            if let Some(p) = self.pad {
                payload.extend(std::iter::repeat_n(0u8, usize::from(p)));
            }
            raw(super::ty::HEADERS, flags, self.stream, &payload)
        }
    }

    /// A DATA frame builder.
    #[derive(Clone, Debug)]
    pub struct Data {
        stream: u32,
        data: Vec<u8>,
        eos: bool,
        pad: Option<u8>,
    }

    pub fn data(stream: u32, data: &[u8]) -> Data {
        Data {
            stream,
            data: data.to_vec(),
            eos: false,
            pad: None,
        }
    }

    impl Data {
        pub fn eos(mut self) -> Self {
            self.eos = true;
            self
        }
        pub fn padded(mut self, n: u8) -> Self {
            self.pad = Some(n);
            self
        }
    }

    impl Wire for Data {
        fn wire(&self) -> Vec<u8> {
            let mut out = Vec::new();
            frame::write_data(&mut out, sid(self.stream), &self.data, self.eos, self.pad).unwrap();
            out
        }
    }

    pub fn continuation(stream: u32, block: &[u8], end_headers: bool) -> Vec<u8> {
        let flags = if end_headers { fl::END_HEADERS } else { 0 };
        raw(super::ty::CONTINUATION, flags, stream, block)
    }

    pub fn priority(stream: u32, dependency: u32, exclusive: bool, weight: u8) -> Vec<u8> {
        let mut out = Vec::new();
        frame::write_priority(
            &mut out,
            sid(stream),
            Priority {
                exclusive,
                dependency: sid(dependency),
                weight,
            },
        );
        out
    }

    pub fn rst(stream: u32, code: ErrorCode) -> Vec<u8> {
        raw(super::ty::RST_STREAM, 0, stream, &code.0.to_be_bytes())
    }

    pub fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
        let mut payload = Vec::new();
        for (id, value) in entries {
            payload.extend_from_slice(&id.to_be_bytes());
            payload.extend_from_slice(&value.to_be_bytes());
        }
        raw(super::ty::SETTINGS, 0, 0, &payload)
    }

    pub fn settings_ack() -> Vec<u8> {
        let mut out = Vec::new();
        frame::write_settings_ack(&mut out);
        out
    }

    pub fn ping(data: [u8; 8]) -> Vec<u8> {
        let mut out = Vec::new();
        frame::write_ping(&mut out, data, false);
        out
    }

    pub fn ping_ack(data: [u8; 8]) -> Vec<u8> {
        let mut out = Vec::new();
        frame::write_ping(&mut out, data, true);
        out
    }

    pub fn goaway(last: u32, code: ErrorCode) -> Vec<u8> {
        let mut payload = last.to_be_bytes().to_vec();
        payload.extend_from_slice(&code.0.to_be_bytes());
        raw(super::ty::GOAWAY, 0, 0, &payload)
    }

    pub fn window_update(stream: u32, increment: u32) -> Vec<u8> {
        raw(
            super::ty::WINDOW_UPDATE,
            0,
            stream,
            &increment.to_be_bytes(),
        )
    }

    pub fn push_promise(stream: u32, promised: u32, block: &[u8]) -> Vec<u8> {
        let mut payload = promised.to_be_bytes().to_vec();
        payload.extend_from_slice(block);
        raw(super::ty::PUSH_PROMISE, fl::END_HEADERS, stream, &payload)
    }

    /// A frame of an unknown type (RFC 9113 §5.5).
    pub fn unknown(stream: u32, payload: &[u8]) -> Vec<u8> {
        raw(0xfa, 0xff, stream, payload)
    }

    /// The frame type of a parsed frame, for messages.
    pub fn type_of(f: &Frame) -> FrameType {
        f.frame_type()
    }
}

pub use frames::Wire;

/// A decoded header list the machine sent: HEADERS (+ CONTINUATION) on `stream`.
#[derive(Debug, Clone)]
pub struct HeaderList {
    pub stream: u32,
    pub fields: Vec<(String, String)>,
    pub end_stream: bool,
}

impl HeaderList {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn status(&self) -> u16 {
        self.get(":status").unwrap().parse().unwrap()
    }
}

/// The scripted peer and the machine under test.
pub struct Peer {
    /// The machine under test.
    pub conn: Connection,
    /// The simulated time, advanced by the test.
    pub now: Instant,
    reader: FrameReader,
    /// The machine is a client: its output starts with the preface.
    strip_preface: bool,
    /// Frames the machine sent and the test has not yet consumed.
    pub frames: VecDeque<Frame>,
    /// Every frame the machine sent, for counting.
    pub all_frames: Vec<FrameType>,
    /// Header lists the machine sent, decoded, in order.
    pub heads: VecDeque<HeaderList>,
    /// Events the machine reported and the test has not yet consumed.
    pub events: VecDeque<Event>,
    /// The first error `recv` returned.
    pub error: Option<Error>,
    decoder: stator_hpack::Decoder,
    partial_block: Option<(u32, Vec<u8>, bool)>,
    /// Total bytes the machine wrote.
    pub bytes_out: usize,
    /// WINDOW_UPDATE increments the machine sent, per stream (0: the connection).
    credits: std::collections::HashMap<u32, u64>,
}

pub const PING_PROBE: [u8; 8] = *b"h2-alive";

impl Peer {
    fn new(conn: Connection, strip_preface: bool) -> Peer {
        Peer {
            conn,
            now: Instant::now(),
            reader: FrameReader::new(frame::MAX_MAX_FRAME_SIZE),
            strip_preface,
            frames: VecDeque::new(),
            all_frames: Vec::new(),
            heads: VecDeque::new(),
            events: VecDeque::new(),
            error: None,
            decoder: stator_hpack::Decoder::new(stator_hpack::Limits::default()),
            partial_block: None,
            bytes_out: 0,
            credits: std::collections::HashMap::new(),
        }
    }

    /// A server machine, nothing exchanged yet.
    pub fn server(config: Config) -> Peer {
        let mut p = Peer::new(Connection::server(config), false);
        p.pump();
        p
    }

    /// A client machine, nothing read from it yet.
    pub fn client(config: Config) -> Peer {
        let mut p = Peer::new(Connection::client(config), true);
        p.pump();
        p
    }

    /// A server machine after the whole handshake: client preface and empty SETTINGS
    /// sent, the server's SETTINGS read and acknowledged, our SETTINGS acknowledged.
    pub fn server_handshake(config: Config) -> Peer {
        Peer::server_handshake_with(config, &[])
    }

    /// [`Peer::server_handshake`] with these client settings.
    pub fn server_handshake_with(config: Config, settings: &[(u16, u32)]) -> Peer {
        let mut p = Peer::server(config);
        let mut hello = PREFACE.to_vec();
        hello.extend(frames::settings(settings));
        p.send(hello);
        p.finish_handshake();
        p
    }

    /// A client machine after the whole handshake, the server (us) sending `settings`.
    pub fn client_handshake_with(config: Config, settings: &[(u16, u32)]) -> Peer {
        let mut p = Peer::client(config);
        p.send(frames::settings(settings));
        p.finish_handshake();
        p
    }

    pub fn client_handshake(config: Config) -> Peer {
        Peer::client_handshake_with(config, &[])
    }

    fn finish_handshake(&mut self) {
        // RFC 9113 §3.4: the first frame either endpoint sends is SETTINGS.
        match self.frames.pop_front() {
            Some(Frame::Settings(s)) if !s.is_ack() => {}
            other => panic!("expected the machine's SETTINGS first, got {other:?}"),
        }
        self.send(frames::settings_ack());
        self.expect_settings_ack();
        assert!(self.error.is_none(), "handshake failed: {:?}", self.error);
        self.frames.clear();
        self.events.clear();
    }

    /// Feeds bytes to the machine and collects everything it writes and reports.
    pub fn send(&mut self, w: impl Wire) {
        let bytes = w.wire();
        self.send_bytes(&bytes);
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let r = self.conn.recv(self.now, bytes);
        if let Err(e) = r
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self.pump();
    }

    /// Feeds bytes without reading anything back: a peer that never reads its socket.
    /// Returns whether `recv` succeeded.
    pub fn feed(&mut self, w: impl Wire) -> bool {
        let bytes = w.wire();
        match self.conn.recv(self.now, &bytes) {
            Ok(()) => true,
            Err(e) => {
                if self.error.is_none() {
                    self.error = Some(e);
                }
                false
            }
        }
    }

    /// Advances the simulated time and runs due timers.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
        if let Some(t) = self.conn.poll_timeout()
            && t <= self.now
        {
            self.conn.handle_timeout(self.now);
        }
        self.pump();
    }

    /// Drains the machine's output and events.
    pub fn pump(&mut self) {
        let mut out = Vec::new();
        while self.conn.poll_output(&mut out) > 0 {}
        self.bytes_out += out.len();
        let mut bytes = &out[..];
        if self.strip_preface && !bytes.is_empty() {
            assert!(
                bytes.starts_with(PREFACE),
                "a client must start with the connection preface (RFC 9113 §3.4)"
            );
            bytes = &bytes[PREFACE.len()..];
            self.strip_preface = false;
        }
        self.reader.recv(bytes);
        loop {
            match self.reader.next_frame() {
                Ok(Some(f)) => self.take_frame(f),
                Ok(None) => break,
                Err(e) => panic!("the machine wrote an invalid frame: {e:?}"),
            }
        }
        while let Some(ev) = self.conn.poll_event() {
            self.events.push_back(ev);
        }
    }

    fn take_frame(&mut self, f: Frame) {
        self.all_frames.push(f.frame_type());
        match &f {
            Frame::Headers {
                stream_id,
                fragment,
                end_stream,
                end_headers,
                ..
            } => {
                self.partial_block = Some((stream_id.get(), fragment.to_vec(), *end_stream));
                if *end_headers {
                    self.finish_block();
                }
            }
            Frame::Continuation {
                fragment,
                end_headers,
                ..
            } => {
                let block = self
                    .partial_block
                    .as_mut()
                    .expect("the machine sent CONTINUATION without HEADERS");
                block.1.extend_from_slice(fragment);
                if *end_headers {
                    self.finish_block();
                }
            }
            Frame::WindowUpdate {
                stream_id,
                increment,
            } => {
                *self.credits.entry(stream_id.get()).or_default() += u64::from(*increment);
            }
            _ => {}
        }
        self.frames.push_back(f);
    }

    fn finish_block(&mut self) {
        let (stream, block, end_stream) = self.partial_block.take().unwrap();
        let mut fields = Vec::new();
        let _ = self
            .decoder
            .decode(&Bytes::from(block), |f| {
                fields.push((
                    String::from_utf8_lossy(&f.name).into_owned(),
                    String::from_utf8_lossy(&f.value).into_owned(),
                ));
                ControlFlow::<()>::Continue(())
            })
            .expect("the machine sent an invalid header block");
        self.heads.push_back(HeaderList {
            stream,
            fields,
            end_stream,
        });
    }

    /// The flow-control credit the machine granted on `stream` with WINDOW_UPDATE so far.
    pub fn credit(&self, stream: u32) -> u64 {
        self.credits.get(&stream).copied().unwrap_or(0)
    }

    /// The connection error: what `recv` returned, or what `Event::Closed` carries.
    pub fn conn_error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().map(Error::code).or_else(|| {
            self.events.iter().find_map(|e| match e {
                Event::Closed { error: Some(e) } => Some(e.code()),
                _ => None,
            })
        })
    }

    fn describe(&self) -> String {
        format!(
            "frames left {:?}, error {:?}, events {:?}",
            self.frames, self.error, self.events
        )
    }

    /// Pops frames until `pick` returns `Some`; panics if none matches, or if `stop`
    /// matches first.
    fn find_frame<T>(&mut self, what: &str, mut pick: impl FnMut(&Frame) -> Option<T>) -> T {
        while let Some(f) = self.frames.pop_front() {
            if let Some(t) = pick(&f) {
                return t;
            }
        }
        panic!("expected {what}; {}", self.describe())
    }

    /// Connection error: a GOAWAY with `code` was sent and `recv` returned the error.
    /// Returns the GOAWAY's last stream id.
    pub fn expect_goaway(&mut self, code: ErrorCode) -> u32 {
        let seen = self.frames.clone();
        let (last, got) = self.find_frame("GOAWAY", |f| match f {
            Frame::GoAway {
                last_stream_id,
                code,
                ..
            } => Some((last_stream_id.get(), *code)),
            _ => None,
        });
        assert_eq!(got, code, "GOAWAY code; frames before it: {seen:?}");
        assert_eq!(
            self.conn_error_code(),
            Some(code),
            "recv (or Event::Closed) must report the connection error"
        );
        last
    }

    /// The next GOAWAY frame's last stream id and code, without requiring an error.
    pub fn expect_goaway_frame(&mut self) -> (u32, ErrorCode) {
        self.find_frame("GOAWAY", |f| match f {
            Frame::GoAway {
                last_stream_id,
                code,
                ..
            } => Some((last_stream_id.get(), *code)),
            _ => None,
        })
    }

    /// Stream error: `RST_STREAM` with `code` on `stream`, and the connection lives on.
    pub fn expect_rst(&mut self, stream: u32, code: ErrorCode) {
        let got = self.find_frame("RST_STREAM", |f| match f {
            Frame::RstStream { stream_id, code } if stream_id.get() == stream => Some(*code),
            Frame::GoAway { code, .. } => {
                panic!("expected RST_STREAM on {stream}, got GOAWAY {code:?}")
            }
            _ => None,
        });
        assert_eq!(got, code, "RST_STREAM code on stream {stream}");
        self.expect_alive();
    }

    /// Either a stream error on `stream` or a connection error, with `code` (where the
    /// RFC leaves the scope open, or h2spec accepts both).
    pub fn expect_error(&mut self, stream: u32, code: ErrorCode) {
        let got = self.find_frame("RST_STREAM or GOAWAY", |f| match f {
            Frame::RstStream { stream_id, code } if stream_id.get() == stream => Some(*code),
            Frame::GoAway { code, .. } => Some(*code),
            _ => None,
        });
        assert_eq!(got, code, "error code; {}", self.describe());
    }

    /// The connection is still open: a PING is answered, and no GOAWAY was sent first.
    pub fn expect_alive(&mut self) {
        assert!(self.error.is_none(), "connection error {:?}", self.error);
        self.send(frames::ping(PING_PROBE));
        self.find_frame("the PING probe's ACK", |f| match f {
            Frame::Ping { ack: true, data } => {
                assert_eq!(*data, PING_PROBE, "an unexpected PING ACK");
                Some(())
            }
            Frame::GoAway { code, .. } => panic!("expected a live connection, got GOAWAY {code:?}"),
            _ => None,
        });
    }

    /// No RST_STREAM and no GOAWAY among the frames written so far, and the connection
    /// is alive.
    pub fn expect_no_error(&mut self) {
        for f in &self.frames {
            if matches!(f, Frame::RstStream { .. } | Frame::GoAway { .. }) {
                panic!("unexpected {f:?}; {}", self.describe());
            }
        }
        self.expect_alive();
    }

    pub fn expect_settings_ack(&mut self) {
        self.find_frame("SETTINGS ACK", |f| match f {
            Frame::Settings(s) if s.is_ack() => Some(()),
            _ => None,
        });
    }

    pub fn expect_ping_ack(&mut self, payload: [u8; 8]) {
        let got = self.find_frame("PING ACK", |f| match f {
            Frame::Ping { ack: true, data } => Some(*data),
            _ => None,
        });
        assert_eq!(got, payload);
    }

    /// The next DATA frame on `stream`: its payload and `END_STREAM`.
    pub fn expect_data(&mut self, stream: u32) -> (Bytes, bool) {
        self.find_frame("DATA", |f| match f {
            Frame::Data {
                stream_id,
                data,
                end_stream,
                ..
            } if stream_id.get() == stream => Some((data.clone(), *end_stream)),
            _ => None,
        })
    }

    /// The next header list the machine sent on `stream`.
    pub fn expect_head(&mut self, stream: u32) -> HeaderList {
        let i = self
            .heads
            .iter()
            .position(|h| h.stream == stream)
            .unwrap_or_else(|| panic!("expected HEADERS on {stream}; {}", self.describe()));
        self.heads.remove(i).unwrap()
    }

    /// Server: the request event for `stream`.
    pub fn expect_request(&mut self, stream: u32) -> (http::request::Parts, bool) {
        let i = self
            .events
            .iter()
            .position(|e| matches!(e, Event::Request { stream: s, .. } if s.get() == stream))
            .unwrap_or_else(|| panic!("expected a request on {stream}; {}", self.describe()));
        match self.events.remove(i).unwrap() {
            Event::Request {
                head, end_stream, ..
            } => (head, end_stream),
            _ => unreachable!(),
        }
    }

    /// Server: no request event on `stream`.
    pub fn expect_no_request(&mut self, stream: u32) {
        assert!(
            !self
                .events
                .iter()
                .any(|e| matches!(e, Event::Request { stream: s, .. } if s.get() == stream)),
            "a request surfaced on {stream}: {:?}",
            self.events
        );
    }

    /// Whether a frame of this type is among the unconsumed frames.
    pub fn has_frame(&self, t: u8) -> bool {
        self.frames.iter().any(|f| f.frame_type() == FrameType(t))
    }

    /// Counts the unconsumed frames of this type.
    pub fn count_frames(&self, t: u8) -> usize {
        self.frames
            .iter()
            .filter(|f| f.frame_type() == FrameType(t))
            .count()
    }

    /// Removes the events, returning them.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.events.drain(..).collect()
    }

    /// A request head for the client machine.
    pub fn request_head(method: &str, uri: &str) -> http::request::Parts {
        let (parts, ()) = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }
}

/// A 200 response head for the server machine.
pub fn response_head(status: u16) -> http::response::Parts {
    let (parts, ()) = http::Response::builder()
        .status(status)
        .body(())
        .unwrap()
        .into_parts();
    parts
}

/// The stream id as a `StreamId`.
pub fn sid(n: u32) -> StreamId {
    StreamId::new(n).unwrap()
}

/// A setting entry for `frame::write_settings_entries`.
pub fn entry(id: u16, value: u32) -> Setting {
    Setting {
        id: SettingId(id),
        value,
    }
}
