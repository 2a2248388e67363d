//! Socket reads and writes as the drivers do them.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Writes all of `buf` to `io`, giving up if the write stalls for `limit`. False if it
/// failed or stalled.
///
/// A write that completes at once (the common case: the socket's buffer has room) reads
/// no clock and arms no timer; `tokio::time::timeout` would read the clock for every
/// write.
pub(crate) async fn write_all<S>(io: &mut S, buf: &[u8], limit: Duration) -> bool
where
    S: AsyncWrite + Unpin + ?Sized,
{
    let mut write = pin!(io.write_all(buf));
    let first = std::future::poll_fn(|cx| match write.as_mut().poll(cx) {
        Poll::Ready(done) => Poll::Ready(Some(done)),
        Poll::Pending => Poll::Ready(None),
    })
    .await;
    match first {
        Some(done) => done.is_ok(),
        None => matches!(tokio::time::timeout(limit, write).await, Ok(Ok(()))),
    }
}

/// Reads of a size that follows the traffic.
///
/// Reads start at the configured buffer size; a read that fills all the room it had
/// doubles the next one (up to [`GROWTH`] times the base), a read that fills less than a
/// quarter halves it back. Large messages and bodies then take few `read` calls, while
/// an idle or chatty connection keeps a small buffer.
///
/// Reads share the buffer's allocation (a machine that keeps input copies it). Handing
/// each large read over in an allocation of its own, which the machines could take
/// without copying, was measured: the copy it saved cost less than the page faults of
/// the fresh allocations.
#[derive(Debug)]
pub(crate) struct ReadBuffer {
    buf: BytesMut,
    base: usize,
    next: usize,
}

/// How many times its base size a read may grow to: 64 KiB with the default 16 KiB
/// buffer.
pub(crate) const GROWTH: usize = 4;

impl ReadBuffer {
    /// A buffer whose reads start at `base` bytes.
    pub(crate) fn new(base: usize) -> ReadBuffer {
        let base = base.max(1);
        ReadBuffer {
            buf: BytesMut::with_capacity(base),
            base,
            next: base,
        }
    }

    /// Reads once from `io`: `Ok(None)` at the end of the stream, otherwise the bytes read.
    /// Cancel-safe (nothing is read unless the future completes).
    pub(crate) async fn read<S>(&mut self, io: &mut S) -> std::io::Result<Option<Bytes>>
    where
        S: AsyncRead + Unpin + ?Sized,
    {
        let spare = self.buf.capacity().saturating_sub(self.buf.len());
        if spare < self.next / 2 {
            self.buf.reserve(self.next);
        }
        let room = self.buf.capacity().saturating_sub(self.buf.len());
        let n = io.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Ok(None);
        }
        if n >= room {
            self.next = self
                .next
                .saturating_mul(2)
                .min(self.base.saturating_mul(GROWTH));
        } else if n < self.next / 4 {
            self.next = (self.next / 2).max(self.base);
        }
        Ok(Some(self.buf.split().freeze()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn reads_grow_while_they_fill_the_buffer_and_shrink_back() {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        // A 1 KiB base: reads may grow to 4 KiB.
        let mut reader = ReadBuffer::new(1024);
        client.write_all(&vec![7u8; 200_000]).await.unwrap();
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < 200_000 {
            let data = reader.read(&mut server).await.unwrap().unwrap();
            total += data.len();
            sizes.push(data.len());
        }
        assert!(sizes.iter().any(|&n| n > 2 * 1024), "{sizes:?}");
        // Reads take the room the buffer has, which reserving may round up: bounded.
        assert!(sizes.iter().all(|&n| n <= 2 * 1024 * GROWTH), "{sizes:?}");
        client.write_all(b"hi").await.unwrap();
        assert_eq!(&reader.read(&mut server).await.unwrap().unwrap()[..], b"hi");
        assert!(reader.next < 1024 * GROWTH);
        drop(client);
        assert!(reader.read(&mut server).await.unwrap().is_none());
    }
}
