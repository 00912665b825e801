//! vk-cci-plugin end to end, with two real control planes: the shared one
//! is the local cluster (vk-host runs the CCI plugin as its node), a
//! private one is the remote "CCI" endpoint, with a mock-plugin virtual
//! node of its own so the remote scheduler places the mirrored pods there
//! and they run. The plugin reaches the remote API with a client
//! certificate (the node) or a ServiceAccount bearer token (conformance),
//! whose RBAC allows only the mirror namespace. Checked as a
//! user would, with kubectl on both sides: conformance, a pod with a Secret
//! and a ConfigMap (Running with the remote IP, origin annotations, the
//! copies' data), logs, exec, port-forward, an update, a SIGKILLed plugin
//! that adopts its pod, and a delete that cleans up remotely.

use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vk_tests::cluster::{Cluster, Identity, node_name, wait_for_ok};
use vk_tests::port_forward::KubectlPortForward;
use vk_tests::processes::{children_of, workspace_binary};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

const UID_LABEL: &str = "cci.vk-host.io/origin-uid";

/// RBAC of the plugin's remote identities (a user with a client
/// certificate, and a ServiceAccount for a bearer token): its namespace only.
fn remote_rbac(namespace: &str, user: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: vk-cci-plugin
  namespace: {namespace}
rules:
- apiGroups: [\"\"]
  resources: [pods]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [\"\"]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [\"\"]
  resources: [pods/exec, pods/attach, pods/portforward]
  verbs: [get, create]
- apiGroups: [\"\"]
  resources: [secrets, configmaps]
  verbs: [get, list, create, update, patch, delete, deletecollection]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: vk-cci-plugin
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: vk-cci-plugin
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: {user}
- kind: ServiceAccount
  name: vk-cci-plugin
  namespace: {namespace}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vk-cci-plugin
  namespace: {namespace}
"
    )
}

/// `kubectl get ... -o json` on `cluster` as the admin.
async fn get_json(cluster: &Cluster, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    cluster.kubectl(&all).await.success().json()
}

/// The remote pods mirroring local pod `uid`.
async fn remote_pods(remote: &Cluster, namespace: &str, uid: &str) -> Vec<Value> {
    let selector = format!("{UID_LABEL}={uid}");
    let list = get_json(remote, &["pods", "-n", namespace, "-l", &selector]).await;
    list["items"].as_array().cloned().unwrap_or_default()
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cci_plugin_mirrors_pods_into_a_remote_cluster() {
    let started = Instant::now();
    let local = Cluster::shared();
    let remote = tokio::task::spawn_blocking(Cluster::start)
        .await
        .expect("the remote control plane's start")
        .expect("a private control plane as the remote cluster");
    // The remote cluster's node: the mock plugin, with a kubelet API the
    // remote API server uses for logs and exec, and no taint (a cluster to
    // burst into takes pods without tolerations).
    let remote_node = VirtualNode::start(
        &remote,
        NodeSetup::mock("cci-remote")
            .with_kubelet_api(&remote)
            .host_args(&["--disable-taint"]),
    )
    .await;
    let mirror_ns = remote.create_namespace("cci-mirror").await;
    eprintln!("remote cluster ready: {:?}", started.elapsed());

    // A remote identity allowed into the mirror namespace only.
    let dir = tempfile::tempdir().expect("tempdir");
    let user = format!("vk-cci-{}", std::process::id());
    let kubeconfig = remote
        .issue_kubeconfig(&user, &[], &dir.path().join("remote.kubeconfig"))
        .expect("a kubeconfig for the plugin's remote identity");
    remote
        .kubectl_stdin(
            Identity::Admin,
            &["apply", "-f", "-"],
            Some(&remote_rbac(&mirror_ns, &user)),
        )
        .await
        .success();
    // The same rights as a bearer token, as CCI's IAM token is used.
    let token = remote
        .kubectl(&[
            "create",
            "token",
            "vk-cci-plugin",
            "-n",
            &mirror_ns,
            "--duration",
            "1h",
        ])
        .await
        .success()
        .stdout;
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token.trim()).expect("write the token file");
    let token_config = |node: &str| {
        format!(
            "server = \"{}\"\ntoken_file = \"{}\"\ncertificate_authority = \"{}\"\nnamespace = \"{mirror_ns}\"\nnode_name = \"{node}\"\ncontainer_start_wait_seconds = 25\n",
            remote.server(),
            token_file.display(),
            remote.ca_cert().display()
        )
    };
    // The plugin runs as vk-host's user; the tempdir is private to root
    // like the test.
    let config = |node: &str| {
        format!(
            "kubeconfig = \"{}\"\nnamespace = \"{mirror_ns}\"\nnode_name = \"{node}\"\ncontainer_start_wait_seconds = 25\n[remote_labels]\n\"burst.example.com/source\" = \"vk-tests\"\n",
            kubeconfig.display()
        )
    };

    // 1. Conformance against the remote cluster, as its own node, with the
    // bearer token.
    let conformance_config = dir.path().join("conformance.toml");
    std::fs::write(&conformance_config, token_config(&node_name("cci-cf"))).expect("write config");
    let plugin = workspace_binary("vk-cci-plugin");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(workspace_binary("vk-plugin-conformance"))
            .args(["--timeout", "40", "--plugin-config"])
            .arg(&conformance_config)
            .arg(&plugin)
            .output()
            .expect("run vk-plugin-conformance")
    })
    .await
    .expect("conformance run");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "conformance of vk-cci-plugin against the remote cluster failed:\n{report}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(summary) = report.lines().rev().find(|l| l.contains(" passed, ")) {
        eprintln!("conformance: {summary}");
    }
    for check in [
        "create-get",
        "update",
        "delete",
        "watch-pod-status",
        "logs",
        "exec",
        "attach",
        "port-forward",
    ] {
        assert!(
            report.contains(&format!("PASS {check}: ")),
            "conformance check {check} did not pass:\n{report}"
        );
    }
    eprintln!("conformance passed: {:?}", started.elapsed());

    // 2. The local node.
    let name = node_name("cci");
    let setup = NodeSetup {
        plugin: "vk-cci-plugin".into(),
        ..NodeSetup::mock("cci")
    }
    .node_name(&name)
    .plugin_config(&config(&name))
    .with_kubelet_api(local);
    let node = VirtualNode::start(local, setup).await;
    let ns = node.namespace.clone();
    eprintln!("local node {name} ready: {:?}", started.elapsed());

    let objects = format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {ns}
stringData:
  password: s3cr3t-{pid}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {ns}
data:
  greeting: hello-from-cci
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: {ns}
  labels:
    app: web
spec:
  nodeName: {name}
  terminationGracePeriodSeconds: 2
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
  containers:
  - name: main
    image: busybox
    command: [\"sleep\", \"3600\"]
    env:
    - name: PASSWORD
      valueFrom:
        secretKeyRef:
          name: creds
          key: password
    envFrom:
    - configMapRef:
        name: settings
    volumeMounts:
    - name: creds
      mountPath: /creds
    - name: settings
      mountPath: /settings
  volumes:
  - name: creds
    secret:
      secretName: creds
  - name: settings
    configMap:
      name: settings
",
        pid = std::process::id()
    );
    local
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(&objects))
        .await
        .success();

    // Running locally with the remote pod's IP.
    let (local_pod, remote_pod) = wait_for_ok(
        Duration::from_secs(120),
        &format!("pod {ns}/web Running with its remote mirror's IP"),
        async || {
            let pod = get_json(local, &["pod", "web", "-n", &ns]).await;
            let uid = text(&pod, "/metadata/uid").to_owned();
            let mirrors = remote_pods(&remote, &mirror_ns, &uid).await;
            let [mirror] = mirrors.as_slice() else {
                return Err(format!(
                    "{} remote pods for uid {uid}; local phase {:?}; host log:\n{}",
                    mirrors.len(),
                    text(&pod, "/status/phase"),
                    node.log_tail()
                ));
            };
            let (phase, ip) = (text(&pod, "/status/phase"), text(&pod, "/status/podIP"));
            let remote_ip = text(mirror, "/status/podIP");
            if phase == "Running" && !ip.is_empty() && ip == remote_ip {
                Ok((pod.clone(), mirror.clone()))
            } else {
                Err(format!(
                    "local phase {phase:?} ip {ip:?}, remote phase {:?} ip {remote_ip:?}",
                    text(mirror, "/status/phase")
                ))
            }
        },
    )
    .await;
    eprintln!("pod running: {:?}", started.elapsed());
    let uid = text(&local_pod, "/metadata/uid").to_owned();
    let remote_name = text(&remote_pod, "/metadata/name").to_owned();
    let remote_uid = text(&remote_pod, "/metadata/uid").to_owned();
    assert_eq!(text(&remote_pod, "/status/phase"), "Running");
    assert_eq!(
        text(&remote_pod, "/spec/nodeName"),
        remote_node.name,
        "the remote scheduler placed the mirror on the remote node"
    );
    let annotations = &remote_pod["metadata"]["annotations"];
    assert_eq!(text(annotations, "/cci.vk-host.io~1origin-namespace"), ns);
    assert_eq!(text(annotations, "/cci.vk-host.io~1origin-name"), "web");
    assert_eq!(text(annotations, "/cci.vk-host.io~1origin-uid"), uid);
    assert_eq!(text(annotations, "/cci.vk-host.io~1origin-node"), name);
    let labels = &remote_pod["metadata"]["labels"];
    assert_eq!(text(labels, "/app"), "web");
    assert_eq!(text(labels, "/burst.example.com~1source"), "vk-tests");
    assert_eq!(text(labels, "/cci.vk-host.io~1node"), name);
    // The local service-account token is not mirrored.
    assert_eq!(
        remote_pod["spec"]["automountServiceAccountToken"],
        Value::Bool(false)
    );
    let volumes: Vec<String> = remote_pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| text(v, "/name").to_owned())
        .collect();
    assert!(
        !volumes.iter().any(|v| v.starts_with("kube-api-access")),
        "remote volumes {volumes:?}"
    );

    // `kubectl describe` tells where the pod went.
    wait_for_ok(
        Duration::from_secs(60),
        "a Mirrored event on the local pod",
        async || {
            let events = get_json(
                local,
                &[
                    "events",
                    "-n",
                    &ns,
                    "--field-selector",
                    "involvedObject.name=web,reason=Mirrored",
                ],
            )
            .await;
            let messages: Vec<String> = events["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| text(e, "/message").to_owned())
                .collect();
            let want = format!("created remote pod {mirror_ns}/{remote_name}");
            if messages.iter().any(|m| m == &want) {
                Ok(())
            } else {
                Err(format!("events {messages:?}, want {want:?}"))
            }
        },
    )
    .await;

    // The copies of the Secret and the ConfigMap, with the data.
    let selector = format!("{UID_LABEL}={uid}");
    let secrets = get_json(&remote, &["secrets", "-n", &mirror_ns, "-l", &selector]).await;
    let secrets = secrets["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(secrets.len(), 1, "remote secret copies: {secrets:?}");
    assert_eq!(
        text(&secrets[0], "/metadata/name"),
        format!("{remote_name}-creds")
    );
    let password = remote
        .kubectl(&[
            "get",
            "secret",
            &format!("{remote_name}-creds"),
            "-n",
            &mirror_ns,
            "-o",
            "jsonpath={.data.password}",
        ])
        .await
        .success()
        .stdout;
    let want = format!("s3cr3t-{}", std::process::id());
    let decoded = Command::new("base64")
        .arg("-d")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(password.trim().as_bytes())?;
            child.wait_with_output()
        })
        .expect("base64 -d");
    assert_eq!(String::from_utf8_lossy(&decoded.stdout), want);
    let greeting = remote
        .kubectl(&[
            "get",
            "configmap",
            &format!("{remote_name}-settings"),
            "-n",
            &mirror_ns,
            "-o",
            "jsonpath={.data.greeting}",
        ])
        .await
        .success()
        .stdout;
    assert_eq!(greeting.trim(), "hello-from-cci");
    let owners = get_json(
        &remote,
        &[
            "configmap",
            &format!("{remote_name}-settings"),
            "-n",
            &mirror_ns,
        ],
    )
    .await;
    assert_eq!(
        text(&owners, "/metadata/ownerReferences/0/uid"),
        remote_uid,
        "the copy is owned by the remote pod"
    );
    // The secret's and the ConfigMap's volumes point at the copies.
    let remote_volumes = remote_pod["spec"]["volumes"].to_string();
    assert!(
        remote_volumes.contains(&format!("\"{remote_name}-creds\""))
            && remote_volumes.contains(&format!("\"{remote_name}-settings\"")),
        "{remote_volumes}"
    );

    // kubectl logs of the local pod: what the remote pod's logs say (the
    // mock's lines grow with time, so the earlier read is a prefix).
    let remote_logs = remote
        .kubectl(&["logs", &remote_name, "-n", &mirror_ns, "-c", "main"])
        .await
        .success()
        .stdout;
    let local_logs = local
        .kubectl(&["logs", "web", "-n", &ns, "-c", "main"])
        .await
        .success()
        .stdout;
    assert!(
        !remote_logs.is_empty() && local_logs.starts_with(&remote_logs),
        "local logs {local_logs:?} do not continue the remote logs {remote_logs:?}"
    );
    assert!(
        local_logs.contains(&format!("{mirror_ns}/{remote_name}/main line 0")),
        "{local_logs}"
    );

    // kubectl exec through the local node reaches the remote pod.
    let echoed = local
        .kubectl(&[
            "exec",
            "web",
            "-n",
            &ns,
            "-c",
            "main",
            "--",
            "echo",
            "hello-through-cci",
        ])
        .await
        .success()
        .stdout;
    assert_eq!(echoed, "hello-through-cci\n");
    let env = local
        .kubectl(&["exec", "web", "-n", &ns, "-c", "main", "--", "env"])
        .await
        .success()
        .stdout;
    assert!(env.contains(&format!("PASSWORD={want}")), "{env}");
    assert!(env.contains("greeting=hello-from-cci"), "{env}");
    let failed = local
        .kubectl(&["exec", "web", "-n", &ns, "-c", "main", "--", "exit", "3"])
        .await
        .failure();
    assert!(
        failed.stderr.contains("exit code 3"),
        "stderr {:?}",
        failed.stderr
    );
    // kubectl port-forward through the local node reaches the remote pod
    // (the mock echoes what it receives).
    let local_port = free_port();
    let forward = KubectlPortForward::start(
        local,
        &ns,
        "web",
        &[(local_port, 8080)],
        Duration::from_secs(30),
        || node.log_tail(),
    )
    .await;
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", local_port))
        .await
        .expect("connect to the forwarded port");
    let message = b"ping-through-cci\n";
    socket.write_all(message).await.expect("send");
    let mut echoed = vec![0u8; message.len()];
    tokio::time::timeout(Duration::from_secs(30), socket.read_exact(&mut echoed))
        .await
        .unwrap_or_else(|_| panic!("no echo within 30 s; host log:\n{}", node.log_tail()))
        .unwrap_or_else(|e| panic!("reading the echo: {e}; host log:\n{}", node.log_tail()));
    assert_eq!(echoed, message);
    drop(socket);
    forward.stop().await;
    eprintln!(
        "logs, exec and port-forward checked: {:?}",
        started.elapsed()
    );

    // What Kubernetes lets change on a running pod reaches the mirror.
    local
        .kubectl(&["label", "pod", "web", "-n", &ns, "tier=front"])
        .await
        .success();
    local
        .kubectl(&["set", "image", "pod/web", "-n", &ns, "main=busybox:1.37"])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(60),
        "the label and the image on the remote pod",
        async || {
            let mirror = get_json(&remote, &["pod", &remote_name, "-n", &mirror_ns]).await;
            let (tier, image) = (
                text(&mirror, "/metadata/labels/tier"),
                text(&mirror, "/spec/containers/0/image"),
            );
            if tier == "front" && image == "busybox:1.37" {
                Ok(())
            } else {
                Err(format!("label tier {tier:?}, image {image:?}"))
            }
        },
    )
    .await;
    let mirrors = remote_pods(&remote, &mirror_ns, &uid).await;
    assert_eq!(mirrors.len(), 1, "one mirror after the update");
    assert_eq!(text(&mirrors[0], "/metadata/uid"), remote_uid);

    // The plugin killed: vk-host relaunches it, the new instance adopts the
    // remote pod (no second mirror, same remote UID), the pod stays Running.
    let plugin_pid = node.host.child_named("vk-cci-plugin").await;
    kill(Pid::from_raw(plugin_pid as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    let host_pid = node.host.pid();
    wait_for_ok(
        Duration::from_secs(60),
        "vk-host to relaunch vk-cci-plugin",
        async || {
            let children = children_of(host_pid);
            if children.iter().any(|&pid| {
                pid != plugin_pid
                    && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                        .is_ok_and(|comm| comm.trim() == "vk-cci-plugin")
            }) {
                Ok(())
            } else {
                Err(format!("children {children:?}"))
            }
        },
    )
    .await;
    node.wait_ready(local, Duration::from_secs(60)).await;
    // Through a few status rounds after the restart.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let pod = get_json(local, &["pod", "web", "-n", &ns]).await;
        assert_eq!(
            text(&pod, "/status/phase"),
            "Running",
            "after the plugin restart: {pod}"
        );
        assert_eq!(text(&pod, "/metadata/uid"), uid);
        let mirrors = remote_pods(&remote, &mirror_ns, &uid).await;
        assert_eq!(mirrors.len(), 1, "remote mirrors after the restart");
        assert_eq!(
            text(&mirrors[0], "/metadata/uid"),
            remote_uid,
            "the remote pod was re-created"
        );
    }
    // The new instance serves the adopted pod.
    let echoed = local
        .kubectl(&[
            "exec", "web", "-n", &ns, "-c", "main", "--", "echo", "again",
        ])
        .await
        .success()
        .stdout;
    assert_eq!(echoed, "again\n");
    eprintln!("plugin restart checked: {:?}", started.elapsed());

    // Delete: the remote pod and its copies go, then the local pod.
    local
        .kubectl(&["delete", "pod", "web", "-n", &ns, "--wait=false"])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(90),
        &format!("pod {ns}/web and its remote mirror and copies gone"),
        async || {
            let local_left = local
                .kubectl(&["get", "pod", "web", "-n", &ns, "--ignore-not-found", "-o", "name"])
                .await
                .success()
                .stdout;
            let remote_left = remote_pods(&remote, &mirror_ns, &uid).await.len();
            let copies = remote
                .kubectl(&[
                    "get",
                    "secrets,configmaps",
                    "-n",
                    &mirror_ns,
                    "-l",
                    &selector,
                    "-o",
                    "name",
                ])
                .await
                .success()
                .stdout;
            if local_left.trim().is_empty() && remote_left == 0 && copies.trim().is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "local {local_left:?}, remote pods {remote_left}, copies {copies:?}; host log:\n{}",
                    node.log_tail()
                ))
            }
        },
    )
    .await;
    eprintln!("delete checked: {:?}", started.elapsed());
    drop(node);
    drop(remote_node);
    drop(remote);
}
