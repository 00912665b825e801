//! Kubelet HTTP API requests by route and code; streaming sessions open.

use prometheus_client::registry::Registry;

/// Kubelet HTTP API requests by route and code; streaming sessions open.
#[derive(Debug)]
pub struct KubeletApiMetrics {}

impl KubeletApiMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(_registry: &mut Registry) -> Self {
        Self {}
    }
}
