//! The security boundary end to end: the real vk-host binary runs
//! `vk-hostile-plugin` against a real kube-apiserver, and the plugin tries
//! every way around the host callbacks' rules. Each attempt must be refused
//! with its rule and leave an audit line; the legitimate calls must work;
//! the host's most verbose log must never contain a secret value; and the
//! plugin's environment must hold no cluster credentials.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::ByteString;
use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use serde_json::{Value, json};
use vk_tests::cluster::{Cluster, wait_for, wait_for_ok};
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

/// A value nobody else would write, so finding it in a log is a leak.
fn unique_value(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{what}-{}-{nanos:x}", std::process::id())
}

/// Asks the hostile plugin to make one call and returns what it got.
struct Attacker {
    control: PathBuf,
    next: AtomicU32,
}

impl Attacker {
    async fn call(&self, attempt: Value) -> Value {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let request = self.control.join(format!("{n:04}.request.json"));
        let response = self.control.join(format!("{n:04}.response.json"));
        let temporary = self.control.join(format!("{n:04}.writing"));
        std::fs::write(&temporary, attempt.to_string()).expect("write the request");
        std::fs::rename(&temporary, &request).expect("publish the request");
        let text = wait_for(
            Duration::from_secs(20),
            &format!("the hostile plugin to answer {attempt}"),
            async || std::fs::read_to_string(&response).ok(),
        )
        .await;
        serde_json::from_str(&text).expect("response json")
    }
}

fn pod_json(name: &str, namespace: &str, node: &str, spec: Value) -> Pod {
    let mut spec = spec;
    spec["nodeName"] = json!(node);
    spec["tolerations"] = json!([{"key": "virtual-kubelet.io/provider", "operator": "Exists"}]);
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }))
    .expect("pod")
}

async fn wait_running(pods: &Api<Pod>, name: &str, node: &VirtualNode) -> Pod {
    wait_for_ok(
        Duration::from_secs(90),
        &format!("pod {name} Running"),
        async || {
            let pod = pods.get(name).await.map_err(|e| e.to_string())?;
            let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
            if phase.as_deref() == Some("Running") {
                Ok(pod)
            } else {
                Err(format!("phase {phase:?}; host log:\n{}", node.log_tail()))
            }
        },
    )
    .await
}

fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().expect("uid")
}

fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "stringData": data.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
    }))
    .expect("secret")
}

/// The audit lines of the host log.
fn audit_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains("vk_host::audit") && line.contains("host callback"))
        .collect()
}

/// The decision of an audit line: its `decision=` field outside the quoted
/// (plugin-controlled, escaped) fields, so a crafted name cannot fake one.
fn decision(line: &str) -> Option<&'static str> {
    let mut unquoted = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in line.chars() {
        match (quoted, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, true, _) => escaped = false,
            (_, _, '"') => quoted = !quoted,
            (false, _, c) => unquoted.push(c),
            _ => {}
        }
    }
    if unquoted.contains(" decision=allowed ") {
        Some("allowed")
    } else if unquoted.contains(" decision=denied ") {
        Some("denied")
    } else {
        None
    }
}

/// Asserts a refusal: the code, the rule in the message, and exactly one
/// audit line naming the object with `decision=denied` and the same reason
/// (each refusal below has its own object/reason pair).
fn assert_refused(log: &str, outcome: &Value, code: &str, rule_text: &str, object: &str) {
    assert_eq!(outcome["code"], code, "{outcome}");
    let message = outcome["message"].as_str().expect("message");
    assert!(
        message.contains(rule_text),
        "message {message:?} names {rule_text:?}"
    );
    let audited = audit_lines(log)
        .into_iter()
        .filter(|line| {
            line.contains(object) && decision(line) == Some("denied") && line.contains(rule_text)
        })
        .count();
    assert_eq!(
        audited,
        1,
        "exactly one audit line for {object} denied by {rule_text:?}; audit lines:\n{}",
        audit_lines(log).join("\n")
    );
}

fn plugin_environment(pid: u32) -> Vec<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    raw.split(|b| *b == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| String::from_utf8_lossy(entry).into_owned())
        .collect()
}

#[tokio::test]
async fn a_hostile_plugin_gets_only_what_its_pods_reference() {
    let cluster = Cluster::shared();
    let control = tempfile::tempdir().expect("control dir");
    let control_arg = control.path().display().to_string();
    let setup = NodeSetup {
        plugin: "vk-hostile-plugin".into(),
        ..NodeSetup::mock("callbacks")
    }
    .host_args(&["--plugin-arg", &control_arg])
    .host_env(&[
        // The most verbose level: secret values must not show even here.
        ("RUST_LOG", "trace"),
        // Credentials of the host that must never reach the plugin.
        ("KUBECONFIG", "/etc/vk-test/admin.kubeconfig"),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
        ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        ),
        (
            "VK_TEST_TOKEN_PATH",
            "/var/run/secrets/kubernetes.io/serviceaccount/token",
        ),
    ]);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    let other_ns = cluster.create_namespace("callbacks-other").await;
    let client = cluster.client().await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let post = PostParams::default();

    let password = unique_value("password");
    let unreferenced_value = unique_value("unreferenced");
    let foreign_value = unique_value("foreign");
    let elsewhere_value = unique_value("elsewhere");
    let doomed_value = unique_value("doomed");
    for (name, value) in [
        ("app-secret", password.as_str()),
        ("unreferenced-secret", unreferenced_value.as_str()),
        ("other-node-secret", elsewhere_value.as_str()),
        ("doomed-secret", doomed_value.as_str()),
    ] {
        secrets
            .create(&post, &secret(name, &[("value", value)]))
            .await
            .expect("create secret");
    }
    Api::<Secret>::namespaced(client.clone(), &other_ns)
        .create(
            &post,
            &secret("foreign-secret", &[("value", &foreign_value)]),
        )
        .await
        .expect("create the other namespace's secret");
    let config: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "app-config"}, "data": {"mode": "fast"},
    }))
    .expect("configmap");
    Api::<ConfigMap>::namespaced(client.clone(), &ns)
        .create(&post, &config)
        .await
        .expect("create configmap");

    let container = json!([{"name": "main", "image": "busybox",
        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "value"}}}]}]);
    pods.create(
        &post,
        &pod_json(
            "legit",
            &ns,
            &node.name,
            json!({
                "containers": container,
                "volumes": [
                    {"name": "conf", "configMap": {"name": "app-config"}},
                    {"name": "vk-token", "projected": {"sources": [
                        {"serviceAccountToken": {"path": "token", "audience": "vk-test"}}]}},
                ],
            }),
        ),
    )
    .await
    .expect("create legit");
    pods.create(
        &post,
        &pod_json(
            "doomed",
            &ns,
            &node.name,
            json!({
                "containers": [{"name": "main", "image": "busybox",
                    "envFrom": [{"secretRef": {"name": "doomed-secret"}}]}],
            }),
        ),
    )
    .await
    .expect("create doomed");
    let elsewhere = pods
        .create(&post, &pod_json("elsewhere", &ns, &format!("{}-elsewhere", node.name), json!({
            "containers": [{"name": "main", "image": "busybox",
                "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "other-node-secret", "key": "value"}}}]}],
        })))
        .await
        .expect("create elsewhere");
    let legit = wait_running(&pods, "legit", &node).await;
    let doomed = wait_running(&pods, "doomed", &node).await;
    pods.delete("doomed", &DeleteParams::default())
        .await
        .expect("delete doomed");
    wait_for_ok(
        Duration::from_secs(60),
        "pod doomed gone",
        async || match pods.get_opt("doomed").await {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("still there".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    )
    .await;

    let attacker = Attacker {
        control: control.path().to_owned(),
        next: AtomicU32::new(0),
    };
    let as_legit = |rpc: &str, name: &str| json!({"rpc": rpc, "pod_namespace": ns, "pod_name": "legit", "pod_uid": uid(&legit), "name": name});

    // The legitimate calls work.
    let got = attacker.call(as_legit("secret", "app-secret")).await;
    assert_eq!(got["code"], "Ok", "{got}");
    assert_eq!(got["data"]["value"], password.as_str());
    let got = attacker.call(as_legit("config_map", "app-config")).await;
    assert_eq!(got["code"], "Ok", "{got}");
    assert_eq!(got["data"]["mode"], "fast");
    let mut token_request = as_legit("token", "");
    token_request["audiences"] = json!(["vk-test"]);
    token_request["expiration_seconds"] = json!(7200);
    let got = attacker.call(token_request).await;
    assert_eq!(got["code"], "Ok", "{got}");
    let token = got["token"].as_str().expect("token").to_owned();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let lifetime = got["expiration_unix_seconds"].as_i64().expect("expiry") - now;
    assert!(
        (3000..=3700).contains(&lifetime),
        "7200 s asked, capped at 1 h: {lifetime} s"
    );
    let review = Api::<TokenReview>::all(client.clone())
        .create(
            &post,
            &TokenReview {
                spec: TokenReviewSpec {
                    token: token.clone(),
                    audiences: Some(vec!["vk-test".into()]),
                },
                ..TokenReview::default()
            },
        )
        .await
        .expect("token review");
    let status = review.status.expect("review status");
    assert_eq!(status.authenticated, Some(true), "{status:?}");
    let user = status.user.expect("user");
    assert_eq!(
        user.username.as_deref(),
        Some(format!("system:serviceaccount:{ns}:default").as_str())
    );
    let bound_pod = user
        .extra
        .as_ref()
        .and_then(|extra| extra.get("authentication.kubernetes.io/pod-name"))
        .cloned();
    assert_eq!(
        bound_pod,
        Some(vec!["legit".to_owned()]),
        "the token is bound to the pod"
    );

    // Every way around the rules is refused.
    let mut attempt = as_legit("secret", "foreign-secret");
    attempt["namespace"] = json!(other_ns);
    let other_namespace = attacker.call(attempt).await;
    let unreferenced = attacker
        .call(as_legit("secret", "unreferenced-secret"))
        .await;
    let other_nodes_secret = attacker.call(as_legit("secret", "other-node-secret")).await;
    let other_nodes_pod = attacker
        .call(
            json!({"rpc": "secret", "pod_namespace": ns, "pod_name": "elsewhere",
                     "pod_uid": uid(&elsewhere), "name": "other-node-secret"}),
        )
        .await;
    let mut attempt = as_legit("token", "");
    attempt["service_account"] = json!("admin");
    let other_account = attacker.call(attempt).await;
    let mut attempt = as_legit("token", "");
    attempt["audiences"] = json!(["not-projected"]);
    let unprojected_audience = attacker.call(attempt).await;
    let mut attempt = as_legit("token", "");
    attempt["audiences"] = json!(["vk-test", "vk-test"]);
    let two_audiences = attacker.call(attempt).await;
    let mut attempt = as_legit("token", "");
    attempt["expiration_seconds"] = json!(599);
    let too_short = attacker.call(attempt).await;
    let mut attempt = as_legit("secret", "app-secret");
    attempt["auth"] = json!("forged");
    let forged = attacker.call(attempt).await;
    let mut attempt = as_legit("secret", "app-secret");
    attempt["auth"] = json!("none");
    let missing = attacker.call(attempt).await;
    // Crafted input: a pod name carrying a forged log line, an object name
    // with a terminal escape, an oversized uid. Refused before any rule.
    let forged_line =
        "legit\n2026-01-01T00:00:00Z INFO vk_host::audit: host callback decision=allowed";
    let mut attempt = as_legit("secret", "app-secret");
    attempt["pod_name"] = json!(forged_line);
    let injected_pod = attacker.call(attempt).await;
    let injected_object = attacker
        .call(as_legit("secret", "app-secret\u{1b}[2K"))
        .await;
    let mut attempt = as_legit("secret", "app-secret");
    attempt["pod_uid"] = json!("u".repeat(100_000));
    let huge_uid = attacker.call(attempt).await;
    let mut attempt = as_legit("secret", "app-secret");
    attempt["pod_uid"] = json!("00000000-0000-0000-0000-000000000000");
    let wrong_uid = attacker.call(attempt).await;
    // Last, so the host's watch has long seen the deletion.
    let deleted_pod = attacker
        .call(
            json!({"rpc": "secret", "pod_namespace": ns, "pod_name": "doomed",
                     "pod_uid": uid(&doomed), "name": "doomed-secret"}),
        )
        .await;

    // Audit lines are written as each call ends; give the log a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = node.host.log();
    assert_refused(
        &log,
        &other_namespace,
        "PermissionDenied",
        "rule same-namespace",
        "foreign-secret",
    );
    assert_refused(
        &log,
        &unreferenced,
        "PermissionDenied",
        "rule referenced",
        "unreferenced-secret",
    );
    assert_refused(
        &log,
        &other_nodes_secret,
        "PermissionDenied",
        "rule referenced",
        "other-node-secret",
    );
    assert_refused(
        &log,
        &other_nodes_pod,
        "PermissionDenied",
        "rule pod-bound",
        "other-node-secret",
    );
    assert_refused(
        &log,
        &deleted_pod,
        "PermissionDenied",
        "rule pod-bound",
        "doomed-secret",
    );
    assert_refused(
        &log,
        &other_account,
        "PermissionDenied",
        "rule own-service-account",
        "ServiceAccount",
    );
    assert_refused(
        &log,
        &unprojected_audience,
        "PermissionDenied",
        "projects no service-account token with audience",
        "ServiceAccount",
    );
    for refused in [&unprojected_audience, &two_audiences] {
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("rule token-projected")),
            "{refused}"
        );
    }
    assert!(
        unprojected_audience["message"]
            .as_str()
            .is_some_and(|m| m.contains("not-projected")),
        "{unprojected_audience}"
    );
    assert_refused(
        &log,
        &two_audiences,
        "PermissionDenied",
        "at most one audience",
        "ServiceAccount",
    );
    assert_refused(
        &log,
        &too_short,
        "InvalidArgument",
        "expiration_seconds 599",
        "ServiceAccount",
    );
    assert_refused(
        &log,
        &forged,
        "Unauthenticated",
        "does not match this launch",
        "refused on its headers",
    );
    assert_refused(
        &log,
        &missing,
        "Unauthenticated",
        "missing `authorization",
        "refused on its headers",
    );
    assert_refused(
        &log,
        &injected_pod,
        "InvalidArgument",
        "pod.name",
        "app-secret",
    );
    assert_refused(
        &log,
        &injected_object,
        "InvalidArgument",
        "name",
        "app-secret\\u{1b}[2K",
    );
    assert_refused(&log, &huge_uid, "InvalidArgument", "pod.uid", "app-secret");
    assert!(
        !log.lines()
            .any(|line| line.starts_with("2026-01-01T00:00:00Z")),
        "a plugin-chosen name began a log line"
    );
    assert!(!log.contains('\u{1b}'), "a terminal escape reached the log");
    assert!(
        !log.contains(&"u".repeat(1000)),
        "an oversized uid was logged whole"
    );
    assert_refused(
        &log,
        &wrong_uid,
        "PermissionDenied",
        "rule pod-bound",
        "app-secret",
    );
    for refused in [
        &other_namespace,
        &unreferenced,
        &other_nodes_secret,
        &other_nodes_pod,
        &deleted_pod,
        &other_account,
        &unprojected_audience,
        &two_audiences,
        &too_short,
        &injected_pod,
        &injected_object,
        &huge_uid,
        &forged,
        &missing,
        &wrong_uid,
    ] {
        assert_eq!(
            refused["data"],
            json!({}),
            "no data with a refusal: {refused}"
        );
        assert_eq!(refused["token"], "", "no token with a refusal: {refused}");
    }
    let allowed = audit_lines(&log)
        .into_iter()
        .filter(|line| decision(line) == Some("allowed"))
        .count();
    assert_eq!(
        allowed,
        3,
        "one audit line per legitimate call:\n{}",
        audit_lines(&log).join("\n")
    );

    // The host ran at trace level: no secret value and no token in its log.
    assert!(
        log.len() > 100_000,
        "the log is verbose ({} bytes)",
        log.len()
    );
    for (what, value) in [
        ("the referenced secret", password.as_str()),
        ("an unreferenced secret", unreferenced_value.as_str()),
        ("another namespace's secret", foreign_value.as_str()),
        ("another node's secret", elsewhere_value.as_str()),
        ("a deleted pod's secret", doomed_value.as_str()),
        ("the service-account token", token.as_str()),
    ] {
        assert!(!log.contains(value), "the host log contains {what}");
        // As the API sends Secret data, and as `{:?}` prints a byte vector.
        let base64 = serde_json::to_value(ByteString(value.as_bytes().to_vec()))
            .expect("base64")
            .as_str()
            .expect("a string")
            .to_owned();
        assert!(
            !log.contains(&base64),
            "the host log contains {what}, base64-encoded"
        );
        let byte_list = format!("{:?}", value.as_bytes());
        assert!(
            !log.contains(&byte_list),
            "the host log contains {what} as a byte list"
        );
    }

    // The plugin's environment: the allowlist and the launch variables only.
    let plugin = node.host.plugin_pid().await;
    let environment = plugin_environment(plugin);
    assert!(
        environment
            .iter()
            .any(|e| e.starts_with("VK_PLUGIN_SOCKET=")),
        "{environment:?}"
    );
    for entry in &environment {
        let name = entry.split('=').next().unwrap_or_default();
        assert!(
            !name.starts_with("KUBERNETES_") && name != "KUBECONFIG" && !name.starts_with("AWS_"),
            "{name} reached the plugin"
        );
        assert!(
            !entry.contains("serviceaccount") && !entry.contains("kubeconfig"),
            "a credential path reached the plugin: {entry}"
        );
    }
}

/// The env of container `container` of a GetContainerEnv outcome, by name.
fn env_of(outcome: &Value) -> std::collections::BTreeMap<String, String> {
    outcome["container"]["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|var| {
            (
                var["name"].as_str().unwrap_or_default().to_owned(),
                var["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `GetContainerEnv` (issue 12, item 3): a plugin gets the env of its own
/// pod's containers as of now (a ConfigMap patched since CreatePod shows,
/// `$(VAR)` in args expanded, `status.podIP` from the IPs it gives), with
/// the kubelet's message for a key missing now, NOT_FOUND for a container
/// the pod lacks; another node's pod or a wrong uid is refused by rule
/// pod-bound; every call is audited by container name and no value
/// reaches the host's log.
#[tokio::test]
async fn a_plugin_gets_its_own_containers_env_as_of_now() {
    let cluster = Cluster::shared();
    let control = tempfile::tempdir().expect("control dir");
    let control_arg = control.path().display().to_string();
    let setup = NodeSetup {
        plugin: "vk-hostile-plugin".into(),
        ..NodeSetup::mock("container-env")
    }
    .host_args(&["--plugin-arg", &control_arg])
    .host_env(&[("RUST_LOG", "trace")]);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    let client = cluster.client().await;
    let post = PostParams::default();
    let password = unique_value("env-password");
    let first_url = unique_value("url-one");
    let second_url = unique_value("url-two");
    Api::<Secret>::namespaced(client.clone(), &ns)
        .create(&post, &secret("db", &[("password", &password)]))
        .await
        .expect("create secret");
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let config: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "app"}, "data": {"url": first_url, "side-key": "s"},
    }))
    .expect("configmap");
    config_maps
        .create(&post, &config)
        .await
        .expect("create configmap");
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
    pods.create(
        &post,
        &pod_json(
            "envy",
            &ns,
            &node.name,
            json!({
                "initContainers": [{"name": "setup", "image": "busybox",
                    "env": [{"name": "STAGE", "value": "init"}]}],
                "containers": [
                    {"name": "main", "image": "busybox", "args": ["$(URL)"],
                     "env": [
                        {"name": "URL", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "url"}}},
                        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                     ]},
                    {"name": "side", "image": "busybox",
                     "env": [{"name": "SIDE", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "side-key"}}}]},
                ],
            }),
        ),
    )
    .await
    .expect("create envy");
    let elsewhere = pods
        .create(
            &post,
            &pod_json(
                "elsewhere",
                &ns,
                &format!("{}-elsewhere", node.name),
                json!({"containers": [{"name": "main", "image": "busybox"}]}),
            ),
        )
        .await
        .expect("create elsewhere");
    let envy = wait_running(&pods, "envy", &node).await;
    let attacker = Attacker {
        control: control.path().to_owned(),
        next: AtomicU32::new(0),
    };
    let env_call = |container: &str, pod_ips: &[&str]| {
        json!({"rpc": "container_env", "pod_namespace": ns, "pod_name": "envy",
               "pod_uid": uid(&envy), "container": container, "pod_ips": pod_ips})
    };

    // As created: the pod's own container, resolved as for CreatePod.
    let got = attacker.call(env_call("main", &["10.1.2.3"])).await;
    assert_eq!(got["code"], "Ok", "{got}");
    let env = env_of(&got);
    assert_eq!(env.get("URL"), Some(&first_url), "{env:?}");
    assert_eq!(env.get("PASSWORD"), Some(&password));
    assert_eq!(
        env.get("POD_IP").map(String::as_str),
        Some("10.1.2.3"),
        "status.podIP is the IP the plugin gives"
    );
    assert_eq!(got["container"]["args"], json!([first_url]));
    assert_eq!(got["container"]["name"], "main");
    assert_eq!(got["container"]["envFrom"], Value::Null);

    // Patched: the next call sees the new value (the pod itself is unchanged).
    config_maps
        .patch(
            "app",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"data": {"url": second_url}})),
        )
        .await
        .expect("patch the configmap");
    let got = attacker.call(env_call("main", &[])).await;
    assert_eq!(got["code"], "Ok", "{got}");
    assert_eq!(env_of(&got).get("URL"), Some(&second_url), "{got}");
    assert_eq!(got["container"]["args"], json!([second_url]));
    let init = attacker.call(env_call("setup", &[])).await;
    assert_eq!(init["code"], "Ok", "{init}");
    assert_eq!(env_of(&init).get("STAGE").map(String::as_str), Some("init"));

    // A key only `side` reads is gone: `side` cannot be configured (the
    // kubelet's message), `main` still can.
    config_maps
        .patch(
            "app",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"data": {"side-key": null}})),
        )
        .await
        .expect("remove the key");
    let side = attacker.call(env_call("side", &[])).await;
    assert_eq!(side["code"], "FailedPrecondition", "{side}");
    assert_eq!(
        side["message"],
        format!("couldn't find key side-key in ConfigMap {ns}/app"),
        "{side}"
    );
    let main = attacker.call(env_call("main", &[])).await;
    assert_eq!(
        main["code"], "Ok",
        "another container's missing key: {main}"
    );
    let absent = attacker.call(env_call("absent", &[])).await;
    assert_eq!(absent["code"], "NotFound", "{absent}");

    // Refused: another node's pod, a wrong uid, a malformed name.
    let other_nodes_pod = attacker
        .call(
            json!({"rpc": "container_env", "pod_namespace": ns, "pod_name": "elsewhere",
                     "pod_uid": uid(&elsewhere), "container": "main"}),
        )
        .await;
    let mut attempt = env_call("wrong-uid", &[]);
    attempt["pod_uid"] = json!("00000000-0000-0000-0000-000000000000");
    let wrong_uid = attacker.call(attempt).await;
    let malformed = attacker.call(env_call("Main", &[])).await;
    let bad_ip = attacker.call(env_call("bad-ip", &["10.0.0.300"])).await;

    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = node.host.log();
    assert_refused(
        &log,
        &other_nodes_pod,
        "PermissionDenied",
        "rule pod-bound",
        "env of container main",
    );
    assert_refused(
        &log,
        &wrong_uid,
        "PermissionDenied",
        "rule pod-bound",
        "env of container wrong-uid",
    );
    assert_refused(
        &log,
        &malformed,
        "InvalidArgument",
        "a valid container name",
        "env of container Main",
    );
    assert_refused(
        &log,
        &bad_ip,
        "InvalidArgument",
        "pod_ips[]",
        "env of container bad-ip",
    );
    for refused in [&other_nodes_pod, &wrong_uid, &malformed, &bad_ip] {
        assert_eq!(refused["container"], Value::Null, "{refused}");
    }
    let env_lines: Vec<&str> = audit_lines(&log)
        .into_iter()
        .filter(|line| {
            line.contains("rpc=\"GetContainerEnv\"") || line.contains("rpc=GetContainerEnv")
        })
        .collect();
    assert_eq!(
        env_lines.len(),
        10,
        "one audit line per call:\n{}",
        env_lines.join("\n")
    );
    let allowed = env_lines
        .iter()
        .filter(|line| decision(line) == Some("allowed"))
        .count();
    assert_eq!(
        allowed,
        6,
        "admitted calls, whatever their result:\n{}",
        env_lines.join("\n")
    );
    assert!(
        env_lines
            .iter()
            .any(|line| line.contains("env of container side")
                && line.contains("CreateContainerConfigError")),
        "{}",
        env_lines.join("\n")
    );
    for (what, value) in [
        ("the secret", password.as_str()),
        ("the first ConfigMap value", first_url.as_str()),
        ("the second ConfigMap value", second_url.as_str()),
    ] {
        assert!(!log.contains(value), "the host log contains {what}");
    }
}
