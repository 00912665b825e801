//! Port-forward's WebSocket form (the kubelet's `v4.channel.k8s.io`): for
//! the i-th `port` of the request, channel 2i carries data both ways and
//! channel 2i+1 carries errors to the client; the first frame on each
//! channel is the port, 2 bytes little-endian. Each port is one plugin
//! `PortForward` stream (one TCP connection into the pod).
//!
//! Backpressure: one reader demultiplexes client frames into small bounded
//! per-port channels (a stalled port stops the reader, as the kubelet's
//! pipes do); plugin output reaches the client through one bounded queue
//! drained by a single writer, and each port reads its next plugin message
//! only once the previous frame is queued.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tracing::debug;
use vk_proto::v1::PodRef;

use crate::kubelet_api::streaming::channel::{self, Incoming, Protocol};
use crate::plugin_process::PluginClient;

/// Client data messages queued per port at most.
const INPUT_DEPTH: usize = 8;
/// Frames queued towards the client at most (all ports together).
const OUTPUT_DEPTH: usize = 8;
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Runs a port-forward WebSocket until every port's connection has ended
/// (then a normal close) or the client goes away (every plugin stream is
/// cancelled).
pub async fn run(socket: WebSocket, pod: PodRef, ports: Vec<u16>, plugin: PluginClient) {
    let (mut sink, mut source) = socket.split();
    let (output, mut output_rx) = mpsc::channel::<Bytes>(OUTPUT_DEPTH);
    let mut inputs = Vec::with_capacity(ports.len());
    let mut forwards = Vec::with_capacity(ports.len());
    for (index, port) in ports.iter().copied().enumerate() {
        // `options::ports` allows at most MAX_PORTS (64) ports, so every
        // port has its own two channels; never reuse one past the range.
        let Some(data_channel) = index.checked_mul(2).and_then(|c| u8::try_from(c).ok()) else {
            debug!(port, "more ports than channel ids; ignoring the rest");
            break;
        };
        let (input, input_rx) = mpsc::channel(INPUT_DEPTH);
        inputs.push(input);
        forwards.push(forward_port(
            data_channel,
            port,
            pod.clone(),
            input_rx,
            output.clone(),
            plugin.clone(),
        ));
    }
    drop(output);

    let writer = async {
        while let Some(frame) = output_rx.recv().await {
            if sink.send(Message::Binary(frame)).await.is_err() {
                return false;
            }
        }
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: 1000,
                reason: "".into(),
            })))
            .await;
        true
    };
    let session = async {
        let ((), finished) = futures::join!(
            async {
                futures::future::join_all(forwards).await;
            },
            writer
        );
        finished
    };
    let reader = read_client(&mut source, inputs);

    tokio::select! {
        finished = session => {
            if finished {
                let _ = tokio::time::timeout(CLOSE_WAIT, async {
                    while let Some(Ok(_)) = source.next().await {}
                })
                .await;
            }
        }
        end = reader => {
            debug!(reason = %end, "port-forward client went away; cancelling the plugin streams");
        }
    }
}

/// One port: its header frames, then plugin data to the client until the
/// plugin ends the connection; a failure goes on the error channel.
async fn forward_port(
    data_channel: u8,
    port: u16,
    pod: PodRef,
    input: mpsc::Receiver<Bytes>,
    output: mpsc::Sender<Bytes>,
    plugin: PluginClient,
) {
    let Some(error_channel) = data_channel.checked_add(1) else {
        return;
    };
    let header = port.to_le_bytes();
    for channel in [data_channel, error_channel] {
        if output.send(channel::frame(channel, &header)).await.is_err() {
            return;
        }
    }
    let failure = match super::open(&plugin, &pod, port, input) {
        Ok(mut stream) => loop {
            match stream.next().await {
                Some(Ok(message)) if message.data.is_empty() => {}
                Some(Ok(message)) => {
                    let frame = channel::frame(data_channel, &message.data);
                    if output.send(frame).await.is_err() {
                        return;
                    }
                }
                None => break None,
                Some(Err(error)) => break Some(error),
            }
        },
        Err(error) => Some(error),
    };
    if let Some(error) = failure {
        let message = super::failure_message(&pod, port, error);
        let _ = output
            .send(channel::frame(error_channel, message.as_bytes()))
            .await;
    }
}

/// Client frames to the ports until the client goes away; returns why.
async fn read_client(
    source: &mut futures::stream::SplitStream<WebSocket>,
    inputs: Vec<mpsc::Sender<Bytes>>,
) -> String {
    loop {
        let data = match source.next().await {
            Some(Ok(Message::Binary(data))) => data,
            Some(Ok(Message::Close(_))) => return "close frame".into(),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return format!("read error: {error}"),
            None => return "connection closed".into(),
        };
        match channel::decode(Protocol::V4, data) {
            Ok(Incoming::Data { channel, payload }) if channel % 2 == 0 && !payload.is_empty() => {
                if let Some(input) = inputs.get(usize::from(channel / 2)) {
                    // A port whose connection ended drops what follows.
                    let _ = input.send(payload).await;
                }
            }
            Ok(_) => {}
            Err(error) => return format!("protocol error: {error}"),
        }
    }
}
