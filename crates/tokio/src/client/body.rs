//! A response whose content arrives as a stream: [`ResponseStream`].
//!
//! The connection task sends the head once it arrived, then the content piece by piece.
//! What bounds the pieces in flight depends on the carrier: over HTTP/1.1 the channel
//! holds a few pieces and the task stops reading the socket while it is full; over
//! HTTP/2 the task runs with manual flow control and gives a piece's credit back to the
//! server only when the application took it (RFC 9113 §5.2), so a slow reader stalls
//! only its own stream.

use crate::app::queue;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Response, StatusCode, Version, response};
use tokio::sync::mpsc;

use super::{ClientError, Trailers};

/// What a connection task delivers after the head.
#[derive(Debug)]
pub(crate) enum Item {
    /// Content, in order.
    Data(Bytes),
    /// The response is complete, with its trailers (empty if none).
    End(HeaderMap),
    /// The response was cut short.
    Error(ClientError),
}

/// What a stream's reader tells an HTTP/2 connection task.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Note {
    /// The application took this many bytes of the stream's content.
    Consumed(u32, usize),
    /// The application no longer wants the stream: reset it (`CANCEL`).
    Cancel(u32),
}

/// Where the content comes from.
#[derive(Debug)]
pub(crate) enum Source {
    /// An HTTP/1.1 task: a bounded channel.
    H1(mpsc::Receiver<Item>),
    /// An HTTP/2 stream: credit goes back as the content is taken.
    H2 {
        rx: queue::Receiver<Item>,
        notes: queue::Sender<Note>,
        stream: u32,
    },
}

/// A response head whose content is read piece by piece with [`chunk`](Self::chunk).
///
/// Dropping it before the end abandons the response: an HTTP/2 stream is reset with
/// `CANCEL`, an HTTP/1.1 connection is closed (its unread content would otherwise be
/// read into the void).
#[derive(Debug)]
pub struct ResponseStream {
    head: response::Parts,
    source: Source,
    trailers: Option<HeaderMap>,
    done: bool,
}

impl ResponseStream {
    pub(crate) fn new(head: response::Parts, source: Source) -> ResponseStream {
        ResponseStream {
            head,
            source,
            trailers: None,
            done: false,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The HTTP version that carried the response.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The whole head.
    pub fn head(&self) -> &response::Parts {
        &self.head
    }

    /// The trailer fields, once [`chunk`](Self::chunk) returned `None` (empty if there
    /// were none).
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// The next piece of content; `None` once the response is complete.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        if self.done {
            return Ok(None);
        }
        let item = match &mut self.source {
            Source::H1(rx) => rx.recv().await,
            Source::H2 { rx, .. } => rx.recv().await,
        };
        match item {
            Some(Item::Data(data)) => {
                if let Source::H2 { notes, stream, .. } = &self.source {
                    let _ = notes.send(Note::Consumed(*stream, data.len()));
                }
                Ok(Some(data))
            }
            Some(Item::End(trailers)) => {
                self.done = true;
                self.trailers = Some(trailers);
                Ok(None)
            }
            Some(Item::Error(error)) => {
                self.done = true;
                Err(error)
            }
            None => {
                self.done = true;
                Err(ClientError::Closed)
            }
        }
    }

    /// Reads the rest of the content, at most `limit` bytes, into a whole response
    /// (trailers, if any, in its extensions as [`Trailers`]).
    pub async fn collect(mut self, limit: usize) -> Result<Response<Bytes>, ClientError> {
        let mut content = BytesMut::new();
        while let Some(data) = self.chunk().await? {
            if content.len().saturating_add(data.len()) > limit {
                return Err(ClientError::BodyTooLarge { limit });
            }
            content.extend_from_slice(&data);
        }
        let trailers = self.trailers.take().unwrap_or_default();
        let mut response = Response::from_parts(self.head.clone(), content.freeze());
        if !trailers.is_empty() {
            response.extensions_mut().insert(Trailers(trailers));
        }
        Ok(response)
    }
}

impl Drop for ResponseStream {
    fn drop(&mut self) {
        if !self.done
            && let Source::H2 { notes, stream, .. } = &self.source
        {
            let _ = notes.send(Note::Cancel(*stream));
        }
    }
}
