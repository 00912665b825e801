//! `--print-config`: the effective configuration as a `--config` file, every
//! flag with its value and, in a comment, where the value came from.
//! Values that may be secret (`plugin-env` values) are redacted.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

use super::file::{COMMAND_LINE_ONLY, is_numeric};

/// Stands for a value that is not printed.
const REDACTED: &str = "<redacted>";

/// What clap's matches do not tell: which values came from the file, and
/// which file values a conflicting flag dropped.
pub(super) struct Sources<'a> {
    pub file_keys: &'a BTreeSet<String>,
    /// Argument ids.
    pub dropped: &'a [&'static str],
}

/// The configuration `matches` hold, for `command` as the `--config` file
/// and `sources` shaped it.
pub(super) fn render(command: &Command, matches: &ArgMatches, sources: &Sources<'_>) -> String {
    let mut out = String::from(
        "# vk-host effective configuration (vk-host --print-config), usable as --config FILE.\n\
         # Precedence: flag > VK_* environment variable > file > default.\n\
         # Secret values (plugin-env VALUEs) are shown as <redacted>.\n\n",
    );
    for arg in command.get_arguments() {
        let Some(key) = arg.get_long() else { continue };
        if COMMAND_LINE_ONLY.contains(&key) {
            continue;
        }
        if sources.dropped.contains(&arg.get_id().as_str()) {
            let unset = match arg.get_action() {
                ArgAction::SetTrue => format!("{key} = false"),
                _ => format!("# {key} is not set"),
            };
            writeln!(
                out,
                "{unset}  # file value dropped: a conflicting flag overrides it"
            )
            .expect("writing to a String");
            continue;
        }
        let source = source(arg, matches, sources.file_keys.contains(key));
        match value(arg, matches) {
            Some(value) => writeln!(out, "{key} = {value}  # {source}"),
            None => writeln!(out, "# {key} is not set  # {source}"),
        }
        .expect("writing to a String");
    }
    out
}

/// Where the flag's value comes from: `flag`, `env VK_X`, `file` or `default`.
fn source(arg: &Arg, matches: &ArgMatches, in_file: bool) -> String {
    match matches.value_source(arg.get_id().as_str()) {
        Some(ValueSource::CommandLine) => "flag".into(),
        Some(ValueSource::EnvVariable) => {
            let name = arg
                .get_env()
                .map(|name| name.to_string_lossy().into_owned());
            format!("env {}", name.unwrap_or_default())
        }
        _ if in_file => "file".into(),
        _ => "default".into(),
    }
}

/// The value as TOML, `None` when the flag is unset.
fn value(arg: &Arg, matches: &ArgMatches) -> Option<String> {
    let id = arg.get_id().as_str();
    if matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse) {
        return Some(matches.get_flag(id).to_string());
    }
    let raw: Vec<String> = matches
        .get_raw(id)
        .map(|values| {
            values
                .map(|value| redact(arg, &value.to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    if matches!(arg.get_action(), ArgAction::Append) {
        let items: Vec<String> = raw.iter().map(|value| scalar(arg, value)).collect();
        return Some(format!("[{}]", items.join(", ")));
    }
    raw.first().map(|value| scalar(arg, value))
}

fn scalar(arg: &Arg, value: &str) -> String {
    if is_numeric(arg) && value.parse::<f64>().is_ok() {
        value.to_owned()
    } else {
        toml::Value::String(value.to_owned()).to_string()
    }
}

/// A flag that hides its environment values (`--plugin-env`) holds secrets:
/// `NAME=VALUE` keeps its name, a bare `NAME` (vk-host's own value) stays.
fn redact(arg: &Arg, value: &str) -> String {
    if !arg.is_hide_env_values_set() {
        return value.to_owned();
    }
    match value.split_once('=') {
        Some((name, _)) => format!("{name}={REDACTED}"),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::super::{Invocation, load};

    fn print(config: &str, flags: &[&str]) -> String {
        let file = tempfile::NamedTempFile::new().expect("temp config file");
        std::fs::write(file.path(), config).expect("write the config file");
        let mut args: Vec<OsString> = vec!["vk-host".into(), "--print-config".into()];
        args.extend(["--config".into(), file.path().into()]);
        args.extend(flags.iter().map(OsString::from));
        match load(args).expect("valid") {
            Invocation::Print(text) => text,
            Invocation::Run(_) => panic!("ran instead of printing"),
        }
    }

    /// `key = value` lines without their source comments.
    fn values(printed: &str) -> Vec<String> {
        printed
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| line.rsplit_once("  # ").expect("a source").0.to_owned())
            .collect()
    }

    const CONFIG: &str = r#"
plugin = "/bin/true"
plugin-env = ["TOKEN=hunter2", "HOME", "EMPTY="]
node-label = ["a=1"]
kube-api-qps = 7.5
disable-taint = true
"#;

    #[test]
    fn every_flag_is_printed_with_its_source_and_secrets_redacted() {
        let printed = print(CONFIG, &["--node-name", "edge-1", "--plugin-arg=--verbose"]);
        assert!(!printed.contains("hunter2"), "{printed}");
        for line in [
            "plugin = \"/bin/true\"  # file",
            "plugin-env = [\"TOKEN=<redacted>\", \"HOME\", \"EMPTY=<redacted>\"]  # file",
            "node-name = \"edge-1\"  # flag",
            "plugin-arg = [\"--verbose\"]  # flag",
            "node-label = [\"a=1\"]  # file",
            "kube-api-qps = 7.5  # file",
            "kube-api-burst = 200  # default",
            "disable-taint = true  # file",
            "pod-status-resync = \"10s\"  # default",
            "log-format = \"text\"  # default",
            "# node-taint is not set  # default",
        ] {
            assert!(
                printed.lines().any(|got| got == line),
                "{line} in\n{printed}"
            );
        }
        for arg in <super::super::Cli as clap::CommandFactory>::command().get_arguments() {
            let Some(key) = arg.get_long() else { continue };
            let shown = printed.lines().any(|line| {
                line.starts_with(&format!("{key} = "))
                    || line.starts_with(&format!("# {key} is not set"))
            });
            let command_line_only = super::COMMAND_LINE_ONLY.contains(&key);
            assert_eq!(shown, !command_line_only, "{key} in\n{printed}");
        }
    }

    #[test]
    fn the_printed_configuration_reads_back_as_the_same_configuration() {
        let printed = print(
            CONFIG,
            &[
                "--node-name",
                "edge-1",
                "--tls-san",
                "a.example.com,10.0.0.1",
            ],
        );
        let again = print(&printed, &[]);
        assert_eq!(values(&again), values(&printed), "{again}");
        assert!(again.contains("node-name = \"edge-1\"  # file"), "{again}");
    }

    #[test]
    fn a_file_value_a_conflicting_flag_drops_is_printed_as_dropped() {
        let printed = print(
            "plugin = \"/bin/true\"\ndisable-taint = true\n",
            &["--node-taint", "k=v:NoSchedule"],
        );
        for line in [
            "disable-taint = false  # file value dropped: a conflicting flag overrides it",
            "node-taint = \"k=v:NoSchedule\"  # flag",
        ] {
            assert!(
                printed.lines().any(|got| got == line),
                "{line} in\n{printed}"
            );
        }
        let again = print(&printed, &[]);
        assert!(again.contains("disable-taint = false  # file\n"), "{again}");
        assert!(
            again.contains("node-taint = \"k=v:NoSchedule\"  # file\n"),
            "{again}"
        );
    }
}
