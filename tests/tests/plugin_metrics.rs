//! The pod controller's, plugin client's, supervisor's and callbacks'
//! metrics, and the plugin's own metrics (GetPluginMetrics) exported by the
//! host: the real vk-host with the real mock plugin against the real
//! control plane, `/metrics` fetched through the API server's node proxy
//! with kubectl, every exposition parsed by the official Prometheus Python
//! client's strict OpenMetrics parser (`vk_tests::openmetrics`).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use vk_host::metrics::plugin_export::{convert, exported_names};
use vk_proto::v1::{Bucket, Histogram, Metric, MetricFamily, MetricType};
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::openmetrics::{self, Family};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, routable_ip};

/// The mock plugin's handshake name: the `plugin` label of its families.
const MOCK: &str = "mock";

/// `/metrics` through the API server's node proxy, parsed strictly.
async fn scrape(cluster: &Cluster, node: &VirtualNode) -> BTreeMap<String, Family> {
    openmetrics::scrape_node(cluster, &node.name).await.1
}

/// The sum of `sample` with `labels` in family `name`; 0 when absent.
fn value(
    families: &BTreeMap<String, Family>,
    name: &str,
    sample: &str,
    labels: &[(&str, &str)],
) -> f64 {
    families
        .get(name)
        .map_or(0.0, |family| family.sum(sample, labels))
}

/// `Err` naming what is not there yet, for [`wait_for_ok`].
fn at_least(
    families: &BTreeMap<String, Family>,
    name: &str,
    sample: &str,
    labels: &[(&str, &str)],
    wanted: f64,
) -> Result<(), String> {
    let got = value(families, name, sample, labels);
    if got >= wanted {
        Ok(())
    } else {
        Err(format!(
            "{sample}{labels:?} is {got}, expected at least {wanted}"
        ))
    }
}

fn exactly(
    families: &BTreeMap<String, Family>,
    name: &str,
    sample: &str,
    labels: &[(&str, &str)],
    wanted: f64,
) -> Result<(), String> {
    let got = value(families, name, sample, labels);
    if got == wanted {
        Ok(())
    } else {
        Err(format!("{sample}{labels:?} is {got}, expected {wanted}"))
    }
}

/// A pod with a Secret volume: the mock (`fetch_volumes`) reads the Secret
/// through the host's callbacks at CreatePod.
fn pod_with_secret(node: &VirtualNode, name: &str, secret: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
spec:
  nodeName: {node}
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
  containers:
  - name: main
    image: busybox
    command: [\"sleep\", \"3600\"]
    volumeMounts:
    - name: s
      mountPath: /s
  volumes:
  - name: s
    secret:
      secretName: {secret}
",
        namespace = node.namespace,
        node = node.name,
    )
}

#[tokio::test]
async fn pod_plugin_and_callback_metrics_move_and_the_plugins_own_families_are_exported() {
    let cluster = Cluster::shared();
    // nodes/proxy refuses loopback node addresses: use this machine's own.
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("plugin-metrics")
            .with_kubelet_api_on(cluster, routable_ip())
            .plugin_config("fetch_volumes = true\n"),
    )
    .await;
    let ns = node.namespace.clone();

    // Before any pod: the families without labels or with every label set
    // known in advance are there (a family whose label sets come with use,
    // e.g. errors by code, appears with its first sample), the plugin is up.
    let families = scrape(cluster, &node).await;
    for family in [
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
        "mock_pods",
        "mock_create_pod_calls",
        "mock_create_pod_duration_seconds",
    ] {
        assert!(
            families.contains_key(family),
            "family {family} missing; families: {:?}",
            families.keys().collect::<Vec<_>>()
        );
    }
    assert_eq!(families["mock_create_pod_calls"].kind, "counter");
    assert_eq!(
        families["mock_create_pod_duration_seconds"].kind,
        "histogram"
    );
    assert_eq!(
        value(&families, "vk_host_plugin_up", "vk_host_plugin_up", &[]),
        1.0
    );
    for sample in families.values().flat_map(|f| &f.samples) {
        if sample.name.starts_with("mock_") {
            assert_eq!(
                sample.labels.get("plugin").map(String::as_str),
                Some(MOCK),
                "{sample:?}"
            );
        }
    }

    // Two pods, one reading a Secret through the callbacks.
    cluster
        .kubectl(&[
            "create",
            "secret",
            "generic",
            "metrics-s",
            "-n",
            &ns,
            "--from-literal=k=v",
        ])
        .await
        .success();
    cluster
        .kubectl_stdin(
            Identity::Admin,
            &["apply", "-f", "-"],
            Some(&pod_with_secret(&node, "with-secret", "metrics-s")),
        )
        .await
        .success();
    node.run_pod(cluster, "plain").await;

    let families = wait_for_ok(
        Duration::from_secs(60),
        "the pod, plugin, callback and mock metrics of two created pods",
        async || {
            let f = scrape(cluster, &node).await;
            let syncs = "vk_host_pod_syncs";
            let created = [("operation", "create"), ("outcome", "success")];
            at_least(&f, syncs, "vk_host_pod_syncs_total", &created, 2.0)?;
            at_least(
                &f,
                syncs,
                "vk_host_pod_syncs_total",
                &[("operation", "status"), ("outcome", "success")],
                1.0,
            )?;
            let duration = "vk_host_pod_sync_duration_seconds";
            at_least(
                &f,
                duration,
                "vk_host_pod_sync_duration_seconds_count",
                &[("operation", "create")],
                2.0,
            )?;
            let rpc = "vk_host_plugin_rpc_duration_seconds";
            let count = "vk_host_plugin_rpc_duration_seconds_count";
            at_least(&f, rpc, count, &[("method", "CreatePod")], 2.0)?;
            at_least(&f, rpc, count, &[("method", "GetPods")], 1.0)?;
            at_least(&f, rpc, count, &[("method", "Probe")], 1.0)?;
            at_least(
                &f,
                "vk_host_callback_calls",
                "vk_host_callback_calls_total",
                &[("rpc", "GetSecret"), ("outcome", "ok"), ("rule", "none")],
                1.0,
            )?;
            // The mock's own: exact, it is this node's plugin alone.
            let plugin = ("plugin", MOCK);
            exactly(
                &f,
                "mock_create_pod_calls",
                "mock_create_pod_calls_total",
                &[plugin, ("outcome", "created")],
                2.0,
            )?;
            exactly(
                &f,
                "mock_pods",
                "mock_pods",
                &[plugin, ("phase", "Running")],
                2.0,
            )?;
            at_least(
                &f,
                "mock_create_pod_duration_seconds",
                "mock_create_pod_duration_seconds_count",
                &[plugin],
                2.0,
            )?;
            Ok::<_, String>(f)
        },
    )
    .await;

    // Histograms are whole: the +Inf bucket is the count.
    for (family, labels) in [
        ("mock_create_pod_duration_seconds", vec![("plugin", MOCK)]),
        (
            "vk_host_pod_sync_duration_seconds",
            vec![("operation", "create")],
        ),
        (
            "vk_host_plugin_rpc_duration_seconds",
            vec![("method", "CreatePod")],
        ),
    ] {
        let mut with_inf = labels.clone();
        with_inf.push(("le", "+Inf"));
        assert_eq!(
            value(&families, family, &format!("{family}_bucket"), &with_inf),
            value(&families, family, &format!("{family}_count"), &labels),
            "{family}: {:?}",
            families[family]
        );
    }
    assert_eq!(
        value(
            &families,
            "vk_host_plugin_metrics_scrape_errors",
            "vk_host_plugin_metrics_scrape_errors_total",
            &[]
        ),
        0.0
    );
    assert_eq!(
        value(
            &families,
            "vk_host_plugin_metrics_dropped",
            "vk_host_plugin_metrics_dropped_total",
            &[]
        ),
        0.0,
        "the mock's metrics are all valid: {:?}",
        families.get("vk_host_plugin_metrics_dropped")
    );
    let phases = &families["vk_host_plugin_phase"];
    assert_eq!(
        phases.sum("vk_host_plugin_phase", &[("phase", "ready")]),
        1.0
    );
    assert_eq!(phases.sum("vk_host_plugin_phase", &[]), 1.0, "{phases:?}");
    // Labels stay bounded: no pod names anywhere.
    for sample in families.values().flat_map(|f| &f.samples) {
        for value in sample.labels.values() {
            assert!(
                value != "plain" && value != "with-secret" && value != &ns,
                "a pod name or namespace in a label: {sample:?}"
            );
        }
    }

    // A deletion is a sync of its own, and the mock holds one pod fewer.
    cluster
        .kubectl(&["delete", "pod", "plain", "-n", &ns, "--wait=true"])
        .await
        .success();
    wait_for_ok(
        Duration::from_secs(60),
        "a delete sync and one running pod in the mock",
        async || {
            let f = scrape(cluster, &node).await;
            at_least(
                &f,
                "vk_host_pod_syncs",
                "vk_host_pod_syncs_total",
                &[("operation", "delete")],
                1.0,
            )?;
            at_least(
                &f,
                "vk_host_plugin_rpc_duration_seconds",
                "vk_host_plugin_rpc_duration_seconds_count",
                &[("method", "DeletePod")],
                1.0,
            )?;
            exactly(
                &f,
                "mock_pods",
                "mock_pods",
                &[("plugin", MOCK), ("phase", "Running")],
                1.0,
            )
        },
    )
    .await;

    // The plugin dies: the supervisor restarts it, and the new instance's
    // metrics start from zero. (Whether the old instance's status stream
    // failed before the instance was replaced is a race: reconnects are not
    // asserted here.)
    let plugin = node.host.plugin_pid().await;
    kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    wait_for_ok(
        Duration::from_secs(60),
        "a plugin restart and the plugin up again",
        async || {
            let f = scrape(cluster, &node).await;
            exactly(
                &f,
                "vk_host_plugin_restarts",
                "vk_host_plugin_restarts_total",
                &[],
                1.0,
            )?;
            exactly(&f, "vk_host_plugin_up", "vk_host_plugin_up", &[], 1.0)?;
            // The new instance answers GetPluginMetrics again.
            exactly(
                &f,
                "mock_create_pod_calls",
                "mock_create_pod_calls_total",
                &[("plugin", MOCK), ("outcome", "created")],
                0.0,
            )?;
            if f.contains_key("mock_pods") {
                Ok(())
            } else {
                Err("the restarted mock's families are missing".to_owned())
            }
        },
    )
    .await;
}

fn gauge(name: &str, help: &str, metrics: Vec<Metric>) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: help.into(),
        r#type: MetricType::Gauge as i32,
        metrics,
    }
}

fn labelled(value: f64, labels: &[(&str, &str)]) -> Metric {
    Metric {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        value,
        histogram: None,
    }
}

/// The host's conversion of a plugin's families, appended to the host's
/// own exposition, is OpenMetrics a strict parser accepts, and reads back
/// as sent: escaped label values and help, special floats, `_total`,
/// cumulative buckets with `+Inf`; what is invalid never reaches the text.
#[tokio::test]
async fn converted_plugin_families_are_valid_openmetrics_and_read_back_as_sent() {
    let mut text = vk_host::metrics::render::render(None).await;
    let eof = text.rfind("# EOF").expect("an exposition ends in # EOF");
    text.truncate(eof);
    let tricky = "back\\slash \"quoted\"\nnew line ünïcode";
    let families = vec![
        gauge(
            "temperature_celsius",
            "Help with \\ and \"quotes\"\nand a second line",
            vec![
                labelled(-1.5, &[("where", tricky)]),
                labelled(f64::NAN, &[("where", "nan")]),
                labelled(f64::INFINITY, &[("where", "inf")]),
                labelled(2.0, &[("where", "forged"), ("plugin", "someone-else")]),
            ],
        ),
        MetricFamily {
            name: "jobs_total".into(),
            help: "Jobs run".into(),
            r#type: MetricType::Counter as i32,
            metrics: vec![labelled(7.0, &[("kind", "batch")])],
        },
        MetricFamily {
            name: "wait_seconds".into(),
            help: "Waits".into(),
            r#type: MetricType::Histogram as i32,
            metrics: vec![Metric {
                labels: Default::default(),
                value: 0.0,
                histogram: Some(Histogram {
                    sample_count: 4,
                    sample_sum: 3.25,
                    buckets: vec![
                        Bucket {
                            cumulative_count: 1,
                            upper_bound: 0.5,
                        },
                        Bucket {
                            cumulative_count: 3,
                            upper_bound: 1.0,
                        },
                    ],
                }),
            }],
        },
        // Left out: a bad name, the host's prefix, a name the host uses, a
        // duplicate, a bad label, a negative counter.
        gauge("bad name", "", vec![labelled(1.0, &[])]),
        gauge("vk_host_fake", "", vec![labelled(1.0, &[])]),
        gauge("process_cpu_seconds_total", "", vec![labelled(1.0, &[])]),
        gauge("temperature_celsius", "", vec![labelled(1.0, &[])]),
        gauge("labels", "", vec![labelled(1.0, &[("bad-label", "x")])]),
        MetricFamily {
            name: "negative".into(),
            help: String::new(),
            r#type: MetricType::Counter as i32,
            metrics: vec![labelled(-1.0, &[])],
        },
    ];
    let mut taken = exported_names(&text);
    let report = convert("my-plugin", &families, &mut taken, &mut text);
    text.push_str("# EOF\n");
    let parsed = openmetrics::families(&text);

    let temperature = &parsed["temperature_celsius"];
    assert_eq!(
        temperature.help,
        "Help with \\ and \"quotes\"\nand a second line"
    );
    let by_where: BTreeMap<&str, f64> = temperature
        .samples
        .iter()
        .map(|s| {
            assert_eq!(s.labels["plugin"], "my-plugin", "{s:?}");
            (s.labels["where"].as_str(), s.value)
        })
        .collect();
    assert_eq!(by_where[tricky], -1.5);
    assert!(by_where["nan"].is_nan());
    assert_eq!(by_where["inf"], f64::INFINITY);
    assert_eq!(by_where["forged"], 2.0);
    assert_eq!(temperature.samples.len(), 4);

    let jobs = &parsed["jobs"];
    assert_eq!(jobs.kind, "counter");
    assert_eq!(
        jobs.sum("jobs_total", &[("kind", "batch"), ("plugin", "my-plugin")]),
        7.0
    );

    let wait = &parsed["wait_seconds"];
    assert_eq!(wait.kind, "histogram");
    let buckets: Vec<(String, f64)> = wait
        .samples
        .iter()
        .filter(|s| s.name == "wait_seconds_bucket")
        .map(|s| (s.labels["le"].clone(), s.value))
        .collect();
    let les: Vec<f64> = buckets
        .iter()
        .map(|(le, _)| le.parse::<f64>().expect("le is a number"))
        .collect();
    assert_eq!(les, [0.5, 1.0, f64::INFINITY]);
    assert_eq!(
        buckets.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1.0, 3.0, 4.0]
    );
    assert_eq!(wait.sum("wait_seconds_count", &[]), 4.0);
    assert_eq!(wait.sum("wait_seconds_sum", &[]), 3.25);

    let names: HashSet<&str> = parsed.keys().map(String::as_str).collect();
    for absent in ["bad name", "vk_host_fake", "vk_host_fake_total"] {
        assert!(!names.contains(absent), "{absent} was exported");
    }
    // A family whose every metric was left out stays, empty.
    for emptied in ["labels", "negative"] {
        assert!(parsed[emptied].samples.is_empty(), "{:?}", parsed[emptied]);
    }
    assert_eq!(
        parsed["process_cpu_seconds"].kind, "counter",
        "the host's family is untouched"
    );
    let dropped: u64 = report.dropped.iter().map(|(_, n)| n).sum();
    assert_eq!(dropped, 6, "{report:?}");
}
