//! The top of a vk-host run: start the plugin (its host callbacks scoped to
//! the pod controller's pods), then the node and pod controllers, the
//! kubelet API and the optional plain metrics listener on one root
//! cancellation token; a signal or a core task that
//! ends unexpectedly stops everything within a bounded grace.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::apiserver::{Events, KubeError, connect};
use crate::callbacks::CallbackScope;
use crate::config::Config;
use crate::plugin_process::{PluginError, Supervisor};
use crate::task_group::TaskGroup;
use crate::{kubelet_api, metrics, node, pods, shutdown};

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("installing signal handlers")]
    Signals(#[source] std::io::Error),
    #[error(transparent)]
    Kube(#[from] KubeError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(transparent)]
    Node(#[from] node::NodeError),
    #[error(transparent)]
    Pods(#[from] pods::PodsError),
    #[error(transparent)]
    KubeletApi(#[from] kubelet_api::ServeError),
    #[error(transparent)]
    Metrics(#[from] metrics::listener::ListenError),
}

/// Makes the host non-dumpable, so a process of the same uid (a plugin
/// without `--plugin-user`) can neither read `/proc/<host>/environ` or
/// `/proc/<host>/mem` nor ptrace it. Files the host can read (its
/// kubeconfig, a service-account token) stay readable to that uid: only
/// `--plugin-user` protects those, so say so when running as root without it.
fn protect_host_process(config: &Config) {
    if let Err(error) = nix::sys::prctl::set_dumpable(false) {
        tracing::warn!(%error, "cannot make vk-host non-dumpable (prctl PR_SET_DUMPABLE)");
    }
    if config.supervisor.plugin_user.is_none() && nix::unistd::geteuid().is_root() {
        tracing::warn!(
            "the plugin runs as root, vk-host's own identity: it can read vk-host's kubeconfig and service-account token and so bypass the host callbacks' scope; pass --plugin-user USER to run it as an unprivileged user"
        );
    }
}

/// Runs vk-host with a validated configuration until SIGTERM or SIGINT.
pub async fn run(config: Config) -> Result<(), RunError> {
    protect_host_process(&config);
    let root = CancellationToken::new();
    shutdown::cancel_on_signals(root.clone()).map_err(RunError::Signals)?;
    let client = connect(&config.kube).await?;
    let api_listener = kubelet_api::bind(&config.kubelet_api).await?;
    let metrics_listener = match config.metrics_bind_address {
        Some(address) => Some(metrics::listener::bind(address).await?),
        None => None,
    };
    tracing::info!(node = %config.node_name, plugin = %config.supervisor.spec.path.display(), "starting");
    // The pod controller keeps this node's pods here; the plugin's host
    // callbacks answer only for them, and the kubelet API looks pods up here.
    let node_pods = pods::NodePods::default();
    let mut supervisor_config = config.supervisor;
    supervisor_config.callbacks = CallbackScope::node(
        client.clone(),
        config.node_name.clone(),
        Arc::new(node_pods.clone()),
        config.max_token_expiration,
    );
    let supervisor = Supervisor::start(supervisor_config, &root).await?;

    let mut core: TaskGroup<Result<(), RunError>> = TaskGroup::new(root.child_token());
    let controllers = core.token().clone();
    // Events get their own pacing (the kubelet's --event-qps), so a plugin's
    // pod events never hold back status writes.
    let events = Events::new(
        crate::apiserver::connect(&config.events).await?,
        &config.node_name,
    );
    // The node's host IPs, from the node controller to the pod controller.
    let (host_ips_tx, host_ips) = tokio::sync::watch::channel(Vec::new());
    let node = node::run(
        // Lease and status never wait behind pod work in the paced client.
        crate::apiserver::connect_unpaced(&config.kube).await?,
        events.clone(),
        config.node,
        supervisor.watch(),
        host_ips_tx,
        controllers.clone(),
    );
    core.spawn(
        "node",
        async move { Ok(node.await?) }.instrument(tracing::info_span!("node")),
    );
    let api_state = kubelet_api::ApiState {
        node_name: config.node_name.clone(),
        client: client.clone(),
        plugin: supervisor.watch(),
        pods: Arc::new(node_pods.clone()),
    };
    let api = kubelet_api::serve(
        api_listener,
        config.kubelet_api,
        api_state,
        controllers.clone(),
    );
    core.spawn(
        "kubelet-api",
        async move { Ok(api.await?) }.instrument(tracing::info_span!("kubelet-api")),
    );
    if let Some(listener) = metrics_listener {
        let serve = metrics::listener::serve(listener, supervisor.watch(), controllers.clone());
        core.spawn(
            "metrics",
            async move { Ok(serve.await?) }.instrument(tracing::info_span!("metrics")),
        );
    }
    let pods = pods::run(
        client,
        events,
        config.pods,
        supervisor.watch(),
        node_pods,
        host_ips,
        controllers.clone(),
    );
    core.spawn(
        "pods",
        async move { Ok(pods.await?) }.instrument(tracing::info_span!("pods")),
    );

    let outcome = match core.first_unexpected_end().await {
        None => Ok(()),
        Some((task, Err(error))) => {
            tracing::error!(task, error = %error, "a core task failed; stopping");
            Err(error)
        }
        Some((task, Ok(()))) => {
            tracing::error!(task, "a core task ended unexpectedly; stopping");
            Ok(())
        }
    };
    core.stop(|_, ended| {
        if let Err(error) = ended {
            tracing::warn!(error = %error, "while stopping");
        }
    })
    .await;
    root.cancel();
    supervisor.wait().await;
    tracing::info!("stopped");
    outcome
}
