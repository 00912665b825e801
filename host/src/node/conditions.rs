//! The Node conditions vk-host owns and their timestamps. Pure: which
//! conditions (Ready from plugin health; the kubelet's pressure conditions
//! unless the plugin reports them; the plugin's own), and when each last
//! changed (`lastTransitionTime` moves only when the status flips).

use k8s_openapi::api::core::v1::NodeCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::readiness::Readiness;

/// A condition before it is stamped with times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionSpec {
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// The kubelet's pressure conditions, reported healthy unless the plugin
/// says otherwise: (type, reason, message).
const PRESSURE_DEFAULTS: [(&str, &str, &str); 3] = [
    (
        "MemoryPressure",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
];

/// Every condition vk-host writes, Ready first: Ready from `readiness`, the
/// pressure conditions (the plugin's when it reports them), then the
/// plugin's other conditions.
pub fn owned_conditions(readiness: &Readiness, plugin: &[ConditionSpec]) -> Vec<ConditionSpec> {
    let mut all = vec![ConditionSpec {
        type_: "Ready".into(),
        status: if readiness.ready { "True" } else { "False" }.into(),
        reason: readiness.reason.into(),
        message: readiness.message.clone(),
    }];
    for (type_, reason, message) in PRESSURE_DEFAULTS {
        let condition = plugin
            .iter()
            .find(|c| c.type_ == type_)
            .cloned()
            .unwrap_or_else(|| ConditionSpec {
                type_: type_.into(),
                status: "False".into(),
                reason: reason.into(),
                message: message.into(),
            });
        all.push(condition);
    }
    for condition in plugin {
        if !all.iter().any(|c| c.type_ == condition.type_) {
            all.push(condition.clone());
        }
    }
    all
}

/// Stamps `specs` at `now`: every heartbeat time is `now`; a transition time
/// is kept from `previous` when the status is unchanged, else it is `now`.
pub fn stamp(
    specs: &[ConditionSpec],
    previous: &[NodeCondition],
    now: &Time,
) -> Vec<NodeCondition> {
    specs
        .iter()
        .map(|spec| {
            let before = previous.iter().find(|c| c.type_ == spec.type_);
            let transition = match before {
                Some(before) if before.status == spec.status => before
                    .last_transition_time
                    .clone()
                    .unwrap_or_else(|| now.clone()),
                _ => now.clone(),
            };
            NodeCondition {
                type_: spec.type_.clone(),
                status: spec.status.clone(),
                reason: Some(spec.reason.clone()).filter(|r| !r.is_empty()),
                message: Some(spec.message.clone()).filter(|m| !m.is_empty()),
                last_heartbeat_time: Some(now.clone()),
                last_transition_time: Some(transition),
            }
        })
        .collect()
}

/// The Ready status in `conditions`, if any (`Some(true)` for `True`).
pub fn ready_in(conditions: &[NodeCondition]) -> Option<bool> {
    conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;

    use super::*;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).expect("valid time"))
    }

    fn ready(ready: bool) -> Readiness {
        Readiness {
            ready,
            reason: if ready {
                "KubeletReady"
            } else {
                "PluginNotReady"
            },
            message: "m".into(),
        }
    }

    #[test]
    fn ready_first_then_pressure_defaults_then_plugin_extras() {
        let plugin = vec![
            ConditionSpec {
                type_: "DiskPressure".into(),
                status: "True".into(),
                reason: "Full".into(),
                message: "disk is full".into(),
            },
            ConditionSpec {
                type_: "example.com/Gpu".into(),
                status: "True".into(),
                reason: "Fine".into(),
                message: String::new(),
            },
        ];
        let all = owned_conditions(&ready(true), &plugin);
        let shown: Vec<(&str, &str, &str)> = all
            .iter()
            .map(|c| (c.type_.as_str(), c.status.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Ready", "True", "KubeletReady"),
                ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                ("DiskPressure", "True", "Full"),
                ("PIDPressure", "False", "KubeletHasSufficientPID"),
                ("example.com/Gpu", "True", "Fine"),
            ]
        );
    }

    #[test]
    fn transition_time_moves_only_when_the_status_flips() {
        let first = stamp(&owned_conditions(&ready(true), &[]), &[], &at(100));
        assert!(
            first
                .iter()
                .all(|c| c.last_transition_time == Some(at(100)))
        );

        let same = stamp(&owned_conditions(&ready(true), &[]), &first, &at(130));
        assert_eq!(same[0].last_heartbeat_time, Some(at(130)));
        assert_eq!(same[0].last_transition_time, Some(at(100)));

        let flipped = stamp(&owned_conditions(&ready(false), &[]), &same, &at(160));
        assert_eq!(flipped[0].status, "False");
        assert_eq!(flipped[0].last_transition_time, Some(at(160)));
        assert_eq!(
            flipped[1].last_transition_time,
            Some(at(100)),
            "MemoryPressure did not flip"
        );
        assert_eq!(ready_in(&flipped), Some(false));
        assert_eq!(ready_in(&[]), None);
    }

    #[test]
    fn empty_reason_and_message_are_left_out() {
        let spec = ConditionSpec {
            type_: "X".into(),
            status: "True".into(),
            reason: String::new(),
            message: String::new(),
        };
        let stamped = stamp(&[spec], &[], &at(1));
        assert_eq!(
            (stamped[0].reason.clone(), stamped[0].message.clone()),
            (None, None)
        );
    }
}
