//! Pod syncs by operation and outcome and their latency; work-queue depth
//! and retries. A "sync" is one pass of a worker over one pod key
//! (`pods::sync`), named by the heaviest thing it asked of the plugin.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// What one sync pass did, the most significant step it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncOperation {
    /// It created the pod in the plugin (or tried to).
    Create,
    /// It sent UpdatePod (or tried to).
    Update,
    /// It drove a deletion: the API object is gone or being deleted, or the
    /// pod was stopped by its active deadline.
    Delete,
    /// Nothing to change in the plugin: it read and wrote back status.
    Status,
}

impl SyncOperation {
    const ALL: [Self; 4] = [Self::Create, Self::Update, Self::Delete, Self::Status];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Status => "status",
        }
    }
}

/// How one sync pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncOutcome {
    /// Done until something changes.
    Success,
    /// Done for now; the pod is looked at again after a delay (a deletion
    /// being polled, an active deadline ahead).
    Requeued,
    /// Failed; retried with backoff.
    Error,
}

impl SyncOutcome {
    const ALL: [Self; 3] = [Self::Success, Self::Requeued, Self::Error];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Requeued => "requeued",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SyncLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

fn sync_histogram() -> Histogram {
    // 1 ms .. ~65 s: a status write takes milliseconds, a CreatePod that
    // pulls an image may take a minute.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

/// Pod syncs by outcome and their latency; work-queue depth and retries.
#[derive(Debug)]
pub struct PodMetrics {
    syncs: Family<SyncLabels, Counter>,
    sync_duration: Family<OperationLabels, Histogram, fn() -> Histogram>,
    queue_depth: Gauge,
    queue_retries: Counter,
}

impl PodMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(registry: &mut Registry) -> Self {
        let this = Self {
            syncs: Family::default(),
            sync_duration: Family::new_with_constructor(sync_histogram),
            queue_depth: Gauge::default(),
            queue_retries: Counter::default(),
        };
        registry.register(
            "pod_syncs",
            "Pod sync passes by operation (create, update, delete, status) and outcome (success, requeued, error)",
            this.syncs.clone(),
        );
        registry.register_with_unit(
            "pod_sync_duration",
            "Duration of one pod sync pass by operation",
            Unit::Seconds,
            this.sync_duration.clone(),
        );
        registry.register(
            "pod_work_queue_depth",
            "Pod keys waiting in the work queue (not counting those being worked on)",
            this.queue_depth.clone(),
        );
        // Every series from the start, so that rates have a zero to start
        // from.
        for operation in SyncOperation::ALL {
            for outcome in SyncOutcome::ALL {
                let _ = this.syncs.get_or_create(&SyncLabels {
                    operation: operation.as_str(),
                    outcome: outcome.as_str(),
                });
            }
            let _ = this.sync_duration.get_or_create(&OperationLabels {
                operation: operation.as_str(),
            });
        }
        registry.register(
            "pod_work_queue_retries",
            "Pod keys put back in the work queue with backoff after a failed sync",
            this.queue_retries.clone(),
        );
        this
    }

    /// One sync pass ended.
    pub fn sync_done(&self, operation: SyncOperation, outcome: SyncOutcome, seconds: f64) {
        let operation = operation.as_str();
        self.syncs
            .get_or_create(&SyncLabels {
                operation,
                outcome: outcome.as_str(),
            })
            .inc();
        self.sync_duration
            .get_or_create(&OperationLabels { operation })
            .observe(seconds);
    }

    /// The queue now holds `depth` waiting keys.
    pub fn queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// A key was scheduled for a retry with backoff.
    pub fn queue_retry(&self) {
        self.queue_retries.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn families_are_encoded_with_their_openmetrics_names() {
        let mut registry = Registry::with_prefix("vk_host");
        let metrics = PodMetrics::new(&mut registry);
        metrics.sync_done(SyncOperation::Create, SyncOutcome::Success, 0.003);
        metrics.sync_done(SyncOperation::Create, SyncOutcome::Error, 0.5);
        metrics.queue_depth(3);
        metrics.queue_retry();
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        for line in [
            "# TYPE vk_host_pod_syncs counter",
            r#"vk_host_pod_syncs_total{operation="create",outcome="success"} 1"#,
            r#"vk_host_pod_syncs_total{operation="create",outcome="error"} 1"#,
            "# TYPE vk_host_pod_sync_duration_seconds histogram",
            "# UNIT vk_host_pod_sync_duration_seconds seconds",
            r#"vk_host_pod_sync_duration_seconds_count{operation="create"} 2"#,
            r#"vk_host_pod_sync_duration_seconds_bucket{le="0.004",operation="create"} 1"#,
            "vk_host_pod_work_queue_depth 3",
            "vk_host_pod_work_queue_retries_total 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }
}
