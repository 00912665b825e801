//! vk-host deployed inside the cluster (issue 18, items 3-4), end to end:
//! a real control plane, a containerd and a virtual node running
//! vk-cri-plugin on it (the harness's, kubelet API on this machine's routable
//! address), the vk-host image built by `scripts/image.sh` (from the debug
//! binaries this test run already has, stripped) and imported into that
//! containerd, then `deploy/overlays/local` applied through a generated
//! overlay (API server port, kubelet and metrics ports, node IP, the
//! kubelet-serving CA as a Secret): `kubectl apply --dry-run=server -k`, then
//! for real. The vk-host pod must become Ready on the CRI node (its probes
//! on the plain listener's /healthz) with in-cluster configuration (no
//! kubeconfig: its ServiceAccount, bound to the least-privilege RBAC),
//! confined as the Deployment asks (checked in /proc), register a second
//! virtual node served by the mock plugin inside the pod, and a pod the
//! scheduler puts there must reach Running and answer `kubectl logs`
//! through the in-pod vk-host's kubelet API, whose `/metrics` (through
//! `nodes/proxy`) parses as OpenMetrics and counts those requests. A second
//! test checks the base's pod template against the `restricted` Pod
//! Security Standard. Needs root; when containerd cannot start the test
//! fails, it never skips. On failure the vk-host pod's logs (from the CRI
//! node's log directory) are printed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::cri_node::{cri_environment, cri_node};
use vk_tests::openmetrics;
use vk_tests::processes::workspace_binary;
use vk_tests::virtual_node::{VirtualNode, free_port, routable_ip};

const NAMESPACE: &str = "vk-host";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vk_host_runs_in_the_cluster_and_serves_a_second_node() {
    let started = Instant::now();
    let cluster = Cluster::shared();
    let ip = routable_ip().to_string();
    let (env, run_dir, config) = cri_environment("in-cluster", &ip, "");
    let outer_port = free_port().to_string();
    let setup = cri_node(cluster, "in-cluster", &config, &ip, &outer_port);
    let outer = VirtualNode::start(cluster, setup).await;
    eprintln!("cri node {} ready: {:?}", outer.name, started.elapsed());
    let _logs_on_failure = PodLogsOnFailure(run_dir.join("pod-logs"));

    // The image, from the binaries of this build (stripped by the script).
    let bin_dir = workspace_binary("vk-host")
        .parent()
        .expect("a binary has a directory")
        .to_owned();
    let image_tar = build_image(&bin_dir);
    import_image(env.var("VK_CRI_SOCKET"), &image_tar);
    eprintln!("image built and imported: {:?}", started.elapsed());

    // The overlay of this cluster, on top of deploy/overlays/local.
    let overlay = tempfile::tempdir().expect("a temporary directory");
    let mock_node = format!("in-cluster-mock-{}", std::process::id());
    let kubelet_port = free_port();
    let metrics_port = free_port();
    write_overlay(
        overlay.path(),
        cluster,
        &OverlayValues {
            apiserver_port: apiserver_port(cluster),
            kubelet_port,
            metrics_port,
            node_ip: &ip,
            cri_node: &outer.name,
            mock_node: &mock_node,
        },
    );
    let overlay_dir = overlay.path().display().to_string();
    // The API server cannot dry-run objects in a namespace that does not
    // exist yet: the Namespace (as kustomize renders it) goes first, for
    // real, then the whole server-side dry run, then the real apply.
    let rendered = cluster
        .kubectl(&["kustomize", &overlay_dir])
        .await
        .success()
        .stdout;
    let namespace = rendered
        .split("\n---\n")
        .find(|doc| doc.contains("\nkind: Namespace\n") || doc.starts_with("kind: Namespace\n"))
        .unwrap_or_else(|| panic!("the overlay renders no Namespace:\n{rendered}"));
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(namespace))
        .await
        .success();
    let dry = cluster
        .kubectl(&["apply", "--dry-run=server", "-k", &overlay_dir])
        .await
        .success();
    assert!(
        dry.stdout
            .contains("deployment.apps/vk-host created (server dry run)"),
        "the server-side dry run did not list the Deployment:\n{}",
        dry.stdout
    );
    let deployments = cluster
        .kubectl(&["get", "deployments", "-n", NAMESPACE, "-o", "name"])
        .await
        .success()
        .stdout;
    assert!(
        deployments.trim().is_empty(),
        "the dry run created {deployments}"
    );
    cluster
        .kubectl(&["apply", "-k", &overlay_dir])
        .await
        .success();
    // The ServiceAccount has the node's rights and not more (the rules of
    // controlplane/manifests/vk-host-rbac.yaml).
    let service_account = "system:serviceaccount:vk-host:vk-host";
    for (verb, resource, namespace, allowed) in [
        ("create", "nodes", "default", "yes"),
        ("patch", "nodes/status", "default", "yes"),
        ("update", "leases", "kube-node-lease", "yes"),
        ("create", "serviceaccounts/token", "default", "yes"),
        ("get", "secrets", "default", "yes"),
        ("list", "secrets", "default", "no"),
        ("create", "pods", "default", "no"),
        ("delete", "nodes", "default", "no"),
    ] {
        let mut args = vec!["auth", "can-i", verb];
        match resource.split_once('/') {
            Some((resource, subresource)) => {
                args.extend([resource, "--subresource", subresource]);
            }
            None => args.push(resource),
        }
        args.extend(["-n", namespace, "--as", service_account]);
        let out = cluster.kubectl(&args).await;
        assert_eq!(
            out.stdout.trim(),
            allowed,
            "can {service_account} {verb} {resource} in {namespace}? {}",
            out.stderr.trim()
        );
    }

    // The vk-host pod Running and ready on the CRI node.
    let pod = wait_for_ok(
        Duration::from_secs(90),
        &format!("the vk-host pod Running and Ready on node {}", outer.name),
        async || {
            let pods = cluster
                .kubectl(&[
                    "get",
                    "pods",
                    "-n",
                    NAMESPACE,
                    "-l",
                    "app.kubernetes.io/name=vk-host",
                    "-o",
                    "json",
                ])
                .await
                .success()
                .json();
            let items = pods["items"].as_array().cloned().unwrap_or_default();
            match items.as_slice() {
                [pod]
                    if pod["status"]["phase"] == "Running"
                        && ready(pod)
                        && pod["spec"]["nodeName"] == outer.name.as_str() =>
                {
                    Ok(pod.clone())
                }
                _ => Err(format!(
                    "pods {}\nouter host log tail:\n{}",
                    summary(&items),
                    outer.log_tail()
                )),
            }
        },
    )
    .await;
    let pod_name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    eprintln!("vk-host pod {pod_name} ready: {:?}", started.elapsed());
    assert_eq!(pod["spec"]["hostNetwork"], true);
    assert_eq!(pod["spec"]["serviceAccountName"], "vk-host");
    // Ready means the httpGet probe on the plain listener's /healthz passed.
    let probe = &pod["spec"]["containers"][0]["readinessProbe"]["httpGet"];
    assert_eq!(
        (probe["path"].as_str(), probe["port"].as_str()),
        (Some("/healthz"), Some("metrics")),
        "the readiness probe"
    );
    check_confinement(apiserver_port(cluster));

    // The second virtual node, registered by the in-pod vk-host as its
    // ServiceAccount, Ready with the address it was given.
    let node = wait_for_ok(
        Duration::from_secs(60),
        &format!("node {mock_node} (from the in-pod vk-host) Ready"),
        async || {
            let out = cluster
                .kubectl(&["get", "node", &mock_node, "-o", "json"])
                .await;
            if !out.status.success() {
                return Err(format!("no node yet: {}", out.stderr.trim()));
            }
            let node = out.json();
            let is_ready = node["status"]["conditions"].as_array().is_some_and(|all| {
                all.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            });
            if is_ready {
                Ok(node)
            } else {
                Err(format!("conditions {}", node["status"]["conditions"]))
            }
        },
    )
    .await;
    assert_eq!(
        node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"], kubelet_port,
        "the mock node's kubelet port"
    );
    let lease_holder = cluster
        .kubectl(&[
            "get",
            "lease",
            &mock_node,
            "-n",
            "kube-node-lease",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .await
        .success()
        .stdout;
    assert_eq!(lease_holder, mock_node, "the mock node's Lease");
    eprintln!("node {mock_node} ready: {:?}", started.elapsed());

    // A pod the scheduler puts on the second node: Running, and its logs
    // through the API server and the in-pod vk-host's kubelet API.
    let ns = cluster.create_namespace("in-cluster").await;
    let manifest = format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: {ns}
spec:
  nodeSelector:
    kubernetes.io/hostname: {mock_node}
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
  containers:
  - name: main
    image: busybox
"
    );
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(&manifest))
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(60),
        &format!("pod {ns}/hello Running on node {mock_node}"),
        async || {
            let pod = cluster
                .kubectl(&["get", "pod", "hello", "-n", &ns, "-o", "json"])
                .await
                .success()
                .json();
            if pod["status"]["phase"] == "Running" && pod["spec"]["nodeName"] == mock_node.as_str()
            {
                Ok(())
            } else {
                Err(format!(
                    "node {} status {}",
                    pod["spec"]["nodeName"], pod["status"]
                ))
            }
        },
    )
    .await;
    let logs = wait_for_ok(
        Duration::from_secs(30),
        &format!("`kubectl logs hello` (pod on {mock_node}) to print a line"),
        async || {
            let out = cluster.kubectl(&["logs", "hello", "-n", &ns]).await;
            if out.status.success() && !out.stdout.trim().is_empty() {
                Ok(out.stdout)
            } else {
                Err(format!(
                    "{} stdout {:?} stderr {:?}",
                    out.status,
                    out.stdout,
                    out.stderr.trim()
                ))
            }
        },
    )
    .await;
    eprintln!(
        "kubectl logs hello: {:?} ({:?})",
        logs.lines().next(),
        started.elapsed()
    );

    // The in-pod vk-host's /metrics through the API server's node proxy (the
    // node's InternalIP is routable, so nodes/proxy is allowed), parsed
    // strictly; its kubelet-API request counter moves with a `kubectl logs`.
    let kubelet_requests = async || {
        let (text, families) = openmetrics::scrape_node(cluster, &mock_node).await;
        let family = families
            .get("vk_host_kubelet_api_requests")
            .unwrap_or_else(|| panic!("no vk_host_kubelet_api_requests in:\n{text}"));
        family.sum("vk_host_kubelet_api_requests_total", &[])
    };
    let before = kubelet_requests().await;
    cluster
        .kubectl(&["logs", "hello", "-n", &ns, "--tail", "1"])
        .await
        .success();
    let after = kubelet_requests().await;
    assert!(
        after > before,
        "vk_host_kubelet_api_requests_total did not move across a scrape and a `kubectl logs`: {before} then {after}"
    );
    eprintln!("metrics: kubelet API requests {before} then {after}");

    // Tidy up while the in-pod vk-host still runs: the test pod, then the
    // deployment (its node stays in the cluster, which dies with the test).
    cluster
        .kubectl(&["delete", "pod", "hello", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    cluster
        .kubectl(&[
            "delete",
            "deployment",
            "vk-host",
            "-n",
            NAMESPACE,
            "--timeout=60s",
        ])
        .await
        .success();
    eprintln!("done: {:?}", started.elapsed());
    drop(outer);
    drop(env);
}

/// Cluster-specific values of the generated overlay.
struct OverlayValues<'a> {
    apiserver_port: u16,
    kubelet_port: u16,
    metrics_port: u16,
    node_ip: &'a str,
    cri_node: &'a str,
    mock_node: &'a str,
}

/// Writes into `dir` a kustomization on top of `deploy/overlays/local` with
/// this cluster's values: the API server port, the node name, the kubelet
/// API and metrics ports (free ones: the in-pod vk-host shares the host's
/// network with the outer one and other tests), the node IP (the mock's
/// `host_ip`), the CRI node to run on, and the kubelet-serving CA (the one
/// the API server verifies kubelets against) as Secret
/// vk-host-kubelet-serving-ca. deploy/ itself is not touched.
fn write_overlay(dir: &Path, cluster: &Cluster, values: &OverlayValues) {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    // Kustomize takes relative paths only: up to / from `dir`, then down.
    let local = deploy
        .join("overlays/local")
        .canonicalize()
        .expect("deploy/overlays/local exists");
    let dir_depth = dir
        .canonicalize()
        .expect("the overlay directory exists")
        .components()
        .count()
        - 1;
    let local = format!(
        "{}{}",
        "../".repeat(dir_depth),
        local.display().to_string().trim_start_matches('/')
    );
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"))
    };
    write(
        "plugin.toml",
        &format!("host_ip = {:?}\nlog_interval_ms = 200\n", values.node_ip),
    );
    std::fs::copy(cluster.kubelet_ca_cert(), dir.join("kubelet-ca.crt")).expect("copy the CA");
    std::fs::copy(cluster.kubelet_ca_key(), dir.join("kubelet-ca.key")).expect("copy the CA key");
    write(
        "kustomization.yaml",
        &format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {local}
patches:
  - target:
      kind: Deployment
      name: vk-host
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/ports/0/containerPort
        value: {kubelet_port}
      - op: replace
        path: /spec/template/spec/containers/0/ports/1/containerPort
        value: {metrics_port}
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: vk-host
        namespace: vk-host
      spec:
        template:
          spec:
            nodeSelector:
              kubernetes.io/hostname: {cri_node}
            containers:
              - name: vk-host
                env:
                  - name: KUBERNETES_SERVICE_PORT
                    value: \"{apiserver_port}\"
                  - name: VK_NODE_NAME
                    value: {mock_node}
                  - name: VK_KUBELET_PORT
                    value: \"{kubelet_port}\"
                  - name: VK_METRICS_BIND_ADDRESS
                    value: 0.0.0.0:{metrics_port}
configMapGenerator:
  - name: vk-host-config
    namespace: vk-host
    behavior: merge
    files:
      - plugin.toml
secretGenerator:
  - name: vk-host-kubelet-serving-ca
    namespace: vk-host
    type: kubernetes.io/tls
    files:
      - tls.crt=kubelet-ca.crt
      - tls.key=kubelet-ca.key
",
            kubelet_port = values.kubelet_port,
            metrics_port = values.metrics_port,
            cri_node = values.cri_node,
            apiserver_port = values.apiserver_port,
            mock_node = values.mock_node,
        ),
    );
}

/// `scripts/image.sh --bin-dir DIR`: the image tarball's path.
fn build_image(bin_dir: &Path) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/image.sh");
    let out = Command::new(&script)
        .arg("--bin-dir")
        .arg(bin_dir)
        .output()
        .expect("run scripts/image.sh");
    assert!(
        out.status.success(),
        "scripts/image.sh --bin-dir {} failed ({}):\n{}",
        bin_dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// `ctr -n k8s.io images import TAR` into the test's containerd.
fn import_image(socket: &str, tar: &Path) {
    let out = Command::new("ctr")
        .args(["-a", socket, "-n", "k8s.io", "images", "import"])
        .arg(tar)
        .output()
        .expect("run ctr");
    assert!(
        out.status.success(),
        "ctr images import {} failed ({}):\n{}",
        tar.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The in-pod vk-host process as the CRI node started it: the one whose
/// environment names this cluster's API server port. Checks what the
/// Deployment's securityContext asks for (uid/gid 65532 with fsGroup, no
/// capabilities, no_new_privs, seccomp filter, read-only root) and that
/// the explicit KUBERNETES_SERVICE_HOST won over the master service's; and
/// that its plugin runs as the same user.
fn check_confinement(apiserver_port: u16) {
    let wanted_port = format!("KUBERNETES_SERVICE_PORT={apiserver_port}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if !args
            .iter()
            .any(|a| a == "--config=/etc/vk-host/config/vk-host.toml")
        {
            continue;
        }
        let environ = environment(pid);
        if environ.contains(&wanted_port) {
            found.push((pid, environ));
        }
    }
    let [(pid, environ)] = found.as_slice() else {
        panic!("expected one in-pod vk-host process with {wanted_port}, found {found:?}");
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let field = |name: &str| -> String {
        status
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}:")))
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(field("Uid"), "65532 65532 65532 65532", "{status}");
    assert_eq!(field("Gid"), "65532 65532 65532 65532", "{status}");
    assert!(field("Groups").split(' ').any(|g| g == "65532"), "{status}");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(field(caps), "0000000000000000", "{caps}: {status}");
    }
    assert_eq!(field("NoNewPrivs"), "1", "{status}");
    assert_eq!(
        field("Seccomp"),
        "2",
        "a seccomp filter (RuntimeDefault): {status}"
    );
    let mountinfo =
        std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).expect("read mountinfo");
    let root = mountinfo
        .lines()
        .map(|line| line.split(' ').collect::<Vec<_>>())
        .find(|fields| fields.get(4) == Some(&"/"))
        .unwrap_or_else(|| panic!("no root mount in:\n{mountinfo}"));
    assert!(
        root[5].split(',').any(|o| o == "ro"),
        "the root filesystem is not read-only: {root:?}"
    );
    assert!(
        environ
            .iter()
            .any(|v| v == "KUBERNETES_SERVICE_HOST=127.0.0.1"),
        "explicit KUBERNETES_SERVICE_HOST did not win: {environ:?}"
    );
    assert!(
        !environ.iter().any(|v| v.starts_with("KUBECONFIG=")),
        "{environ:?}"
    );
    let plugin = std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .find(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // pid (comm) state ppid ...
            let after_comm = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or("");
            stat.contains("(vk-mock-plugin)")
                && after_comm.split(' ').nth(1) == Some(pid.to_string().as_str())
        })
        .unwrap_or_else(|| panic!("no vk-mock-plugin child of the in-pod vk-host {pid}"));
    let plugin_status =
        std::fs::read_to_string(format!("/proc/{plugin}/status")).expect("read status");
    assert!(
        plugin_status.contains("Uid:\t65532\t65532\t65532\t65532"),
        "{plugin_status}"
    );
}

fn environment(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

fn apiserver_port(cluster: &Cluster) -> u16 {
    let server = cluster.server();
    server
        .rsplit(':')
        .next()
        .and_then(|port| port.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in the API server URL {server}"))
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|all| {
        all.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// One line per pod: name, node, phase, container states.
fn summary(pods: &[Value]) -> String {
    if pods.is_empty() {
        return "none".into();
    }
    pods.iter()
        .map(|pod| {
            format!(
                "{} on {} {} {}",
                pod["metadata"]["name"],
                pod["spec"]["nodeName"],
                pod["status"]["phase"],
                pod["status"]["containerStatuses"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints the vk-host pods' container logs (from the CRI node's log
/// directory, `<ns>_<pod>_<uid>/<container>/<n>.log`) when the test fails.
struct PodLogsOnFailure(PathBuf);

impl Drop for PodLogsOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let Ok(pods) = std::fs::read_dir(&self.0) else {
            eprintln!("no pod logs in {}", self.0.display());
            return;
        };
        for pod in pods.flatten() {
            if !pod
                .file_name()
                .to_string_lossy()
                .starts_with(&format!("{NAMESPACE}_"))
            {
                continue;
            }
            for container in std::fs::read_dir(pod.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                for log in std::fs::read_dir(container.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    let text = std::fs::read_to_string(log.path()).unwrap_or_default();
                    let lines: Vec<&str> = text.lines().collect();
                    eprintln!(
                        "--- last lines of {} ---\n{}",
                        log.path().display(),
                        lines[lines.len().saturating_sub(60)..].join("\n")
                    );
                }
            }
        }
    }
}

/// The base Deployment (without the local overlay's hostNetwork) meets the
/// `restricted` Pod Security Standard its Namespace enforces: a pod from its
/// template passes the API server's PodSecurity admission (server-side dry
/// run) in a namespace enforcing `restricted`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_base_pod_template_meets_the_restricted_pod_security_standard() {
    let cluster = Cluster::shared();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/base");
    let rendered = cluster
        .kubectl(&["kustomize", &base.display().to_string()])
        .await
        .success()
        .stdout;
    // One JSON object per manifest, one after the other.
    let objects = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["create", "--dry-run=client", "-o", "json", "-f", "-"],
            Some(&rendered),
        )
        .await
        .success()
        .stdout;
    let items: Vec<Value> = serde_json::Deserializer::from_str(&objects)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("kubectl printed no JSON objects ({e}):\n{objects}"));
    let namespace = items
        .iter()
        .find(|o| o["kind"] == "Namespace")
        .expect("the base has a Namespace");
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let deployment = items
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("the base has a Deployment");
    let ns = cluster.create_namespace("restricted").await;
    cluster
        .kubectl(&[
            "label",
            "namespace",
            &ns,
            "pod-security.kubernetes.io/enforce=restricted",
        ])
        .await
        .success();
    let mut pod = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": "vk-host-template", "namespace": ns },
        "spec": deployment["spec"]["template"]["spec"].clone(),
    });
    // The ServiceAccount exists in vk-host only; admission checks it first.
    pod["spec"]["serviceAccountName"] = "default".into();
    let admitted = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["create", "--dry-run=server", "-f", "-"],
            Some(&pod.to_string()),
        )
        .await
        .success();
    assert!(
        !admitted.stderr.contains("violate"),
        "PodSecurity warned: {}",
        admitted.stderr
    );
    // And the check has teeth: the local overlay's hostNetwork is refused.
    pod["spec"]["hostNetwork"] = true.into();
    let refused = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["create", "--dry-run=server", "-f", "-"],
            Some(&pod.to_string()),
        )
        .await
        .failure();
    assert!(
        refused.stderr.contains("restricted") && refused.stderr.contains("host namespaces"),
        "{}",
        refused.stderr
    );
}
