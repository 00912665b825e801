//! Port-forward over WebSocket (`v4.channel.k8s.io`, which containerd 1.6
//! accepts): the URL CRI `PortForward` returns names one port; channel 0
//! carries the data both ways, channel 1 containerd's error.

use bytes::{BufMut as _, Bytes, BytesMut};
use futures::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vk_plugin_sdk::PortForwardConnection;

use super::{MAX_STATUS_BYTES, StreamError};

/// The channel protocol offered to containerd.
const PROTOCOL: &str = "v4.channel.k8s.io";

/// Channels of one forwarded port (the URL carries exactly one).
const PORT_DATA: u8 = 0;
const PORT_ERROR: u8 = 1;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `url` (as CRI returned it) as a WebSocket offering [`PROTOCOL`].
async fn connect(url: &str) -> Result<Ws, StreamError> {
    let ws_url = url
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .ok_or_else(|| StreamError::Url {
            url: url.to_owned(),
        })?;
    let connect_error = |source: WsError| StreamError::Connect {
        url: url.to_owned(),
        protocol: PROTOCOL,
        source: source.into(),
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
fn frame(channel: u8, data: &[u8]) -> Message {
    let mut buf = BytesMut::with_capacity(data.len() + 1);
    buf.put_u8(channel);
    buf.put_slice(data);
    Message::Binary(buf.freeze())
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
            let data = match message.map_err(|error| StreamError::Read(error.into()))? {
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
        written = writer => written.map_err(|error| StreamError::Write(error.into())),
        read = reader => read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_the_channel_first() {
        assert_eq!(
            frame(PORT_DATA, b"hi"),
            Message::Binary(Bytes::from_static(b"\0hi"))
        );
    }
}
