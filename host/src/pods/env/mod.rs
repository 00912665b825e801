//! Container environments, resolved by the host before CreatePod and
//! UpdatePod with the kubelet's rules, so a plugin gets final values and
//! never needs Secrets or ConfigMaps for env (the contract is the proto's
//! "Environment" section); and for one container at a time by the
//! `GetContainerEnv` callback (`callbacks::container_env`), for a restart.
//!
//! - `sources`: what the env reads, decided from the pod alone (the
//!   references come from `crate::pod_references`), then the one cluster
//!   read per resolution (GET by name, no cache);
//! - `master`: the master service variables every container gets (Service
//!   `default/kubernetes`, cached briefly);
//! - `build`: the pure assembly (envFrom then env, sources, expansion);
//! - `expand`, `fields`, `resources`: its pure parts (quantities are
//!   `vk_proto::quantity`'s);
//! - `config_error`: the status of a pod whose env cannot be built.
//!
//! Not provided: service-link variables of the namespace's own Services
//! (`enableServiceLinks`; they need every Service of the namespace). The
//! master service's variables are provided, as the kubelet always does.

mod build;
pub mod config_error;
mod expand;
mod fields;
mod master;
mod resources;
mod sources;

use k8s_openapi::api::core::v1::Pod;

pub use build::{ConfigError, Resolved};
pub use master::MasterService;

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
/// references with `client`, and the master service through `master`.
pub async fn resolve(
    client: &kube::Client,
    node: &str,
    master: &MasterService,
    pod: &Pod,
) -> Result<Resolved, EnvError> {
    let needed = sources::needed(pod);
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let mut sources = sources::fetch(client, node, namespace, &needed)
        .await
        .map_err(EnvError::Api)?;
    sources.master_service = master.vars(client).await.map_err(EnvError::Api)?;
    build::build(pod, &sources).map_err(EnvError::Config)
}

/// Whether the pod's API status has an IP (what an env entry from
/// `status.podIP(s)` waits for).
pub fn has_pod_ip(pod: &Pod) -> bool {
    !fields::pod_ips(pod).is_empty()
}
