//! Images for containers, as the kubelet's image manager gets them
//! (`pkg/kubelet/images/image_manager.go`): the pull policy decides, a
//! failed pull backs off per pod and image, and a pull tries each
//! credential the pod's `imagePullSecrets` hold for the registry, most
//! specific first ([`crate::credentials`]), or none when none match. Each
//! pull is reported with the kubelet's events (`Pulling`, then `Pulled` or
//! `Failed`; `Pulled` also for an image already present); the waiting
//! reasons' events come from [`super::events::waiting`].

use std::time::Instant;

use k8s_cri::v1::{AuthConfig, ImageSpec, ImageStatusRequest, PodSandboxConfig, PullImageRequest};
use k8s_openapi::api::core::v1::Container;
use vk_plugin_sdk::{PodEvent, PodKey};

use super::{Inner, now};
use crate::backoff::StartDecision;
use crate::credentials::Keyring;
use crate::images::{self, ImageStep, PullPolicy};
use crate::status::SyncError;

impl Inner {
    /// The image reference to run `container` with, pulling per its policy
    /// and the per-image back-off; the waiting reason when it cannot run.
    pub(super) async fn ensure_image(
        &self,
        uid: &str,
        container: &Container,
        sandbox_config: &PodSandboxConfig,
    ) -> Result<String, SyncError> {
        let image = images::with_default_tag(container.image.as_deref().unwrap_or_default());
        let spec = ImageSpec {
            image: image.clone(),
            ..ImageSpec::default()
        };
        let event = |event: PodEvent| self.report(uid, event.about(&container.name));
        let mut client = self.runtime.images.clone();
        let present = client
            .image_status(ImageStatusRequest {
                image: Some(spec.clone()),
                verbose: false,
            })
            .await
            .map_err(|status| SyncError {
                reason: images::IMAGE_INSPECT_ERROR.into(),
                message: format!("Failed to inspect image \"{image}\": {}", status.message()),
            })?
            .into_inner()
            .image
            .map(|i| i.id);
        match images::image_step(PullPolicy::of(container), &image, present.as_deref()) {
            ImageStep::Use(id) => {
                event(PodEvent::normal(
                    "Pulled",
                    format!("Container image \"{image}\" already present on machine"),
                ));
                return Ok(id);
            }
            ImageStep::Wait(error) => return Err(error),
            ImageStep::Pull => {}
        }
        let key = format!("{uid}_{image}");
        let failed_at = self
            .pods()
            .get(uid)
            .and_then(|e| e.pull_failures.get(&image).copied());
        let now = now();
        let decision = self
            .backoffs
            .pull
            .lock()
            .map(|mut b| b.try_start(&key, failed_at.unwrap_or(now), now))
            .unwrap_or(StartDecision::Start);
        if failed_at.is_some() && matches!(decision, StartDecision::BackOff { .. }) {
            return Err(images::pull_back_off(&image));
        }

        let credentials = self.pull_credentials(uid, &image).await;
        tracing::info!(image = %image, credentials = credentials.len(), "pulling image");
        event(PodEvent::normal(
            "Pulling",
            format!("Pulling image \"{image}\""),
        ));
        let started = Instant::now();
        // The kubelet tries every matching credential in turn, and pulls
        // without any only when none match.
        let attempts: Vec<Option<AuthConfig>> = if credentials.is_empty() {
            vec![None]
        } else {
            credentials.into_iter().map(Some).collect()
        };
        let mut failure = String::new();
        for auth in attempts {
            match client
                .pull_image(PullImageRequest {
                    image: Some(spec.clone()),
                    auth,
                    sandbox_config: Some(sandbox_config.clone()),
                })
                .await
            {
                Ok(reply) => {
                    if let Some(entry) = self.pods().get_mut(uid) {
                        entry.pull_failures.remove(&image);
                    }
                    let took = started.elapsed().as_secs_f64();
                    event(PodEvent::normal(
                        "Pulled",
                        format!(
                            "Successfully pulled image \"{image}\" in {took:.3}s ({took:.3}s including waiting)"
                        ),
                    ));
                    return Ok(reply.into_inner().image_ref);
                }
                Err(status) => status.message().clone_into(&mut failure),
            }
        }
        if let Some(entry) = self.pods().get_mut(uid) {
            entry.pull_failures.insert(image.clone(), now);
        }
        event(PodEvent::warning(
            "Failed",
            format!("Failed to pull image \"{image}\": {failure}"),
        ));
        Err(images::pull_failed(&image, &failure))
    }

    /// The registry credentials for `image` from the pod's
    /// `imagePullSecrets`, fetched through the host. A secret that cannot
    /// be read or used is skipped with a warning event, as the kubelet
    /// does (the pull may still succeed without it).
    async fn pull_credentials(&self, uid: &str, image: &str) -> Vec<AuthConfig> {
        let Some(host) = &self.host.callbacks else {
            return Vec::new();
        };
        let (pod, names) = {
            let pods = self.pods();
            let Some(entry) = pods.get(uid) else {
                return Vec::new();
            };
            let names: Vec<String> = entry
                .pod
                .spec
                .iter()
                .flat_map(|spec| spec.image_pull_secrets.iter().flatten())
                .map(|reference| reference.name.clone())
                .filter(|name| !name.is_empty())
                .collect();
            (PodKey::of(&entry.pod), names)
        };
        let mut keyring = Keyring::default();
        for name in names {
            let added = match host.get_secret(&pod, &name).await {
                Ok(secret) => keyring.add_secret(&name, &secret.type_, &secret.data),
                Err(status) => Err(format!("cannot read secret {name}: {}", status.message())),
            };
            if let Err(problem) = added {
                tracing::warn!(%pod, secret = %name, "image pull secret skipped: {problem}");
                self.report(
                    uid,
                    PodEvent::warning(
                        "FailedToRetrieveImagePullSecret",
                        format!(
                            "Unable to retrieve some image pull secrets ({name}); attempting to pull the image may not succeed: {problem}"
                        ),
                    ),
                );
            }
        }
        keyring.lookup(image)
    }
}
