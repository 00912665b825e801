//! [`MockProvider`]: the `Provider` implementation. It owns the pod table,
//! the status broadcast and the timers that move pods along their lifecycle,
//! and delegates status building, logs, exec and stats to their modules.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use tracing::Instrument as _;
use vk_plugin_sdk::proto::{
    Capability, GetMetricsResourceResponse, GetStatsSummaryResponse, MetricFamily, NodeInfo,
};
use vk_plugin_sdk::{
    ByteStream, ExecRequest, ExecSession, ExitStatus, HostClient, LogsRequest, PodEvent, PodKey,
    PodStatusFeed, PodStatusStream, PodStatusUpdate, PortForwardConnection, Provider,
    ProviderError, Readiness,
};

use crate::clock::{self, Timestamp};
use crate::config::{Config, PodCidr};
use crate::exec;
use crate::logs::{self, Liveness, LogPlan};
use crate::metrics::{CreateOutcome, MockMetrics};
use crate::node;
use crate::pods::{Entry, PodTable, not_found, pod_table_key};
use crate::stats;
use crate::status::{self, Exit, Lifecycle, Stage, StatusInput};

/// How often a session (exec, attach, port-forward) checks that its container
/// still runs.
const SESSION_POLL: Duration = Duration::from_millis(250);

/// The in-memory provider. Cloning is cheap and clones share all state.
#[derive(Debug, Clone)]
pub struct MockProvider {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    pods: PodTable,
    /// `None` when `status_push` is off.
    /// Status updates and Events for the host (None without status_push).
    events: Option<PodStatusFeed>,
    next_ip: AtomicU64,
    pod_cidr: PodCidr,
    /// When the plugin started: the node's start time in stats.
    started: Timestamp,
    node: NodeInfo,
    /// The host's callbacks, for `fetch_volumes`.
    host: Option<HostClient>,
    /// The plugin's own metrics (CAPABILITY_PLUGIN_METRICS).
    metrics: MockMetrics,
}

/// A pod's annotation value, if present.
fn annotation<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(key)
        .map(String::as_str)
}

/// The fault message when `pod` carries the fault annotation `key`.
fn fault(pod: &Pod, key: &str, what: &str) -> Option<String> {
    annotation(pod, key).map(|value| {
        if value.trim().is_empty() {
            format!("{what} failed: injected by the mock plugin (annotation {key})")
        } else {
            value.to_owned()
        }
    })
}

fn uid_of(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or_default()
}

/// The pod as stored: metadata and spec; of the status only the QoS class,
/// which the API server computes and the mock reports back.
fn stored(mut pod: Pod) -> Arc<Pod> {
    pod.status = pod.status.and_then(|s| {
        s.qos_class.map(|qos_class| PodStatus {
            qos_class: Some(qos_class),
            ..Default::default()
        })
    });
    Arc::new(pod)
}

/// A container of the pod by name, and whether it is a run-to-completion
/// init container.
fn find_container<'a>(pod: &'a Pod, name: &str) -> Option<(&'a Container, bool)> {
    let spec = pod.spec.as_ref()?;
    if let Some(c) = spec.containers.iter().find(|c| c.name == name) {
        return Some((c, false));
    }
    let c = spec
        .init_containers
        .as_ref()?
        .iter()
        .find(|c| c.name == name)?;
    Some((c, c.restart_policy.as_deref() != Some("Always")))
}

/// When the named container started and (if it has) ended.
fn container_span(
    entry: &Entry,
    name: &str,
    now: Timestamp,
) -> Result<(Timestamp, Option<Timestamp>), ProviderError> {
    let key = entry.key();
    let (_, init) = find_container(&entry.pod, name)
        .ok_or_else(|| ProviderError::NotFound(format!("container {name} is not in pod {key}")))?;
    let not_started = || {
        ProviderError::FailedPrecondition(if entry.life.deleted.is_some() {
            format!("container {name} in pod {key} never started: the pod was deleted first")
        } else {
            format!("container {name} in pod {key} is waiting to start: ContainerCreating")
        })
    };
    let (started, ended) = entry.life.run_span(now).ok_or_else(not_started)?;
    Ok(if init {
        (started, Some(started))
    } else {
        (started, ended)
    })
}

/// The kubelet's events for a pod's containers starting (the mock has no
/// image to pull): `Created` and `Started`, one pair per container.
fn started_events(entry: &Entry) -> Vec<PodEvent> {
    let containers = entry.pod.spec.iter().flat_map(|spec| &spec.containers);
    containers
        .flat_map(|c| {
            [
                PodEvent::normal("Created", format!("Created container: {}", c.name))
                    .about(&c.name),
                PodEvent::normal("Started", format!("Started container {}", c.name)).about(&c.name),
            ]
        })
        .collect()
}

impl MockProvider {
    /// A provider with no pods, configured by `config` (already validated by
    /// [`vk_plugin_sdk::config::load`]).
    pub fn new(config: Config) -> Self {
        Self::with_host(config, None)
    }

    /// A provider that can reach the host's callbacks (needed by
    /// `fetch_volumes`).
    pub fn with_host(config: Config, host: Option<HostClient>) -> Self {
        let events = config
            .status_push
            .then(|| PodStatusFeed::new(config.status_buffer));
        Self {
            inner: Arc::new(Inner {
                pod_cidr: config.pod_cidr(),
                node: node::node_info(&config),
                config,
                pods: PodTable::default(),
                events,
                next_ip: AtomicU64::new(0),
                started: clock::now(),
                host,
                metrics: MockMetrics::default(),
            }),
        }
    }

    /// How many UpdatePod calls the pod has seen, if it is held.
    pub fn update_count(&self, key: &PodKey) -> Option<u64> {
        self.inner.pods.get(key).ok().map(|e| e.updates)
    }

    /// What [`crate::pods_file`] writes: one line per held pod, sorted.
    pub fn listing(&self) -> Vec<crate::pods_file::Listed> {
        self.sorted_entries()
            .iter()
            .map(|entry| {
                let meta = &entry.pod.metadata;
                crate::pods_file::Listed {
                    namespace: meta.namespace.clone().unwrap_or_default(),
                    name: meta.name.clone().unwrap_or_default(),
                    uid: entry.uid().to_owned(),
                    labels: meta.labels.clone().unwrap_or_default(),
                    updates: entry.updates,
                    deleted: entry.life.deleted.is_some(),
                    env: crate::pods_file::environments(&entry.pod),
                    commands: crate::pods_file::commands(&entry.pod),
                    volumes: entry.volumes.clone(),
                }
            })
            .collect()
    }

    /// Whether the pod under `key` is held with this uid (a repeated
    /// CreatePod, which changes nothing).
    fn holds_uid(&self, key: &str, uid: &str) -> bool {
        self.inner
            .pods
            .read(key, |entry| entry.is_some_and(|e| e.uid() == uid))
    }

    /// How many pods are held (including ones terminating).
    pub fn pod_count(&self) -> usize {
        self.inner.pods.len()
    }

    /// The configured `pods_file`, if any.
    pub fn pods_file(&self) -> Option<&std::path::Path> {
        self.config().pods_file.as_deref()
    }

    fn config(&self) -> &Config {
        &self.inner.config
    }

    fn status_of(&self, entry: &Entry, now: Timestamp) -> PodStatus {
        status::pod_status(
            StatusInput {
                pod: &entry.pod,
                life: entry.life,
                pod_ip: entry.pod_ip,
                host_ip: self
                    .config()
                    .report_host_ip
                    .then_some(self.config().host_ip),
            },
            now,
        )
    }

    fn pod_of(&self, entry: &Entry, now: Timestamp) -> Pod {
        let mut pod = (*entry.pod).clone();
        pod.status = Some(self.status_of(entry, now));
        pod
    }

    fn watched(&self) -> bool {
        self.inner.events.is_some()
    }

    /// Pushes the entry's status at `now`, and the kubelet's `Started`
    /// events when its containers start at `now`. Called with the entry's
    /// shard locked, so updates of one pod are sent in the order its state
    /// changed. The feed keeps them while the host reconnects.
    fn push(&self, entry: &Entry, now: Timestamp) {
        if let Some(events) = &self.inner.events {
            events.send(PodStatusUpdate::status(
                entry.key(),
                self.status_of(entry, now),
            ));
            if entry.life.started == now && entry.life.deleted.is_none() {
                events.send(PodStatusUpdate::events(entry.key(), started_events(entry)));
            }
        }
    }

    /// Pushes the status of pod `key` (if it is still `uid` and not deleted)
    /// once `at` has come: the containers started or exited.
    fn push_at(&self, key: String, uid: String, at: Timestamp) {
        let this = self.clone();
        let span = tracing::debug_span!("mock_pod_timer", pod = %key);
        tokio::spawn(
            async move {
                tokio::time::sleep(clock::until(clock::now(), at)).await;
                // The monotonic timer may fire a hair before the wall clock
                // reaches `at`; report the status as of `at` at least.
                let now = clock::now().max(at);
                this.inner.pods.write(&key, |shard| {
                    if let Some(entry) = shard.get(&key)
                        && entry.uid() == uid
                        && entry.life.deleted.is_none()
                    {
                        this.push(entry, now);
                    }
                });
            }
            .instrument(span),
        );
    }

    /// Forgets pod `key` (if it is still `uid`) after `delay`.
    fn remove_after(&self, key: String, uid: String, delay: Duration) {
        let this = self.clone();
        let span = tracing::debug_span!("mock_pod_removal", pod = %key);
        tokio::spawn(
            async move {
                tokio::time::sleep(delay).await;
                this.inner.pods.write(&key, |shard| {
                    if shard.get(&key).is_some_and(|e| e.uid() == uid) {
                        shard.remove(&key);
                    }
                });
                tracing::debug!("removed");
            }
            .instrument(span),
        );
    }

    /// The exit code the pod's exit-code annotation asks for, if any.
    fn exit_code(&self, pod: &Pod) -> Result<Option<i32>, ProviderError> {
        let key = &self.config().annotations.exit_code;
        annotation(pod, key)
            .map(|value| {
                value.trim().parse::<i32>().map_err(|_| {
                    ProviderError::InvalidArgument(format!(
                        "pod {}: annotation {key} must be an integer exit code, not {value:?}",
                        PodKey::of(pod)
                    ))
                })
            })
            .transpose()
    }

    /// The log stream of one container of `entry`, per `request`.
    fn logs_of(&self, entry: &Entry, request: &LogsRequest) -> Result<ByteStream, ProviderError> {
        let (start, end) = container_span(entry, &request.container, clock::now())?;
        let pod = &entry.pod.metadata;
        let plan = LogPlan {
            prefix: format!(
                "{}/{}/{}",
                pod.namespace.as_deref().unwrap_or_default(),
                pod.name.as_deref().unwrap_or_default(),
                request.container
            ),
            start,
            interval: self.config().log_interval(),
            timestamps: request.timestamps,
        };
        let this = self.clone();
        let table_key = pod_table_key(&entry.pod);
        let uid = entry.uid().to_owned();
        let container = request.container.clone();
        let liveness = move || {
            this.inner.pods.read(&table_key, |entry| match entry {
                Some(entry) if entry.uid() == uid => {
                    match container_span(entry, &container, clock::now()) {
                        Ok((_, None)) => Liveness::Running,
                        Ok((_, Some(end))) => Liveness::Ended(end),
                        Err(_) => Liveness::Gone,
                    }
                }
                _ => Liveness::Gone,
            })
        };
        Ok(logs::stream(plan, end, request, liveness))
    }

    /// Entries sorted by namespace/name, so listings are stable.
    fn sorted_entries(&self) -> Vec<Entry> {
        let mut entries = self.inner.pods.snapshot();
        entries.sort_unstable_by(|a, b| {
            let (a, b) = (&a.pod.metadata, &b.pod.metadata);
            (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name))
        });
        entries
    }

    /// Waits until the session's container no longer runs and returns how
    /// the session ends: the container's exit code when it exited on its own,
    /// 137 (killed) when the pod was deleted or is gone.
    async fn until_stopped(&self, key: &PodKey) -> ExitStatus {
        loop {
            tokio::time::sleep(SESSION_POLL).await;
            if let Some(status) = self.stopped(key) {
                return status;
            }
        }
    }

    /// How a session in pod `key` ends now, or `None` while it still runs.
    fn stopped(&self, key: &PodKey) -> Option<ExitStatus> {
        let now = clock::now();
        let stage = self
            .inner
            .pods
            .get(key)
            .ok()
            .filter(|e| e.life.deleted.is_none())
            .map(|e| e.life.stage(now));
        match stage {
            Some(Stage::Running) => None,
            Some(Stage::Exited { exit, .. }) => Some(ExitStatus::code(exit.code)),
            Some(Stage::Pending) | None => Some(ExitStatus {
                code: 137,
                reason: "ContainerStopped".into(),
            }),
        }
    }

    /// The held entry of a session's pod, whose container `name` must run.
    fn running_container(
        &self,
        key: &PodKey,
        name: &str,
    ) -> Result<(Entry, Container), ProviderError> {
        let entry = self.inner.pods.get(key)?;
        let (container, init) = find_container(&entry.pod, name).ok_or_else(|| {
            ProviderError::NotFound(format!("container {name} is not in pod {key}"))
        })?;
        if init || !entry.life.is_running(clock::now()) {
            return Err(ProviderError::FailedPrecondition(format!(
                "container {name} in pod {key} is not running"
            )));
        }
        let container = container.clone();
        Ok((entry, container))
    }

    /// CreatePod; `true` when it created the pod, `false` when it held it
    /// already.
    async fn create(&self, pod: Pod) -> Result<bool, ProviderError> {
        let key = pod_table_key(&pod);
        if pod.spec.as_ref().is_none_or(|s| s.containers.is_empty()) {
            return Err(ProviderError::InvalidArgument(format!(
                "pod {key} has no containers"
            )));
        }
        let uid = uid_of(&pod).to_owned();
        let failure = fault(&pod, &self.config().annotations.fail_create, "CreatePod");
        let volumes = match (&self.inner.host, self.config().fetch_volumes) {
            (Some(host), true) if !self.holds_uid(&key, &uid) => {
                crate::volumes::fetch(host, &pod).await?
            }
            (None, true) => {
                return Err(ProviderError::FailedPrecondition(
                    "fetch_volumes is set but the provider has no host client".into(),
                ));
            }
            _ => Default::default(),
        };
        let exit_code = self.exit_code(&pod)?;
        let now = clock::now();
        let started = clock::after(now, self.config().start_delay());
        let created = self.inner.pods.write(&key, |shard| {
            if let Some(held) = shard.get(&key) {
                return if held.uid() == uid {
                    Ok(false)
                } else {
                    Err(ProviderError::AlreadyExists(format!(
                        "pod {key} is held under uid {}, not {uid}",
                        held.uid()
                    )))
                };
            }
            if let Some(message) = failure {
                return Err(ProviderError::Unavailable(message));
            }
            let mut life = Lifecycle::new(now, started);
            life.exit = exit_code.map(|code| Exit {
                at: started,
                code,
                killed: false,
            });
            let ip = self.inner.next_ip.fetch_add(1, Ordering::Relaxed);
            let entry = Entry {
                pod: stored(pod),
                life,
                pod_ip: self.inner.pod_cidr.address(ip),
                updates: 0,
                volumes,
            };
            self.push(&entry, now);
            shard.insert(key.clone(), entry);
            Ok(true)
        })?;
        if created {
            tracing::debug!(pod = %key, %uid, "created");
            if started > now && self.inner.events.is_some() {
                self.push_at(key, uid, started);
            }
        }
        Ok(created)
    }
}

#[vk_plugin_sdk::async_trait]
impl Provider for MockProvider {
    fn capabilities(&self) -> Vec<Capability> {
        self.config().capabilities()
    }

    async fn create_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let started = std::time::Instant::now();
        let result = self.create(pod).await;
        let outcome = match &result {
            Ok(true) => CreateOutcome::Created,
            Ok(false) => CreateOutcome::AlreadyHeld,
            Err(_) => CreateOutcome::Failed,
        };
        self.inner
            .metrics
            .create_done(outcome, started.elapsed().as_secs_f64());
        result.map(|_| ())
    }

    async fn update_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let key = pod_table_key(&pod);
        let pod_key = PodKey::of(&pod);
        let uid = uid_of(&pod).to_owned();
        let exit_code = self.exit_code(&pod)?;
        let now = clock::now();
        self.inner.pods.write(&key, |shard| {
            let entry = shard
                .get_mut(&key)
                .filter(|e| e.uid() == uid)
                .ok_or_else(|| not_found(&pod_key))?;
            let watched = self.watched();
            let before = watched.then(|| self.status_of(entry, now));
            entry.pod = stored(pod);
            entry.updates += 1;
            if let Some(code) = exit_code
                && entry.life.exit.is_none()
            {
                // Adding the annotation to a running pod makes it exit now;
                // to a pending one, as soon as it starts (the start timer pushes).
                entry.life.exit = Some(Exit {
                    at: now.max(entry.life.started),
                    code,
                    killed: false,
                });
            }
            if let Some(before) = before
                && before != self.status_of(entry, now)
            {
                self.push(entry, now);
            }
            Ok(())
        })
    }

    async fn delete_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let key = pod_table_key(&pod);
        let pod_key = PodKey::of(&pod);
        let uid = uid_of(&pod).to_owned();
        let failure = fault(&pod, &self.config().annotations.fail_delete, "DeletePod");
        let delay = self.config().delete_delay();
        let now = clock::now();
        let remove_later = self.inner.pods.write(&key, |shard| {
            let entry = shard
                .get_mut(&key)
                .filter(|e| e.uid() == uid)
                .ok_or_else(|| not_found(&pod_key))?;
            if let Some(message) = failure {
                return Err(ProviderError::Unavailable(message));
            }
            if entry.life.deleted.is_some() {
                // Already terminating: a repeated delete changes nothing.
                return Ok(false);
            }
            entry.life.deleted = Some(now);
            // Containers stop now, unless they already exited on their own.
            if entry.life.exit.is_none_or(|e| e.at > now) {
                entry.life.exit = Some(Exit {
                    at: now,
                    code: 0,
                    killed: true,
                });
            }
            self.push(entry, now);
            if delay.is_zero() {
                shard.remove(&key);
                Ok(false)
            } else {
                Ok(true)
            }
        })?;
        tracing::debug!(pod = %key, %uid, "deleted");
        if remove_later {
            self.remove_after(key, uid, delay);
        }
        Ok(())
    }

    async fn get_pod(&self, key: &PodKey) -> Result<Pod, ProviderError> {
        let entry = self.inner.pods.get(key)?;
        Ok(self.pod_of(&entry, clock::now()))
    }

    async fn get_pod_status(&self, key: &PodKey) -> Result<PodStatus, ProviderError> {
        let entry = self.inner.pods.get(key)?;
        Ok(self.status_of(&entry, clock::now()))
    }

    async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError> {
        let now = clock::now();
        Ok(self
            .sorted_entries()
            .iter()
            .map(|entry| self.pod_of(entry, now))
            .collect())
    }

    async fn probe(&self) -> Readiness {
        match &self.config().not_ready_file {
            Some(path) if path.exists() => Readiness::NotReady(format!(
                "the mock plugin's not_ready_file {} exists",
                path.display()
            )),
            _ => Readiness::Ready,
        }
    }

    async fn shutdown(&self) {
        tracing::info!(
            pods = self.pod_count(),
            "shutting down; the pods held in memory are forgotten"
        );
    }

    async fn watch_pod_status(&self) -> Result<PodStatusStream, ProviderError> {
        let events = self.inner.events.as_ref().ok_or_else(|| {
            ProviderError::Unsupported("pod status stream (status_push = false)".into())
        })?;
        let mut updates = events.subscribe();
        if self.config().status_headers_with_first_message {
            // As a grpc-go or grpcio server: the response headers go out
            // only with the first message, so the host's call stays pending
            // while nothing happens.
            let first = updates.next().await;
            return Ok(Box::pin(futures::stream::iter(first).chain(updates)));
        }
        Ok(updates)
    }

    async fn container_logs(&self, request: LogsRequest) -> Result<ByteStream, ProviderError> {
        let key = &request.pod;
        if request.previous {
            return Err(ProviderError::NotFound(format!(
                "container {} in pod {key} has no previous instance (the mock never restarts containers)",
                request.container
            )));
        }
        let entry = self.inner.pods.get(key)?;
        self.logs_of(&entry, &request)
    }

    async fn exec(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let (_, container) = self.running_container(&request.pod, &request.container)?;
        let env: Vec<(String, String)> = container
            .env
            .iter()
            .flatten()
            .filter_map(|var| var.value.clone().map(|value| (var.name.clone(), value)))
            .collect();
        let command = exec::parse(&request.command);
        tokio::select! {
            status = exec::run(command, &request, session, &env) => Ok(status),
            status = self.until_stopped(&request.pod) => Ok(status),
        }
    }

    async fn attach(
        &self,
        request: ExecRequest,
        mut session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let (entry, _) = self.running_container(&request.pod, &request.container)?;
        if request.stdin {
            return Ok(tokio::select! {
                () = exec::echo_stdin(&request, &mut session) => ExitStatus::code(0),
                status = self.until_stopped(&request.pod) => status,
            });
        }
        // No stdin: show the main process's output as it is written (the
        // log lines from now on) until the client detaches (a write fails)
        // or the container stops.
        let mut output = self.logs_of(
            &entry,
            &LogsRequest {
                pod: request.pod.clone(),
                container: request.container.clone(),
                tail_lines: Some(0),
                follow: true,
                ..Default::default()
            },
        )?;
        while let Some(chunk) = output.next().await {
            let Ok(data) = chunk else { break };
            if (request.stdout || request.tty) && session.stdout.send(data).await.is_err() {
                return Ok(ExitStatus::code(0));
            }
        }
        Ok(self
            .stopped(&request.pod)
            .unwrap_or_else(|| ExitStatus::code(0)))
    }

    async fn port_forward(
        &self,
        pod: PodKey,
        _port: u16,
        connection: PortForwardConnection,
    ) -> Result<(), ProviderError> {
        let entry = self.inner.pods.get(&pod)?;
        if !entry.life.is_running(clock::now()) {
            return Err(ProviderError::FailedPrecondition(format!(
                "pod {pod} is not running"
            )));
        }
        let PortForwardConnection {
            mut from_client,
            to_client,
        } = connection;
        let echo = async {
            while let Some(data) = from_client.recv().await {
                if to_client.send(data).await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            () = echo => {}
            _ = self.until_stopped(&pod) => {}
        }
        Ok(())
    }

    async fn stats_summary(&self) -> Result<GetStatsSummaryResponse, ProviderError> {
        let entries = self.sorted_entries();
        Ok(stats::summary(
            &entries,
            &self.config().usage,
            self.inner.started,
            clock::now(),
        ))
    }

    async fn metrics_resource(&self) -> Result<GetMetricsResourceResponse, ProviderError> {
        let entries = self.sorted_entries();
        Ok(stats::metrics(&entries, &self.config().usage, clock::now()))
    }

    async fn node_info(&self) -> Result<NodeInfo, ProviderError> {
        Ok(self.inner.node.clone())
    }

    async fn plugin_metrics(&self) -> Result<Vec<MetricFamily>, ProviderError> {
        let now = clock::now();
        let mut phases: Vec<(String, usize)> = ["Pending", "Running", "Succeeded", "Failed"]
            .iter()
            .map(|phase| ((*phase).to_owned(), 0))
            .collect();
        for entry in self.sorted_entries() {
            let phase = self.status_of(&entry, now).phase.unwrap_or_default();
            match phases.iter_mut().find(|(p, _)| *p == phase) {
                Some((_, n)) => *n += 1,
                None => phases.push((phase, 1)),
            }
        }
        let phases: Vec<(&str, usize)> = phases.iter().map(|(p, n)| (p.as_str(), *n)).collect();
        Ok(self.inner.metrics.families(&phases))
    }
}
