//! `serve_with` over a real Unix socket in a tempdir, called with raw gRPC
//! clients: the per-launch secret is enforced, the handshake reports the
//! provider's capabilities, undeclared capabilities are UNIMPLEMENTED,
//! malformed pods are INVALID_ARGUMENT, exec output precedes its exit, and
//! the shutdown rpc stops the server.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vk_plugin_sdk::proto::plugin_identity_client::PluginIdentityClient;
use vk_plugin_sdk::proto::pod_lifecycle_client::PodLifecycleClient;
use vk_plugin_sdk::proto::{
    Capability, CreatePodRequest, ExecInput, ExecStart, GetStatsSummaryRequest, HandshakeRequest,
    PodRef, ShutdownRequest, exec_input, exec_output,
};
use vk_plugin_sdk::{
    ExecRequest, ExecSession, ExitStatus, Launch, PluginInfo, PodKey, Provider, ProviderError,
};
use vk_proto::auth::AddSecret;

/// Holds nothing; runs `exec` by printing its argv twice, then exiting 7.
struct Echo;

#[vk_plugin_sdk::async_trait]
impl Provider for Echo {
    fn capabilities(&self) -> Vec<Capability> {
        vec![Capability::Exec]
    }
    async fn create_pod(&self, _: Pod) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn update_pod(&self, _: Pod) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn delete_pod(&self, _: Pod) -> Result<(), ProviderError> {
        Ok(())
    }
    async fn get_pod(&self, key: &PodKey) -> Result<Pod, ProviderError> {
        Err(ProviderError::NotFound(key.to_string()))
    }
    async fn get_pod_status(&self, key: &PodKey) -> Result<PodStatus, ProviderError> {
        Err(ProviderError::NotFound(key.to_string()))
    }
    async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError> {
        Ok(Vec::new())
    }
    async fn exec(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let line = format!("{}\n", request.command.join(" "));
        for _ in 0..2 {
            session
                .stdout
                .send(line.clone().into())
                .await
                .map_err(|e| ProviderError::internal("stdout", e))?;
        }
        Ok(ExitStatus::code(7))
    }
}

struct Served {
    _dir: tempfile::TempDir,
    socket: std::path::PathBuf,
    secret: String,
    server: tokio::task::JoinHandle<Result<(), vk_plugin_sdk::ServeError>>,
}

async fn serve_echo() -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "0123abcd\n").expect("secret");
    let socket = dir.path().join("plugin.sock");
    let values = [
        (
            vk_proto::env::MAGIC_COOKIE,
            vk_proto::MAGIC_COOKIE.to_owned(),
        ),
        (vk_proto::env::PLUGIN_SOCKET, socket.display().to_string()),
        (
            vk_proto::env::HOST_SOCKET,
            dir.path().join("host.sock").display().to_string(),
        ),
        (vk_proto::env::PROTOCOL_VERSIONS, "1".to_owned()),
        (
            vk_proto::env::SECRET_FILE,
            secret_file.display().to_string(),
        ),
    ];
    let mut launch = Launch::from_lookup(|name| {
        values
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("launch");
    launch.stdin_is_host_pipe = false;
    let server = tokio::spawn(vk_plugin_sdk::serve_with(
        launch,
        PluginInfo::new("echo", "1.0.0"),
        Echo,
    ));
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Served {
        _dir: dir,
        socket,
        secret: "0123abcd".into(),
        server,
    }
}

type Authed = InterceptedService<Channel, AddSecret>;

async fn clients(served: &Served) -> (PluginIdentityClient<Authed>, PodLifecycleClient<Authed>) {
    let channel = vk_proto::uds::connect(&served.socket)
        .await
        .expect("connect");
    let secret = AddSecret::new(&served.secret).expect("secret");
    (
        PluginIdentityClient::with_interceptor(channel.clone(), secret.clone()),
        PodLifecycleClient::with_interceptor(channel, secret),
    )
}

#[tokio::test]
async fn calls_without_the_secret_are_unauthenticated() {
    let served = serve_echo().await;
    let channel = vk_proto::uds::connect(&served.socket)
        .await
        .expect("connect");
    let error = PluginIdentityClient::new(channel)
        .handshake(HandshakeRequest {
            protocol_versions: vec![1],
            ..Default::default()
        })
        .await
        .expect_err("no secret");
    assert_eq!(error.code(), Code::Unauthenticated);
    served.server.abort();
}

#[tokio::test]
async fn the_handshake_reports_version_name_and_capabilities() {
    let served = serve_echo().await;
    let (mut identity, _) = clients(&served).await;
    let reply = identity
        .handshake(HandshakeRequest {
            protocol_versions: vec![1, 2],
            host_version: "test".into(),
            node_name: "vk".into(),
        })
        .await
        .expect("handshake")
        .into_inner();
    assert_eq!(reply.protocol_version, 1);
    assert_eq!(reply.name, "echo");
    assert_eq!(reply.capabilities, vec![Capability::Exec as i32]);
    let refused = identity
        .handshake(HandshakeRequest {
            protocol_versions: vec![2],
            ..Default::default()
        })
        .await
        .expect_err("no common version");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("speaks [1]"),
        "{}",
        refused.message()
    );
    served.server.abort();
}

#[tokio::test]
async fn undeclared_capabilities_and_malformed_pods_are_refused() {
    let served = serve_echo().await;
    let (_, mut lifecycle) = clients(&served).await;
    let error = lifecycle
        .get_stats_summary(GetStatsSummaryRequest {})
        .await
        .expect_err("stats not declared");
    assert_eq!(error.code(), Code::Unimplemented);
    for pod in [
        &b""[..],
        b"not json",
        br#"{"metadata":{"name":"a","namespace":"b"}}"#,
    ] {
        let error = lifecycle
            .create_pod(CreatePodRequest {
                pod: pod.to_vec().into(),
            })
            .await
            .expect_err("malformed");
        assert_eq!(error.code(), Code::InvalidArgument, "{}", error.message());
    }
    served.server.abort();
}

#[tokio::test]
async fn exec_output_arrives_before_its_exit_code() {
    let served = serve_echo().await;
    let (_, mut lifecycle) = clients(&served).await;
    let start = ExecInput {
        input: Some(exec_input::Input::Start(ExecStart {
            pod: Some(PodRef {
                namespace: "ns".into(),
                name: "p".into(),
                uid: String::new(),
            }),
            container: "main".into(),
            command: vec!["hello".into(), "world".into()],
            stdout: true,
            ..Default::default()
        })),
    };
    let mut output = lifecycle
        .exec(futures::stream::iter([start]))
        .await
        .expect("exec")
        .into_inner();
    let mut received = Vec::new();
    while let Some(message) = output.message().await.expect("stream") {
        received.push(message.output.expect("output"));
    }
    assert_eq!(
        received,
        vec![
            exec_output::Output::Stdout("hello world\n".into()),
            exec_output::Output::Stdout("hello world\n".into()),
            exec_output::Output::Exit(vk_plugin_sdk::proto::ExecExit {
                code: 7,
                reason: String::new()
            }),
        ]
    );
    served.server.abort();
}

#[tokio::test]
async fn the_shutdown_rpc_stops_the_server() {
    let served = serve_echo().await;
    let (mut identity, _) = clients(&served).await;
    identity
        .shutdown(ShutdownRequest {
            grace_period_ms: 1000,
        })
        .await
        .expect("shutdown");
    let result = tokio::time::timeout(Duration::from_secs(10), served.server)
        .await
        .expect("the server stops after the shutdown rpc")
        .expect("join");
    assert!(result.is_ok(), "{result:?}");
    assert!(!served.socket.exists(), "the socket is removed");
}
