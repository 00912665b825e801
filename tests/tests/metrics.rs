//! The host's own Prometheus metrics end to end: the real vk-host with the
//! mock plugin against the real control plane, `/metrics` fetched through
//! the API server's node proxy (authorized as `nodes/metrics`) and from the
//! plain `--metrics-bind-address` listener, every exposition parsed by the
//! official Prometheus Python client's strict OpenMetrics parser.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use vk_tests::cluster::{Cluster, Identity, node_name, unique_name, wait_for_ok};
use vk_tests::openmetrics::{self, Family};
use vk_tests::processes::workspace_binary;
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port, routable_ip};

/// Every family `/metrics` must have, as the parser names them (a counter
/// without `_total`). One list: extend it as families are added.
const EXPECTED_FAMILIES: &[&str] = &[
    "vk_host_kube_api_requests",
    "vk_host_kube_api_request_duration_seconds",
    "vk_host_kube_api_throttle_delay_seconds",
    "vk_host_events_dropped",
    "vk_host_kubelet_api_requests",
    "vk_host_kubelet_api_request_duration_seconds",
    "vk_host_kubelet_api_streaming_sessions",
    "vk_host_pod_syncs",
    "vk_host_pod_sync_duration_seconds",
    "vk_host_pod_work_queue_depth",
    "vk_host_pod_work_queue_retries",
    "vk_host_plugin_rpc_duration_seconds",
    "vk_host_plugin_restarts",
    "vk_host_plugin_up",
    "vk_host_plugin_phase",
    "vk_host_plugin_status_stream_reconnects",
    "vk_host_plugin_metrics_scrape_errors",
    "process_cpu_seconds",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
];

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Panics naming the expected families missing from a scrape.
fn expect_all(families: &BTreeMap<String, Family>, text: &str) {
    let missing: Vec<&&str> = EXPECTED_FAMILIES
        .iter()
        .filter(|name| !families.contains_key(**name))
        .collect();
    assert!(
        missing.is_empty(),
        "families missing: {missing:?} in:\n{text}"
    );
}

/// The value of a one-sample family.
fn single(families: &BTreeMap<String, Family>, name: &str) -> f64 {
    let family = &families[name];
    assert_eq!(family.samples.len(), 1, "{family:?}");
    family.samples[0].value
}

/// The families of a scrape, checked for the expected ones.
fn parse_expecting_all(text: &str) -> BTreeMap<String, Family> {
    let families = openmetrics::families(text);
    expect_all(&families, text);
    families
}

/// `/metrics` through the API server's node proxy, as admin, checked for
/// the expected families.
async fn scrape(cluster: &Cluster, node: &VirtualNode) -> (String, BTreeMap<String, Family>) {
    let (text, families) = openmetrics::scrape_node(cluster, &node.name).await;
    expect_all(&families, &text);
    (text, families)
}

/// curl `url` with `args`: (status, content type, body).
async fn curl(url: &str, args: &[&str]) -> (u16, String, String) {
    let output = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .args(["-w", "\n%{http_code} %{content_type}", url])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("curl is installed (controlplane/ensure.sh installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, trailer) = text.rsplit_once('\n').unwrap_or(("", &text));
    let (code, content_type) = trailer.split_once(' ').unwrap_or((trailer, ""));
    let code = code.trim().parse().unwrap_or_else(|_| {
        panic!(
            "curl {url} gave no status: {text:?} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, content_type.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_metrics_has_every_family_and_counts_move_with_pods() {
    const PODS: usize = 3;
    let cluster = Cluster::shared();
    // nodes/proxy refuses loopback node addresses: use this machine's own.
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("metrics").with_kubelet_api_on(cluster, routable_ip()),
    )
    .await;
    let ns = node.namespace.clone();
    // A labelled family has samples (and is listed) once something was
    // counted: one kubelet-API request before the first scrape.
    let health = format!("/api/v1/nodes/{}/proxy/healthz", node.name);
    cluster.kubectl(&["get", "--raw", &health]).await.success();

    let (_, before) = scrape(cluster, &node).await;
    assert!(
        single(&before, "process_resident_memory_bytes") > 0.0,
        "{:?}",
        before["process_resident_memory_bytes"]
    );
    assert!(single(&before, "process_open_fds") > 0.0);
    assert!(single(&before, "process_max_fds") >= single(&before, "process_open_fds"));
    assert!(single(&before, "process_virtual_memory_bytes") > 0.0);
    let start = single(&before, "process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs_f64();
    assert!(
        start > now - 3600.0 && start <= now + 1.0,
        "{start} vs {now}"
    );
    assert_eq!(before["process_resident_memory_bytes"].unit, "bytes");
    assert_eq!(
        before["vk_host_kube_api_request_duration_seconds"].kind,
        "histogram"
    );

    let status_patches = |families: &BTreeMap<String, Family>| {
        families["vk_host_kube_api_requests"].sum(
            "vk_host_kube_api_requests_total",
            &[
                ("verb", "patch"),
                ("resource", "pods/status"),
                ("code", "200"),
            ],
        )
    };
    let kube_requests = |families: &BTreeMap<String, Family>| {
        families["vk_host_kube_api_requests"].sum("vk_host_kube_api_requests_total", &[])
    };
    let kubelet_requests = |families: &BTreeMap<String, Family>, route: &str| {
        families["vk_host_kubelet_api_requests"].sum(
            "vk_host_kubelet_api_requests_total",
            &[("route", route), ("code", "200")],
        )
    };

    let names: Vec<String> = (0..PODS).map(|i| format!("counted-{i}")).collect();
    for name in &names {
        node.run_pod(cluster, name).await;
        cluster
            .kubectl(&["logs", name, "-n", &ns, "--tail", "1"])
            .await
            .success();
    }

    // A create the plugin refuses (UNAVAILABLE) is a plugin RPC error by
    // method and code, and a retry of the work queue; the family of
    // callback calls is checked in plugin_metrics.rs.
    let failing = "refused-create";
    cluster
        .kubectl_stdin(
            Identity::Admin,
            &["apply", "-f", "-"],
            Some(&node.pod_yaml(
                failing,
                "  annotations:\n    mock.vk-host.io/fail-create: \"counted as an error\"",
            )),
        )
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(30),
        "a CreatePod Unavailable error and a queue retry in /metrics",
        async || {
            let (_, families) = scrape(cluster, &node).await;
            let errors = families.get("vk_host_plugin_rpc_errors").map_or(0.0, |f| {
                f.sum(
                    "vk_host_plugin_rpc_errors_total",
                    &[("method", "CreatePod"), ("code", "Unavailable")],
                )
            });
            let retries = families["vk_host_pod_work_queue_retries"]
                .sum("vk_host_pod_work_queue_retries_total", &[]);
            if errors >= 1.0 && retries >= 1.0 {
                Ok(())
            } else {
                Err(format!("{errors} CreatePod errors, {retries} retries"))
            }
        },
    )
    .await;

    let (text, after) = scrape(cluster, &node).await;
    assert!(
        status_patches(&after) >= status_patches(&before) + PODS as f64,
        "a status patch per Running pod at least: {} then {}",
        status_patches(&before),
        status_patches(&after)
    );
    assert!(kube_requests(&after) > kube_requests(&before));
    assert!(
        kubelet_requests(&after, "/containerLogs")
            >= kubelet_requests(&before, "/containerLogs") + PODS as f64,
        "{:?}",
        after["vk_host_kubelet_api_requests"]
    );
    // The first scrape is counted by the second.
    assert!(kubelet_requests(&after, "/metrics") >= kubelet_requests(&before, "/metrics") + 1.0);
    let latency = &after["vk_host_kubelet_api_request_duration_seconds"];
    assert!(
        latency.sum(
            "vk_host_kubelet_api_request_duration_seconds_count",
            &[("route", "/containerLogs")]
        ) >= PODS as f64,
        "{latency:?}"
    );
    // A streaming session is open while `kubectl exec -i ... cat` holds
    // its stdin, and closed when stdin ends.
    let sessions = |families: &BTreeMap<String, Family>| {
        families["vk_host_kubelet_api_streaming_sessions"].sum(
            "vk_host_kubelet_api_streaming_sessions",
            &[("kind", "exec")],
        )
    };
    assert_eq!(sessions(&after), 0.0);
    let mut exec = cluster
        .kubectl_command(Identity::Admin)
        .args(["exec", "-i", "-n", &ns, &names[0], "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("kubectl exec starts");
    let stdin = exec.stdin.take().expect("piped stdin");
    let open = async |want: f64| {
        wait_for_ok(
            Duration::from_secs(30),
            &format!("{want} exec session(s) open in /metrics"),
            async || {
                let (_, families) = scrape(cluster, &node).await;
                match sessions(&families) {
                    got if got == want => Ok(families),
                    got => Err(format!("{got} open")),
                }
            },
        )
        .await
    };
    open(1.0).await;
    drop(stdin);
    let status = tokio::time::timeout(Duration::from_secs(30), exec.wait())
        .await
        .expect("kubectl exec ends within 30s of its stdin")
        .expect("kubectl exec ran");
    assert!(status.success(), "{status:?}");
    let closed = open(0.0).await;
    let upgrades = closed["vk_host_kubelet_api_requests"].sum(
        "vk_host_kubelet_api_requests_total",
        &[("route", "/exec"), ("code", "101")],
    );
    assert!(
        upgrades >= 1.0,
        "{:?}",
        closed["vk_host_kubelet_api_requests"]
    );

    // Bounded labels: no pod name or namespace in any host sample.
    for family in after.values().filter(|f| f.name.starts_with("vk_host_")) {
        for sample in &family.samples {
            for value in sample.labels.values() {
                assert!(
                    !value.contains(&ns)
                        && !names
                            .iter()
                            .chain([&failing.to_owned()])
                            .any(|name| value.contains(name)),
                    "{} has a pod's name or namespace: {value:?}\n{text}",
                    sample.name
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_metrics_is_authorized_as_nodes_metrics() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("metrics-authz").with_kubelet_api(cluster),
    )
    .await;
    let ns = node.namespace.clone();
    let url = format!("{}/metrics", node.kubelet_url().expect("kubelet API"));
    let cacert = cluster.kubelet_ca_cert().display().to_string();
    let token = async |account: &str| {
        cluster
            .kubectl(&["create", "serviceaccount", account, "-n", &ns])
            .await
            .success();
        let token = cluster
            .kubectl(&["create", "token", account, "-n", &ns])
            .await
            .success()
            .stdout;
        format!("Authorization: Bearer {}", token.trim())
    };

    // No credentials: 401.
    let (code, _, body) = curl(&url, &["--cacert", &cacert]).await;
    assert_eq!(code, 401, "{body}");

    // A valid token without RBAC: 403, naming the metrics subresource.
    let nobody = token("nobody").await;
    let (code, _, body) = curl(&url, &["--cacert", &cacert, "-H", &nobody]).await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains(&format!("system:serviceaccount:{ns}:nobody"))
            && body.contains("subresource=metrics"),
        "{body}"
    );

    // A token allowed `get nodes/metrics` (and nothing else): 200.
    let scraper = token("scraper").await;
    let role = unique_name("vk-metrics-reader");
    cluster
        .kubectl(&[
            "create",
            "clusterrole",
            &role,
            "--verb=get",
            "--resource=nodes/metrics",
        ])
        .await
        .success();
    cluster
        .kubectl(&[
            "create",
            "clusterrolebinding",
            &role,
            &format!("--clusterrole={role}"),
            &format!("--serviceaccount={ns}:scraper"),
        ])
        .await
        .success();
    let (content_type, body) = wait_for_ok(
        Duration::from_secs(30),
        "the scraper's /metrics to be allowed",
        async || match curl(&url, &["--cacert", &cacert, "-H", &scraper]).await {
            (200, content_type, body) => Ok((content_type, body)),
            (code, _, body) => Err(format!("{code}: {body}")),
        },
    )
    .await;
    assert_eq!(content_type, OPENMETRICS);
    parse_expecting_all(&body);
    let stats = format!("{}/stats/summary", node.kubelet_url().expect("kubelet API"));
    let (code, _, body) = curl(&stats, &["--cacert", &cacert, "-H", &scraper]).await;
    assert_eq!(code, 403, "nodes/metrics does not grant stats: {body}");

    for kind in ["clusterrolebinding", "clusterrole"] {
        cluster.kubectl(&["delete", kind, &role]).await.success();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plain_listener_serves_metrics_and_healthz() {
    let cluster = Cluster::shared();
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("metrics-plain")
            .with_kubelet_api(cluster)
            .host_args(&["--metrics-bind-address", &address]),
    )
    .await;
    // A labelled family has samples once something was counted: one
    // kubelet-API request (refused, and counted as such).
    let kubelet = node.kubelet_url().expect("kubelet API");
    let cacert = cluster.kubelet_ca_cert().display().to_string();
    let (code, _, _) = curl(&format!("{kubelet}/healthz"), &["--cacert", &cacert]).await;
    assert_eq!(code, 401);

    let (code, content_type, body) = curl(&format!("http://{address}/metrics"), &[]).await;
    assert_eq!(code, 200, "{body}\n{}", node.log_tail());
    assert_eq!(content_type, OPENMETRICS);
    let families = parse_expecting_all(&body);
    assert!(single(&families, "process_resident_memory_bytes") > 0.0);
    assert_eq!(
        families["vk_host_kubelet_api_requests"].sum(
            "vk_host_kubelet_api_requests_total",
            &[("route", "/healthz"), ("code", "401")]
        ),
        1.0
    );
    // The node's Lease and status went through the (unpaced) client.
    assert!(
        families["vk_host_kube_api_requests"]
            .sum("vk_host_kube_api_requests_total", &[("resource", "leases")])
            > 0.0,
        "{:?}",
        families["vk_host_kube_api_requests"]
    );

    let (code, _, body) = curl(&format!("http://{address}/healthz"), &[]).await;
    assert_eq!((code, body.as_str()), (200, "ok"));
    let (code, _, _) = curl(&format!("http://{address}/pods"), &[]).await;
    assert_eq!(code, 404, "only /metrics and /healthz");
}

/// vk-host with a mock plugin and the shared cluster, plus `extra`: its
/// exit status and stderr (it is expected to stop by itself).
async fn host_refusing(cluster: &Cluster, name: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "--plugin".to_owned(),
        workspace_binary("vk-mock-plugin").display().to_string(),
        "--node-name".to_owned(),
        name.to_owned(),
        "--kubeconfig".to_owned(),
        cluster.vk_host_kubeconfig().display().to_string(),
        "--kubelet-address".to_owned(),
        "127.0.0.1".to_owned(),
        "--kubelet-port".to_owned(),
        free_port().to_string(),
    ];
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(workspace_binary("vk-host"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("vk-host {extra:?} did not stop by itself within 30s"))
    .expect("run vk-host");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_metrics_address_stops_vk_host_before_it_registers_anything() {
    let cluster = Cluster::shared();
    let name = node_name("metrics-bad");
    for (value, expected) in [
        (
            "localhost",
            "invalid value 'localhost' for '--metrics-bind-address <ADDR:PORT>'",
        ),
        (
            "127.0.0.1:0",
            "vk-host: --metrics-bind-address 127.0.0.1:0: give a port other than 0",
        ),
    ] {
        let (code, stderr) =
            host_refusing(cluster, &name, &["--metrics-bind-address", value]).await;
        assert_eq!(code, Some(2), "{value}: {stderr}");
        assert!(stderr.contains(expected), "{value}: {stderr}");
    }

    // A taken port: one line naming the flag, before the plugin starts.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("its address").to_string();
    let (code, stderr) = host_refusing(cluster, &name, &["--metrics-bind-address", &address]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "vk-host: metrics: cannot listen on {address} (choose another --metrics-bind-address)"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("plugin ready"), "{stderr}");

    let nodes: Api<Node> = Api::all(cluster.client().await);
    let found = nodes.get_opt(&name).await.expect("read Nodes");
    assert!(found.is_none(), "no Node {name} was registered: {found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_address_works_in_a_config_file_and_is_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("vk-host.toml");
    std::fs::write(
        &config,
        format!(
            "plugin = \"{}\"\nmetrics-bind-address = \"127.0.0.1:19999\"\n",
            workspace_binary("vk-mock-plugin").display()
        ),
    )
    .expect("write the config file");
    let print = async |env: &[(&str, &str)]| {
        let output = tokio::process::Command::new(workspace_binary("vk-host"))
            .arg("--print-config")
            .arg("--config")
            .arg(&config)
            .envs(env.iter().copied())
            .output()
            .await
            .expect("run vk-host --print-config");
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let printed = print(&[]).await;
    assert!(
        printed
            .lines()
            .any(|line| line == "metrics-bind-address = \"127.0.0.1:19999\"  # file"),
        "{printed}"
    );
    let printed = print(&[("VK_METRICS_BIND_ADDRESS", "[::1]:19998")]).await;
    assert!(
        printed.lines().any(|line| {
            line == "metrics-bind-address = \"[::1]:19998\"  # env VK_METRICS_BIND_ADDRESS"
        }),
        "{printed}"
    );
}
