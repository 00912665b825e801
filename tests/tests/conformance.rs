//! `vk-plugin-conformance` run as a plugin author runs it: against the real
//! mock plugin (every check passes) and against plugins that break the
//! contract on purpose (the report names the broken rule, the exit code says
//! what kind of failure it was).

use std::process::{Command, Output};

use vk_tests::processes::{faulty_plugin, workspace_binary};

fn conformance(args: &[&str]) -> Output {
    Command::new(workspace_binary("vk-plugin-conformance"))
        .args(args)
        .output()
        .expect("run vk-plugin-conformance")
}

fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `N passed, N failed[, N skipped]` line, split into its counts.
fn summary(report: &str) -> (usize, usize) {
    let line = report
        .lines()
        .rev()
        .find(|line| line.contains(" passed, "))
        .unwrap_or_else(|| panic!("no summary line in the report:\n{report}"));
    let count = |word: &str| {
        line.split(", ")
            .find_map(|part| part.strip_suffix(word)?.trim().parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no `N {word}` in summary {line:?}"))
    };
    (count(" passed"), count(" failed"))
}

#[test]
fn the_mock_plugin_passes_every_check() {
    let mock = workspace_binary("vk-mock-plugin");
    let output = conformance(&[mock.to_str().expect("utf-8 path")]);
    let report = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "conformance on the mock plugin failed:\n{report}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (passed, failed) = summary(&report);
    assert_eq!(failed, 0, "{report}");
    assert!(passed >= 30, "only {passed} checks passed:\n{report}");
    for check in ["handshake", "create-idempotent", "delete", "shutdown"] {
        assert!(
            report.contains(&format!("PASS {check}: ")),
            "check {check} did not pass:\n{report}"
        );
    }
    assert!(!report.contains("\nFAIL "), "{report}");
}

/// A plugin whose server sends stream response headers only with the first
/// message (grpc-go and grpcio do) passes too, idle status stream included.
#[test]
fn a_plugin_that_sends_stream_headers_with_the_first_message_passes_every_check() {
    let mock = workspace_binary("vk-mock-plugin");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mock.toml");
    std::fs::write(&config, "status_headers_with_first_message = true\n").expect("config");
    let output = conformance(&[
        "--plugin-config",
        config.to_str().expect("utf-8 path"),
        mock.to_str().expect("utf-8 path"),
    ]);
    let report = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "conformance on the mock with late stream headers failed:\n{report}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for check in ["watch-pod-status", "watch-idle-stream"] {
        assert!(
            report.contains(&format!("PASS {check}: ")),
            "check {check} did not pass:\n{report}"
        );
    }
    assert!(!report.contains("\nFAIL "), "{report}");
}

#[test]
fn a_plugin_that_breaks_the_contract_fails_with_the_rule_it_broke() {
    let faulty = faulty_plugin();
    let output = conformance(&[
        faulty.to_str().expect("utf-8 path"),
        "--",
        "broken-contract",
    ]);
    let report = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit code on a failed check:\n{report}"
    );
    // A repeated CreatePod became a second pod; DeletePod removed nothing.
    let create_twice = report
        .lines()
        .find(|line| line.starts_with("FAIL create-idempotent: "))
        .unwrap_or_else(|| panic!("create-idempotent did not fail:\n{report}"));
    assert!(
        create_twice.contains("expected the uid exactly once, got it 2 times"),
        "{create_twice}"
    );
    let delete = report
        .lines()
        .find(|line| line.starts_with("FAIL delete: "))
        .unwrap_or_else(|| panic!("delete did not fail:\n{report}"));
    assert!(delete.contains("after DeletePod"), "{delete}");
    // What it does right still passes, and the summary counts both.
    assert!(report.contains("PASS handshake: "), "{report}");
    let (passed, failed) = summary(&report);
    assert!(passed > 0 && failed >= 2, "{report}");
}

#[test]
fn the_json_report_carries_the_same_verdicts() {
    let faulty = faulty_plugin();
    let output = conformance(&[
        "--json",
        faulty.to_str().expect("utf-8 path"),
        "--",
        "broken-contract",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--json prints one JSON document");
    let checks = report["checks"].as_array().expect("checks array");
    let result_of = |name: &str| {
        checks
            .iter()
            .find(|check| check["name"] == name)
            .and_then(|check| check["result"].as_str())
            .unwrap_or_else(|| panic!("no check {name} in {report}"))
            .to_owned()
    };
    assert_eq!(result_of("handshake"), "pass");
    assert_eq!(result_of("create-idempotent"), "fail");
}

#[test]
fn a_plugin_that_cannot_start_is_a_launch_failure_not_a_check_failure() {
    let faulty = faulty_plugin();
    let output = conformance(&[faulty.to_str().expect("utf-8 path"), "--", "exit-early"]);
    let report = stdout_of(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "report:\n{report}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The handshake fails, naming the exit and the plugin's own last words.
    let handshake = report
        .lines()
        .find(|line| line.starts_with("FAIL handshake: "))
        .unwrap_or_else(|| panic!("no failed handshake in:\n{report}"));
    assert!(
        handshake.contains("exited with exit status: 3"),
        "{handshake}"
    );
    assert!(
        handshake.contains("the widget backend is unreachable"),
        "{handshake}"
    );
}
