//! Container environments, resolved by the host before CreatePod and
//! UpdatePod with the kubelet's rules, so a plugin gets final values and
//! never needs Secrets or ConfigMaps for env (the contract is the proto's
//! "Environment" section).
//!
//! - `sources`: the one cluster read per resolution (GET by name, no cache);
//! - `build`: the pure assembly (envFrom then env, sources, expansion);
//! - `expand`, `fields`, `resources`, `quantity`: its pure parts;
//! - `config_error`: the status of a pod whose env cannot be built.
//!
//! Not provided: service-link variables (they need every Service of the
//! namespace; the host does not read Services).

mod build;
pub mod config_error;
mod expand;
mod fields;
mod quantity;
mod resources;
mod sources;

use k8s_openapi::api::core::v1::Pod;

pub use build::{ConfigError, Resolved};

/// Why a pod's environment could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// A required object or key is missing, or a reference is invalid: the
    /// pod waits with CreateContainerConfigError and is retried.
    #[error("container {}: {}", .0.container, .0.message)]
    Config(ConfigError),
    /// The API server could not be read; retried.
    #[error("reading the objects the pod's environment references")]
    Api(#[source] kube::Error),
}

/// Resolves the environment of `pod` (bound to `node`), reading what it
/// references with `client`.
pub async fn resolve(client: &kube::Client, node: &str, pod: &Pod) -> Result<Resolved, EnvError> {
    let sources = sources::fetch(client, node, pod)
        .await
        .map_err(EnvError::Api)?;
    build::build(pod, &sources).map_err(EnvError::Config)
}

/// Whether the pod's API status has an IP (what an env entry from
/// `status.podIP(s)` waits for).
pub fn has_pod_ip(pod: &Pod) -> bool {
    !fields::pod_ips(pod).is_empty()
}
