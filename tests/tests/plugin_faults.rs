//! A plugin that misbehaves while it runs pods (`vk-faulty-plugin` modes):
//! what it does wrong reaches the pod in the API, and costs the host's log
//! a bounded number of lines.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::api::ListParams;
use vk_tests::cluster::{Cluster, Identity, node_name, wait_for, wait_for_ok};
use vk_tests::processes::{HostProcess, faulty_plugin};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

/// A GetPodStatus reply over the 16 MiB message limit (32 MiB of it) is
/// refused by the host; the pod gets a Warning event that says so.
#[tokio::test]
async fn a_status_reply_over_the_limit_is_reported_on_the_pod() {
    let cluster = Cluster::shared();
    let mut setup = NodeSetup::mock("huge-status").host_args(&["--plugin-arg", "huge-status"]);
    setup.plugin = "vk-faulty-plugin".into();
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    cluster
        .kubectl_stdin(
            Identity::Admin,
            &["apply", "-f", "-"],
            Some(&node.pod_yaml("oversized", "")),
        )
        .await
        .success();
    let events: Api<Event> = Api::namespaced(cluster.client().await, &ns);
    let message = wait_for_ok(
        Duration::from_secs(60),
        "a Warning event on pod oversized about the GetPodStatus reply",
        async || {
            let list = events
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            list.items
                .iter()
                .find(|e| {
                    e.type_.as_deref() == Some("Warning")
                        && e.involved_object.name.as_deref() == Some("oversized")
                        && e.message
                            .as_deref()
                            .is_some_and(|m| m.contains("GetPodStatus"))
                })
                .and_then(|e| e.message.clone())
                .ok_or_else(|| {
                    format!(
                        "events: {:?}; host log:\n{}",
                        list.items
                            .iter()
                            .map(|e| (&e.reason, &e.message))
                            .collect::<Vec<_>>(),
                        node.log_tail()
                    )
                })
        },
    )
    .await;
    println!("event: {message}");
    assert!(message.contains("too large"), "{message}");
}

/// A plugin pushing 100 statuses a second that are not a PodStatus: the
/// host logs a warning about them at most once per 10 s, with how many it
/// did not log.
#[tokio::test]
async fn malformed_pushed_statuses_are_warned_about_at_a_bounded_rate() {
    let cluster = Cluster::shared();
    let args = [
        "--plugin".to_owned(),
        faulty_plugin().display().to_string(),
        "--plugin-arg".into(),
        "malformed-statuses".into(),
        "--node-name".into(),
        node_name("flood"),
        "--kubeconfig".into(),
        cluster.vk_host_kubeconfig().display().to_string(),
        "--kubelet-address".into(),
        "127.0.0.1".into(),
        "--kubelet-port".into(),
        free_port().to_string(),
    ];
    let host = HostProcess::start(&args, &[]);
    let warning = "the plugin pushed a status that is not a PodStatus";
    host.wait_for_log(warning, Duration::from_secs(30)).await;
    let first = Instant::now();
    let lines = |log: &str| -> Vec<String> {
        log.lines()
            .filter(|line| line.contains(warning))
            .map(str::to_owned)
            .collect()
    };
    // The second warning comes 10 s after the first, counting the pushes
    // in between (about 1000).
    let second = wait_for(
        Duration::from_secs(60),
        "a second warning about malformed statuses",
        async || lines(&host.log()).get(1).cloned(),
    )
    .await;
    let elapsed = first.elapsed();
    let all = lines(&host.log());
    println!(
        "{} warnings in {elapsed:?}; the second: {second}",
        all.len()
    );
    // Unlimited, that would be ~100 lines a second.
    let bound = 2 + elapsed.as_secs() / 10;
    assert!(
        all.len() as u64 <= bound,
        "{} warnings in {elapsed:?} (at most {bound}):\n{}",
        all.len(),
        all.join("\n")
    );
    let suppressed: u64 = second
        .split_once("suppressed=")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the warning counts the suppressed ones: {second}"));
    assert!(
        suppressed >= 100,
        "10 s of pushes at up to 100 a second, {suppressed} counted: {second}"
    );
}
