//! An HTTP/1.1 client connection: one task owning the socket and a
//! `stator_h1::Connection`, carrying one exchange at a time (RFC 9112 §9.3 persistence).
//!
//! The pool takes an idle connection's [`Handle`] out, hands it one [`Job`], and puts it
//! back when the reply says the connection can carry another request. An idle connection
//! that the server closes (or writes to) ends its task, so the pool never hands out a
//! connection known to be dead; a race with a close in flight is still possible (as with
//! every HTTP/1.1 client) and reported as [`ClientError::Closed`].

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, request};
use stator_h1::{BodySize, Connection, Event};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, oneshot};
use tracing::debug;

use super::body::{Item, ResponseStream, Source};
use super::connect::BoxIo;
use super::{ClientError, Settings};

/// How much content goes to the machine at a time.
const CHUNK: usize = 64 * 1024;

/// Pieces of response content the channel to the application holds before the task
/// stops reading the socket.
const PIECES: usize = 8;

/// The reply to a [`Job`]: the response head and its content's stream.
pub(crate) type Reply = Result<ResponseStream, ClientError>;

/// Puts the connection back in the pool; called before the last piece of the response
/// is delivered, so that the next request of the same caller finds it.
pub(crate) type CheckIn = Box<dyn FnOnce() + Send>;

/// One request for the connection task.
pub(crate) struct Job {
    /// The request head (absolute URI; the machine writes the origin form and Host).
    pub(crate) head: request::Parts,
    /// The whole content.
    pub(crate) body: Bytes,
    /// Where the response goes.
    pub(crate) reply: oneshot::Sender<Reply>,
    /// Called when the exchange ends with the connection reusable.
    pub(crate) check_in: CheckIn,
}

/// The pool's end of an HTTP/1.1 connection task.
#[derive(Debug, Clone)]
pub(crate) struct Handle {
    tx: mpsc::Sender<Job>,
}

impl Handle {
    /// Whether the task is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Sends one job; the task has room for exactly one.
    pub(crate) async fn send(&self, head: request::Parts, body: Bytes, check_in: CheckIn) -> Reply {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            head,
            body,
            reply,
            check_in,
        };
        if self.tx.send(job).await.is_err() {
            return Err(ClientError::Closed);
        }
        answer.await.unwrap_or(Err(ClientError::Closed))
    }
}

/// Starts the task for `io`.
pub(crate) fn spawn(io: BoxIo, settings: Arc<Settings>) -> Handle {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(run(io, rx, settings));
    Handle { tx }
}

async fn run(io: BoxIo, mut jobs: mpsc::Receiver<Job>, settings: Arc<Settings>) {
    let (mut reader, mut writer) = tokio::io::split(io);
    let mut conn = Connection::new(stator_h1::Role::Client, settings.h1_limits);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        let job = tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => job,
                None => break,
            },
            // Input while idle: the server closed (or broke the protocol). Either way
            // this connection carries nothing more.
            _ = reader.read_buf(&mut buf) => break,
            () = tokio::time::sleep(settings.idle_timeout) => break,
        };
        let mut exchange = Exchange {
            conn: &mut conn,
            reader: &mut reader,
            writer: &mut writer,
            buf: &mut buf,
            settings: &settings,
        };
        let mut reply = Some(job.reply);
        let mut tx = None;
        let result = exchange
            .run(&job.head, &job.body, &mut reply, &mut tx)
            .await;
        let reusable = match result {
            Ok(Some((trailers, ended))) => {
                let reusable = ended && !conn.wants_close();
                if reusable {
                    (job.check_in)();
                }
                if let Some(tx) = tx {
                    let _ = tx.send(Item::End(trailers)).await;
                }
                reusable
            }
            // The application dropped the response before its end.
            Ok(None) => false,
            Err(error) => {
                debug!(%error, "HTTP/1.1 exchange failed");
                if let Some(reply) = reply.take() {
                    let _ = reply.send(Err(error));
                } else if let Some(tx) = tx {
                    let _ = tx.send(Item::Error(error)).await;
                }
                false
            }
        };
        if !reusable {
            break;
        }
    }
    let _ = tokio::time::timeout(settings.idle_timeout, writer.shutdown()).await;
}

/// Whether a request with this method and no content goes without a Content-Length.
fn no_length(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// One request and its response on the connection.
struct Exchange<'a> {
    conn: &'a mut Connection,
    reader: &'a mut ReadHalf<BoxIo>,
    writer: &'a mut WriteHalf<BoxIo>,
    buf: &'a mut BytesMut,
    settings: &'a Settings,
}

impl Exchange<'_> {
    /// Sends the request and reads the response at the same time (a server may echo
    /// content as it arrives, or answer before reading it all). Returns the response
    /// and whether the whole request went out.
    ///
    /// `Ok(Some((trailers, all_sent)))` at the response's end, `Ok(None)` if the
    /// application dropped the response stream.
    async fn run(
        &mut self,
        head: &request::Parts,
        body: &Bytes,
        reply: &mut Option<oneshot::Sender<Reply>>,
        tx: &mut Option<mpsc::Sender<Item>>,
    ) -> Result<Option<(HeaderMap, bool)>, ClientError> {
        let size = if body.is_empty() && no_length(&head.method) {
            BodySize::Empty
        } else {
            BodySize::Known(body.len() as u64)
        };
        self.conn
            .send_request(head, size)
            .map_err(ClientError::H1Local)?;
        let mut sent = 0usize;
        let mut ended = size == BodySize::Empty;
        let mut out: Option<Bytes> = None;
        let after = self.settings.idle_timeout;
        loop {
            while !ended {
                let rest = body.get(sent..).unwrap_or_default();
                if rest.is_empty() {
                    self.conn.send_end(None).map_err(ClientError::H1Local)?;
                    ended = true;
                    break;
                }
                let chunk = rest.get(..CHUNK.min(rest.len())).unwrap_or_default();
                match self.conn.send_data(chunk) {
                    Ok(()) => sent = sent.saturating_add(chunk.len()),
                    Err(stator_h1::Error::WouldBlock) => break,
                    Err(e) => return Err(ClientError::H1Local(e)),
                }
            }
            while let Some(event) = self.conn.poll_event() {
                match event {
                    Event::Response(parts) => {
                        let (sender, receiver) = mpsc::channel(PIECES);
                        let stream = ResponseStream::new(parts, Source::H1(receiver));
                        if let Some(reply) = reply.take()
                            && reply.send(Ok(stream)).is_ok()
                        {
                            *tx = Some(sender);
                        } else {
                            return Ok(None);
                        }
                    }
                    Event::Data(data) => {
                        if let Some(sender) = tx
                            && sender.send(Item::Data(data)).await.is_err()
                        {
                            return Ok(None);
                        }
                    }
                    Event::End(trailers) => return Ok(Some((trailers, ended))),
                    Event::Error(error) => return Err(ClientError::H1(error)),
                    Event::Closed | Event::Upgrade(_) => return Err(ClientError::Closed),
                    _ => {}
                }
            }
            if out.is_none() {
                out = self.conn.poll_transmit();
            }
            if self.buf.capacity() < 4096 {
                self.buf.reserve(16 * 1024);
            }
            tokio::select! {
                n = self.writer.write(out.as_deref().unwrap_or_default()), if out.is_some() => {
                    let n = n?;
                    if n == 0 {
                        return Err(ClientError::Closed);
                    }
                    out = out.take().map(|mut o| o.split_off(n.min(o.len()))).filter(|o| !o.is_empty());
                }
                n = self.reader.read_buf(self.buf), if self.conn.wants_input() => match n? {
                    0 => self.conn.recv_eof(),
                    _ => self.conn.recv_bytes(self.buf.split().freeze()),
                },
                () = tokio::time::sleep(after) => {
                    return Err(ClientError::Timeout { what: "idle", after });
                }
            }
        }
    }
}
