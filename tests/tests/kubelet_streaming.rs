//! The kubelet API's streaming routes (`/exec`, `/attach`, `/portForward`,
//! `/run`): first served in process over plain HTTP, against a real mock
//! plugin process and a real kube-apiserver (for the bound-pod rule), with a
//! tokio-tungstenite client speaking the channel protocols v4 and v5 and a
//! SPDY/3.1 client speaking v4, v3, v2 and channel.k8s.io as an API server
//! before 1.36 does; then end to end, the real vk-host behind the real
//! kube-apiserver with kubectl, checking which upgrade reached the node
//! (SPDY/3.1 or WebSocket, by the API server's version and feature gates).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{DeleteParams, PostParams};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use vk_host::kubelet_api::{ApiState, streaming};
use vk_host::plugin_process::{PluginSpec, Supervisor, SupervisorConfig};
use vk_tests::cluster::{Cluster, Identity, node_name};
use vk_tests::cri_node::{self, BUSYBOX, start_loopback_cri};
use vk_tests::port_forward::KubectlPortForward;
use vk_tests::processes::workspace_binary;
use vk_tests::spdy_client::{self, RemoteCommand, StreamSet, Upgrade};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const POD: &str = "shell";
const CONTAINER: &str = "main";
/// Every wait on the server.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An API server pod bound to a node of our own, the mock plugin running it,
/// and the streaming routes served on a loopback port.
struct Fixture {
    namespace: String,
    node: String,
    address: std::net::SocketAddr,
    uid: String,
    supervisor: Option<Supervisor>,
    _runtime: tempfile::TempDir,
    client: kube::Client,
}

impl Fixture {
    async fn start(plugin_config: &str) -> Self {
        let cluster = Cluster::shared();
        let client = cluster.client().await;
        let namespace = cluster.create_namespace("stream").await;
        let node = node_name("stream");
        // A Node object, so the pod garbage collector leaves our pod alone.
        let nodes: kube::Api<Node> = kube::Api::all(client.clone());
        let node_object: Node =
            serde_json::from_value(json!({"metadata": {"name": node}})).expect("node");
        nodes
            .create(&PostParams::default(), &node_object)
            .await
            .expect("creating the Node");
        let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), &namespace);
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": POD, "namespace": namespace},
            "spec": {
                "nodeName": node,
                "containers": [{"name": CONTAINER, "image": "busybox"}],
            },
        }))
        .expect("pod");
        let pod = pods
            .create(&PostParams::default(), &pod)
            .await
            .expect("creating the pod");
        let uid = pod.metadata.uid.clone().expect("uid");

        let runtime = tempfile::tempdir().expect("runtime dir");
        let config = (!plugin_config.is_empty()).then(|| {
            let path = runtime.path().join("mock.toml");
            std::fs::write(&path, plugin_config).expect("plugin config");
            path
        });
        let spec = PluginSpec {
            path: workspace_binary("vk-mock-plugin"),
            args: Vec::new(),
            config,
            runtime_dir: runtime.path().to_owned(),
            env: Default::default(),
        };
        let supervisor = Supervisor::start(
            SupervisorConfig::new(spec, node.clone()),
            &CancellationToken::new(),
        )
        .await
        .expect("starting the mock plugin");
        let plugin = supervisor.client().borrow().clone().expect("plugin client");
        plugin
            .create_pod(&pod)
            .await
            .expect("CreatePod in the mock plugin");

        let state = ApiState {
            node_name: node.clone(),
            client: client.clone(),
            plugin: supervisor.watch(),
            // Empty: every lookup asks the real API server.
            pods: Arc::new(vk_host::pods::NodePods::default()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let app = streaming::routes().with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Self {
            namespace,
            node,
            address,
            uid,
            supervisor: Some(supervisor),
            _runtime: runtime,
            client,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.address)
    }

    fn exec_path(&self, query: &str) -> String {
        format!("/exec/{}/{POD}/{CONTAINER}?{query}", self.namespace)
    }

    /// Opens a WebSocket offering `protocols`.
    async fn connect(&self, path: &str, protocols: &str) -> Result<Ws, WsError> {
        let mut request = self.url(path).into_client_request().expect("request");
        if !protocols.is_empty() {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                protocols.parse().expect("header value"),
            );
        }
        let (ws, _response) =
            tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(request))
                .await
                .expect("the handshake timed out")?;
        Ok(ws)
    }

    /// The HTTP refusal of a WebSocket request: status and `metav1.Status`.
    async fn refused(&self, path: &str, protocols: &str) -> (u16, Value) {
        match self.connect(path, protocols).await {
            Ok(_) => panic!("{path} was upgraded; expected a refusal"),
            Err(WsError::Http(response)) => {
                let body = response.body().clone().unwrap_or_default();
                let status: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
                    panic!(
                        "{path}: body is not JSON ({e}): {}",
                        String::from_utf8_lossy(&body)
                    )
                });
                (response.status().as_u16(), status)
            }
            Err(other) => panic!("{path}: {other}"),
        }
    }

    /// A plain HTTP request (no upgrade): status and the whole response.
    async fn http(&self, method: &str, path: &str) -> (u16, String) {
        self.request(method, path, "Connection: close\r\n", false)
            .await
    }

    /// An upgrade to SPDY/3.1 offering `protocol` (kubectl's form): status
    /// and what was read until the server closed, or the head and what
    /// followed it within 500 ms.
    async fn spdy_upgrade(&self, path: &str, protocol: &str) -> (u16, String) {
        let headers = format!(
            "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: {protocol}\r\n"
        );
        self.request("POST", path, &headers, true).await
    }

    /// An upgrade to SPDY/3.1 offering `protocols`, as an API server
    /// sends it.
    async fn spdy(&self, path: &str, protocols: &[&str]) -> Upgrade {
        tokio::time::timeout(TIMEOUT, spdy_client::upgrade(self.address, path, protocols))
            .await
            .expect("the SPDY upgrade timed out")
    }

    /// An exec or attach session over SPDY with `protocol`, its streams
    /// open.
    async fn spdy_session(&self, path: &str, protocol: &str, streams: StreamSet) -> RemoteCommand {
        let connection = self.spdy(path, &[protocol]).await.switched();
        assert_eq!(connection.protocol, protocol);
        RemoteCommand::open(connection, streams).await
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        upgrade: bool,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(self.address).await.expect("connect");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n{headers}\r\n",
            self.address
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        // Until the server closes; an upgraded connection stays open, so
        // there the head and what follows it within 500 ms. At most 10 s:
        // the host looks the pod up in the API server first.
        let mut response = Vec::new();
        let mut buffer = [0_u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let head_read = response.windows(4).any(|w| w == b"\r\n\r\n");
            let until = if upgrade && head_read {
                deadline.min(tokio::time::Instant::now() + Duration::from_millis(500))
            } else {
                deadline
            };
            match tokio::time::timeout_at(until, stream.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) | Err(_) => break,
                Ok(Ok(n)) => response.extend_from_slice(&buffer[..n]),
            }
        }
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {response:?}"));
        // The body may be chunked; the tests only search the response.
        (status, response)
    }

    async fn stop(mut self) {
        if let Some(supervisor) = self.supervisor.take() {
            supervisor.stop().await;
        }
        let nodes: kube::Api<Node> = kube::Api::all(self.client.clone());
        let _ = nodes.delete(&self.node, &DeleteParams::default()).await;
    }
}

/// Everything a remote-command session delivered, by channel.
#[derive(Debug, Default)]
struct Transcript {
    /// Channel of the first message (the kubelet's empty "ready" frame).
    first: Option<(u8, usize)>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    error: Vec<u8>,
    close_code: Option<u16>,
}

impl Transcript {
    fn status(&self) -> Value {
        serde_json::from_slice(&self.error).unwrap_or_else(|e| {
            panic!(
                "error channel is not a Status ({e}): {:?}",
                String::from_utf8_lossy(&self.error)
            )
        })
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Reads a session to its end (the server's close).
async fn read_all(ws: &mut Ws) -> Transcript {
    let mut transcript = Transcript::default();
    loop {
        let message = tokio::time::timeout(TIMEOUT, ws.next())
            .await
            .unwrap_or_else(|_| panic!("the session did not end; so far {transcript:?}"));
        match message {
            Some(Ok(Message::Binary(data))) => {
                let (channel, payload) = data.split_first().expect("a channel byte");
                transcript.first.get_or_insert((*channel, payload.len()));
                match channel {
                    1 => transcript.stdout.extend_from_slice(payload),
                    2 => transcript.stderr.extend_from_slice(payload),
                    3 => transcript.error.extend_from_slice(payload),
                    other => panic!("data on channel {other}"),
                }
            }
            Some(Ok(Message::Close(frame))) => {
                transcript.close_code = frame.map(|f| u16::from(f.code));
                return transcript;
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("read error {error}; so far {transcript:?}"),
            None => return transcript,
        }
    }
}

fn binary(channel: u8, payload: &[u8]) -> Message {
    let mut frame = vec![channel];
    frame.extend_from_slice(payload);
    Message::Binary(frame.into())
}

#[tokio::test]
async fn exec_over_v5_and_v4() {
    let fixture = Fixture::start("").await;

    // stdin to `cat`, closed with v5's close signal: the echo, then Success.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=cat&input=1&output=1&error=1"),
            "v5.channel.k8s.io, v4.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    ws.send(binary(0, b"hello ")).await.expect("send");
    ws.send(binary(0, b"world\n")).await.expect("send");
    ws.send(Message::Binary(vec![255, 0].into()))
        .await
        .expect("close stdin");
    let transcript = read_all(&mut ws).await;
    assert_eq!(transcript.first, Some((1, 0)), "first frame: empty stdout");
    assert_eq!(transcript.stdout(), "hello world\n");
    assert_eq!(transcript.status()["status"], "Success");
    assert_eq!(transcript.close_code, Some(1000));

    // A non-zero exit code as client-go decodes it.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=sh&command=-c&command=exit+3&output=1&error=1"),
            "v5.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    let status = read_all(&mut ws).await.status();
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
    assert_eq!(status["details"]["causes"][0]["message"], "3");

    // v4: stderr on its own channel.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=echo-stderr&command=oops&output=1&error=1"),
            "v4.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    let transcript = read_all(&mut ws).await;
    assert_eq!(String::from_utf8_lossy(&transcript.stderr), "oops\n");
    assert!(transcript.stdout.is_empty());
    assert_eq!(transcript.status()["status"], "Success");

    // Only stderr requested: the ready frame is on stderr.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=echo&command=x&error=1"),
            "v4.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    let transcript = read_all(&mut ws).await;
    assert_eq!(transcript.first, Some((2, 0)));
    assert!(transcript.stdout.is_empty(), "stdout was not requested");

    // The uid form of the path.
    let path = format!(
        "/exec/{}/{POD}/{}/{CONTAINER}?command=echo&command=uid&output=1",
        fixture.namespace, fixture.uid
    );
    let mut ws = fixture
        .connect(&path, "v5.channel.k8s.io")
        .await
        .expect("upgrade");
    assert_eq!(read_all(&mut ws).await.stdout(), "uid\n");

    fixture.stop().await;
}

#[tokio::test]
async fn tty_resize_and_attach() {
    let fixture = Fixture::start("").await;

    // With a TTY the first resize becomes the initial terminal size.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=stty&command=size&input=1&output=1&tty=1"),
            "v5.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    ws.send(binary(4, br#"{"Width":132,"Height":43}"#))
        .await
        .expect("resize");
    let transcript = read_all(&mut ws).await;
    assert_eq!(transcript.stdout(), "43 132\n");
    assert_eq!(transcript.status()["status"], "Success");

    // Input that overtakes the first resize (script(1) forwards stdin's
    // EOF as ^D at once) is held until the size arrives.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=stty&command=size&input=1&output=1&tty=1"),
            "v5.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    ws.send(binary(0, b"\x04")).await.expect("stdin");
    ws.send(binary(4, br#"{"Width":90,"Height":30}"#))
        .await
        .expect("resize");
    assert_eq!(read_all(&mut ws).await.stdout(), "30 90\n");

    // Stdin before any resize: the command starts after the wait, and a resize
    // split across two messages later is decoded and forwarded.
    let mut ws = fixture
        .connect(
            &fixture.exec_path("command=cat&input=1&output=1&tty=1"),
            "v5.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    ws.send(binary(0, b"typed\r\n")).await.expect("stdin");
    ws.send(binary(4, br#"{"Width":80,"#))
        .await
        .expect("resize");
    ws.send(binary(4, br#""Height":24}"#))
        .await
        .expect("resize");
    ws.send(Message::Binary(vec![255, 0].into()))
        .await
        .expect("close stdin");
    let transcript = read_all(&mut ws).await;
    assert_eq!(transcript.stdout(), "typed\r\n");
    assert_eq!(transcript.status()["status"], "Success");

    // Attach with stdin: echoed until stdin closes.
    let path = format!(
        "/attach/{}/{POD}/{CONTAINER}?input=1&output=1&error=1",
        fixture.namespace
    );
    let mut ws = fixture
        .connect(&path, "v5.channel.k8s.io")
        .await
        .expect("upgrade");
    ws.send(binary(0, b"attached\n")).await.expect("stdin");
    ws.send(Message::Binary(vec![255, 0].into()))
        .await
        .expect("close stdin");
    let transcript = read_all(&mut ws).await;
    assert_eq!(transcript.stdout(), "attached\n");
    assert_eq!(transcript.status()["status"], "Success");

    // Attach without stdin shows the container's output until we leave.
    let path = format!("/attach/{}/{POD}/{CONTAINER}?output=1", fixture.namespace);
    let mut ws = fixture
        .connect(&path, "v5.channel.k8s.io")
        .await
        .expect("upgrade");
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(" line ") {
        match tokio::time::timeout(TIMEOUT, ws.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) if data.first() == Some(&1) => {
                seen.extend_from_slice(&data[1..]);
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("attach output: {other:?}"),
        }
    }
    ws.close(None).await.expect("detach");

    fixture.stop().await;
}

/// The streams an exec asks for: `output=1&error=1` (and `input=1`).
const OUT_ERR: StreamSet = StreamSet {
    stdin: false,
    stdout: true,
    stderr: true,
    resize: false,
};
const IN_OUT_ERR: StreamSet = StreamSet {
    stdin: true,
    ..OUT_ERR
};

/// Exec over SPDY/3.1 with v4.channel.k8s.io, as every API server before
/// 1.36 reaches a kubelet: stdin to `cat` ended by a half-close, separate
/// stdout and stderr, the exit code in the error stream's Status, and the
/// connection closed by the server at the end.
#[tokio::test]
async fn exec_over_spdy_v4() {
    let fixture = Fixture::start("").await;
    let v4 = "v4.channel.k8s.io";

    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=cat&input=1&output=1&error=1"),
            v4,
            IN_OUT_ERR,
        )
        .await;
    session.stdin(b"hello ").await;
    session.stdin(b"world\n").await;
    session.close_stdin().await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stdout(), "hello world\n");
    assert!(transcript.stderr.is_empty(), "{transcript:?}");
    assert_eq!(transcript.status()["status"], "Success");
    assert!(
        session.connection.wait_closed(TIMEOUT).await,
        "the server did not close the connection after the session"
    );

    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=sh&command=-c&command=exit+3&output=1&error=1"),
            v4,
            OUT_ERR,
        )
        .await;
    let status = session.read_to_end(TIMEOUT).await.status();
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
    assert_eq!(status["details"]["causes"][0]["message"], "3");

    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=echo-stderr&command=oops&output=1&error=1"),
            v4,
            OUT_ERR,
        )
        .await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stderr(), "oops\n");
    assert!(transcript.stdout.is_empty(), "{transcript:?}");
    assert_eq!(transcript.status()["status"], "Success");

    // The uid form of the path, and the client's order of preference: v5
    // is WebSocket only, so v4 is agreed; v3 before v4 gets v3.
    let path = format!(
        "/exec/{}/{POD}/{}/{CONTAINER}?command=echo&command=uid&output=1",
        fixture.namespace, fixture.uid
    );
    let connection = fixture
        .spdy(&path, &["v5.channel.k8s.io", v4, "v3.channel.k8s.io"])
        .await
        .switched();
    assert_eq!(connection.protocol, v4);
    let mut session = RemoteCommand::open(
        connection,
        StreamSet {
            stdout: true,
            ..StreamSet::default()
        },
    )
    .await;
    assert_eq!(session.read_to_end(TIMEOUT).await.stdout(), "uid\n");
    let connection = fixture
        .spdy(&path, &["v3.channel.k8s.io", v4])
        .await
        .switched();
    assert_eq!(connection.protocol, "v3.channel.k8s.io");

    fixture.stop().await;
}

/// The protocols before v4, as the kubelet serves them: the error stream
/// carries the failure message as text and nothing on success; v2 and
/// channel.k8s.io have no resize stream (a TTY gets no size).
#[tokio::test]
async fn exec_over_spdy_v3_v2_and_v1() {
    let fixture = Fixture::start("").await;
    let exit3 = fixture.exec_path("command=sh&command=-c&command=exit+3&output=1&error=1");
    let hello = fixture.exec_path("command=echo&command=hello&output=1&error=1");
    for protocol in ["v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] {
        let mut session = fixture.spdy_session(&exit3, protocol, OUT_ERR).await;
        let transcript = session.read_to_end(TIMEOUT).await;
        assert_eq!(
            transcript.error_text(),
            "command terminated with non-zero exit code: exit code 3",
            "{protocol}"
        );

        let mut session = fixture.spdy_session(&hello, protocol, OUT_ERR).await;
        let transcript = session.read_to_end(TIMEOUT).await;
        assert_eq!(transcript.stdout(), "hello\n", "{protocol}");
        assert!(transcript.error.is_empty(), "{protocol}: {transcript:?}");

        // stdin with a half-close, under every protocol.
        let mut session = fixture
            .spdy_session(
                &fixture.exec_path("command=cat&input=1&output=1&error=1"),
                protocol,
                IN_OUT_ERR,
            )
            .await;
        session.stdin(b"line\n").await;
        session.close_stdin().await;
        let transcript = session.read_to_end(TIMEOUT).await;
        assert_eq!(transcript.stdout(), "line\n", "{protocol}");
    }

    // A TTY without a resize stream (v2): the command starts without a size.
    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=stty&command=size&output=1&tty=1"),
            "v2.channel.k8s.io",
            StreamSet {
                stdout: true,
                ..StreamSet::default()
            },
        )
        .await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stdout(), "0 0\n");
    assert!(transcript.error.is_empty(), "{transcript:?}");
    fixture.stop().await;
}

/// A TTY over SPDY: the first size on the resize stream is the command's
/// terminal size, later sizes (split across writes) are forwarded; attach
/// echoes stdin until it is half-closed; no stderr stream with a TTY.
#[tokio::test]
async fn tty_resize_and_attach_over_spdy() {
    let fixture = Fixture::start("").await;
    let v4 = "v4.channel.k8s.io";
    let tty = StreamSet {
        stdin: true,
        stdout: true,
        stderr: false,
        resize: true,
    };

    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=stty&command=size&input=1&output=1&error=1&tty=1"),
            v4,
            tty,
        )
        .await;
    session.resize_raw(br#"{"Width":132,"Height":43}"#).await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stdout(), "43 132\n");
    assert_eq!(transcript.status()["status"], "Success");

    let mut session = fixture
        .spdy_session(
            &fixture.exec_path("command=cat&input=1&output=1&tty=1"),
            v4,
            tty,
        )
        .await;
    session.resize_raw(br#"{"Width":80,"#).await;
    session.resize_raw(br#""Height":24}{"Width":100,"#).await;
    session.stdin(b"typed\r\n").await;
    session.resize_raw(br#""Height":40}"#).await;
    session.close_stdin().await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stdout(), "typed\r\n");
    assert_eq!(transcript.status()["status"], "Success");

    let attach = format!(
        "/attach/{}/{POD}/{CONTAINER}?input=1&output=1&error=1",
        fixture.namespace
    );
    let mut session = fixture.spdy_session(&attach, v4, IN_OUT_ERR).await;
    session.stdin(b"attached\n").await;
    session.close_stdin().await;
    let transcript = session.read_to_end(TIMEOUT).await;
    assert_eq!(transcript.stdout(), "attached\n");
    assert_eq!(transcript.status()["status"], "Success");

    // Attach without stdin shows the container's output until we leave.
    let attach = format!("/attach/{}/{POD}/{CONTAINER}?output=1", fixture.namespace);
    let mut session = fixture
        .spdy_session(
            &attach,
            v4,
            StreamSet {
                stdout: true,
                ..StreamSet::default()
            },
        )
        .await;
    let stdout = session.stdout.as_mut().expect("stdout");
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(" line ") {
        let data = tokio::time::timeout(TIMEOUT, stdout.data.recv())
            .await
            .expect("attach output")
            .expect("the stdout stream ended");
        seen.extend_from_slice(&data);
    }
    drop(session);

    fixture.stop().await;
}

#[tokio::test]
async fn port_forward_websocket_form() {
    let fixture = Fixture::start("").await;
    let path = format!(
        "/portForward/{}/{POD}?port=8080&port=9090",
        fixture.namespace
    );
    let mut ws = fixture
        .connect(&path, "v4.channel.k8s.io")
        .await
        .expect("upgrade");
    // First frame on each of the four channels: the port, little-endian.
    let mut headers = Vec::new();
    while headers.len() < 4 {
        match tokio::time::timeout(TIMEOUT, ws.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => headers.push(data.to_vec()),
            other => panic!("port header: {other:?}"),
        }
    }
    headers.sort();
    assert_eq!(
        headers,
        [
            vec![0, 0x90, 0x1f],
            vec![1, 0x90, 0x1f],
            vec![2, 0x82, 0x23],
            vec![3, 0x82, 0x23]
        ]
    );
    ws.send(binary(0, b"ping 8080")).await.expect("send");
    ws.send(binary(2, b"ping 9090")).await.expect("send");
    let mut echoed = [Vec::new(), Vec::new()];
    while echoed[0].len() < 9 || echoed[1].len() < 9 {
        match tokio::time::timeout(TIMEOUT, ws.next()).await {
            Ok(Some(Ok(Message::Binary(data)))) => {
                let (channel, payload) = data.split_first().expect("channel");
                assert!(channel % 2 == 0, "error on channel {channel}: {payload:?}");
                echoed[usize::from(channel / 2)].extend_from_slice(payload);
            }
            other => panic!("echo: {other:?}"),
        }
    }
    assert_eq!(echoed, [b"ping 8080".to_vec(), b"ping 9090".to_vec()]);
    ws.close(None).await.expect("close");

    // kubectl port-forward's SPDY tunnelled in a WebSocket, as a 1.36+ API
    // server passes it on: the same pairs of streams as over SPDY/3.1.
    let connection = spdy_client::tunnel(
        fixture.address,
        &format!("/portForward/{}/{POD}", fixture.namespace),
    )
    .await;
    assert_eq!(connection.protocol, spdy_client::TUNNEL_PROTOCOL);
    let open = |kind: &'static str| {
        connection.client.open(vk_spdy::Headers::from_pairs(&[
            ("streamtype", kind),
            ("port", "8080"),
            ("requestid", "0"),
        ]))
    };
    let _error = open("error").await.expect("the error stream");
    let mut data = open("data").await.expect("the data stream");
    data.writer
        .write(bytes::Bytes::from_static(b"ping tunnel"))
        .await
        .expect("write");
    let mut echoed = Vec::new();
    while echoed.len() < b"ping tunnel".len() {
        let piece = tokio::time::timeout(TIMEOUT, data.data.recv())
            .await
            .expect("the echo through the tunnel")
            .expect("the data stream ended");
        echoed.extend_from_slice(&piece);
    }
    assert_eq!(echoed, b"ping tunnel");
    fixture.stop().await;
}

#[tokio::test]
async fn refusals_before_the_upgrade() {
    let fixture = Fixture::start("disabled_capabilities = [\"port_forward\", \"attach\"]\n").await;
    let ns = &fixture.namespace;
    let v5 = "v5.channel.k8s.io";

    let (code, status) = fixture.refused(&fixture.exec_path("command=ls"), v5).await;
    assert_eq!(code, 400);
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("at least 1 of stdin, stdout, stderr")),
        "{status}"
    );

    let (code, status) = fixture
        .refused(
            &format!("/exec/{ns}/no-such-pod/{CONTAINER}?command=ls&output=1"),
            v5,
        )
        .await;
    assert_eq!(code, 404, "{status}");

    let (code, status) = fixture
        .refused(&format!("/exec/{ns}/{POD}/sidecar?command=ls&output=1"), v5)
        .await;
    assert_eq!(code, 404, "{status}");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("sidecar")),
        "{status}"
    );

    let (code, status) = fixture
        .refused(
            &format!("/exec/{ns}/{POD}/not-the-uid/{CONTAINER}?command=ls&output=1"),
            v5,
        )
        .await;
    assert_eq!(code, 404, "{status}");

    let (code, status) = fixture
        .refused(&format!("/attach/{ns}/{POD}/{CONTAINER}?output=1"), v5)
        .await;
    assert_eq!(code, 501, "{status}");
    assert!(
        status["message"]
            .as_str()
            .is_some_and(|m| m.contains("CAPABILITY_ATTACH")),
        "{status}"
    );
    let (code, _) = fixture
        .refused(
            &format!("/portForward/{ns}/{POD}?port=80"),
            "v4.channel.k8s.io",
        )
        .await;
    assert_eq!(code, 501);

    let (code, status) = fixture
        .refused(
            &fixture.exec_path("command=ls&output=1"),
            "base64.channel.k8s.io",
        )
        .await;
    assert_eq!(code, 400, "{status}");

    // A request that asks for no upgrade: 400, as the kubelet answers it.
    let (code, body) = fixture
        .http("POST", &fixture.exec_path("command=ls&output=1"))
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("WebSocket"), "{body}");
    // The same checks over SPDY, as an API server before 1.36 sends them.
    let v4 = "v4.channel.k8s.io";
    let spdy_refusal =
        async |path: &str, protocols: &[&str]| match fixture.spdy(path, protocols).await {
            Upgrade::Refused {
                status,
                headers,
                body,
            } => (status, headers, body),
            Upgrade::Switched(_) => panic!("{path} was upgraded; expected a refusal"),
        };
    let (code, _, body) = spdy_refusal(&fixture.exec_path("command=ls"), &[v4]).await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("at least 1 of stdin, stdout, stderr"),
        "{body}"
    );
    let (code, _, body) = spdy_refusal(
        &format!("/exec/{ns}/{POD}/sidecar?command=ls&output=1"),
        &[v4],
    )
    .await;
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("sidecar"), "{body}");
    let (code, _, body) =
        spdy_refusal(&format!("/attach/{ns}/{POD}/{CONTAINER}?output=1"), &[v4]).await;
    assert_eq!(code, 501, "{body}");
    assert!(body.contains("CAPABILITY_ATTACH"), "{body}");
    // No stream protocol offered: 400; none served: 403, naming those that
    // are, as the kubelet's handshake answers.
    let (code, _, body) = spdy_refusal(&fixture.exec_path("command=ls&output=1"), &[]).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("X-Stream-Protocol-Version"), "{body}");
    let (code, headers, body) = spdy_refusal(
        &fixture.exec_path("command=ls&output=1"),
        &["v5.channel.k8s.io"],
    )
    .await;
    assert_eq!(code, 403, "{body}");
    let accepted: Vec<&str> = headers
        .get_all("X-Accepted-Stream-Protocol-Versions")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    assert_eq!(
        accepted,
        [
            "v4.channel.k8s.io",
            "v3.channel.k8s.io",
            "v2.channel.k8s.io",
            "channel.k8s.io"
        ]
    );
    // Port-forward over SPDY still needs the plugin's capability.
    let (code, body) = fixture
        .spdy_upgrade(&format!("/portForward/{ns}/{POD}"), "portforward.k8s.io")
        .await;
    assert_eq!(code, 501, "{body}");
    assert!(body.contains("CAPABILITY_PORT_FORWARD"), "{body}");

    fixture.stop().await;
}

/// The SPDY upgrade of `/portForward` negotiates the stream protocol as the
/// kubelet does: `portforward.k8s.io` is switched to, anything else is a
/// 400 naming what is served.
#[tokio::test]
async fn port_forward_spdy_upgrade_negotiates_the_protocol() {
    let fixture = Fixture::start("").await;
    let path = format!("/portForward/{}/{POD}", fixture.namespace);

    let (code, head) = fixture.spdy_upgrade(&path, "portforward.k8s.io").await;
    assert_eq!(code, 101, "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("upgrade: spdy/3.1"), "{head}");
    assert!(
        head.contains("x-stream-protocol-version: portforward.k8s.io"),
        "{head}"
    );

    // As the kubelet's handshake: a protocol it does not serve is a 403.
    let (code, body) = fixture.spdy_upgrade(&path, "v9.portforward.example").await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains("v9.portforward.example") && body.contains("portforward.k8s.io"),
        "{body}"
    );

    fixture.stop().await;
}

#[tokio::test]
async fn run_returns_the_output() {
    let fixture = Fixture::start("").await;
    let ns = &fixture.namespace;
    let (code, body) = fixture
        .http(
            "POST",
            &format!("/run/{ns}/{POD}/{CONTAINER}?cmd=echo+hello+run"),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("hello run\n"), "{body}");

    let (code, body) = fixture
        .http("POST", &format!("/run/{ns}/{POD}/{CONTAINER}?cmd=exit+4"))
        .await;
    assert_eq!(code, 500, "{body}");
    assert!(body.contains("exited with 4"), "{body}");

    let (code, body) = fixture
        .http("POST", &format!("/run/{ns}/{POD}/{CONTAINER}"))
        .await;
    assert_eq!(code, 400, "{body}");
    fixture.stop().await;
}

/// A client that writes stdin to `cat` and does not read stdout: the host
/// must stop reading the client (bounded buffers), then deliver everything
/// once the client reads again.
#[tokio::test]
async fn a_slow_reader_pushes_back_to_the_writer() {
    let fixture = Fixture::start("").await;
    let ws = fixture
        .connect(
            &fixture.exec_path("command=cat&input=1&output=1"),
            "v5.channel.k8s.io",
        )
        .await
        .expect("upgrade");
    let (mut sink, mut source) = ws.split();
    const CHUNK: usize = 32 * 1024;
    const TOTAL: usize = 128 * 1024 * 1024;
    let sent = Arc::new(AtomicUsize::new(0));
    let writer = {
        let sent = Arc::clone(&sent);
        tokio::spawn(async move {
            let mut offset = 0usize;
            while offset < TOTAL {
                let payload: Vec<u8> = (offset..offset + CHUNK).map(|i| (i % 251) as u8).collect();
                sink.send(binary(0, &payload)).await.expect("send stdin");
                offset += CHUNK;
                sent.store(offset, Ordering::SeqCst);
            }
            sink.send(Message::Binary(vec![255, 0].into()))
                .await
                .expect("close stdin");
            sink
        })
    };
    // Not reading: the writer must stall far below the total.
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = sent.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        assert!(
            now < TOTAL,
            "all {TOTAL} bytes were accepted without a reader"
        );
        last = now;
    }
    let stalled_at = sent.load(Ordering::SeqCst);
    assert!(
        stalled_at < 64 * 1024 * 1024,
        "the host took {stalled_at} bytes without the client reading"
    );

    // Reading again drains everything, in order.
    let mut received = 0usize;
    let mut status = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(120), source.next())
            .await
            .expect("the echo stalled");
        match message {
            Some(Ok(Message::Binary(data))) => {
                let (channel, payload) = data.split_first().expect("channel");
                match channel {
                    1 => {
                        for (i, byte) in payload.iter().enumerate() {
                            assert_eq!(*byte, ((received + i) % 251) as u8, "at {}", received + i);
                        }
                        received += payload.len();
                    }
                    3 => status.extend_from_slice(payload),
                    other => panic!("channel {other}"),
                }
            }
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("read: {error}"),
        }
    }
    let _sink = writer.await.expect("writer");
    assert_eq!(received, TOTAL);
    let status: Value = serde_json::from_slice(&status).expect("status");
    assert_eq!(status["status"], "Success");
    eprintln!("the writer stalled after {stalled_at} bytes without a reader");
    fixture.stop().await;
}

/// Which upgrade an API server sends the node for kubectl's exec, attach
/// and port-forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// Every API server before 1.36; a 1.36+ one when the Node does not
    /// declare `ExtendWebSocketsToKubelet` or its gates are off.
    Spdy,
    /// kubectl's WebSocket proxied as it is.
    WebSocket,
}

impl Transport {
    /// What vk-host logs for a `what` session over this transport.
    fn log_line(self, what: &str) -> String {
        match (self, what) {
            (Self::Spdy, "port-forward") => {
                "port-forward session over SPDY/3.1 (portforward.k8s.io)".into()
            }
            (Self::WebSocket, "port-forward") => {
                "port-forward session over WebSocket (SPDY/3.1+portforward.k8s.io)".into()
            }
            (Self::Spdy, _) => format!("{what} session over SPDY/3.1 (v4.channel.k8s.io)"),
            (Self::WebSocket, _) => format!("{what} session over WebSocket (v5.channel.k8s.io)"),
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Spdy => Self::WebSocket,
            Self::WebSocket => Self::Spdy,
        }
    }

    /// The transport the running API server uses towards `node`, from its
    /// version's feature gates (its `kubernetes_feature_enabled` metrics)
    /// and what the Node object declares, as kube-apiserver decides: it
    /// proxies kubectl's WebSocket as it is when `ExtendWebSocketsToKubelet`
    /// and `NodeDeclaredFeatures` are on and the Node declares
    /// `ExtendWebSocketsToKubelet` (1.36+), or when it does not translate
    /// WebSocket at all (`TranslateStreamCloseWebsocketRequests` off);
    /// otherwise it speaks SPDY/3.1 to the node.
    async fn expected(cluster: &Cluster, node: &VirtualNode) -> Self {
        let version = cluster
            .kubectl(&["version", "-o", "json"])
            .await
            .success()
            .json()["serverVersion"]["gitVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let metrics = cluster
            .kubectl(&["get", "--raw", "/metrics"])
            .await
            .success()
            .stdout;
        let gates: Vec<&str> = metrics
            .lines()
            .filter(|line| line.starts_with("kubernetes_feature_enabled{"))
            .collect();
        assert!(
            !gates.is_empty(),
            "kube-apiserver {version} exports no kubernetes_feature_enabled metrics"
        );
        let gate = |name: &str| {
            let label = format!("name=\"{name}\"");
            gates
                .iter()
                .find(|line| line.contains(&label))
                .map(|line| line.trim_end().ends_with(" 1"))
        };
        let declared = cluster
            .kubectl(&[
                "get",
                "node",
                &node.name,
                "-o",
                "jsonpath={.status.declaredFeatures}",
            ])
            .await
            .success()
            .stdout;
        let proxied_to_node = gate("ExtendWebSocketsToKubelet") == Some(true)
            && gate("NodeDeclaredFeatures") == Some(true)
            && declared.contains("ExtendWebSocketsToKubelet");
        let untranslated = gate("TranslateStreamCloseWebsocketRequests") == Some(false);
        let transport = if proxied_to_node || untranslated {
            Self::WebSocket
        } else {
            Self::Spdy
        };
        eprintln!(
            "kube-apiserver {version}: ExtendWebSocketsToKubelet={:?} NodeDeclaredFeatures={:?} \
             TranslateStreamCloseWebsocketRequests={:?}, node declares {declared:?}: expecting {transport:?}",
            gate("ExtendWebSocketsToKubelet"),
            gate("NodeDeclaredFeatures"),
            gate("TranslateStreamCloseWebsocketRequests"),
        );
        transport
    }
}

/// Every `what` session the node served went over `transport`: its log
/// says so, and never names the other one.
fn assert_sessions_over(node: &VirtualNode, what: &str, transport: Transport) {
    let log = node.host.log();
    let expected = transport.log_line(what);
    assert!(
        log.contains(&expected),
        "vk-host did not log {expected:?}; its {what} sessions:\n{}",
        sessions_logged(&log)
    );
    let other = transport.other().log_line(what);
    let other = &other[..other.find(" (").unwrap_or(other.len())];
    assert!(
        !log.contains(other),
        "a {what} session went over the other transport; its sessions:\n{}",
        sessions_logged(&log)
    );
}

fn sessions_logged(log: &str) -> String {
    log.lines()
        .filter(|line| line.contains(" session over "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The real vk-host serving the kubelet API over TLS, the real API server
/// in front of it and the real kubectl: exec and attach as a user runs
/// them, over the upgrade this API server sends the node (SPDY/3.1 before
/// 1.36, WebSocket on 1.36+ as the node declares ExtendWebSocketsToKubelet),
/// which the host's log must name.
#[tokio::test]
async fn kubectl_exec_and_attach_through_the_api_server() {
    let cluster = Cluster::shared();
    let node =
        VirtualNode::start(cluster, NodeSetup::mock("kexec").with_kubelet_api(cluster)).await;
    node.run_pod(cluster, "shell").await;
    let ns = node.namespace.as_str();
    let transport = Transport::expected(cluster, &node).await;

    // `echo hi | kubectl exec -i POD -- cat`.
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", ns, "shell", "--", "cat"],
            Some("hi\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hi\n", "{out:?}");
    let out = cluster
        .kubectl(&["exec", "-n", ns, "shell", "--", "sh", "-c", "exit 3"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    // stdin through to `cat` and back; the end of stdin ends it.
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", ns, "shell", "--", "cat"],
            Some("hi\nthere\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hi\nthere\n", "{out:?}");

    // The exit code reaches the shell.
    let out = cluster
        .kubectl(&["exec", "-n", ns, "shell", "--", "exit", "3"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(out.stderr.contains("exit code 3"), "{out:?}");

    // Separate stdout and stderr.
    let out = cluster
        .kubectl(&[
            "exec",
            "-n",
            ns,
            "shell",
            "--",
            "echo-stderr",
            "to",
            "stderr",
        ])
        .await
        .success();
    assert_eq!(out.stderr, "to stderr\n", "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");

    // A TTY: kubectl sends the terminal's size (a pty from `script`).
    let command = format!(
        "stty cols 132 rows 43; {} --kubeconfig {} exec -it -n {ns} shell -- stty size",
        cluster.kubectl_path().display(),
        cluster.admin_kubeconfig().display(),
    );
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output(),
    )
    .await
    .expect("kubectl exec -it under script did not finish in 60 s")
    .expect("script (util-linux) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("43 132"),
        "stty size under a 132x43 terminal: {stdout:?} {:?}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Attach with stdin: the mock's main process echoes it.
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["attach", "-i", "-q", "-n", ns, "shell", "-c", "main"],
            Some("attached\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "attached\n", "{out:?}");

    // A container the pod does not have: kubectl shows our reason.
    let out = cluster
        .kubectl(&["exec", "-n", ns, "shell", "-c", "nope", "--", "true"])
        .await
        .failure();
    assert!(out.stderr.contains("nope"), "{out:?}");
    eprintln!("kubectl exec -c nope: {}", out.stderr.trim());

    assert_sessions_over(&node, "exec", transport);
    assert_sessions_over(&node, "attach", transport);
}

/// `kubectl port-forward` end to end: kubectl tunnels SPDY in a WebSocket
/// to the API server, which forwards the tunnel as it is (1.36+, the node
/// declaring ExtendWebSocketsToKubelet) or unwraps it and opens SPDY/3.1 to
/// vk-host; the host's log must name the one expected. The mock plugin
/// echoes every connection. Several connections on two ports at
/// once, a large transfer, and a half-close that ends the connection.
#[tokio::test]
async fn kubectl_port_forward_through_the_api_server() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(cluster, NodeSetup::mock("kpf").with_kubelet_api(cluster)).await;
    node.run_pod(cluster, "web").await;
    let ns = node.namespace.as_str();
    let transport = Transport::expected(cluster, &node).await;
    let (first, second) = (free_port(), free_port());
    let kubectl = KubectlPortForward::start(
        cluster,
        ns,
        "web",
        &[(first, 8080), (second, 9090)],
        TIMEOUT,
        || node.log_tail(),
    )
    .await;
    let forwarding = &kubectl.forwarding;
    eprintln!("kubectl: {forwarding:?}");

    // Three connections at once, two of them on the same port; each gets
    // its own bytes back, whole and in order.
    let echoes = [first, first, second]
        .into_iter()
        .enumerate()
        .map(|(n, port)| async move {
            let payload: Vec<u8> = (0..256 * 1024).map(|i: usize| (i * 7 + n) as u8).collect();
            let echoed = echo(port, &payload).await;
            assert!(
                echoed == payload,
                "connection {n} to port {port}: echo differs"
            );
        });
    tokio::time::timeout(TIMEOUT, futures::future::join_all(echoes))
        .await
        .expect("echoes through port-forward timed out");

    // A larger transfer, timed for the record.
    let big: Vec<u8> = (0..16 * 1024 * 1024)
        .map(|i: usize| (i % 251) as u8)
        .collect();
    let started = std::time::Instant::now();
    let echoed = tokio::time::timeout(Duration::from_secs(120), echo(first, &big))
        .await
        .expect("16 MiB echo timed out");
    let elapsed = started.elapsed();
    assert!(echoed == big, "16 MiB echo differs");
    eprintln!(
        "16 MiB echoed through kubectl -> API server -> vk-host -> plugin in {elapsed:?} ({:.1} MiB/s each way)",
        16.0 / elapsed.as_secs_f64()
    );

    // Closing our side ends the pod side too: the read sees the end.
    let mut connection = TcpStream::connect(("127.0.0.1", second))
        .await
        .expect("connect");
    connection.write_all(b"last words").await.expect("write");
    connection.shutdown().await.expect("half-close");
    let mut rest = Vec::new();
    tokio::time::timeout(TIMEOUT, connection.read_to_end(&mut rest))
        .await
        .expect("the forwarded connection did not end after a half-close")
        .expect("read");
    assert_eq!(rest, b"last words");

    kubectl.stop().await;
    assert_sessions_over(&node, "port-forward", transport);
}

/// Sends `payload` on a new connection to a local port while reading the
/// same number of bytes back.
async fn echo(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut connection = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connecting to kubectl's local port");
    let (mut read, mut write) = connection.split();
    let mut echoed = vec![0; payload.len()];
    let (written, read) = tokio::join!(write.write_all(payload), read.read_exact(&mut echoed));
    written.expect("writing to the forwarded connection");
    read.expect("reading the echo");
    echoed
}

/// The same user-visible streaming on vk-cri-plugin (real containers on
/// its own containerd), through the API server, over the upgrade this API
/// server sends the node: `echo hi | kubectl exec -i POD -- cat`, an exit
/// code, `kubectl attach` to a container's own stdin-reading process and
/// `kubectl port-forward` to httpd in the pod. Needs root (containerd); it
/// fails, never skips, without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_exec_attach_and_port_forward_through_the_api_server() {
    let started = std::time::Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(cluster, "kstream", "", started).await;
    let ns = node.namespace.clone();
    let transport = Transport::expected(cluster, &node).await;
    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let manifests = [
        cri_node::pod(
            &node,
            "shell",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"mkdir -p /www && echo pf-hello > /www/index.html && exec httpd -f -p 8080 -h /www\"]
"
            ),
        ),
        cri_node::pod(
            &node,
            "reader",
            &format!(
                "  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: main
{image}    stdin: true
    command: [\"sh\", \"-c\", \"while read x; do echo \\\"echo: $x\\\"; [ \\\"$x\\\" = bye ] && exit 0; done\"]
"
            ),
        ),
    ];
    cri_node::apply(cluster, &manifests.join("---\n")).await;
    for name in ["shell", "reader"] {
        cri_node::wait_pod(
            cluster,
            &node,
            name,
            "Running",
            Duration::from_secs(90),
            |p| cri_node::phase(p) == "Running",
        )
        .await;
    }

    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", &ns, "shell", "--", "cat"],
            Some("hi\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hi\n", "{out:?}");
    let out = cluster
        .kubectl(&["exec", "-n", &ns, "shell", "--", "sh", "-c", "exit 3"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");

    cri_node::attach_and_talk(cluster, &node, "reader").await;

    let local = free_port();
    let kubectl =
        KubectlPortForward::start(cluster, &ns, "shell", &[(local, 8080)], TIMEOUT, || {
            node.log_tail()
        })
        .await;
    let response = cri_node::http_get_through(local, &node, "port-forward").await;
    assert!(
        response.starts_with("HTTP/1.") && response.ends_with("pf-hello\n"),
        "{response:?}"
    );
    kubectl.stop().await;

    assert_sessions_over(&node, "exec", transport);
    assert_sessions_over(&node, "attach", transport);
    assert_sessions_over(&node, "port-forward", transport);
    cri_node::delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!(
        "cri streaming through the API server: {:?}",
        started.elapsed()
    );
}
