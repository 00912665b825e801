//! Kubernetes Events the plugin reports about its pods (`PodEvent`s on the
//! status stream): checked, then recorded through the host's [`Events`]
//! about the API pod, so a plugin writes no Event the host would not: only
//! about pods bound to this node, with the uid it names, in the pod's own
//! namespace, under `reportingController: vk-host`. A plugin cannot flood
//! the API server either: per pod, client-go's spam filter applies (a burst
//! of 25 events, then one per 5 minutes), before any check or log line;
//! nor the host's log: the warnings about what it pushes wrong (an invalid
//! event, a status that is not a PodStatus) are logged at most once per
//! [`FAULT_WARN_INTERVAL`] each, with how many were suppressed.
//!
//! [`Events`]: crate::apiserver::Events

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use k8s_openapi::api::core::v1::Pod;
use tracing::{debug, warn};
use vk_proto::v1::{PodEvent, PodEventType};

use crate::apiserver::{Events, Severity};

/// The API's limit on an event reason.
const MAX_REASON: usize = 128;
/// Client-go's spam filter: events per object at once...
const SPAM_BURST: u32 = 25;
/// ...and then one per this period.
const SPAM_PERIOD: Duration = Duration::from_secs(300);
/// A reason is shown in a log line up to this many characters.
const LOGGED_REASON: usize = 64;
/// Warnings about one kind of fault in what the plugin pushes are logged at
/// most this often (as the kubelet API's warnings about refused connections).
pub const FAULT_WARN_INTERVAL: Duration = Duration::from_secs(10);

/// Per-pod limits on the events a plugin reports, and the plugin's limits
/// on warnings about what it pushes wrong.
#[derive(Debug)]
pub struct SpamFilter {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicUsize,
    /// Events dropped as invalid.
    invalid_events: FaultLog,
    /// Pushed statuses that are not a PodStatus (`pushed`).
    pub invalid_statuses: FaultLog,
}

/// Counts one kind of fault and says when to warn about it: at most once
/// per [`FAULT_WARN_INTERVAL`], the warning saying how many were suppressed
/// since the one before.
#[derive(Debug, Default)]
pub struct FaultLog {
    state: Mutex<FaultCount>,
}

#[derive(Debug, Default)]
struct FaultCount {
    suppressed: u64,
    last_warning: Option<Instant>,
}

impl FaultLog {
    /// Records one fault at `now`: `Some(suppressed)` when it is to be
    /// logged (with how many were not since the last warning), else `None`.
    pub fn warn_now(&self, now: Instant) -> Option<u64> {
        let mut count = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let due = count
            .last_warning
            .is_none_or(|last| now.saturating_duration_since(last) >= FAULT_WARN_INTERVAL);
        if !due {
            count.suppressed += 1;
            return None;
        }
        count.last_warning = Some(now);
        Some(std::mem::take(&mut count.suppressed))
    }
}

impl Default for SpamFilter {
    fn default() -> Self {
        let quota = Quota::with_period(SPAM_PERIOD)
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(SPAM_BURST).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicUsize::new(0),
            invalid_events: FaultLog::default(),
            invalid_statuses: FaultLog::default(),
        }
    }
}

impl SpamFilter {
    /// Whether one more event about the pod `uid` may be recorded now.
    fn allows(&self, uid: &str) -> bool {
        // Pods whose buckets are full again are forgotten now and then.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&uid.to_owned()).is_ok()
    }
}

/// Records `events` about `pod` (the API's pod, whose uid the plugin
/// named). An invalid event is dropped with a warning naming the fault;
/// beyond the spam filter's allowance events are dropped quietly.
pub fn record(recorder: &Events, filter: &SpamFilter, pod: &Pod, events: Vec<PodEvent>) {
    let uid = pod.metadata.uid.as_deref().unwrap_or_default();
    for event in events {
        if !filter.allows(uid) {
            debug!(
                pod = pod.metadata.name.as_deref().unwrap_or_default(),
                "too many events from the plugin about this pod; one is dropped"
            );
            continue;
        }
        match check(pod, &event) {
            Ok((severity, field_path)) => {
                let note = event.message;
                match field_path {
                    Some(path) => recorder.pod_part(pod, path, severity, &event.reason, note),
                    None => recorder.pod(pod, severity, &event.reason, note),
                }
            }
            Err(fault) => match filter.invalid_events.warn_now(Instant::now()) {
                Some(suppressed) => warn!(
                    pod = pod.metadata.name.as_deref().unwrap_or_default(),
                    reason = %vk_proto::text::prefix_chars(&event.reason, LOGGED_REASON).escape_debug(),
                    suppressed,
                    "the plugin reported an event that is dropped: {fault}"
                ),
                None => debug!(
                    pod = pod.metadata.name.as_deref().unwrap_or_default(),
                    "the plugin reported an event that is dropped: {fault}"
                ),
            },
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

    #[test]
    fn fault_warnings_are_logged_once_per_interval_with_a_count() {
        let log = FaultLog::default();
        let start = Instant::now();
        assert_eq!(log.warn_now(start), Some(0));
        // A hundred a second for ten seconds: none logged...
        let suppressed = (1..1000)
            .filter_map(|i| log.warn_now(start + Duration::from_millis(i * 10)))
            .count();
        assert_eq!(suppressed, 0);
        // ...then one that says how many were not.
        assert_eq!(log.warn_now(start + FAULT_WARN_INTERVAL), Some(999));
        assert_eq!(log.warn_now(start + FAULT_WARN_INTERVAL), None);
    }

    #[test]
    fn the_spam_filter_allows_a_burst_per_pod() {
        let filter = SpamFilter::default();
        let allowed = (0..40).filter(|_| filter.allows("pod-a")).count();
        assert_eq!(allowed, 25);
        assert!(filter.allows("pod-b"), "another pod has its own allowance");
    }
}
