//! The top of a vk-host run: supervise the plugin until a signal, then stop
//! everything within a bounded grace.

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::plugins::{PluginError, Supervisor};
use crate::shutdown;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("installing signal handlers")]
    Signals(#[source] std::io::Error),
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

/// Runs vk-host with a validated configuration until SIGTERM or SIGINT.
pub async fn run(config: Config) -> Result<(), RunError> {
    let root = CancellationToken::new();
    shutdown::cancel_on_signals(root.clone()).map_err(RunError::Signals)?;
    tracing::info!(node = %config.node_name, plugin = %config.supervisor.spec.path.display(), "starting");
    let supervisor = Supervisor::start(config.supervisor, &root).await?;
    root.cancelled().await;
    supervisor.wait().await;
    tracing::info!("stopped");
    Ok(())
}
