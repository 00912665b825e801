//! The resize stream: client-go's `TerminalSize` JSON objects
//! (`{"Width":80,"Height":24}`), the same on the WebSocket resize channel
//! and the SPDY `resize` stream.

use serde_json::Value;
use vk_proto::v1::TerminalSize;

use crate::kubelet_api::streaming::channel::ProtocolError;

/// The resize stream is a stream of JSON objects (`{"Width":80,"Height":24}`)
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

/// Property tests: the decoder never holds more than its limit, however
/// the client splits or pads its JSON.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

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
