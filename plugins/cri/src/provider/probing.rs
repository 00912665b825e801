//! The provider's side of probing: start and stop the workers of a pod from
//! its last status (one per probe of each running instance of a regular
//! container or sidecar; only
//! readiness once the pod is being deleted), publish their results (which
//! wakes the relist, so the status is recomputed and pushed), and kill a
//! container whose liveness or startup probe failed, as the kubelet's
//! `computePodActions` does; the restart policy and CrashLoopBackOff then
//! apply as to any exit.

use std::sync::Arc;
use std::time::Duration;

use k8s_cri::v1::ContainerState;
use k8s_openapi::api::core::v1::{Container, Pod, Probe};
use k8s_openapi::jiff::Timestamp;
use tokio::task::AbortHandle;
use tracing::Instrument as _;
use vk_plugin_sdk::PodEvent;

use super::{Inner, now};
use crate::probes::worker::{self, Timing};
use crate::probes::{Handler, Outcome, ProbeKind, WorkerKey};
use crate::restart::{RestartPolicy, is_sidecar, sidecars};
use crate::snapshot::{PodSnapshot, state};

/// What a new worker needs.
struct Plan {
    probe: Probe,
    container: Container,
    started_at: Option<Timestamp>,
}

impl Inner {
    /// Matches pod `uid`'s probe workers to its last reported status.
    pub(super) fn sync_probes(self: &Arc<Self>, uid: &str) {
        let held = self
            .pods()
            .get(uid)
            .map(|e| (e.pod.clone(), e.status.clone(), e.deleting));
        let Some((pod, status, deleting)) = held else {
            self.probes.forget_pod(uid);
            return;
        };
        let pod_ip = status.pod_ip.clone();
        let mut wanted = Vec::new();
        let mut plans = Vec::new();
        for (container, statuses) in probed_containers(&pod) {
            let list = match statuses {
                List::Init => &status.init_container_statuses,
                List::Regular => &status.container_statuses,
            };
            let Some(found) = list.iter().flatten().find(|s| s.name == container.name) else {
                continue;
            };
            let Some(running) = found.state.as_ref().and_then(|s| s.running.as_ref()) else {
                continue;
            };
            let Some(id) = found
                .container_id
                .as_deref()
                .map(|id| id.trim_start_matches("containerd://"))
            else {
                continue;
            };
            for kind in ProbeKind::ALL {
                // A pod being deleted keeps only its readiness probes.
                let Some(probe) = kind
                    .of(container)
                    .filter(|_| !deleting || kind == ProbeKind::Readiness)
                else {
                    continue;
                };
                let key = WorkerKey {
                    pod_uid: uid.to_owned(),
                    container_id: id.to_owned(),
                    kind,
                };
                wanted.push(key.clone());
                plans.push((
                    key,
                    Plan {
                        probe: probe.clone(),
                        container: container.clone(),
                        started_at: running.started_at.as_ref().map(|t| t.0),
                    },
                ));
            }
        }
        self.probes.reconcile(uid, &wanted, |key| {
            let plan = plans.iter().find(|(k, _)| k == key).map(|(_, plan)| plan);
            match plan {
                Some(plan) => self.spawn_worker(key, plan, pod_ip.as_deref()),
                // `reconcile` only starts what is wanted.
                None => tokio::spawn(async {}).abort_handle(),
            }
        });
    }

    fn spawn_worker(
        self: &Arc<Self>,
        key: &WorkerKey,
        plan: &Plan,
        pod_ip: Option<&str>,
    ) -> AbortHandle {
        let kind = key.kind;
        let handler = Handler::of(&plan.probe, &plan.container, pod_ip);
        let timing = Timing::of(&plan.probe);
        let ran_for = plan
            .started_at
            .and_then(|t| Duration::try_from(now().duration_since(t)).ok())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "probe",
            pod = %key.pod_uid,
            container = %plan.container.name,
            kind = kind.as_str()
        );
        if let Handler::Unsupported(why) = &handler {
            span.in_scope(
                || tracing::warn!(reason = %why, "probe cannot run; its result stays as it starts"),
            );
        }
        // Set for an instance adopted after a restart (its saved result).
        let published = self.probes.get(&key.container_id, kind);
        let has_startup = plan.container.startup_probe.is_some();
        let id = key.container_id.clone();
        let pod_uid = key.pod_uid.clone();
        let container_name = plan.container.name.clone();
        let runtime = self.runtime.runtime.clone();
        let inner = self.clone();
        let task = async move {
            let probe = || {
                let mut runtime = runtime.clone();
                let handler = handler.clone();
                let id = id.clone();
                let inner = inner.clone();
                let (uid, container) = (pod_uid.clone(), container_name.clone());
                async move {
                    let outcome = handler.run(&mut runtime, &id, timing.timeout).await;
                    // Every failed run is an event, as the kubelet's prober
                    // records it (thresholds decide only the result), and
                    // so is every warning.
                    let event = match &outcome {
                        Outcome::Success => None,
                        Outcome::Warning(output) => {
                            Some(("ProbeWarning", format!("warning: {output}")))
                        }
                        Outcome::Failure(output) => {
                            Some(("Unhealthy", format!("failed: {output}")))
                        }
                        Outcome::Error(error) => Some(("Unhealthy", format!("errored: {error}"))),
                    };
                    if let Some((reason, what)) = event {
                        let note = format!("{} probe {what}", capitalized(kind.as_str()));
                        inner.report(&uid, PodEvent::warning(reason, note).about(&container));
                    }
                    outcome
                }
            };
            let started =
                || !has_startup || inner.probes.get(&id, ProbeKind::Startup) == Some(true);
            let publish = |success: bool, outcome: &Outcome| {
                match outcome {
                    Outcome::Failure(why) | Outcome::Error(why) => {
                        tracing::info!(probe_result = success, output = %why, "probe result changed");
                    }
                    Outcome::Success | Outcome::Warning(_) => {
                        tracing::info!(probe_result = success, "probe result changed")
                    }
                }
                inner.probes.set(&id, kind, success);
                if kind != ProbeKind::Liveness {
                    inner.save_probe_results(&pod_uid);
                }
                inner.relist.wake.notify_one();
            };
            worker::run(kind, timing, ran_for, published, probe, started, publish).await;
        };
        tokio::spawn(task.instrument(span)).abort_handle()
    }

    /// Saves pod `uid`'s readiness and startup results beside it, for the
    /// next instance of the plugin (a failure only costs that restart a
    /// fresh start of the probes).
    fn save_probe_results(&self, uid: &str) {
        if !self.pods().contains_key(uid) {
            return;
        }
        let checkpoint = self.probes.checkpoint(uid);
        if let Err(error) = super::store::save_probes(&self.config.root_dir, uid, &checkpoint) {
            tracing::warn!(%uid, error = %error, "cannot save the pod's probe results");
        }
    }

    /// Kills every running container of `pod` whose liveness or startup
    /// probe failed: preStop hook, then `StopContainer` with the probe's
    /// `terminationGracePeriodSeconds`, else the pod's (at least 2 s after
    /// the hook). True when one was killed.
    pub(super) async fn kill_unhealthy(&self, pod: &Pod, snapshot: &PodSnapshot) -> bool {
        let mut killed = false;
        for (container, _) in probed_containers(pod) {
            let Some(instance) = snapshot
                .newest(&container.name)
                .filter(|i| state(i) == ContainerState::ContainerRunning)
            else {
                continue;
            };
            let failed = [ProbeKind::Startup, ProbeKind::Liveness]
                .into_iter()
                .find_map(|kind| {
                    let probe = kind.of(container)?;
                    (self.probes.get(&instance.id, kind) == Some(false)).then_some((kind, probe))
                });
            let Some((kind, probe)) = failed else {
                continue;
            };
            let grace = probe
                .termination_grace_period_seconds
                .or_else(|| {
                    pod.spec
                        .as_ref()
                        .and_then(|s| s.termination_grace_period_seconds)
                })
                .unwrap_or(30)
                .max(0);
            let restarts = is_sidecar(container) || RestartPolicy::of(pod) != RestartPolicy::Never;
            tracing::info!(
                container = %container.name,
                id = %instance.id,
                grace,
                "Container {} failed {} probe{}",
                container.name,
                kind.as_str(),
                if restarts { ", will be restarted" } else { "" }
            );
            let note = format!(
                "Container {} failed {} probe{}",
                container.name,
                kind.as_str(),
                if restarts { ", will be restarted" } else { "" }
            );
            let pod_ip = self.pod_ip(pod.metadata.uid.as_deref().unwrap_or_default());
            // The kill records the Killing event with this note.
            self.kill_container(
                pod,
                &instance.id,
                container,
                grace,
                pod_ip.as_deref(),
                &note,
            )
            .await;
            killed = true;
        }
        killed
    }
}

/// Which status list a probed container is reported in.
#[derive(Debug, Clone, Copy)]
enum List {
    Init,
    Regular,
}

/// The containers whose probes run: the sidecars (`prober_manager`'s
/// `AddPod` takes restartable init containers too) and the regular ones.
fn probed_containers(pod: &Pod) -> impl Iterator<Item = (&Container, List)> {
    sidecars(pod).map(|c| (c, List::Init)).chain(
        pod.spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .map(|c| (c, List::Regular)),
    )
}

/// `liveness` as `Liveness`, as the kubelet names probes in events.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
