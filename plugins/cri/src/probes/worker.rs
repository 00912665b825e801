//! One probe worker (the kubelet's `worker.go`): every `periodSeconds`
//! (first at once) it runs the probe, unless the container has run less
//! than `initialDelaySeconds` or the startup gate says no, and publishes a
//! result once `successThreshold` successes or `failureThreshold` failures
//! came in a row. The decisions are pure ([`Thresholds`], [`may_probe`]);
//! [`run`] drives them with tokio time, so tests pause the clock.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Probe;

use super::{Outcome, ProbeKind};

/// How many times a probe that could not be run is tried again within one
/// period (`maxProbeRetries`).
pub const MAX_RETRIES: usize = 3;

/// A probe's timing, with the API defaults and minimums applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Timing {
    pub fn of(probe: &Probe) -> Self {
        let seconds = |value: Option<i32>, default: i32, min: i32| {
            Duration::from_secs(u64::try_from(value.unwrap_or(default).max(min)).unwrap_or(0))
        };
        let count = |value: Option<i32>, default: i32| {
            u32::try_from(value.unwrap_or(default).max(1)).unwrap_or(1)
        };
        Self {
            initial_delay: seconds(probe.initial_delay_seconds, 0, 0),
            period: seconds(probe.period_seconds, 10, 1),
            timeout: seconds(probe.timeout_seconds, 1, 1),
            success_threshold: count(probe.success_threshold, 1),
            failure_threshold: count(probe.failure_threshold, 3),
        }
    }
}

/// Whether a probe of `kind` runs now: the container has run for at least
/// `initialDelaySeconds` (whole seconds, as the kubelet counts), and a
/// startup probe runs only before the container has started, the others
/// only after.
pub fn may_probe(
    kind: ProbeKind,
    running_for: Duration,
    initial_delay: Duration,
    started: bool,
) -> bool {
    if running_for.as_secs() < initial_delay.as_secs() {
        return false;
    }
    match kind {
        ProbeKind::Startup => !started,
        ProbeKind::Liveness | ProbeKind::Readiness => started,
    }
}

/// Consecutive results and what was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    kind: ProbeKind,
    success_threshold: u32,
    failure_threshold: u32,
    last: Option<bool>,
    run: u32,
    published: Option<bool>,
}

impl Thresholds {
    /// Counting from `published`: the result already published for this
    /// container instance (one saved before a plugin restart), else
    /// [`initial`].
    pub fn new(kind: ProbeKind, timing: &Timing, published: Option<bool>) -> Self {
        Self {
            kind,
            success_threshold: timing.success_threshold,
            failure_threshold: timing.failure_threshold,
            last: None,
            run: 0,
            published: published.or_else(|| initial(kind)),
        }
    }

    /// Counts one outcome; the result to publish when it changes. An
    /// `Error` is thrown away without touching the counts.
    pub fn record(&mut self, outcome: &Outcome) -> Option<bool> {
        let result = match outcome {
            Outcome::Success | Outcome::Warning(_) => true,
            Outcome::Failure(_) => false,
            Outcome::Error(_) => return None,
        };
        if self.last == Some(result) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = Some(result);
            self.run = 1;
        }
        let needed = if result {
            self.success_threshold
        } else {
            self.failure_threshold
        };
        if self.run < needed {
            return None;
        }
        if !result && self.kind != ProbeKind::Readiness {
            // The container is about to be killed: count afresh.
            self.run = 0;
        }
        if self.published == Some(result) {
            return None;
        }
        self.published = Some(result);
        Some(result)
    }
}

/// The result a worker starts from: liveness succeeds until it fails,
/// readiness fails until it succeeds, startup is unknown.
pub fn initial(kind: ProbeKind) -> Option<bool> {
    match kind {
        ProbeKind::Liveness => Some(true),
        ProbeKind::Readiness => Some(false),
        ProbeKind::Startup => None,
    }
}

/// Runs one worker until it has nothing more to do: a startup probe ends
/// once it published (success: started; failure: the container is killed),
/// a liveness probe once it published a failure (on hold until the new
/// instance gets its own worker); readiness runs until it is aborted.
/// `ran_for` is how long the container had been running when the worker
/// started; `published` is the result already published for this
/// instance (saved before a plugin restart; a startup probe that succeeded
/// then does not run again); `started` tells whether the startup gate is
/// open; `probe` runs the handler once (bounded by the timeout itself);
/// `publish` gets every change of the result.
pub async fn run<P, F>(
    kind: ProbeKind,
    timing: Timing,
    ran_for: Duration,
    published: Option<bool>,
    mut probe: P,
    started: impl Fn() -> bool,
    mut publish: impl FnMut(bool, &Outcome),
) where
    P: FnMut() -> F,
    F: Future<Output = Outcome>,
{
    if kind == ProbeKind::Startup && published == Some(true) {
        // Started before the plugin restarted: nothing left to probe.
        return;
    }
    let began = tokio::time::Instant::now();
    let mut thresholds = Thresholds::new(kind, &timing, published);
    let mut ticker = tokio::time::interval(timing.period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let running_for = ran_for + began.elapsed();
        if !may_probe(kind, running_for, timing.initial_delay, started()) {
            continue;
        }
        let mut outcome = probe().await;
        for _ in 1..MAX_RETRIES {
            if !matches!(outcome, Outcome::Error(_)) {
                break;
            }
            outcome = probe().await;
        }
        if let Some(result) = thresholds.record(&outcome) {
            publish(result, &outcome);
            if kind == ProbeKind::Startup || (kind == ProbeKind::Liveness && !result) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    fn timing(initial: u64, period: u64, success: u32, failure: u32) -> Timing {
        Timing {
            initial_delay: Duration::from_secs(initial),
            period: Duration::from_secs(period),
            timeout: Duration::from_secs(1),
            success_threshold: success,
            failure_threshold: failure,
        }
    }

    fn fail() -> Outcome {
        Outcome::Failure("no".into())
    }

    #[test]
    fn defaults_and_minimums() {
        let t = Timing::of(&Probe {
            period_seconds: Some(0),
            ..Probe::default()
        });
        assert_eq!(t, timing(0, 1, 1, 3));
        assert_eq!(t.timeout, Duration::from_secs(1));
        assert_eq!(
            Timing::of(&Probe::default()).period,
            Duration::from_secs(10)
        );
    }

    #[test]
    fn failure_threshold_counts_consecutive_failures() {
        let mut liveness = Thresholds::new(ProbeKind::Liveness, &timing(0, 1, 1, 3), None);
        assert_eq!(liveness.record(&fail()), None);
        assert_eq!(liveness.record(&fail()), None);
        assert_eq!(liveness.record(&Outcome::Success), None, "success resets");
        assert_eq!(liveness.record(&fail()), None);
        assert_eq!(
            liveness.record(&Outcome::Error("exec".into())),
            None,
            "errors are dropped"
        );
        assert_eq!(liveness.record(&fail()), None);
        assert_eq!(liveness.record(&fail()), Some(false));
    }

    #[test]
    fn readiness_needs_success_threshold_and_flips_back() {
        let mut readiness = Thresholds::new(ProbeKind::Readiness, &timing(0, 1, 2, 1), None);
        assert_eq!(readiness.record(&Outcome::Success), None);
        assert_eq!(readiness.record(&fail()), None, "already not ready");
        assert_eq!(readiness.record(&Outcome::Success), None);
        assert_eq!(readiness.record(&Outcome::Success), Some(true));
        assert_eq!(readiness.record(&Outcome::Success), None, "unchanged");
        assert_eq!(readiness.record(&fail()), Some(false));
    }

    #[test]
    fn startup_publishes_its_first_success() {
        let mut startup = Thresholds::new(ProbeKind::Startup, &timing(0, 1, 1, 3), None);
        assert_eq!(startup.record(&Outcome::Success), Some(true));
    }

    #[test]
    fn gates() {
        let s = Duration::from_secs;
        let delay = s(5);
        assert!(!may_probe(
            ProbeKind::Readiness,
            Duration::from_millis(4900),
            delay,
            true
        ));
        assert!(may_probe(ProbeKind::Readiness, s(5), delay, true));
        assert!(
            !may_probe(ProbeKind::Liveness, s(9), delay, false),
            "startup gates liveness"
        );
        assert!(
            !may_probe(ProbeKind::Readiness, s(9), delay, false),
            "and readiness"
        );
        assert!(may_probe(ProbeKind::Startup, s(9), delay, false));
        assert!(
            !may_probe(ProbeKind::Startup, s(9), delay, true),
            "done once started"
        );
    }

    /// Runs a worker on a paused clock with scripted outcomes; returns
    /// (seconds since start, published result) for each publication, and
    /// the times the probe ran.
    async fn drive(
        kind: ProbeKind,
        timing: Timing,
        script: Vec<Outcome>,
        until: Duration,
    ) -> (Vec<(u64, bool)>, Vec<u64>) {
        drive_from(kind, timing, None, script, until).await
    }

    /// [`drive`] for a worker whose instance already had `published_before`.
    async fn drive_from(
        kind: ProbeKind,
        timing: Timing,
        published_before: Option<bool>,
        script: Vec<Outcome>,
        until: Duration,
    ) -> (Vec<(u64, bool)>, Vec<u64>) {
        let start = tokio::time::Instant::now();
        let script = Rc::new(RefCell::new(VecDeque::from(script)));
        let runs = Rc::new(RefCell::new(Vec::new()));
        let mut published = Vec::new();
        let probe = || {
            let script = script.clone();
            let runs = runs.clone();
            async move {
                runs.borrow_mut().push(start.elapsed().as_secs());
                script.borrow_mut().pop_front().unwrap_or(Outcome::Success)
            }
        };
        let worker = run(
            kind,
            timing,
            Duration::ZERO,
            published_before,
            probe,
            || true,
            |r, _| {
                published.push((start.elapsed().as_secs(), r));
            },
        );
        let _ = tokio::time::timeout(until, worker).await;
        let runs = runs.borrow().clone();
        (published, runs)
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_after_a_plugin_restart_keeps_the_saved_result_until_the_thresholds_say_otherwise()
     {
        // Ready before the restart: a success publishes nothing new...
        let (published, runs) = drive_from(
            ProbeKind::Readiness,
            timing(0, 1, 1, 2),
            Some(true),
            vec![Outcome::Success, fail(), fail(), fail()],
            Duration::from_millis(3500),
        )
        .await;
        assert_eq!(runs, vec![0, 1, 2, 3]);
        // ...and failures count to the failure threshold from there.
        assert_eq!(published, vec![(2, false)]);
        // A startup probe that succeeded before the restart never runs again.
        let (published, runs) = drive_from(
            ProbeKind::Startup,
            timing(0, 1, 1, 1),
            Some(true),
            vec![fail()],
            Duration::from_secs(3),
        )
        .await;
        assert!(
            published.is_empty() && runs.is_empty(),
            "{published:?} {runs:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_waits_the_initial_delay_then_probes_every_period() {
        let (published, runs) = drive(
            ProbeKind::Readiness,
            timing(3, 2, 1, 1),
            vec![Outcome::Success, fail(), Outcome::Success],
            Duration::from_secs(9),
        )
        .await;
        assert_eq!(
            runs,
            vec![4, 6, 8],
            "periods of 2 s from 0; none before 3 s"
        );
        assert_eq!(published, vec![(4, true), (6, false), (8, true)]);
    }

    #[tokio::test(start_paused = true)]
    async fn liveness_publishes_after_failure_threshold_and_stops() {
        let (published, runs) = drive(
            ProbeKind::Liveness,
            timing(0, 1, 1, 3),
            vec![fail(), fail(), fail(), fail()],
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(published, vec![(2, false)]);
        assert_eq!(runs, vec![0, 1, 2], "on hold after the failure");
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_retried_within_a_period() {
        let err = || Outcome::Error("gone".into());
        let (published, runs) = drive(
            ProbeKind::Readiness,
            timing(0, 5, 1, 1),
            vec![err(), err(), Outcome::Success],
            Duration::from_secs(1),
        )
        .await;
        assert_eq!(runs, vec![0, 0, 0]);
        assert_eq!(published, vec![(0, true)]);
    }
}
