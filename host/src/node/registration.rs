//! Writing the Node object: create it (with its status) when it is missing,
//! and keep vk-host's labels and taints on it current afterwards, through the
//! three-way merge in [`super::merge`] with an optimistic-concurrency retry.

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};

use super::FIELD_MANAGER;
use super::desired::Desired;
use super::merge::metadata_patch;

/// Conflicting writes retried before giving up until the next round.
const CONFLICT_ATTEMPTS: u32 = 5;

/// A failed Node write.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("creating Node {node}")]
    Create {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("reading Node {node}")]
    Read {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("updating the labels and taints of Node {node}")]
    Update {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("Node {node} was deleted")]
    Gone { node: String },
}

/// What [`create`] did.
#[derive(Debug)]
pub enum Created {
    /// vk-host created this Node.
    New(Node),
    /// Someone (an earlier vk-host) had created it already.
    Existing(Node),
}

/// Creates `node`; an existing Node of that name is read and returned
/// instead.
pub async fn create(api: &Api<Node>, node: &Node) -> Result<Created, RegistrationError> {
    let name = node.metadata.name.clone().unwrap_or_default();
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PostParams::default()
    };
    match api.create(&params, node).await {
        Ok(created) => Ok(Created::New(created)),
        Err(error) if status_code(&error) == Some(409) => {
            match api.get_opt(&name).await {
                Ok(Some(existing)) => Ok(Created::Existing(existing)),
                // Deleted again in between: the next round creates it.
                Ok(None) => Err(RegistrationError::Gone { node: name }),
                Err(source) => Err(RegistrationError::Read { node: name, source }),
            }
        }
        Err(source) => Err(RegistrationError::Create { node: name, source }),
    }
}

/// Brings vk-host's labels and taints on `current` up to `desired`. Returns
/// the Node as written, or `None` when nothing had to change.
pub async fn sync_metadata(
    api: &Api<Node>,
    current: &Node,
    desired: &Desired,
) -> Result<Option<Node>, RegistrationError> {
    let name = current.metadata.name.clone().unwrap_or_default();
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let mut fresh: Option<Node> = None;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let node = fresh.as_ref().unwrap_or(current);
        let Some(patch) = metadata_patch(node, desired) else {
            return Ok(fresh);
        };
        match api.patch(&name, &params, &Patch::Merge(&patch)).await {
            Ok(written) => return Ok(Some(written)),
            Err(error) if status_code(&error) == Some(409) && attempt < CONFLICT_ATTEMPTS => {
                tracing::debug!(node = %name, attempt, "conflict updating labels and taints; re-reading");
                match api.get_opt(&name).await {
                    Ok(Some(node)) => fresh = Some(node),
                    Ok(None) => return Err(RegistrationError::Gone { node: name }),
                    Err(source) => return Err(RegistrationError::Read { node: name, source }),
                }
            }
            Err(error) if status_code(&error) == Some(404) => {
                return Err(RegistrationError::Gone { node: name });
            }
            Err(source) => return Err(RegistrationError::Update { node: name, source }),
        }
    }
}

/// The HTTP status of an API error, if the API server answered.
pub fn status_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}
