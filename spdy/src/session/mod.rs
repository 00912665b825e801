//! One SPDY/3.1 connection, either side. [`serve`] hands the peer's
//! streams to the application; [`dial`] returns a [`Client`] that opens
//! ours. Both then carry data in both directions on every stream.
//!
//! Backpressure: the peer's data frames are delivered in order into a
//! small bounded queue per stream; a full queue stops reading the
//! connection (as a kubelet's pipes do). Our frames go through one bounded
//! queue drained by a single writer. Neither side does SPDY flow control
//! (spdystream, which kubectl and the CRI streaming servers use, ignores
//! WINDOW_UPDATE); TCP's applies.

mod stream;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use self::stream::StreamShared;
pub use self::stream::{Stream, StreamClosed, StreamWriter};
use crate::frame::{Frame, FrameDecoder, FrameEncoder, FrameError, StreamId, status};
use crate::headers::Headers;

/// The peer's data frames queued per stream at most.
const INPUT_DEPTH: usize = 8;
/// Frames queued towards the peer at most (all streams together).
const OUTPUT_DEPTH: usize = 16;
/// Streams open at once per connection; more are refused (REFUSED_STREAM).
const MAX_STREAMS: usize = 512;
/// How long a stop waits for the frames already queued (and the GOAWAY)
/// to be written.
const FLUSH_ON_STOP: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The peer closed the connection.
    PeerClosed,
    /// The application asked to stop (a GOAWAY was sent).
    Stopped,
}

/// Serves one connection until the peer closes it, it fails, or `stop`
/// is cancelled: then the frames already queued are written, and a GOAWAY
/// after them. The peer's streams go to `accept`; when this returns,
/// every stream's writer fails and every data receiver ends.
pub async fn serve<Io>(
    io: Io,
    accept: mpsc::Sender<Stream>,
    stop: CancellationToken,
) -> Result<Ending, FrameError>
where
    Io: AsyncRead + AsyncWrite + Send,
{
    let (core, output) = Core::new();
    run(io, core, output, Role::Server { accept }, stop).await
}

/// Takes the dialling side of `io` (a connection upgraded to SPDY/3.1).
/// The returned future drives the connection and must be polled (spawned
/// or joined) for streams to work; it ends as [`serve`] does. Streams the
/// peer tries to open are refused.
pub fn dial<Io>(
    io: Io,
    stop: CancellationToken,
) -> (
    Client,
    impl Future<Output = Result<Ending, FrameError>> + Send,
)
where
    Io: AsyncRead + AsyncWrite + Send,
{
    let (core, output) = Core::new();
    let client = Client {
        core: core.clone(),
        opening: Arc::new(tokio::sync::Mutex::new(())),
    };
    (client, run(io, core, output, Role::Client, stop))
}

/// Opens streams on a dialled connection.
#[derive(Clone, Debug)]
pub struct Client {
    core: Arc<Core>,
    /// Held while a stream id is taken and its SYN_STREAM queued, so ids
    /// go out in increasing order as SPDY requires.
    opening: Arc<tokio::sync::Mutex<()>>,
}

/// Why a stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the SPDY connection has ended")]
    ConnectionEnded,
    #[error("{MAX_STREAMS} SPDY streams are open; no more can be opened")]
    TooManyStreams,
}

impl Client {
    /// Opens a stream with `headers`. Data can be written at once; the
    /// peer's reply is not waited for (a refusal shows as a reset).
    pub async fn open(&self, headers: Headers) -> Result<Stream, OpenError> {
        let _opening = self.opening.lock().await;
        let (id, shared, data) = {
            let mut table = self.core.table();
            if self.core.connection.is_cancelled() {
                return Err(OpenError::ConnectionEnded);
            }
            let id = table.next_own_stream;
            let (shared, data) = self
                .core
                .register(&mut table, id, false)
                .ok_or(OpenError::TooManyStreams)?;
            table.next_own_stream += 2;
            (id, shared, data)
        };
        let writer = StreamWriter {
            id,
            frames: self.core.output.clone(),
            shared,
        };
        writer
            .send(Frame::SynStream {
                stream: id,
                fin: false,
                headers: headers.clone(),
            })
            .await
            .map_err(|_| OpenError::ConnectionEnded)?;
        Ok(Stream {
            id,
            headers,
            data,
            writer,
        })
    }
}

/// Which side we are: the dialler opens odd stream ids, the server even.
enum Role {
    Server { accept: mpsc::Sender<Stream> },
    Client,
}

impl Role {
    /// Whether `id` is one the peer may open (and so may ping with).
    fn is_peers(&self, id: u32) -> bool {
        match self {
            Role::Server { .. } => id % 2 == 1,
            Role::Client => id.is_multiple_of(2),
        }
    }
}

/// What the reader, the application's writers and [`Client`] share.
#[derive(Debug)]
struct Core {
    table: Mutex<Table>,
    slots: Arc<Semaphore>,
    /// Cancelled when the connection ends; every stream's token is a child.
    connection: CancellationToken,
    output: mpsc::Sender<Frame>,
}

/// The open streams.
#[derive(Debug)]
struct Table {
    open: HashMap<StreamId, OpenStream>,
    last_peer_stream: StreamId,
    next_own_stream: StreamId,
}

#[derive(Debug)]
struct OpenStream {
    /// None once the peer half-closed the stream.
    data: Option<mpsc::Sender<Bytes>>,
    shared: Weak<StreamShared>,
}

impl Core {
    fn new() -> (Arc<Self>, mpsc::Receiver<Frame>) {
        let (output, output_rx) = mpsc::channel(OUTPUT_DEPTH);
        let core = Self {
            table: Mutex::new(Table {
                open: HashMap::new(),
                last_peer_stream: 0,
                next_own_stream: 1,
            }),
            slots: Arc::new(Semaphore::new(MAX_STREAMS)),
            connection: CancellationToken::new(),
            output,
        };
        (Arc::new(core), output_rx)
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock leaves the table consistent: every
        // change is a single insert, remove or field update.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds stream `id`; None when too many are open.
    fn register(
        &self,
        table: &mut Table,
        id: StreamId,
        peer_finished: bool,
    ) -> Option<(Arc<StreamShared>, mpsc::Receiver<Bytes>)> {
        table.open.retain(|_, open| open.shared.strong_count() > 0);
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        let shared = Arc::new(StreamShared {
            closed: self.connection.child_token(),
            _permit: permit,
        });
        let (data, data_rx) = mpsc::channel(INPUT_DEPTH);
        table.open.insert(
            id,
            OpenStream {
                data: (!peer_finished).then_some(data),
                shared: Arc::downgrade(&shared),
            },
        );
        Some((shared, data_rx))
    }

    async fn handle(&self, role: &Role, frame: Frame) {
        match frame {
            Frame::SynStream {
                stream,
                fin,
                headers,
            } => match role {
                Role::Server { accept } => self.accept(accept, stream, fin, headers).await,
                Role::Client => {
                    debug!(stream, "the server opened a stream; refusing it");
                    self.refuse(stream, status::REFUSED_STREAM).await;
                }
            },
            Frame::Data { stream, fin, data } => self.data(stream, fin, data).await,
            Frame::SynReply {
                stream, fin: true, ..
            }
            | Frame::Headers {
                stream, fin: true, ..
            } => self.data(stream, true, Bytes::new()).await,
            Frame::RstStream { stream, status } => {
                debug!(stream, status, "the peer reset a stream");
                let removed = self.table().open.remove(&stream);
                if let Some(open) = removed {
                    // Marked closed before the data receiver ends, so that
                    // the application can tell a reset from a FIN.
                    if let Some(shared) = open.shared.upgrade() {
                        shared.closed.cancel();
                    }
                    drop(open);
                }
            }
            Frame::Ping { id } if role.is_peers(id) => {
                let _ = self.output.send(Frame::Ping { id }).await;
            }
            Frame::GoAway { status, .. } => {
                debug!(status, "the peer sent GOAWAY; it opens no more streams");
            }
            Frame::Ping { .. }
            | Frame::SynReply { .. }
            | Frame::Headers { .. }
            | Frame::Ignored { .. } => {}
        }
    }

    async fn accept(
        &self,
        accept: &mpsc::Sender<Stream>,
        stream: StreamId,
        fin: bool,
        headers: Headers,
    ) {
        let registered = {
            let mut table = self.table();
            if stream.is_multiple_of(2) || stream <= table.last_peer_stream {
                Err(status::PROTOCOL_ERROR)
            } else {
                table.last_peer_stream = stream;
                self.register(&mut table, stream, fin)
                    .ok_or(status::REFUSED_STREAM)
            }
        };
        let (shared, data) = match registered {
            Ok(registered) => registered,
            Err(status) => {
                debug!(stream, status, "refusing a stream the client opened");
                self.refuse(stream, status).await;
                return;
            }
        };
        let accepted = Stream {
            id: stream,
            headers,
            data,
            writer: StreamWriter {
                id: stream,
                frames: self.output.clone(),
                shared,
            },
        };
        if accept.send(accepted).await.is_err() {
            self.table().open.remove(&stream);
            self.refuse(stream, status::REFUSED_STREAM).await;
        }
    }

    async fn data(&self, stream: StreamId, fin: bool, data: Bytes) {
        let sender = {
            let mut table = self.table();
            let Some(open) = table.open.get_mut(&stream) else {
                debug!(stream, "data for a stream that is not open");
                return;
            };
            // On FIN the sender is dropped after this frame: the end.
            if fin {
                open.data.take()
            } else {
                open.data.clone()
            }
        };
        if let Some(sender) = sender
            && !data.is_empty()
            && sender.send(data).await.is_err()
            && let Some(open) = self.table().open.get_mut(&stream)
        {
            // Nobody reads this stream any more; drop what follows.
            open.data = None;
        }
    }

    async fn refuse(&self, stream: StreamId, status: u32) {
        let _ = self.output.send(Frame::RstStream { stream, status }).await;
    }

    /// Ends every stream: writers fail, data receivers end.
    fn end(&self) {
        self.connection.cancel();
        self.table().open.clear();
    }
}

/// Ends the connection's streams however `run` returns (or is dropped).
struct EndStreams(Arc<Core>);

impl Drop for EndStreams {
    fn drop(&mut self) {
        self.0.end();
    }
}

async fn run<Io>(
    io: Io,
    core: Arc<Core>,
    mut output: mpsc::Receiver<Frame>,
    role: Role,
    stop: CancellationToken,
) -> Result<Ending, FrameError>
where
    Io: AsyncRead + AsyncWrite + Send,
{
    let (read, write) = tokio::io::split(io);
    let mut frames_in = FramedRead::new(read, FrameDecoder::new());
    let mut frames_out = FramedWrite::new(write, FrameEncoder::new());
    let _end_streams = EndStreams(core.clone());

    let writer_stop = CancellationToken::new();
    let writer = async {
        loop {
            // Biased: what the application queued before the stop still
            // goes out (a session's last data and FINs), then GOAWAY.
            let frame = tokio::select! {
                biased;
                frame = output.recv() => frame,
                () = writer_stop.cancelled() => break,
            };
            match frame {
                Some(frame) => frames_out.send(frame).await?,
                None => return Ok(()),
            }
        }
        let last_good_stream = core.table().last_peer_stream;
        frames_out
            .send(Frame::GoAway {
                last_good_stream,
                status: 0,
            })
            .await
    };
    let reader = async {
        loop {
            let frame = tokio::select! {
                frame = frames_in.next() => frame,
                () = stop.cancelled() => return Ok(Ending::Stopped),
            };
            match frame {
                None => return Ok(Ending::PeerClosed),
                Some(Err(error)) => return Err(error),
                Some(Ok(frame)) => core.handle(&role, frame).await,
            }
        }
    };
    let mut writer = std::pin::pin!(writer);
    let ending = tokio::select! {
        written = &mut writer => written.map(|()| Ending::PeerClosed),
        ending = reader => ending,
    }?;
    if ending == Ending::Stopped {
        // A peer that stopped reading cannot hold the stop up for long.
        writer_stop.cancel();
        let _ = tokio::time::timeout(FLUSH_ON_STOP, writer).await;
    }
    Ok(ending)
}
