//! The six required pod rpcs: create/get/status/list agree, CreatePod is
//! idempotent per UID and conflicts under another UID, UpdatePod applies and
//! refuses unknown pods, DeletePod stops pods and tolerates repeats, and
//! lookups of unknown pods are NOT_FOUND.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::time::Instant;
use tonic::Code;

use crate::context::{Ctx, Outcome, Reply, seconds};
use crate::pods::{self, label, pod_ref, uid};

/// How often a changing state is polled.
const POLL: Duration = Duration::from_millis(200);

/// Label UpdatePod adds.
const UPDATE_LABEL: (&str, &str) = ("conformance.vk-host.io/updated", "true");

/// How many pods in GetPods have this UID.
fn occurrences(list: &[Pod], uid: &str) -> usize {
    list.iter()
        .filter(|p| p.metadata.uid.as_deref() == Some(uid))
        .count()
}

pub async fn create_get(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("create");
    cx.create_ok(&pod).await?;
    let what = format!("GetPod of {}", label(&pod));
    let got = cx.get(&pod).await.ok(&what)?;
    let (meta, want) = (&got.metadata, &pod.metadata);
    if meta.uid != want.uid || meta.name != want.name || meta.namespace != want.namespace {
        return Err(format!(
            "{what} after CreatePod: expected the same namespace/name/uid, got {}",
            label(&got)
        ));
    }
    let what = format!("GetPodStatus of {}", label(&pod));
    let status = cx
        .typed(cx.client.get_pod_status(pod_ref(&pod)))
        .await
        .ok(&what)?;
    let list = cx.get_pods().await.ok("GetPods")?;
    if occurrences(&list, uid(&pod)) == 0 {
        return Err(format!(
            "GetPods after CreatePod of {}: expected the pod in the list, got {} pods without it",
            label(&pod),
            list.len()
        ));
    }
    Ok(format!(
        "GetPod, GetPodStatus (phase {}) and GetPods agree",
        status.phase.as_deref().unwrap_or("unset")
    ))
}

pub async fn create_idempotent(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("twice");
    cx.create_ok(&pod).await?;
    cx.create(&pod).await.ok(&format!(
        "second CreatePod of {} with the same uid (CreatePod is idempotent per UID)",
        label(&pod)
    ))?;
    let list = cx.get_pods().await.ok("GetPods")?;
    match occurrences(&list, uid(&pod)) {
        1 => Ok("second CreatePod with the same UID is OK; GetPods lists the pod once".into()),
        n => Err(format!(
            "GetPods after two CreatePods of {}: expected the uid exactly once, got it {n} times",
            label(&pod)
        )),
    }
}

pub async fn create_conflict(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("conflict");
    cx.create_ok(&pod).await?;
    let mut other = pod.clone();
    other.metadata.uid = Some(pods::new_uid());
    cx.create(&other).await.expect(
        Code::AlreadyExists,
        &format!(
            "CreatePod of {} while uid {} holds that namespace/name",
            label(&other),
            uid(&pod)
        ),
    )?;
    let held = cx.get(&pod).await.ok(&format!(
        "GetPod of {} after the refused create",
        label(&pod)
    ))?;
    if held.metadata.uid != pod.metadata.uid {
        return Err(format!(
            "GetPod after a refused CreatePod under another uid: expected uid {}, got {}",
            uid(&pod),
            uid(&held)
        ));
    }
    Ok("another UID under the same namespace/name is ALREADY_EXISTS".into())
}

pub async fn get_wrong_uid(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("uid");
    cx.create_ok(&pod).await?;
    let mut reference = pod_ref(&pod);
    reference.uid = pods::new_uid();
    let what = format!(
        "GetPod of {}/{} with uid {} while the plugin holds uid {} (PodRef.uid must match)",
        reference.namespace,
        reference.name,
        reference.uid,
        uid(&pod)
    );
    cx.typed(cx.client.get_pod(reference))
        .await
        .expect(Code::NotFound, &what)?;
    Ok("a PodRef with another UID is NOT_FOUND".into())
}

pub async fn update(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("update");
    cx.create_ok(&pod).await?;
    let mut changed = pod.clone();
    changed
        .metadata
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(UPDATE_LABEL.0.to_owned(), UPDATE_LABEL.1.to_owned());
    let what = format!(
        "UpdatePod of {} adding label {}={}",
        label(&pod),
        UPDATE_LABEL.0,
        UPDATE_LABEL.1
    );
    cx.typed(cx.client.update_pod(&changed)).await.ok(&what)?;
    let got = cx
        .get(&pod)
        .await
        .ok(&format!("GetPod of {} after UpdatePod", label(&pod)))?;
    let value = got
        .metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(UPDATE_LABEL.0));
    if value.map(String::as_str) != Some(UPDATE_LABEL.1) {
        return Err(format!(
            "GetPod after {what}: expected the label, got labels {:?}",
            got.metadata.labels.unwrap_or_default()
        ));
    }
    Ok("UpdatePod applies a new label; GetPod shows it".into())
}

pub async fn update_unknown(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("never");
    cx.typed(cx.client.update_pod(&pod)).await.expect(
        Code::NotFound,
        &format!("UpdatePod of never-created {}", label(&pod)),
    )?;
    Ok("UpdatePod of an unknown pod is NOT_FOUND".into())
}

/// True when every container of `pod` reports a terminated state (or the
/// pod's phase is final).
fn stopped(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    if matches!(status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return true;
    }
    let containers = status.container_statuses.as_deref().unwrap_or_default();
    !containers.is_empty()
        && containers
            .iter()
            .all(|c| c.state.as_ref().is_some_and(|s| s.terminated.is_some()))
}

/// Polls GetPod until the pod is gone or stopped, within `limit`.
async fn wait_stopped(cx: &Ctx, pod: &Pod, limit: Duration) -> Outcome {
    let start = Instant::now();
    let what = format!("GetPod of {} after DeletePod", label(pod));
    loop {
        let reply = cx.get(pod).await;
        let waited = seconds(Duration::from_millis(start.elapsed().as_millis() as u64));
        match reply {
            Reply::Status(status) if status.code() == Code::NotFound => {
                return Ok(format!("the pod was gone (NOT_FOUND) after {waited}"));
            }
            Reply::Ok(got) if stopped(&got) => {
                return Ok(format!("all containers reported terminated after {waited}"));
            }
            Reply::Ok(got) => {
                if start.elapsed() >= limit {
                    let phase = got
                        .status
                        .as_ref()
                        .and_then(|s| s.phase.clone())
                        .unwrap_or_else(|| "unset".into());
                    return Err(format!(
                        "{what}: expected NOT_FOUND or every container terminated within {}, \
                         got the pod still held (phase {phase}, containers not all terminated)",
                        seconds(limit)
                    ));
                }
            }
            other => return other.ok(&what).map(|_| String::new()),
        }
        tokio::time::sleep(POLL).await;
    }
}

pub async fn delete(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("delete");
    cx.create_ok(&pod).await?;
    cx.delete(&pod)
        .await
        .ok(&format!("DeletePod of {}", label(&pod)))?;
    let stopped = wait_stopped(cx, &pod, cx.timeout).await?;
    Ok(format!("DeletePod OK; {stopped}"))
}

pub async fn delete_again(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("redelete");
    cx.create_ok(&pod).await?;
    cx.delete(&pod)
        .await
        .ok(&format!("DeletePod of {}", label(&pod)))?;
    let code = cx.delete(&pod).await.expect_any(
        &[Code::Ok, Code::NotFound],
        &format!("second DeletePod of {}", label(&pod)),
    )?;
    Ok(format!(
        "a second DeletePod is {}",
        crate::context::code_name(code)
    ))
}

pub async fn delete_unknown(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("never");
    let code = cx.delete(&pod).await.expect_any(
        &[Code::Ok, Code::NotFound],
        &format!("DeletePod of never-created {}", label(&pod)),
    )?;
    Ok(format!(
        "DeletePod of an unknown pod is {}",
        crate::context::code_name(code)
    ))
}

pub async fn get_unknown(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("never");
    cx.get(&pod).await.expect(
        Code::NotFound,
        &format!("GetPod of never-created {}", label(&pod)),
    )?;
    cx.typed(cx.client.get_pod_status(pod_ref(&pod)))
        .await
        .expect(
            Code::NotFound,
            &format!("GetPodStatus of never-created {}", label(&pod)),
        )?;
    Ok("GetPod and GetPodStatus of an unknown pod are NOT_FOUND".into())
}

pub async fn list(cx: &Ctx) -> Outcome {
    let created: Vec<Pod> = (0..3).map(|_| cx.pods.pod("list")).collect();
    for pod in &created {
        cx.create_ok(pod).await?;
    }
    let list = cx.get_pods().await.ok("GetPods")?;
    let missing: Vec<String> = created
        .iter()
        .filter(|pod| occurrences(&list, uid(pod)) == 0)
        .map(label)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "GetPods after creating 3 pods: expected all 3, got {} pods without {}",
            list.len(),
            missing.join(", ")
        ));
    }
    Ok(format!(
        "GetPods lists all 3 created pods ({} pods in all)",
        list.len()
    ))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus, PodStatus,
    };

    use super::*;

    fn with_containers(states: Vec<ContainerState>) -> Pod {
        Pod {
            status: Some(PodStatus {
                phase: Some("Running".into()),
                container_statuses: Some(
                    states
                        .into_iter()
                        .map(|state| ContainerStatus {
                            state: Some(state),
                            ..ContainerStatus::default()
                        })
                        .collect(),
                ),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    #[test]
    fn a_pod_is_stopped_when_every_container_terminated() {
        let terminated = ContainerState {
            terminated: Some(ContainerStateTerminated::default()),
            ..ContainerState::default()
        };
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..ContainerState::default()
        };
        assert!(stopped(&with_containers(vec![terminated.clone()])));
        assert!(!stopped(&with_containers(vec![terminated, running])));
        assert!(!stopped(&with_containers(vec![])));
        assert!(!stopped(&Pod::default()));
    }
}
