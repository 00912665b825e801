//! `vk-hostile-plugin CONTROL_DIR`: a plugin that runs pods like the mock
//! (it is the mock provider) and, on a test's request, calls the host's
//! `HostCallbacks` the way a compromised plugin would: other namespaces,
//! unreferenced objects, pods of other nodes or already deleted, other
//! service accounts, a forged or missing per-launch secret; and the
//! environment of a container (`GetContainerEnv`), its own or not.
//!
//! The test writes `CONTROL_DIR/<n>.request.json` ([`Attempt`]); the plugin
//! makes the call with the raw protocol client (the SDK would not let it
//! forge credentials) and writes `<n>.response.json` ([`Outcome`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tonic::transport::Channel;
use vk_mock_plugin::{Config, MockProvider};
use vk_plugin_sdk::{Launch, PluginInfo};
use vk_proto::v1::host_callbacks_client::HostCallbacksClient;
use vk_proto::v1::{
    CreateServiceAccountTokenRequest, GetContainerEnvRequest, GetObjectRequest, PodRef,
};

/// One call a test asks for.
#[derive(Debug, Deserialize)]
struct Attempt {
    /// `secret`, `config_map`, `container_env` or `token`.
    rpc: String,
    pod_namespace: String,
    pod_name: String,
    pod_uid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    service_account: String,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    expiration_seconds: i64,
    /// The container of `container_env`.
    #[serde(default)]
    container: String,
    #[serde(default)]
    pod_ips: Vec<String>,
    /// `launch` (the real secret), `none` or `forged`.
    #[serde(default = "launch_auth")]
    auth: String,
}

fn launch_auth() -> String {
    "launch".into()
}

/// What came of it: the gRPC code and message, and the data on success.
#[derive(Debug, Serialize)]
struct Outcome {
    code: String,
    message: String,
    data: BTreeMap<String, String>,
    token: String,
    expiration_unix_seconds: i64,
    /// The container `container_env` returned (JSON), else null.
    container: serde_json::Value,
}

fn main() -> std::process::ExitCode {
    vk_plugin_sdk::init_logging();
    let Some(control) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: vk-hostile-plugin CONTROL_DIR (via vk-host --plugin-arg)");
        return std::process::ExitCode::from(2);
    };
    let launch = match Launch::from_env() {
        Ok(launch) => launch,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let config = match vk_plugin_sdk::config::load_optional::<Config>(launch.config_path.as_deref())
    {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let result = runtime.block_on(async {
        let channel = vk_proto::uds::connect_lazy(&launch.host_socket);
        tokio::spawn(attack_on_request(
            control,
            channel,
            launch.secret().to_owned(),
        ));
        let info = PluginInfo::new("hostile", env!("CARGO_PKG_VERSION"));
        vk_plugin_sdk::serve_with(launch, info, MockProvider::new(config)).await
    });
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Serves requests written into `control` until the process ends.
async fn attack_on_request(control: PathBuf, channel: Channel, secret: String) {
    let client = HostCallbacksClient::new(channel);
    loop {
        for request in pending(&control) {
            let outcome =
                match std::fs::read(&request)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        serde_json::from_slice::<Attempt>(&bytes).map_err(|e| e.to_string())
                    }) {
                    Ok(attempt) => call(client.clone(), &secret, attempt).await,
                    Err(error) => Outcome {
                        code: "BadRequestFile".into(),
                        message: error,
                        data: BTreeMap::new(),
                        token: String::new(),
                        expiration_unix_seconds: 0,
                        container: serde_json::Value::Null,
                    },
                };
            let response = request.with_extension("").with_extension("response.json");
            let temporary = request.with_extension("tmp");
            let json = serde_json::to_vec_pretty(&outcome).expect("outcome json");
            std::fs::write(&temporary, json).expect("write the response");
            std::fs::rename(&temporary, &response).expect("publish the response");
            std::fs::remove_file(&request).expect("remove the request");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pending(control: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(control)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(".request.json"))
        .collect();
    found.sort();
    found
}

async fn call(mut client: HostCallbacksClient<Channel>, secret: &str, attempt: Attempt) -> Outcome {
    let pod = Some(PodRef {
        namespace: attempt.pod_namespace.clone(),
        name: attempt.pod_name.clone(),
        uid: attempt.pod_uid.clone(),
    });
    let authorize = |message| authorize(message, &attempt.auth, secret);
    let mut outcome = Outcome {
        code: "Ok".into(),
        message: String::new(),
        data: BTreeMap::new(),
        token: String::new(),
        expiration_unix_seconds: 0,
        container: serde_json::Value::Null,
    };
    let object = GetObjectRequest {
        pod: pod.clone(),
        name: attempt.name.clone(),
        namespace: attempt.namespace.clone(),
    };
    let result = match attempt.rpc.as_str() {
        "secret" => client.get_secret(authorize(object)).await.map(|reply| {
            let reply = reply.into_inner();
            outcome.data = reply
                .data
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                .collect();
        }),
        "config_map" => client
            .get_config_map(authorize(object))
            .await
            .map(|reply| outcome.data = reply.into_inner().data.into_iter().collect()),
        "container_env" => client
            .get_container_env(self::authorize(
                GetContainerEnvRequest {
                    pod: pod.clone(),
                    container: attempt.container.clone(),
                    pod_ips: attempt.pod_ips.clone(),
                },
                &attempt.auth,
                secret,
            ))
            .await
            .map(|reply| {
                outcome.container = serde_json::from_slice(&reply.into_inner().container)
                    .unwrap_or_else(|e| serde_json::Value::String(format!("not JSON: {e}")));
            }),
        _ => client
            .create_service_account_token(self::authorize(
                CreateServiceAccountTokenRequest {
                    pod,
                    audiences: attempt.audiences.clone(),
                    expiration_seconds: attempt.expiration_seconds,
                    service_account_name: attempt.service_account.clone(),
                },
                &attempt.auth,
                secret,
            ))
            .await
            .map(|reply| {
                let reply = reply.into_inner();
                outcome.token = reply.token;
                outcome.expiration_unix_seconds = reply.expiration_unix_seconds;
            }),
    };
    if let Err(status) = result {
        outcome.code = format!("{:?}", status.code());
        outcome.message = status.message().to_owned();
    }
    outcome
}

/// `message` with the credentials `auth` names: the launch's secret, none,
/// or a forged one of the right shape.
fn authorize<T>(message: T, auth: &str, secret: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = match auth {
        "none" => None,
        "forged" => Some(format!("Bearer {}", "0".repeat(64))),
        _ => Some(format!("Bearer {secret}")),
    };
    if let Some(value) = value {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("ascii"));
    }
    request.set_timeout(Duration::from_secs(5));
    request
}
