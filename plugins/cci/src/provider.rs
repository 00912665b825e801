//! [`CciProvider`]: the SDK's `Provider` over the remote namespace. Pod
//! calls translate and mirror; lookups read the held pods and the watched
//! remote statuses; logs, exec and attach go to the remote API.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use tracing::{Instrument as _, info, warn};
use vk_plugin_sdk::proto::{Capability, NodeAddress, NodeInfo, NodeSystemInfo};
use vk_plugin_sdk::{
    ByteStream, ExecRequest, ExecSession, ExitStatus, HostClient, LogsRequest, PodEvent, PodKey,
    PodStatusStream, PodStatusUpdate, PortForwardConnection, Provider, ProviderError, Readiness,
    go_arch,
};

use crate::config::Config;
use crate::state::{Held, State};
use crate::translate::{self, Target};
use crate::{errors, exec, logs, names, objects, port_forward, update};

/// Mirrors pods into the remote namespace.
#[derive(Clone)]
pub struct CciProvider {
    client: kube::Client,
    host: Option<HostClient>,
    config: Config,
    state: State,
}

impl std::fmt::Debug for CciProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CciProvider")
            .field("namespace", &self.config.namespace)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl CciProvider {
    /// A provider using `client` for the remote API; starts the watch of
    /// the remote pods (call inside a Tokio runtime).
    pub fn start(config: Config, client: kube::Client, host: Option<HostClient>) -> Self {
        let target = Target {
            namespace: config.namespace.clone(),
            extra_labels: config.remote_labels.clone(),
            node: config.node_name.clone(),
        };
        let state = State::new(target);
        let selector = names::selector(config.node_name.as_deref());
        let span = tracing::info_span!("remote-watch", namespace = %config.namespace);
        tokio::spawn(
            crate::state::watch(
                client.clone(),
                config.namespace.clone(),
                selector,
                state.clone(),
            )
            .instrument(span),
        );
        Self {
            client,
            host,
            config,
            state,
        }
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.config.namespace)
    }

    fn held(&self, key: &PodKey) -> Result<Held, ProviderError> {
        self.state
            .find(key)
            .ok_or_else(|| ProviderError::NotFound(format!("pod {key}")))
    }

    fn uid_of(held: &Held) -> String {
        held.local.metadata.uid.clone().unwrap_or_default()
    }

    /// Waits (bounded by `container_start_wait_seconds`) until `container`
    /// of the remote pod has started, for logs, exec and attach.
    async fn wait_started(&self, key: &PodKey, container: &str) -> Result<Held, ProviderError> {
        let held = self.held(key)?;
        let spec = held.local.spec.clone().unwrap_or_default();
        let known = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .any(|c| c.name == container);
        if !known {
            return Err(ProviderError::NotFound(format!(
                "container {container} of pod {key}"
            )));
        }
        let uid = Self::uid_of(&held);
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.config.container_start_wait_seconds);
        loop {
            let started = self.state.remote(&uid).is_some_and(|remote| {
                let status = remote.status.unwrap_or_default();
                status
                    .container_statuses
                    .iter()
                    .flatten()
                    .chain(status.init_container_statuses.iter().flatten())
                    .any(|c| {
                        c.name == container
                            && (c
                                .state
                                .as_ref()
                                .is_some_and(|s| s.running.is_some() || s.terminated.is_some())
                                || c.last_state
                                    .as_ref()
                                    .is_some_and(|s| s.terminated.is_some()))
                    })
            });
            if started {
                return Ok(held);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProviderError::FailedPrecondition(format!(
                    "container {container} of pod {key} has not started remotely"
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[vk_plugin_sdk::async_trait]
impl Provider for CciProvider {
    fn capabilities(&self) -> Vec<Capability> {
        vec![
            Capability::PodStatusStream,
            Capability::ContainerLogs,
            Capability::Exec,
            Capability::Attach,
            Capability::PortForward,
            Capability::NodeInfo,
        ]
    }

    async fn create_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let key = PodKey::of(&pod);
        let (_, _, uid) = translate::origin(&pod).map_err(ProviderError::InvalidArgument)?;
        if self.state.find(&key).is_some() {
            return Ok(());
        }
        if let Some(other) = self.state.conflicting(&key) {
            return Err(ProviderError::AlreadyExists(format!(
                "pod {key} is held under uid {}",
                Self::uid_of(&other)
            )));
        }
        let mirror = translate::to_remote(&pod, &self.state.target)
            .map_err(|e| ProviderError::InvalidArgument(format!("pod {key}: {e}")))?;
        let remote_name = mirror.pod.metadata.name.clone().unwrap_or_default();
        let pods = self.pods();
        let what = format!("creating pod {key} as remote {remote_name}");
        // The remote name may be taken: by this pod (a create whose answer
        // was lost) or by another UID.
        match pods.get_opt(&remote_name).await {
            Ok(Some(existing)) => {
                return match translate::origin_uid(&existing) {
                    Some(held) if held == uid => {
                        let local = pod.clone();
                        self.state.insert(
                            &uid,
                            Held {
                                local,
                                remote_name,
                                deleting: false,
                                gone: None,
                            },
                        );
                        Ok(())
                    }
                    _ if existing.metadata.deletion_timestamp.is_some() => {
                        Err(ProviderError::Unavailable(format!(
                            "{what}: an earlier remote pod of that name is still terminating"
                        )))
                    }
                    other => Err(ProviderError::AlreadyExists(format!(
                        "{what}: the remote pod belongs to uid {}",
                        other.unwrap_or("<unknown>")
                    ))),
                };
            }
            Ok(None) => {}
            Err(error) => return Err(errors::remote(&what, error)),
        }
        if !mirror.dropped.is_empty() {
            info!(pod = %key, dropped = ?mirror.dropped, "not mirrored remotely");
        }
        let labels = translate::object_labels(&self.state.target, &uid);
        objects::copy_all(
            &self.client,
            &self.config.namespace,
            self.host.as_ref(),
            &key,
            &mirror.references,
            &mirror.copies,
            &labels,
        )
        .await?;
        self.state.insert(
            &uid,
            Held {
                local: pod.clone(),
                remote_name: remote_name.clone(),
                deleting: false,
                gone: None,
            },
        );
        let created = match pods.create(&PostParams::default(), &mirror.pod).await {
            Ok(created) => created,
            Err(error) => {
                self.state.remove(&uid);
                objects::delete_all(&self.client, &self.config.namespace, &uid).await;
                return Err(errors::remote(&what, error));
            }
        };
        info!(pod = %key, remote = remote_name, "created the remote pod");
        self.state.feed.send(PodStatusUpdate::events(
            key.clone(),
            vec![PodEvent::normal(
                "Mirrored",
                format!("created remote pod {}/{remote_name}", self.config.namespace),
            )],
        ));
        if let Some(remote_uid) = &created.metadata.uid {
            objects::set_owner(
                &self.client,
                &self.config.namespace,
                &mirror.copies,
                &remote_name,
                remote_uid,
            )
            .await;
        }
        Ok(())
    }

    async fn update_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let key = PodKey::of(&pod);
        let held = self.held(&key)?;
        let uid = Self::uid_of(&held);
        let remote = match self.state.remote(&uid) {
            Some(remote) => remote,
            None => self
                .pods()
                .get(&held.remote_name)
                .await
                .map_err(|e| errors::remote(&format!("reading remote pod of {key}"), e))?,
        };
        let plan = update::plan(&pod, &remote, &self.state.target)
            .map_err(|e| ProviderError::InvalidArgument(format!("pod {key}: {e}")))?;
        if !plan.ignored.is_empty() {
            info!(pod = %key, ignored = ?plan.ignored, "changes a running pod cannot take; ignored");
        }
        if let Some(patch) = plan.patch {
            self.pods()
                .patch(
                    &held.remote_name,
                    &PatchParams::default(),
                    &Patch::Strategic(&patch),
                )
                .await
                .map_err(|e| errors::remote(&format!("updating remote pod of {key}"), e))?;
        }
        self.state.modify(&uid, |held| held.local = pod);
        Ok(())
    }

    async fn delete_pod(&self, pod: Pod) -> Result<(), ProviderError> {
        let key = PodKey::of(&pod);
        let held = self.held(&key)?;
        let uid = Self::uid_of(&held);
        let grace = pod
            .metadata
            .deletion_grace_period_seconds
            .or_else(|| pod.spec.as_ref()?.termination_grace_period_seconds)
            .and_then(|g| u32::try_from(g).ok());
        self.state.modify(&uid, |held| held.deleting = true);
        let remote_uid = self.state.remote(&uid).and_then(|r| r.metadata.uid);
        let params = DeleteParams {
            grace_period_seconds: grace,
            preconditions: remote_uid.map(|uid| Preconditions {
                uid: Some(uid),
                resource_version: None,
            }),
            ..Default::default()
        };
        let what = format!("deleting remote pod {} of {key}", held.remote_name);
        match self.pods().delete(&held.remote_name, &params).await {
            Ok(_) => {
                info!(pod = %key, remote = held.remote_name, ?grace, "deleting the remote pod")
            }
            Err(error) if errors::is_not_found(&error) || held.gone.is_some() => {
                // Already gone: report the end now.
                let status = held.gone.clone().unwrap_or_else(|| {
                    translate::gone_status(
                        self.state.remote(&uid).map(|r| translate::local_status(&r)),
                        true,
                    )
                });
                self.state.remove(&uid);
                self.state
                    .feed
                    .send(PodStatusUpdate::status(held.key(), status));
            }
            Err(error) => {
                self.state.modify(&uid, |held| held.deleting = false);
                return Err(errors::remote(&what, error));
            }
        }
        objects::delete_all(&self.client, &self.config.namespace, &uid).await;
        Ok(())
    }

    async fn get_pod(&self, key: &PodKey) -> Result<Pod, ProviderError> {
        let held = self.held(key)?;
        let uid = Self::uid_of(&held);
        let mut pod = held.local.clone();
        pod.status = Some(self.state.status_of(&held, &uid));
        Ok(pod)
    }

    async fn get_pod_status(&self, key: &PodKey) -> Result<PodStatus, ProviderError> {
        let held = self.held(key)?;
        Ok(self.state.status_of(&held, &Self::uid_of(&held)))
    }

    async fn get_pods(&self) -> Result<Vec<Pod>, ProviderError> {
        self.state.readiness().map_err(|why| {
            ProviderError::Unavailable(format!("the remote pods are not listed yet: {why}"))
        })?;
        Ok(self.state.all())
    }

    async fn probe(&self) -> Readiness {
        match self.state.readiness() {
            Ok(()) => Readiness::Ready,
            Err(why) => Readiness::NotReady(why),
        }
    }

    async fn watch_pod_status(&self) -> Result<PodStatusStream, ProviderError> {
        Ok(self.state.feed.subscribe())
    }

    async fn container_logs(&self, request: LogsRequest) -> Result<ByteStream, ProviderError> {
        let held = self.wait_started(&request.pod, &request.container).await?;
        logs::stream(&self.pods(), &held.remote_name, &request).await
    }

    async fn exec(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let held = self.wait_started(&request.pod, &request.container).await?;
        exec::run(&self.pods(), &held.remote_name, request, session, false).await
    }

    async fn attach(
        &self,
        request: ExecRequest,
        session: ExecSession,
    ) -> Result<ExitStatus, ProviderError> {
        let held = self.wait_started(&request.pod, &request.container).await?;
        exec::run(&self.pods(), &held.remote_name, request, session, true).await
    }

    async fn port_forward(
        &self,
        pod: PodKey,
        port: u16,
        connection: PortForwardConnection,
    ) -> Result<(), ProviderError> {
        let held = self.held(&pod)?;
        let what = format!(
            "port-forward to port {port} of pod {pod} (remote {})",
            held.remote_name
        );
        // As the kubelet: only into a running pod (the remote API would
        // accept the stream and close it at once).
        let running = self
            .state
            .remote(&Self::uid_of(&held))
            .and_then(|remote| remote.status?.container_statuses)
            .is_some_and(|statuses| {
                statuses
                    .iter()
                    .any(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
            });
        if !running {
            return Err(ProviderError::FailedPrecondition(format!(
                "{what}: no container of the pod is running"
            )));
        }
        port_forward::run(&self.pods(), &held.remote_name, &what, port, connection).await
    }

    async fn node_info(&self) -> Result<NodeInfo, ProviderError> {
        Ok(node_info(&self.config))
    }

    async fn shutdown(&self) {
        if let Err(why) = self.state.readiness() {
            warn!(why, "stopping before the remote pods were listed");
        }
    }
}

/// What the node reports: the configured capacity.
pub fn node_info(config: &Config) -> NodeInfo {
    NodeInfo {
        capacity: [
            ("cpu", &config.cpu),
            ("memory", &config.memory),
            ("pods", &config.pods),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect(),
        system_info: Some(NodeSystemInfo {
            operating_system: "linux".into(),
            architecture: go_arch(std::env::consts::ARCH).into(),
            os_image: format!("remote Kubernetes namespace {}", config.namespace),
            container_runtime_version: format!("vk-cci-plugin://{}", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        }),
        addresses: config
            .host_ip
            .map(|ip| NodeAddress {
                r#type: "InternalIP".into(),
                address: ip.to_string(),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    }
}
