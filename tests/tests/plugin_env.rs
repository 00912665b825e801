//! `--plugin-env` end to end: the real vk-host launches a wrapper script that
//! records the environment it was given and then becomes the mock plugin.
//! The named variables arrive, nothing else of the host's does, and a
//! reserved or missing name stops vk-host with one line before it touches
//! the cluster.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::Api;
use nix::sys::signal::Signal;
use vk_host::plugin_process::ENV_ALLOWLIST;
use vk_tests::cluster::{Cluster, node_name};
use vk_tests::processes::{HostProcess, workspace_binary};
use vk_tests::virtual_node::free_port;

/// A plugin that copies the environment it was started with to `record`
/// and execs the mock plugin with its arguments. It copies its own
/// `/proc/$$/environ` rather than running `env`: that is exactly what
/// vk-host passed, before the shell adds PWD or SHLVL.
fn recording_plugin(dir: &Path, record: &Path) -> PathBuf {
    let script = dir.join("recording-plugin");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat /proc/$$/environ > '{}'\nexec '{}' \"$@\"\n",
            record.display(),
            workspace_binary("vk-mock-plugin").display()
        ),
    )
    .expect("write the wrapper script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("chmod 755 the wrapper script");
    script
}

fn host_args(plugin: &Path, node: &str) -> Vec<String> {
    let cluster = Cluster::shared();
    [
        "--plugin",
        plugin.to_str().expect("utf-8 path"),
        "--node-name",
        node,
        "--kubeconfig",
        cluster.vk_host_kubeconfig().to_str().expect("utf-8 path"),
        "--kubelet-address",
        "127.0.0.1",
        "--kubelet-port",
        &free_port().to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `NAME=VALUE` entries of a NUL-separated environment block.
fn parse_environ(raw: &[u8]) -> BTreeMap<String, String> {
    raw.split(|b| *b == 0)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            let (name, value) = text.split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn named_variables_reach_the_plugin_and_nothing_else_of_the_hosts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("plugin-environ");
    let plugin = recording_plugin(dir.path(), &record);
    let mut args = host_args(&plugin, &node_name("penv"));
    args.extend(
        [
            "--plugin-env",
            "PASSED_THROUGH",
            "--plugin-env",
            "SET_HERE=set-value",
            "--plugin-env",
            "HOME=/nonexistent/plugin-home",
        ]
        .map(str::to_owned),
    );
    let host_env = [
        ("PASSED_THROUGH", "from-the-host"),
        ("KUBECONFIG", "/etc/vk-test/secret-kubeconfig"),
        ("KUBERNETES_SERVICE_HOST", "10.0.0.1"),
        ("UNLISTED_HOST_VAR", "not-for-the-plugin"),
    ];
    let mut host = HostProcess::start(&args, &host_env);
    host.wait_for_log("plugin handshake complete", Duration::from_secs(30))
        .await;

    let environ = parse_environ(&std::fs::read(&record).expect("the wrapper's record"));
    assert_eq!(
        environ.get("PASSED_THROUGH").map(String::as_str),
        Some("from-the-host")
    );
    assert_eq!(
        environ.get("SET_HERE").map(String::as_str),
        Some("set-value")
    );
    assert_eq!(
        environ.get("HOME").map(String::as_str),
        Some("/nonexistent/plugin-home"),
        "--plugin-env replaces an allowlisted value"
    );
    assert_eq!(
        environ.get("VK_PLUGIN_NAME_HINT").map(String::as_str),
        Some("recording-plugin")
    );
    for withheld in ["KUBECONFIG", "KUBERNETES_SERVICE_HOST", "UNLISTED_HOST_VAR"] {
        assert!(
            !environ.contains_key(withheld),
            "{withheld} reached the plugin: {:?}",
            environ.keys()
        );
    }
    // Exactly what the README and the proto list: the allowlisted variables
    // vk-host has (HostProcess sets RUST_LOG), the named ones, the launch
    // variables (no VK_PLUGIN_CONFIG without --plugin-config), nothing else.
    let mut expected: Vec<&str> = ENV_ALLOWLIST
        .iter()
        .copied()
        .filter(|name| *name == "RUST_LOG" || std::env::var_os(name).is_some())
        .collect();
    expected.extend([
        "HOME",
        "PASSED_THROUGH",
        "SET_HERE",
        "VK_PLUGIN_MAGIC_COOKIE",
        "VK_PLUGIN_SOCKET",
        "VK_HOST_SOCKET",
        "VK_PLUGIN_PROTOCOL_VERSIONS",
        "VK_PLUGIN_SECRET_FILE",
        "VK_PLUGIN_NAME_HINT",
    ]);
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(
        environ.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
    );

    let status = host
        .signal_and_wait(Signal::SIGTERM, Duration::from_secs(20))
        .await;
    assert!(status.success(), "vk-host exits 0 after SIGTERM: {status}");
    let log = host.log();
    assert!(
        log.contains("PASSED_THROUGH"),
        "the names are logged: {log}"
    );
    for value in ["from-the-host", "set-value"] {
        assert!(
            !log.contains(value),
            "the value {value:?} was logged: {log}"
        );
    }
}

/// One start of vk-host that must be refused, and the line it must print.
struct Refusal {
    flags: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    error: String,
}

#[tokio::test]
async fn a_reserved_or_missing_name_stops_vk_host_before_the_cluster() {
    let cluster = Cluster::shared();
    let nodes: Api<Node> = Api::all(cluster.client().await);
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("plugin-environ");
    let plugin = recording_plugin(dir.path(), &record);
    let launch = "reserved for the launch variables vk-host sets (VK_PLUGIN_*, VK_HOST_*)";
    let refusals = [
        Refusal {
            flags: &["--plugin-env", "VK_PLUGIN_SOCKET=/tmp/elsewhere.sock"],
            env: &[],
            error: format!("--plugin-env \"VK_PLUGIN_SOCKET\": {launch}"),
        },
        Refusal {
            flags: &["--plugin-env", "VK_HOST_SOCKET"],
            env: &[("VK_HOST_SOCKET", "/tmp/host.sock")],
            error: format!("--plugin-env \"VK_HOST_SOCKET\": {launch}"),
        },
        // The environment twin, comma-separated.
        Refusal {
            flags: &[],
            env: &[
                ("VK_PLUGIN_ENV", "AWS_REGION=eu-west-1,KUBECONFIG"),
                ("KUBECONFIG", "/etc/vk-test/secret-kubeconfig"),
            ],
            error: "--plugin-env \"KUBECONFIG\": reserved: the host's cluster credentials \
                    are never given to a plugin"
                .into(),
        },
        Refusal {
            flags: &["--plugin-env", "NOT_SET_ANYWHERE"],
            env: &[],
            error: "--plugin-env \"NOT_SET_ANYWHERE\": vk-host has no NOT_SET_ANYWHERE in its \
                    environment to pass on; set it, or give NOT_SET_ANYWHERE=VALUE"
                .into(),
        },
    ];
    for Refusal { flags, env, error } in refusals {
        let node = node_name("penv-refused");
        let mut args = host_args(&plugin, &node);
        args.extend(flags.iter().map(|flag| (*flag).to_owned()));
        let mut host = HostProcess::start(&args, env);
        let status = tokio::time::timeout(Duration::from_secs(20), host.child.wait())
            .await
            .unwrap_or_else(|_| panic!("vk-host did not exit within 20s for {flags:?} {env:?}"))
            .expect("vk-host exit status");
        let log = host.log();
        assert_eq!(status.code(), Some(2), "{flags:?} {env:?}: {log}");
        assert_eq!(log, format!("vk-host: {error}\n"), "{flags:?} {env:?}");
        assert!(!record.exists(), "the plugin was started for {flags:?}");
        let registered = nodes.get_opt(&node).await.expect("read the Node");
        assert!(
            registered.is_none(),
            "vk-host registered {node} for {flags:?}"
        );
    }
}
