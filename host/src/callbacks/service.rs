//! The `HostCallbacks` service of one plugin launch. [`Gate`] runs first,
//! before a request body is decoded: the launch's secret and the peer's
//! uid. The service then checks the request's shape ([`validate`]),
//! decides with [`rules`], reads the object, and writes one audit line
//! whatever happens.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use tonic::service::Interceptor;
use tonic::{Request, Response, Status};
use vk_proto::auth::RequireSecret;
use vk_proto::v1::host_callbacks_server::HostCallbacks;
use vk_proto::v1::{
    CreateServiceAccountTokenRequest, CreateServiceAccountTokenResponse, GetConfigMapResponse,
    GetContainerEnvRequest, GetContainerEnvResponse, GetObjectRequest, GetSecretResponse, PodRef,
};

use super::audit::{Call, Decision};
use super::container_env;
use super::fetch::{self, FetchError, TokenFor};
use super::rules::{self, Asked, Rule, Wanted};
use super::validate::{self, truncated};
use super::{CallbackScope, Cluster, peer};

/// Serves one launch: its scope and its plugin's name (authentication is
/// the [`Gate`]'s).
#[derive(Debug)]
pub struct Service {
    pub scope: CallbackScope,
    pub plugin: String,
}

/// The interceptor in front of the service: the per-launch secret and the
/// peer's uid, checked on the headers before the body is decoded. A refusal
/// is audited with the rpc's name only (the request was not read).
#[derive(Debug, Clone)]
pub struct Gate {
    pub secret: RequireSecret,
    pub plugin: String,
    pub uid: u32,
}

/// The rpc a request is for, put into its extensions by [`tag_rpc`].
#[derive(Debug, Clone, Copy)]
struct Rpc(&'static str);

/// A layer's function: notes which rpc a request is for (one of ours, or
/// "(unknown)"), for the [`Gate`]'s audit line.
pub fn tag_rpc(mut request: http::Request<tonic::body::Body>) -> http::Request<tonic::body::Body> {
    let rpc = match request.uri().path().rsplit('/').next() {
        Some("GetSecret") => "GetSecret",
        Some("GetConfigMap") => "GetConfigMap",
        Some("CreateServiceAccountToken") => "CreateServiceAccountToken",
        Some("GetContainerEnv") => "GetContainerEnv",
        _ => "(unknown)",
    };
    request.extensions_mut().insert(Rpc(rpc));
    request
}

impl Interceptor for Gate {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let checked = self
            .secret
            .check(request.metadata())
            .and_then(|()| peer::check_uid(&request, self.uid).map_err(Status::permission_denied));
        if let Err(status) = &checked {
            let rpc = request
                .extensions()
                .get::<Rpc>()
                .map_or("(unknown)", |r| r.0);
            Call {
                plugin: self.plugin.clone(),
                rpc,
                object: "(not read: refused on its headers)".to_owned(),
                pod: "(not read)".to_owned(),
            }
            .record(Decision::Denied("authentication"), status.message());
        }
        checked.map(|()| request)
    }
}

/// A call that passed every check: the cluster to read and the host's copy
/// of the pod it was admitted for (namespace, name and uid as asked).
struct Granted<'a> {
    cluster: &'a Arc<Cluster>,
    pod: Arc<Pod>,
}

impl Granted<'_> {
    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }
}

/// Refuses a malformed request: INVALID_ARGUMENT naming the field, audited.
fn invalid(call: &Call, message: String) -> Status {
    call.record(Decision::Denied("invalid-request"), &message);
    Status::invalid_argument(message)
}

impl Service {
    /// Decides a well-formed call with the rules; on refusal writes its
    /// audit line.
    fn admit(
        &self,
        call: &Call,
        pod: &PodRef,
        object_namespace: &str,
        wanted: Wanted<'_>,
    ) -> Result<Granted<'_>, Status> {
        let deny = |rule: &'static str, status: Status| {
            call.record(Decision::Denied(rule), status.message());
            status
        };
        let Some(cluster) = self.scope.cluster() else {
            return Err(deny(
                "no-cluster",
                Status::permission_denied(
                    "this host serves no pods (it runs without a cluster), so no object is referenced",
                ),
            ));
        };
        let held = cluster.pods.pod(&pod.namespace, &pod.name);
        let asked = Asked {
            namespace: &pod.namespace,
            name: &pod.name,
            uid: &pod.uid,
            object_namespace,
        };
        rules::authorize(&cluster.node, asked, held.as_deref(), wanted).map_err(|denial| {
            deny(
                denial.rule.name(),
                Status::permission_denied(denial.message),
            )
        })?;
        let pod = held.ok_or_else(|| {
            deny(
                Rule::PodBound.name(),
                Status::permission_denied("the pod went away during the call"),
            )
        })?;
        Ok(Granted { cluster, pod })
    }

    /// The audit fields of a call, from the request as sent: each field cut
    /// short (a valid name fits), so malformed input is bounded in the log.
    fn call(&self, rpc: &'static str, object: String, pod: Option<&PodRef>) -> Call {
        Call {
            plugin: self.plugin.clone(),
            rpc,
            object,
            pod: pod.map_or_else(
                || "(none)".to_owned(),
                |p| {
                    format!(
                        "{}/{} ({})",
                        shown(&p.namespace),
                        shown(&p.name),
                        truncated(&p.uid)
                    )
                },
            ),
        }
    }
}

/// A name as the audit line shows it: whole when it is a valid name (at
/// most 253 characters), else cut.
fn shown(value: &str) -> String {
    vk_proto::text::cut_chars(value, 253)
}

/// `ns/name` of an object asked for by a plugin, in the pod's namespace
/// unless it named another.
fn object_name(kind: &str, pod: Option<&PodRef>, namespace: &str, name: &str) -> String {
    let namespace = if namespace.is_empty() {
        pod.map_or("", |p| p.namespace.as_str())
    } else {
        namespace
    };
    format!("{kind} {}/{}", shown(namespace), shown(name))
}

fn finish<T>(call: &Call, result: Result<T, FetchError>) -> Result<Response<T>, Status> {
    match result {
        Ok(reply) => {
            call.record(Decision::Allowed, "ok");
            Ok(Response::new(reply))
        }
        Err(error) => {
            call.record(Decision::Failed, error.outcome());
            Err(error.to_status())
        }
    }
}

/// The lifetime the kube-apiserver turns into a year
/// (`--service-account-extend-token-expiration`, on by default): its
/// ServiceAccount admission writes exactly this into the `kube-api-access-*`
/// projection, and a TokenRequest bound to a pod that asks exactly this is
/// extended. The host never sends it.
const EXTENDED_TOKEN_SECONDS: i64 = 3607;

/// What the host asks the API server for: the plugin's lifetime (or the cap
/// when it asked none), at most the cap, and never the one value the API
/// server would extend to a year.
fn granted_lifetime(asked: Option<i64>, cap: i64) -> i64 {
    let seconds = asked.map_or(cap, |asked| asked.min(cap));
    if seconds == EXTENDED_TOKEN_SECONDS {
        3600
    } else {
        seconds
    }
}

#[tonic::async_trait]
impl HostCallbacks for Service {
    async fn get_secret(
        &self,
        request: Request<GetObjectRequest>,
    ) -> Result<Response<GetSecretResponse>, Status> {
        let asked = request.get_ref();
        let call = self.call(
            "GetSecret",
            object_name("Secret", asked.pod.as_ref(), &asked.namespace, &asked.name),
            asked.pod.as_ref(),
        );
        let pod = validate::object_request(asked.pod.as_ref(), &asked.name, &asked.namespace)
            .map_err(|message| invalid(&call, message))?;
        let granted = self.admit(&call, pod, &asked.namespace, Wanted::Secret(&asked.name))?;
        let result = fetch::secret(&granted.cluster.client, granted.namespace(), &asked.name)
            .await
            .map(|secret| GetSecretResponse {
                data: secret
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(key, value)| (key, value.0.into()))
                    .collect(),
                r#type: secret.type_.unwrap_or_default(),
                resource_version: secret.metadata.resource_version.unwrap_or_default(),
            });
        finish(&call, result)
    }

    async fn get_config_map(
        &self,
        request: Request<GetObjectRequest>,
    ) -> Result<Response<GetConfigMapResponse>, Status> {
        let asked = request.get_ref();
        let call = self.call(
            "GetConfigMap",
            object_name(
                "ConfigMap",
                asked.pod.as_ref(),
                &asked.namespace,
                &asked.name,
            ),
            asked.pod.as_ref(),
        );
        let pod = validate::object_request(asked.pod.as_ref(), &asked.name, &asked.namespace)
            .map_err(|message| invalid(&call, message))?;
        let granted = self.admit(&call, pod, &asked.namespace, Wanted::ConfigMap(&asked.name))?;
        let result = fetch::config_map(&granted.cluster.client, granted.namespace(), &asked.name)
            .await
            .map(|map| GetConfigMapResponse {
                data: map.data.unwrap_or_default().into_iter().collect(),
                binary_data: map
                    .binary_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(key, value)| (key, value.0.into()))
                    .collect(),
                resource_version: map.metadata.resource_version.unwrap_or_default(),
            });
        finish(&call, result)
    }

    async fn create_service_account_token(
        &self,
        request: Request<CreateServiceAccountTokenRequest>,
    ) -> Result<Response<CreateServiceAccountTokenResponse>, Status> {
        let asked = request.get_ref();
        let account = if asked.service_account_name.is_empty() {
            "(the pod's own)"
        } else {
            asked.service_account_name.as_str()
        };
        let call = self.call(
            "CreateServiceAccountToken",
            object_name("token for ServiceAccount", asked.pod.as_ref(), "", account),
            asked.pod.as_ref(),
        );
        let (pod, expiration_seconds) = validate::token_request(
            asked.pod.as_ref(),
            &asked.service_account_name,
            &asked.audiences,
            asked.expiration_seconds,
        )
        .map_err(|message| invalid(&call, message))?;
        let granted = self.admit(
            &call,
            pod,
            "",
            Wanted::Token {
                account: &asked.service_account_name,
                audiences: &asked.audiences,
            },
        )?;
        let empty = Default::default();
        let spec = granted.pod.spec.as_ref().unwrap_or(&empty);
        let cap = granted.cluster.max_token_seconds;
        let result = fetch::token(
            &granted.cluster.client,
            TokenFor {
                namespace: granted.namespace(),
                service_account: super::references::service_account(spec),
                pod_name: granted.pod.metadata.name.as_deref().unwrap_or_default(),
                pod_uid: granted.pod.metadata.uid.as_deref().unwrap_or_default(),
                audiences: asked.audiences.clone(),
                expiration_seconds: granted_lifetime(expiration_seconds, cap),
            },
        )
        .await
        .map(|token| CreateServiceAccountTokenResponse {
            token: token.token,
            expiration_unix_seconds: token.expires_unix_seconds,
        });
        finish(&call, result)
    }

    async fn get_container_env(
        &self,
        request: Request<GetContainerEnvRequest>,
    ) -> Result<Response<GetContainerEnvResponse>, Status> {
        let asked = request.get_ref();
        let call = self.call(
            "GetContainerEnv",
            format!(
                "env of container {}",
                vk_proto::text::cut_chars(&asked.container, 63)
            ),
            asked.pod.as_ref(),
        );
        let pod =
            validate::container_env_request(asked.pod.as_ref(), &asked.container, &asked.pod_ips)
                .map_err(|message| invalid(&call, message))?;
        let granted = self.admit(&call, pod, "", Wanted::ContainerEnv(&asked.container))?;
        let cluster = granted.cluster;
        let resolved = container_env::resolve(
            &cluster.client,
            &cluster.node,
            &cluster.master,
            &granted.pod,
            &asked.container,
            &asked.pod_ips,
        )
        .await;
        match resolved {
            Ok(container) => {
                // Holds values from Secrets: encoded, never logged.
                let json = serde_json::to_vec(&container).map_err(|error| {
                    call.record(Decision::Failed, "cannot encode the container");
                    Status::internal(format!("encoding container {}: {error}", container.name))
                })?;
                call.record(Decision::Allowed, "ok");
                Ok(Response::new(GetContainerEnvResponse {
                    container: json.into(),
                }))
            }
            Err(error) => {
                call.record(Decision::Failed, error.outcome());
                Err(error.to_status())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gate's audit line names every rpc of the service.
    #[test]
    fn every_rpc_is_tagged_by_name() {
        for (path, rpc) in [
            ("/vk.provider.v1.HostCallbacks/GetSecret", "GetSecret"),
            ("/vk.provider.v1.HostCallbacks/GetConfigMap", "GetConfigMap"),
            (
                "/vk.provider.v1.HostCallbacks/CreateServiceAccountToken",
                "CreateServiceAccountToken",
            ),
            (
                "/vk.provider.v1.HostCallbacks/GetContainerEnv",
                "GetContainerEnv",
            ),
            ("/vk.provider.v1.HostCallbacks/Other", "(unknown)"),
        ] {
            let request = http::Request::builder()
                .uri(path)
                .body(tonic::body::Body::empty())
                .expect("request");
            let tagged = tag_rpc(request);
            assert_eq!(
                tagged.extensions().get::<Rpc>().map(|r| r.0),
                Some(rpc),
                "{path}"
            );
        }
    }

    #[test]
    fn token_lifetimes_are_capped() {
        assert_eq!(granted_lifetime(None, 3600), 3600, "0 asks for the cap");
        assert_eq!(granted_lifetime(Some(7200), 3600), 3600);
        assert_eq!(granted_lifetime(Some(900), 3600), 900);
        assert_eq!(
            granted_lifetime(Some(3607), 7200),
            3600,
            "never the value the API server extends to a year"
        );
        assert_eq!(granted_lifetime(None, 3607), 3600);
        assert_eq!(granted_lifetime(Some(7200), 7200), 7200);
    }
}
