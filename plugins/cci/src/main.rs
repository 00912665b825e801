//! `vk-cci-plugin`: reads the launch environment and the configuration
//! file, connects to the remote API, then serves [`CciProvider`] until
//! vk-host stops it.

use std::process::ExitCode;

use vk_cci_plugin::{CciProvider, Config};
use vk_plugin_sdk::{Launch, PluginInfo};

/// The error and its causes on one line.
fn one_line(error: impl std::error::Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::new(error))
}

fn main() -> ExitCode {
    vk_plugin_sdk::init_logging();
    let launch = match Launch::from_env() {
        Ok(launch) => launch,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    let Some(path) = launch.config_path.clone() else {
        eprintln!(
            "vk-cci-plugin needs a configuration file (vk-host --plugin-config FILE): the remote API and namespace"
        );
        return ExitCode::FAILURE;
    };
    let config = match vk_plugin_sdk::config::load::<Config>(&path) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let client = match runtime.block_on(config.client()) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    // The client's lazy channel spawns its worker on the runtime.
    let entered = runtime.enter();
    let host = match vk_plugin_sdk::HostClient::new(&launch) {
        Ok(host) => host,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    drop(entered);
    let info = PluginInfo::new("cci", env!("CARGO_PKG_VERSION"));
    let result = runtime.block_on(async {
        let provider = CciProvider::start(config, client, Some(host));
        vk_plugin_sdk::serve_with(launch, info, provider).await
    });
    // The SDK's blocking read of the host's pipe never returns while the
    // host lives; do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", one_line(error));
            ExitCode::FAILURE
        }
    }
}
