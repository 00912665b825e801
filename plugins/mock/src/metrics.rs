//! The mock plugin's own metrics (CAPABILITY_PLUGIN_METRICS), real ones:
//! pods held by phase (read from the table at scrape time), CreatePod calls
//! by outcome and their latency.

use std::sync::atomic::{AtomicU64, Ordering};

use vk_plugin_sdk::metrics::{self, Histogram};
use vk_plugin_sdk::proto::MetricFamily;

/// How a CreatePod call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The pod was created.
    Created,
    /// The same pod (same UID) was already held: nothing to do.
    AlreadyHeld,
    /// Refused or failed.
    Failed,
}

/// Counters kept where things happen.
#[derive(Debug)]
pub struct MockMetrics {
    creates: [AtomicU64; 3],
    create_seconds: Histogram,
}

impl Default for MockMetrics {
    fn default() -> Self {
        Self {
            creates: Default::default(),
            // 10 µs .. 1 s: an in-memory create takes microseconds, one
            // that fetches volumes through the host milliseconds.
            create_seconds: Histogram::new([1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0]),
        }
    }
}

const OUTCOMES: [(CreateOutcome, &str); 3] = [
    (CreateOutcome::Created, "created"),
    (CreateOutcome::AlreadyHeld, "already_held"),
    (CreateOutcome::Failed, "failed"),
];

impl MockMetrics {
    /// One CreatePod call ended after `seconds`.
    pub fn create_done(&self, outcome: CreateOutcome, seconds: f64) {
        let index = OUTCOMES
            .iter()
            .position(|(o, _)| *o == outcome)
            .unwrap_or(0);
        self.creates[index].fetch_add(1, Ordering::Relaxed);
        self.create_seconds.observe(seconds);
    }

    /// The families, with `phases` the pods held per phase (every phase the
    /// mock reports, zeros included).
    pub fn families(&self, phases: &[(&str, usize)]) -> Vec<MetricFamily> {
        vec![
            metrics::gauge(
                "mock_pods",
                "Pods the mock plugin holds, by phase",
                phases
                    .iter()
                    .map(|(phase, n)| ([("phase", *phase)], *n as f64)),
            ),
            metrics::counter(
                "mock_create_pod_calls",
                "CreatePod calls the mock plugin served, by outcome",
                OUTCOMES.iter().zip(&self.creates).map(|((_, outcome), n)| {
                    ([("outcome", *outcome)], n.load(Ordering::Relaxed) as f64)
                }),
            ),
            metrics::histogram(
                "mock_create_pod_duration_seconds",
                "How long the mock plugin took to serve CreatePod",
                [(metrics::NO_LABELS, self.create_seconds.snapshot())],
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_are_counted_by_outcome_and_timed() {
        let m = MockMetrics::default();
        m.create_done(CreateOutcome::Created, 0.00002);
        m.create_done(CreateOutcome::Created, 0.5);
        m.create_done(CreateOutcome::Failed, 0.001);
        let families = m.families(&[("Running", 2), ("Pending", 0)]);
        let calls = &families[1];
        assert_eq!(calls.name, "mock_create_pod_calls");
        let by_outcome: Vec<_> = calls
            .metrics
            .iter()
            .map(|m| (m.labels["outcome"].as_str(), m.value))
            .collect();
        assert_eq!(
            by_outcome,
            [("created", 2.0), ("already_held", 0.0), ("failed", 1.0)]
        );
        let h = families[2].metrics[0]
            .histogram
            .as_ref()
            .expect("histogram");
        assert_eq!(h.sample_count, 3);
        assert_eq!(h.buckets.last().map(|b| b.cumulative_count), Some(3));
        assert_eq!(families[0].metrics[0].labels["phase"], "Running");
        assert_eq!(families[0].metrics[0].value, 2.0);
    }
}
