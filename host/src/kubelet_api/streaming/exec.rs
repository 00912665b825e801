//! One exec or attach session: a WebSocket speaking a channel protocol on one
//! side, the plugin's `Exec`/`Attach` bidirectional stream on the other.
//!
//! Backpressure: client input goes through a small bounded channel into the
//! gRPC request stream, so a plugin that reads slowly stops us reading the
//! WebSocket; plugin output is read one message at a time and only after the
//! previous frame was flushed to the client, so a slow reader slows the
//! plugin (through gRPC flow control) instead of growing a buffer here.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tracing::debug;
use vk_proto::v1::{ExecInput, ExecOutput, ExecStart, exec_input, exec_output};

use super::channel::{self, Incoming, Outcome, Protocol, ResizeDecoder};
use crate::kubelet_api::ApiError;
use crate::plugin_process::{CallError, PluginClient, PluginStream};

/// Client input messages queued towards the plugin at most.
const INPUT_DEPTH: usize = 8;
/// How long a TTY session waits for the client's first terminal size before
/// starting the command without one.
const FIRST_RESIZE_WAIT: Duration = Duration::from_secs(1);
/// Client messages held at most while waiting for that size.
const EARLY_MESSAGES: usize = 16;
/// How long we wait for the client's answer to our close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Exec runs a command; attach joins the container's main process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exec,
    Attach,
}

/// Everything a session needs once the WebSocket is open.
#[derive(Debug)]
pub struct Session {
    pub kind: Kind,
    pub protocol: Protocol,
    pub start: ExecStart,
    pub plugin: PluginClient,
}

type Sink = SplitSink<WebSocket, Message>;
type Source = SplitStream<WebSocket>;

/// Runs the session to its end: the process exits (status on the error
/// channel, then a normal close), the plugin fails (a failure status), or
/// the client goes away (the plugin stream is cancelled).
pub async fn run(socket: WebSocket, session: Session) {
    let Session {
        kind,
        protocol,
        mut start,
        plugin,
    } = session;
    let (mut sink, mut source) = socket.split();

    // The kubelet's first frame: an empty message on the lowest channel the
    // client reads, so it knows the streams are set up.
    let first = if start.stdout {
        channel::STDOUT
    } else if start.stderr {
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

    // With a TTY the client sends the terminal size at once; give it to the
    // plugin in `start` so the command sees it from the beginning. Input
    // that overtakes it (a keystroke, stdin's EOF) is held meanwhile.
    let mut early = Vec::new();
    if start.tty {
        let deadline = tokio::time::Instant::now() + FIRST_RESIZE_WAIT;
        while early.len() < EARLY_MESSAGES {
            match tokio::time::timeout_at(deadline, source.next()).await {
                Ok(Some(Ok(message))) => match first_resize(protocol, &message) {
                    Some(size) => {
                        start.terminal_size = Some(size);
                        break;
                    }
                    None => {
                        let closing = matches!(message, Message::Close(_));
                        early.push(message);
                        if closing {
                            break;
                        }
                    }
                },
                Ok(Some(Err(_)) | None) => return,
                Err(_elapsed) => break,
            }
        }
    }

    let (input, input_rx) = mpsc::channel(INPUT_DEPTH);
    let stdin = start.stdin;
    let tty = start.tty;
    let (stdout, stderr) = (start.stdout, start.stderr);
    let start_message = ExecInput {
        input: Some(exec_input::Input::Start(start)),
    };
    if input.send(start_message).await.is_err() {
        return;
    }

    let outbound = async {
        let requests = ReceiverStream::new(input_rx);
        let output = match kind {
            Kind::Exec => plugin.exec(requests),
            Kind::Attach => plugin.attach(requests),
        };
        let outcome = match output {
            Ok(output) => forward_output(output, &mut sink, stdout, stderr).await,
            Err(error) => Some(failed(error)),
        };
        if let Some(outcome) = outcome {
            finish(&mut sink, protocol, &outcome).await;
        }
    };
    let inbound = forward_input(&mut source, early, input, protocol, stdin, tty);

    tokio::select! {
        () = outbound => {
            // Let the client answer our close frame.
            let _ = tokio::time::timeout(CLOSE_WAIT, async {
                while let Some(Ok(_)) = source.next().await {}
            })
            .await;
        }
        end = inbound => {
            // Dropping the outbound future drops the gRPC call, which
            // cancels the plugin's stream.
            debug!(reason = %end, "exec client went away; cancelling the plugin session");
        }
    }
}

/// The terminal size in `message` if it is a resize frame.
fn first_resize(protocol: Protocol, message: &Message) -> Option<vk_proto::v1::TerminalSize> {
    let Message::Binary(data) = message else {
        return None;
    };
    match channel::decode(protocol, data.clone()) {
        Ok(Incoming::Data {
            channel: channel::RESIZE,
            payload,
        }) => ResizeDecoder::default().push(&payload).ok()?.pop(),
        _ => None,
    }
}

/// Client frames to the plugin until the client goes away; returns why.
async fn forward_input(
    source: &mut Source,
    early: Vec<Message>,
    input: mpsc::Sender<ExecInput>,
    protocol: Protocol,
    stdin: bool,
    tty: bool,
) -> String {
    let mut input = Some(input);
    let mut resizes = ResizeDecoder::default();
    let mut stdin_open = stdin;
    let mut early = early.into_iter();
    loop {
        let message = match early.next() {
            Some(message) => message,
            None => match source.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => return format!("read error: {error}"),
                None => return "connection closed".into(),
            },
        };
        let data = match message {
            Message::Binary(data) => data,
            Message::Close(frame) => {
                return format!(
                    "close frame {}",
                    frame.map_or_else(|| "without code".into(), |f| f.code.to_string())
                );
            }
            // Pings are answered by the WebSocket layer; remote-command
            // protocols carry no text.
            _ => continue,
        };
        let incoming = match channel::decode(protocol, data) {
            Ok(incoming) => incoming,
            Err(error) => return format!("protocol error: {error}"),
        };
        let to_plugin = match incoming {
            Incoming::Data {
                channel: channel::STDIN,
                payload,
            } if stdin_open && !payload.is_empty() => exec_input::Input::Stdin(payload),
            Incoming::Data {
                channel: channel::RESIZE,
                payload,
            } if tty => match resizes.push(&payload) {
                // Only the latest size matters.
                Ok(sizes) => match sizes.into_iter().last() {
                    Some(size) => exec_input::Input::Resize(size),
                    None => continue,
                },
                Err(error) => return format!("protocol error: {error}"),
            },
            Incoming::Close {
                channel: channel::STDIN,
            } if stdin_open => {
                stdin_open = false;
                exec_input::Input::CloseStdin(true)
            }
            // Channels the client may not write, or did not ask for: ignored,
            // as wsstream ignores them.
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
    mut output: PluginStream<ExecOutput>,
    sink: &mut Sink,
    stdout: bool,
    stderr: bool,
) -> Option<Outcome> {
    loop {
        let message = match output.next().await {
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
        let frame = match message.output {
            Some(exec_output::Output::Stdout(data)) if stdout && !data.is_empty() => {
                channel::frame(channel::STDOUT, &data)
            }
            Some(exec_output::Output::Stderr(data)) if stderr && !data.is_empty() => {
                channel::frame(channel::STDERR, &data)
            }
            Some(exec_output::Output::Exit(exit)) => {
                return Some(Outcome::Exited {
                    code: exit.code,
                    reason: exit.reason,
                });
            }
            _ => continue,
        };
        if sink.send(Message::Binary(frame)).await.is_err() {
            return None;
        }
    }
}

/// The outcome on the error channel, then a normal close (the client reads
/// its streams to their end on a normal closure).
async fn finish(sink: &mut Sink, protocol: Protocol, outcome: &Outcome) {
    if let Some(frame) = outcome.error_frame(protocol)
        && sink.send(Message::Binary(frame)).await.is_err()
    {
        return;
    }
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "".into(),
        })))
        .await;
}

/// A failed plugin call as the client sees it on the error channel: the
/// kubelet API's one mapping of plugin failures to HTTP statuses.
pub fn failed(error: CallError) -> Outcome {
    let error = ApiError::from(error);
    let (code, reason) = error.status_and_reason();
    Outcome::Failed {
        code: code.as_u16(),
        reason,
        message: error.to_string(),
    }
}
