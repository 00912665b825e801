//! UpdatePod as a strategic merge patch of the remote pod: what Kubernetes
//! lets change on a running pod (labels, annotations, container images,
//! `activeDeadlineSeconds`, added tolerations). Other changes are reported
//! as ignored.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, Toleration};
use serde_json::{Map, Value, json};

use crate::translate::{self, Target};

/// The patch for `remote` to follow `local`, and what it leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// None when nothing changes.
    pub patch: Option<Value>,
    pub ignored: Vec<String>,
}

/// Compares the new local pod with the remote pod.
pub fn plan(local: &Pod, remote: &Pod, target: &Target) -> Result<Plan, String> {
    let wanted = translate::to_remote(local, target)?.pod;
    let mut metadata = Map::new();
    for (field, want, have) in [
        ("labels", &wanted.metadata.labels, &remote.metadata.labels),
        (
            "annotations",
            &wanted.metadata.annotations,
            &remote.metadata.annotations,
        ),
    ] {
        if let Some(diff) = map_diff(want.as_ref(), have.as_ref()) {
            metadata.insert(field.into(), diff);
        }
    }
    let mut spec = Map::new();
    let mut ignored = Vec::new();
    let want_spec = wanted.spec.unwrap_or_default();
    let have_spec = remote.spec.clone().unwrap_or_default();
    for (field, want, have) in [
        ("containers", &want_spec.containers, &have_spec.containers),
        (
            "initContainers",
            &want_spec.init_containers.clone().unwrap_or_default(),
            &have_spec.init_containers.clone().unwrap_or_default(),
        ),
    ] {
        let changes = image_changes(want, have, field, &mut ignored);
        if !changes.is_empty() {
            spec.insert(field.into(), Value::Array(changes));
        }
    }
    if want_spec.active_deadline_seconds != have_spec.active_deadline_seconds {
        spec.insert(
            "activeDeadlineSeconds".into(),
            json!(want_spec.active_deadline_seconds),
        );
    }
    let have_tolerations = have_spec.tolerations.clone().unwrap_or_default();
    let added: Vec<Toleration> = want_spec
        .tolerations
        .iter()
        .flatten()
        .filter(|t| !have_tolerations.contains(t))
        .cloned()
        .collect();
    if !added.is_empty() {
        // Tolerations have no merge key: send the whole list, the remote
        // ones (admission adds some) plus the new.
        let mut all = have_tolerations;
        all.extend(added);
        spec.insert("tolerations".into(), json!(all));
    }
    let mut patch = Map::new();
    if !metadata.is_empty() {
        patch.insert("metadata".into(), Value::Object(metadata));
    }
    if !spec.is_empty() {
        patch.insert("spec".into(), Value::Object(spec));
    }
    Ok(Plan {
        patch: (!patch.is_empty()).then_some(Value::Object(patch)),
        ignored,
    })
}

/// Keys to set and keys to remove (`null`), or None when equal.
fn map_diff(
    want: Option<&BTreeMap<String, String>>,
    have: Option<&BTreeMap<String, String>>,
) -> Option<Value> {
    let empty = BTreeMap::new();
    let (want, have) = (want.unwrap_or(&empty), have.unwrap_or(&empty));
    let mut diff = Map::new();
    for (key, value) in want {
        if have.get(key) != Some(value) {
            diff.insert(key.clone(), Value::String(value.clone()));
        }
    }
    for key in have.keys() {
        if !want.contains_key(key) {
            diff.insert(key.clone(), Value::Null);
        }
    }
    (!diff.is_empty()).then_some(Value::Object(diff))
}

/// `{name, image}` entries for containers whose image changed.
fn image_changes(
    want: &[Container],
    have: &[Container],
    field: &str,
    ignored: &mut Vec<String>,
) -> Vec<Value> {
    let mut changes = Vec::new();
    for container in want {
        match have.iter().find(|c| c.name == container.name) {
            Some(current) => {
                if current.image != container.image {
                    changes.push(json!({"name": container.name, "image": container.image}));
                }
            }
            None => ignored.push(format!(
                "{field} {} added (a pod's containers cannot change)",
                container.name
            )),
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::tests::{local_pod, target};

    fn mirrored() -> Pod {
        translate::to_remote(&local_pod(), &target())
            .expect("translates")
            .pod
    }

    #[test]
    fn nothing_changed_means_no_patch() {
        let plan = plan(&local_pod(), &mirrored(), &target()).expect("plan");
        assert_eq!(plan.patch, None);
        assert!(plan.ignored.is_empty());
    }

    #[test]
    fn images_deadline_labels_and_tolerations_are_patched() {
        let mut local = local_pod();
        let spec = local.spec.as_mut().expect("spec");
        spec.containers[0].image = Some("nginx:2".into());
        spec.active_deadline_seconds = Some(60);
        spec.tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: Some("burst".into()),
                operator: Some("Exists".into()),
                ..Default::default()
            });
        let labels = local.metadata.labels.get_or_insert_with(BTreeMap::new);
        labels.remove("app");
        labels.insert("tier".into(), "front".into());
        let mut remote = mirrored();
        // Admission adds tolerations remotely; the patch keeps them.
        remote
            .spec
            .as_mut()
            .expect("spec")
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: Some("node.kubernetes.io/not-ready".into()),
                ..Default::default()
            });
        let plan = plan(&local, &remote, &target()).expect("plan");
        let patch = plan.patch.expect("a patch");
        assert_eq!(
            patch["spec"]["containers"],
            json!([{"name": "app", "image": "nginx:2"}])
        );
        assert_eq!(patch["spec"]["activeDeadlineSeconds"], json!(60));
        assert_eq!(
            patch["spec"]["tolerations"].as_array().map(Vec::len),
            Some(3)
        );
        assert_eq!(patch["metadata"]["labels"]["app"], Value::Null);
        assert_eq!(patch["metadata"]["labels"]["tier"], json!("front"));
    }

    #[test]
    fn new_containers_are_ignored() {
        let mut local = local_pod();
        local
            .spec
            .as_mut()
            .expect("spec")
            .containers
            .push(Container {
                name: "sidecar".into(),
                ..Default::default()
            });
        let plan = plan(&local, &mirrored(), &target()).expect("plan");
        assert_eq!(plan.patch, None);
        assert_eq!(plan.ignored.len(), 1, "{:?}", plan.ignored);
    }
}
