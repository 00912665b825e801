//! Synthetic resource usage for `/stats/summary` and `/metrics/resource`:
//! every running container uses a fixed CPU rate and memory working set, and
//! its cumulative CPU time grows with its age; pods and the node are sums.

use std::time::Duration;

use vk_plugin_sdk::proto::{
    ContainerMetrics, ContainerStats, CpuStats, GetMetricsResourceResponse,
    GetStatsSummaryResponse, MemoryStats, NodeStats, PodRef, PodStats,
};

use crate::clock::{self, Timestamp};
use crate::config::UsageConfig;
use crate::pods::Entry;

/// Usage of one running container at `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub nano_cores: u64,
    pub core_nano_seconds: u64,
    pub memory_bytes: u64,
}

impl Usage {
    /// A container that started at `started` and runs at the configured rate.
    pub fn of_container(config: &UsageConfig, started: Timestamp, now: Timestamp) -> Self {
        let age = clock::until(started, now);
        Self {
            nano_cores: config.container_nano_cores,
            core_nano_seconds: cpu_time(config.container_nano_cores, age),
            memory_bytes: config.container_memory_bytes,
        }
    }

    fn add(self, other: Self) -> Self {
        Self {
            nano_cores: self.nano_cores.saturating_add(other.nano_cores),
            core_nano_seconds: self
                .core_nano_seconds
                .saturating_add(other.core_nano_seconds),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }

    fn cpu(self, at: i64) -> CpuStats {
        CpuStats {
            timestamp_unix_nanos: at,
            usage_nano_cores: Some(self.nano_cores),
            usage_core_nano_seconds: Some(self.core_nano_seconds),
        }
    }

    fn memory(self, at: i64) -> MemoryStats {
        MemoryStats {
            timestamp_unix_nanos: at,
            usage_bytes: Some(self.memory_bytes),
            working_set_bytes: Some(self.memory_bytes),
            rss_bytes: Some(self.memory_bytes),
            available_bytes: None,
        }
    }
}

/// CPU time used in `age` at `nano_cores` billionths of a core.
fn cpu_time(nano_cores: u64, age: Duration) -> u64 {
    let nanos = age.as_nanos() * u128::from(nano_cores) / 1_000_000_000;
    u64::try_from(nanos).unwrap_or(u64::MAX)
}

/// The running containers of one pod, with when they started.
fn running_containers(entry: &Entry, now: Timestamp) -> Option<(Timestamp, Vec<&str>)> {
    if !entry.life.is_running(now) {
        return None;
    }
    let names = entry
        .pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    Some((entry.life.started, names))
}

fn pod_ref(entry: &Entry) -> PodRef {
    let key = entry.key();
    PodRef {
        namespace: key.namespace,
        name: key.name,
        uid: key.uid.unwrap_or_default(),
    }
}

/// `/stats/summary`: the node and every pod with running containers.
pub fn summary(
    entries: &[Entry],
    config: &UsageConfig,
    node_started: Timestamp,
    now: Timestamp,
) -> GetStatsSummaryResponse {
    let at = clock::unix_nanos(now);
    let mut node = Usage::default();
    let mut pods = Vec::new();
    for entry in entries {
        let Some((started, names)) = running_containers(entry, now) else {
            continue;
        };
        let usage = Usage::of_container(config, started, now);
        let mut total = Usage::default();
        let containers = names
            .into_iter()
            .map(|name| {
                total = total.add(usage);
                ContainerStats {
                    name: name.to_owned(),
                    start_time_unix_seconds: started.as_second(),
                    cpu: Some(usage.cpu(at)),
                    memory: Some(usage.memory(at)),
                }
            })
            .collect();
        node = node.add(total);
        pods.push(PodStats {
            pod: Some(pod_ref(entry)),
            start_time_unix_seconds: entry.life.created.as_second(),
            containers,
            cpu: Some(total.cpu(at)),
            memory: Some(total.memory(at)),
        });
    }
    GetStatsSummaryResponse {
        node: Some(NodeStats {
            start_time_unix_seconds: node_started.as_second(),
            cpu: Some(node.cpu(at)),
            memory: Some(node.memory(at)),
        }),
        pods,
    }
}

/// `/metrics/resource`: every running container, and the node total.
pub fn metrics(
    entries: &[Entry],
    config: &UsageConfig,
    now: Timestamp,
) -> GetMetricsResourceResponse {
    let at = clock::unix_nanos(now);
    let mut node = Usage::default();
    let mut containers = Vec::new();
    for entry in entries {
        let Some((started, names)) = running_containers(entry, now) else {
            continue;
        };
        let usage = Usage::of_container(config, started, now);
        for name in names {
            node = node.add(usage);
            containers.push(ContainerMetrics {
                pod: Some(pod_ref(entry)),
                container: name.to_owned(),
                start_time_unix_seconds: started.as_second(),
                cpu: Some(usage.cpu(at)),
                memory: Some(usage.memory(at)),
            });
        }
    }
    GetMetricsResourceResponse {
        containers,
        node_cpu: Some(node.cpu(at)),
        node_memory: Some(node.memory(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_age() {
        let config = UsageConfig::default();
        let started = Timestamp::from_second(1_795_000_000).expect("time");
        let usage = Usage::of_container(
            &config,
            started,
            clock::after(started, Duration::from_secs(10)),
        );
        assert_eq!(usage.nano_cores, 1_000_000);
        // 1/1000 of a core for 10 s is 10 ms of CPU time.
        assert_eq!(usage.core_nano_seconds, 10_000_000);
        assert_eq!(usage.memory_bytes, 16 * 1024 * 1024);
        assert_eq!(
            Usage::of_container(&config, started, started).core_nano_seconds,
            0
        );
    }
}
