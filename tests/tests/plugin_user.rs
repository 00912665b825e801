//! `--plugin-user` end to end: vk-host (root) runs the mock plugin as an
//! unprivileged system user with no supplementary groups; the node goes
//! Ready, a pod runs with its volume data fetched through the callbacks
//! (so the peer-uid check accepts the plugin's uid), and that user cannot
//! read the host's kubeconfig. Also: a missing user fails the start.

use std::os::unix::fs::MetadataExt as _;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use vk_tests::cluster::{Cluster, wait_for_ok};
use vk_tests::processes::workspace_binary;
use vk_tests::virtual_node::{NodeSetup, VirtualNode};

const USER: &str = "vk-plugin-test";

/// Creates the system user once per machine; parallel tests may race, so
/// "already exists" is success.
fn ensure_user() -> (u32, u32) {
    let lookup = || nix::unistd::User::from_name(USER).expect("read the user database");
    if lookup().is_none() {
        let out = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ])
            .output()
            .expect("run useradd (the tests run as root)");
        // 9: the user exists (created meanwhile).
        assert!(
            out.status.success() || out.status.code() == Some(9),
            "useradd {USER}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let user = lookup().expect("the user exists after useradd");
    (user.uid.as_raw(), user.gid.as_raw())
}

/// `(real, effective)` ids of a `/proc/<pid>/status` line such as `Uid:`.
fn ids(status: &str, field: &str) -> Vec<String> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in status:\n{status}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_plugin_runs_as_the_plugin_user_and_cannot_read_the_hosts_kubeconfig() {
    let (uid, gid) = ensure_user();
    let cluster = Cluster::shared();

    // The mock writes its pods file here, as the plugin user.
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the pods dir");
    let pods_file = dir.path().join("pods.json");
    let config = format!(
        "pods_file = {:?}\nfetch_volumes = true\n",
        pods_file.display().to_string()
    );
    let node = VirtualNode::start(
        cluster,
        NodeSetup::mock("plugin-user")
            .plugin_config(&config)
            .host_args(&["--plugin-user", USER]),
    )
    .await;

    let plugin = node.host.plugin_pid().await;
    let status =
        std::fs::read_to_string(format!("/proc/{plugin}/status")).expect("the plugin's status");
    let expect_uid = uid.to_string();
    let expect_gid = gid.to_string();
    assert!(
        ids(&status, "Uid:").iter().all(|id| *id == expect_uid),
        "plugin uid, want {uid}:\n{status}"
    );
    assert!(
        ids(&status, "Gid:").iter().all(|id| *id == expect_gid),
        "plugin gid, want {gid}:\n{status}"
    );
    assert!(
        ids(&status, "Groups:").is_empty(),
        "the plugin keeps no supplementary groups:\n{status}"
    );
    assert!(
        !node.host.log().contains("pass --plugin-user"),
        "no warning with --plugin-user:\n{}",
        node.log_tail()
    );

    // A pod runs, its kube-api-access token fetched through the callbacks.
    node.run_pod(cluster, "web").await;
    let entry = wait_for_ok(
        Duration::from_secs(30),
        "the mock's record of pod web",
        async || {
            let text = std::fs::read_to_string(&pods_file).map_err(|e| e.to_string())?;
            let listing: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            listing
                .into_iter()
                .find(|p| p["name"] == "web")
                .ok_or_else(|| format!("not yet in {text}"))
        },
    )
    .await;
    let volumes = entry["volumes"].as_object().expect("volumes");
    let access = volumes
        .iter()
        .find_map(|(name, files)| name.starts_with("kube-api-access-").then_some(files))
        .unwrap_or_else(|| panic!("a kube-api-access volume: {entry}"));
    assert!(
        access["token"].as_u64().is_some_and(|n| n > 100),
        "the token came through the callbacks: {entry}"
    );

    // The host's kubeconfig: root's, 0600, and out of the plugin user's reach.
    let kubeconfig = cluster.vk_host_kubeconfig();
    let metadata = std::fs::metadata(&kubeconfig).expect("the host's kubeconfig");
    assert_eq!(
        (metadata.uid(), metadata.mode() & 0o777),
        (0, 0o600),
        "{} must be root's and 0600 for this test to mean anything",
        kubeconfig.display()
    );
    let out = Command::new("runuser")
        .args(["-u", USER, "--", "cat"])
        .arg(&kubeconfig)
        .output()
        .expect("run runuser");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("Permission denied") && out.stdout.is_empty(),
        "the plugin user read the kubeconfig: status {}, stderr {stderr}",
        out.status
    );
    // Nor the host's environment (root's process, non-dumpable).
    let host = node.host.pid();
    let out = Command::new("runuser")
        .args(["-u", USER, "--", "cat", &format!("/proc/{host}/environ")])
        .output()
        .expect("run runuser");
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "the plugin user read /proc/{host}/environ"
    );
}

#[tokio::test]
async fn an_unknown_plugin_user_fails_the_start_with_one_line() {
    let out = tokio::process::Command::new(workspace_binary("vk-host"))
        .args(["--plugin"])
        .arg(workspace_binary("vk-mock-plugin"))
        .args(["--plugin-user", "no-such-user-vk", "--node-name", "x"])
        .output()
        .await
        .expect("run vk-host");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--plugin-user \"no-such-user-vk\": no such user"),
        "{stderr}"
    );
}
