//! The [`Provider`] vk-host drives: it holds the pods it was given (in
//! memory and under `<root_dir>/pods/<uid>/pod.json`), and a relist loop
//! ([`sync`]) brings containerd in line with them and reports their status,
//! as the kubelet's PLEG and pod workers do. Everything it made carries the
//! managed-by label, so after a restart it adopts its running containers.

mod container_env;
mod events;
mod hooks;
mod image_restart;
mod listing;
mod log_rotation;
mod probing;
mod pulling;
mod refresh;
mod resize;
mod sandbox;
mod setup_retry;
mod starting;
mod stats;
mod stopping;
mod store;
mod streams;
mod sync;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use tracing::Instrument as _;
use vk_plugin_sdk::proto::{
    Capability, GetMetricsResourceResponse, GetStatsSummaryResponse, NodeInfo,
};
use vk_plugin_sdk::{
    ByteStream, ExecRequest, ExecSession, ExitStatus, HostClient, LogsRequest, PodKey,
    PodStatusFeed, PodStatusStream, PodStatusUpdate, PortForwardConnection, Provider,
    ProviderError, Readiness,
};

use crate::config::Config;
use crate::cri::Runtime;
use crate::labels::PodIdentity;
use crate::logs::{self, LogOptions};
use crate::paths;
use crate::probes::{self, ProbeResults};
use crate::resize::{Admission, Requests, ResourceState, admit};
use crate::runtime_config::dns::{DnsSettings, ResolvConf};
use crate::runtime_config::mounts::volume_host_paths;
use crate::snapshot::PodSnapshot;
use crate::status::{StatusInput, SyncError, pod_status};
use crate::volumes::VolumeManager;

pub use store::StoreError;

/// Status updates and Events kept at most while the host is not reading
/// (a reconnect, a slow host): statuses are resynced, Events are not.
const STATUS_BUFFER: usize = PodStatusFeed::DEFAULT_CAPACITY;

/// The plugin's provider. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct CriProvider {
    inner: Arc<Inner>,
}

/// What the provider and its loops share, in parts owned by the concern
/// that uses them.
#[derive(Debug)]
struct Inner {
    config: Config,
    runtime: Runtime,
    /// The node the pods run on.
    node: NodeFacts,
    /// The pods held, by uid.
    pods: Mutex<HashMap<String, PodEntry>>,
    /// The relist loop's wake-up, runtime health and exited-container
    /// cache ([`sync`], [`listing`]).
    relist: sync::RelistState,
    /// When containers and images may be tried again ([`starting`],
    /// [`pulling`]).
    backoffs: starting::StartBackoffs,
    /// Probe workers and their published results.
    probes: probes::Manager,
    /// secret/configMap/projected/downwardAPI volume files.
    volumes: VolumeManager,
    /// What goes to the host and what is asked of it.
    host: HostLink,
    /// Previous CPU samples, for rates in stats.
    cpu_rates: Mutex<crate::stats::CpuRates>,
}

/// The node the pods run on.
#[derive(Debug)]
struct NodeFacts {
    /// The node's IPs: hostNetwork pods' IPs, and the host IPs in statuses.
    ips: Vec<IpAddr>,
    /// The node's memory (0 when unknown): OOM scores, allocatable, stats.
    memory_bytes: i64,
    /// Cluster DNS and the host's resolv.conf, for sandboxes.
    dns: DnsSettings,
}

/// The plugin's two ways to the host.
#[derive(Debug)]
struct HostLink {
    /// Statuses and Events for the host, kept while it reconnects.
    feed: PodStatusFeed,
    /// The host's callbacks (Secrets for image pull credentials, the
    /// current env of a container about to start).
    callbacks: Option<HostClient>,
}

/// One pod held by the plugin.
#[derive(Debug)]
struct PodEntry {
    pod: Pod,
    status: PodStatus,
    /// Last start failure per container name (the kubelet's reason cache).
    sync_errors: BTreeMap<String, SyncError>,
    /// When the last pull of an image failed, per image.
    pull_failures: HashMap<String, Timestamp>,
    /// When the last attempt of a failed set-up step failed.
    setup_failures: HashMap<setup_retry::SetupStep, setup_retry::SetupFailure>,
    /// Serializes the sync and the termination of this pod.
    lock: Arc<tokio::sync::Mutex<()>>,
    deleting: bool,
    /// Allocated and applied resources (in-place resize).
    resources: ResourceState,
}

/// Why the provider cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the plugin's state directory {path}")]
    StateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn uid_of(pod: &Pod) -> Result<String, ProviderError> {
    pod.metadata
        .uid
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ProviderError::InvalidArgument("pod has no metadata.uid".into()))
}

fn now() -> Timestamp {
    // k8s-openapi builds jiff without `std`: no `Timestamp::now`.
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i128::try_from(since_epoch.as_nanos())
        .ok()
        .and_then(|nanos| Timestamp::from_nanosecond(nanos).ok())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The node's memory from `/proc/meminfo` (0 when unreadable).
fn node_memory_bytes() -> i64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

impl CriProvider {
    /// Loads the pods held before a restart, computes their status from
    /// what the runtime shows, and starts the relist loop, the volume
    /// refresh and the log rotation. `callbacks` serves the data of secret,
    /// configMap, projected and downwardAPI volumes (without it they cannot
    /// be set up).
    pub async fn start(
        config: Config,
        runtime: Runtime,
        callbacks: Option<HostClient>,
    ) -> Result<Self, StartError> {
        let pods_dir = config.root_dir.join("pods");
        store::private_dir(&config.root_dir)
            .and_then(|()| store::private_dir(&pods_dir))
            .map_err(|source| StartError::StateDir {
                path: pods_dir.clone(),
                source,
            })?;
        let host = if config.resolv_conf.as_os_str().is_empty() {
            ResolvConf::default()
        } else {
            match std::fs::read_to_string(&config.resolv_conf) {
                Ok(text) => ResolvConf::parse(&text),
                Err(error) => {
                    tracing::warn!(path = %config.resolv_conf.display(), %error, "cannot read resolv.conf; pods get no host DNS configuration");
                    ResolvConf::default()
                }
            }
        };
        let dns = DnsSettings {
            cluster_dns: config.cluster_dns.clone(),
            cluster_domain: config.cluster_domain.clone(),
            host,
        };
        let (pods, errors) = store::load_all(&config.root_dir);
        for error in errors {
            tracing::error!(error = %error, "a stored pod cannot be read; it is not reported");
        }
        let mut entries = HashMap::new();
        let probes = probes::Manager::default();
        for pod in pods {
            let Ok(uid) = uid_of(&pod) else { continue };
            match store::load_probes(&config.root_dir, &uid) {
                Ok(checkpoint) => probes.restore(&uid, &checkpoint),
                Err(error) => {
                    tracing::warn!(%uid, error = %error, "the pod's probe results cannot be read; its probes start afresh");
                }
            }
            let deleting = pod.metadata.deletion_timestamp.is_some();
            let resources = store::load_resources(&config.root_dir, &uid).unwrap_or_else(|error| {
                tracing::warn!(%uid, error = %error, "the pod's resources cannot be read; its spec's are taken");
                ResourceState::default()
            });
            entries.insert(
                uid,
                PodEntry {
                    status: pod.status.clone().unwrap_or_default(),
                    pod,
                    sync_errors: BTreeMap::new(),
                    pull_failures: HashMap::new(),
                    setup_failures: HashMap::new(),
                    lock: Arc::default(),
                    deleting,
                    resources,
                },
            );
        }
        tracing::info!(pods = entries.len(), "loaded the pods held before");
        let inner = Arc::new(Inner {
            node: NodeFacts {
                ips: config.node_ips.clone(),
                memory_bytes: node_memory_bytes(),
                dns,
            },
            backoffs: starting::StartBackoffs::new(
                config.crash_loop_backoff_base(),
                config.crash_loop_backoff_max(),
            ),
            config,
            runtime,
            pods: Mutex::new(entries),
            relist: sync::RelistState::default(),
            probes,
            volumes: VolumeManager::new(callbacks.clone()),
            host: HostLink {
                feed: PodStatusFeed::new(STATUS_BUFFER),
                callbacks,
            },
            cpu_rates: Mutex::default(),
        });
        // Adopted pods report what the runtime shows before the first GetPods.
        inner.refresh_all_statuses().await;
        // Pods whose deletion a restart interrupted are finished now.
        let interrupted: Vec<(String, Pod)> = inner
            .pods()
            .iter()
            .filter(|(_, e)| e.deleting)
            .map(|(uid, e)| (uid.clone(), e.pod.clone()))
            .collect();
        for (uid, pod) in interrupted {
            let lock = inner.pods().get(&uid).map(|e| e.lock.clone());
            if let Some(lock) = lock {
                tokio::spawn(inner.clone().terminate(uid, grace_seconds(&pod), lock));
            }
        }
        tokio::spawn(inner.clone().relist_loop());
        tokio::spawn(
            inner
                .clone()
                .volume_refresh_loop()
                .instrument(tracing::info_span!("volume_refresh")),
        );
        tokio::spawn(
            inner
                .clone()
                .log_rotation_loop()
                .instrument(tracing::info_span!("log_rotation")),
        );
        Ok(Self { inner })
    }
}

/// The grace period of a deletion: `deletionGracePeriodSeconds`, else
/// [`restart_grace_seconds`].
fn grace_seconds(pod: &Pod) -> i64 {
    pod.metadata
        .deletion_grace_period_seconds
        .map_or_else(|| restart_grace_seconds(pod), |seconds| seconds.max(0))
}

/// The grace period of a container killed to be started again (a new
/// image, a resize, a dead sandbox), which is no deletion even while one
/// is under way: `terminationGracePeriodSeconds`, else 30 s.
fn restart_grace_seconds(pod: &Pod) -> i64 {
    pod.spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
        .unwrap_or(30)
        .max(0)
}

impl Inner {
    fn pods(&self) -> MutexGuard<'_, HashMap<String, PodEntry>> {
        self.pods
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The uid of the pod `key` names (uid, when set, must match).
    fn find(&self, key: &PodKey) -> Option<String> {
        self.pods()
            .iter()
            .filter(|(uid, e)| {
                e.pod.metadata.namespace.as_deref().unwrap_or_default() == key.namespace
                    && e.pod.metadata.name.as_deref().unwrap_or_default() == key.name
                    && key.uid.as_ref().is_none_or(|u| u == *uid)
            })
            // A pod being replaced under the same name: the live one first.
            .min_by_key(|(_, e)| e.deleting)
            .map(|(uid, _)| uid.clone())
    }

    fn with_status(entry: &PodEntry) -> Pod {
        let mut pod = entry.pod.clone();
        pod.status = Some(entry.status.clone());
        pod
    }

    /// Stores a new status of `uid` and pushes it when it changed.
    fn set_status(&self, uid: &str, snapshot: &PodSnapshot) {
        let probe_results = self.probes.results();
        let update = {
            let mut pods = self.pods();
            let Some(entry) = pods.get_mut(uid) else {
                return;
            };
            let terminal = crate::image_change::actions(&entry.pod, snapshot, &probe_results, &[])
                .kill_pod
                && !snapshot.containers.is_empty();
            let status = pod_status(&StatusInput {
                pod: &entry.pod,
                snapshot,
                sync_errors: &entry.sync_errors,
                probes: &probe_results,
                node_ips: &self.node.ips,
                previous: Some(&entry.status),
                terminal,
                resources: &entry.resources,
                now: now(),
            });
            if status == entry.status {
                return;
            }
            entry.status = status.clone();
            // Held pods are keyed by their uid: the key carries `uid`.
            PodStatusUpdate::status(PodKey::of(&entry.pod), status)
        };
        tracing::debug!(
            pod = %update.pod,
            phase = ?update.status.as_ref().and_then(|s| s.phase.as_deref()),
            "status changed"
        );
        // Kept for the host if no stream is attached (GetPod also answers
        // from the stored status).
        self.host.feed.send(update);
    }

    /// The container id (without `containerd://`) and restart count of
    /// `container` in the pod's last status, and whether it runs.
    fn container_instance(
        &self,
        uid: &str,
        container: &str,
    ) -> Result<(Option<String>, u32, bool), ProviderError> {
        let pods = self.pods();
        let entry = pods
            .get(uid)
            .ok_or_else(|| ProviderError::NotFound(format!("pod {uid}")))?;
        let status = &entry.status;
        let found = status
            .container_statuses
            .iter()
            .flatten()
            .chain(status.init_container_statuses.iter().flatten())
            .chain(status.ephemeral_container_statuses.iter().flatten())
            .find(|s| s.name == container);
        let Some(found) = found else {
            let in_spec = crate::ephemeral::container_tty(&entry.pod, container).is_some();
            return if in_spec {
                Ok((None, 0, false))
            } else {
                Err(ProviderError::NotFound(format!(
                    "container {container} is not valid for pod {}",
                    entry.pod.metadata.name.as_deref().unwrap_or_default()
                )))
            };
        };
        let running = found.state.as_ref().is_some_and(|s| s.running.is_some());
        let id = found
            .container_id
            .as_deref()
            .map(|id| id.trim_start_matches("containerd://").to_owned());
        Ok((id, u32::try_from(found.restart_count).unwrap_or(0), running))
    }
}

#[vk_plugin_sdk::async_trait]
impl Provider for CriProvider {
    fn capabilities(&self) -> Vec<Capability> {
        vec![
            Capability::PodStatusStream,
            Capability::ContainerLogs,
            Capability::Exec,
            Capability::Attach,
            Capability::PortForward,
            Capability::StatsSummary,
            Capability::MetricsResource,
            Capability::NodeInfo,
        ]
    }

    async fn stats_summary(&self) -> Result<GetStatsSummaryResponse, ProviderError> {
        self.inner.stats_summary().await
    }

    async fn metrics_resource(&self) -> Result<GetMetricsResourceResponse, ProviderError> {
        self.inner.metrics_resource().await
    }

    async fn node_info(&self) -> Result<NodeInfo, ProviderError> {
        Ok(self.inner.node_info())
    }

    async fn create_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let uid = uid_of(&pod)?;
        let inner = &self.inner;
        {
            let pods = inner.pods();
            if pods.contains_key(&uid) {
                return Ok(());
            }
        }
        let key = PodKey {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            uid: None,
        };
        if let Some(other) = inner.find(&key)
            && inner.pods().get(&other).is_some_and(|e| !e.deleting)
        {
            return Err(ProviderError::AlreadyExists(format!(
                "pod {key} is held with uid {other}"
            )));
        }
        // Refuse what can never run (an unsupported volume) now, by name.
        let pod_dir = paths::pod_dir(&inner.config.root_dir, &uid);
        volume_host_paths(&pod, &pod_dir)
            .map_err(|e| ProviderError::InvalidArgument(e.to_string()))?;
        let mut stored = pod.clone();
        stored.status = None;
        store::save(&inner.config.root_dir, &uid, &stored)
            .map_err(|e| ProviderError::internal("storing the pod", e))?;
        // Admitted as its spec says (the scheduler placed it).
        let mut resources = ResourceState::default();
        if let Admission::Allocate(allocated) = admit(
            &pod,
            &resources.allocated,
            inner.allocatable(),
            Requests::default(),
        ) {
            resources.allocated = allocated;
        }
        store::save_resources(&inner.config.root_dir, &uid, &resources)
            .map_err(|e| ProviderError::internal("storing the pod's resources", e))?;
        let status = pod_status(&StatusInput {
            pod: &pod,
            snapshot: &PodSnapshot::default(),
            sync_errors: &BTreeMap::new(),
            probes: &ProbeResults::default(),
            node_ips: &inner.node.ips,
            previous: pod.status.as_ref(),
            terminal: false,
            resources: &resources,
            now: now(),
        });
        inner.pods().insert(
            uid.clone(),
            PodEntry {
                pod: stored,
                status,
                sync_errors: BTreeMap::new(),
                pull_failures: HashMap::new(),
                setup_failures: HashMap::new(),
                lock: Arc::default(),
                deleting: false,
                resources,
            },
        );
        tracing::info!(pod = %key, %uid, "pod accepted");
        inner.relist.wake.notify_one();
        Ok(())
    }

    async fn update_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let uid = uid_of(&pod)?;
        let inner = &self.inner;
        let mut stored = pod;
        stored.status = None;
        {
            let mut pods = inner.pods();
            let entry = pods
                .get_mut(&uid)
                .ok_or_else(|| ProviderError::NotFound(format!("pod uid {uid}")))?;
            // A deletion already under way keeps its marks.
            if entry.deleting {
                stored.metadata.deletion_timestamp = entry.pod.metadata.deletion_timestamp.clone();
                stored.metadata.deletion_grace_period_seconds =
                    entry.pod.metadata.deletion_grace_period_seconds;
            }
            entry.pod = stored.clone();
        }
        store::save(&inner.config.root_dir, &uid, &stored)
            .map_err(|e| ProviderError::internal("storing the pod", e))?;
        // A new ephemeral container (`kubectl debug`) or image starts now.
        inner.relist.wake.notify_one();
        Ok(())
    }

    async fn delete_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let uid = uid_of(&pod)?;
        let inner = &self.inner;
        let (lock, held) = {
            let mut pods = inner.pods();
            let entry = pods
                .get_mut(&uid)
                .ok_or_else(|| ProviderError::NotFound(format!("pod uid {uid}")))?;
            if entry.deleting {
                return Ok(());
            }
            entry.deleting = true;
            let meta = &mut entry.pod.metadata;
            meta.deletion_timestamp = pod
                .metadata
                .deletion_timestamp
                .clone()
                .or_else(|| Some(Time(now())));
            meta.deletion_grace_period_seconds = pod
                .metadata
                .deletion_grace_period_seconds
                .or(meta.deletion_grace_period_seconds);
            (entry.lock.clone(), entry.pod.clone())
        };
        if let Err(error) = store::save(&inner.config.root_dir, &uid, &held) {
            tracing::warn!(%uid, error = %error, "cannot record the deletion");
        }
        let grace = grace_seconds(&held);
        tracing::info!(pod = %PodIdentity::of(&held).display(), grace, "stopping pod");
        tokio::spawn(inner.clone().terminate(uid, grace, lock));
        Ok(())
    }

    async fn get_pod(&self, key: &PodKey) -> Result<Pod, ProviderError> {
        let uid = self
            .inner
            .find(key)
            .ok_or_else(|| ProviderError::NotFound(key.to_string()))?;
        self.inner
            .pods()
            .get(&uid)
            .map(Inner::with_status)
            .ok_or_else(|| ProviderError::NotFound(key.to_string()))
    }

    async fn get_pod_status(&self, key: &PodKey) -> Result<PodStatus, ProviderError> {
        Ok(self.get_pod(key).await?.status.unwrap_or_default())
    }

    async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError> {
        let mut pods: Vec<Pod> = self.inner.pods().values().map(Inner::with_status).collect();
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(pods)
    }

    async fn probe(&self) -> Readiness {
        if self.inner.relist.runtime_ok.load(Ordering::Relaxed) {
            Readiness::Ready
        } else {
            Readiness::NotReady(format!(
                "the container runtime at {} does not answer",
                self.inner.config.runtime_socket().display()
            ))
        }
    }

    async fn watch_pod_status(&self) -> Result<PodStatusStream, ProviderError> {
        Ok(self.inner.host.feed.subscribe())
    }

    async fn container_logs(&self, request: LogsRequest) -> Result<ByteStream, ProviderError> {
        let inner = &self.inner;
        let uid = inner
            .find(&request.pod)
            .ok_or_else(|| ProviderError::NotFound(request.pod.to_string()))?;
        let (id, restart_count, _) = inner.container_instance(&uid, &request.container)?;
        let pod_name = request.pod.name.clone();
        if id.is_none() {
            return Err(ProviderError::FailedPrecondition(format!(
                "container \"{}\" in pod \"{pod_name}\" is waiting to start: ContainerCreating",
                request.container
            )));
        }
        let number = if request.previous {
            restart_count.checked_sub(1).ok_or_else(|| {
                ProviderError::NotFound(format!(
                    "previous terminated container \"{}\" in pod \"{pod_name}\" not found",
                    request.container
                ))
            })?
        } else {
            restart_count
        };
        let identity = inner
            .pods()
            .get(&uid)
            .map(|e| PodIdentity::of(&e.pod))
            .ok_or_else(|| ProviderError::NotFound(request.pod.to_string()))?;
        let path = paths::pod_log_dir(&inner.config.pod_logs_dir, &identity)
            .join(paths::container_log_path(&request.container, number));
        let watcher = self.inner.clone();
        let container = request.container.clone();
        let follow = request.follow && !request.previous;
        let running = move || {
            watcher
                .container_instance(&uid, &container)
                .is_ok_and(|(_, count, running)| running && count == number)
        };
        Ok(logs::stream(
            path,
            LogOptions::of(&request),
            follow,
            running,
        ))
    }

    async fn exec(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        self.exec_streaming(request, session).await
    }

    async fn attach(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        self.attach_streaming(request, session).await
    }

    async fn port_forward(
        &self,
        pod: PodKey,
        port: u16,
        connection: PortForwardConnection,
    ) -> Result<(), ProviderError> {
        self.port_forward_streaming(pod, port, connection).await
    }
}
