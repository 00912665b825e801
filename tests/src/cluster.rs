//! A real local Kubernetes control plane for tests: etcd, kube-apiserver,
//! kube-controller-manager and kube-scheduler on loopback, built from their Go
//! modules at the versions pinned in `controlplane/versions.env`.
//!
//! [`Cluster::shared`] starts one control plane per test binary; each test
//! takes its own namespace ([`Cluster::create_namespace`]) and node name
//! ([`node_name`]). [`Cluster::start`] starts a private one, stopped on drop;
//! [`Cluster::start_version`] and [`Cluster::start_with`] one of another
//! supported Kubernetes version or with extra feature gates.
//!
//! Version: `VK_K8S_VERSION` (e.g. `v1.35.4` or `v1.35`) selects one of the
//! supported versions for the whole test process, as it does for the
//! `controlplane/*.sh` scripts; unset, the default of `versions.env`.
//! `VK_CP_FEATURE_GATES` (e.g. `ExtendWebSocketsToKubelet=false`) adds
//! `--feature-gates` to every component of every cluster the process starts.
//!
//! Process lifetime: `controlplane/run.sh` supervises the components in its
//! own process group. Its stdin is a pipe whose write end only this process
//! holds, so when the test process exits - normally, by panic, or by SIGKILL -
//! the supervisor reads end of file and stops everything; the components also
//! carry a parent-death signal in case the supervisor itself is killed, and
//! the next harness start sweeps the state directories of dead owners.

mod binaries;
mod leftovers;
mod names;
mod wait;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

pub use binaries::{Binaries, TOOLS, VERSION_ENV, Versions, controlplane_dir, repo_dir};
pub use names::{node_name, unique_name};
pub use wait::{wait_for, wait_for_ok};

/// How long a control plane may take to become ready (cold page cache on a
/// busy 2-core machine included). Warm starts take a few seconds.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the supervisor gets to stop the components before we kill them.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a control plane could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The pinned binaries are not in the cache (or are of another version).
    #[error(
        "control-plane binaries {versions} are not built in {bin_dir}; run {script} {version} (needs Go; takes minutes on a cold cache)",
        bin_dir = .bin_dir.display(),
        script = .script.display()
    )]
    BinariesMissing {
        /// The versions wanted, as in the build stamp.
        versions: String,
        /// Where they were looked for.
        bin_dir: PathBuf,
        /// The script that builds them.
        script: PathBuf,
        /// The Kubernetes version, the script's argument.
        version: String,
    },
    /// `VK_K8S_VERSION` or a test asked for a version that is not supported.
    #[error(
        "Kubernetes version '{wanted}' is not supported; supported: {supported} (controlplane/versions.env; select one with VK_K8S_VERSION)"
    )]
    UnsupportedVersion {
        /// The version asked for.
        wanted: String,
        /// The supported versions, comma-separated.
        supported: String,
    },
    /// `controlplane/versions.env` lacks a key.
    #[error("{key} is missing from {path}", path = .path.display())]
    Versions {
        /// The versions file.
        path: PathBuf,
        /// The missing key.
        key: String,
    },
    /// Neither `VK_CACHE_DIR` nor `HOME` is set.
    #[error("cannot locate the binary cache: set VK_CACHE_DIR or HOME")]
    NoHome,
    /// A file-system or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What we were doing.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The supervisor did not report ready.
    #[error(
        "the control plane in {state_dir} did not start: {reason}\n--- {state_dir}/logs/supervisor.log ---\n{log}",
        state_dir = .state_dir.display()
    )]
    StartFailed {
        /// The instance's state directory (logs are in `logs/`).
        state_dir: PathBuf,
        /// What went wrong, in short.
        reason: String,
        /// The supervisor's log (no secrets: it logs paths, ports and component log tails).
        log: String,
    },
}

/// Who a kubeconfig, kubectl call or client acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `kubernetes-admin` in group `system:masters`: may do anything.
    Admin,
    /// The plain user `vk-host`, bound to the ClusterRole and Role in
    /// `controlplane/manifests/vk-host-rbac.yaml`.
    VkHost,
}

/// What a kubectl call printed, and how it ended.
#[derive(Debug)]
pub struct KubectlOutput {
    /// The command line, for messages (`kubectl --kubeconfig ... get pods`).
    pub command: String,
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl KubectlOutput {
    /// Panics, showing the command and its stderr, unless kubectl succeeded.
    #[track_caller]
    pub fn success(self) -> Self {
        assert!(
            self.status.success(),
            "`{}` failed ({}): {}",
            self.command,
            self.status,
            self.stderr.trim()
        );
        self
    }

    /// Panics unless kubectl failed; for checks that something is refused.
    #[track_caller]
    pub fn failure(self) -> Self {
        assert!(
            !self.status.success(),
            "`{}` succeeded but was expected to fail; it printed: {}",
            self.command,
            self.stdout.trim()
        );
        self
    }

    /// Standard output parsed as JSON (use with `-o json`); panics if it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}` did not print JSON ({e}): {}",
                self.command, self.stdout
            )
        })
    }
}

/// How to start a private control plane ([`Cluster::start_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterOptions {
    /// A supported Kubernetes version (`v1.35.4` or `v1.35`); `None`: the one
    /// `VK_K8S_VERSION` selects, or the default.
    pub k8s_version: Option<String>,
    /// `--feature-gates` for kube-apiserver, kube-controller-manager and
    /// kube-scheduler, e.g. `ExtendWebSocketsToKubelet=false`; `None`: whatever
    /// `VK_CP_FEATURE_GATES` says (usually nothing).
    pub feature_gates: Option<String>,
}

/// One running control plane. Dropping it stops every process and removes its
/// state directory; the [`shared`](Cluster::shared) one stops when the test
/// process exits.
#[derive(Debug)]
pub struct Cluster {
    binaries: Binaries,
    state_dir: PathBuf,
    server: String,
    env: HashMap<String, String>,
    supervisor_pid: u32,
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Option<Child>>,
    /// Keep the state directory (logs) on drop: set when start-up failed.
    keep_state: bool,
}

static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
static INSTANCE: AtomicU32 = AtomicU32::new(0);

/// Where test state directories live: `$VK_CLUSTER_ROOT`, or
/// `<temp dir>/vk-host-clusters`.
pub fn clusters_root() -> PathBuf {
    match std::env::var_os("VK_CLUSTER_ROOT") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join("vk-host-clusters"),
    }
}

impl Cluster {
    /// The control plane shared by all tests in this test binary, started on
    /// first use. Panics (never skips) when it cannot start, e.g. when the
    /// binaries are not built; the message says how to fix it.
    pub fn shared() -> &'static Cluster {
        match SHARED.get_or_init(|| Cluster::start().map_err(|e| e.to_string())) {
            Ok(cluster) => cluster,
            Err(message) => panic!("cannot start the shared test control plane: {message}"),
        }
    }

    /// Starts a private control plane with its own ports and state directory.
    /// It is stopped, and its state removed, when the value is dropped.
    pub fn start() -> Result<Cluster, ClusterError> {
        Self::start_with(&ClusterOptions::default())
    }

    /// Starts a private control plane of a supported Kubernetes version
    /// (`v1.35.4`, or its minor `v1.35`), whatever `VK_K8S_VERSION` says.
    pub fn start_version(version: &str) -> Result<Cluster, ClusterError> {
        Self::start_with(&ClusterOptions {
            k8s_version: Some(version.to_string()),
            ..ClusterOptions::default()
        })
    }

    /// Starts a private control plane as `options` say.
    pub fn start_with(options: &ClusterOptions) -> Result<Cluster, ClusterError> {
        let binaries = match &options.k8s_version {
            Some(version) => Binaries::for_version(version)?,
            None => Binaries::locate()?,
        };
        binaries.check()?;
        let root = clusters_root();
        leftovers::sweep(&root);
        // Ports are picked at random and can, rarely, be taken between the
        // check and the bind; one retry makes that a non-event.
        match Self::start_once(&binaries, options, &root) {
            Err(ClusterError::StartFailed { log, .. })
                if log.contains("address already in use") =>
            {
                Self::start_once(&binaries, options, &root)
            }
            other => other,
        }
    }

    fn start_once(
        binaries: &Binaries,
        options: &ClusterOptions,
        root: &Path,
    ) -> Result<Cluster, ClusterError> {
        let io = |what: String| move |source| ClusterError::Io { what, source };
        let name = format!(
            "{}-{}-{}",
            test_binary_name(),
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        );
        let state_dir = root.join(name);
        std::fs::create_dir_all(state_dir.join("logs"))
            .map_err(io(format!("creating {}", state_dir.display())))?;
        std::fs::write(state_dir.join("owner"), leftovers::own_identity())
            .map_err(io(format!("writing {}/owner", state_dir.display())))?;
        let log_path = state_dir.join("logs").join("supervisor.log");
        let log = std::fs::File::create(&log_path)
            .map_err(io(format!("creating {}", log_path.display())))?;

        let script = controlplane_dir().join("run.sh");
        let started = Instant::now();
        let mut command = Command::new("bash");
        if let Some(gates) = &options.feature_gates {
            command.env("VK_CP_FEATURE_GATES", gates);
        }
        let mut child = command
            .arg(&script)
            .arg(&state_dir)
            // run.sh resolves the same version to the same binaries.
            .env(VERSION_ENV, &binaries.k8s_version)
            .env("VK_CP_WATCH_STDIN", "1")
            .env("VK_CP_EPHEMERAL", "1")
            .env("VK_CP_OWNER_PID", std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            // Its own process group: a Ctrl-C in the terminal reaches only the
            // test process, and the whole cluster can be killed as one group.
            .process_group(0)
            .spawn()
            .map_err(io(format!("starting {}", script.display())))?;
        let supervisor_pid = child.id();

        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let ready = BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                    .any(|line| line.trim() == "READY");
                let _ = tx.send(ready);
            });
        }
        let mut cluster = Cluster {
            binaries: binaries.clone(),
            server: String::new(),
            env: HashMap::new(),
            supervisor_pid,
            stdin: Mutex::new(child.stdin.take()),
            child: Mutex::new(Some(child)),
            state_dir,
            keep_state: false,
        };
        let failure = match rx.recv_timeout(START_TIMEOUT) {
            Ok(true) => None,
            Ok(false) => Some("the supervisor exited before it was ready".to_string()),
            Err(_) => Some(format!("not ready within {START_TIMEOUT:?}")),
        };
        if let Some(reason) = failure {
            // The component logs stay for the reader; the next start sweeps them.
            cluster.keep_state = true;
            cluster.stop();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(ClusterError::StartFailed {
                state_dir: cluster.state_dir.clone(),
                reason,
                log,
            });
        }
        let env_path = cluster.state_dir.join("cluster.env");
        let text = std::fs::read_to_string(&env_path)
            .map_err(io(format!("reading {}", env_path.display())))?;
        cluster.env = binaries::parse_env(&text);
        cluster.server = cluster.env.get("SERVER").cloned().unwrap_or_default();
        // Captured by the test harness and shown when a test fails: where to look.
        eprintln!(
            "vk-tests: control plane {} (Kubernetes {}) ready in {} ms; state and logs in {}",
            cluster.server,
            cluster.binaries.k8s_version,
            started.elapsed().as_millis(),
            cluster.state_dir.display()
        );
        Ok(cluster)
    }

    /// The apiserver URL, `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// This instance's state directory (PKI, kubeconfigs, logs, etcd data).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The binaries in use (their version: `binaries().k8s_version`).
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// The real `kubectl` of this control plane's version.
    pub fn kubectl_path(&self) -> PathBuf {
        self.binaries.path("kubectl")
    }

    /// The kubeconfig of an identity (client certificate, embedded).
    pub fn kubeconfig(&self, who: Identity) -> PathBuf {
        match who {
            Identity::Admin => self.state_dir.join("admin.kubeconfig"),
            Identity::VkHost => self.state_dir.join("vk-host.kubeconfig"),
        }
    }

    /// The admin kubeconfig (`system:masters`).
    pub fn admin_kubeconfig(&self) -> PathBuf {
        self.kubeconfig(Identity::Admin)
    }

    /// The kubeconfig of the `vk-host` user (least-privilege RBAC).
    pub fn vk_host_kubeconfig(&self) -> PathBuf {
        self.kubeconfig(Identity::VkHost)
    }

    /// The cluster CA certificate: it signed the apiserver's serving
    /// certificate and every client certificate, including the one the
    /// apiserver presents to kubelets (verify kubelet-API clients with it).
    pub fn ca_cert(&self) -> PathBuf {
        self.state_dir.join("pki").join("ca.crt")
    }

    /// The CA the apiserver trusts for kubelet serving certificates
    /// (`--kubelet-certificate-authority`).
    pub fn kubelet_ca_cert(&self) -> PathBuf {
        self.state_dir.join("pki").join("kubelet-ca.crt")
    }

    /// The private key of [`kubelet_ca_cert`](Self::kubelet_ca_cert), to sign
    /// a vk-host serving certificate.
    pub fn kubelet_ca_key(&self) -> PathBuf {
        self.state_dir.join("pki").join("kubelet-ca.key")
    }

    /// Issues a kubelet serving certificate for `node` (subject
    /// `system:node:<node>` in `system:nodes`; SANs: the node name,
    /// `localhost`, 127.0.0.1), signed by the kubelet CA, into `dir`; returns
    /// `(cert, key)` paths. Runs `controlplane/kubelet-cert.sh`.
    pub fn issue_kubelet_serving_cert(
        &self,
        node: &str,
        dir: &Path,
    ) -> Result<(PathBuf, PathBuf), ClusterError> {
        let dir_arg = dir.to_string_lossy();
        self.run_script("kubelet-cert.sh", &[node, &dir_arg])?;
        Ok((
            dir.join(format!("{node}.crt")),
            dir.join(format!("{node}.key")),
        ))
    }

    /// Writes to `path` a kubeconfig with a client certificate for `user` in
    /// `groups`, signed by the cluster CA: any identity an authentication or
    /// authorization test needs (e.g. `system:node:<name>` in
    /// `system:nodes`). Runs `controlplane/client-kubeconfig.sh`.
    pub fn issue_kubeconfig(
        &self,
        user: &str,
        groups: &[&str],
        path: &Path,
    ) -> Result<PathBuf, ClusterError> {
        let path_arg = path.to_string_lossy();
        let mut args = vec![path_arg.as_ref(), user];
        args.extend_from_slice(groups);
        self.run_script("client-kubeconfig.sh", &args)?;
        Ok(path.to_path_buf())
    }

    /// Runs `controlplane/<script> <state dir> <args...>`.
    fn run_script(&self, script: &str, args: &[&str]) -> Result<(), ClusterError> {
        let script = controlplane_dir().join(script);
        let output = Command::new("bash")
            .arg(&script)
            .arg(&self.state_dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| ClusterError::Io {
                what: format!("running {}", script.display()),
                source,
            })?;
        if output.status.success() {
            return Ok(());
        }
        Err(ClusterError::Io {
            what: format!("{} {}", script.display(), args.join(" ")),
            source: std::io::Error::other(format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )),
        })
    }

    /// The supervisor's pid; the process group of the whole instance.
    pub fn supervisor_pid(&self) -> u32 {
        self.supervisor_pid
    }

    /// `(component, pid)` of etcd, kube-apiserver, kube-controller-manager and
    /// kube-scheduler.
    pub fn component_pids(&self) -> Vec<(String, u32)> {
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
        ]
        .iter()
        .filter_map(|name| {
            let key = format!("PID_{}", name.to_uppercase().replace('-', "_"));
            let pid = self.env.get(&key)?.parse().ok()?;
            Some((name.to_string(), pid))
        })
        .collect()
    }

    /// A `kubectl` command with `--kubeconfig` set for `who`, for calls that
    /// need more than [`kubectl_as`](Self::kubectl_as) (streams, `-f -`, ...).
    pub fn kubectl_command(&self, who: Identity) -> tokio::process::Command {
        self.kubectl_command_using(&self.kubectl_path(), who)
    }

    /// [`kubectl_command`](Self::kubectl_command) with another `kubectl`
    /// executable, e.g. another minor's (`Binaries::for_version("v1.35")?
    /// .path("kubectl")`): kubectl's version skew against this API server.
    pub fn kubectl_command_using(&self, kubectl: &Path, who: Identity) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(kubectl);
        command
            .arg("--kubeconfig")
            .arg(self.kubeconfig(who))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs the real kubectl as the admin. Check the result with
    /// [`KubectlOutput::success`] or [`KubectlOutput::failure`].
    pub async fn kubectl(&self, args: &[&str]) -> KubectlOutput {
        self.kubectl_as(Identity::Admin, args).await
    }

    /// Runs the real kubectl as `who`.
    pub async fn kubectl_as(&self, who: Identity, args: &[&str]) -> KubectlOutput {
        self.kubectl_stdin(who, args, None).await
    }

    /// Runs the real kubectl as `who`, feeding `input` on stdin (for `-f -`).
    pub async fn kubectl_stdin(
        &self,
        who: Identity,
        args: &[&str],
        input: Option<&str>,
    ) -> KubectlOutput {
        self.kubectl_using(&self.kubectl_path(), who, args, input.map(str::as_bytes))
            .await
    }

    /// Runs the `kubectl` executable at `kubectl` (e.g. another minor's) as
    /// `who`, feeding `input` on stdin; stdout is read as UTF-8, lossily.
    pub async fn kubectl_using(
        &self,
        kubectl: &Path,
        who: Identity,
        args: &[&str],
        input: Option<&[u8]>,
    ) -> KubectlOutput {
        // The path only when it is not this cluster's own kubectl.
        let program = if kubectl == self.kubectl_path() {
            "kubectl".to_string()
        } else {
            kubectl.display().to_string()
        };
        let command_line = format!(
            "{program} --kubeconfig {} {}",
            self.kubeconfig(who).display(),
            args.join(" ")
        );
        let mut command = self.kubectl_command_using(kubectl, who);
        command
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{command_line}`: {e}"));
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            use tokio::io::AsyncWriteExt;
            stdin
                .write_all(input)
                .await
                .unwrap_or_else(|e| panic!("writing stdin of `{command_line}`: {e}"));
        }
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{command_line}` did not finish within 60 s"))
            .unwrap_or_else(|e| panic!("waiting for `{command_line}`: {e}"));
        KubectlOutput {
            command: command_line,
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// A kube-rs client acting as the admin.
    pub async fn client(&self) -> kube::Client {
        self.client_as(Identity::Admin).await
    }

    /// A kube-rs client acting as `who`; panics with the reason if the
    /// kubeconfig cannot be loaded.
    pub async fn client_as(&self, who: Identity) -> kube::Client {
        let path = self.kubeconfig(who);
        let kubeconfig = kube::config::Kubeconfig::read_from(&path)
            .unwrap_or_else(|e| panic!("reading kubeconfig {}: {e}", path.display()));
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("loading kubeconfig {}: {e}", path.display()));
        kube::Client::try_from(config)
            .unwrap_or_else(|e| panic!("building a client from {}: {e}", path.display()))
    }

    /// Creates a namespace named `<prefix>-<pid>-<n>`, waits until the
    /// controller manager has created its `default` ServiceAccount (pods
    /// cannot be created before that), and returns its name.
    pub async fn create_namespace(&self, prefix: &str) -> String {
        use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
        let name = unique_name(prefix);
        let client = self.client().await;
        let namespaces: kube::Api<Namespace> = kube::Api::all(client.clone());
        let namespace = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("vk-host.test/owner".to_string(), "vk-tests".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        namespaces
            .create(&kube::api::PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {name} on {}: {e}", self.server));
        let service_accounts: kube::Api<ServiceAccount> = kube::Api::namespaced(client, &name);
        wait_for_ok(
            Duration::from_secs(60),
            &format!("ServiceAccount default in new namespace {name} (created by kube-controller-manager)"),
            async || match service_accounts.get_opt("default").await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err("not created yet".to_string()),
                Err(e) => Err(e.to_string()),
            },
        )
        .await;
        name
    }

    /// Restarts kube-apiserver alone (same port, flags and etcd data; the
    /// other components and the clients must reconnect), and waits until it
    /// serves again. Use it on a private [`Cluster::start`] instance: every
    /// test sharing the cluster would see the outage.
    pub async fn restart_apiserver(&self) {
        self.apiserver_outage(Duration::ZERO).await;
    }

    /// Stops kube-apiserver, keeps it down for `outage` (whole seconds;
    /// clients' connections are refused meanwhile), then starts it as
    /// [`restart_apiserver`](Self::restart_apiserver) does and waits until it
    /// serves again. Use it on a private [`Cluster::start`] instance.
    pub async fn apiserver_outage(&self, outage: Duration) {
        let request = self.state_dir.join("apiserver-outage-seconds");
        std::fs::write(&request, outage.as_secs().to_string())
            .unwrap_or_else(|e| panic!("writing {}: {e}", request.display()));
        let counter = self.state_dir.join("apiserver-restarts");
        let count = || {
            std::fs::read_to_string(&counter)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let before = count();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.supervisor_pid as i32),
            nix::sys::signal::Signal::SIGUSR1,
        )
        .unwrap_or_else(|e| panic!("signalling the control-plane supervisor: {e}"));
        wait_for(
            Duration::from_secs(90) + outage,
            &format!(
                "kube-apiserver of {} to restart and be ready (see {}/logs)",
                self.server,
                self.state_dir.display()
            ),
            async || (count() > before).then_some(()),
        )
        .await;
    }

    /// Stops the control plane: closes the supervisor's stdin (it stops the
    /// components: TERM, then KILL after 5 s), waits for it, and kills the
    /// process group if anything is left.
    fn stop(&mut self) {
        let stdin = self
            .stdin
            .get_mut()
            .map(Option::take)
            .unwrap_or_else(|p| p.into_inner().take());
        if let Some(mut stdin) = stdin {
            let _ = stdin.flush();
        }
        let child = self
            .child
            .get_mut()
            .map(Option::take)
            .unwrap_or_else(|p| p.into_inner().take());
        let Some(mut child) = child else { return };
        let deadline = Instant::now() + STOP_TIMEOUT;
        let exited = loop {
            match child.try_wait() {
                Ok(Some(_)) => break true,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => break false,
            }
        };
        if !exited {
            tracing::warn!(
                state_dir = %self.state_dir.display(),
                "control-plane supervisor did not stop in time; killing its process group"
            );
            leftovers::send_signal(-i64::from(self.supervisor_pid), "KILL");
            let _ = child.wait();
        }
        // Belt and braces: anything recorded that still runs from this state dir.
        leftovers::kill_recorded(&self.state_dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if self.keep_state {
            // Start-up failed; the error already names this directory.
        } else if std::thread::panicking() {
            // Keep the logs of a failing test; the next harness start sweeps it.
            eprintln!(
                "vk-tests: test failed; control-plane logs kept in {}/logs",
                self.state_dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        }
    }
}

/// The file name of the running test binary without cargo's hash suffix.
fn test_binary_name() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "test".to_string());
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_string(),
        _ => stem,
    }
}

/// True while `pid` names a live (non-zombie) process.
pub fn process_alive(pid: u32) -> bool {
    leftovers::is_alive(pid)
}
