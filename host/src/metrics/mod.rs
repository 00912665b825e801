//! The host's own metrics: one process-wide registry of OpenMetrics
//! families (`prometheus-client`), filled where things happen and encoded
//! for `/metrics`. Each submodule owns the families of one concern; labels
//! never carry pod names or uids, so cardinality stays bounded.
//!
//! The registry is a process global ([`global`]): instrumentation points sit
//! deep in controllers and clients, and threading a handle through every
//! constructor buys nothing while one process serves one node.
//!
//! [`render`] writes the exposition both endpoints serve: the kubelet API's
//! `/metrics` (authorized as `nodes/metrics`) and the optional plain
//! listener of `--metrics-bind-address` ([`listener`]).

use std::sync::LazyLock;

use prometheus_client::registry::Registry;

pub mod callbacks;
pub mod kube;
pub mod kubelet_api;
pub mod listener;
pub mod plugin;
pub mod plugin_export;
pub mod pods;
pub mod process;
pub mod render;

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
        // The process families keep their standard unprefixed names; the
        // host's own live under `vk_host_`.
        let mut registry = Registry::default();
        let host = registry.sub_registry_with_prefix("vk_host");
        let kube = kube::KubeMetrics::new(host);
        let kubelet_api = kubelet_api::KubeletApiMetrics::new(host);
        let pods = pods::PodMetrics::new(host);
        let plugin = plugin::PluginMetrics::new(host);
        let callbacks = callbacks::CallbackMetrics::new(host);
        registry.register_collector(Box::new(process::ProcessCollector));
        Self {
            kube,
            kubelet_api,
            pods,
            plugin,
            callbacks,
            registry,
        }
    }

    /// The registry, for encoding (see [`render`]).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}
