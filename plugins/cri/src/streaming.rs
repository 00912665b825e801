//! Client of containerd's CRI streaming server: the one-time loopback URLs
//! that CRI `Exec`, `Attach` and `PortForward` return, opened as WebSocket
//! with the `v4.channel.k8s.io` protocol (containerd 1.6 accepts it; it
//! predates v5, so stdin end-of-file cannot be sent) and spliced to the SDK's
//! bounded session channels. Every frame is read only when the previous one
//! was handed on, so a slow side slows the other and nothing piles up here.

use bytes::{BufMut as _, Bytes, BytesMut};
use futures::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vk_plugin_sdk::proto::TerminalSize;
use vk_plugin_sdk::{ExecSession, ExitStatus, PortForwardConnection};

/// The channel protocol spoken with containerd 1.6's streaming server.
pub const PROTOCOL: &str = "v4.channel.k8s.io";

/// Channels of the remotecommand protocol.
const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const RESIZE: u8 = 4;

/// Channels of one forwarded port (the URL carries exactly one).
const PORT_DATA: u8 = 0;
const PORT_ERROR: u8 = 1;

/// The status JSON on the error channel is small; a larger one is cut.
const MAX_STATUS_BYTES: usize = 64 * 1024;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a streaming session with containerd failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("containerd's streaming URL {url} is not http:// (TLS streaming is not supported)")]
    Url { url: String },
    #[error("cannot open containerd's streaming URL {url} as WebSocket {PROTOCOL}")]
    Connect {
        url: String,
        #[source]
        source: WsError,
    },
    #[error("the stream from containerd failed")]
    Read(#[source] WsError),
    #[error("the stream to containerd failed")]
    Write(#[source] WsError),
    /// containerd reported a failure that is not an exit code (e.g. the
    /// command does not exist, or the pod's port refused the connection).
    #[error("{0}")]
    Remote(String),
    #[error("containerd closed the stream without an exit status")]
    NoStatus,
}

/// How an exec or attach session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The process ended (or, for attach, the stream ended) with this status.
    Exited(ExitStatus),
    /// The client went away first; the session was dropped.
    ClientGone,
}

/// Opens `url` (as CRI returned it) as a WebSocket offering [`PROTOCOL`].
async fn connect(url: &str) -> Result<Ws, StreamError> {
    let ws_url = url
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .ok_or_else(|| StreamError::Url {
            url: url.to_owned(),
        })?;
    let connect_error = |source| StreamError::Connect {
        url: url.to_owned(),
        source,
    };
    let mut request = ws_url.into_client_request().map_err(connect_error)?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(PROTOCOL));
    let (ws, _response) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(connect_error)?;
    Ok(ws)
}

/// One binary frame: the channel byte, then the data.
pub fn frame(channel: u8, data: &[u8]) -> Message {
    let mut buf = BytesMut::with_capacity(data.len() + 1);
    buf.put_u8(channel);
    buf.put_slice(data);
    Message::Binary(buf.freeze())
}

/// The resize channel's message, as client-go's `TerminalSize` JSON.
pub fn resize_frame(size: TerminalSize) -> Message {
    let json = serde_json::json!({ "Width": size.width, "Height": size.height });
    frame(RESIZE, json.to_string().as_bytes())
}

/// The exit status in the error channel's `metav1.Status`: `Success` is 0,
/// `NonZeroExitCode` carries the code in its `ExitCode` cause; any other
/// failure is an error with the status message.
pub fn exit_status(status: &[u8]) -> Result<ExitStatus, StreamError> {
    let value: serde_json::Value = serde_json::from_slice(status).map_err(|_| {
        StreamError::Remote(format!(
            "containerd sent a status that is not JSON: {}",
            String::from_utf8_lossy(status)
        ))
    })?;
    if value["status"] == "Success" {
        return Ok(ExitStatus::code(0));
    }
    if value["reason"] == "NonZeroExitCode"
        && let Some(code) = value["details"]["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|cause| cause["reason"] == "ExitCode")
            .and_then(|cause| cause["message"].as_str())
            .and_then(|code| code.parse::<i32>().ok())
    {
        return Ok(ExitStatus::code(code));
    }
    let message = value["message"].as_str().unwrap_or("the command failed");
    Err(StreamError::Remote(message.to_owned()))
}

/// Splices an exec or attach `session` to containerd's `url`. `initial` is
/// the terminal size to set first (TTY only). stdin end-of-file is not
/// forwarded: v4 has no way to say it.
pub async fn exec(
    url: &str,
    initial: Option<TerminalSize>,
    session: ExecSession,
) -> Result<SessionEnd, StreamError> {
    let ws = connect(url).await?;
    let (mut sink, mut stream) = ws.split();
    let ExecSession {
        mut stdin,
        mut resize,
        stdout,
        stderr,
    } = session;
    if let Some(size) = initial {
        sink.send(resize_frame(size))
            .await
            .map_err(StreamError::Write)?;
    }

    let writer = async move {
        let (mut stdin_open, mut resize_open) = (true, true);
        while stdin_open || resize_open {
            let message = tokio::select! {
                data = stdin.recv(), if stdin_open => match data {
                    Some(data) => frame(STDIN, &data),
                    None => {
                        stdin_open = false;
                        continue;
                    }
                },
                size = resize.recv(), if resize_open => match size {
                    Some(size) => resize_frame(size),
                    None => {
                        resize_open = false;
                        continue;
                    }
                },
            };
            sink.send(message).await?;
        }
        // Nothing more to send; the session ends when containerd closes.
        std::future::pending::<Result<(), WsError>>().await
    };

    let reader = async move {
        let mut status = Vec::new();
        while let Some(message) = stream.next().await {
            let data = match message.map_err(StreamError::Read)? {
                Message::Binary(data) => data,
                Message::Close(_) => break,
                _ => continue,
            };
            let Some(&channel) = data.first() else {
                continue;
            };
            let payload = data.slice(1..);
            // containerd opens each channel with an empty frame.
            if payload.is_empty() {
                continue;
            }
            let client = match channel {
                STDOUT => &stdout,
                STDERR => &stderr,
                ERROR => {
                    let room = MAX_STATUS_BYTES.saturating_sub(status.len());
                    status.extend_from_slice(&payload[..payload.len().min(room)]);
                    continue;
                }
                _ => continue,
            };
            if client.send(payload).await.is_err() {
                return Ok(SessionEnd::ClientGone);
            }
        }
        if status.is_empty() {
            return Err(StreamError::NoStatus);
        }
        exit_status(&status).map(SessionEnd::Exited)
    };

    tokio::select! {
        written = writer => {
            written.map_err(StreamError::Write)?;
            Err(StreamError::NoStatus)
        }
        ended = reader => ended,
    }
}

/// Splices one forwarded TCP connection to containerd's port-forward `url`
/// (made for exactly one port). Returns when the pod's side closes, the
/// client's side ends, or either fails.
pub async fn port_forward(url: &str, connection: PortForwardConnection) -> Result<(), StreamError> {
    let ws = connect(url).await?;
    let (mut sink, mut stream) = ws.split();
    let PortForwardConnection {
        mut from_client,
        to_client,
    } = connection;

    let writer = async move {
        while let Some(data) = from_client.recv().await {
            sink.send(frame(PORT_DATA, &data)).await?;
        }
        // The client closed: close the connection into the pod.
        sink.close().await
    };

    let reader = async move {
        // Each channel first carries the port number, two bytes little-endian.
        let mut prefix = [2usize, 2usize];
        let mut error = Vec::new();
        while let Some(message) = stream.next().await {
            let data = match message.map_err(StreamError::Read)? {
                Message::Binary(data) => data,
                Message::Close(_) => break,
                _ => continue,
            };
            let Some(&channel) = data.first() else {
                continue;
            };
            let Some(left) = prefix.get_mut(usize::from(channel)) else {
                continue;
            };
            let mut payload: Bytes = data.slice(1..);
            let skip = (*left).min(payload.len());
            *left -= skip;
            payload = payload.slice(skip..);
            if payload.is_empty() {
                continue;
            }
            if channel == PORT_ERROR {
                let room = MAX_STATUS_BYTES.saturating_sub(error.len());
                error.extend_from_slice(&payload[..payload.len().min(room)]);
            } else if to_client.send(payload).await.is_err() {
                return Ok(());
            }
        }
        if error.is_empty() {
            Ok(())
        } else {
            Err(StreamError::Remote(
                String::from_utf8_lossy(&error).into_owned(),
            ))
        }
    };

    tokio::select! {
        written = writer => written.map_err(StreamError::Write),
        read = reader => read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_exit_code_zero() {
        let status = exit_status(br#"{"metadata":{},"status":"Success"}"#).expect("success");
        assert_eq!(status, ExitStatus::code(0));
    }

    #[test]
    fn non_zero_exit_code_comes_from_the_cause() {
        let status = exit_status(
            br#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#,
        )
        .expect("an exit code");
        assert_eq!(status, ExitStatus::code(3));
    }

    #[test]
    fn other_failures_are_errors_with_the_message() {
        let error = exit_status(
            br#"{"metadata":{},"status":"Failure","message":"OCI runtime exec failed: executable file not found"}"#,
        )
        .expect_err("a failure without an exit code");
        assert_eq!(
            error.to_string(),
            "OCI runtime exec failed: executable file not found"
        );
        assert!(exit_status(b"not json").is_err());
    }

    #[test]
    fn frames_carry_the_channel_first() {
        assert_eq!(
            frame(STDIN, b"hi"),
            Message::Binary(Bytes::from_static(b"\0hi"))
        );
        let Message::Binary(resize) = resize_frame(TerminalSize {
            width: 80,
            height: 24,
        }) else {
            panic!("a resize is a binary frame");
        };
        assert_eq!(resize.first(), Some(&RESIZE));
        let size: serde_json::Value = serde_json::from_slice(&resize[1..]).expect("JSON");
        assert_eq!(size, serde_json::json!({ "Width": 80, "Height": 24 }));
    }
}
