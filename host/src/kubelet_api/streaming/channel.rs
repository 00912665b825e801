//! The Kubernetes channel protocols over WebSocket (`k8s.io/streaming`'s
//! wsstream): subprotocol choice, binary frames whose first byte is the
//! channel, and v5's stream-close signal. What the channels carry (the
//! error channel's `metav1.Status`, resize JSON) is the same under SPDY:
//! see `remote_command`.

use bytes::{BufMut as _, Bytes, BytesMut};

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

/// A negotiated WebSocket channel protocol (all binary framing).
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
    }
}
