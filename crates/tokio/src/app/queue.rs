//! An unbounded queue from the senders of a connection to one receiver: what carries
//! the [`Command`](super::link::Command)s of a connection's sessions and each session's
//! inbound items.
//!
//! tokio's unbounded `mpsc` allocates a block of 32 slots when it is made and links
//! blocks as it grows; a session that receives one item (the end of a `GET`) paid for a
//! block of 32, a per-request cost that showed in profiles. This queue is a `VecDeque`
//! behind a mutex with the receiver's waker: made with one small allocation, it grows
//! only as far as items actually wait, and a driver takes everything queued with one
//! lock ([`Receiver::try_recv`] in a loop takes it one lock per item; the queues are
//! short). Every side is cancel-safe; bounded by the users' credit and ack protocols, as
//! `app::link` describes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// The sending side; clone it for more senders.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving side.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// Why [`Receiver::try_recv`] returned nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TryRecvError {
    /// Nothing is queued now.
    Empty,
    /// Nothing is queued and every sender is gone.
    Disconnected,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The oldest item, kept out of `items` so that a queue that never holds more than
    /// one (a session's inbound items, mostly) never allocates.
    head: Option<T>,
    items: VecDeque<T>,
    senders: usize,
    /// The receiver was closed or dropped: sends fail.
    closed: bool,
    waker: Option<Waker>,
}

impl<T> State<T> {
    fn pop(&mut self) -> Option<T> {
        self.head.take().or_else(|| self.items.pop_front())
    }
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code panics while holding the lock; a poisoned one still holds valid data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new queue.
pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            head: None,
            items: VecDeque::new(),
            senders: 1,
            closed: false,
            waker: None,
        }),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Queues `item`; gives it back if the receiver is closed.
    pub(crate) fn send(&self, item: T) -> Result<(), T> {
        let waker = {
            let mut state = self.shared.lock();
            if state.closed {
                return Err(item);
            }
            if state.head.is_none() && state.items.is_empty() {
                state.head = Some(item);
            } else {
                state.items.push_back(item);
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        let mut state = self.shared.lock();
        state.senders = state.senders.saturating_add(1);
        drop(state);
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.shared.lock();
            state.senders = state.senders.saturating_sub(1);
            if state.senders == 0 {
                state.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` once the queue is empty and every sender is gone (or the
    /// receiver was closed and emptied).
    pub(crate) async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next item, registering `cx` if there is none yet.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.shared.lock();
        if let Some(item) = state.pop() {
            return Poll::Ready(Some(item));
        }
        if state.senders == 0 || state.closed {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next item if one is queued.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        match state.pop() {
            Some(item) => Ok(item),
            None if state.senders == 0 || state.closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Moves everything queued to the back of `into`, with one lock, and forgets the
    /// registered waker: a driver calls this while it is busy, so that what its own
    /// sessions send meanwhile does not wake it again for nothing (it looks again before
    /// it waits, through [`recv`](Self::recv), which registers anew).
    pub(crate) fn take_all(&mut self, into: &mut VecDeque<T>) {
        let mut state = self.shared.lock();
        state.waker = None;
        if let Some(head) = state.head.take() {
            into.push_back(head);
        }
        if into.is_empty() {
            std::mem::swap(&mut state.items, into);
        } else {
            into.append(&mut state.items);
        }
    }

    /// Forgets the registered waker (see [`take_all`](Self::take_all)).
    pub(crate) fn disarm(&mut self) {
        self.shared.lock().waker = None;
    }

    /// Refuses further sends; what is queued can still be received.
    pub(crate) fn close(&mut self) {
        self.shared.lock().closed = true;
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.shared.lock();
            state.closed = true;
            state.waker = None;
            (state.head.take(), std::mem::take(&mut state.items))
        };
        // Dropped outside the lock: an item's destructor may send or wake.
        drop(items);
    }
}

impl<T> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("queue::Sender")
    }
}

impl<T> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("queue::Receiver")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

    use super::*;

    #[tokio::test]
    async fn items_arrive_in_order_then_none_when_the_senders_are_gone() {
        let (tx, mut rx) = unbounded();
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let waiting = tokio::spawn(async move { (rx.recv().await, rx.recv().await) });
        tokio::task::yield_now().await;
        tx.send(3).unwrap();
        drop(tx);
        drop(tx2);
        assert_eq!(waiting.await.unwrap(), (Some(3), None));
    }

    #[test]
    fn interleaved_sends_and_receives_keep_fifo_order() {
        let (tx, mut rx) = unbounded();
        let mut model = VecDeque::new();
        let mut next = 0_u32;
        // A fixed pseudo-random pattern of bursts and drains.
        let mut seed = 0x2545_f491_u32;
        for _ in 0..10_000 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            if seed.is_multiple_of(3) {
                assert_eq!(rx.try_recv().ok(), model.pop_front());
            } else {
                tx.send(next).unwrap();
                model.push_back(next);
                next += 1;
            }
        }
        while let Some(expected) = model.pop_front() {
            assert_eq!(rx.try_recv(), Ok(expected));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn a_closed_or_dropped_receiver_refuses_and_drops_what_waited() {
        let (tx, mut rx) = unbounded();
        let item = Arc::new(());
        tx.send(Arc::clone(&item)).unwrap();
        rx.close();
        assert!(tx.send(Arc::new(())).is_err());
        assert_eq!(Arc::strong_count(&item), 2);
        assert!(rx.try_recv().is_ok());
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
        let (tx, rx) = unbounded();
        tx.send(Arc::clone(&item)).unwrap();
        drop(rx);
        assert_eq!(Arc::strong_count(&item), 1);
        assert!(tx.send(item).is_err());
    }
}
