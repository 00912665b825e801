//! Query parameters of the streaming routes, read as the kubelet reads them:
//! `command` (repeated), `input`/`output`/`error`/`tty` for exec and attach,
//! `port` (repeated, comma-separated) for port-forward, `cmd` for `/run`.

/// What an exec or attach asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// argv (exec only; empty for attach).
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

/// A query the kubelet would refuse with 400; the message is the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidQuery(pub String);

/// The decoded `name=value` pairs of a query string, in order.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a
/// byte; a malformed escape is kept as written.
fn decode(text: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        char::from(byte)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let escaped = bytes
                    .get(i + 1)
                    .zip(bytes.get(i + 2))
                    .and_then(|(hi, lo)| Some(hex(*hi)? << 4 | hex(*lo)?));
                match escaped {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A boolean stream flag: the kubelet takes `1`; `true` is accepted too.
fn flag(query: &[(String, String)], name: &str) -> bool {
    query
        .iter()
        .any(|(key, value)| key == name && matches!(value.as_str(), "1" | "true" | "True"))
}

/// Exec (`needs_command`) or attach options. With a TTY, stderr is merged
/// into the terminal and the `error` flag is dropped, as the kubelet does.
pub fn stream_options(
    query: &[(String, String)],
    needs_command: bool,
) -> Result<StreamOptions, InvalidQuery> {
    let command: Vec<String> = query
        .iter()
        .filter(|(key, _)| key == "command")
        .map(|(_, value)| value.clone())
        .collect();
    let tty = flag(query, "tty");
    let options = StreamOptions {
        stdin: flag(query, "input"),
        stdout: flag(query, "output"),
        stderr: flag(query, "error") && !tty,
        tty,
        command: if needs_command { command } else { Vec::new() },
    };
    if !(options.stdin || options.stdout || options.stderr) {
        return Err(InvalidQuery(
            "you must specify at least 1 of stdin, stdout, stderr \
             (query parameters input=1, output=1, error=1)"
                .into(),
        ));
    }
    if needs_command && options.command.is_empty() {
        return Err(InvalidQuery(
            "no command given: pass it as repeated `command` query parameters".into(),
        ));
    }
    Ok(options)
}

/// The most ports one port-forward may name. Channel ids are one byte and
/// each port takes two (data and error), so 127 would fit; fewer keep one
/// request from opening too many plugin streams.
pub const MAX_PORTS: usize = 64;

/// The ports of a WebSocket port-forward: every `port` parameter, each a
/// comma-separated list of ports 1-65535; at most [`MAX_PORTS`], each once.
pub fn ports(query: &[(String, String)]) -> Result<Vec<u16>, InvalidQuery> {
    let values: Vec<&str> = query
        .iter()
        .filter(|(key, _)| key == "port")
        .map(|(_, value)| value.as_str())
        .collect();
    if values.is_empty() {
        return Err(InvalidQuery("query parameter \"port\" is required".into()));
    }
    let mut ports = Vec::new();
    for value in values {
        if value.is_empty() {
            return Err(InvalidQuery(
                "query parameter \"port\" cannot be empty".into(),
            ));
        }
        for part in value.split(',') {
            let port: u16 = part
                .parse()
                .map_err(|_| InvalidQuery(format!("unable to parse {part:?} as a port")))?;
            if port == 0 {
                return Err(InvalidQuery(format!("port {part:?} must be > 0")));
            }
            if ports.contains(&port) {
                return Err(InvalidQuery(format!("port {port} is given more than once")));
            }
            if ports.len() == MAX_PORTS {
                return Err(InvalidQuery(format!(
                    "too many ports: at most {MAX_PORTS} may be forwarded at once"
                )));
            }
            ports.push(port);
        }
    }
    Ok(ports)
}

/// The argv of `/run`: the `cmd` parameter split at spaces (the kubelet's
/// legacy form).
pub fn run_command(query: &[(String, String)]) -> Result<Vec<String>, InvalidQuery> {
    let command: Vec<String> = query
        .iter()
        .find(|(key, _)| key == "cmd")
        .map(|(_, value)| value.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if command.is_empty() {
        return Err(InvalidQuery(
            "no command given: pass it in the `cmd` query parameter".into(),
        ));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> Vec<(String, String)> {
        parse_query(Some(raw))
    }

    #[test]
    fn decodes_repeated_and_escaped_parameters() {
        let q = query("command=sh&command=-c&command=echo+a%20b%3Bc&output=1&bad=%zz");
        assert_eq!(
            q,
            [
                ("command", "sh"),
                ("command", "-c"),
                ("command", "echo a b;c"),
                ("output", "1"),
                ("bad", "%zz"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(parse_query(None).is_empty());
    }

    #[test]
    fn exec_options_as_the_kubelet_reads_them() {
        let options =
            stream_options(&query("command=cat&input=1&output=true&error=1"), true).expect("valid");
        assert_eq!(options.command, ["cat"]);
        assert!(options.stdin && options.stdout && options.stderr && !options.tty);

        // A TTY merges stderr into the terminal: the flag is dropped.
        let tty = stream_options(&query("command=sh&output=1&error=1&tty=1"), true).expect("valid");
        assert!(tty.tty && tty.stdout && !tty.stderr);

        let none = stream_options(&query("command=ls&tty=1"), true).expect_err("no streams");
        assert!(
            none.0.contains("at least 1 of stdin, stdout, stderr"),
            "{none}"
        );
        let no_command = stream_options(&query("output=1"), true).expect_err("no command");
        assert!(no_command.0.contains("`command`"), "{no_command}");

        // Attach ignores any command.
        let attach = stream_options(&query("command=x&input=1"), false).expect("attach");
        assert!(attach.command.is_empty());
        assert!(!flag(&query("output=0"), "output"));
    }

    #[test]
    fn ports_from_repeated_and_comma_separated_parameters() {
        assert_eq!(
            ports(&query("port=80&port=8080,9090")),
            Ok(vec![80, 8080, 9090])
        );
        assert!(ports(&query("")).is_err());
        assert!(ports(&query("port=")).is_err());
        assert_eq!(
            ports(&query("port=0")),
            Err(InvalidQuery("port \"0\" must be > 0".into()))
        );
        assert!(ports(&query("port=70000")).is_err());
        assert_eq!(
            ports(&query("port=80&port=81,80")),
            Err(InvalidQuery("port 80 is given more than once".into()))
        );
        let most: Vec<String> = (1..=MAX_PORTS).map(|p| p.to_string()).collect();
        let most = format!("port={}", most.join(","));
        assert_eq!(ports(&query(&most)).map(|p| p.len()), Ok(MAX_PORTS));
        let too_many = ports(&query(&format!("{most}&port=9999"))).expect_err("65 ports");
        assert!(too_many.0.contains("too many ports"), "{too_many}");
        // Past 127 ports the one-byte channel ids would collide.
        let all: Vec<String> = (1..=200).map(|p| p.to_string()).collect();
        assert!(ports(&query(&format!("port={}", all.join(",")))).is_err());
        assert!(ports(&query("port=http")).is_err());
    }

    #[test]
    fn run_splits_cmd_at_spaces() {
        assert_eq!(
            run_command(&query("cmd=echo+hello+world")),
            Ok(vec!["echo".into(), "hello".into(), "world".into()])
        );
        assert!(run_command(&query("cmd=")).is_err());
        assert!(run_command(&query("")).is_err());
    }
}

/// Property tests: any query string decodes without a panic into no more
/// than it held, escapes round-trip, and what the routes accept obeys
/// their rules.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    /// `%XX` for every byte but letters and digits.
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// Query text made of the characters that matter to the decoder.
    fn raw_query() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "([a-z]{0,6}(=[a-z0-9%+,é ]{0,12})?&?){0,8}",
            "(%[0-9a-fA-FzZ]{0,2}|[+&=]|\\PC){0,40}",
        ]
    }

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        let name = prop_oneof![
            proptest::sample::select(
                &["command", "input", "output", "error", "tty", "port", "cmd"][..]
            )
            .prop_map(str::to_owned),
            any::<String>(),
        ];
        let value = prop_oneof![
            proptest::sample::select(&["1", "0", "true", "True", ""][..]).prop_map(str::to_owned),
            "[0-9]{1,6}(,[0-9]{0,6}){0,80}",
            any::<String>(),
        ];
        proptest::collection::vec((name, value), 0..12)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_query_string_decodes_into_at_most_three_bytes_per_byte(raw in raw_query()) {
            let pairs = parse_query(Some(&raw));
            prop_assert!(pairs.len() <= raw.matches('&').count() + 1);
            let decoded: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
            // `%ff` (3 bytes) becomes U+FFFD (3 bytes); nothing grows more.
            prop_assert!(decoded <= 3 * raw.len(), "{decoded} bytes from {}", raw.len());
        }

        #[test]
        fn escaped_names_and_values_round_trip(
            given in proptest::collection::vec((any::<String>(), any::<String>()), 0..8),
        ) {
            let raw: Vec<String> = given
                .iter()
                .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
                .collect();
            prop_assert_eq!(parse_query(Some(&raw.join("&"))), given);
        }

        #[test]
        fn what_the_routes_accept_obeys_their_rules(query in pairs(), needs_command in any::<bool>()) {
            if let Ok(options) = stream_options(&query, needs_command) {
                prop_assert!(options.stdin || options.stdout || options.stderr);
                prop_assert!(!(options.tty && options.stderr));
                prop_assert_eq!(options.command.is_empty(), !needs_command);
            }
            if let Ok(ports) = ports(&query) {
                prop_assert!(!ports.is_empty() && ports.len() <= MAX_PORTS);
                prop_assert!(!ports.contains(&0));
                let mut unique = ports.clone();
                unique.sort_unstable();
                unique.dedup();
                prop_assert_eq!(unique.len(), ports.len());
            }
            if let Ok(argv) = run_command(&query) {
                prop_assert!(!argv.is_empty());
                prop_assert!(argv.iter().all(|arg| !arg.is_empty() && !arg.contains(char::is_whitespace)));
            }
        }
    }
}
