//! Client of the host's `HostCallbacks` service: the only way a plugin reads
//! Secrets, ConfigMaps and service-account tokens, and a container's
//! environment as of now (for a restart). The host answers only for
//! objects that a pod of its node references, named with the pod's
//! namespace, name and uid; anything else is `PERMISSION_DENIED` with the
//! rule that refused it (see the proto). Nothing is cached here: re-fetch
//! and compare `resource_version` to learn of updates.

use std::collections::BTreeMap;

use bytes::Bytes;
use k8s_openapi::api::core::v1::Container;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use vk_proto::auth::AddSecret;

use crate::error::ProviderError;
use crate::launch::Launch;
use crate::proto::host_callbacks_client::HostCallbacksClient;
use crate::proto::{
    CreateServiceAccountTokenRequest, GetContainerEnvRequest, GetObjectRequest, PodRef,
};
use crate::provider::PodKey;

/// Deadline of every callback.
const CALLBACK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// A Secret's data, as the host returned it. Its `Debug` never shows values.
#[derive(Clone)]
pub struct SecretData {
    pub data: BTreeMap<String, Bytes>,
    pub type_: String,
    pub resource_version: String,
}

impl std::fmt::Debug for SecretData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretData")
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("type", &self.type_)
            .field("resource_version", &self.resource_version)
            .finish()
    }
}

/// A ConfigMap's data.
#[derive(Debug, Clone)]
pub struct ConfigMapData {
    pub data: BTreeMap<String, String>,
    pub binary_data: BTreeMap<String, Bytes>,
    pub resource_version: String,
}

/// A bound service-account token. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct ServiceAccountToken {
    pub token: String,
    pub expiration_unix_seconds: i64,
}

impl std::fmt::Debug for ServiceAccountToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountToken")
            .field("token", &"<redacted>")
            .field("expiration_unix_seconds", &self.expiration_unix_seconds)
            .finish()
    }
}

/// Calls the host's `HostCallbacks` with the per-launch secret.
#[derive(Debug, Clone)]
pub struct HostClient {
    inner: HostCallbacksClient<InterceptedService<Channel, AddSecret>>,
}

impl HostClient {
    /// A client for the host named in `launch`; connects on first use.
    pub fn new(launch: &Launch) -> Result<Self, ProviderError> {
        let secret = AddSecret::new(launch.secret())
            .map_err(|e| ProviderError::InvalidArgument(e.message().to_owned()))?;
        let channel = vk_proto::uds::connect_lazy(&launch.host_socket);
        let limit = vk_proto::DEFAULT_MAX_MESSAGE_BYTES;
        Ok(Self {
            inner: HostCallbacksClient::with_interceptor(channel, secret)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit),
        })
    }

    /// A Secret that `pod` references (`pod.uid` is required). NOT_FOUND
    /// when it does not exist (yet).
    pub async fn get_secret(&self, pod: &PodKey, name: &str) -> Result<SecretData, tonic::Status> {
        let reply = self
            .inner
            .clone()
            .get_secret(request(object_request(pod, name)))
            .await?
            .into_inner();
        Ok(SecretData {
            data: reply.data.into_iter().collect(),
            type_: reply.r#type,
            resource_version: reply.resource_version,
        })
    }

    /// A ConfigMap that `pod` references (`pod.uid` is required).
    pub async fn get_config_map(
        &self,
        pod: &PodKey,
        name: &str,
    ) -> Result<ConfigMapData, tonic::Status> {
        let reply = self
            .inner
            .clone()
            .get_config_map(request(object_request(pod, name)))
            .await?
            .into_inner();
        Ok(ConfigMapData {
            data: reply.data.into_iter().collect(),
            binary_data: reply.binary_data.into_iter().collect(),
            resource_version: reply.resource_version,
        })
    }

    /// A token for `pod`'s own service account, bound to the pod (it stops
    /// working when the pod is deleted). `audiences` empty means the API
    /// server's default; `expiration_seconds` 0 means the host's cap (1 h
    /// by default), and longer requests are cut to it.
    pub async fn create_service_account_token(
        &self,
        pod: &PodKey,
        audiences: Vec<String>,
        expiration_seconds: i64,
    ) -> Result<ServiceAccountToken, tonic::Status> {
        let reply = self
            .inner
            .clone()
            .create_service_account_token(request(CreateServiceAccountTokenRequest {
                pod: Some(pod_ref(pod)),
                audiences,
                expiration_seconds,
                service_account_name: String::new(),
            }))
            .await?
            .into_inner();
        Ok(ServiceAccountToken {
            token: reply.token,
            expiration_unix_seconds: reply.expiration_unix_seconds,
        })
    }

    /// Container `container` of `pod` (`pod.uid` is required) with its
    /// `env`, `command` and `args` resolved now, by the host's rules for
    /// CreatePod: call it just before creating each instance of a
    /// container (a restart above all), so the instance sees the Secrets
    /// and ConfigMaps as they are now, as the kubelet's would (pods carry
    /// the values of their last CreatePod/UpdatePod). Take `env`, `command`
    /// and `args` from the result; the other fields are the host's copy
    /// of the spec. Works for regular, init and ephemeral containers (an
    /// ephemeral one comes back as a `Container`).
    ///
    /// `pod_ips` are the pod's IPs as the plugin has them now (its
    /// sandbox's), primary first: what `status.podIP(s)` resolve to; empty
    /// means the pod's API status.
    ///
    /// Errors, by code: `FAILED_PRECONDITION` when a required Secret,
    /// ConfigMap or key is missing, its message the kubelet's (show it as
    /// the container's `CreateContainerConfigError` and retry later);
    /// `NOT_FOUND` when the pod has no such container; `UNAVAILABLE` when
    /// the API server could not be read (retry); `PERMISSION_DENIED` when
    /// the pod is not (or no longer) this node's or has finished;
    /// `UNIMPLEMENTED` from a host older than this call (use the pod's env
    /// as received). The result holds values from Secrets: never log it.
    pub async fn get_container_env(
        &self,
        pod: &PodKey,
        container: &str,
        pod_ips: &[String],
    ) -> Result<Container, tonic::Status> {
        let reply = self
            .inner
            .clone()
            .get_container_env(request(GetContainerEnvRequest {
                pod: Some(pod_ref(pod)),
                container: container.to_owned(),
                pod_ips: pod_ips.to_vec(),
            }))
            .await?
            .into_inner();
        // Where it failed, not serde's text: that may quote a value.
        serde_json::from_slice(&reply.container).map_err(|error| {
            tonic::Status::internal(format!(
                "the host's reply for container {container} is not a core/v1 Container ({:?} error at line {}, column {})",
                error.classify(),
                error.line(),
                error.column()
            ))
        })
    }
}

fn request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALLBACK_DEADLINE);
    request
}

fn pod_ref(pod: &PodKey) -> PodRef {
    PodRef {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        uid: pod.uid.clone().unwrap_or_default(),
    }
}

fn object_request(pod: &PodKey, name: &str) -> GetObjectRequest {
    GetObjectRequest {
        pod: Some(pod_ref(pod)),
        name: name.to_owned(),
        namespace: String::new(),
    }
}
