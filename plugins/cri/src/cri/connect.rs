//! Opening the gRPC channel to the runtime's Unix socket and the start-up
//! `Version` check, so a wrong socket or a runtime without CRI v1 ends the
//! plugin with one clear line instead of failing every pod later.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use k8s_cri::v1::VersionRequest;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint, Uri};

/// The CRI API version this plugin speaks.
const CRI_API_VERSION: &str = "v1";

/// How long connecting and the `Version` call may take at start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Deadline of every runtime call (the kubelet's `--runtime-request-timeout`
/// default is 2 minutes; an image pull may take that long).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the runtime cannot be used. The messages name the socket and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "cannot reach the container runtime at {socket} (is containerd running, and is \
         runtime_endpoint its socket?)"
    )]
    Unreachable {
        socket: PathBuf,
        #[source]
        source: tonic::transport::Error,
    },
    #[error(
        "the container runtime at {socket} did not answer the CRI v1 Version call (containerd \
         needs its CRI plugin enabled and CRI v1, i.e. containerd 1.6 or later): {status}"
    )]
    NoCriV1 {
        socket: PathBuf,
        #[source]
        status: tonic::Status,
    },
    #[error(
        "the container runtime at {socket} ({name} {version}) speaks CRI {api}; this plugin \
         needs CRI {CRI_API_VERSION}"
    )]
    WrongApiVersion {
        socket: PathBuf,
        name: String,
        version: String,
        api: String,
    },
    #[error("the container runtime at {socket} did not answer Version within {CONNECT_TIMEOUT:?}")]
    Timeout { socket: PathBuf },
}

/// What the runtime said about itself at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeVersion {
    /// e.g. "containerd".
    pub name: String,
    /// e.g. "1.6.20~ds1".
    pub version: String,
    /// Always "v1" once connected.
    pub api_version: String,
}

/// A connected CRI runtime: cheap to clone, clones share the channel.
#[derive(Debug, Clone)]
pub struct Runtime {
    pub runtime: RuntimeServiceClient<Channel>,
    pub images: ImageServiceClient<Channel>,
    pub version: RuntimeVersion,
}

impl Runtime {
    /// Connects to the CRI socket at `socket` and checks with `Version` that
    /// it speaks CRI v1.
    pub async fn connect(socket: &Path) -> Result<Self, ConnectError> {
        tokio::time::timeout(CONNECT_TIMEOUT, Self::connect_unbounded(socket))
            .await
            .map_err(|_| ConnectError::Timeout {
                socket: socket.to_owned(),
            })?
    }

    async fn connect_unbounded(socket: &Path) -> Result<Self, ConnectError> {
        let channel = unix_channel(socket)
            .await
            .map_err(|source| ConnectError::Unreachable {
                socket: socket.to_owned(),
                source,
            })?;
        let mut runtime = RuntimeServiceClient::new(channel.clone());
        let reply = runtime
            .version(VersionRequest {
                version: CRI_API_VERSION.into(),
            })
            .await
            .map_err(|status| ConnectError::NoCriV1 {
                socket: socket.to_owned(),
                status,
            })?
            .into_inner();
        let version = RuntimeVersion {
            name: reply.runtime_name,
            version: reply.runtime_version,
            api_version: reply.runtime_api_version,
        };
        if version.api_version != CRI_API_VERSION {
            return Err(ConnectError::WrongApiVersion {
                socket: socket.to_owned(),
                name: version.name,
                version: version.version,
                api: version.api_version,
            });
        }
        Ok(Self {
            runtime,
            images: ImageServiceClient::new(channel),
            version,
        })
    }
}

/// A channel whose connections are Unix-socket connections to `socket`
/// (the URI is a placeholder tonic requires; it is never resolved).
async fn unix_channel(socket: &Path) -> Result<Channel, tonic::transport::Error> {
    let socket = socket.to_owned();
    Endpoint::from_static("http://cri.invalid")
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(socket).await?)) }
        }))
        .await
}

#[cfg(test)]
mod tests {
    use tokio::net::UnixListener;
    use tokio_stream::wrappers::UnixListenerStream;

    use super::*;

    #[tokio::test]
    async fn a_missing_socket_is_unreachable_and_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("containerd.sock");
        let error = Runtime::connect(&socket).await.expect_err("no socket");
        assert!(
            matches!(error, ConnectError::Unreachable { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&socket.display().to_string()), "{message}");
        assert!(message.contains("is containerd running"), "{message}");
    }

    #[tokio::test]
    async fn a_grpc_server_without_cri_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let socket = dir.path().join("not-cri.sock");
        let listener = UnixListener::bind(&socket).expect("bind");
        // A gRPC server with no services answers every call UNIMPLEMENTED.
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_routes(tonic::service::Routes::default())
                .serve_with_incoming(UnixListenerStream::new(listener)),
        );
        let error = Runtime::connect(&socket).await.expect_err("not CRI");
        server.abort();
        assert!(matches!(error, ConnectError::NoCriV1 { .. }), "{error:?}");
        assert!(error.to_string().contains("CRI v1 Version call"), "{error}");
    }
}
