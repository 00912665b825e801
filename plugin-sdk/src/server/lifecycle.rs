//! `PodLifecycle`: decodes Kubernetes JSON, refuses undeclared capabilities
//! with UNIMPLEMENTED, and calls the [`Provider`].

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::sessions::{self, pod_key};
use crate::proto::pod_lifecycle_server::PodLifecycle;
use crate::proto::*;
use crate::provider::{self, LogsRequest, PortForwardConnection, Provider};

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

pub(crate) struct LifecycleService<P> {
    pub(crate) provider: Arc<P>,
    pub(crate) capabilities: HashSet<Capability>,
}

impl<P: Provider> LifecycleService<P> {
    fn require(&self, capability: Capability) -> Result<(), Status> {
        if self.capabilities.contains(&capability) {
            Ok(())
        } else {
            Err(Status::unimplemented(format!(
                "this plugin did not declare {}",
                capability.as_str_name()
            )))
        }
    }
}

fn decode_pod(bytes: &[u8]) -> Result<Pod, Status> {
    if bytes.is_empty() {
        return Err(Status::invalid_argument("`pod` is required"));
    }
    let pod: Pod = serde_json::from_slice(bytes).map_err(|e| {
        Status::invalid_argument(format!("`pod` is not a Kubernetes Pod in JSON: {e}"))
    })?;
    let meta = &pod.metadata;
    if meta.name.as_deref().unwrap_or("").is_empty()
        || meta.namespace.as_deref().unwrap_or("").is_empty()
        || meta.uid.as_deref().unwrap_or("").is_empty()
    {
        return Err(Status::invalid_argument(
            "`pod.metadata` needs name, namespace and uid",
        ));
    }
    Ok(pod)
}

/// An SDK event as the protocol's `PodEvent`.
fn event_message(event: provider::PodEvent) -> PodEvent {
    let type_ = match event.type_ {
        provider::PodEventType::Normal => PodEventType::Normal,
        provider::PodEventType::Warning => PodEventType::Warning,
    };
    PodEvent {
        r#type: type_ as i32,
        reason: event.reason,
        message: event.message,
        container: event.container.unwrap_or_default(),
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Bytes, Status> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| Status::internal(format!("encoding the reply as JSON: {e}")))
}

#[tonic::async_trait]
impl<P: Provider> PodLifecycle for LifecycleService<P> {
    async fn create_pod(
        &self,
        request: Request<CreatePodRequest>,
    ) -> Result<Response<CreatePodResponse>, Status> {
        let pod = decode_pod(&request.into_inner().pod)?;
        self.provider.create_pod(pod).await?;
        Ok(Response::new(CreatePodResponse {}))
    }

    async fn update_pod(
        &self,
        request: Request<UpdatePodRequest>,
    ) -> Result<Response<UpdatePodResponse>, Status> {
        let pod = decode_pod(&request.into_inner().pod)?;
        self.provider.update_pod(pod).await?;
        Ok(Response::new(UpdatePodResponse {}))
    }

    async fn delete_pod(
        &self,
        request: Request<DeletePodRequest>,
    ) -> Result<Response<DeletePodResponse>, Status> {
        let pod = decode_pod(&request.into_inner().pod)?;
        self.provider.delete_pod(pod).await?;
        Ok(Response::new(DeletePodResponse {}))
    }

    async fn get_pod(
        &self,
        request: Request<GetPodRequest>,
    ) -> Result<Response<GetPodResponse>, Status> {
        let key = pod_key(request.into_inner().pod)?;
        let pod = self.provider.get_pod(&key).await?;
        Ok(Response::new(GetPodResponse { pod: encode(&pod)? }))
    }

    async fn get_pod_status(
        &self,
        request: Request<GetPodStatusRequest>,
    ) -> Result<Response<GetPodStatusResponse>, Status> {
        let key = pod_key(request.into_inner().pod)?;
        let status = self.provider.get_pod_status(&key).await?;
        Ok(Response::new(GetPodStatusResponse {
            status: encode(&status)?,
        }))
    }

    async fn get_pods(
        &self,
        _: Request<GetPodsRequest>,
    ) -> Result<Response<GetPodsResponse>, Status> {
        let pods = self.provider.get_pods().await?;
        let pods = pods.iter().map(encode).collect::<Result<_, _>>()?;
        Ok(Response::new(GetPodsResponse { pods }))
    }

    type WatchPodStatusStream = ServerStream<PodStatusEvent>;

    async fn watch_pod_status(
        &self,
        _: Request<WatchPodStatusRequest>,
    ) -> Result<Response<Self::WatchPodStatusStream>, Status> {
        self.require(Capability::PodStatusStream)?;
        let updates = self.provider.watch_pod_status().await?;
        let events = updates.map(|update| {
            Ok(PodStatusEvent {
                pod: Some(PodRef {
                    namespace: update.pod.namespace,
                    name: update.pod.name,
                    uid: update.pod.uid.unwrap_or_default(),
                }),
                status: match &update.status {
                    Some(status) => encode(status)?,
                    None => Bytes::new(),
                },
                events: update.events.into_iter().map(event_message).collect(),
            })
        });
        Ok(Response::new(Box::pin(events)))
    }

    type GetContainerLogsStream = ServerStream<LogChunk>;

    async fn get_container_logs(
        &self,
        request: Request<ContainerLogsRequest>,
    ) -> Result<Response<Self::GetContainerLogsStream>, Status> {
        self.require(Capability::ContainerLogs)?;
        let request = request.into_inner();
        if request.container.is_empty() {
            return Err(Status::invalid_argument("`container` is required"));
        }
        for (name, value) in [
            ("tail_lines", request.tail_lines),
            ("limit_bytes", request.limit_bytes),
        ] {
            if value.is_some_and(|v| v < 0) {
                return Err(Status::invalid_argument(format!(
                    "`{name}` must not be negative"
                )));
            }
        }
        let logs = self
            .provider
            .container_logs(LogsRequest {
                pod: pod_key(request.pod)?,
                container: request.container,
                tail_lines: request.tail_lines,
                limit_bytes: request.limit_bytes,
                since_unix_seconds: request.since_unix_seconds,
                timestamps: request.timestamps,
                follow: request.follow,
                previous: request.previous,
            })
            .await?;
        let chunks = logs.map(|chunk| chunk.map(|data| LogChunk { data }).map_err(Status::from));
        Ok(Response::new(Box::pin(chunks)))
    }

    type ExecStream = ServerStream<ExecOutput>;

    async fn exec(
        &self,
        request: Request<Streaming<ExecInput>>,
    ) -> Result<Response<Self::ExecStream>, Status> {
        self.require(Capability::Exec)?;
        self.run_exec(request.into_inner(), true).await
    }

    type AttachStream = ServerStream<ExecOutput>;

    async fn attach(
        &self,
        request: Request<Streaming<ExecInput>>,
    ) -> Result<Response<Self::AttachStream>, Status> {
        self.require(Capability::Attach)?;
        self.run_exec(request.into_inner(), false).await
    }

    type PortForwardStream = ServerStream<PortForwardOutput>;

    async fn port_forward(
        &self,
        request: Request<Streaming<PortForwardInput>>,
    ) -> Result<Response<Self::PortForwardStream>, Status> {
        self.require(Capability::PortForward)?;
        let mut inbound = request.into_inner();
        let (pod, port) = sessions::port_forward_start(&mut inbound).await?;
        let from_client = sessions::port_forward_inbound(inbound);
        let (to_client, to_client_rx) = tokio::sync::mpsc::channel(sessions::SESSION_CHANNEL_DEPTH);
        let (result_tx, result_rx) = tokio::sync::oneshot::channel();
        let provider = Arc::clone(&self.provider);
        tokio::spawn(async move {
            let connection = PortForwardConnection {
                from_client,
                to_client,
            };
            let _ = result_tx.send(provider.port_forward(pod, port, connection).await);
        });
        let data = ReceiverStream::new(to_client_rx).map(|data| Ok(PortForwardOutput { data }));
        let ending = futures::stream::once(async move {
            match result_rx.await {
                Ok(Ok(())) | Err(_) => None,
                Ok(Err(error)) => Some(Err(Status::from(error))),
            }
        })
        .filter_map(futures::future::ready);
        Ok(Response::new(Box::pin(data.chain(ending))))
    }

    async fn get_stats_summary(
        &self,
        _: Request<GetStatsSummaryRequest>,
    ) -> Result<Response<GetStatsSummaryResponse>, Status> {
        self.require(Capability::StatsSummary)?;
        Ok(Response::new(self.provider.stats_summary().await?))
    }

    async fn get_metrics_resource(
        &self,
        _: Request<GetMetricsResourceRequest>,
    ) -> Result<Response<GetMetricsResourceResponse>, Status> {
        self.require(Capability::MetricsResource)?;
        Ok(Response::new(self.provider.metrics_resource().await?))
    }

    async fn get_plugin_metrics(
        &self,
        _: Request<GetPluginMetricsRequest>,
    ) -> Result<Response<GetPluginMetricsResponse>, Status> {
        self.require(Capability::PluginMetrics)?;
        Ok(Response::new(GetPluginMetricsResponse {
            families: self.provider.plugin_metrics().await?,
        }))
    }

    async fn get_node_info(
        &self,
        _: Request<GetNodeInfoRequest>,
    ) -> Result<Response<NodeInfo>, Status> {
        self.require(Capability::NodeInfo)?;
        Ok(Response::new(self.provider.node_info().await?))
    }

    type WatchNodeInfoStream = ServerStream<NodeInfo>;

    async fn watch_node_info(
        &self,
        _: Request<WatchNodeInfoRequest>,
    ) -> Result<Response<Self::WatchNodeInfoStream>, Status> {
        self.require(Capability::NodeInfo)?;
        let infos = self.provider.watch_node_info().await?;
        Ok(Response::new(Box::pin(infos.map(Ok))))
    }
}

impl<P: Provider> LifecycleService<P> {
    async fn run_exec(
        &self,
        mut inbound: Streaming<ExecInput>,
        is_exec: bool,
    ) -> Result<Response<ServerStream<ExecOutput>>, Status> {
        let request = sessions::exec_start(&mut inbound, is_exec).await?;
        let plumbing = sessions::exec_session(inbound);
        let provider = Arc::clone(&self.provider);
        let (session, output_tx) = (plumbing.session, plumbing.last);
        let output_done = plumbing.output_done;
        tokio::spawn(async move {
            let result = if is_exec {
                provider.exec(request, session).await
            } else {
                provider.attach(request, session).await
            };
            // All output before the exit status.
            let _ = output_done.await;
            let last = match result {
                Ok(status) => Ok(ExecOutput {
                    output: Some(exec_output::Output::Exit(ExecExit {
                        code: status.code,
                        reason: status.reason,
                    })),
                }),
                Err(error) => Err(Status::from(error)),
            };
            let _ = output_tx.send(last).await;
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(
            plumbing.output,
        ))))
    }
}
