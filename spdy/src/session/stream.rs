//! One stream of a session as the application sees it: the peer's data
//! as a bounded receiver, and a cloneable writer for ours.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio_util::sync::CancellationToken;

use crate::frame::{Frame, StreamId};
use crate::headers::Headers;

/// Our data goes out in frames of at most this size.
const MAX_DATA_OUT: usize = 32 * 1024;

/// A stream of the session, opened by either side.
#[derive(Debug)]
pub struct Stream {
    pub id: StreamId,
    /// The headers the opener sent.
    pub headers: Headers,
    /// The peer's data until it half-closes the stream (FIN), resets it or
    /// the connection ends.
    pub data: mpsc::Receiver<Bytes>,
    pub writer: StreamWriter,
}

/// Our side of a stream. Cloneable; every call fails once the peer reset
/// the stream or the connection ended.
#[derive(Clone)]
pub struct StreamWriter {
    pub(super) id: StreamId,
    pub(super) frames: mpsc::Sender<Frame>,
    pub(super) shared: Arc<StreamShared>,
}

/// What lives as long as the application holds the stream.
#[derive(Debug)]
pub(super) struct StreamShared {
    /// Cancelled when the peer resets the stream or the connection ends.
    pub(super) closed: CancellationToken,
    pub(super) _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamWriter")
            .field("id", &self.id)
            .field("closed", &self.shared.closed.is_cancelled())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("SPDY stream {0} is closed")]
pub struct StreamClosed(pub StreamId);

impl StreamWriter {
    /// Accepts a stream the peer opened (SYN_REPLY without headers, as the
    /// kubelet does).
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

    /// Resolves when the peer resets the stream or the connection ends.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await;
    }

    /// Whether the peer reset the stream or the connection ended (a
    /// stream's data receiver also ends on the peer's FIN; this tells the
    /// two apart).
    pub fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    pub(super) async fn send(&self, frame: Frame) -> Result<(), StreamClosed> {
        tokio::select! {
            biased;
            () = self.shared.closed.cancelled() => Err(StreamClosed(self.id)),
            sent = self.frames.send(frame) => sent.map_err(|_| StreamClosed(self.id)),
        }
    }
}
