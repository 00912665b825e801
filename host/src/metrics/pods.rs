//! Pod syncs by outcome and their latency; work-queue depth and retries.

use prometheus_client::registry::Registry;

/// Pod syncs by outcome and their latency; work-queue depth and retries.
#[derive(Debug)]
pub struct PodMetrics {}

impl PodMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(_registry: &mut Registry) -> Self {
        Self {}
    }
}
