//! The kubelet HTTP API end to end (logs, pods, stats, metrics, health, and
//! its authentication and authorization): the real vk-host with the mock
//! plugin, a real kube-apiserver that reaches the node with its kubelet
//! client certificate and verifies vk-host's generated serving certificate
//! against the kubelet CA, the real kubectl, and curl for direct requests.
//! The streaming routes (exec, attach, port-forward) are tested in
//! `kubelet_streaming.rs`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use vk_tests::cluster::{Cluster, Identity, unique_name, wait_for};
use vk_tests::processes::rss_kib;
use vk_tests::virtual_node::{NodeSetup, VirtualNode, routable_ip};

/// `<ns>/<pod>/main line <i>` → i.
fn line_number(line: &str) -> u64 {
    line.rsplit_once(" line ")
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("not a mock log line: {line:?}"))
}

/// A direct HTTPS request to the kubelet API with curl: (status, body).
async fn curl(url: &str, cluster: &Cluster, auth: &[&str]) -> (u16, String) {
    let output = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(cluster.kubelet_ca_cert())
        .args(auth)
        .args(["-w", "\n%{http_code}", url])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("curl is installed (controlplane/ensure.sh installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let code = code.trim().parse().unwrap_or_else(|_| {
        panic!(
            "curl {url} gave no status: {text:?} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, body.to_owned())
}

/// curl flags presenting `cert` and `key`.
fn client_cert(cert: &Path, key: &Path) -> Vec<String> {
    vec![
        "--cert".into(),
        cert.display().to_string(),
        "--key".into(),
        key.display().to_string(),
    ]
}

/// The cluster admin's client certificate (`system:masters`).
fn admin_cert(cluster: &Cluster) -> Vec<String> {
    let pki = cluster.state_dir().join("pki");
    client_cert(&pki.join("admin.crt"), &pki.join("admin.key"))
}

/// A client certificate for `user` (no groups, no RBAC) signed by the
/// cluster CA, written as PEM files in `dir`.
async fn user_cert(cluster: &Cluster, user: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let kubeconfig = cluster
        .issue_kubeconfig(user, &[], &dir.join("user.kubeconfig"))
        .expect("issue a kubeconfig");
    let output = tokio::process::Command::new(cluster.kubectl_path())
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["config", "view", "--raw", "-o", "json"])
        .output()
        .await
        .expect("kubectl config view");
    let config: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("kubeconfig as JSON");
    let user_entry = &config["users"][0]["user"];
    let decode = |field: &str| -> Vec<u8> {
        let b64 = user_entry[field].clone();
        serde_json::from_value::<k8s_openapi::ByteString>(b64)
            .unwrap_or_else(|e| panic!("{field} in the kubeconfig: {e}"))
            .0
    };
    let cert = dir.join("user.crt");
    let key = dir.join("user.key");
    std::fs::write(&cert, decode("client-certificate-data")).expect("write cert");
    std::fs::write(&key, decode("client-key-data")).expect("write key");
    (cert, key)
}

#[tokio::test]
async fn kubectl_logs_with_each_option_and_follow() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-logs")
            .plugin_config("log_interval_ms = 100\n")
            .with_kubelet_api(cluster),
    )
    .await;
    let ns = node.namespace.clone();
    node.run_pod(cluster, "talker").await;
    let prefix = format!("{ns}/talker/main line ");
    // Enough history for --tail and --since to have something to cut.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let logs = |extra: &[&str]| {
        let mut args = vec!["logs", "talker", "-n", ns.as_str()];
        args.extend_from_slice(extra);
        args.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let run = async |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        cluster.kubectl(&refs).await
    };

    let all = run(logs(&[])).await.success().stdout;
    let all_lines: Vec<&str> = all.lines().collect();
    assert!(
        all_lines.len() >= 25,
        "3 s at 100 ms: {} lines",
        all_lines.len()
    );
    assert_eq!(all_lines[0], format!("{prefix}0"));

    let tail = run(logs(&["--tail", "3"])).await.success().stdout;
    let tail: Vec<u64> = tail.lines().map(line_number).collect();
    assert_eq!(tail.len(), 3, "{tail:?}");
    assert!(
        tail[0] + 1 == tail[1] && tail[1] + 1 == tail[2] && tail[0] >= all_lines.len() as u64 - 3,
        "the last three lines, in order: {tail:?} after {} lines",
        all_lines.len()
    );

    let limited = run(logs(&["--limit-bytes", "10"])).await.success().stdout;
    assert_eq!(limited, prefix[..10], "cut at 10 bytes");

    let stamped = run(logs(&["--timestamps", "--tail", "1"]))
        .await
        .success()
        .stdout;
    let (stamp, rest) = stamped
        .trim_end()
        .split_once(' ')
        .expect("timestamp and line");
    assert!(
        stamp.len() == 30 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "RFC 3339 with nanoseconds: {stamp:?}"
    );
    assert!(rest.starts_with(&prefix), "{rest:?}");

    let recent = run(logs(&["--since", "1s"])).await.success().stdout;
    let recent: Vec<u64> = recent.lines().map(line_number).collect();
    assert!(
        !recent.is_empty() && recent.len() < all_lines.len() && recent[0] > 0,
        "--since 1s keeps only the last second or two: {} of {} lines",
        recent.len(),
        all_lines.len()
    );

    // A sinceTime past what a timestamp holds is taken as now, as a time
    // in the future is: not an error.
    let future = run(logs(&["--since-time", "9999-12-31T23:59:59Z"]))
        .await
        .success()
        .stdout;
    assert!(future.lines().count() < all_lines.len(), "{future}");

    let previous = run(logs(&["--previous"])).await.failure();
    assert!(
        previous.stderr.contains("NotFound") || previous.stderr.contains("not find"),
        "the mock has no previous container: {}",
        previous.stderr
    );

    // -f: new lines arrive while the stream is open.
    let mut follow = cluster.kubectl_command(Identity::Admin);
    follow
        .args(["logs", "-f", "--tail", "1", "talker", "-n", &ns])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = follow.spawn().expect("kubectl logs -f");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = Instant::now();
    let mut seen = Vec::new();
    while seen.len() < 10 {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no new log line within 10 s; seen {seen:?}"))
            .expect("read")
            .unwrap_or_else(|| panic!("kubectl logs -f ended; seen {seen:?}"));
        seen.push(line_number(&line));
    }
    let elapsed = started.elapsed();
    assert!(
        seen.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive lines: {seen:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(700),
        "9 new lines at 100 ms each arrive over time, not at once ({elapsed:?})"
    );
    child.kill().await.ok();
    println!("kubectl logs -f: 10 lines in {elapsed:?}");
}

#[tokio::test]
async fn node_proxy_serves_stats_metrics_pods_and_health() {
    let cluster = Cluster::shared();
    // nodes/proxy refuses loopback node addresses: use this machine's own.
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-proxy").with_kubelet_api_on(cluster, routable_ip()),
    )
    .await;
    let ns = node.namespace.clone();
    node.run_pod(cluster, "measured").await;
    let raw = |path: &str| format!("/api/v1/nodes/{}/proxy/{path}", node.name);

    let summary = cluster
        .kubectl(&["get", "--raw", &raw("stats/summary")])
        .await
        .success();
    let summary = summary.json();
    assert_eq!(summary["node"]["nodeName"], node.name.as_str(), "{summary}");
    let pod = summary["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .find(|p| p["podRef"]["name"] == "measured" && p["podRef"]["namespace"] == ns.as_str())
        .unwrap_or_else(|| panic!("pod in the summary: {summary}"));
    assert_eq!(pod["containers"][0]["name"], "main");
    assert!(pod["cpu"]["usageNanoCores"].as_u64().is_some(), "{pod}");
    assert!(
        pod["memory"]["workingSetBytes"].as_u64().unwrap_or(0) > 0,
        "{pod}"
    );

    let metrics = cluster
        .kubectl(&["get", "--raw", &raw("metrics/resource")])
        .await
        .success()
        .stdout;
    let labels = format!("{{container=\"main\",namespace=\"{ns}\",pod=\"measured\"}}");
    for wanted in [
        format!("container_cpu_usage_seconds_total{labels} "),
        format!("container_memory_working_set_bytes{labels} 16777216 "),
        format!("container_start_time_seconds{labels} "),
        format!("pod_cpu_usage_seconds_total{{namespace=\"{ns}\",pod=\"measured\"}} "),
        format!("pod_memory_working_set_bytes{{namespace=\"{ns}\",pod=\"measured\"}} "),
        "node_cpu_usage_seconds_total ".to_owned(),
        "node_memory_working_set_bytes ".to_owned(),
        "resource_scrape_error 0".to_owned(),
    ] {
        assert!(
            metrics.lines().any(|line| line.starts_with(&wanted)),
            "missing {wanted:?} in:\n{metrics}"
        );
    }

    let pods = cluster
        .kubectl(&["get", "--raw", &raw("pods")])
        .await
        .success();
    let pods = pods.json();
    assert_eq!(pods["kind"], "PodList");
    let names: Vec<&str> = pods["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, vec!["measured"], "only this node's pods");

    let running = cluster
        .kubectl(&["get", "--raw", &raw("runningpods/")])
        .await
        .success();
    assert!(
        running.stdout.contains("\"measured\""),
        "{}",
        running.stdout
    );

    let health = cluster
        .kubectl(&["get", "--raw", &raw("healthz")])
        .await
        .success();
    assert_eq!(health.stdout, "ok");
}

#[tokio::test]
async fn direct_requests_are_authenticated_authorized_and_checked() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-auth").with_kubelet_api(cluster),
    )
    .await;
    let ns = node.namespace.clone();
    node.run_pod(cluster, "guarded").await;
    let url = node.kubelet_url().expect("kubelet API");
    let admin = admin_cert(cluster);
    let admin: Vec<&str> = admin.iter().map(String::as_str).collect();
    let logs_url = format!("{url}/containerLogs/{ns}/guarded/main");

    // No credentials: 401, whatever the path.
    for path in ["/healthz", "/pods", "/nowhere"] {
        let (code, body) = curl(&format!("{url}{path}"), cluster, &[]).await;
        assert_eq!(code, 401, "{path}: {body}");
    }
    // A certificate from another CA is not accepted at all (TLS refuses it)
    // and a made-up token is 401.
    let (code, body) = curl(
        &logs_url,
        cluster,
        &["-H", "Authorization: Bearer not-a-token"],
    )
    .await;
    assert_eq!(code, 401, "{body}");

    // Valid certificate, no RBAC: 403.
    let dir = tempfile::tempdir().expect("tempdir");
    let user = unique_name("nobody");
    let (cert, key) = user_cert(cluster, &user, dir.path()).await;
    let nobody = client_cert(&cert, &key);
    let nobody: Vec<&str> = nobody.iter().map(String::as_str).collect();
    let (code, body) = curl(&logs_url, cluster, &nobody).await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains(&user) && body.contains("subresource=proxy"),
        "{body}"
    );
    let (code, body) = curl(&format!("{url}/stats/summary"), cluster, &nobody).await;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("subresource=stats"), "{body}");

    // Valid token (TokenReview), no RBAC: 403.
    cluster
        .kubectl(&["create", "serviceaccount", "reader", "-n", &ns])
        .await
        .success();
    let token = cluster
        .kubectl(&["create", "token", "reader", "-n", &ns])
        .await
        .success()
        .stdout;
    let bearer = format!("Authorization: Bearer {}", token.trim());
    let (code, body) = curl(&logs_url, cluster, &["-H", &bearer]).await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains(&format!("system:serviceaccount:{ns}:reader")),
        "{body}"
    );

    // The admin is allowed.
    let (code, body) = curl(&format!("{logs_url}?tailLines=1"), cluster, &admin).await;
    assert_eq!(
        (code, body.starts_with(&format!("{ns}/guarded/main line "))),
        (200, true),
        "{body}"
    );
    let (code, body) = curl(&format!("{url}/healthz"), cluster, &admin).await;
    assert_eq!((code, body.as_str()), (200, "ok"));

    // Invalid parameters: 400 with the reason.
    for (query, reason) in [
        ("tailLines=-1", "tailLines=-1: must be at least 0"),
        ("limitBytes=abc", "limitBytes=\"abc\": must be an integer"),
        (
            "sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z",
            "cannot both be given",
        ),
        ("sinceTime=yesterday", "not an RFC 3339 time"),
    ] {
        let (code, body) = curl(&format!("{logs_url}?{query}"), cluster, &admin).await;
        assert_eq!(code, 400, "{query}: {body}");
        assert!(body.contains(reason), "{query}: {body}");
    }

    // A pod bound to another node, an unknown pod, an unknown container, an
    // unknown path: 404.
    let other_node = unique_name("elsewhere");
    let other = node.pod_yaml("stranger", "").replace(
        &format!("nodeName: {}", node.name),
        &format!("nodeName: {other_node}"),
    );
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(&other))
        .await
        .success();
    for (path, reason) in [
        (
            format!("/containerLogs/{ns}/stranger/main"),
            "not bound to node",
        ),
        (format!("/containerLogs/{ns}/ghost/main"), "not found"),
        (
            format!("/containerLogs/{ns}/guarded/sidecar"),
            "container \"sidecar\" not found",
        ),
        ("/nowhere".to_owned(), "404 page not found"),
    ] {
        let (code, body) = curl(&format!("{url}{path}"), cluster, &admin).await;
        assert_eq!(code, 404, "{path}: {body}");
        assert!(body.contains(reason), "{path}: {body}");
    }
    // Through the API server too: kubectl logs of the other node's pod does
    // not reach us (that node has no address), and ours works.
    cluster
        .kubectl(&["logs", "guarded", "-n", &ns, "--tail", "1"])
        .await
        .success();
}

#[tokio::test]
async fn a_100_mib_log_through_a_slow_reader_keeps_host_memory_flat() {
    const TOTAL: u64 = 100 * 1024 * 1024;
    let cluster = Cluster::shared();
    // One line per microsecond: ~40 MB of log per second of container age.
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-big")
            .plugin_config("log_interval_us = 1\n")
            .with_kubelet_api(cluster),
    )
    .await;
    let ns = node.namespace.clone();
    node.run_pod(cluster, "firehose").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pid = node.host.pid();
    let before = rss_kib(pid).expect("vk-host RSS");

    let mut command = cluster.kubectl_command(Identity::Admin);
    command
        .args([
            "logs",
            "firehose",
            "-n",
            &ns,
            "--limit-bytes",
            &TOTAL.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("kubectl logs");
    let mut stdout = child.stdout.take().expect("stdout");
    let started = Instant::now();
    let mut received: u64 = 0;
    let mut peak = before;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut last_sample = Instant::now();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(30), stdout.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no log data for 30 s after {received} bytes"))
            .expect("read kubectl output");
        if n == 0 {
            break;
        }
        received += n as u64;
        // The slow reader: at most ~16 MiB/s, well below what vk-host and the
        // mock produce, so data waits upstream of kubectl.
        tokio::time::sleep(Duration::from_millis(4)).await;
        if last_sample.elapsed() >= Duration::from_millis(100) {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            last_sample = Instant::now();
        }
    }
    let elapsed = started.elapsed();
    let status = child.wait().await.expect("kubectl exit");
    let after = rss_kib(pid).unwrap_or(0);
    peak = peak.max(after);
    println!(
        "100 MiB log: {received} bytes in {:.1} s ({:.1} MiB/s); vk-host RSS before {} KiB, peak {} KiB (+{} KiB), after {} KiB",
        elapsed.as_secs_f64(),
        received as f64 / 1048576.0 / elapsed.as_secs_f64(),
        before,
        peak,
        peak.saturating_sub(before),
        after
    );
    assert!(status.success(), "kubectl logs failed: {status}");
    assert_eq!(received, TOTAL, "the whole limited log arrived");
    assert!(
        peak.saturating_sub(before) < 32 * 1024,
        "vk-host grew by {} KiB while streaming 100 MiB (bound 32 MiB)",
        peak.saturating_sub(before)
    );
}

/// rustls refuses X.509 v1 client certificates (what `openssl x509 -req`
/// without extensions makes) where the kubelet accepts them; the client only
/// sees `unknown certificate`, so vk-host logs which peer and why.
#[tokio::test]
async fn a_v1_client_certificate_is_refused_with_a_warning_naming_the_peer() {
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-v1").with_kubelet_api(cluster),
    )
    .await;
    let url = node.kubelet_url().expect("kubelet API");
    // Signed by the CA of --client-ca-file, as an API server's would be.
    let pki = cluster.state_dir().join("pki");
    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("v1.crt"), dir.path().join("v1.key"));
    let openssl = |args: &[&str]| {
        let output = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("openssl is installed (controlplane/ensure.sh installs it)");
        assert!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "v1.key",
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        "v1.key",
        "-subj",
        "/CN=kube-apiserver-kubelet-client/O=system:masters",
        "-out",
        "v1.csr",
    ]);
    let (ca_cert, ca_key) = (pki.join("ca.crt"), pki.join("ca.key"));
    openssl(&[
        "x509",
        "-req",
        "-in",
        "v1.csr",
        "-CA",
        &ca_cert.display().to_string(),
        "-CAkey",
        &ca_key.display().to_string(),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "v1.crt",
    ]);

    let v1 = client_cert(&cert, &key);
    let v1: Vec<&str> = v1.iter().map(String::as_str).collect();
    let (code, body) = curl(&format!("{url}/healthz"), cluster, &v1).await;
    assert_eq!(code, 0, "the TLS handshake fails: {body}");
    let advice = "X.509 v1 certificates are not supported; reissue it as v3";
    node.host
        .wait_for_log(advice, Duration::from_secs(10))
        .await;
    let log = node.host.log();
    let line = log
        .lines()
        .find(|line| line.contains(advice))
        .expect("the line just waited for");
    eprintln!("vk-host: {line}");
    assert!(
        line.contains("WARN") && line.contains("peer=127.0.0.1:"),
        "one warning naming the peer: {line}"
    );
}

/// The soft open-file limit of `pid`, from `/proc/<pid>/limits`.
fn open_file_limit(pid: u32) -> Option<usize> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// More idle TCP connections than vk-host's connection cap, from the API
/// server's own address (loopback) and renewed all along, as an attacker
/// would hold them: `kubectl logs` through the API server still works,
/// because connections without a client certificate cannot take the room
/// kept for those with one, and idle ones are closed to make room.
#[tokio::test]
async fn idle_connections_beyond_the_cap_do_not_lock_out_the_api_server() {
    use std::collections::VecDeque;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("kapi-flood")
            .plugin_config("log_interval_ms = 100\n")
            .with_kubelet_api(cluster),
    )
    .await;
    let ns = node.namespace.clone();
    node.run_pod(cluster, "talker").await;
    let pid = node.host.pid();
    // vk-host's cap: 4096, or half its open-file limit (this process's, which
    // it inherits, so this process can open more than that).
    let cap = open_file_limit(pid).map_or(4096, |soft| (soft / 2).clamp(64, 4096));
    let target = cap + 200;
    let url = node.kubelet_url().expect("kubelet API");
    let address: std::net::SocketAddr = url
        .trim_start_matches("https://")
        .parse()
        .expect("host:port");

    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let flooder = tokio::spawn({
        let (stop, opened) = (Arc::clone(&stop), Arc::clone(&opened));
        async move {
            let mut open: VecDeque<tokio::net::TcpStream> = VecDeque::new();
            while !stop.load(Ordering::Relaxed) {
                // Renewed: the ones vk-host closed are opened again; none
                // ever sends a byte.
                open.retain(|stream| {
                    let mut byte = [0u8; 1];
                    match stream.try_read(&mut byte) {
                        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                        Ok(n) => n > 0,
                    }
                });
                for _ in 0..50 {
                    if open.len() >= target {
                        break;
                    }
                    if let Ok(stream) = tokio::net::TcpStream::connect(address).await {
                        open.push_back(stream);
                        opened.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let sockets = || std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count());
    wait_for(
        Duration::from_secs(120),
        &format!("{target} connections opened, vk-host holding many"),
        async || (opened.load(Ordering::Relaxed) >= target && sockets() >= cap / 4).then_some(()),
    )
    .await;
    println!(
        "cap {cap}: {} connections opened, vk-host has {} open files",
        opened.load(Ordering::Relaxed),
        sockets()
    );
    let logs = cluster
        .kubectl(&["logs", "talker", "-n", &ns, "--tail", "1"])
        .await;
    println!(
        "during the flood ({} opened): {:?} {:?}",
        opened.load(Ordering::Relaxed),
        logs.stdout,
        logs.stderr
    );
    stop.store(true, Ordering::Relaxed);
    flooder.await.expect("flooder");
    let out = logs.success().stdout;
    assert!(out.contains(&format!("{ns}/talker/main line ")), "{out}");
}
