//! What the handshake promised: readiness answers in time, every undeclared
//! optional rpc answers UNIMPLEMENTED, and the declared unary features (stats
//! summary, resource metrics, node info, the plugin's own metrics) reply
//! with usable data.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status};
use vk_host::plugin_process::ProbeOutcome;
use vk_proto::v1::{
    Capability, ContainerLogsRequest, ExecInput, ExecStart, GetMetricsResourceRequest,
    GetNodeInfoRequest, GetPluginMetricsRequest, GetStatsSummaryRequest, PodRef, PortForwardInput,
    PortForwardStart, WatchNodeInfoRequest, WatchPodStatusRequest, exec_input, port_forward_input,
};

use crate::context::{Ctx, Outcome, Reply, seconds};
use crate::pods::{CONTAINER, label, pod_ref};

/// The host's probe deadline (proto: "default every 5 s, 2 s deadline").
const PROBE_DEADLINE: Duration = Duration::from_secs(2);
/// How often stats and metrics are asked again while a new pod is missing.
const POLL: Duration = Duration::from_millis(500);

pub async fn probe(cx: &Ctx) -> Outcome {
    match cx.client.probe(PROBE_DEADLINE).await {
        ProbeOutcome::Ready => Ok("ready".into()),
        ProbeOutcome::NotReady(message) => Ok(format!(
            "answered not ready ({message:?}); the host would mark the node NotReady"
        )),
        ProbeOutcome::Failed(why) => Err(format!(
            "Probe: expected an answer within {} (the host's probe deadline), got {why}",
            seconds(PROBE_DEADLINE)
        )),
    }
}

/// Opens a server stream and waits for its first message: an error status
/// is what matters here; a message or a clean end count as OK.
async fn first_message<T>(
    open: impl Future<Output = Result<tonic::Response<tonic::Streaming<T>>, Status>>,
) -> Result<(), Status> {
    let mut stream = open.await?.into_inner();
    stream.message().await.map(|_| ())
}

/// A pod reference nobody created.
fn nobody(cx: &Ctx) -> PodRef {
    pod_ref(&cx.pods.pod("never"))
}

/// Calls every rpc of `capability` once with a plausible request.
async fn call_each(cx: &Ctx, capability: Capability) -> Vec<(&'static str, Reply<()>)> {
    let mut lifecycle = cx.client.lifecycle();
    match capability {
        Capability::PodStatusStream => vec![(
            "WatchPodStatus",
            cx.within(first_message(
                lifecycle.watch_pod_status(WatchPodStatusRequest {}),
            ))
            .await,
        )],
        Capability::ContainerLogs => {
            let request = ContainerLogsRequest {
                pod: Some(nobody(cx)),
                container: CONTAINER.into(),
                ..ContainerLogsRequest::default()
            };
            vec![(
                "GetContainerLogs",
                cx.within(first_message(lifecycle.get_container_logs(request)))
                    .await,
            )]
        }
        Capability::Exec | Capability::Attach => {
            let start = ExecStart {
                pod: Some(nobody(cx)),
                container: CONTAINER.into(),
                command: if capability == Capability::Exec {
                    vec!["true".into()]
                } else {
                    Vec::new()
                },
                stdout: true,
                ..ExecStart::default()
            };
            let (input, input_rx) = mpsc::channel(1);
            let _ = input.try_send(ExecInput {
                input: Some(exec_input::Input::Start(start)),
            });
            let inbound = ReceiverStream::new(input_rx);
            let reply = if capability == Capability::Exec {
                (
                    "Exec",
                    cx.within(first_message(lifecycle.exec(inbound))).await,
                )
            } else {
                (
                    "Attach",
                    cx.within(first_message(lifecycle.attach(inbound))).await,
                )
            };
            drop(input);
            vec![reply]
        }
        Capability::PortForward => {
            let (input, input_rx) = mpsc::channel(1);
            let _ = input.try_send(PortForwardInput {
                input: Some(port_forward_input::Input::Start(PortForwardStart {
                    pod: Some(nobody(cx)),
                    port: 80,
                })),
            });
            let reply = cx
                .within(first_message(
                    lifecycle.port_forward(ReceiverStream::new(input_rx)),
                ))
                .await;
            drop(input);
            vec![("PortForward", reply)]
        }
        Capability::StatsSummary => vec![(
            "GetStatsSummary",
            cx.unary(lifecycle.get_stats_summary(cx.request(GetStatsSummaryRequest {})))
                .await
                .unit(),
        )],
        Capability::MetricsResource => vec![(
            "GetMetricsResource",
            cx.unary(lifecycle.get_metrics_resource(cx.request(GetMetricsResourceRequest {})))
                .await
                .unit(),
        )],
        Capability::PluginMetrics => vec![(
            "GetPluginMetrics",
            cx.unary(lifecycle.get_plugin_metrics(cx.request(GetPluginMetricsRequest {})))
                .await
                .unit(),
        )],
        Capability::NodeInfo => {
            let get = cx
                .unary(lifecycle.get_node_info(cx.request(GetNodeInfoRequest {})))
                .await
                .unit();
            let watch = cx
                .within(first_message(
                    lifecycle.watch_node_info(WatchNodeInfoRequest {}),
                ))
                .await;
            vec![("GetNodeInfo", get), ("WatchNodeInfo", watch)]
        }
        Capability::Unspecified => Vec::new(),
    }
}

/// `undeclared-<capability>`: its rpcs answer UNIMPLEMENTED.
pub async fn undeclared(cx: &Ctx, capability: Capability) -> Outcome {
    let mut rpcs = Vec::new();
    for (rpc, reply) in call_each(cx, capability).await {
        reply.expect(
            Code::Unimplemented,
            &format!(
                "{rpc} while {} is not declared (a plugin must answer UNIMPLEMENTED for every undeclared capability)",
                capability.as_str_name()
            ),
        )?;
        rpcs.push(rpc);
    }
    Ok(format!(
        "{} not declared; {} {} UNIMPLEMENTED",
        capability.as_str_name(),
        rpcs.join(" and "),
        if rpcs.len() > 1 { "answer" } else { "answers" }
    ))
}

/// Asks `call` again until `includes` accepts the reply, the reply lists no
/// pods at all, or the call timeout passes.
async fn until_listed<T, F, Fut>(
    cx: &Ctx,
    rpc: &str,
    pod: &Pod,
    mut call: F,
    listed: impl Fn(&T) -> (usize, bool),
) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Reply<T>>,
{
    let start = Instant::now();
    loop {
        let reply = call()
            .await
            .ok(&format!("{rpc} after CreatePod of {}", label(pod)))?;
        let (count, includes) = listed(&reply);
        if count == 0 {
            return Ok(format!("{rpc} decodes; it lists no pods"));
        }
        if includes {
            return Ok(format!(
                "{rpc} decodes and lists the new pod ({count} entries)"
            ));
        }
        if start.elapsed() >= cx.timeout {
            return Err(format!(
                "{rpc} after CreatePod of {}: expected the pod among the {count} entries it reports within {}, got it missing",
                label(pod),
                seconds(cx.timeout)
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn same_pod(reference: Option<&PodRef>, pod: &Pod) -> bool {
    let want = pod_ref(pod);
    reference.is_some_and(|r| {
        r.uid == want.uid
            || (r.uid.is_empty() && r.namespace == want.namespace && r.name == want.name)
    })
}

pub async fn stats_summary(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("stats");
    cx.create_ok(&pod).await?;
    until_listed(
        cx,
        "GetStatsSummary",
        &pod,
        || {
            let mut lifecycle = cx.client.lifecycle();
            async move {
                cx.unary(lifecycle.get_stats_summary(cx.request(GetStatsSummaryRequest {})))
                    .await
            }
        },
        |reply| {
            (
                reply.pods.len(),
                reply.pods.iter().any(|p| same_pod(p.pod.as_ref(), &pod)),
            )
        },
    )
    .await
}

pub async fn metrics_resource(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("metrics");
    cx.create_ok(&pod).await?;
    until_listed(
        cx,
        "GetMetricsResource",
        &pod,
        || {
            let mut lifecycle = cx.client.lifecycle();
            async move {
                cx.unary(lifecycle.get_metrics_resource(cx.request(GetMetricsResourceRequest {})))
                    .await
            }
        },
        |reply| {
            (
                reply.containers.len(),
                reply
                    .containers
                    .iter()
                    .any(|c| same_pod(c.pod.as_ref(), &pod)),
            )
        },
    )
    .await
}

pub async fn node_info(cx: &Ctx) -> Outcome {
    let info = cx
        .typed(cx.client.get_node_info())
        .await
        .ok("GetNodeInfo")?;
    if !info.capacity.contains_key("pods") && !info.capacity.contains_key("cpu") {
        return Err(format!(
            "GetNodeInfo: expected `capacity` with a \"pods\" or \"cpu\" key, got {:?}",
            info.capacity
        ));
    }
    let mut capacity: Vec<String> = info
        .capacity
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    capacity.sort();
    Ok(format!("capacity {}", capacity.join(", ")))
}

/// `plugin-metrics`: GetPluginMetrics answers within the host's scrape
/// deadline, and the host would export every family and metric of the
/// reply (the host's own conversion decides: names, labels, values,
/// histogram buckets, limits).
pub async fn plugin_metrics(cx: &Ctx) -> Outcome {
    let reply = cx.typed(cx.client.get_plugin_metrics()).await.ok(
        "GetPluginMetrics (the host asks at every scrape of its /metrics, with a 2 s deadline)",
    )?;
    let name = &cx.client.identity().name;
    let mut out = String::new();
    let report = vk_host::metrics::plugin_export::convert(
        name,
        &reply.families,
        &mut Default::default(),
        &mut out,
    );
    if let Some(problem) = report.first_problem {
        let dropped: Vec<String> = report
            .dropped
            .iter()
            .map(|(why, n)| format!("{n} {}", why.as_str()))
            .collect();
        return Err(format!(
            "GetPluginMetrics: expected families the host exports whole (see the rpc's comment in provider.proto), got some left out ({}): first, {problem}",
            dropped.join(", ")
        ));
    }
    let samples: usize = reply.families.iter().map(|f| f.metrics.len()).sum();
    Ok(format!(
        "{} families, {samples} metrics, all exported",
        reply.families.len()
    ))
}
