//! The session futures of one connection, polled by the connection's own task.
//!
//! Handing every request to a new tokio task costs a task allocation, a trip through the
//! scheduler and, for each [`Ack`](super::link::Ack), a wake-up of another task, usually
//! on the other core. hyper avoids this for HTTP/1.1 by polling the service future inside
//! the connection task; [`Sessions`] does the same for every carrier: the connection task
//! polls its sessions itself, so a request that is answered at once is read, served and
//! written in one turn of the connection's loop, with one `write`.
//!
//! Each session has its own waker, which queues the session's slot in [`Ready`] and wakes
//! the connection task; a turn polls only the sessions that were woken. A panicking
//! handler is contained per poll (`catch_unwind`), exactly like a tokio task's: its future
//! is dropped, which drops the session, whose `Drop` tells the driver with `panicked`
//! set (the handler's locals are dropped while it unwinds), and the driver answers for it.
//!
//! What polling inline gives up is parallelism between the sessions of *one* connection:
//! a handler that computes for long holds up its connection's other streams. A server
//! whose handlers do so can ask for [`Mode::Spawned`] (`ServerBuilder::spawn_sessions`):
//! every session then runs on its own tokio task, as before.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::task::JoinSet;

use super::BoxFuture;

/// Where a connection's sessions run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// Polled by the connection task (the default).
    #[default]
    Inline,
    /// Each on its own tokio task.
    Spawned,
}

/// A connection's running sessions.
pub(crate) struct Sessions {
    inline: Inline,
    spawned: JoinSet<()>,
    mode: Mode,
}

impl Sessions {
    /// An empty set whose sessions will run as `mode` says.
    pub(crate) fn new(mode: Mode) -> Sessions {
        Sessions {
            inline: Inline::default(),
            spawned: JoinSet::new(),
            mode,
        }
    }

    /// Starts `future`. An inline one first runs at the next [`run`](Self::run).
    pub(crate) fn start(&mut self, future: BoxFuture) {
        match self.mode {
            Mode::Inline => self.inline.insert(future),
            Mode::Spawned => {
                self.spawned.spawn(future);
            }
        }
    }

    /// Whether no session is running.
    pub(crate) fn is_empty(&self) -> bool {
        self.inline.live == 0 && self.spawned.is_empty()
    }

    /// Polls the inline sessions that were woken (and reaps spawned ones that ended).
    /// `Ready(true)` if any session ran, `Ready(false)` if none was woken; never
    /// `Pending`, so a driver can call it between other work without waiting.
    ///
    /// It also forgets the driver's waker: while the driver works, wake-ups of its
    /// sessions (by the acks and items the driver itself hands out) only queue them, and
    /// do not schedule the driver's task again for nothing. A driver must wait through
    /// [`woken`](Self::woken), which registers anew, whenever it waits.
    pub(crate) fn run(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let mut ran = self.inline.run();
        while let Poll::Ready(Some(done)) = self.spawned.poll_join_next(cx) {
            log_ended(done);
            ran = true;
        }
        Poll::Ready(ran)
    }

    /// The driver stopped waiting and works: until it waits again through
    /// [`woken`](Self::woken), what it hands its sessions only queues them (see
    /// [`run`](Self::run)). Call it first thing after a `select!` chose a branch that
    /// delivers to sessions.
    pub(crate) fn busy(&mut self) {
        self.inline.ready.lock().task = None;
    }

    /// Whether an inline session was woken and waits to run (without registering).
    pub(crate) fn is_woken(&self) -> bool {
        !self.inline.ready.lock().slots.is_empty()
    }

    /// Waits until a session can run (or a spawned one ended); for a driver's `select!`.
    pub(crate) async fn woken(&mut self) {
        std::future::poll_fn(|cx| {
            if self.inline.has_ready(cx) {
                return Poll::Ready(());
            }
            match self.spawned.poll_join_next(cx) {
                Poll::Ready(Some(done)) => {
                    log_ended(done);
                    Poll::Ready(())
                }
                _ => Poll::Pending,
            }
        })
        .await;
    }

    /// Runs the sessions until all have ended or `grace` passed, then drops (aborts)
    /// those still running.
    pub(crate) async fn drain(&mut self, grace: Duration) {
        let drained = tokio::time::timeout(grace, async {
            std::future::poll_fn(|cx| {
                let _ = self.run(cx);
                if self.is_empty() {
                    Poll::Ready(())
                } else {
                    if self.inline.has_ready(cx) {
                        cx.waker().wake_by_ref();
                    }
                    Poll::Pending
                }
            })
            .await;
        })
        .await;
        if drained.is_err() {
            self.inline.clear();
            self.spawned.abort_all();
        }
    }
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("mode", &self.mode)
            .field("inline", &self.inline.live)
            .field("spawned", &self.spawned.len())
            .finish()
    }
}

/// Logs a spawned session that ended by panicking (the driver already answered for it).
fn log_ended(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        tracing::warn!("a session handler panicked");
    }
}

/// The inline sessions: a slab of futures, each with its own waker.
#[derive(Default)]
struct Inline {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    live: usize,
    ready: Arc<Ready>,
    /// Wakers of ended sessions that nothing else holds, for the next sessions.
    spare: Vec<Arc<SlotWaker>>,
    /// The slots to poll this turn (reused).
    turn: Vec<usize>,
}

struct Slot {
    future: BoxFuture,
    handle: Arc<SlotWaker>,
    /// `handle` as a [`Waker`], made once.
    waker: Waker,
}

/// The slots woken since the last turn, and the connection task to wake.
#[derive(Default)]
struct Ready {
    state: Mutex<ReadyState>,
}

#[derive(Default)]
struct ReadyState {
    slots: Vec<usize>,
    task: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyState> {
        // Nothing panics while holding the lock; a poisoned one still holds valid data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One session's waker: queues its slot once until the slot is polled.
struct SlotWaker {
    slot: usize,
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let task = {
            let mut state = self.ready.lock();
            state.slots.push(self.slot);
            state.task.take()
        };
        if let Some(task) = task {
            task.wake();
        }
    }
}

impl Inline {
    fn insert(&mut self, future: BoxFuture) {
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let waker = match self.spare.pop() {
            Some(mut spare) => {
                if let Some(unique) = Arc::get_mut(&mut spare) {
                    unique.slot = slot;
                    *unique.queued.get_mut() = false;
                }
                spare
            }
            None => Arc::new(SlotWaker {
                slot,
                queued: AtomicBool::new(false),
                ready: Arc::clone(&self.ready),
            }),
        };
        // A new session runs at the next turn.
        waker.wake_by_ref();
        let entry = Some(Slot {
            future,
            waker: Waker::from(Arc::clone(&waker)),
            handle: waker,
        });
        match self.slots.get_mut(slot) {
            Some(place) => *place = entry,
            None => self.slots.push(entry),
        }
        self.live = self.live.saturating_add(1);
    }

    /// Whether a slot is queued; registers `cx` otherwise.
    fn has_ready(&mut self, cx: &mut Context<'_>) -> bool {
        let mut state = self.ready.lock();
        if !state.slots.is_empty() {
            return true;
        }
        register(&mut state.task, cx.waker());
        false
    }

    /// Polls every queued slot once; true if there was any.
    fn run(&mut self) -> bool {
        let mut turn = std::mem::take(&mut self.turn);
        {
            let mut state = self.ready.lock();
            state.task = None;
            std::mem::swap(&mut state.slots, &mut turn);
        }
        let ran = !turn.is_empty();
        for &index in &turn {
            // A stale wake-up (a session that ended, or a slot reused) polls at most once
            // for nothing, which futures allow.
            let Some(Some(slot)) = self.slots.get_mut(index) else {
                continue;
            };
            slot.handle.queued.store(false, Ordering::Release);
            let mut session_cx = Context::from_waker(&slot.waker);
            let future: &mut Pin<Box<dyn Future<Output = ()> + Send>> = &mut slot.future;
            let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut session_cx)));
            let ended = match polled {
                Ok(Poll::Pending) => false,
                Ok(Poll::Ready(())) => true,
                Err(_) => {
                    tracing::warn!("a session handler panicked");
                    true
                }
            };
            if ended {
                self.remove(index);
            }
        }
        turn.clear();
        self.turn = turn;
        ran
    }

    fn remove(&mut self, index: usize) {
        let Some(place) = self.slots.get_mut(index) else {
            return;
        };
        if let Some(Slot {
            future,
            mut handle,
            waker,
        }) = place.take()
        {
            self.free.push(index);
            self.live = self.live.saturating_sub(1);
            // A future that panics in its destructor is contained like one that panics
            // when polled.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(future)));
            drop(waker);
            // Reused only if no clone is left anywhere (a stale clone would wake the
            // next session's slot: harmless, but a spare must be fully ours).
            if Arc::get_mut(&mut handle).is_some() && self.spare.len() < SPARE_WAKERS {
                self.spare.push(handle);
            }
        }
    }

    /// Drops every session (the connection's grace period is over).
    fn clear(&mut self) {
        for index in 0..self.slots.len() {
            self.remove(index);
        }
    }
}

/// How many wakers of ended sessions a connection keeps for reuse.
const SPARE_WAKERS: usize = 4;

/// Stores `waker` as the task to wake, cloning only when it changed.
fn register(task: &mut Option<Waker>, waker: &Waker) {
    match task {
        Some(current) if current.will_wake(waker) => {}
        _ => *task = Some(waker.clone()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::arithmetic_side_effects)]

    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Runs `sessions` until none was woken.
    async fn settle(sessions: &mut Sessions) -> usize {
        let mut turns = 0;
        while std::future::poll_fn(|cx| sessions.run(cx)).await {
            turns += 1;
        }
        turns
    }

    #[tokio::test]
    async fn inline_sessions_run_when_woken_and_end() {
        let mut sessions = Sessions::new(Mode::Inline);
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let counted = Arc::clone(&polls);
        sessions.start(Box::pin(async move {
            counted.fetch_add(1, Ordering::SeqCst);
            assert_eq!(rx.await.unwrap(), 7);
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        assert!(!sessions.is_empty());
        assert_eq!(settle(&mut sessions).await, 1);
        assert_eq!(polls.load(Ordering::SeqCst), 1);
        // Not woken: not polled again.
        assert_eq!(settle(&mut sessions).await, 0);
        tx.send(7).unwrap();
        sessions.woken().await;
        assert_eq!(settle(&mut sessions).await, 1);
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert!(sessions.is_empty());
    }

    #[tokio::test]
    async fn a_panic_is_contained_and_the_slot_is_reused() {
        let mut sessions = Sessions::new(Mode::Inline);
        sessions.start(Box::pin(async { panic!("on purpose") }));
        settle(&mut sessions).await;
        assert!(sessions.is_empty());
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        sessions.start(Box::pin(async move { flag.store(true, Ordering::SeqCst) }));
        settle(&mut sessions).await;
        assert!(ran.load(Ordering::SeqCst));
        assert_eq!(sessions.inline.slots.len(), 1, "the freed slot was reused");
    }

    struct Guard(Arc<AtomicUsize>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn drain_waits_for_the_grace_then_drops_what_is_left() {
        for mode in [Mode::Inline, Mode::Spawned] {
            let mut sessions = Sessions::new(mode);
            let dropped = Arc::new(AtomicUsize::new(0));
            let guard = Guard(Arc::clone(&dropped));
            sessions.start(Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                drop(guard);
            }));
            let guard = Guard(Arc::clone(&dropped));
            sessions.start(Box::pin(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
            let started = std::time::Instant::now();
            sessions.drain(Duration::from_millis(200)).await;
            assert!(started.elapsed() >= Duration::from_millis(200), "{mode:?}");
            // Spawned tasks are dropped once the runtime gets to the abort.
            for _ in 0..100 {
                if dropped.load(Ordering::SeqCst) == 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(dropped.load(Ordering::SeqCst), 2, "{mode:?}");
        }
    }
}
