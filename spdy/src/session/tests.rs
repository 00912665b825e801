//! The session against a peer that speaks raw frames, and our dialling
//! side against our serving side.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Ending, Stream, dial, serve};
use crate::frame::{Frame, FrameDecoder, FrameEncoder, FrameError, StreamId, status};
use crate::headers::Headers;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};
use tokio_util::codec::{Decoder as _, Encoder as _};

/// A peer speaking raw frames on the other end of an in-memory pipe.
struct RawPeer {
    io: DuplexStream,
    encoder: FrameEncoder,
    decoder: FrameDecoder,
    buffer: bytes::BytesMut,
}

impl RawPeer {
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
    RawPeer,
    mpsc::Receiver<Stream>,
    CancellationToken,
    tokio::task::JoinHandle<Result<Ending, FrameError>>,
) {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (accept, accepted) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let session = tokio::spawn(serve(ours, accept, stop.clone()));
    let client = RawPeer {
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
    assert_eq!(session.await.expect("ok").expect("ok"), Ending::PeerClosed);
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

#[tokio::test]
async fn stopping_writes_what_was_queued_before_the_goaway() {
    let (mut client, mut accepted, stop, session) = start();
    client.open(1, false).await;
    let stream = accepted.recv().await.expect("ok");
    stream.writer.reply().await.expect("ok");
    stream
        .writer
        .write(Bytes::from_static(b"last words"))
        .await
        .expect("ok");
    stream.writer.finish().await.expect("ok");
    assert!(!stream.writer.is_closed());
    stop.cancel();
    assert_eq!(session.await.expect("ok").expect("ok"), Ending::Stopped);
    assert!(stream.writer.is_closed(), "the connection ended");
    let mut frames = Vec::new();
    while let Some(frame) = client.next().await {
        frames.push(frame);
    }
    assert!(matches!(frames[0], Frame::SynReply { stream: 1, .. }));
    assert_eq!(
        frames[1..],
        [
            Frame::Data {
                stream: 1,
                fin: false,
                data: Bytes::from_static(b"last words")
            },
            Frame::Data {
                stream: 1,
                fin: true,
                data: Bytes::new()
            },
            Frame::GoAway {
                last_good_stream: 1,
                status: 0
            }
        ]
    );
}

#[tokio::test]
async fn a_dialled_session_opens_streams_on_a_served_one() {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (accept, mut accepted) = mpsc::channel(4);
    let server = tokio::spawn(serve(theirs, accept, CancellationToken::new()));
    let (client, connection) = dial(ours, CancellationToken::new());
    let connection = tokio::spawn(connection);

    let mut first = client
        .open(Headers::from_pairs(&[("streamType", "stdin")]))
        .await
        .expect("open");
    let mut second = client
        .open(Headers::from_pairs(&[("streamType", "stdout")]))
        .await
        .expect("open");
    assert_eq!((first.id, second.id), (1, 3), "the dialler's ids are odd");

    let mut served = accepted.recv().await.expect("first stream");
    assert_eq!(served.headers.get("streamtype"), Some("stdin"));
    let served_out = accepted.recv().await.expect("second stream");
    assert_eq!(served_out.headers.get("streamType"), Some("stdout"));

    first
        .writer
        .write(Bytes::from_static(b"in"))
        .await
        .expect("write");
    first.writer.finish().await.expect("half-close");
    assert_eq!(served.data.recv().await.expect("data"), "in");
    assert_eq!(served.data.recv().await, None, "our FIN ends the data");

    served_out.writer.reply().await.expect("reply");
    served_out
        .writer
        .write(Bytes::from_static(b"out"))
        .await
        .expect("write");
    served_out.writer.finish().await.expect("half-close");
    assert_eq!(second.data.recv().await.expect("data"), "out");
    assert_eq!(second.data.recv().await, None, "their FIN ends the data");

    drop((served, served_out));
    server.abort();
    assert_eq!(
        connection.await.expect("joined").expect("ended cleanly"),
        Ending::PeerClosed
    );
    assert!(first.data.recv().await.is_none());
    assert!(client.open(Headers::default()).await.is_err());
}

#[tokio::test]
async fn a_dialled_session_refuses_pushed_streams_and_echoes_server_pings() {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let (_client, connection) = dial(ours, CancellationToken::new());
    tokio::spawn(connection);
    let mut server = RawPeer {
        io: theirs,
        encoder: FrameEncoder::new(),
        decoder: FrameDecoder::new(),
        buffer: bytes::BytesMut::new(),
    };
    server.open(2, false).await;
    assert_eq!(
        server.next().await,
        Some(Frame::RstStream {
            stream: 2,
            status: status::REFUSED_STREAM
        })
    );
    server.send(Frame::Ping { id: 2 }).await;
    assert_eq!(server.next().await, Some(Frame::Ping { id: 2 }));
}
