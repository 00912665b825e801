//! Plugin logging: JSON lines on stderr, which vk-host forwards into its own
//! log at the same level, labelled with the plugin.

use tracing_subscriber::EnvFilter;

/// Installs a `tracing` subscriber writing one JSON object per line to
/// stderr. The level comes from `RUST_LOG` (default `info`). Call once, first
/// thing in `main`; a second call does nothing.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}
