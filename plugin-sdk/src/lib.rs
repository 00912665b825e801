//! Write a vk-host provider plugin in Rust.
//!
//! A plugin is an executable that vk-host launches (`vk-host --plugin PATH`)
//! and drives over gRPC (see `proto/provider.proto`, the specification).
//! Implement [`Provider`], call [`serve`], and the SDK does the rest: it reads
//! the launch environment, binds the plugin socket with private permissions,
//! answers the handshake with your capabilities, checks the per-launch secret
//! on every call, serves the standard gRPC health service, and shuts down
//! gracefully on SIGTERM, on the host's shutdown request and when the host goes
//! away. [`HostClient`] reads the Secrets, ConfigMaps and service-account
//! tokens your pods' volumes need (the host allows only what a pod of its
//! node references), and [`volume_files`] turns a `secret`, `configMap` or
//! `projected` volume (also `kube-api-access-*`) into its files. Container
//! environments need no callback at CreatePod: pods arrive with `env`
//! resolved (see "Environment" in `proto/provider.proto`); before
//! restarting a container, [`HostClient::get_container_env`] gives its
//! environment as of now, as the kubelet resolves it at every start.
//!
//! # A complete plugin
//!
//! ```no_run
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use vk_plugin_sdk::k8s_openapi::api::core::v1::{Pod, PodStatus};
//! use vk_plugin_sdk::{PluginInfo, PodKey, Provider, ProviderError};
//!
//! /// Remembers pods and reports them Running: the smallest honest provider.
//! #[derive(Default)]
//! struct Memory {
//!     pods: Mutex<HashMap<(String, String), Pod>>,
//! }
//!
//! fn key_of(pod: &Pod) -> (String, String) {
//!     let meta = &pod.metadata;
//!     (meta.namespace.clone().unwrap_or_default(), meta.name.clone().unwrap_or_default())
//! }
//!
//! #[vk_plugin_sdk::async_trait]
//! impl Provider for Memory {
//!     async fn create_pod(&self, mut pod: Pod) -> Result<(), ProviderError> {
//!         let mut pods = self.pods.lock().expect("lock");
//!         let key = key_of(&pod);
//!         if let Some(held) = pods.get(&key) {
//!             // Idempotent per UID; another UID under the same name is a conflict.
//!             return if held.metadata.uid == pod.metadata.uid {
//!                 Ok(())
//!             } else {
//!                 Err(ProviderError::AlreadyExists(format!("{}/{}", key.0, key.1)))
//!             };
//!         }
//!         pod.status = Some(PodStatus { phase: Some("Running".into()), ..Default::default() });
//!         pods.insert(key, pod);
//!         Ok(())
//!     }
//!
//!     async fn update_pod(&self, pod: Pod) -> Result<(), ProviderError> {
//!         let mut pods = self.pods.lock().expect("lock");
//!         let held = pods
//!             .get_mut(&key_of(&pod))
//!             .ok_or_else(|| ProviderError::NotFound("pod".into()))?;
//!         held.metadata = pod.metadata;
//!         held.spec = pod.spec;
//!         Ok(())
//!     }
//!
//!     async fn delete_pod(&self, pod: Pod) -> Result<(), ProviderError> {
//!         let mut pods = self.pods.lock().expect("lock");
//!         pods.remove(&key_of(&pod)).map(|_| ()).ok_or_else(|| ProviderError::NotFound("pod".into()))
//!     }
//!
//!     async fn get_pod(&self, key: &PodKey) -> Result<Pod, ProviderError> {
//!         let pods = self.pods.lock().expect("lock");
//!         pods.get(&(key.namespace.clone(), key.name.clone()))
//!             .cloned()
//!             .ok_or_else(|| ProviderError::NotFound(key.to_string()))
//!     }
//!
//!     async fn get_pod_status(&self, key: &PodKey) -> Result<PodStatus, ProviderError> {
//!         Ok(self.get_pod(key).await?.status.unwrap_or_default())
//!     }
//!
//!     async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError> {
//!         Ok(self.pods.lock().expect("lock").values().cloned().collect())
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     vk_plugin_sdk::init_logging();
//!     let info = PluginInfo::new("memory", env!("CARGO_PKG_VERSION"));
//!     if let Err(error) = vk_plugin_sdk::serve(info, Memory::default()).await {
//!         eprintln!("{error}");
//!         std::process::exit(1);
//!     }
//! }
//! ```
//!
//! Build it, then `vk-plugin-conformance ./target/debug/memory` checks it
//! against the protocol, and `vk-host --plugin ./target/debug/memory` runs it.

mod callbacks;
pub mod config;
mod error;
mod launch;
mod logging;
pub mod metrics;
mod provider;
mod server;
mod status_feed;
mod volumes;

pub use callbacks::{ConfigMapData, HostClient, SecretData, ServiceAccountToken};
pub use error::ProviderError;
pub use launch::{Launch, LaunchError};
pub use logging::init_logging;
pub use provider::{
    ByteStream, ExecRequest, ExecSession, ExitStatus, LogsRequest, NodeInfoStream, PluginInfo,
    PodEvent, PodEventType, PodKey, PodStatusStream, PodStatusUpdate, PortForwardConnection,
    Provider, Readiness,
};
pub use server::{ServeError, serve, serve_with};
pub use status_feed::PodStatusFeed;
pub use volumes::{VolumeFile, VolumeVersions, volume_files};

/// The Kubernetes types pods are decoded into.
pub use k8s_openapi;
/// The attribute for implementing [`Provider`].
pub use tonic::async_trait;
/// An error and its causes on one line (`error: cause: cause`).
pub use vk_proto::error_chain;
/// The generated protocol types (`vk.provider.v1`), so plugins and the SDK
/// share one prost/tonic version.
pub use vk_proto::v1 as proto;
/// Kubernetes' name for an architecture (`x86_64` → `amd64`), for
/// `NodeSystemInfo`; Kubernetes' rules for names (label values, DNS-1123
/// names) and for quantities, as the host applies them.
pub use vk_proto::{go_arch, names, quantity};
