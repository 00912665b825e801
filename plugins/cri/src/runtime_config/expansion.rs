//! `$(VAR)` references, expanded with the kubelet's rules
//! (`third_party/forked/golang/expansion`): `$$` is a literal `$`, a
//! reference to an unknown name stays as written, an unclosed `$(` is text.
//!
//! The host expands `env`, `command` and `args` before CreatePod, so the
//! plugin expands only what the host cannot: `subPathExpr`, and references
//! to `status.podIP(s)` variables, whose value the plugin learns when it
//! creates the sandbox.

/// `input` with every `$(NAME)` for which `lookup` has a value replaced.
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let mut chars = after.chars();
        match chars.next() {
            // A trailing `$` is itself.
            None => {
                out.push('$');
                rest = after;
            }
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Some(value) => out.push_str(&value),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(other) => {
                out.push('$');
                out.push(other);
                rest = chars.as_str();
            }
        }
    }
    out.push_str(rest);
    out
}

/// `input` with each `$(NAME)` of the given names replaced by its value and
/// everything else kept verbatim: a second pass over text the host already
/// expanded must not collapse `$$` again. (A `$(NAME)` the host produced
/// from an escaped `$$(NAME)` is replaced too; it cannot be told apart.)
pub fn substitute(input: &str, values: &[(String, String)]) -> String {
    let mut out = input.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("$({name})"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "VAR_A" => Some("A".into()),
            "VAR_EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn the_kubelet_expansion_table() {
        for (input, expected) in [
            ("$(VAR_A)", "A"),
            ("___$(VAR_A)___", "___A___"),
            ("$(VAR_A)-$(VAR_A)", "A-A"),
            ("$(VAR_EMPTY)", ""),
            ("$(UNKNOWN)", "$(UNKNOWN)"),
            ("$$(VAR_A)", "$(VAR_A)"),
            ("$$$(VAR_A)", "$A"),
            ("$$$$(VAR_A)", "$$(VAR_A)"),
            ("$(VAR_A", "$(VAR_A"),
            ("$(", "$("),
            ("$", "$"),
            ("a$", "a$"),
            ("$x$(VAR_A)", "$xA"),
            ("$é", "$é"),
            ("$()", "$()"),
            ("no refs", "no refs"),
        ] {
            assert_eq!(expand(input, vars), expected, "{input}");
        }
    }

    #[test]
    fn substitution_keeps_everything_else() {
        let ips = [("POD_IP".to_owned(), "10.0.0.7".to_owned())];
        assert_eq!(
            substitute("--bind=$(POD_IP):80 $$ $(OTHER)", &ips),
            "--bind=10.0.0.7:80 $$ $(OTHER)"
        );
    }
}
