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
/// A read of [`HANDOVER`] bytes or more is handed over alone in its allocation (the
/// buffer starts a new one), so a machine that buffers input (`recv_bytes`) can take the
/// bytes over without copying them; smaller reads share the buffer, which saves an
/// allocation per read.
#[derive(Debug)]
pub(crate) struct ReadBuffer {
    buf: BytesMut,
    base: usize,
    next: usize,
}

/// How many times its base size a read may grow to.
pub(crate) const GROWTH: usize = 16;

/// Reads at least this long get an allocation of their own.
pub(crate) const HANDOVER: usize = 4096;

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
        let data = self.buf.split().freeze();
        if data.len() >= HANDOVER {
            self.buf = BytesMut::new();
        }
        Ok(Some(data))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn reads_grow_while_they_fill_the_buffer_and_shrink_back() {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        let mut reader = ReadBuffer::new(1024);
        client.write_all(&vec![7u8; 200_000]).await.unwrap();
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < 200_000 {
            let data = reader.read(&mut server).await.unwrap().unwrap();
            total += data.len();
            sizes.push(data.len());
        }
        assert!(sizes.iter().any(|&n| n > 8 * 1024), "{sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 1024 * GROWTH), "{sizes:?}");
        client.write_all(b"hi").await.unwrap();
        assert_eq!(&reader.read(&mut server).await.unwrap().unwrap()[..], b"hi");
        assert!(reader.next < 1024 * GROWTH);
        drop(client);
        assert!(reader.read(&mut server).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_large_read_is_handed_over_unshared() {
        let (mut client, mut server) = tokio::io::duplex(1 << 16);
        let mut reader = ReadBuffer::new(16 * 1024);
        client.write_all(&[1u8; 10_000]).await.unwrap();
        let data = reader.read(&mut server).await.unwrap().unwrap();
        assert_eq!(data.len(), 10_000);
        assert!(data.try_into_mut().is_ok(), "the read owns its allocation");
        client.write_all(b"small").await.unwrap();
        let small = reader.read(&mut server).await.unwrap().unwrap();
        assert_eq!(&small[..], b"small");
    }
}
