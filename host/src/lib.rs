//! vk-host: a Virtual Kubelet whose provider is a separate plugin process
//! speaking the gRPC protocol in `proto/provider.proto`. This crate owns the
//! plugin supervisor and host callbacks today; the Kubernetes node and pod
//! controllers and the kubelet HTTP API build on them.

pub mod callbacks;
pub mod config;
pub mod plugins;
mod run;
pub mod shutdown;

pub use config::Config;
pub use run::run;
