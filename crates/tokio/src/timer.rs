//! One reusable timer per connection task.
//!
//! A driver waits on "the earliest deadline of the connection" in every turn of its
//! loop, and that deadline moves with every request (the keep-alive timeout restarts
//! when an exchange ends). A new `tokio::time::Sleep` per turn registers and removes a
//! timer-wheel entry per request, which showed in profiles; [`Timer`] keeps one entry
//! and moves it only when the deadline comes *earlier*. When it fires before the
//! deadline it was last asked for (that deadline moved later meanwhile), it re-arms.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio::time::{Instant, Sleep};

/// A connection task's timer.
#[derive(Debug)]
pub(crate) struct Timer {
    sleep: Pin<Box<Sleep>>,
    /// When `sleep` fires, if it is armed.
    armed: Option<Instant>,
    /// Whether `sleep` was polled since it was armed, so it holds the task's waker: a
    /// driver's task is the only one to poll it and its waker does not change, so later
    /// turns only look whether it fired (polling a `Sleep` clones the waker each time).
    registered: bool,
}

impl Timer {
    /// A timer not armed yet.
    pub(crate) fn new() -> Timer {
        Timer {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
            registered: false,
        }
    }

    /// Completes once `deadline` has passed; never without one. Cancel-safe: drop the
    /// future and ask again with the deadline of the moment.
    pub(crate) async fn until(&mut self, deadline: Option<Instant>) {
        let Some(at) = deadline else {
            return std::future::pending().await;
        };
        std::future::poll_fn(|cx| {
            loop {
                if self.armed.is_none_or(|armed| at < armed) {
                    self.sleep.as_mut().reset(at);
                    self.armed = Some(at);
                    self.registered = false;
                }
                let fired = if self.registered {
                    self.sleep.is_elapsed()
                } else {
                    let polled = self.sleep.as_mut().poll(cx).is_ready();
                    self.registered = !polled;
                    polled
                };
                if !fired {
                    return Poll::Pending;
                }
                self.armed = None;
                self.registered = false;
                if Instant::now() >= at {
                    return Poll::Ready(());
                }
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn fires_at_the_latest_deadline_asked_not_at_an_earlier_one() {
        let mut timer = Timer::new();
        let start = Instant::now();
        // Armed for 10 s, abandoned (the select took another branch).
        let early = tokio::time::timeout(
            Duration::from_secs(1),
            timer.until(Some(start + Duration::from_secs(10))),
        )
        .await;
        assert!(early.is_err());
        // Now the deadline is later: the 10 s entry fires and re-arms.
        timer.until(Some(start + Duration::from_secs(30))).await;
        assert!(Instant::now() >= start + Duration::from_secs(30));
        // An earlier deadline moves the entry.
        let now = Instant::now();
        timer.until(Some(now + Duration::from_secs(2))).await;
        assert_eq!(Instant::now(), now + Duration::from_secs(2));
        // None never completes.
        assert!(
            tokio::time::timeout(Duration::from_secs(100), timer.until(None))
                .await
                .is_err()
        );
    }
}
