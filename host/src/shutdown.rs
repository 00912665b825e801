//! The root cancellation token: SIGTERM or SIGINT cancels it, and every
//! subsystem holds a child of it.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Cancels `root` on the first SIGTERM or SIGINT.
pub fn cancel_on_signals(root: CancellationToken) -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            _ = root.cancelled() => return,
        }
        root.cancel();
    });
    Ok(())
}
