//! `vk-mock-plugin`: reads the launch environment and the optional
//! configuration file, then serves [`MockProvider`] until vk-host stops it.

use std::process::ExitCode;

use vk_mock_plugin::{Config, MockProvider};
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
    let config = match vk_plugin_sdk::config::load_optional::<Config>(launch.config_path.as_deref())
    {
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
    let info = PluginInfo::new("mock", env!("CARGO_PKG_VERSION"));
    let result = runtime.block_on(async {
        let provider = MockProvider::with_host(config, Some(host));
        if let Some(path) = provider.pods_file().map(ToOwned::to_owned) {
            tokio::spawn(vk_mock_plugin::pods_file::keep_written(
                provider.clone(),
                path,
            ));
        }
        vk_plugin_sdk::serve_with(launch, info, provider).await
    });
    // The SDK watches stdin (the host's pipe) with a blocking read that never
    // returns while the host lives; a normal runtime drop would wait for it
    // forever, so leave it behind.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", one_line(error));
            ExitCode::FAILURE
        }
    }
}
