//! What a careless or hostile caller does: malformed requests are
//! INVALID_ARGUMENT, fifty concurrent calls are all answered and counted
//! once, and calls without (or with a wrong) per-launch secret are
//! UNAUTHENTICATED.

use k8s_openapi::api::core::v1::Pod;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::metadata::MetadataValue;
use vk_proto::v1::plugin_identity_client::PluginIdentityClient;
use vk_proto::v1::pod_lifecycle_client::PodLifecycleClient;
use vk_proto::v1::{
    CreatePodRequest, ExecInput, GetPodRequest, GetPodsRequest, ProbeRequest, exec_input,
};

use crate::context::{Ctx, Outcome, Reply, code_name, seconds};
use crate::pods::{self, label};

/// How many pods the concurrency checks create at once.
const CONCURRENT: usize = 50;

async fn create_raw(cx: &Ctx, body: Vec<u8>) -> Reply<()> {
    let mut lifecycle = cx.client.lifecycle();
    cx.unary(lifecycle.create_pod(cx.request(CreatePodRequest { pod: body.into() })))
        .await
        .unit()
}

pub async fn invalid_create_empty(cx: &Ctx) -> Outcome {
    create_raw(cx, Vec::new())
        .await
        .expect(Code::InvalidArgument, "CreatePod with an empty `pod`")?;
    Ok("an empty pod is INVALID_ARGUMENT".into())
}

pub async fn invalid_create_not_json(cx: &Ctx) -> Outcome {
    create_raw(cx, b"not json".to_vec())
        .await
        .expect(Code::InvalidArgument, "CreatePod with `pod` = \"not json\"")?;
    Ok("a pod that is not JSON is INVALID_ARGUMENT".into())
}

pub async fn invalid_create_no_uid(cx: &Ctx) -> Outcome {
    let mut pod = cx.pods.pod("nouid");
    pod.metadata.uid = None;
    let body = serde_json::to_vec(&pod).map_err(|e| format!("encoding the test pod: {e}"))?;
    create_raw(cx, body).await.expect(
        Code::InvalidArgument,
        &format!(
            "CreatePod of {}/{} without metadata.uid",
            pod.metadata.namespace.as_deref().unwrap_or(""),
            pod.metadata.name.as_deref().unwrap_or("")
        ),
    )?;
    Ok("a pod without metadata.uid is INVALID_ARGUMENT".into())
}

pub async fn invalid_get_no_pod_ref(cx: &Ctx) -> Outcome {
    let mut lifecycle = cx.client.lifecycle();
    cx.unary(lifecycle.get_pod(cx.request(GetPodRequest { pod: None })))
        .await
        .expect(Code::InvalidArgument, "GetPod without a PodRef")?;
    Ok("GetPod without a PodRef is INVALID_ARGUMENT".into())
}

pub async fn invalid_exec_first_message(cx: &Ctx) -> Outcome {
    let (input, input_rx) = mpsc::channel(1);
    let _ = input.try_send(ExecInput {
        input: Some(exec_input::Input::Stdin(b"echo hi\n".to_vec().into())),
    });
    let mut lifecycle = cx.client.lifecycle();
    let reply = cx
        .within(async {
            let mut outputs = lifecycle
                .exec(ReceiverStream::new(input_rx))
                .await?
                .into_inner();
            while outputs.message().await?.is_some() {}
            Ok(())
        })
        .await;
    drop(input);
    reply.expect(
        Code::InvalidArgument,
        "Exec whose first message is `stdin` instead of `start`",
    )?;
    Ok("an exec stream not starting with `start` is INVALID_ARGUMENT".into())
}

/// Creates `pods` all at once; the failures as messages.
async fn create_all(cx: &Ctx, pods: &[Pod]) -> Vec<String> {
    let replies = futures::future::join_all(pods.iter().map(|pod| cx.create(pod))).await;
    pods.iter()
        .zip(replies)
        .filter(|(_, reply)| !reply.is(Code::Ok))
        .map(|(pod, reply)| format!("CreatePod of {}: {}", label(pod), reply.describe()))
        .collect()
}

fn first_few(problems: &[String]) -> String {
    let shown = problems
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > 3 {
        format!("{shown}; and {} more", problems.len() - 3)
    } else {
        shown
    }
}

pub async fn concurrent_create(cx: &Ctx) -> Outcome {
    let pods: Vec<Pod> = (0..CONCURRENT).map(|_| cx.pods.pod("many")).collect();
    let failed = create_all(cx, &pods).await;
    if !failed.is_empty() {
        return Err(format!(
            "{CONCURRENT} concurrent CreatePods of distinct pods: expected all OK, got {} failures: {}",
            failed.len(),
            first_few(&failed)
        ));
    }
    let list = cx
        .get_pods()
        .await
        .ok("GetPods after 50 concurrent CreatePods")?;
    let wrong: Vec<String> = pods
        .iter()
        .filter_map(|pod| {
            let n = list
                .iter()
                .filter(|p| p.metadata.uid.as_deref() == Some(pods::uid(pod)))
                .count();
            (n != 1).then(|| format!("{} listed {n} times", label(pod)))
        })
        .collect();
    if !wrong.is_empty() {
        return Err(format!(
            "GetPods after {CONCURRENT} concurrent CreatePods: expected each pod exactly once, got {} wrong: {}",
            wrong.len(),
            first_few(&wrong)
        ));
    }
    Ok(format!(
        "{CONCURRENT} concurrent CreatePods OK; GetPods lists each once"
    ))
}

pub async fn concurrent_delete(cx: &Ctx) -> Outcome {
    let pods: Vec<Pod> = (0..CONCURRENT).map(|_| cx.pods.pod("many")).collect();
    let failed = create_all(cx, &pods).await;
    if !failed.is_empty() {
        return Err(format!(
            "{CONCURRENT} concurrent CreatePods (to delete them): expected all OK, got {} failures: {}",
            failed.len(),
            first_few(&failed)
        ));
    }
    let replies = futures::future::join_all(pods.iter().map(|pod| cx.delete(pod))).await;
    let failed: Vec<String> = pods
        .iter()
        .zip(replies)
        .filter(|(_, reply)| !reply.is(Code::Ok))
        .map(|(pod, reply)| format!("DeletePod of {}: {}", label(pod), reply.describe()))
        .collect();
    if !failed.is_empty() {
        return Err(format!(
            "{CONCURRENT} concurrent DeletePods of held pods: expected all OK, got {} failures: {}",
            failed.len(),
            first_few(&failed)
        ));
    }
    Ok(format!("{CONCURRENT} concurrent DeletePods OK"))
}

/// A fresh connection to the plugin's socket, carrying no secret.
async fn bare_channel(cx: &Ctx) -> Result<tonic::transport::Channel, String> {
    let what = format!("dialing the plugin socket {}", cx.socket.display());
    match tokio::time::timeout(cx.timeout, vk_proto::uds::connect(&cx.socket)).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(error)) => Err(format!("{what}: {error}")),
        Err(_) => Err(format!("{what}: no answer within {}", seconds(cx.timeout))),
    }
}

pub async fn unauthenticated_missing_secret(cx: &Ctx) -> Outcome {
    let channel = bare_channel(cx).await?;
    let mut lifecycle = PodLifecycleClient::new(channel.clone());
    cx.unary(lifecycle.get_pods(cx.request(GetPodsRequest {})))
        .await
        .expect(
            Code::Unauthenticated,
            "GetPods without `authorization` metadata",
        )?;
    let mut identity = PluginIdentityClient::new(channel);
    cx.unary(identity.probe(cx.request(ProbeRequest {})))
        .await
        .expect(
            Code::Unauthenticated,
            "Probe without `authorization` metadata",
        )?;
    Ok("GetPods and Probe without the secret are UNAUTHENTICATED".into())
}

pub async fn unauthenticated_wrong_secret(cx: &Ctx) -> Outcome {
    let channel = bare_channel(cx).await?;
    let mut lifecycle = PodLifecycleClient::new(channel);
    let mut request = cx.request(GetPodsRequest {});
    let wrong = format!("Bearer {}", "0".repeat(64));
    let value: MetadataValue<_> = wrong
        .parse()
        .map_err(|e| format!("building the metadata value: {e}"))?;
    request
        .metadata_mut()
        .insert(vk_proto::AUTHORIZATION_METADATA, value);
    let reply = cx.unary(lifecycle.get_pods(request)).await;
    let code = reply.code();
    reply.expect(
        Code::Unauthenticated,
        "GetPods with `authorization: Bearer 000…0` (not this launch's secret)",
    )?;
    Ok(format!(
        "a wrong secret is {}",
        code_name(code.unwrap_or(Code::Unknown))
    ))
}
