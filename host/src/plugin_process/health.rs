//! Plugin health from periodic probes: consecutive failures first make the
//! plugin NotReady (the node's Ready condition follows), and more of them get
//! it restarted. Pure state, tested without processes.

use std::time::Duration;

/// Probe timing and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive failed probes before the plugin counts as not ready.
    pub not_ready_after: u32,
    /// Consecutive failed probes before the plugin is restarted.
    pub restart_after: u32,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            not_ready_after: 2,
            restart_after: 6,
        }
    }
}

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    Ready,
    /// The plugin answered that it cannot take pods, with its reason.
    NotReady(String),
    /// The probe failed or timed out.
    Failed(String),
}

/// What the supervisor should do after a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    NotReady(String),
    Restart(String),
}

/// Counts consecutive failures.
#[derive(Debug, Clone, Default)]
pub struct HealthTracker {
    failures: u32,
}

impl HealthTracker {
    pub fn observe(&mut self, policy: &HealthPolicy, outcome: ProbeOutcome) -> Verdict {
        match outcome {
            ProbeOutcome::Ready => {
                self.failures = 0;
                Verdict::Ready
            }
            ProbeOutcome::NotReady(reason) => {
                self.failures = 0;
                Verdict::NotReady(format!("plugin reports not ready: {reason}"))
            }
            ProbeOutcome::Failed(why) => {
                self.failures += 1;
                if self.failures >= policy.restart_after {
                    Verdict::Restart(format!(
                        "{} consecutive health probes failed (last: {why})",
                        self.failures
                    ))
                } else if self.failures >= policy.not_ready_after {
                    Verdict::NotReady(format!(
                        "plugin is not answering health probes ({} failed, last: {why})",
                        self.failures
                    ))
                } else {
                    Verdict::Ready
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_make_it_not_ready_then_restart_and_success_resets() {
        let policy = HealthPolicy::default();
        let mut tracker = HealthTracker::default();
        let fail = || ProbeOutcome::Failed("deadline exceeded".into());
        assert_eq!(tracker.observe(&policy, fail()), Verdict::Ready);
        assert!(matches!(
            tracker.observe(&policy, fail()),
            Verdict::NotReady(_)
        ));
        assert_eq!(
            tracker.observe(&policy, ProbeOutcome::Ready),
            Verdict::Ready
        );
        let verdicts: Vec<_> = (0..6).map(|_| tracker.observe(&policy, fail())).collect();
        assert!(matches!(verdicts[5], Verdict::Restart(ref why) if why.contains("6 consecutive")));
    }

    #[test]
    fn a_plugin_that_says_not_ready_is_not_restarted() {
        let policy = HealthPolicy::default();
        let mut tracker = HealthTracker::default();
        for _ in 0..10 {
            let verdict = tracker.observe(&policy, ProbeOutcome::NotReady("warming up".into()));
            assert_eq!(
                verdict,
                Verdict::NotReady("plugin reports not ready: warming up".into())
            );
        }
    }
}
