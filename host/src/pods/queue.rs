//! The per-pod work queue: a key is never worked on twice at once, keys are
//! de-duplicated while they wait, a key added while it is being worked on
//! runs once more afterwards, and failed work comes back after a capped
//! exponential backoff, forever (upstream gives up after 20 tries).
//!
//! Adding is synchronous and never blocks: the queue holds each key at most
//! once, so its memory is bounded by the number of pods, not by the rate of
//! events.
//!
//! Its depth (keys waiting) and the retries it schedules are exported as
//! `vk_host_pod_work_queue_depth` and `vk_host_pod_work_queue_retries_total`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::key::PodKey;
use crate::backoff::{Backoff, Jitter};
use crate::metrics;

/// First retry delay after a failure.
pub const BACKOFF_MIN: Duration = Duration::from_millis(250);
/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Retry delays: doubling from [`BACKOFF_MIN`] up to [`BACKOFF_MAX`],
/// ±10 % at random so that many pods failing together do not retry in
/// lockstep.
const BACKOFF: Backoff = Backoff::new(BACKOFF_MIN, BACKOFF_MAX).with_jitter(Jitter::around(0.1));

/// The delay before retry number `failures` (1 = first retry), without
/// jitter.
pub fn backoff(failures: u32) -> Duration {
    BACKOFF.delay(failures)
}

/// How one piece of work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; run again only when something changes.
    Done,
    /// Done for now; look again after this long (polling a deletion).
    After(Duration),
    /// Failed; retry with backoff.
    Retry,
    /// Failed in a way that will not heal soon; retry at the longest backoff.
    RetrySlowly,
}

#[derive(Debug, Default)]
struct State {
    /// Waiting keys and when each is due.
    due: HashMap<PodKey, Instant>,
    /// Due times, earliest first; entries whose time no longer matches `due`
    /// are stale and skipped.
    heap: BinaryHeap<Reverse<(Instant, u64, PodKey)>>,
    sequence: u64,
    running: HashSet<PodKey>,
    /// Keys added while running, with when they became due.
    dirty: HashMap<PodKey, Instant>,
    failures: HashMap<PodKey, u32>,
}

impl State {
    fn schedule(&mut self, key: PodKey, at: Instant) {
        if self.running.contains(&key) {
            let slot = self.dirty.entry(key).or_insert(at);
            *slot = (*slot).min(at);
            return;
        }
        match self.due.get(&key) {
            Some(existing) if *existing <= at => {}
            _ => {
                self.due.insert(key.clone(), at);
                self.sequence += 1;
                self.heap.push(Reverse((at, self.sequence, key)));
            }
        }
    }

    /// The earliest due key if it is due at `now`, else when the next one is.
    fn pop_due(&mut self, now: Instant) -> Result<PodKey, Option<Instant>> {
        while let Some(Reverse((at, _, key))) = self.heap.peek() {
            if self.due.get(key) != Some(at) {
                self.heap.pop();
                continue;
            }
            if *at > now {
                return Err(Some(*at));
            }
            let key = key.clone();
            self.heap.pop();
            self.due.remove(&key);
            self.running.insert(key.clone());
            return Ok(key);
        }
        Err(None)
    }
}

/// The queue; share it in an `Arc`.
#[derive(Debug, Default)]
pub struct WorkQueue {
    state: Mutex<State>,
    wake: Notify,
}

impl WorkQueue {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written
        // in a way that matters more than stopping the controller would.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Work on `key` as soon as possible.
    pub fn add(&self, key: PodKey) {
        self.add_at(key, Instant::now());
    }

    fn add_at(&self, key: PodKey, at: Instant) {
        let mut state = self.state();
        state.schedule(key, at);
        metrics::global().pods.queue_depth(state.due.len());
        drop(state);
        self.wake.notify_one();
    }

    /// The next due key, marked running; waits for one.
    pub async fn next(&self) -> PodKey {
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut state = self.state();
                let next = state.pop_due(Instant::now());
                metrics::global().pods.queue_depth(state.due.len());
                next
            };
            match next {
                Ok(key) => return key,
                Err(Some(at)) => {
                    tokio::select! {
                        () = notified => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                Err(None) => notified.await,
            }
        }
    }

    /// Work on `key` ended with `outcome`; schedules what comes next.
    pub fn done(&self, key: PodKey, outcome: Outcome) {
        let now = Instant::now();
        let mut state = self.state();
        state.running.remove(&key);
        let mut next = match outcome {
            Outcome::Done => {
                state.failures.remove(&key);
                None
            }
            Outcome::After(delay) => {
                state.failures.remove(&key);
                Some(now + delay)
            }
            Outcome::Retry => {
                metrics::global().pods.queue_retry();
                let failures = state.failures.entry(key.clone()).or_insert(0);
                *failures = failures.saturating_add(1);
                let delay = BACKOFF.random_delay(*failures);
                Some(now + delay)
            }
            Outcome::RetrySlowly => {
                metrics::global().pods.queue_retry();
                state.failures.insert(key.clone(), u32::MAX);
                Some(now + BACKOFF.random_delay(u32::MAX))
            }
        };
        if let Some(dirty) = state.dirty.remove(&key) {
            next = Some(next.map_or(dirty, |n| n.min(dirty)));
        }
        if let Some(at) = next {
            state.schedule(key, at);
        }
        metrics::global().pods.queue_depth(state.due.len());
        drop(state);
        self.wake.notify_one();
    }

    /// How many keys wait (not counting running ones).
    pub fn len(&self) -> usize {
        self.state().due.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> PodKey {
        PodKey::new("ns", name)
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(5), Duration::from_secs(4));
        assert_eq!(backoff(30), BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn keys_are_deduplicated_and_never_run_twice_at_once() {
        let queue = WorkQueue::default();
        queue.add(key("a"));
        queue.add(key("a"));
        queue.add(key("b"));
        assert_eq!(queue.len(), 2);
        let first = queue.next().await;
        assert_eq!(first, key("a"));
        // Added again while running: it waits for the run to end.
        queue.add(key("a"));
        assert_eq!(queue.next().await, key("b"));
        assert_eq!(queue.len(), 0);
        queue.done(key("a"), Outcome::Done);
        // ... and then runs once more.
        assert_eq!(queue.next().await, key("a"));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_come_back_after_backoff() {
        let queue = WorkQueue::default();
        queue.add(key("a"));
        let k = queue.next().await;
        let failed = Instant::now();
        queue.done(k, Outcome::Retry);
        let k = queue.next().await;
        let waited = failed.elapsed();
        assert!(waited >= Duration::from_millis(220), "{waited:?}");
        assert!(waited <= Duration::from_millis(280), "{waited:?}");
        queue.done(k, Outcome::Retry);
        let again = Instant::now();
        let k = queue.next().await;
        assert!(again.elapsed() >= Duration::from_millis(450));
        // A new event does not wait for the backoff.
        queue.done(k, Outcome::RetrySlowly);
        queue.add(key("a"));
        let now = Instant::now();
        assert_eq!(queue.next().await, key("a"));
        assert!(now.elapsed() < Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn requeue_after_a_delay() {
        let queue = WorkQueue::default();
        queue.add(key("a"));
        let k = queue.next().await;
        let start = Instant::now();
        queue.done(k, Outcome::After(Duration::from_secs(2)));
        assert_eq!(queue.next().await, key("a"));
        assert!(start.elapsed() >= Duration::from_secs(2));
    }
}
