//! Keeps one plugin running: first start (whose failure is returned to the
//! caller), health probes, restart with backoff after an exit or failed
//! health, and a graceful stop. The rest of the host watches
//! [`PluginStatus`] and takes the current [`PluginClient`] from a `watch`.
//! The phase and the restarts are exported (`vk_host_plugin_up`,
//! `vk_host_plugin_phase`, `vk_host_plugin_restarts_total`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::backoff::BackoffPolicy;
use super::client::{Deadlines, MessageLimit, PluginClient, PluginIdentity};
use super::error::PluginError;
use super::fence::NodeFence;
use super::handshake::handshake;
use super::health::{HealthPolicy, HealthTracker, Verdict};
use super::launch::{LaunchedPlugin, PluginSpec, launch_with};
use super::user::PluginUser;
use crate::callbacks::CallbackScope;
use crate::metrics::{self, plugin::PluginPhase};

/// Everything the supervisor needs to run a plugin.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    pub spec: PluginSpec,
    /// The Kubernetes node name, told to the plugin in the handshake.
    pub node_name: String,
    pub deadlines: Deadlines,
    pub message_limit: MessageLimit,
    pub health: HealthPolicy,
    pub backoff: BackoffPolicy,
    /// How long a stopping plugin gets to exit after the shutdown rpc, and
    /// again after SIGTERM, before SIGKILL.
    pub stop_grace: Duration,
    /// What every launch's `HostCallbacks` answers from (by default
    /// nothing: every call refused).
    pub callbacks: CallbackScope,
    /// Run the plugin as this user instead of the host's (`--plugin-user`).
    pub plugin_user: Option<PluginUser>,
}

impl SupervisorConfig {
    pub fn new(spec: PluginSpec, node_name: impl Into<String>) -> Self {
        Self {
            spec,
            node_name: node_name.into(),
            deadlines: Deadlines::default(),
            message_limit: MessageLimit::default(),
            health: HealthPolicy::default(),
            backoff: BackoffPolicy::default(),
            stop_grace: Duration::from_secs(5),
            callbacks: CallbackScope::default(),
            plugin_user: None,
        }
    }
}

/// Where the plugin is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Launching or handshaking.
    Starting,
    /// Handshake done and probes pass.
    Ready,
    /// Running but not able to take pods, with a reason for people.
    NotReady(String),
    /// Exited or unhealthy; restarting after `delay`.
    BackingOff { delay: Duration, reason: String },
    /// Stopped by the host.
    Stopped,
}

/// The plugin's state as the rest of the host sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginStatus {
    pub phase: Phase,
    /// How many times the plugin was restarted.
    pub restarts: u64,
    /// The running instance's process id.
    pub pid: Option<u32>,
    /// What the running (or last) instance declared.
    pub identity: Option<Arc<PluginIdentity>>,
}

/// What the controllers watch of a supervised plugin: its state and the
/// client of the running instance (`None` while it restarts). A new client
/// means a new instance, whose pods must be reconciled.
#[derive(Debug, Clone)]
pub struct PluginWatch {
    pub status: watch::Receiver<PluginStatus>,
    pub client: watch::Receiver<Option<PluginClient>>,
}

/// A supervised plugin.
#[derive(Debug)]
pub struct Supervisor {
    status: watch::Receiver<PluginStatus>,
    client: watch::Receiver<Option<PluginClient>>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

struct Running {
    plugin: LaunchedPlugin,
    client: PluginClient,
    started: Instant,
}

impl Supervisor {
    /// Launches the plugin and completes its handshake; a failure here is
    /// returned (bad configuration fails at start). Later failures are
    /// restarted in the background until [`Supervisor::stop`] or until
    /// `parent` is cancelled.
    pub async fn start(
        config: SupervisorConfig,
        parent: &CancellationToken,
    ) -> Result<Self, PluginError> {
        // Held until the supervisor ends: no other host's plugin for this
        // node runs meanwhile, nor one a killed host left behind.
        let mut fence = NodeFence::acquire(
            &config.spec.runtime_dir,
            &config.node_name,
            config.stop_grace,
        )
        .await?;
        let first = start_once(&config, &mut fence).await?;
        let identity = Arc::new(first.client.identity().clone());
        let (status_tx, status) = watch::channel(PluginStatus {
            phase: Phase::Ready,
            restarts: 0,
            pid: first.plugin.pid(),
            identity: Some(identity),
        });
        let (client_tx, client) = watch::channel(Some(first.client.clone()));
        tokio::spawn(export_phase(status.clone()).instrument(tracing::debug_span!("plugin_phase")));
        let stop = parent.child_token();
        let span = tracing::info_span!("plugin", name = %config.spec.display_name());
        let task = tokio::spawn(
            supervise(config, fence, first, status_tx, client_tx, stop.clone()).instrument(span),
        );
        Ok(Self {
            status,
            client,
            stop,
            task,
        })
    }

    /// The plugin's state, updated on every change.
    pub fn status(&self) -> watch::Receiver<PluginStatus> {
        self.status.clone()
    }

    /// The client of the running instance; `None` while it restarts.
    pub fn client(&self) -> watch::Receiver<Option<PluginClient>> {
        self.client.clone()
    }

    /// Both watches at once, for a controller.
    pub fn watch(&self) -> PluginWatch {
        PluginWatch {
            status: self.status(),
            client: self.client(),
        }
    }

    /// Stops the plugin gracefully and waits until it is gone.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }

    /// Waits until the supervisor ends (after a stop, or when `parent` is
    /// cancelled).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Keeps the phase metrics in step with `status` until the supervisor ends
/// (its last phase stays: stopped).
async fn export_phase(mut status: watch::Receiver<PluginStatus>) {
    loop {
        let phase = match status.borrow_and_update().phase {
            Phase::Starting => PluginPhase::Starting,
            Phase::Ready => PluginPhase::Ready,
            Phase::NotReady(_) => PluginPhase::NotReady,
            Phase::BackingOff { .. } => PluginPhase::BackingOff,
            Phase::Stopped => PluginPhase::Stopped,
        };
        metrics::global().plugin.set_phase(phase);
        if status.changed().await.is_err() {
            return;
        }
    }
}

async fn start_once(
    config: &SupervisorConfig,
    fence: &mut NodeFence,
) -> Result<Running, PluginError> {
    let mut plugin =
        launch_with(&config.spec, &config.callbacks, config.plugin_user.as_ref()).await?;
    if let Some(pid) = plugin.pid() {
        fence.record(pid);
    }
    match handshake(
        &mut plugin,
        &config.node_name,
        config.deadlines,
        config.message_limit,
    )
    .await
    {
        Ok(client) => Ok(Running {
            plugin,
            client,
            started: Instant::now(),
        }),
        Err(error) => {
            plugin.terminate(config.stop_grace).await;
            Err(error)
        }
    }
}

/// Why a running plugin stopped running.
enum End {
    Stop,
    Failed(String),
}

async fn supervise(
    config: SupervisorConfig,
    mut fence: NodeFence,
    first: Running,
    status: watch::Sender<PluginStatus>,
    client: watch::Sender<Option<PluginClient>>,
    stop: CancellationToken,
) {
    let mut running = first;
    let mut attempt = 0u32;
    loop {
        let end = watch_running(&config, &mut running, &status, &stop).await;
        client.send_replace(None);
        match end {
            End::Stop => {
                tracing::info!("stopping plugin");
                running.client.shutdown(config.stop_grace).await;
                let exit = match running.plugin.wait_exit(config.stop_grace).await {
                    Some(exit) => exit,
                    None => running.plugin.terminate(config.stop_grace).await,
                };
                tracing::info!(%exit, "plugin stopped");
                status.send_modify(|s| {
                    s.phase = Phase::Stopped;
                    s.pid = None;
                });
                return;
            }
            End::Failed(reason) => {
                let exit = running.plugin.terminate(config.stop_grace).await;
                tracing::warn!(%reason, %exit, "plugin failed");
                attempt = config
                    .backoff
                    .next_attempt(attempt, running.started.elapsed());
                match restart(&config, &mut fence, &mut attempt, reason, &status, &stop).await {
                    Some(next) => {
                        status.send_modify(|s| {
                            s.phase = Phase::Ready;
                            s.pid = next.plugin.pid();
                            s.identity = Some(Arc::new(next.client.identity().clone()));
                        });
                        client.send_replace(Some(next.client.clone()));
                        running = next;
                    }
                    None => {
                        status.send_modify(|s| {
                            s.phase = Phase::Stopped;
                            s.pid = None;
                        });
                        return;
                    }
                }
            }
        }
    }
}

/// Probes a running plugin until it exits, fails its health, or is stopped.
async fn watch_running(
    config: &SupervisorConfig,
    running: &mut Running,
    status: &watch::Sender<PluginStatus>,
    stop: &CancellationToken,
) -> End {
    let mut tracker = HealthTracker::default();
    let mut ticks = tokio::time::interval(config.health.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return End::Stop,
            exit = running.plugin.child.wait() => {
                let exit = exit.map_or_else(|e| format!("unknown status ({e})"), |s| s.to_string());
                running.plugin.stderr_tail.wait_ended(Duration::from_secs(2)).await;
                return End::Failed(format!(
                    "plugin exited with {exit} (last stderr: {})",
                    running.plugin.stderr_tail.render()
                ));
            }
            _ = ticks.tick() => {
                let outcome = running.client.probe(config.health.timeout).await;
                let phase = match tracker.observe(&config.health, outcome) {
                    Verdict::Ready => Phase::Ready,
                    Verdict::NotReady(reason) => Phase::NotReady(reason),
                    Verdict::Restart(reason) => return End::Failed(reason),
                };
                status.send_if_modified(|s| {
                    let changed = s.phase != phase;
                    if changed {
                        match &phase {
                            Phase::NotReady(reason) => tracing::warn!(%reason, "plugin not ready"),
                            _ => tracing::info!("plugin ready"),
                        }
                        s.phase = phase;
                    }
                    changed
                });
            }
        }
    }
}

/// Starts the plugin again after a backoff, as many times as it takes.
/// `None` when stopped meanwhile.
async fn restart(
    config: &SupervisorConfig,
    fence: &mut NodeFence,
    attempt: &mut u32,
    mut reason: String,
    status: &watch::Sender<PluginStatus>,
    stop: &CancellationToken,
) -> Option<Running> {
    loop {
        let delay = config.backoff.delay(*attempt, rand::random::<f64>());
        tracing::warn!(?delay, attempt = *attempt, %reason, "restarting plugin after backoff");
        status.send_modify(|s| {
            s.phase = Phase::BackingOff {
                delay,
                reason: reason.clone(),
            };
            s.pid = None;
        });
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(delay) => {}
        }
        status.send_modify(|s| {
            s.phase = Phase::Starting;
            s.restarts += 1;
        });
        metrics::global().plugin.restarted();
        match start_once(config, fence).await {
            Ok(running) => {
                tracing::info!(pid = ?running.plugin.pid(), "plugin restarted");
                return Some(running);
            }
            Err(error) => {
                reason = error.to_string();
                *attempt = attempt.saturating_add(1);
            }
        }
    }
}
