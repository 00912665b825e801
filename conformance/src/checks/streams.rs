//! The streaming rpcs a plugin declares: status push, container logs, exec,
//! attach, port-forward and the node-info watch. Every open and every wait
//! for a message is bounded; a stream still open when a check ends is
//! cancelled by dropping it, as the host does.

use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Pod, PodStatus};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status};
use vk_proto::v1::{
    ContainerLogsRequest, ExecInput, ExecOutput, ExecStart, PortForwardInput, PortForwardStart,
    WatchNodeInfoRequest, WatchPodStatusRequest, exec_input, exec_output, port_forward_input,
};

use crate::context::{Ctx, Outcome, Reply, describe_status, seconds};
use crate::pods::{CONTAINER, label, pod_ref, uid};

/// Time the watch gets to be registered before the pod it should report.
const WATCH_SETTLE: Duration = Duration::from_millis(300);
/// Limit of the port-forward and node-info "first message" waits.
const SHORT: Duration = Duration::from_secs(5);

pub async fn watch_pod_status(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("watch");
    let want = uid(&pod).to_owned();
    let limit = cx.timeout;
    let mut lifecycle = cx.client.lifecycle();
    // Opening is bounded together with the first event: servers in some
    // languages send response headers only with the first message.
    let watch = async {
        let mut events = lifecycle
            .watch_pod_status(WatchPodStatusRequest {})
            .await?
            .into_inner();
        loop {
            match events.message().await? {
                // A message with events only (empty status) is not the
                // status change looked for.
                Some(event)
                    if !event.status.is_empty()
                        && event.pod.as_ref().is_some_and(|p| p.uid == want) =>
                {
                    return Ok(Some(event));
                }
                Some(_) => continue,
                None => return Ok(None),
            }
        }
    };
    let create = async {
        tokio::time::sleep(WATCH_SETTLE).await;
        cx.create_ok(&pod).await
    };
    let (event, created) = tokio::join!(cx.within_for(limit + WATCH_SETTLE, watch), create);
    created?;
    let what = format!(
        "WatchPodStatus opened, then CreatePod of {}: expected a status for that uid within {}",
        label(&pod),
        seconds(limit)
    );
    let event = match event {
        Reply::Ok(Some(event)) => event,
        Reply::Ok(None) => return Err(format!("{what}, got the stream ended by the plugin")),
        Reply::NoAnswer(waited) => {
            return Err(format!(
                "{what}, got no such event (and no error) within {}",
                seconds(waited)
            ));
        }
        other => return Err(format!("{what}, got {}", other.describe())),
    };
    let reference = event.pod.unwrap_or_default();
    let expected = pod_ref(&pod);
    if reference.namespace != expected.namespace || reference.name != expected.name {
        return Err(format!(
            "WatchPodStatus event for uid {want}: expected pod {}/{} (namespace, name and uid are all set), got {:?}/{:?}",
            expected.namespace, expected.name, reference.namespace, reference.name
        ));
    }
    let status: PodStatus = serde_json::from_slice(&event.status).map_err(|e| {
        format!(
            "WatchPodStatus event for {}: status is not a Kubernetes PodStatus in JSON: {e}",
            label(&pod)
        )
    })?;
    Ok(format!(
        "an event for the new pod arrived (phase {})",
        status.phase.as_deref().unwrap_or("unset")
    ))
}

/// How long the idle-stream check keeps the status stream open with
/// nothing to report: longer than any deadline the host applies to a call.
pub const IDLE_STREAM: Duration = Duration::from_secs(15);

/// The status stream as the host opens it (vk-host's own client: a pending
/// call counts as open, since grpc-go and grpcio send the response headers
/// only with the first message), left idle for longer than any host
/// timeout, then a pod is created: its status, and any Events the plugin
/// reports about it, must still arrive on that same stream.
pub async fn watch_idle_stream(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("idle-watch");
    let want = uid(&pod).to_owned();
    let mut stream = cx
        .client
        .watch_pod_status()
        .map_err(|e| format!("opening WatchPodStatus: {e}"))?;
    // Idle: anything the plugin sends meanwhile (other pods' updates) is
    // read and set aside; the stream must not end or fail.
    let idle = tokio::time::sleep(IDLE_STREAM);
    tokio::pin!(idle);
    let mut before = 0usize;
    loop {
        tokio::select! {
            () = &mut idle => break,
            item = stream.next() => match item {
                Some(Ok(_)) => before += 1,
                Some(Err(error)) => {
                    return Err(format!(
                        "WatchPodStatus failed while idle for less than {}: {error}",
                        seconds(IDLE_STREAM)
                    ));
                }
                None => {
                    return Err(format!(
                        "WatchPodStatus ended while idle for less than {}; a stream must stay open until the host cancels it",
                        seconds(IDLE_STREAM)
                    ));
                }
            }
        }
    }
    cx.create_ok(&pod).await?;
    let what = format!(
        "WatchPodStatus open and idle for {}, then CreatePod of {}: expected a status for that uid on the same stream within {}",
        seconds(IDLE_STREAM),
        label(&pod),
        seconds(cx.timeout)
    );
    let mut events = 0usize;
    let found = tokio::time::timeout(cx.timeout, async {
        while let Some(item) = stream.next().await {
            let event = item.map_err(|e| format!("{what}, got {e}"))?;
            if event.pod.as_ref().is_none_or(|p| p.uid != want) {
                continue;
            }
            events += event.events.len();
            if !event.status.is_empty() {
                return Ok(());
            }
        }
        Err(format!("{what}, got the stream ended by the plugin"))
    })
    .await;
    match found {
        Ok(Ok(())) => {}
        Ok(Err(why)) => return Err(why),
        Err(_) => return Err(format!("{what}, got nothing")),
    }
    // Events the plugin reports right after (e.g. Created, Started).
    let _ = tokio::time::timeout(EVENTS_AFTER, async {
        while let Some(Ok(event)) = stream.next().await {
            if event.pod.as_ref().is_some_and(|p| p.uid == want) {
                events += event.events.len();
            }
        }
    })
    .await;
    Ok(format!(
        "after {} idle ({before} other updates), the new pod's status arrived on the same stream, and {events} Events about it",
        seconds(IDLE_STREAM)
    ))
}

/// How long the idle-stream check keeps counting Events after the status.
const EVENTS_AFTER: Duration = Duration::from_secs(1);

fn logs_request(pod: &Pod, container: &str) -> ContainerLogsRequest {
    ContainerLogsRequest {
        pod: Some(pod_ref(pod)),
        container: container.to_owned(),
        ..ContainerLogsRequest::default()
    }
}

/// Reads a non-follow log stream to its end.
async fn read_logs(cx: &Ctx, request: ContainerLogsRequest) -> Reply<Vec<u8>> {
    let mut lifecycle = cx.client.lifecycle();
    cx.within(async {
        let mut chunks = lifecycle.get_container_logs(request).await?.into_inner();
        let mut data = Vec::new();
        while let Some(chunk) = chunks.message().await? {
            data.extend_from_slice(&chunk.data);
        }
        Ok(data)
    })
    .await
}

pub async fn logs(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("logs");
    cx.create_ok(&pod).await?;
    let what = format!(
        "GetContainerLogs (follow=false) of container {CONTAINER} of {}",
        label(&pod)
    );
    let data = read_logs(cx, logs_request(&pod, CONTAINER))
        .await
        .ok(&format!("{what}, read to its end"))?;
    let first_line = String::from_utf8_lossy(&data)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect::<String>();
    Ok(format!(
        "the stream ended after {} bytes{}",
        data.len(),
        if data.is_empty() {
            String::new()
        } else {
            format!(", first line {first_line:?}")
        }
    ))
}

pub async fn logs_unknown_container(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("logs");
    cx.create_ok(&pod).await?;
    read_logs(cx, logs_request(&pod, "no-such-container"))
        .await
        .expect(
            Code::NotFound,
            &format!(
                "GetContainerLogs of container no-such-container of {}",
                label(&pod)
            ),
        )?;
    Ok("logs of an unknown container are NOT_FOUND".into())
}

/// What an exec or attach stream delivered.
#[derive(Debug, Default)]
struct Session {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Exit code and reason, and whether anything came after it.
    exit: Option<(i32, String)>,
    after_exit: usize,
    exits: usize,
}

impl Session {
    fn push(&mut self, output: ExecOutput) {
        if self.exit.is_some() {
            self.after_exit += 1;
        }
        match output.output {
            Some(exec_output::Output::Stdout(data)) => self.stdout.extend_from_slice(&data),
            Some(exec_output::Output::Stderr(data)) => self.stderr.extend_from_slice(&data),
            Some(exec_output::Output::Exit(exit)) => {
                self.exits += 1;
                self.exit = Some((exit.code, exit.reason));
            }
            None => {}
        }
    }

    /// Problems with the order of messages, for a FAIL message.
    fn order_problem(&self) -> Option<String> {
        if self.exits > 1 {
            Some(format!(
                "{} `exit` messages (exactly one is allowed)",
                self.exits
            ))
        } else if self.after_exit > 0 {
            Some(format!(
                "{} messages after `exit` (it must be the last)",
                self.after_exit
            ))
        } else {
            None
        }
    }
}

/// How an exec/attach stream ended within its limit.
enum Ending {
    /// The plugin ended the stream (OK status).
    Clean,
    Error(Status),
    /// Still open at the limit.
    StillOpen,
}

/// Runs one exec/attach: sends `start` then `then`, keeps the client side
/// open, and reads output until the stream ends or `limit` passes.
async fn run_session(
    cx: &Ctx,
    attach: bool,
    start: ExecStart,
    then: Vec<exec_input::Input>,
    limit: Duration,
) -> (Session, Ending) {
    let (input, input_rx) = mpsc::channel(8);
    let mut messages = vec![exec_input::Input::Start(start)];
    messages.extend(then);
    for message in messages {
        // The channel is larger than what is sent, so this never waits.
        let _ = input.try_send(ExecInput {
            input: Some(message),
        });
    }
    let mut lifecycle = cx.client.lifecycle();
    let mut session = Session::default();
    let reading = async {
        let stream = ReceiverStream::new(input_rx);
        let mut outputs = if attach {
            lifecycle.attach(stream).await?.into_inner()
        } else {
            lifecycle.exec(stream).await?.into_inner()
        };
        while let Some(output) = outputs.message().await? {
            session.push(output);
        }
        Ok::<_, Status>(())
    };
    let ending = match tokio::time::timeout(limit, reading).await {
        Ok(Ok(())) => Ending::Clean,
        Ok(Err(status)) => Ending::Error(status),
        Err(_) => Ending::StillOpen,
    };
    drop(input);
    (session, ending)
}

fn exec_start(pod: &Pod, command: &[&str], stdin: bool) -> ExecStart {
    ExecStart {
        pod: Some(pod_ref(pod)),
        container: CONTAINER.to_owned(),
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        stdin,
        stdout: true,
        stderr: true,
        tty: false,
        terminal_size: None,
    }
}

pub async fn exec(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("exec");
    cx.create_ok(&pod).await?;
    let what = format!(
        "Exec of [\"echo\", \"conformance\"] in container {CONTAINER} of {}",
        label(&pod)
    );
    let start = exec_start(&pod, &["echo", "conformance"], false);
    let (session, ending) = run_session(cx, false, start, Vec::new(), cx.timeout).await;
    match ending {
        Ending::Clean => {}
        Ending::Error(status) => {
            return Err(format!(
                "{what}: expected output then `exit`, got {}",
                describe_status(&status)
            ));
        }
        Ending::StillOpen => {
            return Err(format!(
                "{what}: expected output, `exit` and the end of the stream, got no end within {} ({} stdout bytes, exit {})",
                seconds(cx.timeout),
                session.stdout.len(),
                if session.exit.is_some() {
                    "received"
                } else {
                    "not received"
                }
            ));
        }
    }
    if let Some(problem) = session.order_problem() {
        return Err(format!("{what}: got {problem}"));
    }
    let Some((code, reason)) = &session.exit else {
        return Err(format!(
            "{what}: expected an `exit` message as the last message, got the stream ended without one ({} stdout bytes)",
            session.stdout.len()
        ));
    };
    if session.stdout.is_empty() {
        return Err(format!(
            "{what}: expected some stdout, got none (stderr {:?}, exit code {code})",
            String::from_utf8_lossy(&session.stderr)
        ));
    }
    Ok(format!(
        "stdout {:?}, exit code {code}{}",
        String::from_utf8_lossy(&session.stdout),
        if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        }
    ))
}

pub async fn attach(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("attach");
    cx.create_ok(&pod).await?;
    let what = format!(
        "Attach to container {CONTAINER} of {} sending stdin \"ping\\n\" then close_stdin",
        label(&pod)
    );
    let start = exec_start(&pod, &[], true);
    let then = vec![
        exec_input::Input::Stdin(b"ping\n".to_vec().into()),
        exec_input::Input::CloseStdin(true),
    ];
    let limit = SHORT;
    let (session, ending) = run_session(cx, true, start, then, limit).await;
    if let Some(problem) = session.order_problem() {
        return Err(format!("{what}: got {problem}"));
    }
    let output = format!(
        "{} stdout bytes, {} stderr bytes",
        session.stdout.len(),
        session.stderr.len()
    );
    match (ending, &session.exit) {
        (Ending::Error(status), _) => Err(format!(
            "{what}: expected the stream to end with `exit` or cleanly, got {} after {output}",
            describe_status(&status)
        )),
        (Ending::Clean, Some((code, _))) => Ok(format!("{output}, then exit code {code}")),
        (Ending::Clean, None) => Ok(format!("{output}, then a clean end")),
        (Ending::StillOpen, Some((code, _))) => Err(format!(
            "{what}: got `exit` (code {code}) but the stream did not end within {}",
            seconds(limit)
        )),
        // The main process need not end when stdin closes; kubectl detaches
        // by cancelling, which dropping the stream does.
        (Ending::StillOpen, None) => Ok(format!(
            "{output}; still attached after {}, detached by cancelling",
            seconds(limit)
        )),
    }
}

pub async fn port_forward(cx: &Ctx) -> Outcome {
    let pod = cx.pods.pod("portfwd");
    cx.create_ok(&pod).await?;
    let what = format!(
        "PortForward to port 80 of {} sending data \"ping\"",
        label(&pod)
    );
    let (input, input_rx) = mpsc::channel(4);
    for message in [
        port_forward_input::Input::Start(PortForwardStart {
            pod: Some(pod_ref(&pod)),
            port: 80,
        }),
        port_forward_input::Input::Data(b"ping".to_vec().into()),
    ] {
        let _ = input.try_send(PortForwardInput {
            input: Some(message),
        });
    }
    let mut lifecycle = cx.client.lifecycle();
    let first = async {
        let mut outputs = lifecycle
            .port_forward(ReceiverStream::new(input_rx))
            .await?
            .into_inner();
        outputs.message().await
    };
    let reply = cx.within_for(SHORT, first).await;
    drop(input);
    match reply {
        Reply::Ok(Some(output)) => Ok(format!(
            "the pod's side answered {} bytes",
            output.data.len()
        )),
        Reply::Ok(None) => Ok("the plugin ended the connection cleanly".into()),
        // Nothing need listen on port 80 of the test pod: a failed connection
        // reported as an error status is the documented behaviour.
        Reply::Status(status)
            if !matches!(
                status.code(),
                Code::Unimplemented
                    | Code::InvalidArgument
                    | Code::NotFound
                    | Code::Unauthenticated
                    | Code::PermissionDenied
            ) =>
        {
            Ok(format!(
                "the connection failed with {} (acceptable: nothing need listen on port 80 of the test pod)",
                describe_status(&status)
            ))
        }
        other => Err(format!(
            "{what}: expected data, a clean end or a connection error within {}, got {}",
            seconds(SHORT),
            other.describe()
        )),
    }
}

pub async fn watch_node_info(cx: &Ctx) -> Outcome {
    let mut lifecycle = cx.client.lifecycle();
    let first = async {
        let mut infos = lifecycle
            .watch_node_info(WatchNodeInfoRequest {})
            .await?
            .into_inner();
        infos.message().await
    };
    match cx.within_for(SHORT, first).await {
        Reply::Ok(Some(info)) => Ok(format!(
            "the current NodeInfo arrived at once ({} capacity entries)",
            info.capacity.len()
        )),
        Reply::Ok(None) => Err(
            "WatchNodeInfo: expected the current NodeInfo at once, got the stream ended without a message"
                .into(),
        ),
        other => Err(format!(
            "WatchNodeInfo: expected the current NodeInfo within {}, got {}",
            seconds(SHORT),
            other.describe()
        )),
    }
}
