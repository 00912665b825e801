//! `vk-faulty-plugin MODE`: a plugin that misbehaves in exactly one way, so
//! tests can prove that vk-host and the conformance checker name each fault.
//! Written against the raw protocol (not the SDK), like a plugin in another
//! language would be, because the SDK would not let it misbehave.
//!
//! Modes: `healthy`, `exit-early`, `never-bind`, `wrong-version`, `not-grpc`,
//! `huge-stderr`, `huge-reply` (GetPods), `huge-status` (GetPodStatus),
//! `ignore-sigterm`, `broken-contract`, `malformed-statuses` (pushes 100
//! statuses a second that are not a PodStatus).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;

use bytes::Bytes;
use futures::Stream;
use tokio::io::AsyncWriteExt as _;
use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::{Request, Response, Status, Streaming};
use vk_proto::auth::RequireSecret;
use vk_proto::v1::plugin_identity_server::{PluginIdentity, PluginIdentityServer};
use vk_proto::v1::pod_lifecycle_server::{PodLifecycle, PodLifecycleServer};
use vk_proto::v1::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Healthy,
    ExitEarly,
    NeverBind,
    WrongVersion,
    NotGrpc,
    HugeStderr,
    HugeReply,
    HugeStatus,
    IgnoreSigterm,
    BrokenContract,
    MalformedStatuses,
}

impl Mode {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "healthy" => Self::Healthy,
            "exit-early" => Self::ExitEarly,
            "never-bind" => Self::NeverBind,
            "wrong-version" => Self::WrongVersion,
            "not-grpc" => Self::NotGrpc,
            "huge-stderr" => Self::HugeStderr,
            "huge-reply" => Self::HugeReply,
            "huge-status" => Self::HugeStatus,
            "malformed-statuses" => Self::MalformedStatuses,
            "ignore-sigterm" => Self::IgnoreSigterm,
            "broken-contract" => Self::BrokenContract,
            _ => return None,
        })
    }
}

/// Size of the `huge-reply` GetPods and `huge-status` GetPodStatus answers:
/// twice the host's default limit.
const HUGE_REPLY_BYTES: usize = 2 * vk_proto::DEFAULT_MAX_MESSAGE_BYTES;

#[tokio::main]
async fn main() {
    let mode_text = std::env::args().nth(1).unwrap_or_else(|| "healthy".into());
    let Some(mode) = Mode::parse(&mode_text) else {
        eprintln!("vk-faulty-plugin: unknown mode {mode_text:?}");
        std::process::exit(2);
    };
    let socket = std::env::var(vk_proto::env::PLUGIN_SOCKET).expect("launched by vk-host");
    let secret_file = std::env::var(vk_proto::env::SECRET_FILE).expect("launched by vk-host");
    let secret = std::fs::read_to_string(secret_file).expect("secret file");
    eprintln!("faulty plugin starting in mode {mode_text}");

    match mode {
        Mode::ExitEarly => {
            eprintln!("faulty: cannot start: the widget backend is unreachable");
            std::process::exit(3);
        }
        Mode::NeverBind => std::future::pending::<()>().await,
        Mode::HugeStderr => {
            let line = vec![b'x'; 10 * 1024 * 1024];
            let mut stderr = tokio::io::stderr();
            stderr.write_all(&line).await.expect("stderr");
            stderr
                .write_all(b"\nafter the huge line\n")
                .await
                .expect("stderr");
        }
        Mode::NotGrpc => {
            let listener = UnixListener::bind(&socket).expect("bind");
            loop {
                if let Ok((mut stream, _)) = listener.accept().await {
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\n\r\nthis is not gRPC\n")
                        .await;
                }
            }
        }
        Mode::IgnoreSigterm => {
            // The handler replaces the default action; the signal is then ignored.
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("signal handler");
            tokio::spawn(async move {
                while term.recv().await.is_some() {
                    eprintln!("faulty: ignoring SIGTERM");
                }
            });
        }
        _ => {}
    }

    let listener = UnixListener::bind(&socket).expect("bind the plugin socket");
    let auth = RequireSecret::new(secret.trim());
    let unlimited = usize::MAX;
    tonic::transport::Server::builder()
        .add_service(tonic::service::interceptor::InterceptedService::new(
            PluginIdentityServer::new(Identity { mode }),
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            PodLifecycleServer::new(Lifecycle {
                mode,
                pods: Mutex::default(),
            })
            .max_encoding_message_size(unlimited),
            auth,
        ))
        .serve_with_incoming(UnixListenerStream::new(listener))
        .await
        .expect("serve");
}

struct Identity {
    mode: Mode,
}

#[tonic::async_trait]
impl PluginIdentity for Identity {
    async fn handshake(
        &self,
        _: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        let protocol_version = if self.mode == Mode::WrongVersion {
            99
        } else {
            1
        };
        let capabilities = if self.mode == Mode::MalformedStatuses {
            vec![Capability::PodStatusStream as i32]
        } else {
            Vec::new()
        };
        Ok(Response::new(HandshakeResponse {
            protocol_version,
            name: "faulty".into(),
            version: "0.0.0".into(),
            capabilities,
        }))
    }

    async fn probe(&self, _: Request<ProbeRequest>) -> Result<Response<ProbeResponse>, Status> {
        Ok(Response::new(ProbeResponse {
            ready: true,
            message: String::new(),
        }))
    }

    async fn shutdown(
        &self,
        _: Request<ShutdownRequest>,
    ) -> Result<Response<ShutdownResponse>, Status> {
        eprintln!("faulty: shutdown requested");
        if self.mode != Mode::IgnoreSigterm {
            tokio::spawn(async {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                eprintln!("faulty: exiting after shutdown");
                std::process::exit(0);
            });
        }
        Ok(Response::new(ShutdownResponse {}))
    }
}

/// Pods held, by namespace/name, as (uid, json).
struct Lifecycle {
    mode: Mode,
    pods: Mutex<HashMap<String, (String, Bytes)>>,
}

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn identity_of(json: &[u8]) -> Result<(String, String), Status> {
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| Status::invalid_argument(format!("pod is not JSON: {e}")))?;
    let meta = &value["metadata"];
    let text = |key: &str| meta[key].as_str().unwrap_or_default().to_owned();
    let (namespace, name, uid) = (text("namespace"), text("name"), text("uid"));
    if namespace.is_empty() || name.is_empty() || uid.is_empty() {
        return Err(Status::invalid_argument(
            "pod metadata needs namespace, name and uid",
        ));
    }
    Ok((format!("{namespace}/{name}"), uid))
}

fn unimplemented<T>() -> Result<T, Status> {
    Err(Status::unimplemented("not declared"))
}

#[tonic::async_trait]
impl PodLifecycle for Lifecycle {
    async fn create_pod(
        &self,
        request: Request<CreatePodRequest>,
    ) -> Result<Response<CreatePodResponse>, Status> {
        let json = request.into_inner().pod;
        let (key, uid) = identity_of(&json)?;
        let mut pods = self.pods.lock().expect("pods lock");
        if self.mode == Mode::BrokenContract && pods.contains_key(&key) {
            // Broken on purpose: a repeated create becomes a second pod.
            let duplicate = format!("{key}#{}", pods.len());
            pods.insert(duplicate, (uid, json));
        } else {
            pods.entry(key).or_insert((uid, json));
        }
        Ok(Response::new(CreatePodResponse {}))
    }

    async fn update_pod(
        &self,
        request: Request<UpdatePodRequest>,
    ) -> Result<Response<UpdatePodResponse>, Status> {
        let json = request.into_inner().pod;
        let (key, uid) = identity_of(&json)?;
        let mut pods = self.pods.lock().expect("pods lock");
        match pods.get_mut(&key) {
            Some(held) => *held = (uid, json),
            None => return Err(Status::not_found(key)),
        }
        Ok(Response::new(UpdatePodResponse {}))
    }

    async fn delete_pod(
        &self,
        request: Request<DeletePodRequest>,
    ) -> Result<Response<DeletePodResponse>, Status> {
        let (key, _) = identity_of(&request.into_inner().pod)?;
        if self.mode != Mode::BrokenContract {
            self.pods.lock().expect("pods lock").remove(&key);
        }
        Ok(Response::new(DeletePodResponse {}))
    }

    async fn get_pod(
        &self,
        request: Request<GetPodRequest>,
    ) -> Result<Response<GetPodResponse>, Status> {
        let pod = request.into_inner().pod.unwrap_or_default();
        let key = format!("{}/{}", pod.namespace, pod.name);
        let pods = self.pods.lock().expect("pods lock");
        let (_, json) = pods.get(&key).ok_or_else(|| Status::not_found(key))?;
        Ok(Response::new(GetPodResponse { pod: json.clone() }))
    }

    async fn get_pod_status(
        &self,
        request: Request<GetPodStatusRequest>,
    ) -> Result<Response<GetPodStatusResponse>, Status> {
        let pod = request.into_inner().pod.unwrap_or_default();
        let key = format!("{}/{}", pod.namespace, pod.name);
        if !self.pods.lock().expect("pods lock").contains_key(&key) {
            return Err(Status::not_found(key));
        }
        if self.mode == Mode::HugeStatus {
            return Ok(Response::new(GetPodStatusResponse {
                status: Bytes::from(vec![b' '; HUGE_REPLY_BYTES]),
            }));
        }
        Ok(Response::new(GetPodStatusResponse {
            status: Bytes::from_static(br#"{"phase":"Running"}"#),
        }))
    }

    async fn get_pods(
        &self,
        _: Request<GetPodsRequest>,
    ) -> Result<Response<GetPodsResponse>, Status> {
        if self.mode == Mode::HugeReply {
            return Ok(Response::new(GetPodsResponse {
                pods: vec![Bytes::from(vec![b' '; HUGE_REPLY_BYTES])],
            }));
        }
        let pods = self.pods.lock().expect("pods lock");
        Ok(Response::new(GetPodsResponse {
            pods: pods.values().map(|(_, json)| json.clone()).collect(),
        }))
    }

    type WatchPodStatusStream = ServerStream<PodStatusEvent>;
    async fn watch_pod_status(
        &self,
        _: Request<WatchPodStatusRequest>,
    ) -> Result<Response<Self::WatchPodStatusStream>, Status> {
        if self.mode != Mode::MalformedStatuses {
            return unimplemented();
        }
        let malformed = PodStatusEvent {
            pod: Some(PodRef {
                namespace: "default".into(),
                name: "flood".into(),
                uid: "flood-uid".into(),
            }),
            status: Bytes::from_static(br#"{"phase": 7}"#),
            events: Vec::new(),
        };
        let flood = futures::stream::unfold(malformed, |malformed| async move {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            Some((Ok(malformed.clone()), malformed))
        });
        Ok(Response::new(Box::pin(flood)))
    }

    type GetContainerLogsStream = ServerStream<LogChunk>;
    async fn get_container_logs(
        &self,
        _: Request<ContainerLogsRequest>,
    ) -> Result<Response<Self::GetContainerLogsStream>, Status> {
        unimplemented()
    }

    type ExecStream = ServerStream<ExecOutput>;
    async fn exec(
        &self,
        _: Request<Streaming<ExecInput>>,
    ) -> Result<Response<Self::ExecStream>, Status> {
        unimplemented()
    }

    type AttachStream = ServerStream<ExecOutput>;
    async fn attach(
        &self,
        _: Request<Streaming<ExecInput>>,
    ) -> Result<Response<Self::AttachStream>, Status> {
        unimplemented()
    }

    type PortForwardStream = ServerStream<PortForwardOutput>;
    async fn port_forward(
        &self,
        _: Request<Streaming<PortForwardInput>>,
    ) -> Result<Response<Self::PortForwardStream>, Status> {
        unimplemented()
    }

    async fn get_stats_summary(
        &self,
        _: Request<GetStatsSummaryRequest>,
    ) -> Result<Response<GetStatsSummaryResponse>, Status> {
        unimplemented()
    }

    async fn get_metrics_resource(
        &self,
        _: Request<GetMetricsResourceRequest>,
    ) -> Result<Response<GetMetricsResourceResponse>, Status> {
        unimplemented()
    }

    async fn get_plugin_metrics(
        &self,
        _: Request<GetPluginMetricsRequest>,
    ) -> Result<Response<GetPluginMetricsResponse>, Status> {
        unimplemented()
    }

    async fn get_node_info(
        &self,
        _: Request<GetNodeInfoRequest>,
    ) -> Result<Response<NodeInfo>, Status> {
        unimplemented()
    }

    type WatchNodeInfoStream = ServerStream<NodeInfo>;
    async fn watch_node_info(
        &self,
        _: Request<WatchNodeInfoRequest>,
    ) -> Result<Response<Self::WatchNodeInfoStream>, Status> {
        unimplemented()
    }
}
