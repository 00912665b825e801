//! Exec and attach: one session core under both transports. The
//! transport (WebSocket channels in [`websocket`], SPDY/3.1 streams in
//! [`spdy`]) decodes what the client sends into [`ClientInput`] and writes
//! what the process says through [`ClientOutput`]; [`run`] carries both to
//! and from the plugin's `Exec`/`Attach` bidirectional stream.
//!
//! Backpressure: client input goes through a small bounded channel into the
//! gRPC request stream, so a plugin that reads slowly stops us reading the
//! client; plugin output is read one message at a time and only after the
//! previous one was handed to the transport (which writes it before taking
//! more), so a slow reader slows the plugin (through gRPC flow control)
//! instead of growing a buffer here.

pub mod outcome;
pub mod resize;
pub mod spdy;
pub mod websocket;

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::debug;
use vk_proto::v1::{ExecInput, ExecOutput, ExecStart, TerminalSize, exec_input, exec_output};

use self::outcome::{Outcome, failed};
use self::resize::ResizeDecoder;
use crate::plugin_process::{PluginClient, PluginStream};

/// Client input messages queued towards the plugin at most.
const INPUT_DEPTH: usize = 8;
/// How long a TTY session waits for the client's first terminal size before
/// starting the command without one.
const FIRST_RESIZE_WAIT: Duration = Duration::from_secs(1);
/// Client inputs held at most while waiting for that size.
const EARLY_INPUTS: usize = 16;

/// Exec runs a command; attach joins the container's main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exec,
    Attach,
}

impl Kind {
    /// The name in messages and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Exec => "exec",
            Self::Attach => "attach",
        }
    }
}

/// Everything a session needs once the client's streams are open.
#[derive(Debug)]
pub struct Session {
    pub kind: Kind,
    pub start: ExecStart,
    pub plugin: PluginClient,
}

/// What the client sent, as its transport decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientInput {
    Stdin(Bytes),
    /// The client's stdin ended (v5's close signal, or the SPDY stdin
    /// stream's FIN): the process reads end-of-file.
    StdinClosed,
    /// A piece of the resize stream (JSON objects, split anyhow).
    Resize(Bytes),
}

/// Why the client side of a session ended (a close, a read error, a
/// protocol error), for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClientGone(pub String);

/// The client's side of a session, read by its transport.
pub trait ClientReader: Send {
    /// The next input; an error when the client went away or broke the
    /// protocol (the session ends).
    fn next(&mut self) -> impl Future<Output = Result<ClientInput, ClientGone>> + Send;

    /// Whether the client can send terminal sizes at all (SPDY before v3
    /// has no resize stream); if not, a TTY session does not wait for one.
    fn carries_resize(&self) -> bool;
}

/// The client's side of a session, written by its transport. Each call
/// returns once the data is handed to the connection.
pub trait ClientOutput: Send {
    fn stdout(&mut self, data: Bytes) -> impl Future<Output = Result<(), ClientGone>> + Send;
    fn stderr(&mut self, data: Bytes) -> impl Future<Output = Result<(), ClientGone>> + Send;
    /// Tells the client the outcome and ends its output streams.
    fn finish(&mut self, outcome: &Outcome) -> impl Future<Output = ()> + Send;
}

/// How [`run`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The outcome was sent (or the client stopped reading first); the
    /// transport may wait for the client to close.
    Finished,
    /// The client went away; the plugin's stream was cancelled.
    ClientGone(ClientGone),
}

/// Runs the session to its end: the process exits (the outcome is sent),
/// the plugin fails (a failure outcome), or the client goes away (the
/// plugin stream is cancelled by dropping the call).
pub async fn run(
    session: Session,
    reader: &mut impl ClientReader,
    output: &mut impl ClientOutput,
) -> Ended {
    let Session {
        kind,
        mut start,
        plugin,
    } = session;
    let mut resizes = ResizeDecoder::default();
    // With a TTY the client sends the terminal size at once; give it to the
    // plugin in `start` so the command sees it from the beginning.
    let mut early = VecDeque::new();
    if start.tty && reader.carries_resize() {
        match first_resize(reader, &mut resizes, &mut early).await {
            Ok(size) => start.terminal_size = size,
            Err(gone) => return Ended::ClientGone(gone),
        }
    }
    let (input, input_rx) = mpsc::channel(INPUT_DEPTH);
    let channels = Channels {
        stdin: start.stdin,
        stdout: start.stdout,
        stderr: start.stderr,
        tty: start.tty,
    };
    let start_message = ExecInput {
        input: Some(exec_input::Input::Start(start)),
    };
    if input.send(start_message).await.is_err() {
        return Ended::Finished;
    }

    let outbound = async {
        let requests = ReceiverStream::new(input_rx);
        let call = match kind {
            Kind::Exec => plugin.exec(requests),
            Kind::Attach => plugin.attach(requests),
        };
        let outcome = match call {
            Ok(stream) => forward_output(stream, output, channels).await,
            Err(error) => Some(failed(error)),
        };
        if let Some(outcome) = outcome {
            output.finish(&outcome).await;
        }
    };
    let inbound = forward_input(reader, early, resizes, input, channels);
    tokio::select! {
        () = outbound => Ended::Finished,
        gone = inbound => {
            debug!(reason = %gone, "the client went away; cancelling the plugin session");
            Ended::ClientGone(gone)
        }
    }
}

/// The streams the client asked for.
#[derive(Debug, Clone, Copy)]
struct Channels {
    stdin: bool,
    stdout: bool,
    stderr: bool,
    tty: bool,
}

/// Waits up to [`FIRST_RESIZE_WAIT`] for the client's first terminal size;
/// input that overtakes it (a keystroke, stdin's end) is held in `early`.
async fn first_resize(
    reader: &mut impl ClientReader,
    resizes: &mut ResizeDecoder,
    early: &mut VecDeque<ClientInput>,
) -> Result<Option<TerminalSize>, ClientGone> {
    let deadline = tokio::time::Instant::now() + FIRST_RESIZE_WAIT;
    while early.len() < EARLY_INPUTS {
        let Ok(input) = tokio::time::timeout_at(deadline, reader.next()).await else {
            break;
        };
        match input? {
            ClientInput::Resize(payload) => {
                let sizes = resizes
                    .push(&payload)
                    .map_err(|error| ClientGone(format!("protocol error: {error}")))?;
                if let Some(size) = sizes.into_iter().last() {
                    return Ok(Some(size));
                }
            }
            other => early.push_back(other),
        }
    }
    Ok(None)
}

/// Client input to the plugin until the client goes away; returns why.
async fn forward_input(
    reader: &mut impl ClientReader,
    mut early: VecDeque<ClientInput>,
    mut resizes: ResizeDecoder,
    input: mpsc::Sender<ExecInput>,
    channels: Channels,
) -> ClientGone {
    let mut input = Some(input);
    let mut stdin_open = channels.stdin;
    loop {
        let next = match early.pop_front() {
            Some(held) => held,
            None => match reader.next().await {
                Ok(next) => next,
                Err(gone) => return gone,
            },
        };
        let to_plugin = match next {
            ClientInput::Stdin(data) if stdin_open && !data.is_empty() => {
                exec_input::Input::Stdin(data)
            }
            ClientInput::Resize(payload) if channels.tty => match resizes.push(&payload) {
                // Only the latest size matters.
                Ok(sizes) => match sizes.into_iter().last() {
                    Some(size) => exec_input::Input::Resize(size),
                    None => continue,
                },
                Err(error) => return ClientGone(format!("protocol error: {error}")),
            },
            ClientInput::StdinClosed if stdin_open => {
                stdin_open = false;
                exec_input::Input::CloseStdin(true)
            }
            // Streams the client did not ask for: ignored, as the kubelet
            // ignores them.
            _ => continue,
        };
        let Some(sender) = &input else { continue };
        if sender
            .send(ExecInput {
                input: Some(to_plugin),
            })
            .await
            .is_err()
        {
            // The plugin stopped reading (its session ended); keep
            // reading the client until the outcome is sent.
            input = None;
        }
    }
}

/// Plugin output to the client until the exit status; `None` if the
/// client went away.
async fn forward_output(
    mut stream: PluginStream<ExecOutput>,
    output: &mut impl ClientOutput,
    channels: Channels,
) -> Option<Outcome> {
    loop {
        let message = match stream.next().await {
            Some(Ok(message)) => message,
            None => {
                return Some(Outcome::Failed {
                    code: 500,
                    reason: "InternalError",
                    message: "the plugin ended the session without an exit status".into(),
                });
            }
            Some(Err(error)) => return Some(failed(error)),
        };
        let written = match message.output {
            Some(exec_output::Output::Stdout(data)) if channels.stdout && !data.is_empty() => {
                output.stdout(data).await
            }
            Some(exec_output::Output::Stderr(data)) if channels.stderr && !data.is_empty() => {
                output.stderr(data).await
            }
            Some(exec_output::Output::Exit(exit)) => {
                return Some(Outcome::Exited {
                    code: exit.code,
                    reason: exit.reason,
                });
            }
            _ => continue,
        };
        if written.is_err() {
            return None;
        }
    }
}
