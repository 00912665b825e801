//! Kubernetes Events the plugin reports about its pods (`PodEvent`s on the
//! status stream): checked, then recorded through the host's [`Events`]
//! about the API pod, so a plugin writes no Event the host would not: only
//! about pods bound to this node, with the uid it names, in the pod's own
//! namespace, under `reportingController: vk-host`.
//!
//! [`Events`]: crate::kube::Events

use k8s_openapi::api::core::v1::Pod;
use tracing::warn;
use vk_proto::v1::{PodEvent, PodEventType};

use crate::kube::{Events, Severity};

/// The API's limit on an event reason.
const MAX_REASON: usize = 128;

/// Records `events` about `pod` (the API's pod, whose uid the plugin
/// named). An invalid event is dropped with a warning naming the fault.
pub fn record(recorder: &Events, pod: &Pod, events: Vec<PodEvent>) {
    for event in events {
        match check(pod, &event) {
            Ok((severity, field_path)) => {
                let note = event.message;
                match field_path {
                    Some(path) => recorder.pod_part(pod, path, severity, &event.reason, note),
                    None => recorder.pod(pod, severity, &event.reason, note),
                }
            }
            Err(fault) => warn!(
                pod = pod.metadata.name.as_deref().unwrap_or_default(),
                reason = %event.reason.escape_debug(),
                "the plugin reported an event that is dropped: {fault}"
            ),
        }
    }
}

/// The event's severity and the field path of its container (None when it
/// names none, or one the pod does not have).
fn check(pod: &Pod, event: &PodEvent) -> Result<(Severity, Option<String>), String> {
    let severity = match PodEventType::try_from(event.r#type) {
        Ok(PodEventType::Normal) => Severity::Normal,
        Ok(PodEventType::Warning) => Severity::Warning,
        Err(_) => return Err(format!("`type` {} is not a PodEventType", event.r#type)),
    };
    let reason = &event.reason;
    let well_formed = reason.len() <= MAX_REASON
        && reason.starts_with(|c: char| c.is_ascii_alphabetic())
        && reason.chars().all(|c| c.is_ascii_alphanumeric());
    if !well_formed {
        return Err(format!(
            "`reason` must be a letter then letters and digits, at most {MAX_REASON} characters (UpperCamelCase)"
        ));
    }
    if event.message.is_empty() {
        return Err("`message` is empty".to_owned());
    }
    Ok((severity, container_field_path(pod, &event.container)))
}

/// The kubelet's field path of container `name` in `pod`.
fn container_field_path(pod: &Pod, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let spec = pod.spec.as_ref()?;
    let named = |list: &[String]| list.iter().any(|candidate| candidate == name);
    let names = |containers: &[k8s_openapi::api::core::v1::Container]| {
        containers
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    if named(&names(&spec.containers)) {
        Some(format!("spec.containers{{{name}}}"))
    } else if named(&names(spec.init_containers.as_deref().unwrap_or_default())) {
        Some(format!("spec.initContainers{{{name}}}"))
    } else if spec
        .ephemeral_containers
        .iter()
        .flatten()
        .any(|c| c.name == name)
    {
        Some(format!("spec.ephemeralContainers{{{name}}}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Container, PodSpec};

    fn pod() -> Pod {
        Pod {
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "main".into(),
                    ..Container::default()
                }],
                init_containers: Some(vec![Container {
                    name: "setup".into(),
                    ..Container::default()
                }]),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    fn event(type_: i32, reason: &str, message: &str, container: &str) -> PodEvent {
        PodEvent {
            r#type: type_,
            reason: reason.into(),
            message: message.into(),
            container: container.into(),
        }
    }

    #[test]
    fn containers_are_named_as_the_kubelet_names_them() {
        let pod = pod();
        assert_eq!(
            check(&pod, &event(0, "Started", "Started container main", "main")),
            Ok((Severity::Normal, Some("spec.containers{main}".into())))
        );
        assert_eq!(
            check(&pod, &event(1, "BackOff", "Back-off", "setup")),
            Ok((Severity::Warning, Some("spec.initContainers{setup}".into())))
        );
        assert_eq!(
            check(&pod, &event(0, "Pulled", "pulled", "other")),
            Ok((Severity::Normal, None)),
            "an unknown container is left out, the event kept"
        );
    }

    #[test]
    fn malformed_events_are_refused_with_the_field() {
        let pod = pod();
        for (bad, field) in [
            (event(7, "Started", "m", ""), "`type`"),
            (event(0, "", "m", ""), "`reason`"),
            (event(0, "has space", "m", ""), "`reason`"),
            (event(0, "9Lives", "m", ""), "`reason`"),
            (event(0, &"A".repeat(129), "m", ""), "`reason`"),
            (event(0, "Started", "", ""), "`message`"),
        ] {
            let fault = check(&pod, &bad).expect_err("refused");
            assert!(fault.starts_with(field), "{fault}");
        }
    }
}
