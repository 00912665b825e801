//! `vk-cri-plugin`: reads the launch environment and the configuration
//! file, checks that containerd answers CRI v1 at the configured socket,
//! and serves [`CriProvider`] until vk-host stops it.

use std::process::ExitCode;

use anyhow::Context as _;
use vk_cri_plugin::cri::Runtime;
use vk_cri_plugin::{Config, CriProvider};
use vk_plugin_sdk::{Launch, PluginInfo};

fn main() -> ExitCode {
    vk_plugin_sdk::init_logging();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vk-cri-plugin: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let launch = Launch::from_env().context("reading the launch environment")?;
    let config = vk_plugin_sdk::config::load_optional::<Config>(launch.config_path.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let result = runtime.block_on(async {
        let connected = Runtime::connect(config.runtime_socket()).await?;
        let version = &connected.version;
        tracing::info!(
            runtime = %version.name,
            version = %version.version,
            api = %version.api_version,
            socket = %config.runtime_socket().display(),
            "connected to the container runtime"
        );
        // Secret, ConfigMap and token data for volumes: only from the host.
        let host = vk_plugin_sdk::HostClient::new(&launch)
            .context("creating the client of the host's callbacks")?;
        let provider = CriProvider::start(config, connected, Some(host)).await?;
        let info = PluginInfo::new("cri", env!("CARGO_PKG_VERSION"));
        vk_plugin_sdk::serve_with(launch, info, provider)
            .await
            .context("serving the plugin")
    });
    // The SDK watches stdin (the host's pipe) with a blocking read that never
    // returns while the host lives; a normal runtime drop would wait for it.
    runtime.shutdown_background();
    result
}
