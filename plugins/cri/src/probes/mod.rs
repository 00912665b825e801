//! Container probes (the kubelet's `pkg/kubelet/prober`): liveness,
//! readiness and startup probes run by one worker per container instance
//! and probe kind ([`worker`]), with exec ([`exec`]), httpGet ([`http`]),
//! tcpSocket ([`tcp`]) and gRPC ([`grpc`]) handlers. The published results
//! ([`ProbeResults`]) feed the pure status function (`ready`, `started`); a
//! liveness or startup failure makes the pod's sync kill the container.

pub mod exec;
pub mod grpc;
pub mod http;
pub mod insecure_tls;
pub mod redirect;
pub mod tcp;
pub mod worker;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::task::AbortHandle;
use tonic::transport::Channel;

/// Which probe of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    pub const ALL: [Self; 3] = [Self::Liveness, Self::Readiness, Self::Startup];

    /// The container's probe of this kind.
    pub fn of(self, container: &Container) -> Option<&Probe> {
        match self {
            Self::Liveness => container.liveness_probe.as_ref(),
            Self::Readiness => container.readiness_probe.as_ref(),
            Self::Startup => container.startup_probe.as_ref(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Liveness => "liveness",
            Self::Readiness => "readiness",
            Self::Startup => "startup",
        }
    }
}

/// What one probe run found. `Error` is the kubelet's `Unknown` with an
/// error: the probe could not be run, and its result is thrown away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A success the kubelet also records as a `ProbeWarning` event (an
    /// httpGet probe's redirect to another host).
    Warning(String),
    Failure(String),
    Error(String),
}

/// The published result of each probe, by container ID (without the
/// `containerd://` prefix) and kind; no entry means no result yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeResults {
    results: HashMap<(String, ProbeKind), bool>,
}

impl ProbeResults {
    pub fn get(&self, container_id: &str, kind: ProbeKind) -> Option<bool> {
        self.results.get(&(container_id.to_owned(), kind)).copied()
    }

    pub fn set(&mut self, container_id: &str, kind: ProbeKind, success: bool) {
        self.results
            .insert((container_id.to_owned(), kind), success);
    }

    pub fn remove(&mut self, container_id: &str, kind: ProbeKind) {
        self.results.remove(&(container_id.to_owned(), kind));
    }

    /// Whether a running container with this spec has started: it has no
    /// startup probe, or that probe succeeded (`UpdatePodStatus`).
    pub fn started(&self, container: &Container, container_id: &str) -> bool {
        container.startup_probe.is_none()
            || self.get(container_id, ProbeKind::Startup) == Some(true)
    }

    /// Whether a running, started container is ready: it has no readiness
    /// probe, or that probe's last published result is a success.
    pub fn ready(&self, container: &Container, container_id: &str) -> bool {
        container.readiness_probe.is_none()
            || self.get(container_id, ProbeKind::Readiness) == Some(true)
    }
}

/// How a probe checks its container, resolved against the container's
/// ports and the pod's IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    Exec(Vec<String>),
    Http(http::Target),
    Tcp {
        host: String,
        port: u16,
    },
    Grpc {
        host: String,
        port: u16,
        service: String,
    },
    /// Cannot be run (an unknown scheme or named port, no pod IP): every
    /// run is an `Error`, so the result never changes from its initial one.
    Unsupported(String),
}

impl Handler {
    /// The handler of `probe` on `container`, whose pod has `pod_ip` (the
    /// node's IP for hostNetwork pods).
    pub fn of(probe: &Probe, container: &Container, pod_ip: Option<&str>) -> Self {
        let host_or_pod = |host: Option<&String>| -> Result<String, String> {
            host.filter(|h| !h.is_empty())
                .cloned()
                .or_else(|| pod_ip.filter(|ip| !ip.is_empty()).map(str::to_owned))
                .ok_or_else(|| "the pod has no IP yet".to_owned())
        };
        let resolve = || -> Result<Self, String> {
            if let Some(exec) = &probe.exec {
                return Ok(Self::Exec(exec.command.clone().unwrap_or_default()));
            }
            if let Some(get) = &probe.http_get {
                let tls = http::is_tls(get.scheme.as_deref())?;
                return Ok(Self::Http(http::Target {
                    tls,
                    host: host_or_pod(get.host.as_ref())?,
                    port: port_number(&get.port, container)?,
                    path: http::request_path(get.path.as_deref().unwrap_or_default()),
                    headers: get
                        .http_headers
                        .iter()
                        .flatten()
                        .map(|h| (h.name.clone(), h.value.clone()))
                        .collect(),
                }));
            }
            if let Some(tcp) = &probe.tcp_socket {
                return Ok(Self::Tcp {
                    host: host_or_pod(tcp.host.as_ref())?,
                    port: port_number(&tcp.port, container)?,
                });
            }
            if let Some(grpc) = &probe.grpc {
                let port = u16::try_from(grpc.port)
                    .ok()
                    .filter(|port| *port > 0)
                    .ok_or_else(|| format!("gRPC probe port {} is not a port", grpc.port))?;
                return Ok(Self::Grpc {
                    host: host_or_pod(None)?,
                    port,
                    service: grpc.service.clone().unwrap_or_default(),
                });
            }
            Err("the probe has no handler".into())
        };
        resolve().unwrap_or_else(Self::Unsupported)
    }

    /// Runs the probe once against container `container_id`.
    pub async fn run(
        &self,
        runtime: &mut RuntimeServiceClient<Channel>,
        container_id: &str,
        timeout: Duration,
    ) -> Outcome {
        match self {
            Self::Exec(command) => exec::probe(runtime, container_id, command, timeout).await,
            Self::Http(target) => http::probe(target, timeout).await,
            Self::Tcp { host, port } => tcp::probe(host, *port, timeout).await,
            Self::Grpc {
                host,
                port,
                service,
            } => grpc::probe(host, *port, service, timeout).await,
            Self::Unsupported(why) => Outcome::Error(why.clone()),
        }
    }
}

/// A probe's or hook's port: a number, a number in a string, or the name
/// of one of the container's ports (`findPortByName`, `resolvePort`).
pub fn port_number(port: &IntOrString, container: &Container) -> Result<u16, String> {
    let number = match port {
        IntOrString::Int(n) => *n,
        IntOrString::String(name) => match name.parse::<i32>() {
            Ok(n) => n,
            Err(_) => container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port)
                .ok_or_else(|| {
                    format!("couldn't find port {name} in container {}", container.name)
                })?,
        },
    };
    u16::try_from(number)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("invalid port number: {number}"))
}

/// One running probe worker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerKey {
    pub pod_uid: String,
    pub container_id: String,
    pub kind: ProbeKind,
}

/// The published readiness and startup results of one pod's running
/// containers by container ID, saved beside the pod so that a restarted
/// plugin starts from them: a container that was Ready stays Ready through
/// a restart of the plugin or vk-host (as under a kubelet restart) instead
/// of turning NotReady until its next probe.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProbeCheckpoint {
    /// Whether the readiness probe's last published result is a success.
    #[serde(default)]
    pub ready: BTreeMap<String, bool>,
    /// Whether the startup probe succeeded (or failed).
    #[serde(default)]
    pub started: BTreeMap<String, bool>,
}

impl ProbeCheckpoint {
    fn entries(&self) -> impl Iterator<Item = (&String, ProbeKind, bool)> {
        let ready = self
            .ready
            .iter()
            .map(|(id, v)| (id, ProbeKind::Readiness, *v));
        let started = self
            .started
            .iter()
            .map(|(id, v)| (id, ProbeKind::Startup, *v));
        ready.chain(started)
    }
}

/// The published results and the running workers of every pod.
#[derive(Debug, Default)]
pub struct Manager {
    results: Mutex<ProbeResults>,
    workers: Mutex<HashMap<WorkerKey, AbortHandle>>,
    /// Results restored from a checkpoint, by pod uid, until the pod's
    /// first reconcile keeps those of running instances (their workers
    /// start from them) and drops the rest.
    restored: Mutex<HashMap<String, Vec<(String, ProbeKind)>>>,
}

impl Manager {
    fn results_guard(&self) -> MutexGuard<'_, ProbeResults> {
        self.results
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn workers_guard(&self) -> MutexGuard<'_, HashMap<WorkerKey, AbortHandle>> {
        self.workers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A copy of the current results (for the status function).
    pub fn results(&self) -> ProbeResults {
        self.results_guard().clone()
    }

    pub fn get(&self, container_id: &str, kind: ProbeKind) -> Option<bool> {
        self.results_guard().get(container_id, kind)
    }

    pub fn set(&self, container_id: &str, kind: ProbeKind, success: bool) {
        self.results_guard().set(container_id, kind, success);
    }

    /// Restores pod `uid`'s results saved before a restart: the status
    /// computed before its workers start already uses them.
    pub fn restore(&self, uid: &str, checkpoint: &ProbeCheckpoint) {
        let mut results = self.results_guard();
        let mut restored = Vec::new();
        for (id, kind, success) in checkpoint.entries() {
            results.set(id, kind, success);
            restored.push((id.clone(), kind));
        }
        drop(results);
        if !restored.is_empty() {
            self.restored_guard().insert(uid.to_owned(), restored);
        }
    }

    /// The readiness and startup results of pod `uid`'s probed instances,
    /// to save.
    pub fn checkpoint(&self, uid: &str) -> ProbeCheckpoint {
        let keys: Vec<WorkerKey> = self
            .workers_guard()
            .keys()
            .filter(|k| k.pod_uid == uid)
            .cloned()
            .collect();
        let results = self.results_guard();
        let mut checkpoint = ProbeCheckpoint::default();
        for key in keys {
            let Some(success) = results.get(&key.container_id, key.kind) else {
                continue;
            };
            match key.kind {
                ProbeKind::Readiness => checkpoint.ready.insert(key.container_id, success),
                ProbeKind::Startup => checkpoint.started.insert(key.container_id, success),
                ProbeKind::Liveness => continue,
            };
        }
        checkpoint
    }

    fn restored_guard(&self) -> MutexGuard<'_, HashMap<String, Vec<(String, ProbeKind)>>> {
        self.restored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops pod `uid`'s restored results that no wanted worker took over.
    fn settle_restored(&self, uid: &str, wanted: &[WorkerKey]) {
        let Some(restored) = self.restored_guard().remove(uid) else {
            return;
        };
        let mut results = self.results_guard();
        for (id, kind) in restored {
            if !wanted
                .iter()
                .any(|k| k.container_id == id && k.kind == kind)
            {
                results.remove(&id, kind);
            }
        }
    }

    /// Keeps exactly the workers `wanted` for pod `uid`: stops the others
    /// (forgetting their results) and starts the missing ones with `start`.
    /// A worker that ended by itself (a liveness failure on hold, a startup
    /// probe that succeeded) stays registered, so it is not started again
    /// for the same container instance.
    pub fn reconcile(
        &self,
        uid: &str,
        wanted: &[WorkerKey],
        mut start: impl FnMut(&WorkerKey) -> AbortHandle,
    ) {
        self.settle_restored(uid, wanted);
        let mut workers = self.workers_guard();
        let stale: Vec<WorkerKey> = workers
            .keys()
            .filter(|k| k.pod_uid == uid && !wanted.contains(k))
            .cloned()
            .collect();
        for key in stale {
            if let Some(handle) = workers.remove(&key) {
                handle.abort();
            }
            self.results_guard().remove(&key.container_id, key.kind);
        }
        for key in wanted {
            if !workers.contains_key(key) {
                let handle = start(key);
                workers.insert(key.clone(), handle);
            }
        }
    }

    /// Stops every worker of pod `uid` and forgets their results.
    pub fn forget_pod(&self, uid: &str) {
        self.settle_restored(uid, &[]);
        let mut workers = self.workers_guard();
        let keys: Vec<WorkerKey> = workers
            .keys()
            .filter(|k| k.pod_uid == uid)
            .cloned()
            .collect();
        for key in keys {
            if let Some(handle) = workers.remove(&key) {
                handle.abort();
            }
            self.results_guard().remove(&key.container_id, key.kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::web_container;
    use serde_json::json;

    fn handler(probe: serde_json::Value, pod_ip: Option<&str>) -> Handler {
        let c = web_container("readinessProbe", probe);
        Handler::of(c.readiness_probe.as_ref().expect("a probe"), &c, pod_ip)
    }

    #[test]
    fn handlers_resolve_hosts_and_ports() {
        assert_eq!(
            handler(json!({"exec": {"command": ["cat", "/ready"]}}), None),
            Handler::Exec(vec!["cat".into(), "/ready".into()])
        );
        assert_eq!(
            handler(
                json!({"httpGet": {"port": "web", "path": "healthz", "httpHeaders": [{"name": "X-A", "value": "b"}]}}),
                Some("10.88.0.5")
            ),
            Handler::Http(http::Target {
                host: "10.88.0.5".into(),
                port: 8080,
                path: "/healthz".into(),
                headers: vec![("X-A".into(), "b".into())],
                tls: false,
            })
        );
        assert_eq!(
            handler(
                json!({"tcpSocket": {"port": 53, "host": "10.0.0.1"}}),
                Some("10.88.0.5")
            ),
            Handler::Tcp {
                host: "10.0.0.1".into(),
                port: 53
            }
        );
        let unsupported = |probe, ip| matches!(handler(probe, ip), Handler::Unsupported(_));
        assert!(unsupported(
            json!({"tcpSocket": {"port": "nope"}}),
            Some("10.88.0.5")
        ));
        assert!(unsupported(json!({"tcpSocket": {"port": 80}}), None));
        assert!(matches!(
            handler(
                json!({"httpGet": {"port": 443, "scheme": "HTTPS"}}),
                Some("10.88.0.5")
            ),
            Handler::Http(http::Target { tls: true, .. })
        ));
        assert!(unsupported(
            json!({"httpGet": {"port": 443, "scheme": "FTP"}}),
            Some("10.88.0.5")
        ));
        assert_eq!(
            handler(
                json!({"grpc": {"port": 9000, "service": "app"}}),
                Some("10.88.0.5")
            ),
            Handler::Grpc {
                host: "10.88.0.5".into(),
                port: 9000,
                service: "app".into()
            }
        );
        assert!(unsupported(json!({"grpc": {"port": 0}}), Some("10.88.0.5")));
    }

    #[test]
    fn started_and_ready_need_a_success_only_when_probed() {
        let plain = web_container("readinessProbe", serde_json::Value::Null);
        let probed = web_container("readinessProbe", json!({"exec": {"command": ["true"]}}));
        let mut results = ProbeResults::default();
        assert!(results.ready(&plain, "c1") && results.started(&plain, "c1"));
        assert!(!results.ready(&probed, "c1"));
        results.set("c1", ProbeKind::Readiness, true);
        assert!(results.ready(&probed, "c1"));
        assert!(!results.ready(&probed, "c2"), "results are per instance");
        results.set("c1", ProbeKind::Readiness, false);
        assert!(!results.ready(&probed, "c1"));
    }

    #[tokio::test]
    async fn restored_results_count_until_reconcile_keeps_those_of_running_instances() {
        let manager = Manager::default();
        let checkpoint = ProbeCheckpoint {
            ready: BTreeMap::from([("running".into(), true), ("gone".into(), true)]),
            started: BTreeMap::from([("running".into(), true)]),
        };
        manager.restore("u", &checkpoint);
        assert_eq!(manager.get("running", ProbeKind::Readiness), Some(true));
        assert_eq!(manager.get("gone", ProbeKind::Readiness), Some(true));
        let key = |id: &str, kind| WorkerKey {
            pod_uid: "u".into(),
            container_id: id.into(),
            kind,
        };
        let wanted = [
            key("running", ProbeKind::Readiness),
            key("running", ProbeKind::Startup),
        ];
        manager.reconcile("u", &wanted, |_| {
            tokio::spawn(std::future::pending::<()>()).abort_handle()
        });
        assert_eq!(manager.get("running", ProbeKind::Readiness), Some(true));
        assert_eq!(
            manager.get("gone", ProbeKind::Readiness),
            None,
            "not running any more"
        );
        assert_eq!(
            manager.checkpoint("u"),
            ProbeCheckpoint {
                ready: BTreeMap::from([("running".into(), true)]),
                started: BTreeMap::from([("running".into(), true)]),
            }
        );
        manager.forget_pod("u");
        assert_eq!(manager.get("running", ProbeKind::Readiness), None);
    }

    #[tokio::test]
    async fn reconcile_starts_missing_and_stops_stale_workers() {
        let manager = Manager::default();
        let key = |id: &str, kind| WorkerKey {
            pod_uid: "u".into(),
            container_id: id.into(),
            kind,
        };
        let mut started = Vec::new();
        let spawn = |k: &WorkerKey, started: &mut Vec<WorkerKey>| {
            started.push(k.clone());
            tokio::spawn(std::future::pending::<()>()).abort_handle()
        };
        manager.reconcile("u", &[key("a", ProbeKind::Readiness)], |k| {
            spawn(k, &mut started)
        });
        manager.set("a", ProbeKind::Readiness, true);
        manager.reconcile("u", &[key("a", ProbeKind::Readiness)], |k| {
            spawn(k, &mut started)
        });
        assert_eq!(started.len(), 1, "a running worker is kept");
        manager.reconcile("u", &[key("b", ProbeKind::Readiness)], |k| {
            spawn(k, &mut started)
        });
        assert_eq!(started.len(), 2);
        assert_eq!(
            manager.get("a", ProbeKind::Readiness),
            None,
            "stale results go"
        );
        manager.forget_pod("u");
        assert!(manager.workers_guard().is_empty());
    }
}
