//! The `HostCallbacks` service of one plugin launch: authenticate (secret,
//! peer uid), check the request, decide with [`rules`], read the object,
//! and write one audit line whatever happens.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use tonic::{Request, Response, Status};
use vk_proto::auth::RequireSecret;
use vk_proto::v1::host_callbacks_server::HostCallbacks;
use vk_proto::v1::{
    CreateServiceAccountTokenRequest, CreateServiceAccountTokenResponse, GetConfigMapResponse,
    GetObjectRequest, GetSecretResponse, PodRef,
};

use super::audit::{Call, Decision};
use super::fetch::{self, FetchError, TokenFor};
use super::rules::{self, Asked, Wanted};
use super::{CallbackScope, Cluster, peer};

/// Serves one launch: its secret and its plugin's name.
#[derive(Debug)]
pub struct Service {
    pub scope: CallbackScope,
    pub secret: RequireSecret,
    pub plugin: String,
    pub uid: u32,
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

impl Service {
    /// Runs every check of a call; on refusal writes its audit line.
    fn admit<T>(
        &self,
        request: &Request<T>,
        call: &Call,
        pod: Option<&PodRef>,
        object_namespace: &str,
        object_name: Option<&str>,
        wanted: Wanted<'_>,
    ) -> Result<Granted<'_>, Status> {
        let deny = |status: Status| {
            call.record(Decision::Denied, status.message());
            status
        };
        self.secret.check(request.metadata()).map_err(&deny)?;
        peer::check_uid(request, self.uid)
            .map_err(|message| deny(Status::permission_denied(message)))?;
        let pod = pod
            .filter(|p| !p.namespace.is_empty() && !p.name.is_empty() && !p.uid.is_empty())
            .ok_or_else(|| {
                deny(Status::invalid_argument(
                    "the request must name the pod: namespace, name and uid",
                ))
            })?;
        if object_name == Some("") {
            return Err(deny(Status::invalid_argument(
                "the request must name the object",
            )));
        }
        let Some(cluster) = self.scope.cluster() else {
            return Err(deny(Status::permission_denied(
                "this host serves no pods (it runs without a cluster), so no object is referenced",
            )));
        };
        let held = cluster.pods.pod(&pod.namespace, &pod.name);
        let asked = Asked {
            namespace: &pod.namespace,
            name: &pod.name,
            uid: &pod.uid,
            object_namespace,
        };
        rules::authorize(&cluster.node, asked, held.as_deref(), wanted)
            .map_err(|denial| deny(Status::permission_denied(denial.message)))?;
        let pod = held.ok_or_else(|| {
            deny(Status::permission_denied(
                "the pod went away during the call",
            ))
        })?;
        Ok(Granted { cluster, pod })
    }

    fn call(&self, rpc: &'static str, object: String, pod: Option<&PodRef>) -> Call {
        Call {
            plugin: self.plugin.clone(),
            rpc,
            object,
            pod: pod.map_or_else(
                || "(none)".to_owned(),
                |p| format!("{}/{} ({})", p.namespace, p.name, p.uid),
            ),
        }
    }
}

/// `ns/name` of an object asked for by a plugin, in the pod's namespace
/// unless it named another.
fn object_name(kind: &str, pod: Option<&PodRef>, namespace: &str, name: &str) -> String {
    let namespace = if namespace.is_empty() {
        pod.map_or("", |p| p.namespace.as_str())
    } else {
        namespace
    };
    format!("{kind} {namespace}/{name}")
}

fn finish<T>(call: &Call, result: Result<T, FetchError>) -> Result<Response<T>, Status> {
    match result {
        Ok(reply) => {
            call.record(Decision::Allowed, "ok");
            Ok(Response::new(reply))
        }
        Err(error) => {
            call.record(Decision::Allowed, error.outcome());
            Err(error.to_status())
        }
    }
}

/// The API server's shortest token lifetime (TokenRequest validation).
const MIN_TOKEN_SECONDS: i64 = 600;

/// The lifetime the kube-apiserver turns into a year
/// (`--service-account-extend-token-expiration`, on by default): its
/// ServiceAccount admission writes exactly this into the `kube-api-access-*`
/// projection, and a TokenRequest bound to a pod that asks exactly this is
/// extended. The host never sends it.
const EXTENDED_TOKEN_SECONDS: i64 = 3607;

/// Checks a plugin's non-zero `expiration_seconds` (0, the default, is the
/// host's cap): the API server would refuse less than 10 minutes anyway.
fn token_lifetime(asked: i64) -> Result<i64, String> {
    if asked < MIN_TOKEN_SECONDS {
        Err(format!(
            "expiration_seconds {asked} is under the API server's minimum of {MIN_TOKEN_SECONDS} (10 minutes); ask 0 for the default"
        ))
    } else {
        Ok(asked)
    }
}

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
        let granted = self.admit(
            &request,
            &call,
            asked.pod.as_ref(),
            &asked.namespace,
            Some(&asked.name),
            Wanted::Secret(&asked.name),
        )?;
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
        let granted = self.admit(
            &request,
            &call,
            asked.pod.as_ref(),
            &asked.namespace,
            Some(&asked.name),
            Wanted::ConfigMap(&asked.name),
        )?;
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
        let expiration_seconds = match asked.expiration_seconds {
            0 => None,
            seconds => Some(token_lifetime(seconds).map_err(|message| {
                call.record(Decision::Denied, &message);
                Status::invalid_argument(message)
            })?),
        };
        let granted = self.admit(
            &request,
            &call,
            asked.pod.as_ref(),
            "",
            None,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_checked_and_capped() {
        assert!(token_lifetime(-1).is_err(), "negative");
        let short = token_lifetime(599).expect_err("under 10 minutes");
        assert!(short.contains("minimum of 600"), "{short}");
        assert_eq!(token_lifetime(600), Ok(600));
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
