//! `$(VAR)` expansion with the kubelet's rules (Kubernetes'
//! `third_party/forked/golang/expansion`): `$(NAME)` becomes the value of
//! NAME when it is defined and stays as written otherwise, `$$` is a
//! literal `$`, and any other `$` (also an unterminated `$(`) is kept.
//!
//! Unlike the kubelet's, the result has a length limit, checked while it is
//! built: `$(A)` repeated lets a small text stand for gigabytes.

/// The expansion would be longer than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong;

/// [`expand_within`] without a limit, for tests of the expansion itself.
#[cfg(test)]
pub fn expand<'a>(input: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    expand_within(input, lookup, usize::MAX).unwrap_or_else(|TooLong| unreachable!())
}

/// Expands `input`, looking names up with `lookup`; [`TooLong`] as soon as
/// the result would pass `limit` bytes (nothing longer is ever built).
pub fn expand_within<'a>(
    input: &str,
    lookup: impl Fn(&str) -> Option<&'a str>,
    limit: usize,
) -> Result<String, TooLong> {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len().min(limit));
    let push = |out: &mut String, piece: &str| {
        if out.len() + piece.len() > limit {
            return Err(TooLong);
        }
        out.push_str(piece);
        Ok(())
    };
    let mut copied = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] != b'$' || cursor + 1 >= bytes.len() {
            cursor += 1;
            continue;
        }
        push(&mut out, &input[copied..cursor])?;
        match bytes[cursor + 1] {
            b'$' => {
                push(&mut out, "$")?;
                cursor += 2;
            }
            b'(' => match input[cursor + 2..].find(')') {
                Some(length) => {
                    let name = &input[cursor + 2..cursor + 2 + length];
                    match lookup(name) {
                        Some(value) => push(&mut out, value)?,
                        // As written: `$(`, the name and `)`.
                        None => push(&mut out, &input[cursor..cursor + 2 + length + 1])?,
                    }
                    cursor += 2 + length + 1;
                }
                None => {
                    push(&mut out, "$(")?;
                    cursor += 2;
                }
            },
            _ => {
                // A `$` that starts nothing: kept, and the next character is
                // read normally (it may itself be a `$`... handled above).
                push(&mut out, "$")?;
                cursor += 1;
            }
        }
        copied = cursor;
    }
    push(&mut out, &input[copied..])?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{TooLong, expand, expand_within};

    fn lookup(name: &str) -> Option<&'static str> {
        match name {
            "VAR_A" => Some("A"),
            "VAR_EMPTY" => Some(""),
            "ONE" => Some("1"),
            "FOUR" => Some("abcd"),
            _ => None,
        }
    }

    fn run(input: &str) -> String {
        expand(input, lookup)
    }

    #[test]
    fn the_kubelet_cases() {
        // From the behaviour documented for Kubernetes' expansion package.
        for (input, expected) in [
            ("$(VAR_A)", "A"),
            ("___$(VAR_A)___", "___A___"),
            ("$(VAR_A)$(ONE)", "A1"),
            ("$(VAR_EMPTY)", ""),
            ("$(UNKNOWN)", "$(UNKNOWN)"),
            ("$$(VAR_A)", "$(VAR_A)"),
            ("$$$(VAR_A)", "$A"),
            ("$$$$(VAR_A)", "$$(VAR_A)"),
            ("f00__(VAR_A)__", "f00__(VAR_A)__"),
            ("$VAR_A", "$VAR_A"),
            ("$(VAR_A", "$(VAR_A"),
            ("$(VAR_A$(ONE)", "$(VAR_A$(ONE)"),
            ("$(VAR_A)$", "A$"),
            ("$", "$"),
            ("$$", "$"),
            ("$()", "$()"),
            ("ünï$(ONE)cødé", "ünï1cødé"),
            ("$é", "$é"),
        ] {
            assert_eq!(run(input), expected, "expanding {input:?}");
        }
    }

    #[test]
    fn the_result_never_passes_its_limit() {
        let input = "$(FOUR)-$(FOUR)";
        assert_eq!(expand_within(input, lookup, 9), Ok("abcd-abcd".to_owned()));
        assert_eq!(expand_within(input, lookup, 8), Err(TooLong));
        assert_eq!(expand_within("$(UNKNOWN)", lookup, 9), Err(TooLong));
        assert_eq!(expand_within("plain text", lookup, 9), Err(TooLong));
        assert_eq!(expand_within("", lookup, 0), Ok(String::new()));
        // A million references to a value cost no more than the limit.
        let many = "$(FOUR)".repeat(1_000_000);
        assert_eq!(expand_within(&many, lookup, 1024), Err(TooLong));
    }
}

#[cfg(test)]
#[path = "expand_proptests.rs"]
mod expand_proptests;
