//! `/metrics/resource`: the plugin's GetMetricsResource as the kubelet's
//! resource metrics (Prometheus text format 0.0.4, the kubelet's metric and
//! label names), which metrics-server reads for `kubectl top`. Written by hand:
//! eight fixed families from a structured reply need no registry, and the
//! kubelet's explicit sample timestamps are plain to emit.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use vk_proto::v1::{CpuStats, GetMetricsResourceResponse, MemoryStats};

use super::stats::{sum_cpu, sum_memory};
use crate::kubelet_api::{ApiError, ApiState};
use crate::plugin_process::CallError;

const CONTENT_TYPE_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn handler(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let reply = state.plugin_client()?.get_metrics_resource().await;
    // Like the kubelet, a failed collection is still a scrape: the families
    // are empty and resource_scrape_error is 1. A capability the plugin did
    // not declare is 501, as on every route.
    let text = match reply {
        Ok(reply) => render(&reply, false),
        Err(error @ CallError::Unsupported { .. }) => return Err(error.into()),
        Err(error) => {
            tracing::warn!(%error, "GetMetricsResource failed");
            render(&GetMetricsResourceResponse::default(), true)
        }
    };
    Ok(([(CONTENT_TYPE, CONTENT_TYPE_TEXT)], text).into_response())
}

/// Label names and values of one sample.
type Labels = Vec<(&'static str, String)>;

/// One sample: labels, value, timestamp in milliseconds.
type Sample = (Labels, String, Option<i64>);

/// A pod's container samples, to sum.
type PodUsage<'a> = (Vec<&'a CpuStats>, Vec<&'a MemoryStats>);

/// One family: name, help, type, samples.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<Sample>,
}

/// The exposition text. Pure.
pub fn render(reply: &GetMetricsResourceResponse, scrape_error: bool) -> String {
    let mut families = empty_families();
    let pods = container_samples(&mut families, reply);
    node_samples(&mut families, reply);
    pod_samples(&mut families, &pods);
    families[7]
        .samples
        .push((vec![], if scrape_error { "1" } else { "0" }.into(), None));
    exposition(&families)
}

/// The eight families, in the kubelet's order, without samples.
fn empty_families() -> Vec<Family> {
    vec![
        family(
            "container_cpu_usage_seconds_total",
            "Cumulative cpu time consumed by the container in core-seconds",
            "counter",
        ),
        family(
            "container_memory_working_set_bytes",
            "Current working set of the container in bytes",
            "gauge",
        ),
        family(
            "container_start_time_seconds",
            "Start time of the container since unix epoch in seconds",
            "gauge",
        ),
        family(
            "node_cpu_usage_seconds_total",
            "Cumulative cpu time consumed by the node in core-seconds",
            "counter",
        ),
        family(
            "node_memory_working_set_bytes",
            "Current working set of the node in bytes",
            "gauge",
        ),
        family(
            "pod_cpu_usage_seconds_total",
            "Cumulative cpu time consumed by the pod in core-seconds",
            "counter",
        ),
        family(
            "pod_memory_working_set_bytes",
            "Current working set of the pod in bytes",
            "gauge",
        ),
        family(
            "resource_scrape_error",
            "1 if there was an error while getting container metrics, 0 otherwise",
            "gauge",
        ),
    ]
}

/// The containers' samples; returns their usage by pod, to sum.
fn container_samples<'a>(
    families: &mut [Family],
    reply: &'a GetMetricsResourceResponse,
) -> BTreeMap<(String, String), PodUsage<'a>> {
    let mut pods: BTreeMap<(String, String), PodUsage<'a>> = BTreeMap::new();
    for container in &reply.containers {
        let pod = container.pod.clone().unwrap_or_default();
        let labels = vec![
            ("container", container.container.clone()),
            ("namespace", pod.namespace.clone()),
            ("pod", pod.name.clone()),
        ];
        let entry = pods.entry((pod.namespace, pod.name)).or_default();
        if let Some(cpu) = &container.cpu {
            entry.0.push(cpu);
            if let Some(used) = cpu.usage_core_nano_seconds {
                families[0].samples.push((
                    labels.clone(),
                    seconds(used),
                    millis(cpu.timestamp_unix_nanos),
                ));
            }
        }
        if let Some(memory) = &container.memory {
            entry.1.push(memory);
            if let Some(bytes) = memory.working_set_bytes {
                families[1].samples.push((
                    labels.clone(),
                    bytes.to_string(),
                    millis(memory.timestamp_unix_nanos),
                ));
            }
        }
        if container.start_time_unix_seconds > 0 {
            families[2]
                .samples
                .push((labels, container.start_time_unix_seconds.to_string(), None));
        }
    }
    pods
}

fn node_samples(families: &mut [Family], reply: &GetMetricsResourceResponse) {
    if let Some(used) = reply.node_cpu.as_ref().and_then(|c| {
        c.usage_core_nano_seconds
            .map(|u| (u, c.timestamp_unix_nanos))
    }) {
        families[3]
            .samples
            .push((vec![], seconds(used.0), millis(used.1)));
    }
    if let Some(bytes) = reply
        .node_memory
        .as_ref()
        .and_then(|m| m.working_set_bytes.map(|b| (b, m.timestamp_unix_nanos)))
    {
        families[4]
            .samples
            .push((vec![], bytes.0.to_string(), millis(bytes.1)));
    }
}

/// Whole-pod usage: the sum of its containers'.
fn pod_samples(families: &mut [Family], pods: &BTreeMap<(String, String), PodUsage<'_>>) {
    for ((namespace, pod), (cpus, memories)) in pods {
        let labels = vec![("namespace", namespace.clone()), ("pod", pod.clone())];
        if let Some(cpu) = sum_cpu(cpus.iter().copied())
            && let Some(used) = cpu.usage_core_nano_seconds
        {
            families[5].samples.push((
                labels.clone(),
                seconds(used),
                millis(cpu.timestamp_unix_nanos),
            ));
        }
        if let Some(memory) = sum_memory(memories.iter().copied())
            && let Some(bytes) = memory.working_set_bytes
        {
            families[6].samples.push((
                labels,
                bytes.to_string(),
                millis(memory.timestamp_unix_nanos),
            ));
        }
    }
}

/// Prometheus text format 0.0.4.
fn exposition(families: &[Family]) -> String {
    let mut out = String::new();
    for family in families {
        let _ = writeln!(out, "# HELP {} [STABLE] {}", family.name, family.help);
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind);
        for (labels, value, timestamp) in &family.samples {
            out.push_str(family.name);
            if !labels.is_empty() {
                let rendered: Vec<String> = labels
                    .iter()
                    .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
                    .collect();
                let _ = write!(out, "{{{}}}", rendered.join(","));
            }
            let _ = write!(out, " {value}");
            if let Some(ms) = timestamp {
                let _ = write!(out, " {ms}");
            }
            out.push('\n');
        }
    }
    out
}

fn family(name: &'static str, help: &'static str, kind: &'static str) -> Family {
    Family {
        name,
        help,
        kind,
        samples: Vec::new(),
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Nanoseconds as seconds, in the exposition's number form.
fn seconds(nanos: u64) -> String {
    format_float(nanos as f64 / 1e9)
}

/// A sample timestamp in milliseconds, if the plugin gave one.
fn millis(nanos: i64) -> Option<i64> {
    (nanos > 0).then_some(nanos / 1_000_000)
}

/// Go's `%g`-like shortest form Prometheus accepts (`0.5`, `12`, `1e-09`).
fn format_float(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use vk_proto::v1::{ContainerMetrics, PodRef};

    #[test]
    fn containers_pods_and_the_node_use_the_kubelets_names() {
        let cpu = |s: u64| CpuStats {
            timestamp_unix_nanos: 1_764_072_000_123_000_000,
            usage_nano_cores: None,
            usage_core_nano_seconds: Some(s),
        };
        let memory = |b| MemoryStats {
            timestamp_unix_nanos: 1_764_072_000_123_000_000,
            working_set_bytes: Some(b),
            ..MemoryStats::default()
        };
        let container = |name: &str| ContainerMetrics {
            pod: Some(PodRef {
                namespace: "ns".into(),
                name: "p\"q".into(),
                uid: "u".into(),
            }),
            container: name.into(),
            start_time_unix_seconds: 1_764_000_000,
            cpu: Some(cpu(1_500_000_000)),
            memory: Some(memory(1024)),
        };
        let reply = GetMetricsResourceResponse {
            containers: vec![container("a"), container("b")],
            node_cpu: Some(cpu(10_000_000_000)),
            node_memory: Some(memory(4096)),
        };
        let text = render(&reply, false);
        for line in [
            "# TYPE container_cpu_usage_seconds_total counter",
            "container_cpu_usage_seconds_total{container=\"a\",namespace=\"ns\",pod=\"p\\\"q\"} 1.5 1764072000123",
            "container_memory_working_set_bytes{container=\"b\",namespace=\"ns\",pod=\"p\\\"q\"} 1024 1764072000123",
            "container_start_time_seconds{container=\"a\",namespace=\"ns\",pod=\"p\\\"q\"} 1764000000",
            "node_cpu_usage_seconds_total 10 1764072000123",
            "node_memory_working_set_bytes 4096 1764072000123",
            "pod_cpu_usage_seconds_total{namespace=\"ns\",pod=\"p\\\"q\"} 3 1764072000123",
            "pod_memory_working_set_bytes{namespace=\"ns\",pod=\"p\\\"q\"} 2048 1764072000123",
            "resource_scrape_error 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
        assert!(
            render(&GetMetricsResourceResponse::default(), true)
                .contains("resource_scrape_error 1\n")
        );
    }
}
