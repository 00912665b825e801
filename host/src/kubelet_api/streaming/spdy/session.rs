//! One SPDY/3.1 connection, server side: accepts the client's streams and
//! hands each to the application with a receiver for the client's data and
//! a writer for ours.
//!
//! Backpressure: the client's data frames are delivered in order into a
//! small bounded queue per stream; a full queue stops reading the
//! connection (as a kubelet's pipes do). Our frames go through one bounded
//! queue drained by a single writer. Neither side does SPDY flow control
//! (spdystream, which kubectl uses, ignores WINDOW_UPDATE); TCP's applies.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::frame::{Frame, FrameDecoder, FrameEncoder, FrameError, StreamId, status};
use super::headers::Headers;

/// Client data frames queued per stream at most.
const INPUT_DEPTH: usize = 8;
/// Frames queued towards the client at most (all streams together).
const OUTPUT_DEPTH: usize = 16;
/// Streams open at once per connection; more are refused (REFUSED_STREAM).
const MAX_STREAMS: usize = 512;
/// Our data goes out in frames of at most this size.
const MAX_DATA_OUT: usize = 32 * 1024;

/// A stream the client opened.
pub struct Stream {
    pub id: StreamId,
    pub headers: Headers,
    /// The client's data until it half-closes the stream (FIN), resets it
    /// or the connection ends.
    pub data: mpsc::Receiver<Bytes>,
    pub writer: StreamWriter,
}

/// Our side of a stream. Cloneable; every call fails once the client reset
/// the stream or the connection ended.
#[derive(Clone)]
pub struct StreamWriter {
    id: StreamId,
    frames: mpsc::Sender<Frame>,
    shared: Arc<StreamShared>,
}

/// What lives as long as the application holds the stream.
struct StreamShared {
    /// Cancelled when the client resets the stream or the connection ends.
    closed: CancellationToken,
    _permit: OwnedSemaphorePermit,
}

#[derive(Debug, thiserror::Error)]
#[error("SPDY stream {0} is closed")]
pub struct StreamClosed(StreamId);

impl StreamWriter {
    /// Accepts the stream (SYN_REPLY without headers, as the kubelet does).
    pub async fn reply(&self) -> Result<(), StreamClosed> {
        self.send(Frame::SynReply {
            stream: self.id,
            fin: false,
            headers: Headers::default(),
        })
        .await
    }

    pub async fn write(&self, mut data: Bytes) -> Result<(), StreamClosed> {
        while !data.is_empty() {
            let piece = data.split_to(data.len().min(MAX_DATA_OUT));
            self.send(Frame::Data {
                stream: self.id,
                fin: false,
                data: piece,
            })
            .await?;
        }
        Ok(())
    }

    /// Half-closes our side: we send nothing more on this stream.
    pub async fn finish(&self) -> Result<(), StreamClosed> {
        self.send(Frame::Data {
            stream: self.id,
            fin: true,
            data: Bytes::new(),
        })
        .await
    }

    /// Aborts the stream in both directions.
    pub async fn reset(&self, status: u32) -> Result<(), StreamClosed> {
        let sent = self
            .send(Frame::RstStream {
                stream: self.id,
                status,
            })
            .await;
        self.shared.closed.cancel();
        sent
    }

    /// Resolves when the client resets the stream or the connection ends.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await;
    }

    async fn send(&self, frame: Frame) -> Result<(), StreamClosed> {
        tokio::select! {
            biased;
            () = self.shared.closed.cancelled() => Err(StreamClosed(self.id)),
            sent = self.frames.send(frame) => sent.map_err(|_| StreamClosed(self.id)),
        }
    }
}

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The client closed the connection.
    ClientClosed,
    /// The application asked to stop (a GOAWAY was sent).
    Stopped,
}

/// Serves one connection until the client closes it, it fails, or `stop`
/// is cancelled. New streams go to `accept`; when this returns, every
/// stream's writer fails and every data receiver ends.
pub async fn serve<Io>(
    io: Io,
    accept: mpsc::Sender<Stream>,
    stop: CancellationToken,
) -> Result<Ending, FrameError>
where
    Io: AsyncRead + AsyncWrite + Send,
{
    let (read, write) = tokio::io::split(io);
    let mut frames_in = FramedRead::new(read, FrameDecoder::new());
    let mut frames_out = FramedWrite::new(write, FrameEncoder::new());
    let (output, mut output_rx) = mpsc::channel::<Frame>(OUTPUT_DEPTH);
    let connection = CancellationToken::new();
    let _end_streams = connection.clone().drop_guard();
    let mut streams = Streams {
        open: HashMap::new(),
        last_client_stream: 0,
        slots: Arc::new(Semaphore::new(MAX_STREAMS)),
        connection,
        output,
        accept,
    };

    let ending = {
        let writer = async {
            while let Some(frame) = output_rx.recv().await {
                frames_out.send(frame).await?;
            }
            Ok::<(), FrameError>(())
        };
        let reader = async {
            loop {
                let frame = tokio::select! {
                    frame = frames_in.next() => frame,
                    () = stop.cancelled() => return Ok(Ending::Stopped),
                };
                match frame {
                    None => return Ok(Ending::ClientClosed),
                    Some(Err(error)) => return Err(error),
                    Some(Ok(frame)) => streams.handle(frame).await,
                }
            }
        };
        tokio::select! {
            written = writer => written.map(|()| Ending::ClientClosed),
            ending = reader => ending,
        }
    }?;
    if ending == Ending::Stopped {
        let _ = frames_out
            .send(Frame::GoAway {
                last_good_stream: streams.last_client_stream,
                status: 0,
            })
            .await;
    }
    Ok(ending)
}

/// The reader's view of the open streams.
struct Streams {
    open: HashMap<StreamId, OpenStream>,
    last_client_stream: StreamId,
    slots: Arc<Semaphore>,
    connection: CancellationToken,
    output: mpsc::Sender<Frame>,
    accept: mpsc::Sender<Stream>,
}

struct OpenStream {
    /// None once the client half-closed the stream.
    data: Option<mpsc::Sender<Bytes>>,
    shared: Weak<StreamShared>,
}

impl Streams {
    async fn handle(&mut self, frame: Frame) {
        match frame {
            Frame::SynStream {
                stream,
                fin,
                headers,
            } => self.open_stream(stream, fin, headers).await,
            Frame::Data { stream, fin, data } => self.data(stream, fin, data).await,
            Frame::Headers {
                stream, fin: true, ..
            } => self.data(stream, true, Bytes::new()).await,
            Frame::RstStream { stream, status } => {
                debug!(stream, status, "client reset a stream");
                if let Some(open) = self.open.remove(&stream)
                    && let Some(shared) = open.shared.upgrade()
                {
                    shared.closed.cancel();
                }
            }
            // Pings the client starts have odd ids; echo them.
            Frame::Ping { id } if id % 2 == 1 => {
                let _ = self.output.send(Frame::Ping { id }).await;
            }
            Frame::GoAway { status, .. } => {
                debug!(status, "client sent GOAWAY; it opens no more streams");
            }
            Frame::Ping { .. }
            | Frame::SynReply { .. }
            | Frame::Headers { .. }
            | Frame::Ignored { .. } => {}
        }
    }

    async fn open_stream(&mut self, stream: StreamId, fin: bool, headers: Headers) {
        if stream.is_multiple_of(2) || stream <= self.last_client_stream {
            debug!(stream, "client opened a stream with an invalid id");
            self.refuse(stream, status::PROTOCOL_ERROR).await;
            return;
        }
        self.last_client_stream = stream;
        self.open.retain(|_, open| open.shared.strong_count() > 0);
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            debug!(stream, "too many streams open; refusing one");
            self.refuse(stream, status::REFUSED_STREAM).await;
            return;
        };
        let shared = Arc::new(StreamShared {
            closed: self.connection.child_token(),
            _permit: permit,
        });
        let (data, data_rx) = mpsc::channel(INPUT_DEPTH);
        self.open.insert(
            stream,
            OpenStream {
                data: (!fin).then_some(data),
                shared: Arc::downgrade(&shared),
            },
        );
        let accepted = Stream {
            id: stream,
            headers,
            data: data_rx,
            writer: StreamWriter {
                id: stream,
                frames: self.output.clone(),
                shared,
            },
        };
        if self.accept.send(accepted).await.is_err() {
            self.open.remove(&stream);
            self.refuse(stream, status::REFUSED_STREAM).await;
        }
    }

    async fn data(&mut self, stream: StreamId, fin: bool, data: Bytes) {
        let Some(open) = self.open.get_mut(&stream) else {
            debug!(stream, "data for a stream that is not open");
            return;
        };
        if let Some(sender) = &open.data
            && !data.is_empty()
            && sender.send(data).await.is_err()
        {
            // Nobody reads this stream any more; drop what follows.
            open.data = None;
        }
        if fin {
            open.data = None;
        }
    }

    async fn refuse(&self, stream: StreamId, status: u32) {
        let _ = self.output.send(Frame::RstStream { stream, status }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
    use tokio_util::codec::{Decoder as _, Encoder as _};

    /// A client on the other end of an in-memory pipe.
    struct Client {
        io: DuplexStream,
        encoder: FrameEncoder,
        decoder: FrameDecoder,
        buffer: bytes::BytesMut,
    }

    impl Client {
        async fn send(&mut self, frame: Frame) {
            let mut wire = bytes::BytesMut::new();
            self.encoder.encode(frame, &mut wire).expect("ok");
            self.io.write_all(&wire).await.expect("ok");
        }

        async fn next(&mut self) -> Option<Frame> {
            loop {
                if let Some(frame) = self.decoder.decode(&mut self.buffer).expect("ok") {
                    return Some(frame);
                }
                if self.io.read_buf(&mut self.buffer).await.expect("ok") == 0 {
                    return None;
                }
            }
        }

        async fn open(&mut self, stream: StreamId, fin: bool) {
            self.send(Frame::SynStream {
                stream,
                fin,
                headers: Headers::from_pairs(&[("streamtype", "data")]),
            })
            .await;
        }
    }

    fn start() -> (
        Client,
        mpsc::Receiver<Stream>,
        CancellationToken,
        tokio::task::JoinHandle<Result<Ending, FrameError>>,
    ) {
        let (ours, theirs) = tokio::io::duplex(64 * 1024);
        let (accept, accepted) = mpsc::channel(4);
        let stop = CancellationToken::new();
        let session = tokio::spawn(serve(ours, accept, stop.clone()));
        let client = Client {
            io: theirs,
            encoder: FrameEncoder::new(),
            decoder: FrameDecoder::new(),
            buffer: bytes::BytesMut::new(),
        };
        (client, accepted, stop, session)
    }

    #[tokio::test]
    async fn streams_carry_data_both_ways_and_half_close() {
        let (mut client, mut accepted, _stop, session) = start();
        client.open(1, false).await;
        let mut stream = accepted.recv().await.expect("ok");
        assert_eq!(stream.headers.get("streamType"), Some("data"));
        stream.writer.reply().await.expect("ok");
        assert!(matches!(
            client.next().await,
            Some(Frame::SynReply { stream: 1, .. })
        ));

        client
            .send(Frame::Data {
                stream: 1,
                fin: true,
                data: Bytes::from_static(b"ping"),
            })
            .await;
        assert_eq!(stream.data.recv().await.expect("ok"), "ping");
        assert_eq!(stream.data.recv().await, None, "FIN ends the client's data");

        stream
            .writer
            .write(Bytes::from_static(b"pong"))
            .await
            .expect("ok");
        stream.writer.finish().await.expect("ok");
        assert_eq!(
            client.next().await,
            Some(Frame::Data {
                stream: 1,
                fin: false,
                data: Bytes::from_static(b"pong")
            })
        );
        assert!(matches!(
            client.next().await,
            Some(Frame::Data { fin: true, .. })
        ));

        drop(client);
        assert_eq!(
            session.await.expect("ok").expect("ok"),
            Ending::ClientClosed
        );
        assert!(
            stream
                .writer
                .write(Bytes::from_static(b"late"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_reset_closes_the_stream_and_pings_are_echoed() {
        let (mut client, mut accepted, _stop, _session) = start();
        client.open(1, true).await;
        let stream = accepted.recv().await.expect("ok");
        client
            .send(Frame::RstStream {
                stream: 1,
                status: status::CANCEL,
            })
            .await;
        stream.writer.closed().await;
        assert!(stream.writer.reply().await.is_err());

        client.send(Frame::Ping { id: 1 }).await;
        assert_eq!(client.next().await, Some(Frame::Ping { id: 1 }));
    }

    #[tokio::test]
    async fn invalid_stream_ids_are_refused() {
        let (mut client, _accepted, _stop, _session) = start();
        client.open(2, false).await;
        assert_eq!(
            client.next().await,
            Some(Frame::RstStream {
                stream: 2,
                status: status::PROTOCOL_ERROR
            })
        );
    }

    #[tokio::test]
    async fn stopping_sends_goaway() {
        let (mut client, mut accepted, stop, session) = start();
        client.open(1, false).await;
        let _stream = accepted.recv().await.expect("ok");
        stop.cancel();
        assert_eq!(session.await.expect("ok").expect("ok"), Ending::Stopped);
        assert_eq!(
            client.next().await,
            Some(Frame::GoAway {
                last_good_stream: 1,
                status: 0
            })
        );
    }
}
