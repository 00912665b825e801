//! Builds the [`kube::Client`] every controller shares: kubeconfig found the
//! usual way (flag, `KUBECONFIG`, in-cluster, `~/.kube/config`), requests
//! paced by a token bucket so a burst of pod churn cannot flood the API server.
//! The node heartbeat (Lease and status) gets a client of its own without the
//! bucket ([`connect_unpaced`]), as the kubelet's heartbeat client: a renewal
//! queued behind pod churn at a low `--kube-api-qps` would let the Lease
//! expire and the node go Unknown. A client certificate rustls cannot use
//! (X.509 v1) is refused before the client is built, naming the kubeconfig
//! and the certificate.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use kube::Client;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::instrument::InstrumentLayer;
use super::rate_limit::RateLimitLayer;
use crate::certificates::{UnsupportedVersion, unsupported_leaf_version};

/// How to reach the API server.
#[derive(Debug, Clone)]
pub struct KubeOptions {
    /// Explicit kubeconfig; `None` infers (`KUBECONFIG`, in-cluster, `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Sustained requests per second.
    pub qps: f32,
    /// Requests allowed at once above the sustained rate.
    pub burst: u32,
    /// Which paced client this is, for `vk_host_kube_api_throttle_delay_seconds`
    /// (`main` or `events`).
    pub pacing: &'static str,
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
    /// Checked before the client is built: rustls would refuse it there in
    /// words that blame the key ("invalid private key: invalid peer
    /// certificate: UnsupportedCertVersion").
    #[error("{kubeconfig}: client certificate ({which}): {refused}")]
    UnsupportedClientCertificate {
        /// `--kubeconfig <path>`, or where the inferred one came from.
        kubeconfig: String,
        /// `client-certificate <path>` or `client-certificate-data`.
        which: String,
        refused: UnsupportedVersion,
    },
}

/// Builds the shared client. Nothing is sent to the API server yet.
pub async fn connect(options: &KubeOptions) -> Result<Client, KubeError> {
    let config = config(options).await?;
    let builder = ClientBuilder::try_from(config).map_err(KubeError::Build)?;
    Ok(builder
        .with_layer(&InstrumentLayer)
        .with_layer(&RateLimitLayer::new(options.qps, options.burst).named(options.pacing))
        .build())
}

/// A client for the same API server without the pacing, for the few
/// requests that must never wait behind others: the node Lease and status
/// (a handful a minute, bounded by the node controller's own timers).
pub async fn connect_unpaced(options: &KubeOptions) -> Result<Client, KubeError> {
    let config = config(options).await?;
    Ok(ClientBuilder::try_from(config)
        .map_err(KubeError::Build)?
        .with_layer(&InstrumentLayer)
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
    check_client_certificate(&config, options.kubeconfig.as_deref())?;
    Ok(config)
}

/// Refuses a client certificate rustls cannot use (not X.509 v3), naming
/// the kubeconfig and the certificate. One that cannot be read or decoded is
/// left to kube, which says so.
fn check_client_certificate(
    config: &kube::Config,
    kubeconfig: Option<&Path>,
) -> Result<(), KubeError> {
    let auth = &config.auth_info;
    // As kube: the data wins over the file.
    let (which, pem) = if let Some(data) = &auth.client_certificate_data {
        let Ok(pem) = base64::engine::general_purpose::STANDARD.decode(data.trim()) else {
            return Ok(());
        };
        ("client-certificate-data".to_owned(), pem)
    } else if let Some(path) = &auth.client_certificate {
        let Ok(pem) = std::fs::read(path) else {
            return Ok(());
        };
        (format!("client-certificate {path}"), pem)
    } else {
        return Ok(());
    };
    match unsupported_leaf_version(&pem) {
        None => Ok(()),
        Some(refused) => Err(KubeError::UnsupportedClientCertificate {
            kubeconfig: kubeconfig_origin(kubeconfig),
            which,
            refused,
        }),
    }
}

/// Where the kubeconfig came from, for messages: the flag, else what
/// `kube::Config::infer` read (an in-cluster configuration has no client
/// certificate, so it never needs naming).
fn kubeconfig_origin(kubeconfig: Option<&Path>) -> String {
    if let Some(path) = kubeconfig {
        return format!("--kubeconfig {}", path.display());
    }
    match std::env::var_os("KUBECONFIG").filter(|value| !value.is_empty()) {
        Some(value) => format!("kubeconfig {} (KUBECONFIG)", value.to_string_lossy()),
        None => "kubeconfig ~/.kube/config".to_owned(),
    }
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

    /// A kubeconfig for https://127.0.0.1:1 whose user is `user` (YAML flow
    /// mapping text).
    fn kubeconfig_with_user(dir: &std::path::Path, user: &str) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
                 clusters: [{{name: test, cluster: {{server: \"https://127.0.0.1:1\"}}}}]\n\
                 users: [{{name: test, user: {user}}}]\n\
                 contexts: [{{name: test, context: {{cluster: test, user: test}}}}]\n"
            ),
        )
        .expect("kubeconfig written");
        path
    }

    #[tokio::test]
    async fn a_v1_client_certificate_is_refused_naming_the_kubeconfig_and_the_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (cert, key) = crate::certificates::testing::v1_certificate(dir.path(), "vk-host", None);
        // Relative paths: kube resolves them against the kubeconfig's directory.
        let kubeconfig = kubeconfig_with_user(
            dir.path(),
            "{client-certificate: vk-host.crt, client-key: vk-host.key}",
        );
        let options = KubeOptions {
            kubeconfig: Some(kubeconfig.clone()),
            qps: 5.0,
            burst: 10,
            pacing: "main",
        };
        let Err(error) = connect(&options).await else {
            panic!("a v1 certificate was accepted");
        };
        assert_eq!(
            error.to_string(),
            format!(
                "--kubeconfig {}: client certificate (client-certificate {}): \
                 X.509 v1 certificates are not supported; reissue it as v3",
                kubeconfig.display(),
                cert.display()
            )
        );
        assert!(std::error::Error::source(&error).is_none(), "one line");

        let encode = |path: &std::path::Path| {
            base64::engine::general_purpose::STANDARD
                .encode(std::fs::read(path).expect("read a PEM file"))
        };
        let kubeconfig = kubeconfig_with_user(
            dir.path(),
            &format!(
                "{{client-certificate-data: {}, client-key-data: {}}}",
                encode(&cert),
                encode(&key)
            ),
        );
        let options = KubeOptions {
            kubeconfig: Some(kubeconfig.clone()),
            ..options
        };
        let Err(error) = connect_unpaced(&options).await else {
            panic!("a v1 certificate was accepted");
        };
        assert_eq!(
            error.to_string(),
            format!(
                "--kubeconfig {}: client certificate (client-certificate-data): \
                 X.509 v1 certificates are not supported; reissue it as v3",
                kubeconfig.display()
            )
        );
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
            pacing: "main",
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
