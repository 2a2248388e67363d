//! Graceful shutdown: a handle that starts it, and the signal every connection task
//! watches.

use tokio::sync::watch;

/// Starts the graceful shutdown of a [`Server`](crate::Server).
///
/// On [`shutdown`](Self::shutdown) the server stops accepting, HTTP/1.1 connections
/// finish the exchange in progress with `Connection: close`, WebSocket sessions are
/// closed with 1001 (Going Away), and whatever is still open after the drain deadline is
/// aborted. Cheap to clone; any clone works.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    /// A handle whose shutdown has not started.
    pub(crate) fn new() -> ShutdownHandle {
        ShutdownHandle {
            tx: std::sync::Arc::new(watch::Sender::new(false)),
        }
    }

    /// Starts the graceful shutdown (idempotent).
    pub fn shutdown(&self) {
        self.tx.send_replace(true);
    }

    /// Whether the shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        *self.tx.borrow()
    }

    /// What connection tasks watch.
    pub(crate) fn watch(&self) -> Watch {
        Watch(self.tx.subscribe())
    }
}

/// A connection task's view of the shutdown signal.
#[derive(Debug, Clone)]
pub(crate) struct Watch(watch::Receiver<bool>);

impl Watch {
    /// Whether the shutdown has started.
    pub(crate) fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the shutdown has started (at once if it has), or never if the
    /// server is gone without one.
    pub(crate) async fn wait(&mut self) {
        if self.0.wait_for(|set| *set).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
