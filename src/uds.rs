//! gRPC channels over Unix sockets. The URI is a placeholder; `localhost` gives
//! a valid `:authority`, which stricter servers require.

use std::path::{Path, PathBuf};

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};

fn endpoint() -> Endpoint {
    Endpoint::from_static("http://localhost")
}

fn connector(
    path: PathBuf,
) -> impl tower::Service<
    tonic::transport::Uri,
    Response = TokioIo<UnixStream>,
    Error = std::io::Error,
    Future = impl Send,
> + Clone
+ Send {
    tower::service_fn(move |_: tonic::transport::Uri| {
        let path = path.clone();
        async move { Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(path).await?)) }
    })
}

/// Connects now; fails if nothing listens at `path`.
pub async fn connect(path: &Path) -> Result<Channel, tonic::transport::Error> {
    endpoint()
        .connect_with_connector(connector(path.to_owned()))
        .await
}

/// Connects on first use and reconnects after failures.
pub fn connect_lazy(path: &Path) -> Channel {
    endpoint().connect_with_connector_lazy(connector(path.to_owned()))
}
