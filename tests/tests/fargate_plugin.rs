//! The Fargate plugin (plugins/fargate) end to end against moto, the AWS
//! emulator (scripts/moto.sh): built with its build.sh, checked by
//! `vk-plugin-conformance`, then run under the real vk-host against the real
//! control plane. A Deployment's pods become FARGATE tasks (read back
//! through the AWS API: task definition, size rounded up, tags, the pod IP
//! is the ENI's address), `kubectl logs` shows CloudWatch Logs events, a
//! SIGKILLed plugin adopts its tasks without starting new ones, a scale
//! down stops the task, and a task stopped outside Kubernetes ends its pod
//! with ECS's reason.
//!
//! What moto does not do, and so is not proven here: moto starts a FARGATE
//! task RUNNING at once (no PROVISIONING/PENDING), and by default advances
//! it one state per DescribeTasks until STOPPED; the fixture sets moto's
//! state manager so tasks run until stopped. Containers run nothing, and
//! every container of a stopped task reports exit code 0.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use vk_tests::cluster::{Cluster, Identity, unique_name, wait_for_ok};
use vk_tests::processes::{children_of, workspace_binary};
use vk_tests::virtual_node::{NodeSetup, VirtualNode, free_port};

/// Replicas of the test Deployment.
const REPLICAS: usize = 2;
/// The ECS cluster and log group of the node (moto is private to the test).
const ECS_CLUSTER: &str = "vk-pods";
const LOG_GROUP: &str = "/vk-host/pods";
/// The awslogs stream prefix of the configuration.
const STREAM_PREFIX: &str = "web";
/// The pods' requests (300m, 600Mi) round up to this Fargate size.
const TASK_CPU: &str = "512";
const TASK_MEMORY: &str = "1024";
const IMAGE: &str = "public.ecr.aws/docker/library/nginx:1.27";
/// The last CloudWatch event of the first pod's container.
const FOLLOWED_LINE: &str = "a line written while kubectl follows";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository root")
}

/// Runs a repository script and returns its stdout's last line; panics with
/// its stderr when it fails.
fn script(args: &[&str]) -> String {
    let output = Command::new(repo().join(args[0]))
        .args(&args[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", args[0]));
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// vk-fargate-plugin, built once per test binary with plugins/fargate/build.sh.
fn built_plugin() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = workspace_binary("vk-host")
            .parent()
            .expect("target/<profile>")
            .join("fargate-plugin");
        let out = dir.join("vk-fargate-plugin");
        script(&[
            "plugins/fargate/build.sh",
            out.to_str().expect("utf-8 path"),
        ]);
        out
    })
}

/// The moto virtualenv's moto_server and python (scripts/moto.sh builds it
/// on first use).
fn moto_paths() -> &'static (PathBuf, PathBuf) {
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| {
        let server = PathBuf::from(script(&["scripts/moto.sh", "path"]));
        let python = PathBuf::from(script(&["scripts/moto.sh", "python"]));
        (server, python)
    })
}

/// A moto server on 127.0.0.1 and a free port, killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
    log_file: tempfile::NamedTempFile,
}

impl Moto {
    fn start() -> Self {
        let (server, _) = moto_paths();
        let port = free_port();
        let log = tempfile::NamedTempFile::new().expect("moto log file");
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("moto log"))
            .stderr(log.reopen().expect("moto log"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", server.display()));
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log_file: log,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not listen on 127.0.0.1:{port} within 60 s; its log:\n{}",
                moto.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_file.path()).unwrap_or_default()
    }

    /// Runs plugins/fargate/testdata/aws_fixture.py against this moto and
    /// parses its JSON answer.
    async fn fixture(&self, args: &[&str]) -> Value {
        let (_, python) = moto_paths();
        let output = tokio::process::Command::new(python)
            .arg(repo().join("plugins/fargate/testdata/aws_fixture.py"))
            .arg(&self.endpoint)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run aws_fixture.py");
        assert!(
            output.status.success(),
            "aws_fixture.py {args:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "aws_fixture.py {args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// The tasks of `cluster`, described with their tags and task
    /// definitions.
    async fn tasks(&self, cluster: &str) -> Vec<Value> {
        self.fixture(&["tasks", cluster])
            .await
            .as_array()
            .expect("a JSON array of tasks")
            .clone()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The plugin's configuration for `cluster`; no Region key: the region
/// comes from the AWS chain (AWS_REGION, or the shared config file).
fn plugin_config(moto: &Moto, cluster: &str, group: &str, network: &Value) -> String {
    format!(
        "ClusterName = \"{cluster}\"
Subnets = [\"{subnet}\"]
SecurityGroups = [\"{group_id}\"]
ExecutionRoleArn = \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"
CloudWatchLogGroupName = \"{group}\"
CloudWatchLogStreamPrefix = \"{STREAM_PREFIX}\"
Endpoint = \"{endpoint}\"
StatusPollInterval = \"1s\"
CPU = \"8\"
Memory = \"16Gi\"
Pods = \"10\"
",
        subnet = network["subnet"].as_str().expect("subnet id"),
        group_id = network["security_group"]
            .as_str()
            .expect("security group id"),
        endpoint = moto.endpoint,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fargate_plugin_runs_a_deployment_as_fargate_tasks_in_moto() {
    let plugin = built_plugin();
    let moto = Moto::start();

    passes_conformance(&moto, plugin).await;

    let network = moto.fixture(&["setup", ECS_CLUSTER, LOG_GROUP]).await;
    let cluster = Cluster::shared();
    let node = VirtualNode::start(
        cluster,
        node_setup(
            cluster,
            plugin,
            &plugin_config(&moto, ECS_CLUSTER, LOG_GROUP, &network),
        ),
    )
    .await;
    let ns = node.namespace.clone();
    apply(cluster, &deployment_yaml(&ns, &node.name)).await;
    let pods: Api<Pod> = Api::namespaced(cluster.client().await, &ns);

    let running = wait_deployment_running(&node, &pods).await;
    let tasks = tasks_match_pods(&moto, &node, &running).await;

    logs_come_from_cloudwatch(cluster, &moto, &ns, &running[0], &tasks).await;
    survives_sigkill(cluster, &moto, &node, &pods, &tasks).await;
    scale_down_stops_a_task(cluster, &moto, &node, &pods).await;
    task_stopped_outside_kubernetes(&moto, &node, &pods).await;
    drop(node);
    drop(moto);
}

/// `vk-plugin-conformance` passes against its own ECS cluster of the same
/// moto, with the credentials and region given as vk-host gives them
/// (`--plugin-env`).
async fn passes_conformance(moto: &Moto, plugin: &Path) {
    let cluster = unique_name("conformance");
    let group = format!("/vk-host/{cluster}");
    let network = moto.fixture(&["setup", &cluster, &group]).await;
    let home = tempfile::tempdir().expect("a directory for the configuration files");
    let config = home.path().join("fargate.toml");
    std::fs::write(&config, plugin_config(moto, &cluster, &group, &network))
        .expect("write the plugin configuration");
    let conformance = async |config: &Path| {
        tokio::process::Command::new(workspace_binary("vk-plugin-conformance"))
            .arg(plugin)
            .arg("--plugin-config")
            .arg(config)
            .args(AWS_ENV.iter().flat_map(|entry| ["--plugin-env", entry]))
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run vk-plugin-conformance")
    };
    // A misspelt key stops the plugin before its handshake, named.
    let typo = home.path().join("typo.toml");
    std::fs::write(
        &typo,
        plugin_config(moto, &cluster, &group, &network).replace("Subnets =", "Subnet ="),
    )
    .expect("write the misspelt configuration");
    let refused = conformance(&typo).await;
    let said = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(3), "{said}");
    assert!(
        said.contains("unknown key Subnet "),
        "the error names the unknown key: {said}"
    );
    let output = conformance(&config).await;
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "vk-plugin-conformance {} failed:\n{report}\nstderr:\n{}",
        plugin.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !report.lines().any(|line| line.starts_with("FAIL ")),
        "{report}"
    );
    eprintln!("{report}");
    // The conformance pods were real tasks, all stopped by their DeletePod.
    let tasks = moto.tasks(&cluster).await;
    assert!(!tasks.is_empty(), "conformance ran no task in {cluster}");
    let running: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["last_status"] != "STOPPED")
        .collect();
    assert!(
        running.is_empty(),
        "tasks left running after conformance: {running:?}"
    );
}

/// The AWS credentials and region the plugin gets, through vk-host's and
/// vk-plugin-conformance's `--plugin-env` (moto takes any key).
const AWS_ENV: [&str; 3] = [
    "AWS_ACCESS_KEY_ID=testing",
    "AWS_SECRET_ACCESS_KEY=testing",
    "AWS_REGION=us-east-1",
];

/// vk-host with the plugin, its kubelet API (for `kubectl logs`) and the
/// AWS credentials and region passed with `--plugin-env`.
fn node_setup(cluster: &Cluster, plugin: &Path, config: &str) -> NodeSetup {
    let port = free_port().to_string();
    let files = [
        cluster.ca_cert(),
        cluster.kubelet_ca_cert(),
        cluster.kubelet_ca_key(),
    ];
    let [client_ca, kubelet_ca_cert, kubelet_ca_key] = files.map(|f| f.display().to_string());
    let args = [
        "--node-ip",
        "127.0.0.1",
        "--kubelet-address",
        "127.0.0.1",
        "--kubelet-port",
        &port,
        "--client-ca-file",
        &client_ca,
        "--tls-ca-cert-file",
        &kubelet_ca_cert,
        "--tls-ca-key-file",
        &kubelet_ca_key,
    ];
    let args: Vec<&str> = args
        .into_iter()
        .chain(AWS_ENV.iter().flat_map(|entry| ["--plugin-env", *entry]))
        .collect();
    let mut setup = NodeSetup::mock("fargate")
        .host_args(&args)
        .plugin_config(config);
    // An absolute path: workspace_binary() joins it unchanged.
    setup.plugin = plugin.display().to_string();
    setup
}

/// A Deployment pinned to the node: requests that round up to a Fargate
/// size, a literal variable, one from a ConfigMap (resolved by the host).
fn deployment_yaml(ns: &str, node: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  namespace: {ns}
data:
  greeting: hello-from-configmap
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: {REPLICAS}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      nodeSelector:
        kubernetes.io/hostname: {node}
      tolerations:
      - key: virtual-kubelet.io/provider
        operator: Exists
      terminationGracePeriodSeconds: 30
      containers:
      - name: main
        image: {IMAGE}
        args: [nginx, -g, 'daemon off;']
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: literal
        - name: GREETING
          valueFrom:
            configMapKeyRef: {{name: web-settings, key: greeting}}
        resources:
          requests: {{cpu: 300m, memory: 600Mi}}
"
    )
}

async fn apply(cluster: &Cluster, yaml: &str) {
    cluster
        .kubectl_stdin(Identity::Admin, &["apply", "-f", "-"], Some(yaml))
        .await
        .success();
}

fn name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

fn uid(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

fn pod_ip(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .unwrap_or_default()
}

/// Running, Ready, with an IP, on this node, not being deleted.
fn serving(pod: &Pod, node: &str) -> bool {
    let status = pod.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && ready
        && !pod_ip(pod).is_empty()
        && pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
        && pod.metadata.deletion_timestamp.is_none()
}

/// Waits until `count` replicas serve and no other pod of the Deployment
/// exists; returns them by name.
async fn wait_serving(node: &VirtualNode, pods: &Api<Pod>, count: usize) -> Vec<Pod> {
    let listed = ListParams::default().labels("app=web");
    wait_for_ok(
        Duration::from_secs(180),
        &format!(
            "{count} replicas Running and Ready with pod IPs on node {}, and no other",
            node.name
        ),
        async || {
            let list = pods.list(&listed).await.map_err(|e| e.to_string())?;
            let total = list.items.len();
            let mut up: Vec<Pod> = list
                .items
                .into_iter()
                .filter(|p| serving(p, &node.name))
                .collect();
            up.sort_by_key(name);
            if up.len() == count && total == count {
                Ok(up)
            } else {
                Err(format!(
                    "{} serving of {total}; host log tail:\n{}",
                    up.len(),
                    node.log_tail()
                ))
            }
        },
    )
    .await
}

async fn wait_deployment_running(node: &VirtualNode, pods: &Api<Pod>) -> Vec<Pod> {
    wait_serving(node, pods, REPLICAS).await
}

/// The running tasks of the node's ECS cluster, by the pod UID of their tag.
fn running_by_uid(tasks: &[Value]) -> BTreeMap<String, Value> {
    tasks
        .iter()
        .filter(|t| t["last_status"] == "RUNNING")
        .map(|t| {
            (
                t["tags"]["vk-host:uid"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                t.clone(),
            )
        })
        .collect()
}

/// Every pod is one RUNNING FARGATE task, read back through the AWS API:
/// its tags name the pod and the node, the pod IP is the task's private
/// IPv4 address, its task definition has the pod's image and environment
/// (the ConfigMap value resolved), awsvpc networking, the awslogs options
/// of the configuration and the size rounded up. Returns the tasks by pod
/// UID.
async fn tasks_match_pods(
    moto: &Moto,
    node: &VirtualNode,
    pods: &[Pod],
) -> BTreeMap<String, Value> {
    let tasks = moto.tasks(ECS_CLUSTER).await;
    let running = running_by_uid(&tasks);
    assert_eq!(
        running.len(),
        REPLICAS,
        "one RUNNING task per pod in ECS cluster {ECS_CLUSTER}; tasks: {tasks:#?}"
    );
    for pod in pods {
        let task = running.get(&uid(pod)).unwrap_or_else(|| {
            panic!(
                "no RUNNING task tagged with the UID of pod {}: {tasks:#?}",
                name(pod)
            )
        });
        let tags = &task["tags"];
        assert_eq!(tags["vk-host:pod"], name(pod).as_str(), "{task:#}");
        assert_eq!(
            tags["vk-host:namespace"],
            node.namespace.as_str(),
            "{task:#}"
        );
        assert_eq!(tags["vk-host:node"], node.name.as_str(), "{task:#}");
        assert_eq!(task["launch_type"], "FARGATE", "{task:#}");
        assert_eq!(
            task["ip"].as_str(),
            Some(pod_ip(pod).as_str()),
            "the pod IP of {} is its task's private IPv4 address: {task:#}",
            name(pod)
        );
        assert_eq!(task["network_mode"], "awsvpc", "{task:#}");
        assert_eq!(
            (task["cpu"].as_str(), task["memory"].as_str()),
            (Some(TASK_CPU), Some(TASK_MEMORY)),
            "requests 300m/600Mi round up to the Fargate size 512/1024: {task:#}"
        );
        let container = &task["containers"][0];
        assert_eq!(container["name"], "main", "{task:#}");
        assert_eq!(container["image"], IMAGE, "{task:#}");
        assert_eq!(container["environment"]["MODE"], "literal", "{task:#}");
        assert_eq!(
            container["environment"]["GREETING"], "hello-from-configmap",
            "the ConfigMap value, resolved through the host: {task:#}"
        );
        let logs = &container["log_options"];
        assert_eq!(logs["awslogs-group"], LOG_GROUP, "{task:#}");
        assert_eq!(logs["awslogs-stream-prefix"], STREAM_PREFIX, "{task:#}");
        assert_eq!(logs["awslogs-region"], "us-east-1", "{task:#}");
    }
    running
}

fn task_id(task: &Value) -> String {
    let arn = task["arn"].as_str().expect("task arn");
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

/// Events written to the container's awslogs stream
/// (`<prefix>/<container>/<task id>`) are what `kubectl logs` shows, and
/// `--tail=1` shows the last one only.
async fn logs_come_from_cloudwatch(
    cluster: &Cluster,
    moto: &Moto,
    ns: &str,
    pod: &Pod,
    tasks: &BTreeMap<String, Value>,
) {
    let task = &tasks[&uid(pod)];
    let stream = format!("{STREAM_PREFIX}/main/{}", task_id(task));
    let lines = ["first line from cloudwatch", "second line from cloudwatch"];
    let mut args = vec!["put-logs", LOG_GROUP, &stream];
    args.extend(lines);
    moto.fixture(&args).await;
    let pod_name = name(pod);
    wait_for_ok(
        Duration::from_secs(60),
        &format!("kubectl logs {pod_name} to show the CloudWatch events"),
        async || {
            let out = cluster.kubectl(&["logs", &pod_name, "-n", ns]).await;
            if out.stdout == format!("{}\n{}\n", lines[0], lines[1]) {
                Ok(())
            } else {
                Err(format!("stdout {:?} stderr {:?}", out.stdout, out.stderr))
            }
        },
    )
    .await;
    let tail = cluster
        .kubectl(&["logs", &pod_name, "-n", ns, "--tail=1"])
        .await
        .success();
    assert_eq!(tail.stdout, format!("{}\n", lines[1]), "{tail:?}");

    // `kubectl logs -f` shows an event written after it started.
    let mut follow = cluster
        .kubectl_command(Identity::Admin)
        .args(["logs", "-f", "--tail=1", &pod_name, "-n", ns])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start kubectl logs -f");
    let mut out = BufReader::new(follow.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), out.next_line()).await;
    assert!(
        matches!(&first, Ok(Ok(Some(line))) if line == lines[1]),
        "kubectl logs -f --tail=1 starts with the last event: {first:?}"
    );
    let later = FOLLOWED_LINE;
    moto.fixture(&["put-logs", LOG_GROUP, &stream, later]).await;
    let next = tokio::time::timeout(Duration::from_secs(60), out.next_line()).await;
    let _ = follow.kill().await;
    assert!(
        matches!(&next, Ok(Ok(Some(line))) if line == later),
        "kubectl logs -f shows the event written after it started: {next:?}"
    );
}

/// SIGKILL of the plugin: vk-host starts it again, the new instance adopts
/// the tasks by their tags, the same pods keep serving with the same tasks,
/// and no task is started anew.
async fn survives_sigkill(
    cluster: &Cluster,
    moto: &Moto,
    node: &VirtualNode,
    pods: &Api<Pod>,
    before: &BTreeMap<String, Value>,
) {
    let tasks_before = moto.tasks(ECS_CLUSTER).await.len();
    let host = node.host.pid();
    let plugin = node.host.plugin_pid().await;
    kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    wait_for_ok(
        Duration::from_secs(60),
        "vk-host to start the plugin again",
        async || {
            let children = children_of(host);
            if children.iter().any(|pid| *pid != plugin) {
                Ok(())
            } else {
                Err(format!("children {children:?}"))
            }
        },
    )
    .await;
    node.wait_ready(cluster, Duration::from_secs(60)).await;
    // Several status polls of the new instance.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = wait_deployment_running(node, pods).await;
    let uids_after: BTreeSet<String> = after.iter().map(uid).collect();
    let uids_before: BTreeSet<String> = before.keys().cloned().collect();
    assert_eq!(
        uids_after, uids_before,
        "the same pods serve after the plugin's restart"
    );
    let tasks = moto.tasks(ECS_CLUSTER).await;
    assert_eq!(
        tasks.len(),
        tasks_before,
        "the restarted plugin started no task (RunTask): {tasks:#?}"
    );
    let running = running_by_uid(&tasks);
    for (pod_uid, task) in before {
        assert_eq!(
            running.get(pod_uid).map(|t| &t["arn"]),
            Some(&task["arn"]),
            "pod {pod_uid} runs the same task after the restart: {tasks:#?}"
        );
    }
    for pod in &after {
        assert_eq!(
            running[&uid(pod)]["ip"].as_str(),
            Some(pod_ip(pod).as_str()),
            "{}",
            name(pod)
        );
    }
    // The new instance serves the logs of an adopted pod (the first by
    // name, whose stream the logs check wrote).
    let first = name(&after[0]);
    let logs = cluster
        .kubectl(&["logs", &first, "-n", &node.namespace, "--tail=1"])
        .await
        .success();
    assert_eq!(logs.stdout, format!("{FOLLOWED_LINE}\n"), "{logs:?}");
}

/// Scaling to one replica deletes a pod: its task is STOPPED with a reason
/// naming the pod, its task definition deregistered, the pod gone, and the
/// other pod's task still RUNNING.
async fn scale_down_stops_a_task(
    cluster: &Cluster,
    moto: &Moto,
    node: &VirtualNode,
    pods: &Api<Pod>,
) {
    let before = wait_deployment_running(node, pods).await;
    cluster
        .kubectl(&[
            "scale",
            "deployment/web",
            "--replicas=1",
            "-n",
            &node.namespace,
        ])
        .await
        .success();
    let left = wait_serving(node, pods, 1).await;
    let kept = uid(&left[0]);
    let gone = before
        .iter()
        .find(|p| uid(p) != kept)
        .expect("the pod the scale down removed");
    let gone_uid = uid(gone);
    let what = format!("the task of the removed pod {} STOPPED", name(gone));
    let task = wait_for_ok(Duration::from_secs(60), &what, async || {
        let tasks = moto.tasks(ECS_CLUSTER).await;
        match tasks
            .iter()
            .find(|t| t["tags"]["vk-host:uid"] == gone_uid.as_str())
        {
            Some(t) if t["last_status"] == "STOPPED" => Ok(t.clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let reason = task["stopped_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&name(gone)),
        "the stop reason names the pod: {task:#}"
    );
    assert_eq!(task["task_definition_status"], "INACTIVE", "{task:#}");
    let tasks = moto.tasks(ECS_CLUSTER).await;
    let running = running_by_uid(&tasks);
    assert_eq!(
        running.keys().cloned().collect::<Vec<_>>(),
        vec![kept],
        "only the kept pod's task runs: {tasks:#?}"
    );
}

/// A task stopped behind Kubernetes' back (an operator, ECS itself): its
/// pod ends with ECS's stop reason in its status message, and the
/// Deployment's replacement runs as a new task.
async fn task_stopped_outside_kubernetes(moto: &Moto, node: &VirtualNode, pods: &Api<Pod>) {
    let pod = wait_serving(node, pods, 1).await.remove(0);
    let tasks = moto.tasks(ECS_CLUSTER).await;
    let task = running_by_uid(&tasks)
        .remove(&uid(&pod))
        .unwrap_or_else(|| panic!("no running task of {}: {tasks:#?}", name(&pod)));
    let arn = task["arn"].as_str().expect("task arn");
    let reason = "stopped by an operator in the ECS console";
    moto.fixture(&["stop-task", ECS_CLUSTER, arn, reason]).await;
    let pod_name = name(&pod);
    let ended = wait_for_ok(
        Duration::from_secs(60),
        &format!("pod {pod_name} to end with the task's stop reason"),
        async || {
            let now = pods.get(&pod_name).await.map_err(|e| e.to_string())?;
            let status = now.status.clone().unwrap_or_default();
            let phase = status.phase.clone().unwrap_or_default();
            let message = status.message.clone().unwrap_or_default();
            if (phase == "Succeeded" || phase == "Failed") && message.contains(reason) {
                Ok(now)
            } else {
                Err(format!("phase {phase:?}, message {message:?}"))
            }
        },
    )
    .await;
    let message = ended.status.and_then(|s| s.message).unwrap_or_default();
    assert!(
        message.contains(&task_id(&task)),
        "the message names the task: {message:?}"
    );
    let listed = ListParams::default().labels("app=web");
    let replacement = wait_for_ok(
        Duration::from_secs(120),
        "the Deployment's replacement pod serving",
        async || {
            let list = pods.list(&listed).await.map_err(|e| e.to_string())?;
            list.items
                .into_iter()
                .find(|p| uid(p) != uid(&pod) && serving(p, &node.name))
                .ok_or_else(|| format!("no replacement yet; host log tail:\n{}", node.log_tail()))
        },
    )
    .await;
    let tasks = moto.tasks(ECS_CLUSTER).await;
    let running = running_by_uid(&tasks);
    let new_task = running.get(&uid(&replacement)).unwrap_or_else(|| {
        panic!(
            "no running task for the replacement {}: {tasks:#?}",
            name(&replacement)
        )
    });
    assert_eq!(
        new_task["ip"].as_str(),
        Some(pod_ip(&replacement).as_str()),
        "{new_task:#}"
    );
}
