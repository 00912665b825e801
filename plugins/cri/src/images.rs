//! Image pull policy (`pkg/kubelet/images/image_manager.go`): the default
//! tag, whether to pull, and the kubelet's waiting reasons and messages.
//! Pure; the plugin's sync does the `ImageStatus`/`PullImage` calls.

use k8s_openapi::api::core::v1::Container;

use crate::status::SyncError;

pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
pub const IMAGE_INSPECT_ERROR: &str = "ImageInspectError";

/// `imagePullPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    /// The container's policy; when unset, the API server's default
    /// (Always for `:latest` or untagged images, else IfNotPresent).
    pub fn of(container: &Container) -> Self {
        match container.image_pull_policy.as_deref() {
            Some("Always") => Self::Always,
            Some("Never") => Self::Never,
            Some("IfNotPresent") => Self::IfNotPresent,
            _ => {
                let image = container.image.as_deref().unwrap_or_default();
                if tag(image).is_none_or(|t| t == "latest") && !image.contains('@') {
                    Self::Always
                } else {
                    Self::IfNotPresent
                }
            }
        }
    }
}

/// The tag of an image reference, if it names one.
fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, tag)| tag)
}

/// The image with `:latest` added when it has neither tag nor digest
/// (`applyDefaultImageTag`).
pub fn with_default_tag(image: &str) -> String {
    if tag(image).is_some() || image.contains('@') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// What to do about a container's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageStep {
    /// Use this image reference (the runtime's id of the present image).
    Use(String),
    /// Pull it (subject to the per-image back-off).
    Pull,
    /// The container cannot start: wait with this reason.
    Wait(SyncError),
}

/// `shouldPullImage` and its outcome for `image`, with `present` the id of
/// the image when the runtime has it.
pub fn image_step(policy: PullPolicy, image: &str, present: Option<&str>) -> ImageStep {
    match (policy, present) {
        (PullPolicy::Never, Some(id)) | (PullPolicy::IfNotPresent, Some(id)) => {
            ImageStep::Use(id.to_owned())
        }
        (PullPolicy::Never, None) => ImageStep::Wait(SyncError {
            reason: ERR_IMAGE_NEVER_PULL.into(),
            message: format!(
                "Container image \"{image}\" is not present with pull policy of Never"
            ),
        }),
        _ => ImageStep::Pull,
    }
}

/// The waiting reason while a failed pull backs off.
pub fn pull_back_off(image: &str) -> SyncError {
    SyncError {
        reason: IMAGE_PULL_BACK_OFF.into(),
        message: format!("Back-off pulling image \"{image}\""),
    }
}

/// The waiting reason of a pull that failed now.
pub fn pull_failed(image: &str, error: &str) -> SyncError {
    SyncError {
        reason: ERR_IMAGE_PULL.into(),
        message: format!("failed to pull image \"{image}\": {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, policy: Option<&str>) -> Container {
        Container {
            name: "app".into(),
            image: Some(image.into()),
            image_pull_policy: policy.map(Into::into),
            ..Container::default()
        }
    }

    #[test]
    fn policy_defaults_like_the_api_server() {
        for (image, policy, expected) in [
            ("busybox", None, PullPolicy::Always),
            ("busybox:latest", None, PullPolicy::Always),
            ("localhost:5000/busybox", None, PullPolicy::Always),
            (
                "localhost/vk-test/busybox:1",
                None,
                PullPolicy::IfNotPresent,
            ),
            ("busybox@sha256:abc", None, PullPolicy::IfNotPresent),
            ("busybox", Some("Never"), PullPolicy::Never),
            ("busybox:1", Some("Always"), PullPolicy::Always),
        ] {
            assert_eq!(
                PullPolicy::of(&container(image, policy)),
                expected,
                "{image}"
            );
        }
        assert_eq!(with_default_tag("busybox"), "busybox:latest");
        assert_eq!(
            with_default_tag("localhost:5000/b"),
            "localhost:5000/b:latest"
        );
        assert_eq!(with_default_tag("b:1"), "b:1");
    }

    #[test]
    fn steps() {
        assert_eq!(
            image_step(PullPolicy::IfNotPresent, "b:1", Some("sha256:x")),
            ImageStep::Use("sha256:x".into())
        );
        assert_eq!(
            image_step(PullPolicy::Always, "b:1", Some("sha256:x")),
            ImageStep::Pull
        );
        assert_eq!(
            image_step(PullPolicy::IfNotPresent, "b:1", None),
            ImageStep::Pull
        );
        let ImageStep::Wait(error) = image_step(PullPolicy::Never, "b:1", None) else {
            panic!("Never with a missing image waits");
        };
        assert_eq!(error.reason, ERR_IMAGE_NEVER_PULL);
        assert_eq!(
            error.message,
            "Container image \"b:1\" is not present with pull policy of Never"
        );
    }
}
