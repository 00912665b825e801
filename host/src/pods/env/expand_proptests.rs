//! Property tests of [`expand`](super::expand): any text and any values
//! expand without a panic, exactly as the kubelet's expansion package does
//! (a reference written from its Go source, byte by byte), and the result
//! is bounded by the input: each reference takes at least three bytes
//! (`$()`) and gives one value, everything else at most itself. With a
//! limit, the result is the same text when it fits and [`TooLong`]
//! otherwise.

use std::collections::HashMap;

use proptest::prelude::*;

use super::{TooLong, expand, expand_within};

/// Kubernetes' `third_party/forked/golang/expansion.Expand`, transcribed.
fn reference(input: &str, mapping: impl Fn(&str) -> String) -> String {
    let input = input.as_bytes();
    let mut buf: Vec<u8> = Vec::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < input.len() {
        if input[cursor] == b'$' && cursor + 1 < input.len() {
            buf.extend_from_slice(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let (read, advance): (Vec<u8>, usize) = match rest[0] {
                b'$' => (b"$".to_vec(), 1),
                b'(' => match rest[1..].iter().position(|b| *b == b')') {
                    Some(i) => {
                        let name = std::str::from_utf8(&rest[1..=i]).expect("split at ASCII");
                        (mapping(name).into_bytes(), i + 2)
                    }
                    None => (b"$(".to_vec(), 1),
                },
                other => (vec![b'$', other], 1),
            };
            buf.extend_from_slice(&read);
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        buf.extend_from_slice(&input[checkpoint..]);
    }
    String::from_utf8(buf).expect("UTF-8 in, UTF-8 out")
}

/// Text dense in `$`, parentheses and the names defined.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(\\$|\\(|\\)|A|BB|é|x){0,40}",
        "(\\$\\((A|BB|C|)\\)|\\$\\$|\\$|[a-z ]){0,30}",
    ]
}

fn values() -> impl Strategy<Value = HashMap<String, String>> {
    proptest::collection::hash_map(
        proptest::sample::select(&["A", "BB", "", "x"][..]).prop_map(str::to_owned),
        prop_oneof![text(), "[a-z]{0,200}"],
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

    #[test]
    fn expands_as_the_kubelet_does_and_no_larger_than_the_bound(
        input in text(),
        values in values(),
    ) {
        let out = expand(&input, |name| values.get(name).map(String::as_str));
        let expected = reference(&input, |name| {
            values.get(name).cloned().unwrap_or_else(|| format!("$({name})"))
        });
        prop_assert_eq!(&out, &expected);
        let longest = values.values().map(String::len).max().unwrap_or(0);
        prop_assert!(
            out.len() <= input.len() + input.len() / 3 * longest,
            "{} bytes from {} (values up to {})", out.len(), input.len(), longest
        );
    }

    #[test]
    fn a_limit_gives_the_same_text_or_too_long(
        input in text(),
        values in values(),
        limit in 0usize..400,
    ) {
        let lookup = |name: &str| values.get(name).map(String::as_str);
        let whole = expand(&input, lookup);
        match expand_within(&input, lookup, limit) {
            Ok(out) => prop_assert_eq!(out, whole),
            Err(TooLong) => prop_assert!(whole.len() > limit, "{} bytes fit in {}", whole.len(), limit),
        }
    }
}
