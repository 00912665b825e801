//! From a pod spec to the CRI requests the kubelet would send: the
//! sandbox's `PodSandboxConfig` and each container's `ContainerConfig`.
//! Everything here is a pure function of the pod and a small context, so
//! it is tested field by field without a runtime.

mod container;
pub mod dns;
pub mod expansion;
pub mod mounts;
pub mod resources;
mod sandbox;
pub mod security;

pub use container::{ContainerContext, container_config};
pub use sandbox::{SandboxContext, sandbox_config};

use crate::quantity::QuantityError;

/// Why a pod cannot be turned into CRI configuration. Permanent for this
/// spec: retrying the same pod gives the same error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("pod has no spec")]
    NoSpec,
    #[error(transparent)]
    Hostname(#[from] dns::FqdnTooLong),
    #[error(transparent)]
    Mount(#[from] mounts::MountError),
    #[error("container {container:?}: {source}")]
    Resources {
        container: String,
        #[source]
        source: QuantityError,
    },
    #[error(
        "container {container:?}: env {name:?} has no value (vk-host resolves every variable \
         except status.podIP(s) before CreatePod)"
    )]
    UnresolvedEnv { container: String, name: String },
    #[error("container {container:?} has no image")]
    NoImage { container: String },
}
