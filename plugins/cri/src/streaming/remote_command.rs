//! Exec and attach over SPDY (`v4.channel.k8s.io`), as client-go's
//! remotecommand client speaks it: one stream per channel, named by its
//! `streamType` header. containerd waits for exactly the channels the CRI
//! request asked for ([`Channels`]); it writes the exit status on the
//! `error` stream and closes everything when the process ends. Our stdin
//! stream is half-closed when the client's stdin ends, which the process
//! reads as end-of-file.

use bytes::Bytes;
use tokio::sync::mpsc;
use vk_plugin_sdk::ExecSession;
use vk_plugin_sdk::proto::TerminalSize;
use vk_spdy::{Headers, Stream};

use super::upgrade::{self, Connection};
use super::{MAX_STATUS_BYTES, SessionEnd, StreamError, exit_status};

/// The stream protocol offered to containerd's streaming server.
const PROTOCOL: &str = "v4.channel.k8s.io";

/// The channels the CRI `Exec` or `Attach` request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub stdin: bool,
    pub stdout: bool,
    /// Never with `tty` (the terminal carries both outputs).
    pub stderr: bool,
    /// Adds the `resize` channel.
    pub tty: bool,
}

impl Channels {
    /// The channels asked for; with a terminal, stderr is the terminal too.
    pub fn new(stdin: bool, stdout: bool, stderr: bool, tty: bool) -> Self {
        Self {
            stdin,
            stdout,
            stderr: stderr && !tty,
            tty,
        }
    }
}

/// Why a session ends before its exit status.
enum Stop {
    /// The client's side of a channel went away.
    ClientGone,
    Failed(StreamError),
}

/// Splices an exec or attach `session` to containerd's `url`. `initial` is
/// the terminal size to set first (TTY only).
pub async fn exec(
    url: &str,
    channels: Channels,
    initial: Option<TerminalSize>,
    session: ExecSession,
) -> Result<SessionEnd, StreamError> {
    let connection = upgrade::dial(url, PROTOCOL).await?;
    // client-go opens the error stream first, then the others in this order.
    let error = open(&connection, "error").await?;
    let stdin = open_if(&connection, channels.stdin, "stdin").await?;
    let stdout = open_if(&connection, channels.stdout, "stdout").await?;
    let stderr = open_if(&connection, channels.stderr, "stderr").await?;
    let resize = open_if(&connection, channels.tty, "resize").await?;
    if let (Some(resize), Some(size)) = (&resize, initial) {
        resize
            .writer
            .write(resize_message(size))
            .await
            .map_err(|error| StreamError::Write(error.into()))?;
    }

    let ExecSession {
        stdin: from_client,
        resize: resizes,
        stdout: to_stdout,
        stderr: to_stderr,
    } = session;
    let input = forward_input(from_client, stdin, resizes, resize);
    let output = async {
        let (_, _, status) = tokio::try_join!(
            forward_output(stdout, &to_stdout),
            forward_output(stderr, &to_stderr),
            async { Ok(read_status(error).await) },
        )?;
        if status.is_empty() {
            return Err(Stop::Failed(StreamError::NoStatus));
        }
        exit_status(&status).map_err(Stop::Failed)
    };
    // The client leaving ends the session at once, also while the process
    // writes nothing (the SDK drops the output receivers then); dropping
    // the connection closes containerd's side.
    let ended = tokio::select! {
        ended = output => ended,
        () = to_stdout.closed() => return Ok(SessionEnd::ClientGone),
        () = input => unreachable!("forwarding input never ends on its own"),
    };
    match ended {
        Ok(status) => Ok(SessionEnd::Exited(status)),
        Err(Stop::ClientGone) => Ok(SessionEnd::ClientGone),
        Err(Stop::Failed(error)) => Err(error),
    }
}

async fn open(connection: &Connection, kind: &str) -> Result<Stream, StreamError> {
    connection
        .client
        .open(Headers::from_pairs(&[("streamtype", kind)]))
        .await
        .map_err(|error| StreamError::Write(error.into()))
}

async fn open_if(
    connection: &Connection,
    wanted: bool,
    kind: &str,
) -> Result<Option<Stream>, StreamError> {
    if wanted {
        open(connection, kind).await.map(Some)
    } else {
        Ok(None)
    }
}

/// The resize stream's message, client-go's `TerminalSize` as JSON.
fn resize_message(size: TerminalSize) -> Bytes {
    serde_json::json!({ "Width": size.width, "Height": size.height })
        .to_string()
        .into()
}

/// Carries the client's stdin and terminal sizes to containerd; at the end
/// of stdin the stdin stream is half-closed. Never returns: the session
/// ends when the output does.
async fn forward_input(
    mut from_client: mpsc::Receiver<Bytes>,
    stdin: Option<Stream>,
    mut resizes: mpsc::Receiver<TerminalSize>,
    resize: Option<Stream>,
) {
    let mut stdin = stdin.map(|stream| stream.writer);
    let mut resize = resize.map(|stream| stream.writer);
    loop {
        tokio::select! {
            data = from_client.recv(), if stdin.is_some() => {
                let Some(writer) = &stdin else { continue };
                let sent = match data {
                    Some(data) => writer.write(data).await,
                    None => writer.finish().await.and(Err(vk_spdy::StreamClosed(0))),
                };
                if sent.is_err() {
                    // Ended by the client, or the process no longer reads.
                    stdin = None;
                }
            }
            size = resizes.recv(), if resize.is_some() => {
                let Some(writer) = &resize else { continue };
                let sent = match size {
                    Some(size) => writer.write(resize_message(size)).await,
                    None => Err(vk_spdy::StreamClosed(0)),
                };
                if sent.is_err() {
                    resize = None;
                }
            }
            else => std::future::pending::<()>().await,
        }
    }
}

/// Carries one output stream to the client until containerd closes it.
async fn forward_output(
    stream: Option<Stream>,
    to_client: &mpsc::Sender<Bytes>,
) -> Result<(), Stop> {
    let Some(mut stream) = stream else {
        return Ok(());
    };
    while let Some(data) = stream.data.recv().await {
        to_client.send(data).await.map_err(|_| Stop::ClientGone)?;
    }
    Ok(())
}

/// The error stream's content: the `metav1.Status` JSON (cut at
/// [`MAX_STATUS_BYTES`]), empty if containerd closed without one.
async fn read_status(mut error: Stream) -> Vec<u8> {
    let mut status = Vec::new();
    while let Some(data) = error.data.recv().await {
        let room = MAX_STATUS_BYTES.saturating_sub(status.len());
        status.extend_from_slice(&data[..data.len().min(room)]);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_is_client_go_terminal_size_json() {
        let message = resize_message(TerminalSize {
            width: 80,
            height: 24,
        });
        let size: serde_json::Value = serde_json::from_slice(&message).expect("JSON");
        assert_eq!(size, serde_json::json!({ "Width": 80, "Height": 24 }));
    }
}
