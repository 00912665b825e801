//! Plugin logging: JSON lines on stderr, which vk-host forwards into its own
//! log at the same level, labelled with the plugin.

use std::io::Write;

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
        .with_writer(|| LossyStderr)
        .with_env_filter(filter)
        .try_init();
}

/// Stderr that drops what it cannot write. Once the host is gone the pipe
/// is broken (EPIPE), and tracing-subscriber reports a failed write with
/// `eprintln!`, which panics on that same pipe and ends whichever task
/// logged: the SDK's shutdown watcher among them, which left the plugin
/// running forever after the host's death.
struct LossyStderr;

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}
