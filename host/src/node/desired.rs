//! The desired Node: what it should look like, from the host's options, the
//! plugin's identity and NodeInfo, and the machine's facts. Pure: plugin
//! data is checked here (invalid labels, taints, quantities and addresses
//! are dropped with a note, so one bad entry never blocks the whole Node)
//! and bounded (at most [`MAX_PLUGIN_ENTRIES`] of each kind; plugin text cut
//! to [`MAX_TEXT`] bytes). Quantities are checked as kube-apiserver v1.36's
//! `ValidateNodeResources` does: non-negative, and whole numbers for `pods`
//! and extended resources (`example.com/widget`; anything with a domain
//! that is not `*kubernetes.io/`). The naming and quantity rules themselves
//! are `vk_proto::names` and `vk_proto::quantity`. What still slips through
//! is handled by the controller, which writes the Node without the plugin's
//! data when the API server rejects it.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{NodeAddress, NodeSystemInfo, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use vk_proto::v1::NodeInfo;
use vk_proto::{names, quantity, text};

use super::conditions::ConditionSpec;
use super::host_facts::HostFacts;
use super::{NodeOptions, TaintChoice};

/// The Kubernetes release whose kubelet API vk-host follows; the Node reports
/// `kubeletVersion: <this>-vk-host-<crate version>`.
pub const KUBERNETES_VERSION: &str = "v1.36.3";

/// The taint key of [`TaintChoice::Provider`].
pub const PROVIDER_TAINT_KEY: &str = "virtual-kubelet.io/provider";

/// Pods a node takes when the plugin does not say (the kubelet's `maxPods`).
pub const DEFAULT_MAX_PODS: &str = "110";

/// Most entries of each kind taken from a plugin; the rest is dropped.
pub const MAX_PLUGIN_ENTRIES: usize = 128;

/// Longest plugin text (condition reasons and messages, system info, the
/// Ready message's plugin part) in bytes; longer text is cut. The API server
/// sets no limit on these, but one Node write carries all of them and a
/// request that is too large fails every heartbeat.
pub const MAX_TEXT: usize = 1024;

/// Longest address (a DNS name is at most 253 bytes); longer ones are dropped.
const MAX_ADDRESS: usize = 253;

/// Longest quantity taken from a plugin (after its sign).
const MAX_QUANTITY: usize = 64;

const ADDRESS_TYPES: [&str; 5] = [
    "InternalIP",
    "ExternalIP",
    "Hostname",
    "InternalDNS",
    "ExternalDNS",
];

const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// The plugin as the Node describes it.
#[derive(Debug, Clone, Copy)]
pub struct PluginName<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

/// Everything the Node is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub options: &'a NodeOptions,
    pub facts: &'a HostFacts,
    pub plugin: Option<PluginName<'a>>,
    /// `None` when the plugin lacks CAPABILITY_NODE_INFO or has not answered.
    pub info: Option<&'a NodeInfo>,
}

/// The parts of the Node that vk-host owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub capacity: BTreeMap<String, Quantity>,
    pub allocatable: BTreeMap<String, Quantity>,
    pub addresses: Vec<NodeAddress>,
    pub system_info: NodeSystemInfo,
    pub kubelet_port: i32,
    /// The plugin's own conditions (never `Ready`).
    pub plugin_conditions: Vec<ConditionSpec>,
    /// Plugin entries that were dropped, for a warning.
    pub dropped: Vec<String>,
}

/// Builds the desired Node parts. Precedence for labels: the standard ones,
/// then the plugin's, then `--node-label` (the operator has the last word).
pub fn desired(inputs: Inputs<'_>) -> Desired {
    let Inputs {
        options,
        facts,
        plugin,
        info,
    } = inputs;
    let empty = NodeInfo::default();
    let info = info.unwrap_or(&empty);
    let mut dropped = Vec::new();
    let system_info = system_info(facts, plugin, info);
    let labels = labels(options, &system_info, info, &mut dropped);
    let taints = taints(options, plugin, info, &mut dropped);
    let (capacity, allocatable) = resources(facts, info, &mut dropped);
    let addresses = addresses(options, facts, info, &mut dropped);
    let plugin_conditions = plugin_conditions(info, &mut dropped);
    Desired {
        labels,
        taints,
        capacity,
        allocatable,
        addresses,
        system_info,
        kubelet_port: i32::from(options.kubelet_port),
        plugin_conditions,
        dropped: dropped.iter().map(|note| bounded(note)).collect(),
    }
}

/// The plugin's system info, each empty field filled from the host's facts.
fn system_info(
    facts: &HostFacts,
    plugin: Option<PluginName<'_>>,
    info: &NodeInfo,
) -> NodeSystemInfo {
    let system = info.system_info.clone().unwrap_or_default();
    let or = |given: &str, fallback: &str| {
        if given.is_empty() {
            bounded(fallback)
        } else {
            bounded(given)
        }
    };
    NodeSystemInfo {
        operating_system: or(&system.operating_system, &facts.operating_system),
        architecture: or(&system.architecture, &facts.architecture),
        kernel_version: or(&system.kernel_version, &facts.kernel_version),
        os_image: or(&system.os_image, &facts.os_image),
        container_runtime_version: or(
            &system.container_runtime_version,
            &plugin.map_or_else(
                || "vk-host://unknown".to_owned(),
                |p| bounded(&format!("{}://{}", p.name, p.version)),
            ),
        ),
        machine_id: or(&system.machine_id, &facts.machine_id),
        system_uuid: bounded(&system.system_uuid),
        boot_id: or(&system.boot_id, &facts.boot_id),
        kubelet_version: kubelet_version(),
        kube_proxy_version: String::new(),
        swap: None,
    }
}

/// The standard labels (those with a valid value), then the plugin's valid
/// ones, then `--node-label`.
fn labels(
    options: &NodeOptions,
    system_info: &NodeSystemInfo,
    info: &NodeInfo,
    dropped: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        ("type".to_owned(), "virtual-kubelet".to_owned()),
        ("kubernetes.io/role".to_owned(), "agent".to_owned()),
        (
            "kubernetes.io/os".to_owned(),
            system_info.operating_system.clone(),
        ),
        (
            "kubernetes.io/arch".to_owned(),
            system_info.architecture.clone(),
        ),
    ]);
    if !options.name.is_empty() && names::is_label_value(&options.name) {
        labels.insert("kubernetes.io/hostname".into(), options.name.clone());
    }
    labels.retain(|_, value| names::is_label_value(value));
    for (key, value) in sorted(&info.labels).take(MAX_PLUGIN_ENTRIES) {
        match check_label(key, value) {
            Ok(()) => {
                labels.insert(key.clone(), value.clone());
            }
            Err(why) => dropped.push(format!("label {key}={value}: {why}")),
        }
    }
    labels.extend(options.labels.clone());
    labels
}

/// The host's taint (`--node-taint`, the provider taint or none), then the
/// plugin's valid ones that do not repeat a key and effect.
fn taints(
    options: &NodeOptions,
    plugin: Option<PluginName<'_>>,
    info: &NodeInfo,
    dropped: &mut Vec<String>,
) -> Vec<Taint> {
    let mut taints = Vec::new();
    match &options.taint {
        TaintChoice::Provider => taints.push(Taint {
            key: PROVIDER_TAINT_KEY.into(),
            value: Some(names::to_label_value(plugin.map_or("vk-host", |p| p.name))),
            effect: "NoSchedule".into(),
            time_added: None,
        }),
        TaintChoice::Custom(taint) => taints.push(taint.clone()),
        TaintChoice::None => {}
    }
    for taint in info.taints.iter().take(MAX_PLUGIN_ENTRIES) {
        let taint = Taint {
            key: taint.key.clone(),
            value: Some(taint.value.clone()).filter(|v| !v.is_empty()),
            effect: taint.effect.clone(),
            time_added: None,
        };
        match check_taint(&taint) {
            Ok(()) if taints.iter().any(|t| taint_id(t) == taint_id(&taint)) => {}
            Ok(()) => taints.push(taint),
            Err(why) => dropped.push(format!("taint {}: {why}", taint_id(&taint))),
        }
    }
    taints
}

/// Capacity (the plugin's valid quantities; CPUs, memory and `pods` from
/// the host when it gives none) and allocatable (the plugin's, else the
/// capacity).
fn resources(
    facts: &HostFacts,
    info: &NodeInfo,
    dropped: &mut Vec<String>,
) -> (BTreeMap<String, Quantity>, BTreeMap<String, Quantity>) {
    let mut capacity = quantities("capacity", &info.capacity, dropped);
    for (name, default) in [
        ("cpu", facts.cpus.to_string()),
        ("memory", format!("{}Ki", facts.memory_bytes / 1024)),
        ("pods", DEFAULT_MAX_PODS.to_owned()),
    ] {
        capacity.entry(name.to_owned()).or_insert(Quantity(default));
    }
    let mut allocatable = quantities("allocatable", &info.allocatable, dropped);
    for (name, quantity) in &capacity {
        allocatable
            .entry(name.clone())
            .or_insert_with(|| quantity.clone());
    }
    (capacity, allocatable)
}

/// The plugin's valid addresses, an InternalIP first when it gives none
/// (`--node-ip`, else the host's), and a Hostname (the node's name) last
/// when it gives none.
fn addresses(
    options: &NodeOptions,
    facts: &HostFacts,
    info: &NodeInfo,
    dropped: &mut Vec<String>,
) -> Vec<NodeAddress> {
    let mut addresses: Vec<NodeAddress> = Vec::new();
    for address in info.addresses.iter().take(MAX_PLUGIN_ENTRIES) {
        let address = NodeAddress {
            type_: address.r#type.clone(),
            address: address.address.clone(),
        };
        if !ADDRESS_TYPES.contains(&address.type_.as_str())
            || address.address.is_empty()
            || address.address.len() > MAX_ADDRESS
        {
            dropped.push(format!(
                "address {}={:?}: type must be one of {ADDRESS_TYPES:?} and the address 1 to {MAX_ADDRESS} bytes",
                bounded(&address.type_),
                bounded(&address.address)
            ));
        } else if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    if !addresses.iter().any(|a| a.type_ == "InternalIP") {
        let ip = options.internal_ip.unwrap_or(facts.primary_ip);
        addresses.insert(
            0,
            NodeAddress {
                type_: "InternalIP".into(),
                address: ip.to_string(),
            },
        );
    }
    if !addresses.iter().any(|a| a.type_ == "Hostname") {
        addresses.push(NodeAddress {
            type_: "Hostname".into(),
            address: options.name.clone(),
        });
    }
    addresses
}

/// The plugin's valid conditions, the first of each type, never `Ready`.
fn plugin_conditions(info: &NodeInfo, dropped: &mut Vec<String>) -> Vec<ConditionSpec> {
    let mut conditions: Vec<ConditionSpec> = Vec::new();
    for condition in info.conditions.iter().take(MAX_PLUGIN_ENTRIES) {
        let spec = ConditionSpec {
            type_: condition.r#type.clone(),
            status: condition.status.clone(),
            reason: bounded(&condition.reason),
            message: bounded(&condition.message),
        };
        if spec.type_ == "Ready" {
            // The host owns Ready (plugin health); the proto says it is ignored.
        } else if names::check_qualified_name(&spec.type_).is_err()
            || !["True", "False", "Unknown"].contains(&spec.status.as_str())
        {
            dropped.push(format!(
                "condition {}={}: needs a name-like type and status True, False or Unknown",
                bounded(&spec.type_),
                bounded(&spec.status)
            ));
        } else if !conditions.iter().any(|c| c.type_ == spec.type_) {
            conditions.push(spec);
        }
    }
    conditions
}

/// The node's host IPs, as the kubelet picks them from its Node's addresses
/// (`GetNodeHostIPs`) for every pod's `status.hostIP`/`hostIPs`: the first
/// InternalIP (an ExternalIP when there is none), then, on a dual-stack
/// node, the first address of the other family (InternalIPs before
/// ExternalIPs). The Node's order decides which family comes first.
pub fn host_ips(addresses: &[NodeAddress]) -> Vec<String> {
    let of_type = |type_: &'static str| {
        addresses
            .iter()
            .filter(move |a| a.type_ == type_)
            .filter_map(|a| a.address.parse::<std::net::IpAddr>().ok())
    };
    let mut all = of_type("InternalIP").chain(of_type("ExternalIP"));
    let Some(primary) = all.next() else {
        return Vec::new();
    };
    let other = all.find(|ip| ip.is_ipv6() != primary.is_ipv6());
    std::iter::once(primary)
        .chain(other)
        .map(|ip| ip.to_string())
        .collect()
}

/// `v1.36.3-vk-host-0.1.0`.
pub fn kubelet_version() -> String {
    format!("{KUBERNETES_VERSION}-vk-host-{}", env!("CARGO_PKG_VERSION"))
}

/// A taint's identity on a Node: key and effect (the API allows one taint
/// per pair).
pub fn taint_id(taint: &Taint) -> String {
    format!("{}:{}", taint.key, taint.effect)
}

/// `text` cut to at most [`MAX_TEXT`] bytes (on a character boundary), with
/// `...` at the end when something was cut.
pub fn bounded(text: &str) -> String {
    text::cut_bytes(text, MAX_TEXT)
}

fn sorted<V>(map: &HashMap<String, V>) -> impl Iterator<Item = (&String, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

fn check_label(key: &str, value: &str) -> Result<(), String> {
    names::check_qualified_name(key).map_err(|why| format!("key {why}"))?;
    names::check_label_value(value).map_err(|why| format!("value {why}"))
}

fn check_taint(taint: &Taint) -> Result<(), String> {
    check_label(&taint.key, taint.value.as_deref().unwrap_or(""))?;
    if TAINT_EFFECTS.contains(&taint.effect.as_str()) {
        Ok(())
    } else {
        Err("effect must be NoSchedule, PreferNoSchedule or NoExecute".into())
    }
}

fn quantities(
    what: &str,
    given: &HashMap<String, String>,
    dropped: &mut Vec<String>,
) -> BTreeMap<String, Quantity> {
    let mut out = BTreeMap::new();
    for (name, quantity) in sorted(given).take(MAX_PLUGIN_ENTRIES) {
        if names::check_qualified_name(name).is_err() {
            dropped.push(format!("{what} {}: not a resource name", bounded(name)));
        } else if !is_node_quantity(quantity) {
            dropped.push(format!(
                "{what} {name}={:?}: not a Kubernetes quantity",
                bounded(quantity)
            ));
        } else if quantity::whole_numbers_only(name) && !quantity::is_whole(quantity) {
            dropped.push(format!(
                "{what} {name}={quantity:?}: the API server takes only whole numbers for {name}"
            ));
        } else {
            out.insert(name.clone(), Quantity(quantity.clone()));
        }
    }
    out
}

/// A quantity a Node takes: non-negative, at most [`MAX_QUANTITY`] bytes
/// after an optional `+`.
fn is_node_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    unsigned.len() <= MAX_QUANTITY && !unsigned.starts_with('-') && quantity::is_quantity(unsigned)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::net::{IpAddr, Ipv4Addr};

    use vk_proto::v1 as proto;

    use super::*;

    fn facts() -> HostFacts {
        HostFacts {
            operating_system: "linux".into(),
            architecture: "amd64".into(),
            kernel_version: "6.1.0".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            machine_id: "m".into(),
            boot_id: "b".into(),
            cpus: 4,
            memory_bytes: 8 * 1024 * 1024 * 1024,
            primary_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7)),
        }
    }

    fn options() -> NodeOptions {
        NodeOptions {
            name: "vk-1".into(),
            labels: BTreeMap::from([("team".into(), "a".into())]),
            taint: TaintChoice::Provider,
            internal_ip: None,
            kubelet_port: 10250,
        }
    }

    const PLUGIN: PluginName<'static> = PluginName {
        name: "vk-mock-plugin",
        version: "0.1.0",
    };

    fn info() -> NodeInfo {
        NodeInfo {
            capacity: HashMap::from([
                ("cpu".into(), "100".into()),
                ("memory".into(), "512Gi".into()),
                ("pods".into(), "1000".into()),
                ("nvidia.com/gpu".into(), "8".into()),
            ]),
            allocatable: HashMap::from([("cpu".into(), "90".into())]),
            labels: HashMap::from([
                ("zone".into(), "z1".into()),
                ("team".into(), "plugin-says".into()),
                ("bad key!".into(), "x".into()),
            ]),
            taints: vec![
                proto::Taint {
                    key: "gpu".into(),
                    value: String::new(),
                    effect: "NoSchedule".into(),
                },
                proto::Taint {
                    key: "x".into(),
                    value: "y".into(),
                    effect: "Sometimes".into(),
                },
            ],
            conditions: vec![
                proto::NodeCondition {
                    r#type: "Ready".into(),
                    status: "False".into(),
                    reason: "Ignored".into(),
                    message: String::new(),
                },
                proto::NodeCondition {
                    r#type: "DiskPressure".into(),
                    status: "True".into(),
                    reason: "Full".into(),
                    message: "disk is full".into(),
                },
            ],
            addresses: vec![proto::NodeAddress {
                r#type: "ExternalIP".into(),
                address: "203.0.113.9".into(),
            }],
            system_info: Some(proto::NodeSystemInfo {
                operating_system: "linux".into(),
                architecture: "arm64".into(),
                kernel_version: "6.8.0".into(),
                os_image: "vk-mock-plugin".into(),
                container_runtime_version: "mock://0.1.0".into(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn labels_standard_then_plugin_then_flags() {
        let facts = facts();
        let options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        let expect = [
            ("type", "virtual-kubelet"),
            ("kubernetes.io/role", "agent"),
            ("kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "arm64"),
            ("kubernetes.io/hostname", "vk-1"),
            ("zone", "z1"),
            ("team", "a"),
        ];
        for (key, value) in expect {
            assert_eq!(d.labels.get(key).map(String::as_str), Some(value), "{key}");
        }
        assert!(!d.labels.contains_key("bad key!"));
        assert!(d.dropped.iter().any(|n| n.starts_with("label bad key!=x")));
    }

    #[test]
    fn taints_provider_then_valid_plugin_taints() {
        let facts = facts();
        let options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        let ids: Vec<String> = d.taints.iter().map(taint_id).collect();
        assert_eq!(
            ids,
            ["virtual-kubelet.io/provider:NoSchedule", "gpu:NoSchedule"]
        );
        assert_eq!(d.taints[0].value.as_deref(), Some("vk-mock-plugin"));
        assert_eq!(d.taints[1].value, None);
        assert!(d.dropped.iter().any(|n| n.starts_with("taint x:Sometimes")));

        let mut options = options;
        options.taint = TaintChoice::None;
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: None,
        });
        assert!(d.taints.is_empty());
    }

    #[test]
    fn resources_from_the_plugin_with_defaults_and_allocatable_filled() {
        let facts = facts();
        let options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        assert_eq!(d.capacity["cpu"].0, "100");
        assert_eq!(d.capacity["nvidia.com/gpu"].0, "8");
        assert_eq!(d.allocatable["cpu"].0, "90");
        assert_eq!(d.allocatable["memory"].0, "512Gi");

        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: None,
        });
        assert_eq!(d.capacity["cpu"].0, "4");
        assert_eq!(d.capacity["memory"].0, "8388608Ki");
        assert_eq!(d.capacity["pods"].0, "110");
        assert_eq!(d.allocatable, d.capacity);
    }

    #[test]
    fn host_ips_are_the_first_internal_ip_then_one_of_the_other_family() {
        let address = |type_: &str, address: &str| NodeAddress {
            type_: type_.into(),
            address: address.into(),
        };
        let ips = |addresses: &[NodeAddress]| host_ips(addresses);
        assert_eq!(
            ips(&[
                address("Hostname", "vk-1"),
                address("ExternalIP", "203.0.113.5"),
                address("InternalIP", "10.0.0.7"),
                address("InternalIP", "10.0.0.8"),
            ]),
            ["10.0.0.7"]
        );
        // Dual-stack: one per family, in the Node's order.
        assert_eq!(
            ips(&[
                address("InternalIP", "10.0.0.7"),
                address("InternalIP", "10.0.0.8"),
                address("InternalIP", "fd00::7"),
            ]),
            ["10.0.0.7", "fd00::7"]
        );
        assert_eq!(
            ips(&[
                address("InternalIP", "fd00::7"),
                address("InternalIP", "10.0.0.7"),
            ]),
            ["fd00::7", "10.0.0.7"]
        );
        // An ExternalIP only when no InternalIP of that family exists.
        assert_eq!(
            ips(&[
                address("ExternalIP", "2001:db8::1"),
                address("InternalIP", "10.0.0.7"),
            ]),
            ["10.0.0.7", "2001:db8::1"]
        );
        assert_eq!(
            ips(&[address("ExternalIP", "203.0.113.5")]),
            ["203.0.113.5"]
        );
        // Not an address: skipped.
        assert_eq!(
            ips(&[
                address("InternalIP", "node-1.example"),
                address("Hostname", "vk-1")
            ]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn addresses_get_an_internal_ip_and_a_hostname() {
        let facts = facts();
        let mut options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        let shown: Vec<(&str, &str)> = d
            .addresses
            .iter()
            .map(|a| (a.type_.as_str(), a.address.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("InternalIP", "192.168.1.7"),
                ("ExternalIP", "203.0.113.9"),
                ("Hostname", "vk-1")
            ]
        );
        options.internal_ip = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: None,
        });
        assert_eq!(d.addresses[0].address, "127.0.0.1");
    }

    #[test]
    fn node_info_prefers_the_plugin_and_falls_back_to_the_host() {
        let facts = facts();
        let options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        assert_eq!(d.system_info.architecture, "arm64");
        assert_eq!(d.system_info.os_image, "vk-mock-plugin");
        assert_eq!(d.system_info.machine_id, "m");
        assert_eq!(
            d.system_info.kubelet_version,
            format!("v1.36.3-vk-host-{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(d.kubelet_port, 10250);
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: None,
        });
        assert_eq!(
            d.system_info.container_runtime_version,
            "vk-mock-plugin://0.1.0"
        );
        assert_eq!(d.system_info.os_image, "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn plugin_conditions_never_include_ready() {
        let facts = facts();
        let options = options();
        let info = info();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        let types: Vec<&str> = d
            .plugin_conditions
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(types, ["DiskPressure"]);
    }

    #[test]
    fn quantities() {
        for good in [
            "1", "100m", "1.5", "512Gi", "1e3", "2E-2", "+4", ".5", "10k", "1E",
        ] {
            assert!(is_node_quantity(good), "{good}");
        }
        for bad in ["", "Gi", "1.2.3", "-1", "ten", "1Gb", "1e", "1 Gi"] {
            assert!(!is_node_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn fractional_pods_and_extended_resources_are_dropped() {
        let facts = facts();
        let options = options();
        let mut info = info();
        info.capacity.insert("pods".into(), "0.5".into());
        info.capacity
            .insert("example.com/widget".into(), "0.5".into());
        info.capacity
            .insert("example.com/gadget".into(), "2".into());
        info.capacity.insert("cpu".into(), "1500m".into());
        info.allocatable
            .insert("example.com/gadget".into(), "1500m".into());
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        assert_eq!(d.capacity["pods"].0, "110", "the default replaces it");
        assert_eq!(d.capacity["cpu"].0, "1500m", "cpu may be fractional");
        assert!(!d.capacity.contains_key("example.com/widget"));
        assert_eq!(d.capacity["example.com/gadget"].0, "2");
        assert_eq!(
            d.allocatable["example.com/gadget"].0, "2",
            "taken from the capacity"
        );
        for note in [
            "capacity pods=\"0.5\": the API server takes only whole numbers for pods",
            "capacity example.com/widget=\"0.5\"",
            "allocatable example.com/gadget=\"1500m\"",
        ] {
            assert!(
                d.dropped.iter().any(|n| n.starts_with(note)),
                "{note} in {:?}",
                d.dropped
            );
        }
    }

    #[test]
    fn plugin_text_is_bounded() {
        let facts = facts();
        let options = options();
        let mut info = info();
        let long = "é".repeat(3000);
        info.conditions.push(proto::NodeCondition {
            r#type: "example.com/Chatty".into(),
            status: "True".into(),
            reason: long.clone(),
            message: long.clone(),
        });
        info.conditions.push(proto::NodeCondition {
            r#type: long.clone(),
            status: "True".into(),
            reason: String::new(),
            message: String::new(),
        });
        info.addresses.push(proto::NodeAddress {
            r#type: "InternalDNS".into(),
            address: "a".repeat(254),
        });
        info.system_info.as_mut().expect("system info").os_image = long.clone();
        let d = desired(Inputs {
            options: &options,
            facts: &facts,
            plugin: Some(PLUGIN),
            info: Some(&info),
        });
        let chatty = d
            .plugin_conditions
            .iter()
            .find(|c| c.type_ == "example.com/Chatty")
            .expect("the condition is kept");
        assert!(chatty.message.len() <= MAX_TEXT && chatty.message.ends_with("..."));
        assert!(chatty.message.starts_with("éé"));
        assert!(chatty.reason.len() <= MAX_TEXT);
        assert!(d.system_info.os_image.len() <= MAX_TEXT);
        assert!(!d.addresses.iter().any(|a| a.type_ == "InternalDNS"));
        assert!(
            d.dropped.iter().all(|n| n.len() <= MAX_TEXT),
            "{:?}",
            d.dropped
        );
        assert_eq!(bounded("short"), "short");
        assert_eq!(text::cut_bytes("abcdef", 5), "ab...");
        assert_eq!(text::cut_bytes("aééb", 5), "a...", "not inside the é");
    }
}
