//! Lifecycle hooks on real containers, as the kubelet runs them: the
//! postStart hook right after `StartContainer`, in the pod's sync (so the
//! container is not reported running before it returns), and killing a
//! container (`killContainer`): a `Killing` event, its preStop hook bounded
//! by the grace period, then `StopContainer` with what is left of it (at
//! least 2 s). Failed hooks raise `FailedPostStartHook`/`FailedPreStopHook`
//! events without the hook's output, as the kubelet's (it may hold secrets).

use std::time::{Duration, Instant};

use k8s_cri::v1::StopContainerRequest;
use k8s_openapi::api::core::v1::{Container, Pod};
use vk_plugin_sdk::PodEvent;

use super::Inner;
use crate::hooks::{FAILED_POST_START_HOOK, Hook, HookContext, stop_timeout};
use crate::labels::PodIdentity;

impl Inner {
    /// Runs `container`'s postStart hook (if any) in the just-started
    /// instance `id`. When it fails the instance is killed with the pod's
    /// grace period, as the kubelet does (`FailedPostStartHook`), and the
    /// kubelet's message is returned.
    pub(super) async fn post_start(
        &self,
        pod: &Pod,
        container: &Container,
        id: &str,
        pod_ips: &[String],
    ) -> Result<(), String> {
        let Some(handler) = container
            .lifecycle
            .as_ref()
            .and_then(|l| l.post_start.as_ref())
        else {
            return Ok(());
        };
        let hook = Hook::of(handler, container, pod_ips.first().map(String::as_str));
        let display = PodIdentity::of(pod).display();
        let context = HookContext {
            container_name: &container.name,
            pod: &display,
        };
        let started = Instant::now();
        let mut runtime = self.runtime.runtime.clone();
        // No timeout, as the kubelet's (ExecSync has the CRI client's
        // per-call deadline).
        let Err(message) = hook.run(&mut runtime, id, 0, context).await else {
            tracing::info!(container = %container.name, elapsed = ?started.elapsed(), "postStart hook done");
            return Ok(());
        };
        tracing::warn!(container = %container.name, id = %id, error = %message, "postStart hook failed; killing the container ({FAILED_POST_START_HOOK})");
        self.report_about(
            pod,
            PodEvent::warning(FAILED_POST_START_HOOK, "PostStartHook failed")
                .about(&container.name),
        );
        let grace = super::grace_seconds(pod);
        let pod_ip = pod_ips.first().map(String::as_str);
        self.kill_container(pod, id, container, grace, pod_ip, FAILED_POST_START_HOOK)
            .await;
        Err(message)
    }

    /// Stops container instance `id` of `pod` (`killContainer`): a
    /// `Killing` event with `why`; its preStop hook when `grace` > 0,
    /// bounded by `grace`; then `StopContainer` with the rest of `grace`, at
    /// least 2 s (0 when the grace is 0: a forced deletion).
    pub(super) async fn kill_container(
        &self,
        pod: &Pod,
        id: &str,
        container: &Container,
        grace: i64,
        pod_ip: Option<&str>,
        why: &str,
    ) {
        self.report_about(pod, PodEvent::normal("Killing", why).about(&container.name));
        let mut runtime = self.runtime.runtime.clone();
        let killing = Instant::now();
        let pre_stop = container
            .lifecycle
            .as_ref()
            .and_then(|l| l.pre_stop.as_ref())
            .filter(|_| grace > 0);
        if let Some(handler) = pre_stop {
            let hook = Hook::of(handler, container, pod_ip);
            let display = PodIdentity::of(pod).display();
            let context = HookContext {
                container_name: &container.name,
                pod: &display,
            };
            let bound = Duration::from_secs(grace.unsigned_abs());
            match tokio::time::timeout(bound, hook.run(&mut runtime, id, grace, context)).await {
                Ok(Ok(())) => {
                    tracing::info!(container = %container.name, id = %id, elapsed = ?killing.elapsed(), "preStop hook done");
                }
                Ok(Err(message)) => {
                    tracing::warn!(container = %container.name, id = %id, error = %message, "preStop hook failed");
                    self.report_about(
                        pod,
                        PodEvent::warning("FailedPreStopHook", "PreStopHook failed")
                            .about(&container.name),
                    );
                }
                Err(_) => {
                    tracing::info!(container = %container.name, id = %id, grace, "preStop hook not completed in the grace period");
                }
            }
        }
        let timeout = if grace == 0 {
            0
        } else {
            stop_timeout(grace, killing.elapsed().as_secs())
        };
        match runtime
            .stop_container(StopContainerRequest {
                container_id: id.to_owned(),
                timeout,
            })
            .await
        {
            Ok(_) => {}
            Err(status) if status.code() == tonic::Code::NotFound => {}
            Err(status) => {
                tracing::warn!(container = %container.name, id = %id, error = %status.message(), "StopContainer failed");
            }
        }
    }

    fn report_about(&self, pod: &Pod, event: PodEvent) {
        if let Some(uid) = pod.metadata.uid.as_deref() {
            self.report(uid, event);
        }
    }

    /// The pod IP hooks of pod `uid` use: its first reported one.
    pub(super) fn pod_ip(&self, uid: &str) -> Option<String> {
        self.pods()
            .get(uid)
            .and_then(|e| e.status.pod_ip.clone())
            .filter(|ip| !ip.is_empty())
    }
}
