//! A virtual node running the mock plugin with its `pods_file` listing (what
//! the plugin process itself holds, rewritten within 100 ms of a change),
//! and the accounting between the API and the plugin that the pod tests
//! and the chaos test check: every API pod held once by the plugin or
//! terminal with a reason, no plugin pod without its API pod.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::virtual_node::{NodeSetup, VirtualNode};

/// A virtual node whose mock plugin lists its pods in a file.
#[derive(Debug)]
pub struct MockNode {
    pub node: VirtualNode,
    pub pods_file: PathBuf,
    /// The namespace of the first start, kept across host restarts.
    namespace: String,
    setup: NodeSetup,
    _dir: tempfile::TempDir,
}

impl MockNode {
    /// Starts vk-host with the mock plugin, `extra_config` appended to its
    /// configuration, and waits until the Node is Ready.
    pub async fn start(cluster: &Cluster, prefix: &str, extra_config: &str) -> Self {
        Self::start_with(cluster, NodeSetup::mock(prefix), extra_config).await
    }

    /// [`start`](Self::start) from a setup of the caller's (host flags,
    /// environment); its plugin configuration is replaced.
    pub async fn start_with(cluster: &Cluster, setup: NodeSetup, extra_config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir for the plugin's pod listing");
        let pods_file = dir.path().join("pods.json");
        let config = format!(
            "pods_file = {:?}\n{extra_config}",
            pods_file.display().to_string()
        );
        let setup = setup.plugin_config(&config);
        let node = VirtualNode::start(cluster, setup.clone()).await;
        Self {
            namespace: node.namespace.clone(),
            setup: setup.node_name(&node.name),
            node,
            pods_file,
            _dir: dir,
        }
    }

    pub fn ns(&self) -> &str {
        &self.namespace
    }

    /// What the plugin holds now: uid -> entry.
    pub fn plugin_pods(&self) -> HashMap<String, Value> {
        plugin_pods(&self.pods_file)
    }

    /// SIGKILLs vk-host and at once starts another for the same Node,
    /// plugin configuration and listing, as a supervisor restarting it
    /// would; returns the killed host's plugin pid (it dies with its host).
    pub async fn kill_and_restart_host(&mut self, cluster: &Cluster) -> u32 {
        let plugin = self.node.host.plugin_pid().await;
        kill(Pid::from_raw(self.node.host.pid() as i32), Signal::SIGKILL).expect("SIGKILL vk-host");
        let _ = self.node.host.child.wait().await;
        let mut node = VirtualNode::start(cluster, self.setup.clone()).await;
        node.namespace = self.namespace.clone();
        self.node = node;
        plugin
    }
}

/// The mock's listing at `path` (uid -> entry); empty while there is none.
pub fn plugin_pods(path: &Path) -> HashMap<String, Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let listing: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
    listing
        .into_iter()
        .filter_map(|pod| Some((pod["uid"].as_str()?.to_owned(), pod)))
        .collect()
}

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

pub fn ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

pub fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

pub fn reason(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.reason.as_deref())
        .unwrap_or("")
}

/// Every API pod has exactly one plugin pod (and runs) or is terminal with
/// a reason; no plugin pod lacks its API pod. `Ok((running, terminal))`.
pub fn consistent(
    api_pods: &[Pod],
    held: &HashMap<String, Value>,
) -> Result<(usize, usize), String> {
    let mut lost = 0;
    let mut running = 0;
    let api_uids: HashMap<String, &Pod> = api_pods.iter().map(|p| (uid(p), p)).collect();
    for pod in api_pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            return Err(format!("{name} is still being deleted"));
        }
        let in_plugin = held.contains_key(&uid(pod));
        match phase(pod) {
            "Failed" | "Succeeded" => {
                if reason(pod).is_empty() {
                    return Err(format!("{name} is {} without a reason", phase(pod)));
                }
                lost += 1;
            }
            "Running" if in_plugin => running += 1,
            other => {
                return Err(format!(
                    "{name} is {other:?} (reason {:?}), in the plugin: {in_plugin}",
                    reason(pod)
                ));
            }
        }
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (plugin_uid, entry) in held {
        let name = entry["name"].as_str().unwrap_or_default().to_owned();
        *names.entry(name.clone()).or_default() += 1;
        if !api_uids.contains_key(plugin_uid) {
            return Err(format!(
                "the plugin holds {name} ({plugin_uid}) which the API does not have"
            ));
        }
    }
    if let Some((name, n)) = names.iter().find(|(_, n)| **n > 1) {
        return Err(format!("the plugin holds {n} pods named {name}"));
    }
    Ok((running, lost))
}
