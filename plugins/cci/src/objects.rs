//! Copies of the Secrets and ConfigMaps a pod references, read through the
//! host's callbacks (the host allows only what the pod references) and
//! written into the remote namespace under the mapped names; owned by the
//! remote pod once it exists, and deleted with it.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use tracing::{info, warn};
use vk_plugin_sdk::{HostClient, PodKey, ProviderError};

use crate::errors;
use crate::names::UID_LABEL;
use crate::refs::{Kind, References};

/// Field manager of the plugin's server-side applies.
const MANAGER: &str = "vk-cci-plugin";

/// Writes the copies of `references` for local pod `pod`: `copies` names
/// them, `labels` marks them. A missing required object is
/// FailedPrecondition (the host retries, as the kubelet waits for it).
pub async fn copy_all(
    client: &kube::Client,
    namespace: &str,
    host: Option<&HostClient>,
    pod: &PodKey,
    references: &References,
    copies: &BTreeMap<(Kind, String), String>,
    labels: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if references.is_empty() {
        return Ok(());
    }
    let Some(host) = host else {
        return Err(ProviderError::FailedPrecondition(format!(
            "pod {pod} references Secrets or ConfigMaps, but the plugin has no host callbacks to read them"
        )));
    };
    for ((kind, name), optional) in references {
        let Some(remote_name) = copies.get(&(*kind, name.clone())) else {
            continue;
        };
        let meta = ObjectMeta {
            name: Some(remote_name.clone()),
            namespace: Some(namespace.to_owned()),
            labels: Some(labels.clone()),
            ..Default::default()
        };
        let what = format!("copying {kind} {name} of pod {pod} to {namespace}/{remote_name}");
        let read = match kind {
            Kind::Secret => host.get_secret(pod, name).await.map(|secret| {
                serde_json::to_value(Secret {
                    metadata: meta.clone(),
                    type_: Some(secret.type_).filter(|t| !t.is_empty()),
                    data: Some(
                        secret
                            .data
                            .into_iter()
                            .map(|(k, v)| (k, ByteString(v.to_vec())))
                            .collect(),
                    ),
                    ..Default::default()
                })
            }),
            Kind::ConfigMap => host.get_config_map(pod, name).await.map(|map| {
                serde_json::to_value(ConfigMap {
                    metadata: meta.clone(),
                    data: Some(map.data),
                    binary_data: Some(
                        map.binary_data
                            .into_iter()
                            .map(|(k, v)| (k, ByteString(v.to_vec())))
                            .collect(),
                    ),
                    ..Default::default()
                })
            }),
        };
        let object = match read {
            Ok(Ok(object)) => object,
            Ok(Err(error)) => return Err(ProviderError::internal(what, error)),
            Err(status) if status.code() == tonic::Code::NotFound && *optional => {
                info!(pod = %pod, kind = %kind, name, "optional object missing; not copied");
                continue;
            }
            Err(status) => {
                return Err(match status.code() {
                    tonic::Code::NotFound => ProviderError::FailedPrecondition(format!(
                        "{what}: {kind} {name} does not exist (yet)"
                    )),
                    tonic::Code::PermissionDenied | tonic::Code::InvalidArgument => {
                        ProviderError::InvalidArgument(format!("{what}: {}", status.message()))
                    }
                    _ => ProviderError::Unavailable(format!(
                        "{what}: the host did not answer: {}",
                        status.message()
                    )),
                });
            }
        };
        let params = PatchParams::apply(MANAGER).force();
        let result = match kind {
            Kind::Secret => Api::<Secret>::namespaced(client.clone(), namespace)
                .patch(remote_name, &params, &Patch::Apply(&object))
                .await
                .map(drop),
            Kind::ConfigMap => Api::<ConfigMap>::namespaced(client.clone(), namespace)
                .patch(remote_name, &params, &Patch::Apply(&object))
                .await
                .map(drop),
        };
        result.map_err(|e| errors::remote(&what, e))?;
    }
    Ok(())
}

/// Makes the remote pod (`pod_name`, `pod_uid`) the owner of each copy, so
/// the remote garbage collector removes them with it.
pub async fn set_owner(
    client: &kube::Client,
    namespace: &str,
    copies: &BTreeMap<(Kind, String), String>,
    pod_name: &str,
    pod_uid: &str,
) {
    let owner = OwnerReference {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: pod_name.into(),
        uid: pod_uid.into(),
        ..Default::default()
    };
    let patch = serde_json::json!({"metadata": {"ownerReferences": [owner]}});
    let params = PatchParams::default();
    for ((kind, _), remote_name) in copies {
        let result = match kind {
            Kind::Secret => Api::<Secret>::namespaced(client.clone(), namespace)
                .patch(remote_name, &params, &Patch::Merge(&patch))
                .await
                .map(drop),
            Kind::ConfigMap => Api::<ConfigMap>::namespaced(client.clone(), namespace)
                .patch(remote_name, &params, &Patch::Merge(&patch))
                .await
                .map(drop),
        };
        match result {
            Ok(()) => {}
            // An optional object that was not copied.
            Err(error) if errors::is_not_found(&error) => {}
            Err(error) => {
                warn!(kind = %kind, name = remote_name, error = %error, "setting the owner of a copy failed; it is still deleted with the pod")
            }
        }
    }
}

/// Deletes every copy made for local pod `uid` (by label).
pub async fn delete_all(client: &kube::Client, namespace: &str, uid: &str) {
    let selector = format!("{UID_LABEL}={uid}");
    let list = ListParams::default().labels(&selector);
    let delete = DeleteParams::default();
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace)
        .delete_collection(&delete, &list)
        .await
        .map(drop);
    let maps = Api::<ConfigMap>::namespaced(client.clone(), namespace)
        .delete_collection(&delete, &list)
        .await
        .map(drop);
    for (kind, result) in [("Secrets", secrets), ("ConfigMaps", maps)] {
        if let Err(error) = result {
            warn!(uid, kind, error = %error, "deleting the copies failed; the remote garbage collector removes them with their pod");
        }
    }
}
