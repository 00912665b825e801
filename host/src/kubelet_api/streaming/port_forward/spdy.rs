//! Port-forward over SPDY (`portforward.k8s.io`), as the kubelet serves it:
//! for every TCP connection the client opens an error stream and a data
//! stream that share a `requestID` header and name the `port`; once both
//! are there the connection is forwarded. The data stream carries bytes
//! both ways; a failure is written on the error stream; both are
//! half-closed when the pod side ends. One SPDY connection carries any
//! number of ports and connections.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::time::{DelayQueue, delay_queue};
use tracing::{Instrument as _, debug};
use vk_proto::v1::PodRef;

use crate::kubelet_api::streaming::spdy::{self, Headers, Stream, StreamId, status};
use crate::plugin_process::{CallError, PluginClient};

/// The stream protocols served.
pub const PROTOCOLS: &[(&str, ())] = &[("portforward.k8s.io", ())];
/// How long the second stream of a pair may take to arrive (the kubelet's
/// stream creation timeout).
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection with no forward in progress for this long is closed (the
/// kubelet's default `--streaming-connection-idle-timeout`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(4 * 60 * 60);

/// Serves one upgraded connection until the client closes it (every
/// forward in progress is then cancelled) or it stays idle too long.
pub async fn run<Io>(io: Io, pod: PodRef, plugin: PluginClient)
where
    Io: AsyncRead + AsyncWrite + Send,
{
    let (accept, mut accepted) = mpsc::channel(8);
    let stop = CancellationToken::new();
    let mut pairs = Pairs {
        pending: HashMap::new(),
        deadlines: DelayQueue::new(),
        forwards: JoinSet::new(),
        pod,
        plugin,
    };
    let pairing = async {
        loop {
            let idle = pairs.pending.is_empty() && pairs.forwards.is_empty();
            tokio::select! {
                stream = accepted.recv() => match stream {
                    Some(stream) => pairs.add(stream).await,
                    None => break,
                },
                Some(expired) = pairs.deadlines.next(), if !pairs.deadlines.is_empty() => {
                    pairs.expire(expired.into_inner()).await;
                }
                Some(_) = pairs.forwards.join_next(), if !pairs.forwards.is_empty() => {}
                () = tokio::time::sleep(IDLE_TIMEOUT), if idle => {
                    debug!("port-forward connection idle; closing it");
                    stop.cancel();
                }
            }
        }
        // Dropping the set aborts the forwards still running.
        pairs.forwards.shutdown().await;
    };
    let (ended, ()) = tokio::join!(spdy::serve(io, accept, stop.clone()), pairing);
    match ended {
        Ok(ending) => debug!(?ending, "port-forward connection ended"),
        Err(error) => debug!(%error, "port-forward connection failed"),
    }
}

/// Which half of a pair a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Error,
}

/// What a stream's headers ask for.
#[derive(Debug, PartialEq, Eq)]
struct StreamRequest {
    request_id: String,
    kind: Kind,
    port: u16,
}

/// Reads a stream's headers as the kubelet does; the error says what is
/// wrong with them.
fn stream_request(id: StreamId, headers: &Headers) -> Result<StreamRequest, String> {
    let kind = match headers.get("streamType") {
        Some("data") => Kind::Data,
        Some("error") => Kind::Error,
        Some(other) => return Err(format!("invalid stream type {other:?}")),
        None => return Err("the streamType header is required".into()),
    };
    let port = headers.get("port").ok_or("the port header is required")?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("unable to parse {port:?} as a port"))?;
    if port == 0 {
        return Err("port 0 cannot be forwarded".into());
    }
    // Clients before requestID existed opened the error stream, then the
    // data stream, with consecutive client ids (which step by 2).
    let request_id = match headers.get("requestID") {
        Some(request_id) if !request_id.is_empty() => request_id.to_owned(),
        _ => match kind {
            Kind::Error => id.to_string(),
            Kind::Data => id.saturating_sub(2).to_string(),
        },
    };
    Ok(StreamRequest {
        request_id,
        kind,
        port,
    })
}

/// A connection whose second stream has not arrived yet.
struct Pending {
    port: u16,
    data: Option<Stream>,
    error: Option<Stream>,
    deadline: delay_queue::Key,
}

struct Pairs {
    pending: HashMap<String, Pending>,
    deadlines: DelayQueue<String>,
    forwards: JoinSet<()>,
    pod: PodRef,
    plugin: PluginClient,
}

impl Pairs {
    async fn add(&mut self, stream: Stream) {
        let request = match stream_request(stream.id, &stream.headers) {
            Ok(request) => request,
            Err(reason) => {
                debug!(stream = stream.id, %reason, "refusing a port-forward stream");
                let _ = stream.writer.reset(status::CANCEL).await;
                return;
            }
        };
        let pending = self
            .pending
            .entry(request.request_id.clone())
            .or_insert_with(|| Pending {
                port: request.port,
                data: None,
                error: None,
                deadline: self
                    .deadlines
                    .insert(request.request_id.clone(), STREAM_CREATION_TIMEOUT),
            });
        let slot = match request.kind {
            Kind::Data => &mut pending.data,
            Kind::Error => &mut pending.error,
        };
        if slot.is_some() {
            debug!(request = %request.request_id, kind = ?request.kind, "a second stream of the same kind; refusing it");
            let _ = stream.writer.reset(status::CANCEL).await;
            return;
        }
        if stream.writer.reply().await.is_err() {
            return;
        }
        *slot = Some(stream);
        if pending.data.is_some() && pending.error.is_some() {
            let Some(Pending {
                port,
                data: Some(data),
                error: Some(error),
                deadline,
            }) = self.pending.remove(&request.request_id)
            else {
                unreachable!("the pair was just completed");
            };
            self.deadlines.remove(&deadline);
            let span = tracing::debug_span!("forward", port, request = %request.request_id);
            self.forwards.spawn(
                forward(data, error, port, self.pod.clone(), self.plugin.clone()).instrument(span),
            );
        }
    }

    /// The pair's second stream never came: say so on the error stream.
    async fn expire(&mut self, request_id: String) {
        let Some(pending) = self.pending.remove(&request_id) else {
            return;
        };
        debug!(request = %request_id, "timed out waiting for the second stream");
        if let Some(error) = pending.error {
            let message = format!(
                "request {request_id}: timed out after {}s waiting for the data and error streams",
                STREAM_CREATION_TIMEOUT.as_secs()
            );
            let _ = error.writer.write(message.into()).await;
            let _ = error.writer.finish().await;
        }
        if let Some(data) = pending.data {
            let _ = data.writer.reset(status::CANCEL).await;
        }
    }
}

/// One TCP connection into the pod: client bytes to the plugin, plugin
/// bytes back, a failure on the error stream, then both streams finished.
/// Ends early if the client resets the data stream or goes away.
async fn forward(data: Stream, error: Stream, port: u16, pod: PodRef, plugin: PluginClient) {
    let Stream {
        data: input,
        writer: output,
        ..
    } = data;
    let copy = async {
        let mut from_pod = super::open(&plugin, &pod, port, input)?;
        while let Some(message) = from_pod.next().await.transpose()? {
            if !message.data.is_empty() && output.write(message.data).await.is_err() {
                break;
            }
        }
        Ok::<(), CallError>(())
    };
    let outcome = tokio::select! {
        outcome = copy => outcome,
        () = output.closed() => {
            debug!("the client reset the connection");
            return;
        }
    };
    if let Err(failure) = outcome {
        let message = super::failure_message(&pod, port, failure);
        debug!(%message, "port-forward connection failed");
        let _ = error.writer.write(message.into()).await;
    }
    let _ = error.writer.finish().await;
    let _ = output.finish().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: StreamId, pairs: &[(&str, &str)]) -> Result<StreamRequest, String> {
        stream_request(id, &Headers::from_pairs(pairs))
    }

    #[test]
    fn streams_name_their_kind_port_and_request() {
        assert_eq!(
            request(
                5,
                &[("streamtype", "data"), ("port", "8080"), ("requestid", "0")]
            ),
            Ok(StreamRequest {
                request_id: "0".into(),
                kind: Kind::Data,
                port: 8080
            })
        );
    }

    #[test]
    fn old_clients_pair_by_stream_id() {
        let error = request(1, &[("streamtype", "error"), ("port", "80")]).expect("ok");
        let data = request(3, &[("streamtype", "data"), ("port", "80")]).expect("ok");
        assert_eq!(error.request_id, data.request_id);
    }

    #[test]
    fn bad_headers_say_what_is_wrong() {
        let reason = |pairs| request(1, pairs).expect_err("refused");
        assert!(reason(&[("port", "80")]).contains("streamType"));
        assert!(reason(&[("streamtype", "stdin"), ("port", "80")]).contains("invalid stream type"));
        assert!(reason(&[("streamtype", "data")]).contains("port header"));
        assert!(reason(&[("streamtype", "data"), ("port", "http")]).contains("\"http\""));
        assert!(reason(&[("streamtype", "data"), ("port", "0")]).contains("port 0"));
    }
}
