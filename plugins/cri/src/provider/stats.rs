//! `/stats/summary`, `/metrics/resource` and the node's info from the
//! runtime: one `ListContainerStats` over the plugin's containers per call,
//! matched by container id to the running containers of the pods' last
//! statuses (which give names and start times); the node from `/proc`.

use std::collections::HashMap;

use k8s_cri::v1::{ContainerStatsFilter, ListContainerStatsRequest};
use vk_plugin_sdk::ProviderError;
use vk_plugin_sdk::proto::{
    ContainerMetrics, ContainerStats, CpuStats, GetMetricsResourceResponse,
    GetStatsSummaryResponse, MemoryStats, NodeInfo, NodeStats, NodeSystemInfo, PodRef, PodStats,
};

use super::{Inner, now};
use crate::labels;
use crate::stats::{self, ContainerUsage, NODE_KEY};

/// A running container of a held pod, as its last status names it.
struct Running {
    pod: usize,
    name: String,
    started: i64,
}

/// The measured containers of one pod.
struct PodUsage {
    pod: PodRef,
    started: i64,
    containers: Vec<(String, i64, ContainerUsage)>,
}

fn unix_nanos(at: k8s_openapi::jiff::Timestamp) -> i64 {
    i64::try_from(at.as_nanosecond()).unwrap_or(i64::MAX)
}

impl Inner {
    /// The usage of every running container of every held pod, by pod.
    async fn pod_usage(&self) -> Result<Vec<PodUsage>, ProviderError> {
        let reply = self
            .runtime
            .runtime
            .clone()
            .list_container_stats(ListContainerStatsRequest {
                filter: Some(ContainerStatsFilter {
                    label_selector: labels::managed_selector(&self.config.instance_name),
                    ..Default::default()
                }),
            })
            .await
            .map_err(|status| {
                ProviderError::Unavailable(format!("ListContainerStats: {}", status.message()))
            })?
            .into_inner();
        let mut pods = Vec::new();
        let mut running: HashMap<String, Running> = HashMap::new();
        {
            let held = self.pods();
            let mut entries: Vec<_> = held.iter().collect();
            entries.sort_by(|a, b| {
                let key = |p: &k8s_openapi::api::core::v1::Pod| {
                    (p.metadata.namespace.clone(), p.metadata.name.clone())
                };
                key(&a.1.pod).cmp(&key(&b.1.pod))
            });
            for (uid, entry) in entries {
                let status = &entry.status;
                let index = pods.len();
                pods.push(PodUsage {
                    pod: PodRef {
                        namespace: entry.pod.metadata.namespace.clone().unwrap_or_default(),
                        name: entry.pod.metadata.name.clone().unwrap_or_default(),
                        uid: uid.clone(),
                    },
                    started: status.start_time.as_ref().map_or(0, |t| t.0.as_second()),
                    containers: Vec::new(),
                });
                let statuses = status
                    .container_statuses
                    .iter()
                    .flatten()
                    .chain(status.init_container_statuses.iter().flatten());
                for container in statuses {
                    let Some(started) = container
                        .state
                        .as_ref()
                        .and_then(|s| s.running.as_ref())
                        .map(|r| r.started_at.as_ref().map_or(0, |t| unix_nanos(t.0)))
                    else {
                        continue;
                    };
                    let Some(id) = container.container_id.as_deref() else {
                        continue;
                    };
                    running.insert(
                        id.trim_start_matches("containerd://").to_owned(),
                        Running {
                            pod: index,
                            name: container.name.clone(),
                            started,
                        },
                    );
                }
            }
        }
        let now_nanos = unix_nanos(now());
        let mut rates = self
            .cpu_rates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for stat in &reply.stats {
            let Some(id) = stat.attributes.as_ref().map(|a| a.id.as_str()) else {
                continue;
            };
            let Some(container) = running.get(id) else {
                continue;
            };
            let mut usage = ContainerUsage::from_cri(stat, now_nanos);
            if usage.is_empty() {
                continue;
            }
            if let Some(core_nanos) = usage.core_nanos {
                // The rate since the previous call; on the first, since the
                // container started (containerd's own first value is 0).
                usage.nano_cores = rates
                    .rate(id, usage.cpu_at, core_nanos)
                    .or(usage.nano_cores)
                    .or_else(|| stats::average_rate(core_nanos, container.started, usage.cpu_at));
            }
            if let Some(pod) = pods.get_mut(container.pod) {
                pod.containers.push((
                    container.name.clone(),
                    container.started.div_euclid(1_000_000_000),
                    usage,
                ));
            }
        }
        rates.retain(|id| running.contains_key(id));
        pods.retain(|p| !p.containers.is_empty());
        Ok(pods)
    }

    /// The node's CPU (rate since the previous call) and memory, from /proc.
    fn node_usage(&self) -> (Option<CpuStats>, Option<MemoryStats>, i64) {
        let at = unix_nanos(now());
        let proc_stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let cpu = stats::node_cpu_nanos(&proc_stat).map(|core_nanos| CpuStats {
            timestamp_unix_nanos: at,
            usage_nano_cores: self
                .cpu_rates
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .rate(NODE_KEY, at, core_nanos),
            usage_core_nano_seconds: Some(core_nanos),
        });
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| stats::node_memory(&text, at));
        let booted = stats::node_boot_time(&proc_stat).unwrap_or(0);
        (cpu, memory, booted)
    }

    pub(super) async fn stats_summary(&self) -> Result<GetStatsSummaryResponse, ProviderError> {
        let pods = self.pod_usage().await?;
        let (cpu, memory, booted) = self.node_usage();
        let pods = pods
            .into_iter()
            .map(|pod| {
                let total = pod
                    .containers
                    .iter()
                    .fold(ContainerUsage::default(), |sum, (_, _, u)| sum.plus(*u));
                PodStats {
                    pod: Some(pod.pod),
                    start_time_unix_seconds: pod.started,
                    containers: pod
                        .containers
                        .iter()
                        .map(|(name, started, usage)| ContainerStats {
                            name: name.clone(),
                            start_time_unix_seconds: *started,
                            cpu: Some(usage.cpu()),
                            memory: Some(usage.memory()),
                        })
                        .collect(),
                    cpu: Some(total.cpu()),
                    memory: Some(total.memory()),
                }
            })
            .collect();
        Ok(GetStatsSummaryResponse {
            node: Some(NodeStats {
                start_time_unix_seconds: booted,
                cpu,
                memory,
            }),
            pods,
        })
    }

    pub(super) async fn metrics_resource(
        &self,
    ) -> Result<GetMetricsResourceResponse, ProviderError> {
        let pods = self.pod_usage().await?;
        let (node_cpu, node_memory, _) = self.node_usage();
        let containers = pods
            .into_iter()
            .flat_map(|pod| {
                let pod_ref = pod.pod;
                pod.containers
                    .into_iter()
                    .map(move |(name, started, usage)| ContainerMetrics {
                        pod: Some(pod_ref.clone()),
                        container: name,
                        start_time_unix_seconds: started,
                        cpu: Some(usage.cpu()),
                        memory: Some(usage.memory()),
                    })
            })
            .collect();
        Ok(GetMetricsResourceResponse {
            containers,
            node_cpu,
            node_memory,
        })
    }

    /// Capacity from the machine and the node's system info.
    pub(super) fn node_info(&self) -> NodeInfo {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let mut capacity = HashMap::from([
            ("cpu".to_owned(), cpus.to_string()),
            ("pods".to_owned(), "110".to_owned()),
        ]);
        if self.node.memory_bytes > 0 {
            capacity.insert(
                "memory".to_owned(),
                format!("{}Ki", self.node.memory_bytes / 1024),
            );
        }
        let os_image = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_default();
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        let version = &self.runtime.version;
        NodeInfo {
            capacity,
            system_info: Some(NodeSystemInfo {
                operating_system: std::env::consts::OS.to_owned(),
                architecture: architecture.to_owned(),
                kernel_version: read("/proc/sys/kernel/osrelease"),
                os_image,
                container_runtime_version: format!("{}://{}", version.name, version.version),
                machine_id: read("/etc/machine-id"),
                system_uuid: read("/sys/class/dmi/id/product_uuid"),
                boot_id: read("/proc/sys/kernel/random/boot_id"),
            }),
            ..Default::default()
        }
    }
}
