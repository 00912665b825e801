//! SPDY/3 header blocks: a count, then length-prefixed names and values,
//! zlib-compressed with one shared context per direction for the whole
//! connection (so blocks must be decoded in the order they arrive) and the
//! preset [`DICTIONARY`].

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::dictionary::DICTIONARY;
use crate::frame::FrameError;

/// Largest decompressed header block accepted; port-forward streams carry
/// three short headers.
const MAX_DECODED: usize = 64 * 1024;
/// Most header pairs accepted in one block.
const MAX_PAIRS: u32 = 256;

/// A stream's headers: lowercase names, values as sent (SPDY joins repeated
/// values with NUL bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.split('\0').next().unwrap_or_default())
    }

    /// Headers from `(name, value)` pairs; names are sent lowercase.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }
}

/// Decodes the peer's header blocks.
pub struct HeaderDecoder {
    inflate: Decompress,
}

impl HeaderDecoder {
    pub fn new() -> Self {
        Self {
            inflate: Decompress::new(true),
        }
    }

    pub fn decode(&mut self, mut block: &[u8]) -> Result<Headers, FrameError> {
        let mut raw = Vec::with_capacity(256);
        loop {
            if raw.len() == raw.capacity() {
                if raw.len() >= MAX_DECODED {
                    return Err(FrameError::Malformed(format!(
                        "a header block decompresses to more than {MAX_DECODED} bytes"
                    )));
                }
                raw.reserve(raw.len());
            }
            let (read_before, written_before) = (self.inflate.total_in(), raw.len());
            match self
                .inflate
                .decompress_vec(block, &mut raw, FlushDecompress::Sync)
            {
                Ok(Status::Ok | Status::BufError | Status::StreamEnd) => {}
                Err(error) => match error.needs_dictionary() {
                    Some(_) => {
                        self.inflate.set_dictionary(&DICTIONARY).map_err(|error| {
                            FrameError::Compression(format!(
                                "header block needs a dictionary other than SPDY/3's: {error}"
                            ))
                        })?;
                    }
                    None => return Err(FrameError::Compression(error.to_string())),
                },
            }
            let read = usize::try_from(self.inflate.total_in() - read_before)
                .expect("bounded by the block length");
            block = &block[read..];
            let progressed = read > 0 || raw.len() > written_before;
            // Done once every input byte is in and the output had room to
            // spare (nothing left pending inside the inflater).
            if block.is_empty() && raw.len() < raw.capacity() {
                break;
            }
            if !progressed && raw.len() < raw.capacity() {
                return Err(FrameError::Compression(
                    "header block ends in the middle of compressed data".into(),
                ));
            }
        }
        parse(Bytes::from(raw))
    }
}

/// Encodes our header blocks.
pub struct HeaderEncoder {
    deflate: Compress,
}

impl HeaderEncoder {
    pub fn new() -> Self {
        let mut deflate = Compress::new(Compression::default(), true);
        deflate
            .set_dictionary(&DICTIONARY)
            .expect("a fresh zlib stream accepts a dictionary");
        Self { deflate }
    }

    pub fn encode(&mut self, headers: &Headers) -> Result<Bytes, FrameError> {
        let raw = serialize(headers);
        let mut input = &raw[..];
        let mut compressed = Vec::with_capacity(raw.len() + 64);
        loop {
            if compressed.len() == compressed.capacity() {
                compressed.reserve(compressed.len().max(64));
            }
            let read_before = self.deflate.total_in();
            self.deflate
                .compress_vec(input, &mut compressed, FlushCompress::Sync)
                .map_err(|error| FrameError::Compression(error.to_string()))?;
            let read = usize::try_from(self.deflate.total_in() - read_before)
                .expect("bounded by the block length");
            input = &input[read..];
            if input.is_empty() && compressed.len() < compressed.capacity() {
                return Ok(Bytes::from(compressed));
            }
        }
    }
}

fn serialize(headers: &Headers) -> BytesMut {
    let mut raw = BytesMut::new();
    raw.put_u32(length(headers.0.len()));
    for (name, value) in &headers.0 {
        for text in [name.to_ascii_lowercase().as_str(), value.as_str()] {
            raw.put_u32(length(text.len()));
            raw.put_slice(text.as_bytes());
        }
    }
    raw
}

fn length(len: usize) -> u32 {
    u32::try_from(len).expect("our header blocks are small")
}

fn parse(mut raw: Bytes) -> Result<Headers, FrameError> {
    let malformed = |what: &str| FrameError::Malformed(format!("header block: {what}"));
    if raw.remaining() < 4 {
        return Err(malformed("no pair count"));
    }
    let count = raw.get_u32();
    if count > MAX_PAIRS {
        return Err(malformed(&format!("{count} pairs, at most {MAX_PAIRS}")));
    }
    let mut pairs = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let mut text = || -> Result<String, FrameError> {
            if raw.remaining() < 4 {
                return Err(malformed("truncated length"));
            }
            let len = raw.get_u32() as usize;
            if raw.remaining() < len {
                return Err(malformed("truncated name or value"));
            }
            String::from_utf8(raw.split_to(len).to_vec()).map_err(|_| malformed("not UTF-8"))
        };
        let name = text()?.to_ascii_lowercase();
        let value = text()?;
        if name.is_empty() {
            return Err(malformed("empty header name"));
        }
        pairs.push((name, value));
    }
    Ok(Headers(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_through_one_shared_context() {
        let (mut encoder, mut decoder) = (HeaderEncoder::new(), HeaderDecoder::new());
        let first = Headers::from_pairs(&[("streamtype", "error"), ("port", "8080")]);
        let second = Headers::from_pairs(&[("streamtype", "data"), ("port", "8080")]);
        for headers in [&first, &second, &Headers::default()] {
            let block = encoder.encode(headers).expect("ok");
            assert_eq!(&decoder.decode(&block).expect("ok"), headers);
        }
        assert_eq!(first.get("Port"), Some("8080"));
    }

    #[test]
    fn a_block_needs_the_spdy_dictionary() {
        let block = HeaderEncoder::new()
            .encode(&Headers::from_pairs(&[("accept", "x")]))
            .expect("ok");
        // FDICT is set in the zlib header and the dictionary id follows.
        assert_eq!(block[1] & 0x20, 0x20);
        assert_eq!(&block[2..6], &3_821_447_106_u32.to_be_bytes());
    }

    #[test]
    fn garbage_is_a_compression_error() {
        let error = HeaderDecoder::new()
            .decode(b"not zlib at all")
            .expect_err("refused");
        assert!(matches!(error, FrameError::Compression(_)), "{error:?}");
    }

    #[test]
    fn oversized_pair_counts_are_refused() {
        let mut raw = BytesMut::new();
        raw.put_u32(MAX_PAIRS + 1);
        let error = parse(raw.freeze()).expect_err("refused");
        assert!(error.to_string().contains("pairs"), "{error}");
    }
}

/// Property tests: any header block from a peer, compressed or not,
/// decodes or is refused without a panic, to no more than it holds; a block
/// that inflates past the limit is refused; ours read back the same.
#[cfg(test)]
mod proptests {
    use flate2::{Compress, Compression, FlushCompress};
    use proptest::prelude::*;

    use super::*;

    /// `raw` compressed as a peer would: zlib with the SPDY dictionary,
    /// sync-flushed.
    fn compress(raw: &[u8]) -> Vec<u8> {
        let mut deflate = Compress::new(Compression::fast(), true);
        deflate
            .set_dictionary(&DICTIONARY)
            .expect("a fresh stream takes a dictionary");
        let mut out = Vec::with_capacity(raw.len() / 2 + 64);
        let mut input = raw;
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(64));
            }
            let before = deflate.total_in();
            deflate
                .compress_vec(input, &mut out, FlushCompress::Sync)
                .expect("compresses");
            let read = usize::try_from(deflate.total_in() - before).expect("small");
            input = &input[read..];
            if input.is_empty() && out.len() < out.capacity() {
                return out;
            }
        }
    }

    /// An uncompressed block shaped like a real one: a count, then
    /// length-prefixed texts whose lengths may lie.
    fn raw_block() -> impl Strategy<Value = Vec<u8>> {
        let text = prop_oneof![
            any::<String>().prop_map(|t| {
                let mut bytes = length(t.len()).to_be_bytes().to_vec();
                bytes.extend(t.into_bytes());
                bytes
            }),
            proptest::collection::vec(any::<u8>(), 0..12),
        ];
        (
            prop_oneof![0u32..8, any::<u32>()],
            proptest::collection::vec(text, 0..12),
        )
            .prop_map(|(count, texts)| {
                let mut bytes = count.to_be_bytes().to_vec();
                bytes.extend(texts.concat());
                bytes
            })
    }

    fn size(headers: &Headers) -> usize {
        headers.0.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_bytes_are_a_compression_error_or_headers(
            blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..128), 1..4),
        ) {
            let mut decoder = HeaderDecoder::new();
            for block in blocks {
                if let Ok(headers) = decoder.decode(&block) {
                    prop_assert!(headers.0.len() <= MAX_PAIRS as usize);
                }
            }
        }

        #[test]
        fn any_decompressed_block_parses_to_no_more_than_it_holds(raw in raw_block()) {
            let from_parse = parse(Bytes::from(raw.clone()));
            let from_wire = HeaderDecoder::new().decode(&compress(&raw));
            match (&from_parse, &from_wire) {
                (Ok(parsed), Ok(decoded)) => {
                    prop_assert_eq!(parsed, decoded);
                    prop_assert!(parsed.0.len() <= MAX_PAIRS as usize);
                    prop_assert!(size(parsed) <= raw.len());
                    prop_assert!(parsed.0.iter().all(|(k, _)| !k.is_empty() && *k == k.to_ascii_lowercase()));
                }
                (Err(FrameError::Malformed(_)), Err(FrameError::Malformed(_))) => {}
                _ => prop_assert!(false, "{:?} vs {:?}", from_parse, from_wire),
            }
        }

        #[test]
        fn a_block_inflating_past_the_limit_is_refused(extra in 1usize..(3 * MAX_DECODED)) {
            // A valid-looking block (one pair) whose value fills the rest.
            let value = MAX_DECODED + extra;
            let mut raw = BytesMut::new();
            raw.put_u32(1);
            raw.put_u32(1);
            raw.put_slice(b"x");
            raw.put_u32(length(value));
            raw.put_bytes(b'a', value);
            let error = HeaderDecoder::new().decode(&compress(&raw)).expect_err("refused");
            prop_assert!(error.to_string().contains("decompresses to more than"), "{}", error);
        }

        #[test]
        fn blocks_we_send_read_back_the_same(
            blocks in proptest::collection::vec(
                proptest::collection::vec(("[a-z0-9-]{1,16}", any::<String>()), 0..8),
                1..6,
            ),
        ) {
            let (mut encoder, mut decoder) = (HeaderEncoder::new(), HeaderDecoder::new());
            for pairs in blocks {
                let pairs: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let headers = Headers::from_pairs(&pairs);
                let block = encoder.encode(&headers).expect("encodes");
                prop_assert_eq!(decoder.decode(&block).expect("decodes"), headers);
            }
        }
    }
}
