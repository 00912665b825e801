//! Restart delays: exponential with jitter and a cap, reset after the plugin
//! has stayed up for a while. Pure, so it is tested without processes.

use std::time::Duration;

/// Restart delay policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffPolicy {
    /// Delay before the first restart.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Growth factor per consecutive failure.
    pub factor: f64,
    /// Fraction of the delay added at random (0.0..=1.0), so many hosts do
    /// not restart in step.
    pub jitter: f64,
    /// A plugin that ran this long before failing starts again from `initial`.
    pub reset_after: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            factor: 2.0,
            jitter: 0.2,
            reset_after: Duration::from_secs(120),
        }
    }
}

impl BackoffPolicy {
    /// The delay before restart number `attempt` (1-based), given a random
    /// `unit` in 0.0..1.0 for the jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let base = self.initial.as_secs_f64() * self.factor.powi(exponent);
        let capped = base.min(self.max.as_secs_f64());
        let jittered = capped * (1.0 + self.jitter * unit.clamp(0.0, 1.0));
        Duration::from_secs_f64(jittered.min(self.max.as_secs_f64() * (1.0 + self.jitter)))
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
