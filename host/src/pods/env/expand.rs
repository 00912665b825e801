//! `$(VAR)` expansion with the kubelet's rules (Kubernetes'
//! `third_party/forked/golang/expansion`): `$(NAME)` becomes the value of
//! NAME when it is defined and stays as written otherwise, `$$` is a
//! literal `$`, and any other `$` (also an unterminated `$(`) is kept.

/// Expands `input`, looking names up with `lookup`.
pub fn expand<'a>(input: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] != b'$' || cursor + 1 >= bytes.len() {
            cursor += 1;
            continue;
        }
        out.push_str(&input[copied..cursor]);
        match bytes[cursor + 1] {
            b'$' => {
                out.push('$');
                cursor += 2;
            }
            b'(' => match input[cursor + 2..].find(')') {
                Some(length) => {
                    let name = &input[cursor + 2..cursor + 2 + length];
                    match lookup(name) {
                        Some(value) => out.push_str(value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    cursor += 2 + length + 1;
                }
                None => {
                    out.push_str("$(");
                    cursor += 2;
                }
            },
            _ => {
                // A `$` that starts nothing: kept, and the next character is
                // read normally (it may itself be a `$`... handled above).
                out.push('$');
                cursor += 1;
            }
        }
        copied = cursor;
    }
    out.push_str(&input[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn run(input: &str) -> String {
        expand(input, |name| match name {
            "VAR_A" => Some("A"),
            "VAR_EMPTY" => Some(""),
            "ONE" => Some("1"),
            _ => None,
        })
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
}
