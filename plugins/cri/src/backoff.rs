//! CrashLoopBackOff: how long a container that stopped must wait before it
//! is started again (the kubelet's `doBackOff` over client-go's
//! `flowcontrol.Backoff`, without jitter as the kubelet uses it).
//!
//! Each container (pod UID, name and spec hash) has a delay that starts at
//! `base` and doubles on every restart up to `max`. A restart waits until
//! the delay has passed since the last instance finished; the first restart
//! of a container is immediate (it creates the delay), as with the kubelet. A container that
//! then ran for more than twice `max` (10 minutes with the kubelet's
//! 5-minute cap) starts over at `base`. Time is passed in, never read, so
//! the rules are tested with an exact clock.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

/// Identifies one container of one pod in one spec version
/// (`<pod>_<ns>_<uid>_<container>_<hash>` in the kubelet).
pub type BackoffKey = String;

/// The backoff key of a container.
pub fn backoff_key(pod_uid: &str, container: &str, spec_hash: &str) -> BackoffKey {
    format!("{pod_uid}_{container}_{spec_hash}")
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    delay: Duration,
    /// When the delay was last raised.
    updated: Timestamp,
}

/// Per-container restart delays.
#[derive(Debug, Clone)]
pub struct CrashLoopBackoff {
    base: Duration,
    max: Duration,
    entries: HashMap<BackoffKey, Entry>,
}

/// The answer to "may this container start now?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartDecision {
    /// Start it; its delay has been raised for the next time.
    Start,
    /// Wait: report `waiting{CrashLoopBackOff}` with this delay.
    BackOff { delay: Duration },
}

impl CrashLoopBackoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            entries: HashMap::new(),
        }
    }

    /// Whether the container `key`, whose last instance finished at
    /// `finished_at`, may be restarted at `now`. A restart raises the delay
    /// for the next one. Only for restarts: a container's first start does
    /// not go through the backoff.
    pub fn try_start(
        &mut self,
        key: &str,
        finished_at: Timestamp,
        now: Timestamp,
    ) -> StartDecision {
        if let Some(delay) = self.delay_since(key, finished_at, now) {
            return StartDecision::BackOff { delay };
        }
        self.raise(key, finished_at, now);
        StartDecision::Start
    }

    /// The delay still in force for `key` (`IsInBackOffSince`): `Some` while
    /// less than the delay has passed since `finished_at`.
    fn delay_since(&self, key: &str, finished_at: Timestamp, now: Timestamp) -> Option<Duration> {
        let entry = self.entries.get(key)?;
        if self.expired(entry, finished_at) {
            return None;
        }
        (elapsed(finished_at, now) < entry.delay).then_some(entry.delay)
    }

    /// Doubles the delay of `key` (up to `max`), or starts it at `base` when
    /// new or expired (`Next`).
    fn raise(&mut self, key: &str, finished_at: Timestamp, now: Timestamp) {
        let delay = match self.entries.get(key) {
            Some(entry) if !self.expired(entry, finished_at) => {
                entry.delay.saturating_mul(2).min(self.max)
            }
            _ => self.base,
        };
        self.entries.insert(
            key.to_owned(),
            Entry {
                delay,
                updated: now,
            },
        );
    }

    /// The container ran long enough since the delay was last raised for
    /// the backoff to start over.
    fn expired(&self, entry: &Entry, finished_at: Timestamp) -> bool {
        elapsed(entry.updated, finished_at) > self.max.saturating_mul(2)
    }

    /// Forgets every entry not raised for twice `max` (housekeeping; the
    /// kubelet's `GC`).
    pub fn forget_stale(&mut self, now: Timestamp) {
        let horizon = self.max.saturating_mul(2);
        self.entries
            .retain(|_, entry| elapsed(entry.updated, now) <= horizon);
    }

    /// Forgets the containers of a pod that is gone.
    pub fn forget_pod(&mut self, pod_uid: &str) {
        let prefix = format!("{pod_uid}_");
        self.entries.retain(|key, _| !key.starts_with(&prefix));
    }

    /// Number of containers with a delay (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The kubelet's message for a container waiting in CrashLoopBackOff.
pub fn backoff_message(delay: Duration, container: &str, pod: &str) -> String {
    format!(
        "back-off {} restarting failed container={container} pod={pod}",
        go_duration(delay)
    )
}

/// `to − from`, zero when `to` is earlier.
fn elapsed(from: Timestamp, to: Timestamp) -> Duration {
    let nanos = to.as_nanosecond() - from.as_nanosecond();
    u64::try_from(nanos).map_or(Duration::ZERO, Duration::from_nanos)
}

/// A whole-second duration as Go prints it: `10s`, `1m20s`, `5m0s`, `1h0m0s`.
fn go_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds}s"),
        _ => format!("{hours}h{minutes}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + seconds).expect("valid time")
    }

    fn kubelet() -> CrashLoopBackoff {
        CrashLoopBackoff::new(Duration::from_secs(10), Duration::from_secs(300))
    }

    /// Drives a container that crashes `run` seconds after every start and
    /// is restarted as soon as it may be; returns the waits between each
    /// crash and the restart that followed.
    fn gaps(backoff: &mut CrashLoopBackoff, run: i64, restarts: usize) -> Vec<i64> {
        let mut now = 0;
        let mut gaps = Vec::new();
        for _ in 0..restarts {
            now += run;
            let finished = now;
            while backoff.try_start("k", t(finished), t(now)) != StartDecision::Start {
                now += 1;
            }
            gaps.push(now - finished);
        }
        gaps
    }

    #[test]
    fn the_delay_doubles_from_base_to_the_cap() {
        assert_eq!(
            gaps(&mut kubelet(), 1, 9),
            vec![0, 10, 20, 40, 80, 160, 300, 300, 300]
        );
    }

    #[test]
    fn the_first_restart_is_immediate_the_second_waits_for_base() {
        let mut backoff = kubelet();
        assert_eq!(backoff.try_start("k", t(2), t(2)), StartDecision::Start);
        assert_eq!(
            backoff.try_start("k", t(3), t(5)),
            StartDecision::BackOff {
                delay: Duration::from_secs(10)
            }
        );
        assert_eq!(backoff.try_start("k", t(3), t(13)), StartDecision::Start);
    }

    #[test]
    fn running_longer_than_twice_the_cap_starts_over() {
        let mut backoff = kubelet();
        gaps(&mut backoff, 1, 8);
        // At the cap now; a crash 11 minutes after the last restart counts
        // as a first crash again.
        let finished = t(10_000);
        assert_eq!(
            backoff.try_start("k", finished, finished),
            StartDecision::Start,
            "no wait after an expired entry"
        );
        assert_eq!(
            backoff.try_start("k", t(10_001), t(10_002)),
            StartDecision::BackOff {
                delay: Duration::from_secs(10)
            },
            "and the delay is back at base"
        );
    }

    #[test]
    fn test_settings_and_keys() {
        let mut backoff = CrashLoopBackoff::new(Duration::from_secs(1), Duration::from_secs(4));
        assert_eq!(gaps(&mut backoff, 0, 5), vec![0, 1, 2, 4, 4]);
        let mut backoff = kubelet();
        let (a, b) = (
            backoff_key("u-1", "app", "h1"),
            backoff_key("u-1", "app", "h2"),
        );
        assert_eq!(backoff.try_start(&a, t(0), t(0)), StartDecision::Start);
        assert_eq!(
            backoff.try_start(&b, t(0), t(0)),
            StartDecision::Start,
            "a new spec is a new key"
        );
        assert_eq!(
            backoff.try_start(&backoff_key("u-2", "app", "h1"), t(0), t(0)),
            StartDecision::Start
        );
        assert_eq!(backoff.len(), 3);
        backoff.forget_pod("u-1");
        assert_eq!(backoff.len(), 1);
        backoff.forget_stale(t(601));
        assert!(backoff.is_empty());
    }

    #[test]
    fn messages_print_durations_as_go_does() {
        assert_eq!(
            backoff_message(Duration::from_secs(10), "app", "web_shop(u-1)"),
            "back-off 10s restarting failed container=app pod=web_shop(u-1)"
        );
        assert_eq!(go_duration(Duration::from_secs(80)), "1m20s");
        assert_eq!(go_duration(Duration::from_secs(300)), "5m0s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }
}
