//! Exec and attach over WebSocket (`v5.channel.k8s.io`, `v4`, and the
//! unversioned `channel.k8s.io`): binary messages whose first byte names
//! the channel, decoded into the session core's input and framed from its
//! output.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt as _, StreamExt as _};
use tracing::info;

use super::outcome::{ErrorFormat, Outcome};
use super::{ClientGone, ClientInput, ClientOutput, ClientReader, Ended, Session};
use crate::kubelet_api::streaming::channel::{self, Incoming, Protocol};

/// How long we wait for the client's answer to our close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Runs a session on an upgraded WebSocket speaking `protocol`.
pub async fn run(socket: WebSocket, protocol: Protocol, session: Session) {
    info!(
        "{} session over WebSocket ({})",
        session.kind.name(),
        protocol.name()
    );
    let _open = crate::metrics::global()
        .kubelet_api
        .session_open(session.kind.name(), "websocket");
    let (mut sink, source) = socket.split();

    // The kubelet's first frame: an empty message on the lowest channel the
    // client reads, so it knows the streams are set up.
    let first = if session.start.stdout {
        channel::STDOUT
    } else if session.start.stderr {
        channel::STDERR
    } else {
        channel::ERROR
    };
    if sink
        .send(Message::Binary(channel::frame(first, &[])))
        .await
        .is_err()
    {
        return;
    }

    let mut reader = Reader { source, protocol };
    let mut output = Output { sink, protocol };
    if super::run(session, &mut reader, &mut output).await == Ended::Finished {
        // Let the client answer our close frame.
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while let Some(Ok(_)) = reader.source.next().await {}
        })
        .await;
    }
}

struct Reader {
    source: SplitStream<WebSocket>,
    protocol: Protocol,
}

impl ClientReader for Reader {
    async fn next(&mut self) -> Result<ClientInput, ClientGone> {
        loop {
            let data = match self.source.next().await {
                Some(Ok(Message::Binary(data))) => data,
                Some(Ok(Message::Close(frame))) => {
                    return Err(ClientGone(format!(
                        "close frame {}",
                        frame.map_or_else(|| "without code".into(), |f| f.code.to_string())
                    )));
                }
                // Pings are answered by the WebSocket layer; the channel
                // protocols carry no text.
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(ClientGone(format!("read error: {error}"))),
                None => return Err(ClientGone("connection closed".into())),
            };
            let incoming = channel::decode(self.protocol, data)
                .map_err(|error| ClientGone(format!("protocol error: {error}")))?;
            match incoming {
                Incoming::Data {
                    channel: channel::STDIN,
                    payload,
                } => return Ok(ClientInput::Stdin(payload)),
                Incoming::Data {
                    channel: channel::RESIZE,
                    payload,
                } => return Ok(ClientInput::Resize(payload)),
                Incoming::Close {
                    channel: channel::STDIN,
                } => return Ok(ClientInput::StdinClosed),
                // Channels the client may not write: ignored, as wsstream
                // ignores them.
                _ => continue,
            }
        }
    }

    fn carries_resize(&self) -> bool {
        true
    }
}

struct Output {
    sink: SplitSink<WebSocket, Message>,
    protocol: Protocol,
}

impl Output {
    async fn send(&mut self, channel: u8, data: &[u8]) -> Result<(), ClientGone> {
        self.sink
            .send(Message::Binary(channel::frame(channel, data)))
            .await
            .map_err(|error| ClientGone(format!("write error: {error}")))
    }
}

impl ClientOutput for Output {
    async fn stdout(&mut self, data: Bytes) -> Result<(), ClientGone> {
        self.send(channel::STDOUT, &data).await
    }

    async fn stderr(&mut self, data: Bytes) -> Result<(), ClientGone> {
        self.send(channel::STDERR, &data).await
    }

    /// The outcome on the error channel, then a normal close (the client
    /// reads its streams to their end on a normal closure).
    async fn finish(&mut self, outcome: &Outcome) {
        let format = match self.protocol {
            Protocol::V5 | Protocol::V4 => ErrorFormat::Status,
            Protocol::V1 => ErrorFormat::Text,
        };
        if let Some(payload) = outcome.error_payload(format)
            && self.send(channel::ERROR, &payload).await.is_err()
        {
            return;
        }
        let _ = self
            .sink
            .send(Message::Close(Some(CloseFrame {
                code: 1000,
                reason: "".into(),
            })))
            .await;
    }
}
