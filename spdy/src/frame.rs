//! SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 section 2.2 and 2.6) and
//! their wire codec. Every frame has an 8-byte header; a control frame
//! starts with the control bit, version 3 and its type, a data frame with
//! its stream id; both then carry 8 bits of flags and a 24-bit length.

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::headers::{HeaderDecoder, HeaderEncoder, Headers};

/// Stream ids are 31 bits.
pub type StreamId = u32;

const VERSION: u16 = 3;
const CONTROL_BIT: u32 = 0x8000_0000;
const STREAM_ID_MASK: u32 = 0x7fff_ffff;
const HEADER_LEN: usize = 8;
/// FLAG_FIN: the sender will send nothing more on this stream.
const FLAG_FIN: u8 = 0x01;

const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const SETTINGS: u16 = 4;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;
const WINDOW_UPDATE: u16 = 9;

/// Largest frame accepted from the peer. kubectl writes port-forward data
/// in 32 KiB pieces; a frame is buffered whole before it is handled.
pub const MAX_FRAME_LEN: usize = 1024 * 1024;

/// RST_STREAM status codes used here (section 2.6.3).
pub mod status {
    pub const PROTOCOL_ERROR: u32 = 1;
    pub const REFUSED_STREAM: u32 = 3;
    pub const CANCEL: u32 = 5;
}

/// One frame, decoded. Frames this server does not act on (SETTINGS,
/// WINDOW_UPDATE, unknown types) are kept only as their kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Data {
        stream: StreamId,
        fin: bool,
        data: Bytes,
    },
    SynStream {
        stream: StreamId,
        fin: bool,
        headers: Headers,
    },
    SynReply {
        stream: StreamId,
        fin: bool,
        headers: Headers,
    },
    RstStream {
        stream: StreamId,
        status: u32,
    },
    Ping {
        id: u32,
    },
    GoAway {
        last_good_stream: StreamId,
        status: u32,
    },
    Headers {
        stream: StreamId,
        fin: bool,
        headers: Headers,
    },
    /// SETTINGS, WINDOW_UPDATE (spdystream, kubectl's SPDY library, has no
    /// flow control either) or an unknown control frame type.
    Ignored {
        kind: u16,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("SPDY version {0} is not supported (only 3)")]
    Version(u16),
    #[error("a {length}-byte frame is larger than the {MAX_FRAME_LEN} bytes accepted")]
    TooLarge { length: usize },
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("header compression: {0}")]
    Compression(String),
}

/// Reads frames; owns the connection's inbound header-compression context.
pub struct FrameDecoder {
    headers: HeaderDecoder,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self {
            headers: HeaderDecoder::new(),
        }
    }
}

impl Decoder for FrameDecoder {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if buffer.len() < HEADER_LEN {
            return Ok(None);
        }
        let first = u32::from_be_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]);
        let flags = buffer[4];
        let length =
            usize::from(buffer[5]) << 16 | usize::from(buffer[6]) << 8 | usize::from(buffer[7]);
        if length > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge { length });
        }
        if buffer.len() < HEADER_LEN + length {
            buffer.reserve(HEADER_LEN + length - buffer.len());
            return Ok(None);
        }
        buffer.advance(HEADER_LEN);
        let payload = buffer.split_to(length).freeze();
        let fin = flags & FLAG_FIN != 0;
        if first & CONTROL_BIT == 0 {
            return Ok(Some(Frame::Data {
                stream: first & STREAM_ID_MASK,
                fin,
                data: payload,
            }));
        }
        let version = u16::try_from((first >> 16) & 0x7fff).expect("15 bits");
        if version != VERSION {
            return Err(FrameError::Version(version));
        }
        let kind = u16::try_from(first & 0xffff).expect("16 bits");
        self.control(kind, fin, payload).map(Some)
    }
}

impl FrameDecoder {
    fn control(&mut self, kind: u16, fin: bool, mut payload: Bytes) -> Result<Frame, FrameError> {
        let need = |payload: &Bytes, len: usize, what: &str| {
            if payload.len() < len {
                Err(FrameError::Malformed(format!(
                    "{what} frame of {} bytes, at least {len} needed",
                    payload.len()
                )))
            } else {
                Ok(())
            }
        };
        Ok(match kind {
            SYN_STREAM => {
                need(&payload, 10, "SYN_STREAM")?;
                let stream = payload.get_u32() & STREAM_ID_MASK;
                // Associated stream, priority and slot: unused by a server
                // that never pushes.
                payload.advance(6);
                Frame::SynStream {
                    stream,
                    fin,
                    headers: self.headers.decode(&payload)?,
                }
            }
            SYN_REPLY | HEADERS => {
                need(&payload, 4, "SYN_REPLY/HEADERS")?;
                let stream = payload.get_u32() & STREAM_ID_MASK;
                let headers = self.headers.decode(&payload)?;
                if kind == SYN_REPLY {
                    Frame::SynReply {
                        stream,
                        fin,
                        headers,
                    }
                } else {
                    Frame::Headers {
                        stream,
                        fin,
                        headers,
                    }
                }
            }
            RST_STREAM => {
                need(&payload, 8, "RST_STREAM")?;
                Frame::RstStream {
                    stream: payload.get_u32() & STREAM_ID_MASK,
                    status: payload.get_u32(),
                }
            }
            PING => {
                need(&payload, 4, "PING")?;
                Frame::Ping {
                    id: payload.get_u32(),
                }
            }
            GOAWAY => {
                need(&payload, 4, "GOAWAY")?;
                let last_good_stream = payload.get_u32() & STREAM_ID_MASK;
                let status = if payload.len() >= 4 {
                    payload.get_u32()
                } else {
                    0
                };
                Frame::GoAway {
                    last_good_stream,
                    status,
                }
            }
            SETTINGS | WINDOW_UPDATE => Frame::Ignored { kind },
            kind => Frame::Ignored { kind },
        })
    }
}

/// Writes frames; owns the connection's outbound header-compression context.
pub struct FrameEncoder {
    headers: HeaderEncoder,
}

impl FrameEncoder {
    pub fn new() -> Self {
        Self {
            headers: HeaderEncoder::new(),
        }
    }
}

impl Encoder<Frame> for FrameEncoder {
    type Error = FrameError;

    fn encode(&mut self, frame: Frame, out: &mut BytesMut) -> Result<(), FrameError> {
        match frame {
            Frame::Data { stream, fin, data } => {
                put_header(out, stream & STREAM_ID_MASK, flag(fin), data.len())?;
                out.put_slice(&data);
            }
            Frame::SynReply {
                stream,
                fin,
                headers,
            } => {
                let block = self.headers.encode(&headers)?;
                put_control(out, SYN_REPLY, flag(fin), 4 + block.len())?;
                out.put_u32(stream & STREAM_ID_MASK);
                out.put_slice(&block);
            }
            Frame::Headers {
                stream,
                fin,
                headers,
            } => {
                let block = self.headers.encode(&headers)?;
                put_control(out, HEADERS, flag(fin), 4 + block.len())?;
                out.put_u32(stream & STREAM_ID_MASK);
                out.put_slice(&block);
            }
            Frame::SynStream {
                stream,
                fin,
                headers,
            } => {
                let block = self.headers.encode(&headers)?;
                put_control(out, SYN_STREAM, flag(fin), 10 + block.len())?;
                out.put_u32(stream & STREAM_ID_MASK);
                out.put_u32(0);
                out.put_u16(0);
                out.put_slice(&block);
            }
            Frame::RstStream { stream, status } => {
                put_control(out, RST_STREAM, 0, 8)?;
                out.put_u32(stream & STREAM_ID_MASK);
                out.put_u32(status);
            }
            Frame::Ping { id } => {
                put_control(out, PING, 0, 4)?;
                out.put_u32(id);
            }
            Frame::GoAway {
                last_good_stream,
                status,
            } => {
                put_control(out, GOAWAY, 0, 8)?;
                out.put_u32(last_good_stream & STREAM_ID_MASK);
                out.put_u32(status);
            }
            Frame::Ignored { kind } => {
                return Err(FrameError::Malformed(format!(
                    "control frame type {kind} is never sent"
                )));
            }
        }
        Ok(())
    }
}

fn flag(fin: bool) -> u8 {
    if fin { FLAG_FIN } else { 0 }
}

fn put_control(out: &mut BytesMut, kind: u16, flags: u8, length: usize) -> Result<(), FrameError> {
    put_header(
        out,
        CONTROL_BIT | u32::from(VERSION) << 16 | u32::from(kind),
        flags,
        length,
    )
}

fn put_header(out: &mut BytesMut, first: u32, flags: u8, length: usize) -> Result<(), FrameError> {
    if length >= 1 << 24 {
        return Err(FrameError::TooLarge { length });
    }
    out.reserve(HEADER_LEN + length);
    out.put_u32(first);
    out.put_u32(u32::from(flags) << 24 | u32::try_from(length).expect("24 bits"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(frames: Vec<Frame>) -> Vec<Frame> {
        let (mut encoder, mut decoder) = (FrameEncoder::new(), FrameDecoder::new());
        let mut wire = BytesMut::new();
        for frame in frames {
            encoder.encode(frame, &mut wire).expect("ok");
        }
        let mut decoded = Vec::new();
        while let Some(frame) = decoder.decode(&mut wire).expect("ok") {
            decoded.push(frame);
        }
        assert!(wire.is_empty());
        decoded
    }

    #[test]
    fn frames_round_trip() {
        let headers = Headers::from_pairs(&[("streamtype", "data"), ("port", "80")]);
        let frames = vec![
            Frame::SynStream {
                stream: 1,
                fin: false,
                headers: headers.clone(),
            },
            Frame::SynReply {
                stream: 1,
                fin: false,
                headers: Headers::default(),
            },
            Frame::Data {
                stream: 1,
                fin: true,
                data: Bytes::from_static(b"hello"),
            },
            Frame::RstStream {
                stream: 3,
                status: status::CANCEL,
            },
            Frame::Ping { id: 7 },
            Frame::GoAway {
                last_good_stream: 5,
                status: 0,
            },
            Frame::Headers {
                stream: 1,
                fin: true,
                headers,
            },
        ];
        assert_eq!(round_trip(frames.clone()), frames);
    }

    #[test]
    fn partial_frames_wait_for_more_bytes() {
        let mut wire = BytesMut::new();
        FrameEncoder::new()
            .encode(
                Frame::Data {
                    stream: 1,
                    fin: false,
                    data: Bytes::from_static(b"abcdef"),
                },
                &mut wire,
            )
            .expect("ok");
        let mut decoder = FrameDecoder::new();
        let mut partial = wire.split_to(10);
        assert_eq!(decoder.decode(&mut partial).expect("ok"), None);
        partial.unsplit(wire);
        assert!(matches!(
            decoder.decode(&mut partial).expect("ok"),
            Some(Frame::Data { stream: 1, .. })
        ));
    }

    #[test]
    fn other_versions_and_huge_frames_are_refused() {
        let mut decoder = FrameDecoder::new();
        let mut spdy2 = BytesMut::from(&[0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1][..]);
        assert!(matches!(
            decoder.decode(&mut spdy2),
            Err(FrameError::Version(2))
        ));
        let mut huge = BytesMut::from(&[0, 0, 0, 1, 0, 0xff, 0xff, 0xff][..]);
        assert!(matches!(
            decoder.decode(&mut huge),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn settings_and_window_updates_are_ignored() {
        let mut decoder = FrameDecoder::new();
        let mut settings = BytesMut::from(&[0x80, 0x03, 0x00, 0x04, 0, 0, 0, 4, 0, 0, 0, 0][..]);
        assert_eq!(
            decoder.decode(&mut settings).expect("ok"),
            Some(Frame::Ignored { kind: SETTINGS })
        );
    }
}

/// Property tests: any bytes from a peer decode to frames or one error,
/// never a panic, and the decoder reserves no more than the frame header
/// announces within [`MAX_FRAME_LEN`]; every frame we send reads back the
/// same however the wire splits it.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// Decodes everything `decoder` can from `wire`, checking the bound on
    /// what it reserves; stops at the first error.
    fn decode_all(decoder: &mut FrameDecoder, wire: &mut BytesMut) -> Result<Vec<Frame>, String> {
        let mut frames = Vec::new();
        loop {
            let before = wire.capacity();
            let announced = (wire.len() >= HEADER_LEN).then(|| {
                usize::from(wire[5]) << 16 | usize::from(wire[6]) << 8 | usize::from(wire[7])
            });
            match decoder.decode(wire) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => {
                    // Room for the frame announced (and the allocator's
                    // doubling), never for a length past the cap.
                    let bound = before
                        .max(2 * (HEADER_LEN + announced.unwrap_or(0)))
                        .max(128 * 1024);
                    if wire.capacity() > bound {
                        return Err(format!(
                            "{} bytes reserved for {announced:?}",
                            wire.capacity()
                        ));
                    }
                    return Ok(frames);
                }
                Err(FrameError::TooLarge { length }) => {
                    if length <= MAX_FRAME_LEN || wire.capacity() != before {
                        return Err(format!(
                            "{length} refused after reserving {}",
                            wire.capacity()
                        ));
                    }
                    return Ok(frames);
                }
                Err(_) => return Ok(frames),
            }
        }
    }

    /// Bytes shaped like frames: a header of either kind with any flags and
    /// length, then some payload; or anything at all.
    fn wire() -> impl Strategy<Value = Vec<u8>> {
        let frame = (
            any::<bool>(),
            prop_oneof![Just(3u16), any::<u16>()],
            0u16..12,
            any::<u8>(),
            prop_oneof![0u32..64, any::<u32>().prop_map(|n| n & 0x00ff_ffff)],
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(control, version, kind, flags, length, payload)| {
                let first = if control {
                    CONTROL_BIT | u32::from(version & 0x7fff) << 16 | u32::from(kind)
                } else {
                    u32::from(version)
                };
                let mut bytes = first.to_be_bytes().to_vec();
                bytes.extend((u32::from(flags) << 24 | length).to_be_bytes());
                bytes.extend(payload);
                bytes
            });
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..256),
            proptest::collection::vec(frame, 0..6).prop_map(|frames| frames.concat()),
        ]
    }

    fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[a-zA-Z0-9-]{1,12}|\\PC{1,8}", any::<String>()), 0..6)
    }

    /// Every frame kind we send, and the frame the peer reads (header names
    /// arrive in lowercase).
    fn frame() -> impl Strategy<Value = (Frame, Frame)> {
        let stream = 0..=STREAM_ID_MASK;
        let same = |frame: Frame| (frame.clone(), frame);
        prop_oneof![
            (
                stream.clone(),
                any::<bool>(),
                proptest::collection::vec(any::<u8>(), 0..2048)
            )
                .prop_map(move |(stream, fin, data)| same(Frame::Data {
                    stream,
                    fin,
                    data: data.into()
                })),
            (stream.clone(), any::<bool>(), headers(), 0..3u8).prop_map(
                |(stream, fin, pairs, kind)| {
                    let lower: Vec<(String, String)> = pairs
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect();
                    let [sent, read] = [pairs, lower].map(|pairs| {
                        let pairs: Vec<(&str, &str)> = pairs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        let headers = Headers::from_pairs(&pairs);
                        match kind {
                            0 => Frame::SynStream {
                                stream,
                                fin,
                                headers,
                            },
                            1 => Frame::SynReply {
                                stream,
                                fin,
                                headers,
                            },
                            _ => Frame::Headers {
                                stream,
                                fin,
                                headers,
                            },
                        }
                    });
                    (sent, read)
                }
            ),
            (stream.clone(), any::<u32>())
                .prop_map(move |(stream, status)| same(Frame::RstStream { stream, status })),
            any::<u32>().prop_map(move |id| same(Frame::Ping { id })),
            (stream, any::<u32>()).prop_map(move |(last_good_stream, status)| {
                same(Frame::GoAway {
                    last_good_stream,
                    status,
                })
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_bytes_decode_to_frames_or_one_error(
            wire in wire(),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
        ) {
            // Fed as a socket would deliver it: in pieces.
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
            cuts.sort_unstable();
            let mut decoder = FrameDecoder::new();
            let mut buffer = BytesMut::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([wire.len()]) {
                buffer.extend_from_slice(&wire[start..end]);
                start = end;
                if let Err(why) = decode_all(&mut decoder, &mut buffer) {
                    prop_assert!(false, "{}", why);
                }
            }
        }

        #[test]
        fn a_length_past_the_cap_is_refused_before_any_allocation(
            length in (MAX_FRAME_LEN + 1)..(1 << 24),
            control in any::<bool>(),
        ) {
            let first: u32 = if control { CONTROL_BIT | 3 << 16 | u32::from(SYN_STREAM) } else { 1 };
            let mut wire = BytesMut::with_capacity(HEADER_LEN);
            wire.put_u32(first);
            wire.put_u32(u32::try_from(length).expect("24 bits"));
            let result = FrameDecoder::new().decode(&mut wire);
            prop_assert!(matches!(result, Err(FrameError::TooLarge { .. })), "{:?}", result);
            prop_assert_eq!(wire.capacity(), HEADER_LEN);
        }

        #[test]
        fn frames_we_send_read_back_the_same_however_split(
            frames in proptest::collection::vec(frame(), 0..8),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..8),
        ) {
            let mut encoder = FrameEncoder::new();
            let mut wire = BytesMut::new();
            for (sent, _) in &frames {
                encoder.encode(sent.clone(), &mut wire).expect("encodes");
            }
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
            cuts.sort_unstable();
            let (mut decoder, mut buffer, mut decoded, mut start) =
                (FrameDecoder::new(), BytesMut::new(), Vec::new(), 0);
            for end in cuts.into_iter().chain([wire.len()]) {
                buffer.extend_from_slice(&wire[start..end]);
                start = end;
                while let Some(frame) = decoder.decode(&mut buffer).expect("decodes") {
                    decoded.push(frame);
                }
            }
            prop_assert!(buffer.is_empty());
            let read: Vec<Frame> = frames.into_iter().map(|(_, read)| read).collect();
            prop_assert_eq!(decoded, read);
        }
    }
}
