//! Pure translation between a local pod and its remote mirror: the remote
//! pod's metadata and spec (origin recorded in labels and annotations,
//! references renamed to the copies, what cannot work remotely removed),
//! the local pod rebuilt from a remote one (adoption after a restart), and
//! the remote status mapped back.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::names::{
    self, COPIES_ANNOTATION, MANAGED_BY, NAME_ANNOTATION, NAMESPACE_ANNOTATION, NODE_ANNOTATION,
    NODE_LABEL, UID_ANNOTATION, UID_LABEL,
};
use crate::refs::{self, Kind, References};

/// Annotations of the local pod not copied: the client's bookkeeping.
const DROPPED_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// Where remote pods go and what they carry.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub namespace: String,
    /// Labels added to every remote object.
    pub extra_labels: BTreeMap<String, String>,
    /// The node label of remote pods (`node_name` of the configuration);
    /// the pod's `spec.nodeName` when unset.
    pub node: Option<String>,
}

/// A local pod's remote form.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub pod: Pod,
    /// The local objects referenced (to copy).
    pub references: References,
    /// `(kind, local name) → remote name` of each copy.
    pub copies: BTreeMap<(Kind, String), String>,
    /// What was removed from the spec, for a log line.
    pub dropped: Vec<String>,
}

/// The local pod's namespace, name and uid.
pub fn origin(pod: &Pod) -> Result<(String, String, String), String> {
    let meta = &pod.metadata;
    let field = |value: &Option<String>, what: &str| {
        value
            .clone()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the pod has no metadata.{what}"))
    };
    Ok((
        field(&meta.namespace, "namespace")?,
        field(&meta.name, "name")?,
        field(&meta.uid, "uid")?,
    ))
}

/// Labels marking a remote object as the plugin's, for local pod `uid`.
pub fn object_labels(target: &Target, uid: &str) -> BTreeMap<String, String> {
    let mut labels = target.extra_labels.clone();
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    labels.insert(UID_LABEL.into(), uid.into());
    labels
}

/// Is `name` one of the environment variables the local kubelet rules add
/// for the local cluster's API (the remote kubelet adds its own)?
fn is_local_master_service_variable(name: &str) -> bool {
    name.starts_with("KUBERNETES_SERVICE_") || name.starts_with("KUBERNETES_PORT")
}

/// The remote form of local pod `local`.
pub fn to_remote(local: &Pod, target: &Target) -> Result<Mirror, String> {
    let (namespace, name, uid) = origin(local)?;
    let mut spec = local
        .spec
        .clone()
        .ok_or_else(|| "the pod has no spec".to_owned())?;
    let remote_name = names::remote_pod_name(&namespace, &name);
    let node = spec.node_name.take().unwrap_or_default();
    let mut dropped = Vec::new();

    // Service-account tokens of the local cluster mean nothing remotely.
    let token_volumes: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .filter(|v| {
            v.projected.as_ref().is_some_and(|p| {
                p.sources
                    .iter()
                    .flatten()
                    .any(|s| s.service_account_token.is_some())
            })
        })
        .map(|v| v.name.clone())
        .collect();
    if let Some(volumes) = &mut spec.volumes {
        volumes.retain(|v| !token_volumes.contains(&v.name));
    }
    for volume in &token_volumes {
        dropped.push(format!("volume {volume} (local service-account token)"));
    }
    for container in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        strip_container(container, &token_volumes);
    }
    if spec.service_account_name.take().is_some() | spec.service_account.take().is_some() {
        dropped.push("serviceAccountName".into());
    }
    spec.automount_service_account_token = Some(false);
    if spec.ephemeral_containers.take().is_some() {
        dropped.push("ephemeralContainers".into());
    }
    if spec.affinity.take().is_some() {
        dropped.push("affinity (it names local nodes)".into());
    }
    if spec.priority_class_name.take().is_some() {
        dropped.push("priorityClassName".into());
    }
    spec.priority = None;
    spec.preemption_policy = None;

    let references = refs::collect(&spec);
    let copies: BTreeMap<(Kind, String), String> = references
        .keys()
        .map(|(kind, local)| {
            (
                (*kind, local.clone()),
                names::copy_name(&remote_name, local),
            )
        })
        .collect();
    refs::rewrite(&mut spec, &|kind, local| {
        copies.get(&(kind, local.to_owned())).cloned()
    });

    let mut labels = local.metadata.labels.clone().unwrap_or_default();
    labels.extend(object_labels(target, &uid));
    let node_label = target.node.as_deref().unwrap_or(&node);
    if !node_label.is_empty() {
        labels.insert(NODE_LABEL.into(), names::label_value(node_label));
    }
    let mut annotations = local.metadata.annotations.clone().unwrap_or_default();
    annotations.retain(|key, _| !DROPPED_ANNOTATIONS.contains(&key.as_str()));
    annotations.insert(NAMESPACE_ANNOTATION.into(), namespace);
    annotations.insert(NAME_ANNOTATION.into(), name);
    annotations.insert(UID_ANNOTATION.into(), uid);
    annotations.insert(NODE_ANNOTATION.into(), node);
    let copy_list: Vec<(Kind, &String, &String)> = copies
        .iter()
        .map(|((kind, local), remote)| (*kind, local, remote))
        .collect();
    annotations.insert(
        COPIES_ANNOTATION.into(),
        serde_json::to_string(&copy_list).unwrap_or_else(|_| "[]".into()),
    );
    let pod = Pod {
        metadata: ObjectMeta {
            name: Some(remote_name),
            namespace: Some(target.namespace.clone()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    };
    Ok(Mirror {
        pod,
        references,
        copies,
        dropped,
    })
}

/// Drops mounts of removed volumes and the local cluster's API variables.
fn strip_container(container: &mut Container, removed_volumes: &[String]) {
    if let Some(mounts) = &mut container.volume_mounts {
        mounts.retain(|m| !removed_volumes.contains(&m.name));
    }
    if let Some(env) = &mut container.env {
        env.retain(|var| !is_local_master_service_variable(&var.name));
    }
}

/// The copies recorded on a remote pod: `(kind, local name, remote name)`.
pub fn copies_of(remote: &Pod) -> Vec<(Kind, String, String)> {
    remote
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(COPIES_ANNOTATION))
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// The local pod's uid recorded on a remote pod.
pub fn origin_uid(remote: &Pod) -> Option<&str> {
    remote
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(UID_ANNOTATION))
        .map(String::as_str)
}

/// Is this label or annotation the plugin's own?
fn is_own_key(key: &str, target: &Target) -> bool {
    key.starts_with(names::PREFIX) || key == MANAGED_BY.0 || target.extra_labels.contains_key(key)
}

/// The local pod a remote pod mirrors (metadata, spec with the local names,
/// status): what GetPods returns after a restart. None when the remote pod
/// lacks the origin annotations.
pub fn from_remote(remote: &Pod, target: &Target) -> Option<Pod> {
    let annotations = remote.metadata.annotations.as_ref()?;
    let get = |key: &str| annotations.get(key).filter(|v| !v.is_empty()).cloned();
    let namespace = get(NAMESPACE_ANNOTATION)?;
    let name = get(NAME_ANNOTATION)?;
    let uid = get(UID_ANNOTATION)?;
    let node = get(NODE_ANNOTATION);
    let labels: BTreeMap<String, String> = remote
        .metadata
        .labels
        .iter()
        .flatten()
        .filter(|(key, _)| !is_own_key(key, target))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let local_annotations: BTreeMap<String, String> = annotations
        .iter()
        .filter(|(key, _)| !is_own_key(key, target))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut spec: PodSpec = remote.spec.clone().unwrap_or_default();
    let back: BTreeMap<(Kind, String), String> = copies_of(remote)
        .into_iter()
        .map(|(kind, local, copy)| ((kind, copy), local))
        .collect();
    refs::rewrite(&mut spec, &|kind, copy| {
        back.get(&(kind, copy.to_owned())).cloned()
    });
    spec.node_name = node;
    Some(Pod {
        metadata: ObjectMeta {
            namespace: Some(namespace),
            name: Some(name),
            uid: Some(uid),
            labels: Some(labels),
            annotations: Some(local_annotations),
            ..Default::default()
        },
        spec: Some(spec),
        status: Some(local_status(remote)),
    })
}

/// The remote pod's status as the local pod's: phase, conditions, pod and
/// host IPs, container statuses, start time, message and reason. What only
/// makes sense remotely (generations, nominated node, resize) is left out.
pub fn local_status(remote: &Pod) -> PodStatus {
    let mut status = remote.status.clone().unwrap_or_default();
    status.observed_generation = None;
    status.nominated_node_name = None;
    status.resize = None;
    status.ephemeral_container_statuses = None;
    for condition in status.conditions.iter_mut().flatten() {
        condition.observed_generation = None;
    }
    if status.phase.is_none() {
        status.phase = Some("Pending".into());
    }
    status
}

/// The final status of a pod whose remote mirror is gone: containers not
/// already terminated end `reason` with exit code 0 after our delete, or
/// as failed when the mirror vanished on its own.
pub fn gone_status(last: Option<PodStatus>, deleted_by_us: bool) -> PodStatus {
    use k8s_openapi::api::core::v1::{ContainerState, ContainerStateTerminated};
    let mut status = last.unwrap_or_default();
    let (code, reason) = if deleted_by_us {
        (0, "Completed")
    } else {
        (137, "RemotePodDeleted")
    };
    let mut all_zero = true;
    for container in status
        .container_statuses
        .iter_mut()
        .flatten()
        .chain(status.init_container_statuses.iter_mut().flatten())
    {
        let terminated = container.state.as_ref().and_then(|s| s.terminated.clone());
        let terminated = terminated.unwrap_or_else(|| ContainerStateTerminated {
            exit_code: code,
            reason: Some(reason.into()),
            started_at: container
                .state
                .as_ref()
                .and_then(|s| s.running.as_ref())
                .and_then(|r| r.started_at.clone()),
            ..Default::default()
        });
        all_zero &= terminated.exit_code == 0;
        container.state = Some(ContainerState {
            terminated: Some(terminated),
            ..Default::default()
        });
        container.ready = false;
        container.started = Some(false);
    }
    if !matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        status.phase = Some(if all_zero && deleted_by_us {
            "Succeeded".into()
        } else {
            "Failed".into()
        });
    }
    if !deleted_by_us {
        status.reason = Some("RemotePodDeleted".into());
        status.message = Some("the remote pod was deleted outside of this node".into());
    }
    for condition in status.conditions.iter_mut().flatten() {
        if condition.type_ == "Ready" || condition.type_ == "ContainersReady" {
            condition.status = "False".into();
        }
    }
    status
}

#[cfg(test)]
pub(crate) mod tests {
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStatus, EnvVar, PodCondition,
        ProjectedVolumeSource, ServiceAccountTokenProjection, Toleration, Volume, VolumeMount,
        VolumeProjection,
    };

    use super::*;

    pub(crate) fn local_pod() -> Pod {
        let mut spec = crate::refs::tests::spec_with_references();
        spec.node_name = Some("vk-cci-1".into());
        spec.service_account_name = Some("default".into());
        spec.node_selector = Some(BTreeMap::from([("zone".into(), "a".into())]));
        spec.tolerations = Some(vec![Toleration {
            key: Some("virtual-kubelet.io/provider".into()),
            operator: Some("Exists".into()),
            ..Default::default()
        }]);
        spec.priority_class_name = Some("high".into());
        spec.priority = Some(1000);
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: "kube-api-access-abcde".into(),
            projected: Some(ProjectedVolumeSource {
                sources: Some(vec![VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let app = &mut spec.containers[0];
        app.image = Some("nginx:1".into());
        app.volume_mounts = Some(vec![
            VolumeMount {
                name: "kube-api-access-abcde".into(),
                mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                ..Default::default()
            },
            VolumeMount {
                name: "creds".into(),
                mount_path: "/creds".into(),
                ..Default::default()
            },
        ]);
        app.env.get_or_insert_with(Vec::new).extend([
            EnvVar {
                name: "KUBERNETES_SERVICE_HOST".into(),
                value: Some("10.0.0.1".into()),
                ..Default::default()
            },
            EnvVar {
                name: "GREETING".into(),
                value: Some("hello".into()),
                ..Default::default()
            },
        ]);
        Pod {
            metadata: ObjectMeta {
                namespace: Some("team-a".into()),
                name: Some("web".into()),
                uid: Some("1111-2222".into()),
                labels: Some(BTreeMap::from([("app".into(), "web".into())])),
                annotations: Some(BTreeMap::from([
                    ("note".into(), "x".into()),
                    (DROPPED_ANNOTATIONS[0].into(), "{}".into()),
                ])),
                ..Default::default()
            },
            spec: Some(spec),
            status: None,
        }
    }

    pub(crate) fn target() -> Target {
        Target {
            namespace: "burst".into(),
            extra_labels: BTreeMap::from([("team".into(), "infra".into())]),
            node: None,
        }
    }

    #[test]
    fn the_remote_pod_records_its_origin() {
        let mirror = to_remote(&local_pod(), &target()).expect("translates");
        let meta = &mirror.pod.metadata;
        assert_eq!(
            meta.name.as_deref(),
            Some(names::remote_pod_name("team-a", "web").as_str())
        );
        assert_eq!(meta.namespace.as_deref(), Some("burst"));
        let labels = meta.labels.clone().unwrap_or_default();
        assert_eq!(labels["app"], "web");
        assert_eq!(labels["team"], "infra");
        assert_eq!(labels[MANAGED_BY.0], MANAGED_BY.1);
        assert_eq!(labels[UID_LABEL], "1111-2222");
        assert_eq!(labels[NODE_LABEL], "vk-cci-1");
        let annotations = meta.annotations.clone().unwrap_or_default();
        assert_eq!(annotations[NAMESPACE_ANNOTATION], "team-a");
        assert_eq!(annotations[NAME_ANNOTATION], "web");
        assert_eq!(annotations[UID_ANNOTATION], "1111-2222");
        assert_eq!(annotations[NODE_ANNOTATION], "vk-cci-1");
        assert_eq!(annotations["note"], "x");
        assert!(!annotations.contains_key(DROPPED_ANNOTATIONS[0]));
    }

    #[test]
    fn the_spec_is_passed_through_without_local_only_parts() {
        let mirror = to_remote(&local_pod(), &target()).expect("translates");
        let spec = mirror.pod.spec.expect("spec");
        assert_eq!(spec.node_name, None);
        assert_eq!(spec.service_account_name, None);
        assert_eq!(spec.automount_service_account_token, Some(false));
        assert_eq!(spec.priority_class_name, None);
        assert_eq!(spec.priority, None);
        assert_eq!(
            spec.node_selector,
            local_pod().spec.and_then(|s| s.node_selector)
        );
        assert_eq!(spec.tolerations.as_ref().map(Vec::len), Some(1));
        let volumes: Vec<&str> = spec
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(volumes, ["creds", "conf", "both"]);
        let app = &spec.containers[0];
        assert_eq!(app.image.as_deref(), Some("nginx:1"));
        let mounts: Vec<&str> = app
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(mounts, ["creds"]);
        let env: Vec<&str> = app.env.iter().flatten().map(|e| e.name.as_str()).collect();
        assert_eq!(env, ["PASSWORD", "GREETING"]);
        assert!(mirror.dropped.iter().any(|d| d.contains("kube-api-access")));
    }

    #[test]
    fn references_point_at_the_copies() {
        let mirror = to_remote(&local_pod(), &target()).expect("translates");
        let remote_name = mirror.pod.metadata.name.clone().expect("name");
        let spec = mirror.pod.spec.clone().expect("spec");
        let found = refs::collect(&spec);
        assert_eq!(found.len(), 5);
        for (kind, name) in found.keys() {
            assert!(
                name.starts_with(&format!("{remote_name}-")),
                "{kind} {name} is not a copy's name"
            );
        }
        assert_eq!(
            mirror.copies[&(Kind::Secret, "creds".to_owned())],
            format!("{remote_name}-creds")
        );
        assert_eq!(copies_of(&mirror.pod).len(), 5);
    }

    #[test]
    fn adoption_rebuilds_the_local_pod() {
        let local = local_pod();
        let mut remote = to_remote(&local, &target()).expect("translates").pod;
        remote.status = Some(PodStatus {
            phase: Some("Running".into()),
            pod_ip: Some("10.9.0.5".into()),
            ..Default::default()
        });
        let back = from_remote(&remote, &target()).expect("has an origin");
        assert_eq!(back.metadata.namespace, local.metadata.namespace);
        assert_eq!(back.metadata.name, local.metadata.name);
        assert_eq!(back.metadata.uid, local.metadata.uid);
        assert_eq!(back.metadata.labels, local.metadata.labels);
        let spec = back.spec.expect("spec");
        assert_eq!(spec.node_name.as_deref(), Some("vk-cci-1"));
        assert_eq!(
            refs::collect(&spec),
            refs::collect(local.spec.as_ref().expect("spec"))
        );
        assert_eq!(
            back.status.and_then(|s| s.pod_ip).as_deref(),
            Some("10.9.0.5")
        );
        let mut stranger = remote.clone();
        stranger.metadata.annotations = None;
        assert!(from_remote(&stranger, &target()).is_none());
    }

    #[test]
    fn status_maps_back_without_remote_generations() {
        let remote = Pod {
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ip: Some("10.9.0.5".into()),
                host_ip: Some("192.0.2.1".into()),
                observed_generation: Some(4),
                nominated_node_name: Some("other".into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    observed_generation: Some(4),
                    ..Default::default()
                }]),
                container_statuses: Some(vec![ContainerStatus {
                    name: "app".into(),
                    ready: true,
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning::default()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let status = local_status(&remote);
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.pod_ip.as_deref(), Some("10.9.0.5"));
        assert_eq!(status.host_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(status.observed_generation, None);
        assert_eq!(status.nominated_node_name, None);
        assert_eq!(
            status.conditions.as_ref().map(|c| c[0].observed_generation),
            Some(None)
        );
        assert_eq!(status.container_statuses.as_ref().map(Vec::len), Some(1));
        assert_eq!(
            local_status(&Pod::default()).phase.as_deref(),
            Some("Pending")
        );

        let gone = gone_status(Some(status.clone()), true);
        assert_eq!(gone.phase.as_deref(), Some("Succeeded"));
        let state = gone.container_statuses.as_ref().expect("statuses")[0]
            .state
            .clone()
            .and_then(|s| s.terminated)
            .expect("terminated");
        assert_eq!(state.exit_code, 0);
        let vanished = gone_status(Some(status), false);
        assert_eq!(vanished.phase.as_deref(), Some("Failed"));
        assert_eq!(vanished.reason.as_deref(), Some("RemotePodDeleted"));
    }

    #[test]
    fn the_configured_node_name_labels_pods_without_a_node() {
        let mut pod = local_pod();
        pod.spec.as_mut().expect("spec").node_name = None;
        let target = Target {
            node: Some("vk-cci-2".into()),
            ..target()
        };
        let mirror = to_remote(&pod, &target).expect("translates");
        let labels = mirror.pod.metadata.labels.expect("labels");
        assert_eq!(labels[NODE_LABEL], "vk-cci-2");
    }

    #[test]
    fn a_pod_without_uid_or_spec_is_refused() {
        let mut pod = local_pod();
        pod.metadata.uid = None;
        assert!(
            to_remote(&pod, &target())
                .expect_err("refused")
                .contains("uid")
        );
        let mut pod = local_pod();
        pod.spec = None;
        assert!(
            to_remote(&pod, &target())
                .expect_err("refused")
                .contains("spec")
        );
    }
}
