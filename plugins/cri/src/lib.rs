//! `vk-cri-plugin`: a vk-host provider that runs pods as real containers on
//! containerd through the Kubernetes Container Runtime Interface (CRI v1),
//! reproducing the kubelet's behaviour (`pkg/kubelet/kuberuntime`).
//!
//! The plugin keeps little state of its own: the pods it holds, as JSON
//! under `root_dir` ([`provider`]); what it needs about containers after a
//! restart is in the labels and annotations of the sandboxes and containers
//! it made ([`labels`]). The decisions are pure functions over data, tested
//! without a runtime: pod spec to CRI configuration ([`runtime_config`]), CRI state
//! to pod status ([`status`]), and whether and when to restart a container
//! ([`restart`], [`backoff`]). [`cri`] connects to the runtime; [`hooks`]
//! runs postStart and preStop handlers; [`termination`] reads termination
//! messages back.

pub mod backoff;
pub mod config;
pub mod credentials;
pub mod cri;
pub mod dead_sandbox;
pub mod ephemeral;
pub mod hooks;
pub mod image_change;
pub mod images;
pub mod labels;
pub mod log_rotation;
pub mod logs;
pub mod paths;
pub mod probes;
pub mod provider;
pub mod qos;
pub mod quantity;
pub mod resize;
pub mod restart;
pub mod runtime_config;
pub mod snapshot;
pub mod stats;
pub mod status;
pub mod streaming;
pub mod termination;
pub mod volumes;

pub use config::{Config, ConfigError};
pub use provider::CriProvider;

#[cfg(test)]
mod test_pods;
