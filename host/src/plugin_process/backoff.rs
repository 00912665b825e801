//! Restart delays: exponential with jitter and a cap ([`Backoff`]), reset
//! after the plugin has stayed up for a while. Pure, so it is tested
//! without processes.

use std::time::Duration;

use crate::backoff::{Backoff, Jitter};

/// Restart delay policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffPolicy {
    /// The delay before each restart: from 1 s, doubling per consecutive
    /// failure, up to 60 s (`--plugin-max-backoff`), plus up to 20 % at
    /// random so that many hosts do not restart in step.
    pub delays: Backoff,
    /// A plugin that ran this long before failing starts again from the
    /// first delay.
    pub reset_after: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            delays: Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
                .with_jitter(Jitter::above(0.2)),
            reset_after: Duration::from_secs(120),
        }
    }
}

impl BackoffPolicy {
    /// The delay before restart number `attempt` (1-based), given a random
    /// `unit` in 0.0..1.0 for the jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        self.delays.jittered(attempt, unit)
    }

    /// The attempt number after a failure, given how long the plugin ran.
    pub fn next_attempt(&self, previous: u32, uptime: Duration) -> u32 {
        if uptime >= self.reset_after {
            1
        } else {
            previous.saturating_add(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        let policy = BackoffPolicy::default();
        let delays: Vec<_> = (1..=8).map(|n| policy.delay(n, 0.0).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn jitter_adds_at_most_its_fraction() {
        let policy = BackoffPolicy::default();
        assert_eq!(policy.delay(3, 1.0), Duration::from_secs_f64(4.8));
        assert_eq!(policy.delay(30, 1.0), Duration::from_secs(72));
    }

    #[test]
    fn a_long_run_resets_the_count() {
        let policy = BackoffPolicy::default();
        assert_eq!(policy.next_attempt(5, Duration::from_secs(1)), 6);
        assert_eq!(policy.next_attempt(5, Duration::from_secs(300)), 1);
    }
}
