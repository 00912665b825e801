//! What the mock contributes to its Node: capacity, labels, taints and extra
//! conditions from the configuration, the host IP as InternalIP, and system
//! information of the machine it runs on.

use std::collections::HashMap;

use vk_plugin_sdk::go_arch;
use vk_plugin_sdk::proto::{NodeAddress, NodeCondition, NodeInfo, NodeSystemInfo, Taint};

use crate::config::Config;

/// The node information; static for the plugin's lifetime.
pub fn node_info(config: &Config) -> NodeInfo {
    let node = &config.node;
    let mut capacity: HashMap<String, String> = node
        .extra_capacity
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    capacity.insert("cpu".into(), node.cpu.clone());
    capacity.insert("memory".into(), node.memory.clone());
    capacity.insert("pods".into(), node.pods.clone());
    let kernel_version = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    NodeInfo {
        capacity,
        allocatable: HashMap::new(),
        labels: node
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        taints: node
            .taints
            .iter()
            .map(|t| Taint {
                key: t.key.clone(),
                value: t.value.clone(),
                effect: t.effect.clone(),
            })
            .collect(),
        conditions: node
            .conditions
            .iter()
            .map(|c| NodeCondition {
                r#type: c.type_.clone(),
                status: c.status.clone(),
                reason: c.reason.clone(),
                message: c.message.clone(),
            })
            .collect(),
        addresses: vec![NodeAddress {
            r#type: "InternalIP".into(),
            address: config.host_ip.to_string(),
        }],
        system_info: Some(NodeSystemInfo {
            operating_system: std::env::consts::OS.into(),
            architecture: go_arch(std::env::consts::ARCH).into(),
            kernel_version,
            os_image: "vk-mock-plugin".into(),
            container_runtime_version: format!("mock://{}", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_configured_node() {
        let mut config = Config::default();
        config.node.labels.insert("zone".into(), "a".into());
        config
            .node
            .extra_capacity
            .insert("nvidia.com/gpu".into(), "2".into());
        let info = node_info(&config);
        assert_eq!(info.capacity["cpu"], "100");
        assert_eq!(info.capacity["memory"], "512Gi");
        assert_eq!(info.capacity["pods"], "1000");
        assert_eq!(info.capacity["nvidia.com/gpu"], "2");
        assert_eq!(info.labels["zone"], "a");
        assert_eq!(info.addresses[0].address, "10.0.0.1");
        let system = info.system_info.expect("system info");
        assert_eq!(system.operating_system, std::env::consts::OS);
        assert_eq!(go_arch("x86_64"), "amd64");
    }
}
