//! `HostCallbacks`, served to each plugin on the host socket named at launch,
//! behind the per-launch secret. The scoped answers (a Secret or ConfigMap
//! only when a pod of this node references it) are not built yet: every call
//! is authenticated and then answered UNIMPLEMENTED, which the protocol
//! defines as "absent".

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;
use vk_proto::auth::RequireSecret;
use vk_proto::v1::host_callbacks_server::{HostCallbacks, HostCallbacksServer};
use vk_proto::v1::{
    CreateServiceAccountTokenRequest, CreateServiceAccountTokenResponse, GetConfigMapResponse,
    GetObjectRequest, GetSecretResponse,
};

/// Binds `path` (mode 0600) and serves `HostCallbacks` there until `stop`.
pub fn serve(path: &Path, secret: &str, stop: CancellationToken) -> std::io::Result<()> {
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let service = HostCallbacksServer::with_interceptor(Unscoped, RequireSecret::new(secret));
    let server = tonic::transport::Server::builder()
        .add_service(service)
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
            stop.cancelled().await
        });
    tokio::spawn(
        async move {
            if let Err(error) = server.await {
                tracing::warn!(%error, "the host callback server failed");
            }
        }
        .instrument(tracing::info_span!("host_callbacks")),
    );
    Ok(())
}

/// Answers every authenticated call UNIMPLEMENTED until scoped access exists.
#[derive(Debug)]
struct Unscoped;

fn not_yet(what: &str) -> Status {
    Status::unimplemented(format!(
        "{what} through host callbacks is not available in this vk-host version"
    ))
}

#[tonic::async_trait]
impl HostCallbacks for Unscoped {
    async fn get_secret(
        &self,
        _: Request<GetObjectRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        Err(not_yet("reading Secrets"))
    }

    async fn get_config_map(
        &self,
        _: Request<GetObjectRequest>,
    ) -> Result<Response<GetConfigMapResponse>, Status> {
        Err(not_yet("reading ConfigMaps"))
    }

    async fn create_service_account_token(
        &self,
        _: Request<CreateServiceAccountTokenRequest>,
    ) -> Result<Response<CreateServiceAccountTokenResponse>, Status> {
        Err(not_yet("service-account tokens"))
    }
}
