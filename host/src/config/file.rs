//! The `--config` file: TOML keyed by the flags' long names. Its values
//! become the flags' defaults before the command line is parsed, so a flag
//! and its `VK_*` variable override the file and every value goes through
//! the flag's own parser.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::ops::Range;
use std::path::PathBuf;

use clap::{Arg, ArgAction, Command, CommandFactory as _, FromArgMatches as _};
use toml::de::{DeTable, DeValue};

use super::Cli;

/// Flags that only make sense on the command line.
pub(super) const COMMAND_LINE_ONLY: [&str; 4] = ["config", "print-config", "help", "version"];

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Run with these flags (still to be validated by `into_config`).
    Run(Box<Cli>),
    /// `--print-config`: this text goes to stdout, nothing is started.
    Print(String),
}

/// Why the command line and its `--config` file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A usage error, `--help` or `--version`: `exit()` prints it.
    #[error(transparent)]
    Clap(#[from] clap::Error),
    #[error("--config {path}: cannot be read ({source})")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--config {path}: line {line}: {message}")]
    At {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// One key of the file, as the raw values of its flag.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: String,
    pub id: String,
    pub values: Vec<String>,
}

/// Parses `args` (with the program name first) and the `--config` file
/// they or `VK_CONFIG` name.
pub fn load(args: Vec<OsString>) -> Result<Invocation, LoadError> {
    let mut command = Cli::command();
    let mut file_keys = BTreeSet::new();
    if let Some(path) = config_path(&args) {
        let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Read {
            path: path.clone(),
            source,
        })?;
        let entries = parse(&text, &command).map_err(|(span, message)| LoadError::At {
            line: line_of(&text, span.start),
            path: path.clone(),
            message,
        })?;
        for entry in entries {
            file_keys.insert(entry.key.clone());
            command = command.mut_arg(&entry.id, |arg| {
                arg.required(false).default_values(entry.values.clone())
            });
        }
    }
    let matches = command.clone().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    let dropped = drop_overridden(&mut cli, &matches);
    if cli.print_config {
        let sources = super::print::Sources {
            file_keys: &file_keys,
            dropped: &dropped,
        };
        return Ok(Invocation::Print(super::print::render(
            &Cli::command(),
            &matches,
            &sources,
        )));
    }
    Ok(Invocation::Run(Box::new(cli)))
}

/// clap refuses conflicting flags, but not a flag that conflicts with a
/// file value (a default to clap): the flag overrides, as any flag does.
/// Returns the ids of the file values dropped.
fn drop_overridden(cli: &mut Cli, matches: &clap::ArgMatches) -> Vec<&'static str> {
    use clap::parser::ValueSource;
    let explicit = |id: &str| {
        matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let mut dropped = Vec::new();
    if explicit("node_taint") && !explicit("disable_taint") && cli.disable_taint {
        cli.disable_taint = false;
        dropped.push("disable_taint");
    }
    if explicit("disable_taint") && !explicit("node_taint") && cli.node_taint.take().is_some() {
        dropped.push("node_taint");
    }
    if explicit("tls_cert_file") && !explicit("tls_ca_cert_file") {
        if cli.tls_ca_cert_file.take().is_some() {
            dropped.push("tls_ca_cert_file");
        }
        if cli.tls_ca_key_file.take().is_some() {
            dropped.push("tls_ca_key_file");
        }
    }
    if explicit("tls_ca_cert_file") && !explicit("tls_cert_file") {
        if cli.tls_cert_file.take().is_some() {
            dropped.push("tls_cert_file");
        }
        if cli.tls_private_key_file.take().is_some() {
            dropped.push("tls_private_key_file");
        }
    }
    dropped
}

/// `--config FILE` or `--config=FILE` on the command line, else `VK_CONFIG`.
/// A pre-scan: the file must be read before clap parses the command line.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut rest = args.iter().skip(1);
    let mut found = None;
    while let Some(arg) = rest.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        } else if arg == "--config" {
            found = rest.next().map(PathBuf::from);
        } else if let Some(path) = arg.strip_prefix("--config=") {
            found = Some(PathBuf::from(path));
        }
    }
    found.or_else(|| {
        std::env::var_os("VK_CONFIG")
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
    })
}

/// The file's keys as flag values, each checked by its flag's parser; an
/// error carries the byte span it is about.
pub(super) fn parse(text: &str, command: &Command) -> Result<Vec<Entry>, (Range<usize>, String)> {
    let table = DeTable::parse(text).map_err(|error| {
        (
            error.span().unwrap_or(0..0),
            error.message().replace('\n', " "),
        )
    })?;
    let mut entries = Vec::new();
    for (key, value) in table.get_ref() {
        let (key, key_span) = (key.get_ref().as_ref(), key.span());
        let fail = |message: String| (key_span.clone(), message);
        if COMMAND_LINE_ONLY.contains(&key) {
            return Err(fail(format!(
                "{key:?} can only be given on the command line"
            )));
        }
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key))
            .ok_or_else(|| {
                fail(format!(
                    "unknown key {key:?} (keys are vk-host's long flag names, see vk-host --help)"
                ))
            })?;
        let values = values_of(key, arg, value.get_ref()).map_err(fail)?;
        check_values(key, arg, &values).map_err(fail)?;
        entries.push(Entry {
            key: key.to_owned(),
            id: arg.get_id().as_str().to_owned(),
            values,
        });
    }
    Ok(entries)
}

/// The TOML value as the flag's raw values, refusing a value of the wrong
/// TOML type for the flag.
fn values_of(key: &str, arg: &Arg, value: &DeValue<'_>) -> Result<Vec<String>, String> {
    match arg.get_action() {
        ArgAction::SetTrue | ArgAction::SetFalse => match value {
            DeValue::Boolean(value) => Ok(vec![value.to_string()]),
            other => Err(format!(
                "{key} expects true or false, not {}",
                other.type_str()
            )),
        },
        ArgAction::Append => match value {
            DeValue::Array(items) => items
                .iter()
                .map(|item| scalar(key, arg, item.get_ref()))
                .collect(),
            other => Err(format!(
                "{key} can be given several times: it expects an array, not {}",
                other.type_str()
            )),
        },
        _ => scalar(key, arg, value).map(|value| vec![value]),
    }
}

fn scalar(key: &str, arg: &Arg, value: &DeValue<'_>) -> Result<String, String> {
    let numeric = is_numeric(arg);
    match value {
        DeValue::String(text) if !numeric => Ok(text.to_string()),
        DeValue::Integer(number) if numeric => {
            let digits = number.as_str().replace('_', "");
            i128::from_str_radix(&digits, number.radix())
                .map(|number| number.to_string())
                .map_err(|error| format!("{key}: {error}"))
        }
        DeValue::Float(number) if numeric => Ok(number.as_str().replace('_', "")),
        other if numeric => Err(format!("{key} expects a number, not {}", other.type_str())),
        other => Err(format!("{key} expects a string, not {}", other.type_str())),
    }
}

/// Whether the flag's value is a number (written bare in TOML).
pub(super) fn is_numeric(arg: &Arg) -> bool {
    use std::any::TypeId;
    let id = arg.get_value_parser().type_id();
    [
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i64>(),
        TypeId::of::<f32>(),
        TypeId::of::<f64>(),
    ]
    .into_iter()
    .any(|number| id == number)
}

/// Runs the flag's own value parser (and delimiter) over the values, so a
/// bad value is refused with the file's line rather than later, unplaced.
fn check_values(key: &str, arg: &Arg, values: &[String]) -> Result<(), String> {
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return Ok(());
    }
    let mut probe = Arg::new(arg.get_id().clone())
        .long(key.to_owned())
        .value_names(arg.get_value_names().unwrap_or_default().to_vec())
        .action(ArgAction::Append)
        .value_parser(arg.get_value_parser().clone());
    if let Some(delimiter) = arg.get_value_delimiter() {
        probe = probe.value_delimiter(delimiter);
    }
    let argv = values.iter().map(|value| format!("--{key}={value}"));
    Command::new("vk-host")
        .no_binary_name(true)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(probe)
        .try_get_matches_from(argv)
        .map(drop)
        .map_err(|error| {
            let rendered = error.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.strip_prefix("error: ").unwrap_or(first).to_owned()
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `--config` file with `text`, kept as long as the returned guard.
    fn file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp config file");
        std::fs::write(file.path(), text).expect("write the config file");
        file
    }

    fn run(file: &tempfile::NamedTempFile, flags: &[&str]) -> Result<Cli, LoadError> {
        let mut args: Vec<OsString> = vec!["vk-host".into(), "--config".into()];
        args.push(file.path().into());
        args.extend(flags.iter().map(OsString::from));
        match load(args)? {
            Invocation::Run(cli) => Ok(*cli),
            Invocation::Print(text) => panic!("printed instead of running: {text}"),
        }
    }

    fn refusal(text: &str) -> String {
        let config = file(text);
        let error = run(&config, &[]).expect_err("refused").to_string();
        let prefix = format!("--config {}: ", config.path().display());
        assert_eq!(error.lines().count(), 1, "{error}");
        error
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{error} names the file"))
            .to_owned()
    }

    const BASE: &str = "plugin = \"/bin/true\"\n";

    #[test]
    fn a_flag_overrides_the_file_which_overrides_the_default() {
        let config = file(&format!(
            "{BASE}node-name = \"from-file\"\nnode-label = [\"a=1\", \"b=2\"]\nkube-api-qps = 5\nevent-qps = 2.5\ndisable-taint = true\n"
        ));
        let cli = run(&config, &[]).expect("valid");
        assert_eq!(cli.plugin, PathBuf::from("/bin/true"));
        assert_eq!(cli.node_name.as_deref(), Some("from-file"));
        assert_eq!(cli.node_labels, ["a=1", "b=2"]);
        assert_eq!((cli.kube_api_qps, cli.event_qps), (5.0, 2.5));
        assert!(cli.disable_taint);
        assert_eq!(
            cli.kube_api_burst, 200,
            "the default where the file is silent"
        );

        let cli = run(
            &config,
            &["--node-name", "from-flag", "--node-label", "c=3"],
        )
        .expect("valid");
        assert_eq!(cli.node_name.as_deref(), Some("from-flag"));
        assert_eq!(
            cli.node_labels,
            ["c=3"],
            "a repeated flag replaces the list"
        );
        assert_eq!(cli.kube_api_qps, 5.0);
    }

    #[test]
    fn a_flag_wins_over_a_file_value_it_conflicts_with() {
        let config = file(&format!("{BASE}disable-taint = true\n"));
        let cli = run(&config, &["--node-taint", "k=v:NoSchedule"]).expect("valid");
        assert!(!cli.disable_taint);
        assert_eq!(cli.node_taint.as_deref(), Some("k=v:NoSchedule"));
    }

    #[test]
    fn the_file_goes_through_into_config_like_flags() {
        let config = file(&format!(
            "{BASE}node-name = \"vk\"\ntls-cert-file = \"/c.pem\"\n"
        ));
        let error = run(&config, &[])
            .expect("parsed")
            .into_config()
            .expect_err("a certificate without its key");
        assert_eq!(
            error.to_string(),
            "--tls-cert-file and --tls-private-key-file go together: give both"
        );
        let config = file(&format!("{BASE}node-name = \"vk\"\nevent-burst = 0\n"));
        let error = run(&config, &[]).expect("parsed").into_config();
        assert_eq!(
            error.expect_err("zero").to_string(),
            "--event-burst must be more than zero"
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        assert_eq!(
            refusal(&format!("{BASE}\n# a comment\nnod-name = \"x\"\n")),
            "line 4: unknown key \"nod-name\" (keys are vk-host's long flag names, see vk-host --help)"
        );
        // One spelling: the flag's.
        assert!(
            refusal(&format!("{BASE}node_name = \"x\"\n"))
                .starts_with("line 2: unknown key \"node_name\"")
        );
        assert!(
            refusal(&format!("{BASE}[node]\ncpu = 1\n"))
                .starts_with("line 2: unknown key \"node\"")
        );
        assert_eq!(
            refusal("config = \"other.toml\"\n"),
            "line 1: \"config\" can only be given on the command line"
        );
    }

    #[test]
    fn values_of_the_wrong_type_are_refused_with_key_and_line() {
        for (text, expected) in [
            (
                "node-name = [\"a\"]",
                "line 2: node-name expects a string, not array",
            ),
            (
                "node-label = \"a=b\"",
                "line 2: node-label can be given several times: it expects an array, not string",
            ),
            (
                "node-label = [1]",
                "line 2: node-label expects a string, not integer",
            ),
            (
                "kube-api-qps = \"5\"",
                "line 2: kube-api-qps expects a number, not string",
            ),
            (
                "disable-taint = \"yes\"",
                "line 2: disable-taint expects true or false, not string",
            ),
            (
                "node-name = { a = 1 }",
                "line 2: node-name expects a string, not table",
            ),
            (
                "[node-name]",
                "line 2: node-name expects a string, not table",
            ),
        ] {
            let got = refusal(&format!("{BASE}{text}\n"));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn bad_values_are_refused_by_the_flags_parser_with_key_and_line() {
        assert_eq!(
            refusal(&format!("{BASE}pod-status-resync = \"10 parsecs\"\n")),
            "line 2: invalid value '10 parsecs' for '--pod-status-resync <POD_STATUS_RESYNC>': unknown time unit \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, months, years (and few variations)"
        );
        let got = refusal(&format!("{BASE}kubelet-port = 99999\n"));
        assert!(
            got.starts_with("line 2: invalid value '99999' for '--kubelet-port"),
            "{got}"
        );
        let got = refusal(&format!("{BASE}log-format = \"xml\"\n"));
        assert!(
            got.starts_with("line 2: invalid value 'xml' for '--log-format"),
            "{got}"
        );
        let got = refusal("plugin = \"/bin/true\n");
        assert!(got.starts_with("line 1: "), "{got}");
    }

    #[test]
    fn a_missing_file_is_one_line() {
        let args = ["vk-host", "--config=/nonexistent/vk.toml"].map(OsString::from);
        let error = load(args.to_vec()).expect_err("missing").to_string();
        assert!(
            error.starts_with("--config /nonexistent/vk.toml: cannot be read ("),
            "{error}"
        );
        assert_eq!(error.lines().count(), 1, "{error}");
    }
}
