//! Three-way merges that let vk-host share the Node with other writers (the
//! node lifecycle controller's taints, an admin's labels, a device plugin's
//! extended resources, someone's custom condition). What vk-host applied last
//! is recorded in two annotations; a later write removes only what vk-host
//! itself put there and no longer wants, and leaves everyone else's entries
//! alone. Pure: builds the Node to create and the patches to send.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeCondition, NodeDaemonEndpoints, NodeSpec, NodeStatus, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::ObjectMeta;
use serde_json::{Map, Value, json};

use super::desired::{Desired, taint_id};

/// Labels and taints vk-host applied: `{"labels":[keys],"taints":["key:Effect"]}`.
pub const MANAGED_METADATA: &str = "vk-host.io/managed-metadata";
/// Conditions and resources vk-host applied:
/// `{"conditions":[types],"capacity":[names],"allocatable":[names]}`.
pub const MANAGED_STATUS: &str = "vk-host.io/managed-status";

/// `status.declaredFeatures`: what this node's kubelet API supports that an
/// API server must know before using it. `ExtendWebSocketsToKubelet`: a
/// 1.36+ kube-apiserver proxies exec/attach/port-forward WebSockets to us
/// as they are, instead of translating them to SPDY.
pub const DECLARED_FEATURES: &[&str] = &["ExtendWebSocketsToKubelet"];

/// A new Node with everything vk-host owns.
pub fn new_node(name: &str, desired: &Desired, conditions: Vec<NodeCondition>) -> Node {
    let annotations = BTreeMap::from([
        (MANAGED_METADATA.to_owned(), metadata_record(desired)),
        (
            MANAGED_STATUS.to_owned(),
            status_record(desired, &conditions),
        ),
    ]);
    Node {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(desired.labels.clone()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(NodeSpec {
            taints: Some(desired.taints.clone()).filter(|t| !t.is_empty()),
            ..NodeSpec::default()
        }),
        status: Some(NodeStatus {
            conditions: Some(conditions),
            capacity: Some(desired.capacity.clone()),
            allocatable: Some(desired.allocatable.clone()),
            addresses: Some(desired.addresses.clone()),
            node_info: Some(desired.system_info.clone()),
            daemon_endpoints: Some(NodeDaemonEndpoints {
                kubelet_endpoint: Some(DaemonEndpoint {
                    port: desired.kubelet_port,
                }),
            }),
            declared_features: Some(DECLARED_FEATURES.iter().map(|f| (*f).to_owned()).collect()),
            ..NodeStatus::default()
        }),
    }
}

/// A JSON merge patch (with the Node's `resourceVersion`, so a concurrent
/// write makes it fail with a conflict instead of losing that write) that
/// brings vk-host's labels and taints on `current` up to `desired`; `None`
/// when they already are.
pub fn metadata_patch(current: &Node, desired: &Desired) -> Option<Value> {
    let before = managed(current, MANAGED_METADATA);
    let labels_before = before.get("labels");
    let taints_before = before.get("taints");
    let current_labels = current.metadata.labels.clone().unwrap_or_default();

    let mut labels = Map::new();
    for key in labels_before.into_iter().flatten() {
        if !desired.labels.contains_key(key) && current_labels.contains_key(key) {
            labels.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in &desired.labels {
        if current_labels.get(key) != Some(value) {
            labels.insert(key.clone(), Value::String(value.clone()));
        }
    }

    let current_taints = current
        .spec
        .as_ref()
        .and_then(|spec| spec.taints.clone())
        .unwrap_or_default();
    let wanted: BTreeSet<String> = desired.taints.iter().map(taint_id).collect();
    let mut taints: Vec<Taint> = current_taints
        .iter()
        .filter(|t| {
            let id = taint_id(t);
            !wanted.contains(&id) && !taints_before.is_some_and(|b| b.contains(&id))
        })
        .cloned()
        .collect();
    for taint in &desired.taints {
        // Keep the taint as it is (with its timeAdded) when it already matches.
        let existing = current_taints.iter().find(|t| same_taint(t, taint));
        taints.push(existing.cloned().unwrap_or_else(|| taint.clone()));
    }
    let taints_changed = !same_taint_set(&current_taints, &taints);

    let record = metadata_record(desired);
    let record_changed = annotation(current, MANAGED_METADATA) != Some(&record);
    if labels.is_empty() && !taints_changed && !record_changed {
        return None;
    }
    let mut metadata = Map::new();
    metadata.insert(
        "resourceVersion".into(),
        json!(current.metadata.resource_version),
    );
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels));
    }
    if record_changed {
        metadata.insert("annotations".into(), json!({ MANAGED_METADATA: record }));
    }
    let mut patch = json!({ "metadata": metadata });
    if taints_changed {
        patch["spec"] = json!({ "taints": taints });
    }
    Some(patch)
}

/// A strategic merge patch for `nodes/status`: vk-host's conditions (merged
/// by type, so others' survive; the ones vk-host stopped owning deleted),
/// capacity and allocatable (merged by name; names vk-host stopped
/// reporting removed), addresses (replaced as a whole, as the kubelet does:
/// the API merges them by type, which is wrong for two InternalIPs), system
/// info and the kubelet endpoint.
pub fn status_patch(current: &Node, desired: &Desired, conditions: &[NodeCondition]) -> Value {
    let before = managed(current, MANAGED_STATUS);
    let status = current.status.clone().unwrap_or_default();
    let present: BTreeSet<String> = status
        .conditions
        .iter()
        .flatten()
        .map(|c| c.type_.clone())
        .collect();

    let mut condition_patch: Vec<Value> = conditions
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
        .collect();
    for type_ in before.get("conditions").into_iter().flatten() {
        if present.contains(type_) && !conditions.iter().any(|c| &c.type_ == type_) {
            condition_patch.push(json!({ "type": type_, "$patch": "delete" }));
        }
    }

    let resources = |field: &str,
                     wanted: &BTreeMap<String, Quantity>,
                     current: Option<&BTreeMap<String, Quantity>>| {
        let mut out = Map::new();
        for name in before.get(field).into_iter().flatten() {
            if !wanted.contains_key(name) && current.is_some_and(|c| c.contains_key(name)) {
                out.insert(name.clone(), Value::Null);
            }
        }
        for (name, quantity) in wanted {
            out.insert(name.clone(), json!(quantity));
        }
        Value::Object(out)
    };
    let mut addresses = vec![json!({ "$patch": "replace" })];
    addresses.extend(desired.addresses.iter().map(|a| json!(a)));

    json!({
        "metadata": {
            "annotations": { MANAGED_STATUS: status_record(desired, conditions) },
        },
        "status": {
            "conditions": condition_patch,
            "capacity": resources("capacity", &desired.capacity, status.capacity.as_ref()),
            "allocatable": resources("allocatable", &desired.allocatable, status.allocatable.as_ref()),
            "addresses": addresses,
            "nodeInfo": desired.system_info,
            "daemonEndpoints": { "kubeletEndpoint": { "Port": desired.kubelet_port } },
            "declaredFeatures": DECLARED_FEATURES,
        },
    })
}

fn metadata_record(desired: &Desired) -> String {
    let labels: Vec<&String> = desired.labels.keys().collect();
    let taints: BTreeSet<String> = desired.taints.iter().map(taint_id).collect();
    json!({ "labels": labels, "taints": taints }).to_string()
}

fn status_record(desired: &Desired, conditions: &[NodeCondition]) -> String {
    let types: BTreeSet<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
    let capacity: Vec<&String> = desired.capacity.keys().collect();
    let allocatable: Vec<&String> = desired.allocatable.keys().collect();
    json!({ "conditions": types, "capacity": capacity, "allocatable": allocatable }).to_string()
}

fn annotation<'a>(node: &'a Node, key: &str) -> Option<&'a String> {
    node.metadata.annotations.as_ref()?.get(key)
}

/// A record annotation as lists of strings by field; empty when absent or
/// unreadable (then nothing is removed: other writers' entries are safe).
fn managed(node: &Node, key: &str) -> BTreeMap<String, BTreeSet<String>> {
    let Some(text) = annotation(node, key) else {
        return BTreeMap::new();
    };
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return BTreeMap::new();
    };
    fields
        .into_iter()
        .map(|(field, value)| {
            let entries = value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            (field, entries)
        })
        .collect()
}

fn same_taint(a: &Taint, b: &Taint) -> bool {
    a.key == b.key
        && a.effect == b.effect
        && a.value.as_deref().unwrap_or("") == b.value.as_deref().unwrap_or("")
}

fn same_taint_set(a: &[Taint], b: &[Taint]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| b.iter().any(|y| same_taint(x, y)))
        && b.iter().all(|y| a.iter().any(|x| same_taint(x, y)))
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::NodeSystemInfo;

    use super::*;

    fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(str::to_owned),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn desired() -> Desired {
        Desired {
            labels: BTreeMap::from([
                ("type".into(), "virtual-kubelet".into()),
                ("team".into(), "a".into()),
            ]),
            taints: vec![taint(
                "virtual-kubelet.io/provider",
                Some("mock"),
                "NoSchedule",
            )],
            capacity: BTreeMap::from([("cpu".into(), Quantity("4".into()))]),
            allocatable: BTreeMap::from([("cpu".into(), Quantity("4".into()))]),
            addresses: vec![],
            system_info: NodeSystemInfo::default(),
            kubelet_port: 10250,
            plugin_conditions: vec![],
            dropped: vec![],
        }
    }

    fn condition(type_: &str, status: &str) -> NodeCondition {
        NodeCondition {
            type_: type_.into(),
            status: status.into(),
            ..NodeCondition::default()
        }
    }

    /// A Node as created from `desired()`, then changed by others.
    fn created() -> Node {
        let mut node = new_node("vk-1", &desired(), vec![condition("Ready", "True")]);
        node.metadata.resource_version = Some("7".into());
        node
    }

    #[test]
    fn nothing_to_do_when_the_node_matches() {
        assert_eq!(metadata_patch(&created(), &desired()), None);
    }

    #[test]
    fn others_labels_and_taints_survive_and_ours_follow_the_options() {
        let mut node = created();
        let labels = node.metadata.labels.as_mut().expect("labels");
        labels.insert("admin/label".into(), "x".into());
        node.spec.as_mut().expect("spec").taints = Some(vec![
            taint("virtual-kubelet.io/provider", Some("mock"), "NoSchedule"),
            taint("node.kubernetes.io/not-ready", None, "NoExecute"),
        ]);
        let mut wanted = desired();
        wanted.labels.remove("team");
        wanted.labels.insert("zone".into(), "z1".into());
        wanted.taints = vec![taint("dedicated", Some("gpu"), "NoExecute")];

        let patch = metadata_patch(&node, &wanted).expect("a patch");
        assert_eq!(patch["metadata"]["resourceVersion"], "7");
        assert_eq!(
            patch["metadata"]["labels"],
            json!({ "team": null, "zone": "z1" }),
            "our removed label goes, the admin's stays untouched"
        );
        assert_eq!(
            patch["spec"]["taints"],
            json!([
                { "key": "node.kubernetes.io/not-ready", "effect": "NoExecute" },
                { "key": "dedicated", "value": "gpu", "effect": "NoExecute" },
            ])
        );
        let record: Value = serde_json::from_str(
            patch["metadata"]["annotations"][MANAGED_METADATA]
                .as_str()
                .expect("record"),
        )
        .expect("json");
        assert_eq!(record["taints"], json!(["dedicated:NoExecute"]));
    }

    #[test]
    fn without_a_record_nothing_of_others_is_removed() {
        let mut node = created();
        node.metadata.annotations = None;
        node.metadata
            .labels
            .as_mut()
            .expect("labels")
            .insert("old".into(), "x".into());
        let patch = metadata_patch(&node, &desired()).expect("the record is written");
        assert!(patch["metadata"].get("labels").is_none());
        assert!(patch.get("spec").is_none(), "taints unchanged");
    }

    #[test]
    fn a_changed_taint_value_is_rewritten() {
        let mut wanted = desired();
        wanted.taints[0].value = Some("other".into());
        let patch = metadata_patch(&created(), &wanted).expect("a patch");
        assert_eq!(
            patch["spec"]["taints"],
            json!([{ "key": "virtual-kubelet.io/provider", "value": "other", "effect": "NoSchedule" }])
        );
    }

    #[test]
    fn status_patch_keeps_others_and_drops_what_we_no_longer_own() {
        let mut node = created();
        let status = node.status.as_mut().expect("status");
        status.conditions = Some(vec![
            condition("Ready", "True"),
            condition("PluginThing", "True"),
            condition("example.com/Custom", "True"),
        ]);
        status
            .capacity
            .as_mut()
            .expect("capacity")
            .insert("example.com/dongle".into(), Quantity("4".into()));
        status
            .capacity
            .as_mut()
            .expect("capacity")
            .insert("nvidia.com/gpu".into(), Quantity("1".into()));
        // Last time vk-host applied PluginThing and a GPU.
        node.metadata.annotations.as_mut().expect("annotations").insert(
            MANAGED_STATUS.into(),
            r#"{"conditions":["PluginThing","Ready"],"capacity":["cpu","nvidia.com/gpu"],"allocatable":["cpu"]}"#.into(),
        );
        let mut wanted = desired();
        wanted.addresses = vec![k8s_openapi::api::core::v1::NodeAddress {
            type_: "InternalIP".into(),
            address: "10.0.0.1".into(),
        }];
        let patch = status_patch(&node, &wanted, &[condition("Ready", "False")]);
        assert_eq!(
            patch["status"]["conditions"],
            json!([
                { "type": "Ready", "status": "False" },
                { "type": "PluginThing", "$patch": "delete" },
            ])
        );
        assert_eq!(
            patch["status"]["capacity"],
            json!({ "cpu": "4", "nvidia.com/gpu": null }),
            "the admin's dongle is not mentioned"
        );
        assert_eq!(
            patch["status"]["addresses"],
            json!([{ "$patch": "replace" }, { "type": "InternalIP", "address": "10.0.0.1" }])
        );
        assert_eq!(
            patch["status"]["daemonEndpoints"],
            json!({ "kubeletEndpoint": { "Port": 10250 } })
        );
    }
}
