//! `/stats/summary`: the plugin's GetStatsSummary in the kubelet's
//! `stats/v1alpha1` Summary JSON (what metrics-server v0.3 and `kubectl get
//! --raw .../proxy/stats/summary` read). Whole-pod usage the plugin leaves
//! unset is the sum of its containers, as the proto promises.

use axum::Json;
use axum::extract::State;
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};
use vk_proto::v1::{CpuStats, GetStatsSummaryResponse, MemoryStats};

use crate::kubelet_api::{ApiError, ApiState};

pub async fn handler(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let reply = state.plugin_client()?.get_stats_summary().await?;
    Ok(Json(summary_json(&state.node_name, &reply)))
}

/// The kubelet's Summary for the plugin's answer. Pure.
pub fn summary_json(node_name: &str, summary: &GetStatsSummaryResponse) -> Value {
    let node = summary.node.unwrap_or_default();
    let mut node_json = Map::new();
    node_json.insert("nodeName".into(), json!(node_name));
    node_json.insert("systemContainers".into(), json!([]));
    insert_time(&mut node_json, "startTime", node.start_time_unix_seconds);
    if let Some(cpu) = &node.cpu {
        node_json.insert("cpu".into(), cpu_json(cpu));
    }
    if let Some(memory) = &node.memory {
        node_json.insert("memory".into(), memory_json(memory));
    }
    let pods: Vec<Value> = summary
        .pods
        .iter()
        .map(|pod| {
            let reference = pod.pod.clone().unwrap_or_default();
            let mut pod_json = Map::new();
            pod_json.insert(
                "podRef".into(),
                json!({ "name": reference.name, "namespace": reference.namespace, "uid": reference.uid }),
            );
            insert_time(&mut pod_json, "startTime", pod.start_time_unix_seconds);
            let containers: Vec<Value> = pod
                .containers
                .iter()
                .map(|c| {
                    let mut container = Map::new();
                    container.insert("name".into(), json!(c.name));
                    insert_time(&mut container, "startTime", c.start_time_unix_seconds);
                    if let Some(cpu) = &c.cpu {
                        container.insert("cpu".into(), cpu_json(cpu));
                    }
                    if let Some(memory) = &c.memory {
                        container.insert("memory".into(), memory_json(memory));
                    }
                    Value::Object(container)
                })
                .collect();
            pod_json.insert("containers".into(), Value::Array(containers));
            let cpu = pod.cpu.or_else(|| {
                sum_cpu(pod.containers.iter().filter_map(|c| c.cpu.as_ref()))
            });
            let memory = pod.memory.or_else(|| {
                sum_memory(pod.containers.iter().filter_map(|c| c.memory.as_ref()))
            });
            if let Some(cpu) = &cpu {
                pod_json.insert("cpu".into(), cpu_json(cpu));
            }
            if let Some(memory) = &memory {
                pod_json.insert("memory".into(), memory_json(memory));
            }
            Value::Object(pod_json)
        })
        .collect();
    json!({ "node": Value::Object(node_json), "pods": pods })
}

fn insert_time(object: &mut Map<String, Value>, key: &str, unix_seconds: i64) {
    if unix_seconds > 0
        && let Ok(time) = Timestamp::from_second(unix_seconds)
    {
        object.insert(key.into(), json!(time.to_string()));
    }
}

fn sample_time(unix_nanos: i64) -> Value {
    Timestamp::from_nanosecond(i128::from(unix_nanos))
        .or_else(|_| Timestamp::from_second(0))
        .map_or(Value::Null, |t| json!(t.to_string()))
}

fn cpu_json(cpu: &CpuStats) -> Value {
    let mut out = Map::new();
    out.insert("time".into(), sample_time(cpu.timestamp_unix_nanos));
    if let Some(v) = cpu.usage_nano_cores {
        out.insert("usageNanoCores".into(), json!(v));
    }
    if let Some(v) = cpu.usage_core_nano_seconds {
        out.insert("usageCoreNanoSeconds".into(), json!(v));
    }
    Value::Object(out)
}

fn memory_json(memory: &MemoryStats) -> Value {
    let mut out = Map::new();
    out.insert("time".into(), sample_time(memory.timestamp_unix_nanos));
    for (key, value) in [
        ("availableBytes", memory.available_bytes),
        ("usageBytes", memory.usage_bytes),
        ("workingSetBytes", memory.working_set_bytes),
        ("rssBytes", memory.rss_bytes),
    ] {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    }
    Value::Object(out)
}

/// The sum of the samples; a field is summed only when every sample has it.
pub(super) fn sum_cpu<'a>(samples: impl Iterator<Item = &'a CpuStats>) -> Option<CpuStats> {
    let samples: Vec<&CpuStats> = samples.collect();
    if samples.is_empty() {
        return None;
    }
    let sum = |field: fn(&CpuStats) -> Option<u64>| {
        samples
            .iter()
            .map(|s| field(s))
            .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
    };
    Some(CpuStats {
        timestamp_unix_nanos: samples
            .iter()
            .map(|s| s.timestamp_unix_nanos)
            .max()
            .unwrap_or(0),
        usage_nano_cores: sum(|s| s.usage_nano_cores),
        usage_core_nano_seconds: sum(|s| s.usage_core_nano_seconds),
    })
}

/// The sum of the samples; a field is summed only when every sample has it.
pub(super) fn sum_memory<'a>(
    samples: impl Iterator<Item = &'a MemoryStats>,
) -> Option<MemoryStats> {
    let samples: Vec<&MemoryStats> = samples.collect();
    if samples.is_empty() {
        return None;
    }
    let sum = |field: fn(&MemoryStats) -> Option<u64>| {
        samples
            .iter()
            .map(|s| field(s))
            .try_fold(0u64, |acc, v| v.map(|v| acc.saturating_add(v)))
    };
    Some(MemoryStats {
        timestamp_unix_nanos: samples
            .iter()
            .map(|s| s.timestamp_unix_nanos)
            .max()
            .unwrap_or(0),
        usage_bytes: sum(|s| s.usage_bytes),
        working_set_bytes: sum(|s| s.working_set_bytes),
        rss_bytes: sum(|s| s.rss_bytes),
        available_bytes: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vk_proto::v1::{ContainerStats, NodeStats, PodRef, PodStats};

    #[test]
    fn the_summary_has_the_kubelets_shape_and_pods_sum_their_containers() {
        let cpu = |n| CpuStats {
            timestamp_unix_nanos: 1_764_072_000_000_000_000,
            usage_nano_cores: Some(n),
            usage_core_nano_seconds: Some(n * 10),
        };
        let memory = |n| MemoryStats {
            timestamp_unix_nanos: 1_764_072_000_000_000_000,
            working_set_bytes: Some(n),
            ..MemoryStats::default()
        };
        let summary = GetStatsSummaryResponse {
            node: Some(NodeStats {
                start_time_unix_seconds: 1_764_000_000,
                cpu: Some(cpu(5)),
                memory: Some(memory(100)),
            }),
            pods: vec![PodStats {
                pod: Some(PodRef {
                    namespace: "ns".into(),
                    name: "p".into(),
                    uid: "u".into(),
                }),
                start_time_unix_seconds: 1_764_000_100,
                containers: vec![
                    ContainerStats {
                        name: "a".into(),
                        start_time_unix_seconds: 1_764_000_100,
                        cpu: Some(cpu(1)),
                        memory: Some(memory(10)),
                    },
                    ContainerStats {
                        name: "b".into(),
                        start_time_unix_seconds: 1_764_000_100,
                        cpu: Some(cpu(2)),
                        memory: Some(memory(20)),
                    },
                ],
                cpu: None,
                memory: None,
            }],
        };
        let json = summary_json("vk-1", &summary);
        assert_eq!(json["node"]["nodeName"], "vk-1");
        assert_eq!(json["node"]["startTime"], "2025-11-24T16:00:00Z");
        assert_eq!(json["node"]["cpu"]["usageNanoCores"], 5);
        let pod = &json["pods"][0];
        assert_eq!(
            pod["podRef"],
            json!({"name": "p", "namespace": "ns", "uid": "u"})
        );
        assert_eq!(pod["containers"][1]["name"], "b");
        assert_eq!(pod["cpu"]["usageNanoCores"], 3);
        assert_eq!(pod["cpu"]["usageCoreNanoSeconds"], 30);
        assert_eq!(pod["memory"]["workingSetBytes"], 30);
        assert!(
            pod["memory"].get("usageBytes").is_none(),
            "unknown stays unset"
        );
    }
}
