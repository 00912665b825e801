//! Port-forward's SPDY tunnelled in a WebSocket (subprotocol
//! `SPDY/3.1+portforward.k8s.io`): what kubectl sends since 1.31, and what
//! a 1.36+ API server passes on as it is to a node that declares
//! `ExtendWebSocketsToKubelet`. Each binary message carries the next bytes
//! of the SPDY connection, in both directions; the session on it is
//! [`super::spdy`]'s, the same as after an upgrade to SPDY/3.1.

use std::future::ready;
use std::io;

use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::io::{CopyToBytes, SinkWriter, StreamReader};

/// The WebSocket subprotocol of the tunnel.
pub const PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// The WebSocket as the byte stream it tunnels: reads end at the client's
/// close frame; text and control messages are not part of the tunnel.
pub fn byte_stream(socket: WebSocket) -> impl AsyncRead + AsyncWrite + Send {
    let (sink, source) = socket.split();
    let incoming = source
        .take_while(|message| ready(!matches!(message, Ok(Message::Close(_)))))
        .filter_map(|message| {
            ready(match message {
                Ok(Message::Binary(data)) => Some(Ok(data)),
                Ok(_) => None,
                Err(error) => Some(Err(io::Error::other(error))),
            })
        });
    let outgoing = sink
        .sink_map_err(io::Error::other)
        .with(|data: Bytes| ready(Ok::<_, io::Error>(Message::Binary(data))));
    tokio::io::join(
        StreamReader::new(incoming),
        SinkWriter::new(CopyToBytes::new(outgoing)),
    )
}
