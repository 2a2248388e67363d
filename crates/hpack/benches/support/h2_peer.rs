//! h2 0.4 as a benchmark peer. Its HPACK module stays private even with the `unstable`
//! feature, which makes public only its frame `Codec`; so h2 is measured one layer up:
//! a HEADERS frame read by `Codec` (frame head + HPACK + its `HeaderMap` and pseudo-header
//! parsing) against stator decoding the same block into `stator-http`'s builders (HPACK +
//! field validation + `http` head). Both end with an `http` header map.
//!
//! The codec runs over an in-memory stream and is polled with a no-op waker: the stream
//! never blocks, so no runtime is needed.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use h2::Codec;
use h2::frame::{Frame, Headers, Pseudo, StreamId};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes the codec reads (refilled by the benchmark) and writes.
#[derive(Default)]
pub(crate) struct Pipe {
    input: Vec<u8>,
    pos: usize,
    pub(crate) output: Vec<u8>,
}

/// The codec's end of a [`Pipe`].
#[derive(Clone, Default)]
pub(crate) struct Io(pub(crate) Rc<RefCell<Pipe>>);

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut p = self.0.borrow_mut();
        let n = buf.remaining().min(p.input.len() - p.pos);
        if n == 0 {
            return Poll::Pending;
        }
        let start = p.pos;
        buf.put_slice(&p.input[start..start + n]);
        p.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        self.0.borrow_mut().output.extend_from_slice(b);
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// An h2 frame codec over a [`Pipe`].
pub(crate) struct Peer {
    pub(crate) io: Io,
    codec: Codec<Io, Bytes>,
}

impl Default for Peer {
    fn default() -> Self {
        let io = Io::default();
        Self {
            codec: Codec::new(io.clone()),
            io,
        }
    }
}

/// A HEADERS frame (END_STREAM | END_HEADERS) on stream 1 carrying `block`.
pub(crate) fn headers_frame(block: &[u8]) -> Vec<u8> {
    let len = block.len() as u32;
    let mut f = vec![
        (len >> 16) as u8,
        (len >> 8) as u8,
        len as u8,
        0x1,
        0x5,
        0,
        0,
        0,
        1,
    ];
    f.extend_from_slice(block);
    f
}

impl Peer {
    /// Reads one HEADERS frame and returns the number of regular fields decoded.
    pub(crate) fn decode(&mut self, frame: &[u8]) -> usize {
        {
            let mut p = self.io.0.borrow_mut();
            p.input.clear();
            p.input.extend_from_slice(frame);
            p.pos = 0;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match Pin::new(&mut self.codec).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(Frame::Headers(h)))) => h.into_parts().1.len(),
            other => panic!("h2 did not read the HEADERS frame: {other:?}"),
        }
    }

    /// Encodes one request or response HEADERS frame; returns the HPACK block's size.
    pub(crate) fn encode(&mut self, pseudo: Pseudo, fields: http::HeaderMap) -> usize {
        self.io.0.borrow_mut().output.clear();
        let frame = Headers::new(StreamId::from(1), pseudo, fields);
        let mut cx = Context::from_waker(Waker::noop());
        let mut codec = Pin::new(&mut self.codec);
        assert!(codec.as_mut().poll_ready(&mut cx).is_ready());
        codec
            .as_mut()
            .start_send(Frame::Headers(frame))
            .expect("h2 accepts the frame");
        assert!(matches!(
            codec.as_mut().poll_flush(&mut cx),
            Poll::Ready(Ok(()))
        ));
        self.io.0.borrow().output.len() - 9
    }
}

/// Splits a stator header list into h2's pseudo-headers and `HeaderMap`.
pub(crate) fn to_h2(list: &[(&[u8], &[u8])]) -> (Pseudo, http::HeaderMap) {
    let get = |n: &[u8]| list.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
    let pseudo = if let Some(status) = get(b":status") {
        Pseudo::response(http::StatusCode::from_bytes(status).unwrap())
    } else {
        let uri = format!(
            "{}://{}{}",
            std::str::from_utf8(get(b":scheme").unwrap()).unwrap(),
            std::str::from_utf8(get(b":authority").unwrap()).unwrap(),
            std::str::from_utf8(get(b":path").unwrap()).unwrap()
        );
        Pseudo::request(
            http::Method::from_bytes(get(b":method").unwrap()).unwrap(),
            uri.parse().unwrap(),
            None,
        )
    };
    let mut map = http::HeaderMap::new();
    for (n, v) in list.iter().filter(|(n, _)| !n.starts_with(b":")) {
        map.append(
            http::HeaderName::from_bytes(n).unwrap(),
            http::HeaderValue::from_bytes(v).unwrap(),
        );
    }
    (pseudo, map)
}
