//! The status patch the host sends, and a faithful simulation of how the API
//! server applies it (strategic merge: conditions merge by `type`, other
//! lists are replaced, `null` removes), so the host writes only when the
//! write would change something. Pod and host IPs would merge by `ip`; the
//! plugin owns them whole (a re-created sandbox has a new IP, and two IPs of
//! one family are invalid), so their lists carry the `$patch: replace`
//! directive.
//!
//! The plugin owns what the kubelet owns: phase, reason, message, IPs, start
//! time, container statuses and the conditions it reports. Conditions set by
//! other controllers (e.g. `DisruptionTarget`) are kept; `qosClass` and
//! `resize` belong to the API server and are never written. The kubelet's
//! resize conditions exist only while true: one the plugin no longer
//! reports is deleted (`$patch: delete`), as the kubelet's status manager
//! removes it.

use k8s_openapi::api::core::v1::PodStatus;
use serde_json::{Map, Value};

/// Status fields the plugin owns: absent in its status means "clear it".
const OWNED: &[&str] = &[
    "phase",
    "reason",
    "message",
    "hostIP",
    "hostIPs",
    "podIP",
    "podIPs",
    "startTime",
    "initContainerStatuses",
    "containerStatuses",
    "ephemeralContainerStatuses",
];

/// Lists merged element by element, with their merge key.
const MERGED_LISTS: &[(&str, &str)] =
    &[("conditions", "type"), ("podIPs", "ip"), ("hostIPs", "ip")];

/// Optional fields of a condition, cleared when the plugin omits them.
const CONDITION_FIELDS: &[&str] = &["reason", "message"];

/// Kubelet conditions present only while true: absent from the plugin's
/// conditions means removed.
const TRANSIENT_CONDITIONS: &[&str] = &["PodResizePending", "PodResizeInProgress"];

/// Merged lists the plugin owns whole: sent with `$patch: replace`.
const REPLACED_LISTS: &[&str] = &["podIPs", "hostIPs"];

/// The strategic-merge directive, as a list element.
fn replace_directive() -> Value {
    serde_json::json!({ "$patch": "replace" })
}

/// The `status` part of the patch for `provider` (the plugin's status).
pub fn status_patch(provider: &PodStatus) -> Value {
    let mut patch = match serde_json::to_value(provider) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    patch.remove("qosClass");
    patch.remove("resize");
    patch.remove("nominatedNodeName");
    for field in OWNED {
        patch.entry(*field).or_insert(Value::Null);
    }
    for list in REPLACED_LISTS {
        if let Some(Value::Array(items)) = patch.get_mut(*list) {
            items.push(replace_directive());
        }
    }
    // A condition the plugin reports is its whole: a reason or message it
    // no longer sets is cleared, not kept from the previous write (Ready
    // True must not keep `ContainersNotReady`).
    if let Some(Value::Array(conditions)) = patch.get_mut("conditions") {
        for condition in conditions.iter_mut().filter_map(Value::as_object_mut) {
            for field in CONDITION_FIELDS {
                condition.entry(*field).or_insert(Value::Null);
            }
        }
        for type_ in TRANSIENT_CONDITIONS {
            if !conditions.iter().any(|c| c["type"] == *type_) {
                conditions.push(serde_json::json!({"type": type_, "$patch": "delete"}));
            }
        }
    }
    Value::Object(patch)
}

/// `current` (the API's status) as it would be after the API server applies
/// `patch`.
pub fn apply(current: &Value, patch: &Value) -> Value {
    let mut result = current.clone();
    merge_object(&mut result, patch);
    result
}

/// Whether sending `patch` would change `current`. Empty strings and lists
/// count as absent, as the API server stores them (Go's `omitempty`), and
/// so does an empty `state`/`lastState`, which it always shows (struct
/// values, never omitted); other empty objects are kept, so `running: {}`
/// still differs from `waiting: {}`. A plugin that reports
/// `initContainerStatuses: []` or no `lastState` causes no write when the
/// API shows none or `lastState: {}`.
pub fn changes(current: Option<&PodStatus>, patch: &Value) -> bool {
    let current = current
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or_else(|| Value::Object(Map::new()));
    without_empty(apply(&current, patch)) != without_empty(current)
}

/// Object fields the API server shows as `{}` when empty (Go struct
/// values of a container status).
const ALWAYS_SHOWN: &[&str] = &["state", "lastState"];

/// `value` without empty strings and lists, and empty [`ALWAYS_SHOWN`]
/// objects, at every depth.
fn without_empty(value: Value) -> Value {
    let empty = |key: &str, v: &Value| match v {
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty() && ALWAYS_SHOWN.contains(&key),
        _ => false,
    };
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_empty(v)))
                .filter(|(k, v)| !empty(k, v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_empty).collect()),
        other => other,
    }
}

fn merge_object(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
            continue;
        }
        let merge_key = MERGED_LISTS
            .iter()
            .find(|(list, _)| list == key)
            .map(|(_, k)| *k);
        match (merge_key, value) {
            (Some(merge_key), Value::Array(items)) => {
                let slot = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                merge_list(slot, items, merge_key);
            }
            (None, Value::Object(_)) => {
                let slot = target.entry(key.clone()).or_insert(Value::Null);
                merge_object(slot, value);
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Strategic merge of a keyed list: patched elements merge into the element
/// with the same key (or are appended), other elements stay; with a
/// `$patch: replace` element the other elements are the whole list.
fn merge_list(target: &mut Value, items: &[Value], merge_key: &str) {
    let directive = replace_directive();
    if items.contains(&directive) {
        *target = Value::Array(items.iter().filter(|i| **i != directive).cloned().collect());
        return;
    }
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    let Value::Array(existing) = target else {
        return;
    };
    for item in items {
        let key = item.get(merge_key);
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            existing.retain(|e| key.is_none() || e.get(merge_key) != key);
            continue;
        }
        match existing
            .iter_mut()
            .find(|e| key.is_some() && e.get(merge_key) == key)
        {
            Some(slot) => merge_object(slot, item),
            None => existing.push(item.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status(value: Value) -> PodStatus {
        serde_json::from_value(value).expect("a pod status")
    }

    #[test]
    fn unchanged_status_needs_no_write() {
        let api = status(
            json!({"phase": "Running", "qosClass": "BestEffort", "podIP": "10.0.0.2",
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]}),
        );
        let provider = status(json!({"phase": "Running", "podIP": "10.0.0.2",
            "conditions": [{"type": "Ready", "status": "True"}]}));
        assert!(!changes(Some(&api), &status_patch(&provider)));
    }

    #[test]
    fn drifted_condition_is_rewritten_and_others_kept() {
        // #899: the controller manager set Ready=False; the plugin says True.
        let api = status(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "DisruptionTarget", "status": "True"}]}));
        let provider = status(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}));
        let patch = status_patch(&provider);
        assert!(changes(Some(&api), &patch));
        let after = apply(&serde_json::to_value(&api).expect("json"), &patch);
        let conditions = after["conditions"].as_array().expect("conditions");
        assert_eq!(conditions.len(), 2);
        assert_eq!(conditions[0]["status"], "True");
        assert_eq!(conditions[1]["type"], "DisruptionTarget");
        // Applying it again changes nothing.
        let again: PodStatus = serde_json::from_value(after).expect("status");
        assert!(!changes(Some(&again), &patch));
    }

    #[test]
    fn fields_the_plugin_dropped_are_cleared() {
        let api =
            status(json!({"phase": "Pending", "reason": "ProviderFailed", "message": "boom"}));
        let provider = status(json!({"phase": "Running"}));
        let patch = status_patch(&provider);
        assert!(changes(Some(&api), &patch));
        let after = apply(&serde_json::to_value(&api).expect("json"), &patch);
        assert_eq!(after, json!({"phase": "Running"}));
    }

    #[test]
    fn api_owned_fields_are_never_written() {
        let provider = status(json!({"phase": "Running", "qosClass": "Guaranteed"}));
        let patch = status_patch(&provider);
        assert!(patch.get("qosClass").is_none());
        let api = status(json!({"phase": "Running", "qosClass": "BestEffort"}));
        assert!(!changes(Some(&api), &patch));
    }

    #[test]
    fn no_api_status_means_a_write() {
        let provider = status(json!({"phase": "Pending"}));
        assert!(changes(None, &status_patch(&provider)));
    }

    #[test]
    fn a_new_pod_ip_replaces_the_old_one() {
        // A re-created sandbox: the API would refuse two IPv4 pod IPs.
        let api = status(json!({"phase": "Running", "podIP": "10.0.0.2",
            "podIPs": [{"ip": "10.0.0.2"}], "hostIPs": [{"ip": "192.0.2.1"}]}));
        let provider = status(json!({"phase": "Running", "podIP": "10.0.0.3",
            "podIPs": [{"ip": "10.0.0.3"}], "hostIPs": [{"ip": "192.0.2.1"}]}));
        let patch = status_patch(&provider);
        assert_eq!(
            patch["podIPs"],
            json!([{"ip": "10.0.0.3"}, {"$patch": "replace"}])
        );
        let after = apply(&serde_json::to_value(&api).expect("json"), &patch);
        assert_eq!(after["podIPs"], json!([{"ip": "10.0.0.3"}]));
        let again: PodStatus = serde_json::from_value(after).expect("status");
        assert!(!changes(Some(&again), &patch));
    }

    #[test]
    fn empty_values_the_api_does_not_store_need_no_write() {
        let api = status(json!({
            "phase": "Running",
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0,
                "image": "i", "imageID": "", "state": {"running": {}}, "lastState": {}}],
        }));
        let plugin = status(json!({
            "phase": "Running",
            "message": "",
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "initContainerStatuses": [],
            "ephemeralContainerStatuses": [],
            "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0,
                "image": "i", "imageID": "", "state": {"running": {}}}],
        }));
        assert!(!changes(Some(&api), &status_patch(&plugin)));
        // A state that changes is a change, even between empty objects.
        let waiting = status(json!({
            "phase": "Running",
            "podIP": "10.0.0.5",
            "podIPs": [{"ip": "10.0.0.5"}],
            "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0,
                "image": "i", "imageID": "", "state": {"waiting": {}}}],
        }));
        assert!(changes(Some(&api), &status_patch(&waiting)));
        // A list that empties is still a change.
        let emptied = status(json!({"phase": "Running", "containerStatuses": []}));
        assert!(changes(Some(&api), &status_patch(&emptied)));
    }

    #[test]
    fn resize_conditions_the_plugin_dropped_are_deleted() {
        let api = status(json!({"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "PodResizeInProgress", "status": "True"},
            {"type": "PodResizePending", "status": "True", "reason": "Deferred"}]}));
        let provider = status(json!({"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "PodResizePending", "status": "True", "reason": "Infeasible"}]}));
        let patch = status_patch(&provider);
        assert!(changes(Some(&api), &patch));
        let after = apply(&serde_json::to_value(&api).expect("json"), &patch);
        assert_eq!(
            after["conditions"],
            json!([{"type": "Ready", "status": "True"},
                   {"type": "PodResizePending", "status": "True", "reason": "Infeasible"}])
        );
        let again: PodStatus = serde_json::from_value(after).expect("status");
        assert!(!changes(Some(&again), &patch));
        // None to delete: no write.
        let plain = status(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}));
        assert!(!changes(Some(&plain), &status_patch(&plain)));
    }

    #[test]
    fn a_condition_turning_true_loses_its_old_reason() {
        let api = status(json!({"phase": "Running", "conditions": [{"type": "Ready",
            "status": "False", "reason": "ContainersNotReady",
            "message": "containers with unready status: [main]"}]}));
        let provider = status(json!({"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}));
        let patch = status_patch(&provider);
        let after = apply(&serde_json::to_value(&api).expect("json"), &patch);
        assert_eq!(
            after["conditions"],
            json!([{"type": "Ready", "status": "True"}])
        );
        let again: PodStatus = serde_json::from_value(after).expect("status");
        assert!(!changes(Some(&again), &patch));
    }
}

/// Property tests: whatever status a plugin reports and whatever the API
/// holds, the patch and its simulation never panic, applying a patch grows
/// the status by no more than the patch, and a patch once applied changes
/// nothing more (the host does not write the same status forever).
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// JSON of any shape, with the keys the merge treats specially.
    fn value() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            proptest::sample::select(
                &[
                    "conditions",
                    "podIPs",
                    "hostIPs",
                    "type",
                    "ip",
                    "$patch",
                    "state",
                    "phase",
                    "a"
                ][..]
            )
            .prop_map(str::to_owned),
            "[a-z$]{0,4}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            proptest::sample::select(&["", "replace", "delete", "Ready", "x"][..])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    /// A pod status a plugin might report (or the API hold): the fields
    /// the patch treats specially, duplicates and empty values included.
    fn status() -> impl Strategy<Value = PodStatus> {
        let text = || proptest::option::of(proptest::sample::select(&["", "a", "b"][..]));
        let condition = (
            proptest::sample::select(
                &["Ready", "PodScheduled", "PodResizePending", "PodResizeInProgress", "DisruptionTarget", ""][..],
            ),
            proptest::sample::select(&["True", "False", "Unknown"][..]),
            text(),
            text(),
        )
            .prop_map(|(type_, status, reason, message)| {
                json!({"type": type_, "status": status, "reason": reason, "message": message})
            });
        let ips = || {
            proptest::option::of(proptest::collection::vec(
                proptest::sample::select(&["10.0.0.1", "10.0.0.2", "fd00::1"][..])
                    .prop_map(|ip| json!({"ip": ip})),
                0..3,
            ))
        };
        let state = proptest::sample::select(vec![
            json!({}),
            json!({"running": {}}),
            json!({"waiting": {"reason": "ContainerCreating"}}),
            json!({"terminated": {"exitCode": 137, "reason": "Error"}}),
        ]);
        let container = (
            proptest::sample::select(&["main", "side"][..]),
            any::<bool>(),
            0i32..3,
            state.clone(),
            proptest::option::of(state),
        )
            .prop_map(|(name, ready, restarts, state, last)| {
                json!({"name": name, "image": "i", "imageID": "", "ready": ready,
                       "restartCount": restarts, "state": state, "lastState": last})
            });
        (
            proptest::option::of(proptest::sample::select(
                &["Pending", "Running", "Succeeded", "Failed", ""][..],
            )),
            text(),
            text(),
            proptest::option::of(proptest::sample::select(&["10.0.0.1", "10.0.0.2"][..])),
            ips(),
            ips(),
            proptest::option::of(proptest::collection::vec(condition, 0..5)),
            proptest::option::of(proptest::collection::vec(container.clone(), 0..3)),
            proptest::option::of(proptest::collection::vec(container, 0..2)),
            proptest::option::of(proptest::sample::select(&["BestEffort", "Guaranteed"][..])),
        )
            .prop_map(
                |(
                    phase,
                    reason,
                    message,
                    pod_ip,
                    pod_ips,
                    host_ips,
                    conditions,
                    containers,
                    init,
                    qos,
                )| {
                    serde_json::from_value(json!({
                    "phase": phase, "reason": reason, "message": message, "podIP": pod_ip,
                    "podIPs": pod_ips, "hostIPs": host_ips, "conditions": conditions,
                    "containerStatuses": containers, "initContainerStatuses": init, "qosClass": qos,
                }))
                .expect("a PodStatus")
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn applying_any_patch_to_any_value_grows_it_by_at_most_the_patch(
            current in value(),
            patch in value(),
        ) {
            let after = apply(&current, &patch);
            let size = |v: &Value| v.to_string().len();
            prop_assert!(size(&after) <= size(&current) + size(&patch));
            let _ = without_empty(after);
        }

        #[test]
        fn a_status_patch_once_applied_changes_nothing_more(
            plugin in status(),
            api in proptest::option::of(status()),
        ) {
            let patch = status_patch(&plugin);
            let current = api
                .as_ref()
                .map(|s| serde_json::to_value(s).expect("json"))
                .unwrap_or_else(|| json!({}));
            let after = apply(&current, &patch);
            let stored: PodStatus = serde_json::from_value(after.clone())
                .map_err(|e| TestCaseError::fail(format!("{e}: {after}")))?;
            prop_assert!(!changes(Some(&stored), &patch), "patch {} applied to {} gives {}", patch, current, after);
            prop_assert!(stored.qos_class == api.and_then(|s| s.qos_class));
        }
    }
}
