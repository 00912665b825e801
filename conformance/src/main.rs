//! `vk-plugin-conformance PATH [--plugin-config FILE] [--node-name NAME]
//! [--json] [-- ARGS...]`: flags, logging to stderr (warn by default, so the
//! report on stdout stays readable) and the exit code; the checks live in
//! the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use vk_plugin_conformance::{Format, Options, run};

/// Exit code when a check failed.
const EXIT_FAILED: u8 = 1;
/// Exit code of a usage error (clap's, and a bad `--plugin-env`).
const EXIT_USAGE: u8 = 2;
/// Exit code when the plugin could not be launched or failed its handshake.
const EXIT_NOT_LAUNCHED: u8 = 3;

/// Checks that a plugin executable honours the vk-host plugin protocol
/// (proto/provider.proto): launches it exactly as vk-host does, runs every
/// check, stops it, and prints one PASS/FAIL/SKIP line per check and the
/// summary `N passed, N failed`. Exit code 0 when every check passed, 1 when
/// one failed, 2 on a usage error, 3 when the plugin could not be launched
/// or failed its handshake.
#[derive(Debug, Parser)]
#[command(name = "vk-plugin-conformance", version)]
struct Cli {
    /// The plugin executable (a path, as for `vk-host --plugin`).
    plugin: PathBuf,

    /// The plugin's own configuration file, passed to it as VK_PLUGIN_CONFIG
    /// (as `vk-host --plugin-config` does).
    #[arg(long, value_name = "FILE", env = "VK_CONFORMANCE_PLUGIN_CONFIG")]
    plugin_config: Option<PathBuf>,

    /// An environment variable for the plugin, as `vk-host --plugin-env`
    /// gives it: NAME passes this process's value (refused if it has none),
    /// NAME=VALUE sets one; repeat for several. The plugin otherwise sees
    /// only the variables vk-host passes (PATH, HOME, LANG, ...) and the
    /// launch variables. Values are never printed.
    #[arg(long = "plugin-env", value_name = "NAME[=VALUE]")]
    plugin_env: Vec<String>,

    /// Node name sent in the handshake.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "vk-conformance",
        env = "VK_CONFORMANCE_NODE_NAME"
    )]
    node_name: String,

    /// Namespace of the test pods.
    #[arg(long, default_value = "conformance", env = "VK_CONFORMANCE_NAMESPACE")]
    namespace: String,

    /// Image of the test pods' one container `main`.
    #[arg(long, default_value = "busybox", env = "VK_CONFORMANCE_IMAGE")]
    image: String,

    /// Limit of every call, in seconds; a plugin that does not answer in
    /// time fails that check ("no answer within N s").
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600), env = "VK_CONFORMANCE_TIMEOUT")]
    timeout: u64,

    /// Grace period sent with the Shutdown rpc, in seconds; the plugin must
    /// exit within it.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600), env = "VK_CONFORMANCE_SHUTDOWN_GRACE")]
    shutdown_grace: u64,

    /// Print one JSON document instead of the text report.
    #[arg(long, env = "VK_CONFORMANCE_JSON")]
    json: bool,

    /// Log at info (including the plugin's own output) instead of warn;
    /// RUST_LOG overrides both.
    #[arg(short, long)]
    verbose: bool,

    /// Arguments passed to the plugin.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

fn init_logging(verbose: bool) {
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let env =
        match vk_host::config::parse_plugin_env(&cli.plugin_env, |name| std::env::var_os(name)) {
            Ok(env) => env,
            Err(error) => {
                eprintln!("vk-plugin-conformance: error: {error}");
                return ExitCode::from(EXIT_USAGE);
            }
        };
    let options = Options {
        plugin: cli.plugin,
        args: cli.args,
        config: cli.plugin_config,
        env,
        node_name: cli.node_name,
        namespace: cli.namespace,
        image: cli.image,
        timeout: Duration::from_secs(cli.timeout),
        shutdown_grace: Duration::from_secs(cli.shutdown_grace),
        format: if cli.json { Format::Json } else { Format::Text },
    };
    let report = run(&options).await;
    report.finish();
    if report.launch_failed {
        ExitCode::from(EXIT_NOT_LAUNCHED)
    } else if report.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}
