//! A plugin reply larger than the message limit is rejected from its length
//! prefix, not allocated. Alone in its test binary so the process's peak
//! memory belongs to this test.

use std::time::Duration;

use vk_host::plugin_process::{Deadlines, MessageLimit, PluginSpec, handshake, launch};
use vk_tests::processes::{faulty_plugin, peak_rss_kib};

#[tokio::test]
async fn an_oversized_reply_is_rejected_not_allocated() {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let spec = PluginSpec {
        path: faulty_plugin(),
        args: vec!["huge-reply".into()],
        config: None,
        runtime_dir: runtime.path().to_owned(),
        env: Default::default(),
    };
    let mut plugin = launch(&spec).await.expect("launch");
    let client = handshake(
        &mut plugin,
        "vk-test",
        Deadlines::default(),
        MessageLimit::default(),
    )
    .await
    .expect("handshake");
    let me = std::process::id();
    let before = peak_rss_kib(me).expect("VmHWM");
    let error = client
        .get_pods()
        .await
        .expect_err("a 32 MiB reply is over the 16 MiB limit");
    let after = peak_rss_kib(me).expect("VmHWM");
    let text = error.to_string();
    println!("oversized reply: {text}; test process peak RSS {before} -> {after} KiB");
    assert_eq!(error.code(), Some(tonic::Code::OutOfRange), "{text}");
    assert!(text.contains("GetPods"), "{text}");
    assert!(
        after < before + 8 * 1024,
        "the 32 MiB reply was buffered: peak RSS grew from {before} to {after} KiB"
    );
    plugin.terminate(Duration::from_secs(2)).await;
}
