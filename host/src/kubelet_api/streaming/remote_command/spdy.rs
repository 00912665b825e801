//! Exec and attach over SPDY/3.1, as the kubelet serves them to an API
//! server that upgrades with SPDY (every one before 1.36): after the
//! upgrade the client opens one stream per channel, named by its
//! `streamType` header (`error`, `stdin`, `stdout`, `stderr`, `resize`);
//! once all the request asked for are open the session starts. At the end
//! the outcome is written on the error stream and every output stream is
//! half-closed, which is how client-go knows it has read everything.
//!
//! Protocols: `v4.channel.k8s.io` (the error stream carries a JSON
//! `metav1.Status`, so a non-zero exit code reaches kubectl),
//! `v3.channel.k8s.io` (text errors, resize), `v2.channel.k8s.io` (no
//! resize stream) and `channel.k8s.io`. Unlike the kubelet, v1 gets its
//! failure text too (the kubelet resets v1's error stream before writing,
//! a bug it keeps for 1.0 clients).

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};
use vk_spdy::{Stream, status};

use super::outcome::{ErrorFormat, Outcome};
use super::{ClientGone, ClientInput, ClientOutput, ClientReader, Ended, Session};

/// How long the client may take to open its streams (the kubelet's
/// stream creation timeout).
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long we wait for the client to close the connection once it has
/// the outcome.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// A negotiated remote-command protocol over SPDY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V4,
    V3,
    V2,
    V1,
}

/// The protocols served, in the kubelet's order (the client's order of
/// preference decides, see `streaming::spdy::negotiate`).
pub const PROTOCOLS: &[(&str, Version)] = &[
    ("v4.channel.k8s.io", Version::V4),
    ("v3.channel.k8s.io", Version::V3),
    ("v2.channel.k8s.io", Version::V2),
    ("channel.k8s.io", Version::V1),
];

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Self::V4 => "v4.channel.k8s.io",
            Self::V3 => "v3.channel.k8s.io",
            Self::V2 => "v2.channel.k8s.io",
            Self::V1 => "channel.k8s.io",
        }
    }

    fn has_resize(self) -> bool {
        matches!(self, Self::V4 | Self::V3)
    }

    fn error_format(self) -> ErrorFormat {
        match self {
            Self::V4 => ErrorFormat::Status,
            Self::V3 | Self::V2 | Self::V1 => ErrorFormat::Text,
        }
    }
}

/// Serves one upgraded connection: waits for the client's streams, runs
/// the session, and closes the connection once the client has the outcome.
pub async fn run<Io>(io: Io, version: Version, session: Session)
where
    Io: AsyncRead + AsyncWrite + Send,
{
    info!(
        "{} session over SPDY/3.1 ({})",
        session.kind.name(),
        version.name()
    );
    let _open = crate::metrics::global()
        .kubelet_api
        .session_open(session.kind.name(), "spdy");
    let (accept, accepted) = mpsc::channel(8);
    let stop = CancellationToken::new();
    let wanted = Wanted {
        stdin: session.start.stdin,
        stdout: session.start.stdout,
        stderr: session.start.stderr,
        resize: session.start.tty && version.has_resize(),
    };
    let serving = vk_spdy::serve(io, accept, stop.clone());
    let serving_session = async {
        let streams =
            tokio::time::timeout(STREAM_CREATION_TIMEOUT, collect(accepted, wanted)).await;
        let streams = match streams {
            Ok(Some(streams)) => streams,
            Ok(None) => {
                debug!("the connection ended before the client opened its streams");
                return stop.cancel();
            }
            Err(_) => {
                info!(
                    ?wanted,
                    "timed out after {}s waiting for the client to open its streams",
                    STREAM_CREATION_TIMEOUT.as_secs()
                );
                return stop.cancel();
            }
        };
        let connection = streams.error.writer.clone();
        let (mut reader, mut output) = streams.split(version);
        if super::run(session, &mut reader, &mut output).await == Ended::Finished {
            let _ = tokio::time::timeout(CLOSE_WAIT, connection.closed()).await;
        }
        stop.cancel();
    };
    let (ended, ()) = tokio::join!(serving, serving_session);
    match ended {
        Ok(ending) => debug!(?ending, "the SPDY connection ended"),
        Err(error) => debug!(%error, "the SPDY connection failed"),
    }
}

/// The streams the request asked for, besides the error stream.
#[derive(Debug, Clone, Copy)]
struct Wanted {
    stdin: bool,
    stdout: bool,
    stderr: bool,
    resize: bool,
}

/// The client's streams, by type.
#[derive(Debug, Default)]
struct Streams {
    error: Option<Stream>,
    stdin: Option<Stream>,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    resize: Option<Stream>,
}

/// All of them, once open.
struct Opened {
    error: Stream,
    stdin: Option<Stream>,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    resize: Option<Stream>,
}

impl Streams {
    /// The slot for a stream of `stream_type`, if the request wants one.
    fn slot(&mut self, stream_type: &str, wanted: Wanted) -> Option<&mut Option<Stream>> {
        match stream_type {
            "error" => Some(&mut self.error),
            "stdin" if wanted.stdin => Some(&mut self.stdin),
            "stdout" if wanted.stdout => Some(&mut self.stdout),
            "stderr" if wanted.stderr => Some(&mut self.stderr),
            "resize" if wanted.resize => Some(&mut self.resize),
            _ => None,
        }
    }

    /// All the streams, once those `wanted` are open.
    fn take_complete(&mut self, wanted: Wanted) -> Option<Opened> {
        let ready = self.stdin.is_some() == wanted.stdin
            && self.stdout.is_some() == wanted.stdout
            && self.stderr.is_some() == wanted.stderr
            && self.resize.is_some() == wanted.resize;
        if !ready {
            return None;
        }
        Some(Opened {
            error: self.error.take()?,
            stdin: self.stdin.take(),
            stdout: self.stdout.take(),
            stderr: self.stderr.take(),
            resize: self.resize.take(),
        })
    }
}

/// Accepts the client's streams until those `wanted` are open; `None` if
/// the connection ends first. Streams of other types are accepted and
/// ignored (their data is dropped), as the kubelet does; a second stream
/// of a type is reset.
async fn collect(mut accepted: mpsc::Receiver<Stream>, wanted: Wanted) -> Option<Opened> {
    let mut streams = Streams::default();
    loop {
        let stream = accepted.recv().await?;
        let stream_type = stream.headers.get("streamType").unwrap_or("").to_owned();
        let Some(slot) = streams.slot(&stream_type, wanted) else {
            debug!(stream = stream.id, %stream_type, "ignoring a stream the request did not ask for");
            let _ = stream.writer.reply().await;
            continue;
        };
        if slot.is_some() {
            debug!(stream = stream.id, %stream_type, "a second stream of the same type; resetting it");
            let _ = stream.writer.reset(status::PROTOCOL_ERROR).await;
            continue;
        }
        stream.writer.reply().await.ok()?;
        *slot = Some(stream);
        if let Some(opened) = streams.take_complete(wanted) {
            return Some(opened);
        }
    }
}

impl Opened {
    fn split(self, version: Version) -> (Reader, Output) {
        let reader = Reader {
            stdin: self.stdin.map(|stream| stream.data),
            resize: self.resize.map(|stream| stream.data),
            connection: self.error.writer.clone(),
            has_resize: version.has_resize(),
        };
        let output = Output {
            error: self.error,
            stdout: self.stdout,
            stderr: self.stderr,
            format: version.error_format(),
        };
        (reader, output)
    }
}

struct Reader {
    stdin: Option<mpsc::Receiver<Bytes>>,
    resize: Option<mpsc::Receiver<Bytes>>,
    /// The error stream's writer: closed when the connection ends.
    connection: vk_spdy::StreamWriter,
    has_resize: bool,
}

impl ClientReader for Reader {
    async fn next(&mut self) -> Result<ClientInput, ClientGone> {
        loop {
            tokio::select! {
                data = recv(&mut self.stdin) => match data {
                    Some(data) => return Ok(ClientInput::Stdin(data)),
                    None => {
                        self.stdin = None;
                        // FIN, unless the whole connection ended.
                        if !self.connection.is_closed() {
                            return Ok(ClientInput::StdinClosed);
                        }
                    }
                },
                data = recv(&mut self.resize) => match data {
                    Some(data) => return Ok(ClientInput::Resize(data)),
                    None => self.resize = None,
                },
                () = self.connection.closed() => {
                    return Err(ClientGone("the SPDY connection ended".into()));
                }
            }
        }
    }

    fn carries_resize(&self) -> bool {
        self.has_resize && self.resize.is_some()
    }
}

/// The next data of an open stream; pending forever once it is gone.
async fn recv(stream: &mut Option<mpsc::Receiver<Bytes>>) -> Option<Bytes> {
    match stream {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

struct Output {
    error: Stream,
    stdout: Option<Stream>,
    stderr: Option<Stream>,
    format: ErrorFormat,
}

async fn write(stream: &Option<Stream>, data: Bytes) -> Result<(), ClientGone> {
    let Some(stream) = stream else {
        return Ok(());
    };
    stream
        .writer
        .write(data)
        .await
        .map_err(|error| ClientGone(error.to_string()))
}

impl ClientOutput for Output {
    async fn stdout(&mut self, data: Bytes) -> Result<(), ClientGone> {
        write(&self.stdout, data).await
    }

    async fn stderr(&mut self, data: Bytes) -> Result<(), ClientGone> {
        write(&self.stderr, data).await
    }

    async fn finish(&mut self, outcome: &Outcome) {
        if let Some(payload) = outcome.error_payload(self.format) {
            let _ = self.error.writer.write(payload).await;
        }
        for stream in [
            Some(&self.error),
            self.stdout.as_ref(),
            self.stderr.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = stream.writer.finish().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_by_name() {
        for (name, version) in PROTOCOLS {
            assert_eq!(version.name(), *name);
        }
        assert!(Version::V3.has_resize() && !Version::V2.has_resize());
        assert_eq!(Version::V4.error_format(), ErrorFormat::Status);
        assert_eq!(Version::V1.error_format(), ErrorFormat::Text);
    }
}
