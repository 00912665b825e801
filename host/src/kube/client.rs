//! Builds the [`kube::Client`] every controller shares: kubeconfig found the
//! usual way (flag, `KUBECONFIG`, in-cluster, `~/.kube/config`), requests
//! paced by a token bucket so a burst of pod churn cannot flood the API server.

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
    let builder = ClientBuilder::try_from(config).map_err(KubeError::Build)?;
    Ok(builder
        .with_layer(&RateLimitLayer::new(options.qps, options.burst))
        .build())
}
