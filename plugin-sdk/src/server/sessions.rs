//! Plumbing between gRPC bidirectional streams and the bounded channels of
//! [`ExecSession`](crate::ExecSession) and
//! [`PortForwardConnection`](crate::PortForwardConnection).

use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use crate::proto::{
    ExecInput, ExecOutput, ExecStart, PortForwardInput, exec_input, exec_output, port_forward_input,
};
use crate::provider::{ExecRequest, ExecSession, PodKey};

/// Depth of every per-session channel: small, so memory stays bounded and a
/// slow side pushes back through gRPC flow control.
pub(crate) const SESSION_CHANNEL_DEPTH: usize = 8;

pub(crate) fn pod_key(pod: Option<crate::proto::PodRef>) -> Result<PodKey, Status> {
    let pod = pod.ok_or_else(|| Status::invalid_argument("`pod` is required"))?;
    if pod.namespace.is_empty() || pod.name.is_empty() {
        return Err(Status::invalid_argument(
            "`pod.namespace` and `pod.name` are required",
        ));
    }
    Ok(PodKey {
        namespace: pod.namespace,
        name: pod.name,
        uid: (!pod.uid.is_empty()).then_some(pod.uid),
    })
}

/// Reads the mandatory `start` message of an exec/attach stream.
pub(crate) async fn exec_start(
    inbound: &mut Streaming<ExecInput>,
    needs_command: bool,
) -> Result<ExecRequest, Status> {
    let first = inbound
        .message()
        .await?
        .ok_or_else(|| Status::invalid_argument("the stream ended before its `start` message"))?;
    let Some(exec_input::Input::Start(start)) = first.input else {
        return Err(Status::invalid_argument(
            "the first message of the stream must be `start`",
        ));
    };
    let ExecStart {
        pod,
        container,
        command,
        stdin,
        stdout,
        stderr,
        tty,
        terminal_size,
    } = start;
    if container.is_empty() {
        return Err(Status::invalid_argument("`start.container` is required"));
    }
    if needs_command && command.is_empty() {
        return Err(Status::invalid_argument(
            "`start.command` is required for exec",
        ));
    }
    Ok(ExecRequest {
        pod: pod_key(pod)?,
        container,
        command,
        stdin,
        stdout,
        stderr,
        tty,
        terminal_size,
    })
}

/// The server side of one exec/attach stream.
pub(crate) struct ExecPlumbing {
    /// Given to the provider.
    pub(crate) session: ExecSession,
    /// Becomes the response stream.
    pub(crate) output: mpsc::Receiver<Result<ExecOutput, Status>>,
    /// Where the final `exit` (or error) goes, after all output.
    pub(crate) last: mpsc::Sender<Result<ExecOutput, Status>>,
    /// Ends when the provider has dropped its stdout and stderr senders and
    /// everything they carried is queued on `output`.
    pub(crate) output_done: tokio::task::JoinHandle<()>,
}

/// Wires an exec/attach stream to a fresh [`ExecSession`]: a task pumps client
/// input into the session, another carries output back.
pub(crate) fn exec_session(mut inbound: Streaming<ExecInput>) -> ExecPlumbing {
    let (stdin_tx, stdin) = mpsc::channel(SESSION_CHANNEL_DEPTH);
    let (resize_tx, resize) = mpsc::channel(SESSION_CHANNEL_DEPTH);
    tokio::spawn(async move {
        let mut stdin_tx = Some(stdin_tx);
        while let Ok(Some(message)) = inbound.message().await {
            match message.input {
                Some(exec_input::Input::Stdin(data)) => {
                    if let Some(tx) = &stdin_tx
                        && tx.send(data).await.is_err()
                    {
                        stdin_tx = None;
                    }
                }
                Some(exec_input::Input::Resize(size)) => {
                    // A full resize queue only loses intermediate sizes.
                    let _ = resize_tx.try_send(size);
                }
                Some(exec_input::Input::CloseStdin(_)) => stdin_tx = None,
                Some(exec_input::Input::Start(_)) | None => {}
            }
        }
    });

    let (out_tx, out_rx) = mpsc::channel(SESSION_CHANNEL_DEPTH);
    let (stdout, stdout_rx) = mpsc::channel::<Bytes>(SESSION_CHANNEL_DEPTH);
    let (stderr, stderr_rx) = mpsc::channel::<Bytes>(SESSION_CHANNEL_DEPTH);
    let merged = futures::stream::select(
        tokio_stream::wrappers::ReceiverStream::new(stdout_rx).map(exec_output::Output::Stdout),
        tokio_stream::wrappers::ReceiverStream::new(stderr_rx).map(exec_output::Output::Stderr),
    );
    let output_done = tokio::spawn(forward_output(merged, out_tx.clone()));
    ExecPlumbing {
        session: ExecSession {
            stdin,
            resize,
            stdout,
            stderr,
        },
        output: out_rx,
        last: out_tx,
        output_done,
    }
}

/// Carries the provider's output to the response stream until both end.
/// When the client goes away (the response stream is dropped) it returns
/// at once, dropping the output receivers: the provider's `stdout` and
/// `stderr` senders then report `closed()`, so it can stop a session
/// without waiting for output that nobody reads.
async fn forward_output(
    output: impl Stream<Item = exec_output::Output>,
    tx: mpsc::Sender<Result<ExecOutput, Status>>,
) {
    futures::pin_mut!(output);
    loop {
        let next = tokio::select! {
            next = output.next() => next,
            () = tx.closed() => break,
        };
        let Some(output) = next else { break };
        if tx
            .send(Ok(ExecOutput {
                output: Some(output),
            }))
            .await
            .is_err()
        {
            break;
        }
    }
}

/// Reads the mandatory `start` message of a port-forward stream.
pub(crate) async fn port_forward_start(
    inbound: &mut Streaming<PortForwardInput>,
) -> Result<(PodKey, u16), Status> {
    let first = inbound
        .message()
        .await?
        .ok_or_else(|| Status::invalid_argument("the stream ended before its `start` message"))?;
    let Some(port_forward_input::Input::Start(start)) = first.input else {
        return Err(Status::invalid_argument(
            "the first message of the stream must be `start`",
        ));
    };
    let port = u16::try_from(start.port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| {
            Status::invalid_argument(format!("port {} is not a TCP port", start.port))
        })?;
    Ok((pod_key(start.pod)?, port))
}

/// Pumps port-forward client data into a bounded channel.
pub(crate) fn port_forward_inbound(
    mut inbound: Streaming<PortForwardInput>,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(SESSION_CHANNEL_DEPTH);
    tokio::spawn(async move {
        while let Ok(Some(message)) = inbound.message().await {
            if let Some(port_forward_input::Input::Data(data)) = message.input
                && tx.send(data).await.is_err()
            {
                break;
            }
        }
    });
    rx
}
