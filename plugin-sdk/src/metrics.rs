//! The plugin's own metrics (CAPABILITY_PLUGIN_METRICS): what
//! [`Provider::plugin_metrics`](crate::Provider::plugin_metrics) returns,
//! and small helpers to build it. The host exports the families at its
//! `/metrics` with `plugin="<your handshake name>"` on every sample; see
//! `GetPluginMetrics` in `proto/provider.proto` for the rules (names,
//! limits, no `vk_host_` prefix, counters named without `_total`).
//!
//! Keep the values where they change (atomics, a [`Histogram`]) and build
//! the families when asked: a scrape is rare next to the work it counts.
//!
//! ```
//! use vk_plugin_sdk::metrics::{self, Histogram, NO_LABELS};
//!
//! let latency = Histogram::new([0.01, 0.1, 1.0]);
//! latency.observe(0.05);
//! let families = vec![
//!     metrics::counter("backend_calls", "Calls to the backend", [([("call", "run")], 3.0)]),
//!     metrics::gauge("backend_sessions", "Open sessions", [(NO_LABELS, 2.0)]),
//!     metrics::histogram("backend_call_seconds", "Backend call latency", [(NO_LABELS, latency.snapshot())]),
//! ];
//! assert_eq!(families.len(), 3);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use crate::proto::{self, Metric, MetricFamily, MetricType};

/// No labels, for a metric that has none.
pub const NO_LABELS: [(&str, &str); 0] = [];

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    MetricFamily {
        name: name.to_owned(),
        help: help.to_owned(),
        r#type: kind as i32,
        metrics,
    }
}

fn labels<K: Into<String>, V: Into<String>>(
    labels: impl IntoIterator<Item = (K, V)>,
) -> std::collections::HashMap<String, String> {
    labels
        .into_iter()
        .map(|(name, value)| (name.into(), value.into()))
        .collect()
}

fn values<L, K, V>(samples: impl IntoIterator<Item = (L, f64)>) -> Vec<Metric>
where
    L: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    samples
        .into_iter()
        .map(|(l, value)| Metric {
            labels: labels(l),
            value,
            histogram: None,
        })
        .collect()
}

/// A counter family: one value per label set (label name and value
/// pairs), only ever going up. `name` without `_total` (the host adds it).
pub fn counter<L, K, V>(
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, f64)>,
) -> MetricFamily
where
    L: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    family(name, help, MetricType::Counter, values(samples))
}

/// A gauge family: one value per label set.
pub fn gauge<L, K, V>(
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, f64)>,
) -> MetricFamily
where
    L: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    family(name, help, MetricType::Gauge, values(samples))
}

/// A histogram family: one [`Histogram::snapshot`] per label set.
pub fn histogram<L, K, V>(
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (L, proto::Histogram)>,
) -> MetricFamily
where
    L: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let metrics = samples
        .into_iter()
        .map(|(l, histogram)| Metric {
            labels: labels(l),
            value: 0.0,
            histogram: Some(histogram),
        })
        .collect();
    family(name, help, MetricType::Histogram, metrics)
}

/// A classic histogram with fixed bucket bounds, safe to observe from many
/// tasks at once.
#[derive(Debug)]
pub struct Histogram {
    bounds: Vec<f64>,
    /// Per bucket (not cumulative), one more than `bounds` for +Inf.
    counts: Vec<AtomicU64>,
    sum_bits: AtomicU64,
}

impl Histogram {
    /// A histogram with these upper bounds (sorted, NaN and duplicates left
    /// out; +Inf is implied).
    pub fn new(bounds: impl IntoIterator<Item = f64>) -> Self {
        let mut bounds: Vec<f64> = bounds
            .into_iter()
            .filter(|b| !b.is_nan() && *b != f64::INFINITY)
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            bounds,
            counts,
            sum_bits: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// Counts one observation.
    pub fn observe(&self, value: f64) {
        let bucket = self.bounds.partition_point(|bound| *bound < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum_bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }

    /// The histogram as the protocol sends it: cumulative buckets, +Inf
    /// last.
    pub fn snapshot(&self) -> proto::Histogram {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(self.counts.len());
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            buckets.push(proto::Bucket {
                cumulative_count: cumulative,
                upper_bound: self.bounds.get(i).copied().unwrap_or(f64::INFINITY),
            });
        }
        proto::Histogram {
            sample_count: cumulative,
            sample_sum: f64::from_bits(self.sum_bits.load(Ordering::Relaxed)),
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_snapshot_is_cumulative_and_ends_in_inf() {
        let h = Histogram::new([1.0, 0.1, 1.0, f64::NAN]);
        for v in [0.05, 0.1, 0.5, 3.0] {
            h.observe(v);
        }
        let s = h.snapshot();
        let buckets: Vec<_> = s
            .buckets
            .iter()
            .map(|b| (b.upper_bound, b.cumulative_count))
            .collect();
        assert_eq!(buckets, [(0.1, 2), (1.0, 3), (f64::INFINITY, 4)]);
        assert_eq!(s.sample_count, 4);
        assert!((s.sample_sum - 3.65).abs() < 1e-9);
    }

    #[test]
    fn families_carry_their_type_and_labels() {
        let f = counter("calls", "Calls", [([("kind", "a")], 2.0)]);
        assert_eq!(f.r#type, MetricType::Counter as i32);
        assert_eq!(f.metrics[0].labels["kind"], "a");
        assert_eq!(f.metrics[0].value, 2.0);
        let f = histogram("h", "H", [(NO_LABELS, Histogram::new([1.0]).snapshot())]);
        assert_eq!(f.r#type, MetricType::Histogram as i32);
        assert_eq!(
            f.metrics[0].histogram.as_ref().map(|h| h.buckets.len()),
            Some(2)
        );
    }
}
