//! `vk-cri-plugin`: reads the launch environment and the configuration
//! file, and checks that containerd answers CRI v1 at the configured
//! socket. Serving pods (the `Provider`) is not implemented yet, so the
//! binary then exits with status 1 and says so (see README.md).

use std::process::ExitCode;

use anyhow::Context as _;
use vk_cri_plugin::Config;
use vk_cri_plugin::cri::Runtime;
use vk_plugin_sdk::Launch;

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
    let config = Config::load_optional(launch.config_path.as_deref())?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let connected = runtime.block_on(Runtime::connect(config.runtime_socket()))?;
    let version = &connected.version;
    tracing::info!(
        runtime = %version.name,
        version = %version.version,
        api = %version.api_version,
        socket = %config.runtime_socket().display(),
        "connected to the container runtime"
    );
    anyhow::bail!(
        "connected to {} {} (CRI {}) at {}, but serving pods is not implemented yet \
         (see plugins/cri/README.md)",
        version.name,
        version.version,
        version.api_version,
        config.runtime_socket().display()
    )
}
