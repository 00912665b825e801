//! [`serve`]: binds the plugin socket, serves `PluginIdentity`,
//! `PodLifecycle` and `grpc.health.v1`, and shuts down gracefully on SIGTERM,
//! SIGINT, the shutdown rpc, or the host going away (stdin end-of-file).

mod identity;
mod lifecycle;
mod sessions;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::net::UnixListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio_stream::wrappers::UnixListenerStream;
use tokio_util::sync::CancellationToken;
use vk_proto::auth::RequireSecret;

use crate::launch::{Launch, LaunchError};
use crate::proto::plugin_identity_server::PluginIdentityServer;
use crate::proto::pod_lifecycle_server::PodLifecycleServer;
use crate::provider::{PluginInfo, Provider};

/// How long [`Provider::shutdown`] may take before the server exits anyway.
const PROVIDER_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the plugin server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error("binding the plugin socket {path}")]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("installing the signal handlers")]
    Signals(#[source] std::io::Error),
    #[error("the gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` as a vk-host plugin until the host stops it. Reads the
/// launch environment; see [`serve_with`] to read it first yourself (for
/// example to build the provider from its configuration file).
pub async fn serve<P: Provider>(info: PluginInfo, provider: P) -> Result<(), ServeError> {
    let launch = Launch::from_env()?;
    serve_with(launch, info, provider).await
}

/// Serves `provider` with an already read [`Launch`].
pub async fn serve_with<P: Provider>(
    launch: Launch,
    info: PluginInfo,
    provider: P,
) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    watch_for_shutdown(shutdown.clone(), launch.stdin_is_host_pipe)?;

    let listener = bind(&launch.plugin_socket)?;
    let provider = Arc::new(provider);
    let capabilities: HashSet<_> = provider.capabilities().into_iter().collect();
    let limit = vk_proto::DEFAULT_MAX_MESSAGE_BYTES;
    let auth = RequireSecret::new(launch.secret());

    let identity = PluginIdentityServer::new(identity::IdentityService {
        provider: Arc::clone(&provider),
        info: info.clone(),
        shutdown: shutdown.clone(),
    })
    .max_decoding_message_size(limit)
    .max_encoding_message_size(limit);
    let lifecycle = PodLifecycleServer::new(lifecycle::LifecycleService {
        provider: Arc::clone(&provider),
        capabilities,
    })
    .max_decoding_message_size(limit)
    .max_encoding_message_size(limit);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<PodLifecycleServer<lifecycle::LifecycleService<P>>>()
        .await;

    tracing::info!(
        plugin = %info.name,
        version = %info.version,
        socket = %launch.plugin_socket.display(),
        "serving"
    );
    let server = tonic::transport::Server::builder()
        .add_service(health)
        .add_service(tonic::service::interceptor::InterceptedService::new(
            identity,
            auth.clone(),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            lifecycle, auth,
        ))
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), {
            let shutdown = shutdown.clone();
            async move { shutdown.cancelled().await }
        });
    let result = server.await;
    shutdown.cancel();
    if tokio::time::timeout(PROVIDER_SHUTDOWN_GRACE, provider.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("the provider's shutdown hook did not finish in time");
    }
    let _ = std::fs::remove_file(&launch.plugin_socket);
    tracing::info!("stopped");
    Ok(result?)
}

fn bind(path: &std::path::Path) -> Result<UnixListener, ServeError> {
    let error = |source| ServeError::Bind {
        path: path.to_owned(),
        source,
    };
    let listener = UnixListener::bind(path).map_err(error)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(error)?;
    Ok(listener)
}

/// Cancels `shutdown` on SIGTERM, SIGINT, or end-of-file on stdin when it is
/// the host's pipe (the host holds the other end, so EOF means it is gone).
fn watch_for_shutdown(shutdown: CancellationToken, watch_stdin: bool) -> Result<(), ServeError> {
    let mut terminate = signal(SignalKind::terminate()).map_err(ServeError::Signals)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(ServeError::Signals)?;
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 256];
        let host_gone = async {
            if !watch_stdin {
                return std::future::pending().await;
            }
            loop {
                match stdin.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        };
        let reason = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
            _ = host_gone => "stdin closed, the host is gone",
            _ = shutdown.cancelled() => return,
        };
        // Cancel first: nothing that goes wrong while logging may keep the
        // plugin from stopping.
        shutdown.cancel();
        tracing::info!("{reason}: shutting down");
    });
    Ok(())
}
