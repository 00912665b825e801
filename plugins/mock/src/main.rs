//! `vk-mock-plugin`: reads the launch environment and the optional
//! configuration file, then serves [`MockProvider`] until vk-host stops it.

use std::process::ExitCode;

use vk_mock_plugin::{Config, MockProvider};
use vk_plugin_sdk::{Launch, PluginInfo};

/// The error and its causes on one line.
fn one_line(error: impl std::error::Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::new(error))
}

#[tokio::main]
async fn main() -> ExitCode {
    vk_plugin_sdk::init_logging();
    let launch = match Launch::from_env() {
        Ok(launch) => launch,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    let config = match Config::load_optional(launch.config_path.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{}", one_line(error));
            return ExitCode::FAILURE;
        }
    };
    let provider = MockProvider::new(config);
    let info = PluginInfo::new("mock", env!("CARGO_PKG_VERSION"));
    match vk_plugin_sdk::serve_with(launch, info, provider).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", one_line(error));
            ExitCode::FAILURE
        }
    }
}
