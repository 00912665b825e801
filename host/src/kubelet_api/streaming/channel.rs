//! The Kubernetes channel protocols over WebSocket (`k8s.io/streaming`'s
//! wsstream): subprotocol choice, binary frames whose first byte is the
//! channel, the error channel's `metav1.Status`, resize JSON, and v5's
//! stream-close signal.

use bytes::{BufMut as _, Bytes, BytesMut};
use serde_json::{Value, json};
use vk_proto::v1::TerminalSize;

/// stdin (client → server).
pub const STDIN: u8 = 0;
/// stdout (server → client).
pub const STDOUT: u8 = 1;
/// stderr (server → client).
pub const STDERR: u8 = 2;
/// The session's outcome (server → client).
pub const ERROR: u8 = 3;
/// Terminal sizes as JSON (client → server).
pub const RESIZE: u8 = 4;
/// v5: `[255, channel]` closes that channel (the client's stdin EOF).
pub const CLOSE_SIGNAL: u8 = 255;

/// A negotiated remote-command protocol (all binary framing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `v5.channel.k8s.io`: v4 plus the stream-close signal.
    V5,
    /// `v4.channel.k8s.io`: the error channel carries a JSON `metav1.Status`.
    V4,
    /// `channel.k8s.io`, or no subprotocol: the error channel carries the
    /// failure message as text, and nothing on success.
    V1,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Self::V5 => V5_NAME,
            Self::V4 => V4_NAME,
            Self::V1 => V1_NAME,
        }
    }
}

pub const V5_NAME: &str = "v5.channel.k8s.io";
pub const V4_NAME: &str = "v4.channel.k8s.io";
pub const V1_NAME: &str = "channel.k8s.io";

/// Exec and attach, in our order of preference.
pub const REMOTE_COMMAND: &[Protocol] = &[Protocol::V5, Protocol::V4, Protocol::V1];
/// Port-forward's WebSocket form (the kubelet's: v4, or no subprotocol).
pub const PORT_FORWARD: &[Protocol] = &[Protocol::V4];

/// Why a WebSocket request's subprotocols cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The client asked for SPDY tunnelled in WebSocket (`SPDY/3.1+...`).
    SpdyTunnel(String),
    /// None of the offered subprotocols is one we speak.
    Unsupported { offered: Vec<String> },
}

/// Picks the protocol for the client's offer (`Sec-WebSocket-Protocol`
/// values): the first of `supported` the client offered; with no offer at
/// all, the unversioned binary protocol, as the kubelet does.
pub fn negotiate(offered: &[String], supported: &[Protocol]) -> Result<Option<Protocol>, Refusal> {
    if offered.is_empty() {
        return Ok(None);
    }
    if let Some(chosen) = supported
        .iter()
        .find(|protocol| offered.iter().any(|name| name == protocol.name()))
    {
        return Ok(Some(*chosen));
    }
    if let Some(spdy) = offered.iter().find(|name| name.starts_with("SPDY/3.1+")) {
        return Err(Refusal::SpdyTunnel(spdy.clone()));
    }
    Err(Refusal::Unsupported {
        offered: offered.to_vec(),
    })
}

/// One outgoing frame: the channel byte, then the payload.
pub fn frame(channel: u8, payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(payload.len() + 1);
    frame.put_u8(channel);
    frame.put_slice(payload);
    frame.freeze()
}

/// One incoming binary message, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Data for `channel`.
    Data { channel: u8, payload: Bytes },
    /// v5: the client closed `channel` (stdin).
    Close { channel: u8 },
    /// An empty message (ignored, as wsstream does).
    Empty,
}

/// A message that breaks the protocol; the session ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

/// Decodes a binary message under `protocol`.
pub fn decode(protocol: Protocol, mut message: Bytes) -> Result<Incoming, ProtocolError> {
    if message.is_empty() {
        return Ok(Incoming::Empty);
    }
    let channel = message[0];
    if protocol == Protocol::V5 && channel == CLOSE_SIGNAL {
        return match message.len() {
            2 => Ok(Incoming::Close {
                channel: message[1],
            }),
            n => Err(ProtocolError(format!(
                "a stream close signal carries one channel byte, not {}",
                n - 1
            ))),
        };
    }
    let payload = message.split_off(1);
    Ok(Incoming::Data { channel, payload })
}

/// How an exec or attach ended, as the client is told on the error channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The process exited with this code; `reason` is set when it did not
    /// exit on its own (e.g. `ContainerStopped`).
    Exited { code: i32, reason: String },
    /// The session failed: HTTP code, `metav1.StatusReason`, message.
    Failed {
        code: u16,
        reason: &'static str,
        message: String,
    },
}

impl Outcome {
    /// The exit code as a shell sees it (0-255).
    fn shell_code(code: i32) -> i32 {
        code.rem_euclid(256)
    }

    /// `metav1.Status` JSON, as the kubelet writes it on v4 and v5.
    pub fn status(&self) -> Value {
        match self {
            Self::Exited { code, .. } if Self::shell_code(*code) == 0 => {
                json!({"metadata": {}, "status": "Success"})
            }
            Self::Exited { code, reason } => {
                let shell = Self::shell_code(*code);
                let detail = if reason.is_empty() {
                    format!("exit code {shell}")
                } else {
                    format!("exit code {shell} ({reason})")
                };
                json!({
                    "metadata": {},
                    "status": "Failure",
                    "message": format!("command terminated with non-zero exit code: {detail}"),
                    "reason": "NonZeroExitCode",
                    "details": {"causes": [{"reason": "ExitCode", "message": shell.to_string()}]},
                })
            }
            Self::Failed {
                code,
                reason,
                message,
            } => json!({
                "metadata": {},
                "status": "Failure",
                "message": message,
                "reason": reason,
                "code": code,
            }),
        }
    }

    /// What goes on the error channel under `protocol`; `None` when the
    /// protocol sends nothing (v1 success).
    pub fn error_frame(&self, protocol: Protocol) -> Option<Bytes> {
        match protocol {
            Protocol::V5 | Protocol::V4 => Some(frame(ERROR, self.status().to_string().as_bytes())),
            Protocol::V1 => match self {
                Self::Exited { code, .. } if Self::shell_code(*code) == 0 => None,
                _ => {
                    let status = self.status();
                    let message = status["message"].as_str().unwrap_or("failed");
                    Some(frame(ERROR, message.as_bytes()))
                }
            },
        }
    }
}

/// The resize channel is a stream of JSON objects (`{"Width":80,"Height":24}`)
/// that messages may split or join; this buffers at most one partial object.
#[derive(Debug, Default)]
pub struct ResizeDecoder {
    partial: Vec<u8>,
}

/// Larger than any real resize object: a client sending more is broken.
const RESIZE_BUFFER_LIMIT: usize = 4096;

impl ResizeDecoder {
    /// Feeds a message's payload; returns the complete sizes in it.
    pub fn push(&mut self, payload: &[u8]) -> Result<Vec<TerminalSize>, ProtocolError> {
        self.partial.extend_from_slice(payload);
        let mut sizes = Vec::new();
        let mut consumed = 0;
        let mut values = serde_json::Deserializer::from_slice(&self.partial).into_iter::<Value>();
        loop {
            match values.next() {
                None => {
                    consumed = self.partial.len();
                    break;
                }
                Some(Ok(value)) => {
                    consumed = values.byte_offset();
                    sizes.push(terminal_size(&value)?);
                }
                Some(Err(error)) if error.is_eof() => break,
                Some(Err(error)) => {
                    return Err(ProtocolError(format!("invalid resize message: {error}")));
                }
            }
        }
        self.partial.drain(..consumed);
        if self.partial.len() > RESIZE_BUFFER_LIMIT {
            return Err(ProtocolError(format!(
                "a resize message longer than {RESIZE_BUFFER_LIMIT} bytes"
            )));
        }
        Ok(sizes)
    }
}

fn terminal_size(value: &Value) -> Result<TerminalSize, ProtocolError> {
    let dimension = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ProtocolError(format!("resize message without a valid {name}: {value}")))
    };
    Ok(TerminalSize {
        width: dimension("Width")?,
        height: dimension("Height")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn negotiation_prefers_v5_and_names_spdy_tunnels() {
        let both = offer(&[V4_NAME, V5_NAME]);
        assert_eq!(negotiate(&both, REMOTE_COMMAND), Ok(Some(Protocol::V5)));
        assert_eq!(
            negotiate(&offer(&[V4_NAME]), REMOTE_COMMAND),
            Ok(Some(Protocol::V4))
        );
        assert_eq!(
            negotiate(&offer(&[V1_NAME]), REMOTE_COMMAND),
            Ok(Some(Protocol::V1))
        );
        assert_eq!(negotiate(&[], REMOTE_COMMAND), Ok(None));
        assert_eq!(negotiate(&both, PORT_FORWARD), Ok(Some(Protocol::V4)));
        assert_eq!(
            negotiate(&offer(&["SPDY/3.1+portforward.k8s.io"]), PORT_FORWARD),
            Err(Refusal::SpdyTunnel("SPDY/3.1+portforward.k8s.io".into()))
        );
        assert!(matches!(
            negotiate(&offer(&["base64.channel.k8s.io"]), REMOTE_COMMAND),
            Err(Refusal::Unsupported { .. })
        ));
    }

    #[test]
    fn frames_and_the_v5_close_signal() {
        assert_eq!(&frame(STDOUT, b"hi")[..], b"\x01hi");
        assert_eq!(&frame(ERROR, b"")[..], b"\x03");
        assert_eq!(
            decode(Protocol::V5, Bytes::from_static(b"\x00abc")),
            Ok(Incoming::Data {
                channel: STDIN,
                payload: Bytes::from_static(b"abc")
            })
        );
        assert_eq!(
            decode(Protocol::V5, Bytes::from_static(&[255, 0])),
            Ok(Incoming::Close { channel: STDIN })
        );
        assert!(decode(Protocol::V5, Bytes::from_static(&[255, 0, 1])).is_err());
        // Before v5, 255 is just a channel number nobody reads.
        assert_eq!(
            decode(Protocol::V4, Bytes::from_static(&[255, 0])),
            Ok(Incoming::Data {
                channel: 255,
                payload: Bytes::from_static(&[0])
            })
        );
        assert_eq!(decode(Protocol::V4, Bytes::new()), Ok(Incoming::Empty));
    }

    #[test]
    fn statuses_as_client_go_decodes_them() {
        let success = Outcome::Exited {
            code: 0,
            reason: String::new(),
        };
        assert_eq!(success.status()["status"], "Success");
        assert_eq!(success.error_frame(Protocol::V1), None);

        let three = Outcome::Exited {
            code: 3,
            reason: String::new(),
        };
        let status = three.status();
        assert_eq!(status["status"], "Failure");
        assert_eq!(status["reason"], "NonZeroExitCode");
        assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(status["details"]["causes"][0]["message"], "3");
        assert_eq!(
            status["message"],
            "command terminated with non-zero exit code: exit code 3"
        );
        let v1 = three.error_frame(Protocol::V1).expect("v1 failure text");
        assert_eq!(
            &v1[..],
            b"\x03command terminated with non-zero exit code: exit code 3"
        );
        let killed = Outcome::Exited {
            code: 137,
            reason: "ContainerStopped".into(),
        };
        assert_eq!(killed.status()["details"]["causes"][0]["message"], "137");

        let failed = Outcome::Failed {
            code: 404,
            reason: "NotFound",
            message: "no such container".into(),
        };
        let frame = failed.error_frame(Protocol::V5).expect("v5 status");
        let json: Value = serde_json::from_slice(&frame[1..]).expect("json");
        assert_eq!(json["code"], 404);
        assert_eq!(json["message"], "no such container");
    }

    #[test]
    fn resize_objects_split_and_joined_across_messages() {
        let mut decoder = ResizeDecoder::default();
        assert_eq!(decoder.push(br#"{"Width":80,"#), Ok(vec![]));
        let sizes = decoder
            .push(br#""Height":24}{"Width":100,"Height":40}"#)
            .expect("two sizes");
        assert_eq!(
            sizes,
            [
                TerminalSize {
                    width: 80,
                    height: 24
                },
                TerminalSize {
                    width: 100,
                    height: 40
                }
            ]
        );
        assert!(decoder.push(b"[1]").is_err());
        let mut garbage = ResizeDecoder::default();
        assert!(garbage.push(b"not json").is_err());
        let mut long = ResizeDecoder::default();
        let open = format!("{{\"Width\":{}", " ".repeat(5000));
        assert!(long.push(open.as_bytes()).is_err());
    }
}

/// Property tests: any binary message decodes or is refused without a
/// panic, and the resize decoder never holds more than its limit, however
/// the client splits or pads its JSON.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    fn protocol() -> impl Strategy<Value = Protocol> {
        proptest::sample::select(&[Protocol::V5, Protocol::V4, Protocol::V1][..])
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(|mut m| {
                m.insert(0, CLOSE_SIGNAL);
                m
            }),
        ]
    }

    /// Pieces of resize JSON and of everything else.
    fn chunk() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..32),
            "[{}\\[\\]\":,0-9 WidthHeight-]{0,40}".prop_map(String::into_bytes),
            (any::<u32>(), any::<u32>())
                .prop_map(|(w, h)| { format!("{{\"Width\":{w},\"Height\":{h}}}").into_bytes() }),
            (0usize..6000).prop_map(|n| " ".repeat(n).into_bytes()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_message_decodes_to_its_channel_and_the_rest(
            protocol in protocol(),
            message in message(),
        ) {
            match decode(protocol, Bytes::from(message.clone())) {
                Ok(Incoming::Empty) => prop_assert!(message.is_empty()),
                Ok(Incoming::Data { channel, payload }) => {
                    prop_assert_eq!(channel, message[0]);
                    prop_assert_eq!(&payload[..], &message[1..]);
                    prop_assert!(protocol != Protocol::V5 || channel != CLOSE_SIGNAL);
                }
                Ok(Incoming::Close { channel }) => {
                    prop_assert_eq!(protocol, Protocol::V5);
                    prop_assert_eq!(&message[..], &[CLOSE_SIGNAL, channel][..]);
                }
                Err(_) => {
                    prop_assert_eq!(protocol, Protocol::V5);
                    prop_assert_eq!(message[0], CLOSE_SIGNAL);
                    prop_assert_ne!(message.len(), 2);
                }
            }
        }

        #[test]
        fn the_resize_decoder_holds_at_most_its_limit(
            chunks in proptest::collection::vec(chunk(), 0..12),
        ) {
            let mut decoder = ResizeDecoder::default();
            for chunk in chunks {
                if decoder.push(&chunk).is_err() {
                    // The session ends on the first error.
                    break;
                }
                prop_assert!(decoder.partial.len() <= RESIZE_BUFFER_LIMIT);
            }
        }

        #[test]
        fn resize_objects_split_anywhere_decode_to_the_sizes_sent(
            sizes in proptest::collection::vec((any::<u32>(), any::<u32>()), 0..8),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..8),
            spaces in 0usize..3,
        ) {
            let pad = " ".repeat(spaces);
            let json: String = sizes
                .iter()
                .map(|(w, h)| format!("{pad}{{\"Width\":{w},{pad}\"Height\":{h}}}{pad}"))
                .collect();
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(json.len() + 1)).collect();
            cuts.sort_unstable();
            let mut decoder = ResizeDecoder::default();
            let mut decoded = Vec::new();
            let mut start = 0;
            for end in cuts.into_iter().chain([json.len()]) {
                decoded.extend(decoder.push(&json.as_bytes()[start..end]).expect("valid JSON"));
                start = end;
            }
            let expected: Vec<TerminalSize> = sizes
                .iter()
                .map(|&(width, height)| TerminalSize { width, height })
                .collect();
            prop_assert_eq!(decoded, expected);
        }
    }
}
