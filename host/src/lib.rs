//! vk-host: a Virtual Kubelet whose provider is a separate plugin process
//! speaking the gRPC protocol in `proto/provider.proto`. This crate owns the
//! plugin supervisor, the Kubernetes node and pod controllers and the host
//! callbacks; the kubelet HTTP API builds on them.

pub mod apiserver;
pub mod backoff;
pub mod callbacks;
pub mod certificates;
pub mod config;
pub mod kubelet_api;
pub mod metrics;
pub mod node;
pub mod plugin_process;
pub mod pod_references;
pub mod pods;
mod run;
pub mod shutdown;
mod task_group;

pub use config::Config;
pub use run::run;
