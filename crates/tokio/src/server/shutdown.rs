//! Graceful shutdown: a handle that starts it, and the signal every connection task
//! watches.
//!
//! Every connection task waits on the signal in every turn of its loop. A
//! `tokio::sync::watch` (or `Notify`) adds and removes a waiter in one list shared by
//! all connections each time, under a lock every core contends for. Here a task
//! registers its waker once ([`Watch`] keeps its slot) and a turn costs an atomic load
//! and a waker comparison; the lock is taken when a task first waits, when its waker
//! changes, when it ends, and by the shutdown itself.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Starts the graceful shutdown of a [`Server`](crate::Server).
///
/// On [`shutdown`](Self::shutdown) the server stops accepting, HTTP/1.1 connections
/// finish the exchange in progress with `Connection: close`, WebSocket sessions are
/// closed with 1001 (Going Away), and whatever is still open after the drain deadline is
/// aborted. Cheap to clone; any clone works.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    signal: Arc<Signal>,
}

/// The shared state: the flag, and the wakers of the tasks waiting for it.
#[derive(Debug, Default)]
struct Signal {
    set: AtomicBool,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Signal {
    fn lock(&self) -> MutexGuard<'_, Waiters> {
        // Nothing panics while holding the lock; a poisoned one still holds valid data.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ShutdownHandle {
    /// A handle whose shutdown has not started.
    pub(crate) fn new() -> ShutdownHandle {
        ShutdownHandle {
            signal: Arc::new(Signal::default()),
        }
    }

    /// Starts the graceful shutdown (idempotent).
    pub fn shutdown(&self) {
        self.signal.set.store(true, Ordering::Release);
        let wakers: Vec<Waker> = self
            .signal
            .lock()
            .slots
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether the shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        self.signal.set.load(Ordering::Acquire)
    }

    /// What connection tasks watch.
    pub(crate) fn watch(&self) -> Watch {
        Watch {
            signal: Arc::clone(&self.signal),
            slot: None,
        }
    }
}

/// A connection task's view of the shutdown signal.
#[derive(Debug)]
pub(crate) struct Watch {
    signal: Arc<Signal>,
    /// This watch's waiter slot and the waker stored there, once it waited.
    slot: Option<(usize, Waker)>,
}

impl Watch {
    /// Whether the shutdown has started.
    pub(crate) fn is_set(&self) -> bool {
        self.signal.set.load(Ordering::Acquire)
    }

    /// Completes once the shutdown has started (at once if it has); never otherwise.
    /// Cancel-safe.
    pub(crate) async fn wait(&mut self) {
        poll_fn(|cx| self.poll_wait(cx)).await;
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_set() {
            return Poll::Ready(());
        }
        if self
            .slot
            .as_ref()
            .is_some_and(|(_, waker)| waker.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        {
            let mut waiters = self.signal.lock();
            let index = match &self.slot {
                Some((index, _)) => *index,
                None => waiters.free.pop().unwrap_or(waiters.slots.len()),
            };
            let waker = Some(cx.waker().clone());
            match waiters.slots.get_mut(index) {
                Some(place) => *place = waker,
                None => waiters.slots.push(waker),
            }
            self.slot = Some((index, cx.waker().clone()));
        }
        // Set between the first check and the registration: the shutdown may have
        // taken the wakers before ours was stored.
        if self.is_set() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Clone for Watch {
    fn clone(&self) -> Watch {
        Watch {
            signal: Arc::clone(&self.signal),
            slot: None,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some((index, _)) = self.slot.take() {
            let mut waiters = self.signal.lock();
            if let Some(place) = waiters.slots.get_mut(index) {
                *place = None;
                waiters.free.push(index);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn every_watch_wakes_once_shutdown_starts_and_slots_are_reused() {
        let handle = ShutdownHandle::new();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let mut watch = handle.watch();
            tasks.push(tokio::spawn(async move {
                watch.wait().await;
                watch.is_set()
            }));
        }
        // A watch that waited and ended gives its slot back.
        let mut gone = handle.watch();
        let waited = tokio::time::timeout(std::time::Duration::from_millis(10), gone.wait()).await;
        assert!(waited.is_err());
        drop(gone);
        tokio::task::yield_now().await;
        assert!(!handle.is_shutting_down());
        handle.shutdown();
        for task in tasks {
            assert!(task.await.unwrap());
        }
        let mut late = handle.watch();
        late.wait().await;
        let waiters = handle.signal.lock();
        assert!(waiters.slots.len() <= 9);
        assert!(!waiters.free.is_empty());
    }
}
