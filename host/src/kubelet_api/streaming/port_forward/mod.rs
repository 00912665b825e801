//! `/portForward`: TCP connections into a pod, each carried by one plugin
//! `PortForward` stream. The client forms the kubelet serves: WebSocket
//! (`v4.channel.k8s.io`, ports in the query), SPDY/3.1
//! (`portforward.k8s.io`, a pair of streams per connection), which is what
//! an API server before 1.36 reaches the node with for `kubectl
//! port-forward`, and that same SPDY tunnelled in a WebSocket
//! (`SPDY/3.1+portforward.k8s.io`), which a 1.36+ API server passes on from
//! kubectl as it is.

pub mod spdy;
pub mod tunnel;
pub mod websocket;

use bytes::Bytes;
use futures::StreamExt as _;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use vk_proto::v1::{
    PodRef, PortForwardInput, PortForwardOutput, PortForwardStart, port_forward_input,
};

use crate::kubelet_api::ApiError;
use crate::plugin_process::{CallError, PluginClient, PluginStream};

/// Opens one connection to `port` in the pod through the plugin; the
/// client's bytes arrive on `input`, whose end half-closes the connection.
fn open(
    plugin: &PluginClient,
    pod: &PodRef,
    port: u16,
    input: mpsc::Receiver<Bytes>,
) -> Result<PluginStream<PortForwardOutput>, CallError> {
    let start = PortForwardInput {
        input: Some(port_forward_input::Input::Start(PortForwardStart {
            pod: Some(pod.clone()),
            port: u32::from(port),
        })),
    };
    let requests =
        futures::stream::once(async move { start }).chain(ReceiverStream::new(input).map(|data| {
            PortForwardInput {
                input: Some(port_forward_input::Input::Data(data)),
            }
        }));
    plugin.port_forward(requests)
}

/// What the client reads on the error stream when the plugin fails a
/// connection, in the kubelet's wording.
fn failure_message(pod: &PodRef, port: u16, error: CallError) -> String {
    format!(
        "error forwarding port {port} to pod {}/{}, uid {}: {}",
        pod.namespace,
        pod.name,
        pod.uid,
        ApiError::from(error)
    )
}
