//! A SPDY/3.1 client of the kubelet API's exec and attach, speaking to
//! vk-host as a kube-apiserver before 1.36 speaks to a kubelet (client-go's
//! remotecommand over SPDY): an HTTP/1.1 upgrade offering stream protocols
//! in `X-Stream-Protocol-Version`, then `vk_spdy`'s dialling side, one
//! stream per channel named by its `streamType` header, opened in
//! client-go's order (error, stdin, stdout, stderr, resize). Also
//! port-forward's SPDY tunnelled in a WebSocket ([`tunnel`]), as kubectl
//! sends it and a 1.36+ API server passes it on.

use std::future::ready;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Empty};
use hyper::header::{CONNECTION, HOST, UPGRADE};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_util::io::{CopyToBytes, SinkWriter, StreamReader};
use tokio_util::sync::CancellationToken;
use vk_spdy::{Client, Headers, Stream};

/// The answer to an upgrade request.
#[derive(Debug)]
pub enum Upgrade {
    /// `101 Switching Protocols`: the connection and the agreed protocol.
    Switched(SpdyConnection),
    /// Any other status, its headers and body.
    Refused {
        status: u16,
        headers: HeaderMap,
        body: String,
    },
}

impl Upgrade {
    /// The connection; panics with the refusal otherwise.
    pub fn switched(self) -> SpdyConnection {
        match self {
            Self::Switched(connection) => connection,
            Self::Refused { status, body, .. } => {
                panic!("the SPDY upgrade was refused with {status}: {body}")
            }
        }
    }
}

/// An upgraded connection; dropping it closes the connection.
#[derive(Debug)]
pub struct SpdyConnection {
    pub client: Client,
    /// The protocol the server agreed to (`X-Stream-Protocol-Version`).
    pub protocol: String,
    stop: CancellationToken,
    driver: JoinHandle<Result<vk_spdy::Ending, vk_spdy::FrameError>>,
}

impl Drop for SpdyConnection {
    fn drop(&mut self) {
        self.stop.cancel();
        self.driver.abort();
    }
}

impl SpdyConnection {
    /// Waits until the server ends the connection (at most `timeout`);
    /// whether it did.
    pub async fn wait_closed(&mut self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, &mut self.driver)
            .await
            .is_ok()
    }
}

/// Sends `POST path` to `address` with `Upgrade: SPDY/3.1`, offering
/// `protocols` (each in its own header value, as client-go does).
pub async fn upgrade(address: SocketAddr, path: &str, protocols: &[&str]) -> Upgrade {
    let tcp = TcpStream::connect(address)
        .await
        .expect("connecting to the kubelet API");
    let (mut sender, http) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("HTTP/1.1 handshake");
    let http = tokio::spawn(http.with_upgrades());
    let mut request = Request::post(path)
        .header(HOST, address.to_string())
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, vk_spdy::UPGRADE);
    for protocol in protocols {
        request = request.header(vk_spdy::PROTOCOL_HEADER, *protocol);
    }
    let request = request.body(Empty::<Bytes>::new()).expect("request");
    let response = sender
        .send_request(request)
        .await
        .expect("the upgrade request");
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|body| body.to_bytes())
            .unwrap_or_default();
        http.abort();
        return Upgrade::Refused {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
    }
    let protocol = response
        .headers()
        .get(vk_spdy::PROTOCOL_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let upgraded = hyper::upgrade::on(response).await.expect("upgraded");
    let stop = CancellationToken::new();
    let (client, driver) = vk_spdy::dial(TokioIo::new(upgraded), stop.clone());
    Upgrade::Switched(SpdyConnection {
        client,
        protocol,
        stop,
        driver: tokio::spawn(driver),
    })
}

/// The WebSocket subprotocol of port-forward's tunnel.
pub const TUNNEL_PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// Opens a WebSocket to `ws://address/path` offering [`TUNNEL_PROTOCOL`]
/// and dials SPDY inside it, each binary message carrying the next bytes
/// (client-go's tunnelling connection). Panics if the upgrade fails.
pub async fn tunnel(address: SocketAddr, path: &str) -> SpdyConnection {
    let mut request = format!("ws://{address}{path}")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        TUNNEL_PROTOCOL.parse().expect("header value"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket upgrade of the tunnel");
    let protocol = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (sink, source) = socket.split();
    let incoming = source
        .take_while(|message| ready(!matches!(message, Ok(Message::Close(_)))))
        .filter_map(|message| {
            ready(match message {
                Ok(Message::Binary(data)) => Some(Ok(data)),
                Ok(_) => None,
                Err(error) => Some(Err(std::io::Error::other(error))),
            })
        });
    let outgoing = sink
        .sink_map_err(std::io::Error::other)
        .with(|data: Bytes| ready(Ok::<_, std::io::Error>(Message::Binary(data))));
    let io = tokio::io::join(
        StreamReader::new(incoming),
        SinkWriter::new(CopyToBytes::new(outgoing)),
    );
    let stop = CancellationToken::new();
    let (client, driver) = vk_spdy::dial(io, stop.clone());
    SpdyConnection {
        client,
        protocol,
        stop,
        driver: tokio::spawn(driver),
    }
}

/// Which streams a session opens besides `error` (as the request's
/// `input`, `output`, `error` and `tty` ask).
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamSet {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub resize: bool,
}

/// An exec or attach session's streams, opened as client-go opens them.
#[derive(Debug)]
pub struct RemoteCommand {
    pub connection: SpdyConnection,
    pub error: Stream,
    pub stdin: Option<Stream>,
    pub stdout: Option<Stream>,
    pub stderr: Option<Stream>,
    pub resize: Option<Stream>,
}

/// Everything a session's output streams carried until they ended.
#[derive(Debug, Default)]
pub struct Transcript {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The error stream: a `metav1.Status` (v4) or failure text (v1-v3).
    pub error: Vec<u8>,
}

impl Transcript {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn error_text(&self) -> String {
        String::from_utf8_lossy(&self.error).into_owned()
    }

    /// The error stream as a `metav1.Status` (v4).
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_slice(&self.error).unwrap_or_else(|e| {
            panic!(
                "the error stream is not a Status ({e}): {:?}",
                self.error_text()
            )
        })
    }
}

impl RemoteCommand {
    /// Opens the error stream, then those in `streams`.
    pub async fn open(connection: SpdyConnection, streams: StreamSet) -> Self {
        let open = |kind: &'static str| {
            let client = connection.client.clone();
            async move {
                client
                    .open(Headers::from_pairs(&[("streamtype", kind)]))
                    .await
                    .unwrap_or_else(|e| panic!("opening the {kind} stream: {e}"))
            }
        };
        let error = open("error").await;
        let stdin = if streams.stdin {
            Some(open("stdin").await)
        } else {
            None
        };
        let stdout = if streams.stdout {
            Some(open("stdout").await)
        } else {
            None
        };
        let stderr = if streams.stderr {
            Some(open("stderr").await)
        } else {
            None
        };
        let resize = if streams.resize {
            Some(open("resize").await)
        } else {
            None
        };
        Self {
            connection,
            error,
            stdin,
            stdout,
            stderr,
            resize,
        }
    }

    /// Writes to the process's stdin.
    pub async fn stdin(&self, data: &[u8]) {
        let stdin = self.stdin.as_ref().expect("a stdin stream");
        stdin
            .writer
            .write(Bytes::copy_from_slice(data))
            .await
            .expect("writing stdin");
    }

    /// Half-closes stdin (FIN), as client-go does at the end of its stdin.
    pub async fn close_stdin(&self) {
        let stdin = self.stdin.as_ref().expect("a stdin stream");
        stdin.writer.finish().await.expect("closing stdin");
    }

    /// Sends raw bytes on the resize stream (client-go's `TerminalSize`
    /// JSON, possibly split).
    pub async fn resize_raw(&self, data: &[u8]) {
        let resize = self.resize.as_ref().expect("a resize stream");
        resize
            .writer
            .write(Bytes::copy_from_slice(data))
            .await
            .expect("writing a terminal size");
    }

    /// Reads stdout, stderr and the error stream until each ends (the
    /// server half-closes them at the end of the session), within
    /// `timeout`.
    pub async fn read_to_end(&mut self, timeout: Duration) -> Transcript {
        let (stdout, stderr, error) = tokio::time::timeout(timeout, async {
            tokio::join!(
                read_all(self.stdout.as_mut()),
                read_all(self.stderr.as_mut()),
                read_all(Some(&mut self.error)),
            )
        })
        .await
        .unwrap_or_else(|_| panic!("the session's streams did not end within {timeout:?}"));
        Transcript {
            stdout,
            stderr,
            error,
        }
    }
}

async fn read_all(stream: Option<&mut Stream>) -> Vec<u8> {
    let mut all = Vec::new();
    if let Some(stream) = stream {
        while let Some(data) = stream.data.recv().await {
            all.extend_from_slice(&data);
        }
    }
    all
}
