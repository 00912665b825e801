//! Builds the [`kube::Client`] every controller shares: kubeconfig found the
//! usual way (flag, `KUBECONFIG`, in-cluster, `~/.kube/config`), requests
//! paced by a token bucket so a burst of pod churn cannot flood the API server.
//! The node heartbeat (Lease and status) gets a client of its own without the
//! bucket ([`connect_unpaced`]), as the kubelet's heartbeat client: a renewal
//! queued behind pod churn at a low `--kube-api-qps` would let the Lease
//! expire and the node go Unknown.

use std::path::PathBuf;

use kube::Client;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::rate_limit::RateLimitLayer;

/// How to reach the API server.
#[derive(Debug, Clone)]
pub struct KubeOptions {
    /// Explicit kubeconfig; `None` infers (`KUBECONFIG`, in-cluster, `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Sustained requests per second.
    pub qps: f32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
}

/// Why no client could be built.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("--kubeconfig {path}: cannot be read")]
    ReadKubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("--kubeconfig {path}: not usable")]
    UseKubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error(
        "no Kubernetes configuration found (pass --kubeconfig, set KUBECONFIG, or run in a cluster)"
    )]
    Infer(#[source] kube::config::InferConfigError),
    #[error("building the Kubernetes client")]
    Build(#[source] kube::Error),
}

/// Builds the shared client. Nothing is sent to the API server yet.
pub async fn connect(options: &KubeOptions) -> Result<Client, KubeError> {
    let config = config(options).await?;
    let builder = ClientBuilder::try_from(config).map_err(KubeError::Build)?;
    Ok(builder
        .with_layer(&RateLimitLayer::new(options.qps, options.burst))
        .build())
}

/// A client for the same API server without the pacing, for the few
/// requests that must never wait behind others: the node Lease and status
/// (a handful a minute, bounded by the node controller's own timers).
pub async fn connect_unpaced(options: &KubeOptions) -> Result<Client, KubeError> {
    let config = config(options).await?;
    Ok(ClientBuilder::try_from(config)
        .map_err(KubeError::Build)?
        .build())
}

async fn config(options: &KubeOptions) -> Result<kube::Config, KubeError> {
    let config = match &options.kubeconfig {
        Some(path) => {
            let kubeconfig =
                Kubeconfig::read_from(path).map_err(|source| KubeError::ReadKubeconfig {
                    path: path.clone(),
                    source,
                })?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|source| KubeError::UseKubeconfig {
                    path: path.clone(),
                    source,
                })?
        }
        None => kube::Config::infer().await.map_err(KubeError::Infer)?,
    };
    Ok(config)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    /// An HTTP/1.1 server answering every request with `200 ok`.
    async fn serve_ok(listener: TcpListener) {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 1024];
                loop {
                    let Ok(read) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..read]);
                    while let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                        buffer.drain(..end + 4);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    }

    async fn get(client: &Client) -> bool {
        let request = http::Request::get("/version")
            .body(Vec::new())
            .expect("a request");
        let answer = tokio::time::timeout(Duration::from_secs(2), client.request_text(request));
        matches!(answer.await, Ok(Ok(text)) if text == "ok")
    }

    #[tokio::test]
    async fn the_unpaced_client_does_not_wait_for_the_bucket() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        tokio::spawn(serve_ok(listener));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
                 clusters: [{{name: test, cluster: {{server: \"http://127.0.0.1:{port}\"}}}}]\n\
                 users: [{{name: test, user: {{}}}}]\n\
                 contexts: [{{name: test, context: {{cluster: test, user: test}}}}]\n"
            ),
        )
        .expect("kubeconfig written");
        // One request, then a token every 100 s.
        let options = KubeOptions {
            kubeconfig: Some(kubeconfig),
            qps: 0.01,
            burst: 1,
        };
        let paced = connect(&options).await.expect("a paced client");
        let unpaced = connect_unpaced(&options).await.expect("an unpaced client");
        assert!(get(&paced).await, "the burst's one request");
        assert!(!get(&paced).await, "the second waits for a token");
        for n in 0..5 {
            assert!(get(&unpaced).await, "unpaced request {n} answered at once");
        }
    }
}
