//! HostCallbacks calls by rpc, rule and outcome.

use prometheus_client::registry::Registry;

/// HostCallbacks calls by rpc, rule and outcome.
#[derive(Debug)]
pub struct CallbackMetrics {}

impl CallbackMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(_registry: &mut Registry) -> Self {
        Self {}
    }
}
