//! The Node status heartbeat: one strategic merge patch of `nodes/status`
//! with vk-host's conditions (Ready from plugin health), resources,
//! addresses, system info and kubelet endpoint. Sent every
//! [`HEARTBEAT`](super::HEARTBEAT) and at once when the plugin's health or
//! NodeInfo changes.

use k8s_openapi::api::core::v1::{Node, NodeCondition};
use kube::api::{Api, Patch, PatchParams};

use super::FIELD_MANAGER;
use super::desired::Desired;
use super::merge::status_patch;
use super::registration::status_code;

/// A failed status write.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("Node {node} was deleted")]
    Gone { node: String },
    #[error("updating the status of Node {node}")]
    Patch {
        node: String,
        #[source]
        source: kube::Error,
    },
}

/// Patches the status of `current` with `desired` and `conditions`, and
/// returns the Node as written.
pub async fn post(
    api: &Api<Node>,
    current: &Node,
    desired: &Desired,
    conditions: &[NodeCondition],
) -> Result<Node, StatusError> {
    let name = current.metadata.name.clone().unwrap_or_default();
    let patch = status_patch(current, desired, conditions);
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    match api
        .patch_status(&name, &params, &Patch::Strategic(&patch))
        .await
    {
        Ok(node) => Ok(node),
        Err(error) if status_code(&error) == Some(404) => Err(StatusError::Gone { node: name }),
        Err(source) => Err(StatusError::Patch { node: name, source }),
    }
}
