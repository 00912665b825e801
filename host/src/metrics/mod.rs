//! The host's own metrics: one process-wide registry of OpenMetrics
//! families (`prometheus-client`), filled where things happen and encoded
//! for `/metrics`. Each submodule owns the families of one concern; labels
//! never carry pod names or uids, so cardinality stays bounded.
//!
//! The registry is a process global ([`global`]): instrumentation points sit
//! deep in controllers and clients, and threading a handle through every
//! constructor buys nothing while one process serves one node.

use std::sync::LazyLock;

use prometheus_client::registry::Registry;

pub mod callbacks;
pub mod kube;
pub mod kubelet_api;
pub mod plugin;
pub mod plugin_export;
pub mod pods;

/// Every family the host exports, by concern.
#[derive(Debug)]
pub struct Metrics {
    /// Kubernetes API requests, client-side throttling, events dropped.
    pub kube: kube::KubeMetrics,
    /// Kubelet HTTP API requests and streaming sessions.
    pub kubelet_api: kubelet_api::KubeletApiMetrics,
    /// Pod syncs, their latency and the work queue.
    pub pods: pods::PodMetrics,
    /// Plugin RPCs, restarts, health and status-stream reconnects.
    pub plugin: plugin::PluginMetrics,
    /// HostCallbacks calls.
    pub callbacks: callbacks::CallbackMetrics,
    registry: Registry,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("vk_host");
        Self {
            kube: kube::KubeMetrics::new(&mut registry),
            kubelet_api: kubelet_api::KubeletApiMetrics::new(&mut registry),
            pods: pods::PodMetrics::new(&mut registry),
            plugin: plugin::PluginMetrics::new(&mut registry),
            callbacks: callbacks::CallbackMetrics::new(&mut registry),
            registry,
        }
    }

    /// The registry, for encoding.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}
