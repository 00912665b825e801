//! vk-cri-plugin end to end: the real vk-host runs the real plugin against
//! an isolated containerd (`scripts/cri-env.sh up`), a real kube-apiserver
//! and kubectl. One environment, several pods at once: a long-running pod
//! with logs (also followed) and exec, pods that succeed and fail under
//! `restartPolicy: Never`, a crash loop under Always, init containers in
//! order, an image missing under `imagePullPolicy: Never`, a pull from an
//! unreachable registry, a hostNetwork pod, a deletion that
//! waits out the grace period, and a plugin killed with SIGKILL whose
//! container keeps running and is adopted; and volumes (`check_volumes`):
//! the auto-injected service-account volume, secret/configMap/downwardAPI
//! volumes with items and modes, a memory-backed emptyDir (tmpfs), env
//! from a Secret, a ConfigMap update
//! seen in the file, and a pod waiting for a Secret that appears later.
//! Needs root; when containerd cannot start the test fails, it never skips.

use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, attach_and_talk, condition_status, container, cri_environment, cri_node,
    delete_all_pods, exec_sh, get_pod, http_get_through, loopback_cri_node, phase, pod, pod_events,
    start_loopback_cri, wait_all_forgotten, wait_described, wait_pod,
};
use vk_tests::port_forward::KubectlPortForward;
use vk_tests::registry::TestRegistry;
use vk_tests::virtual_node::{VirtualNode, free_port, routable_ip};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_runs_real_pods() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, config) = cri_environment(
        "plugin",
        "127.0.0.1",
        "crash_loop_backoff_base_ms = 500\ncrash_loop_backoff_max_ms = 2000\nvolume_refresh_interval_ms = 1000\n",
    );
    let setup = loopback_cri_node(cluster, "cri", &config);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    eprintln!("node ready: {:?}", test_started.elapsed());

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let manifests = [
        pod(
            &node,
            "web",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"echo hello-from-web; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done\"]
"
            ),
        ),
        pod(
            &node,
            "ok",
            &format!(
                "  restartPolicy: Never
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"echo done; exit 0\"]
"
            ),
        ),
        pod(
            &node,
            "fail",
            &format!(
                "  restartPolicy: Never
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"echo failing; exit 3\"]
"
            ),
        ),
        pod(
            &node,
            "crash",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"echo crash; exit 1\"]
"
            ),
        ),
        pod(
            &node,
            "init",
            &format!(
                "  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    emptyDir: {{}}
  initContainers:
  - name: one
{image}    command: [\"sh\", \"-c\", \"echo one >> /data/order\"]
    volumeMounts: [{{name: data, mountPath: /data}}]
  - name: two
{image}    command: [\"sh\", \"-c\", \"echo two >> /data/order\"]
    volumeMounts: [{{name: data, mountPath: /data}}]
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"echo main; cat /data/order; sleep 3600\"]
    volumeMounts: [{{name: data, mountPath: /data}}]
"
            ),
        ),
        pod(
            &node,
            "never",
            "  containers:
  - name: main
    image: localhost/vk-test/missing:1
    imagePullPolicy: Never
",
        ),
        pod(
            &node,
            "pull",
            "  containers:
  - name: main
    image: localhost:1/vk-test/missing:1
    imagePullPolicy: IfNotPresent
",
        ),
        pod(
            &node,
            "hostnet",
            &format!(
                "  terminationGracePeriodSeconds: 1
  hostNetwork: true
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
"
            ),
        ),
        pod(
            &node,
            "grace",
            &format!(
                "  terminationGracePeriodSeconds: 3
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
"
            ),
        ),
    ];
    apply(cluster, &manifests.join("---\n")).await;
    apply(cluster, &volume_manifests(&node)).await;

    // A running pod with an IP from the CNI subnet.
    let web = wait_pod(
        cluster,
        &node,
        "web",
        "Running with a pod IP",
        Duration::from_secs(90),
        |p| {
            phase(p) == "Running"
                && p["status"]["podIP"]
                    .as_str()
                    .is_some_and(|ip| !ip.is_empty())
        },
    )
    .await;
    eprintln!("web Running: {:?}", test_started.elapsed());
    let prefix = env
        .var("VK_CRI_POD_GATEWAY")
        .trim_end_matches(".1")
        .to_owned();
    let ip = web["status"]["podIP"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        ip.starts_with(&format!("{prefix}.")),
        "pod IP {ip} is not in {prefix}.0/24"
    );
    let web_id = container(&web, "containerStatuses", "main")["containerID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(web_id.starts_with("containerd://"), "{web}");

    // kubectl logs, with --tail and --timestamps.
    let logs = wait_for_ok(Duration::from_secs(20), "kubectl logs web", async || {
        let out = cluster.kubectl(&["logs", "web", "-n", &ns]).await;
        // Two ticks at least, so that the last two lines below are ticks.
        if out.status.success()
            && out.stdout.starts_with("hello-from-web\ntick 1\n")
            && out.stdout.contains("tick 2\n")
        {
            Ok(out.stdout)
        } else {
            Err(format!("{out:?}"))
        }
    })
    .await;
    assert!(
        logs.lines()
            .all(|l| l == "hello-from-web" || l.starts_with("tick ")),
        "{logs}"
    );
    let tail = cluster
        .kubectl(&["logs", "web", "-n", &ns, "--tail=2", "--timestamps"])
        .await
        .success();
    let lines: Vec<&str> = tail.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{tail:?}");
    assert!(
        lines.iter().all(|l| l.contains("Z tick ")),
        "timestamped lines: {lines:?}"
    );

    // kubectl logs -f keeps delivering new lines.
    let mut follow = cluster.kubectl_command(Identity::Admin);
    follow
        .args(["logs", "-f", "web", "-n", &ns, "--tail=1"])
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = follow.spawn().expect("start kubectl logs -f");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = tokio::io::BufReader::new(stdout).lines();
    let mut ticks = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while ticks.len() < 4 {
            let line = reader
                .next_line()
                .await
                .expect("read kubectl logs -f")
                .expect("kubectl logs -f ended early");
            ticks.push(line);
        }
    })
    .await
    .unwrap_or_else(|_| panic!("kubectl logs -f delivered only {ticks:?} in 20 s"));
    let numbers: Vec<u64> = ticks
        .iter()
        .filter_map(|l| l.strip_prefix("tick ")?.parse().ok())
        .collect();
    assert!(
        numbers.len() == 4 && numbers.windows(2).all(|w| w[1] == w[0] + 1),
        "followed lines {ticks:?}"
    );
    child.kill().await.expect("stop kubectl logs -f");

    // kubectl exec (no stdin, no TTY): output and exit code.
    let exec = cluster
        .kubectl(&[
            "exec",
            "web",
            "-n",
            &ns,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 4",
        ])
        .await;
    assert_eq!(exec.status.code(), Some(4), "{exec:?}");
    assert_eq!(exec.stdout, "out\n", "{exec:?}");
    assert!(exec.stderr.contains("err"), "{exec:?}");

    check_volumes(cluster, &node).await;
    eprintln!("volumes checked: {:?}", test_started.elapsed());

    // restartPolicy Never: Succeeded with exit 0, Failed with exit 3.
    for (name, want_phase, code) in [("ok", "Succeeded", 0), ("fail", "Failed", 3)] {
        let done = wait_pod(
            cluster,
            &node,
            name,
            want_phase,
            Duration::from_secs(60),
            |p| phase(p) == want_phase,
        )
        .await;
        let terminated = &container(&done, "containerStatuses", "main")["state"]["terminated"];
        assert_eq!(terminated["exitCode"], code, "{name}: {done}");
        let yaml = cluster
            .kubectl(&["get", "pod", name, "-n", &ns, "-o", "yaml"])
            .await
            .success();
        assert!(
            yaml.stdout.contains(&format!("exitCode: {code}")),
            "{}",
            yaml.stdout
        );
    }
    let failing = cluster
        .kubectl(&["logs", "fail", "-n", &ns])
        .await
        .success();
    assert_eq!(failing.stdout, "failing\n");

    // A crash loop under Always: restarts grow, lastState terminated.
    let crash = wait_pod(
        cluster,
        &node,
        "crash",
        "restartCount >= 3 with lastState terminated",
        Duration::from_secs(60),
        |p| {
            let main = container(p, "containerStatuses", "main");
            main["restartCount"].as_i64().unwrap_or(0) >= 3
                && main["lastState"]["terminated"]["exitCode"] == 1
        },
    )
    .await;
    eprintln!("crash: {}", container(&crash, "containerStatuses", "main"));
    wait_pod(
        cluster,
        &node,
        "crash",
        "waiting in CrashLoopBackOff",
        Duration::from_secs(30),
        |p| {
            container(p, "containerStatuses", "main")["state"]["waiting"]["reason"]
                == "CrashLoopBackOff"
        },
    )
    .await;
    let previous = cluster
        .kubectl(&["logs", "crash", "-n", &ns, "--previous"])
        .await
        .success();
    assert_eq!(previous.stdout, "crash\n");

    // Init containers in order, then the main container.
    let init = wait_pod(
        cluster,
        &node,
        "init",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    for name in ["one", "two"] {
        let status = container(&init, "initContainerStatuses", name);
        assert_eq!(
            status["state"]["terminated"]["reason"], "Completed",
            "{init}"
        );
    }
    let order = wait_for_ok(Duration::from_secs(20), "init pod logs", async || {
        let out = cluster.kubectl(&["logs", "init", "-n", &ns]).await;
        if out.stdout == "main\none\ntwo\n" {
            Ok(out.stdout)
        } else {
            Err(format!("{out:?}"))
        }
    })
    .await;
    assert_eq!(order, "main\none\ntwo\n");

    // A missing image under imagePullPolicy Never.
    let never = wait_pod(
        cluster,
        &node,
        "never",
        "waiting ErrImageNeverPull",
        Duration::from_secs(30),
        |p| {
            container(p, "containerStatuses", "main")["state"]["waiting"]["reason"]
                == "ErrImageNeverPull"
        },
    )
    .await;
    assert_eq!(phase(&never), "Pending");
    assert_eq!(
        container(&never, "containerStatuses", "main")["state"]["waiting"]["message"],
        "Container image \"localhost/vk-test/missing:1\" is not present with pull policy of Never"
    );

    // A pull from an unreachable registry: ErrImagePull, then back-off.
    for reason in ["ErrImagePull", "ImagePullBackOff"] {
        wait_pod(
            cluster,
            &node,
            "pull",
            reason,
            Duration::from_secs(30),
            |p| container(p, "containerStatuses", "main")["state"]["waiting"]["reason"] == reason,
        )
        .await;
    }

    // A hostNetwork pod has the node's address as its IP.
    let hostnet = wait_pod(
        cluster,
        &node,
        "hostnet",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    assert_eq!(hostnet["status"]["podIP"], "127.0.0.1", "{hostnet}");
    assert_eq!(hostnet["status"]["hostIP"], "127.0.0.1", "{hostnet}");

    // Deletion waits out the grace period of a container ignoring SIGTERM
    // (sleep as PID 1 has no SIGTERM handler), and not much more.
    wait_pod(
        cluster,
        &node,
        "grace",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", "grace", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    let took = started.elapsed();
    eprintln!("delete grace (3 s): {took:?}");
    // The container gets its whole 3 s, counted from when the plugin is
    // told (not from the deletionTimestamp, which is rounded to the second).
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(20),
        "deleting a pod with a 3 s grace period took {took:?}"
    );

    // SIGKILL the plugin: its container keeps running, and the restarted
    // plugin adopts it.
    let plugin = node.host.plugin_pid().await;
    kill(Pid::from_raw(plugin as i32), Signal::SIGKILL).expect("SIGKILL the plugin");
    let host_pid = node.host.pid();
    wait_for_ok(
        Duration::from_secs(60),
        "a new plugin process",
        async || match vk_tests::processes::children_of(host_pid).first() {
            Some(pid) if *pid != plugin => Ok(()),
            other => Err(format!("plugin {other:?}")),
        },
    )
    .await;
    // Past the restart and a few relists.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let adopted = wait_pod(
        cluster,
        &node,
        "web",
        "Running with the same container",
        Duration::from_secs(30),
        |p| {
            phase(p) == "Running"
                && container(p, "containerStatuses", "main")["containerID"] == web_id.as_str()
        },
    )
    .await;
    assert_eq!(
        container(&adopted, "containerStatuses", "main")["restartCount"],
        0,
        "{adopted}"
    );
    let again = cluster
        .kubectl(&["logs", "web", "-n", &ns, "--tail=1"])
        .await
        .success();
    assert!(again.stdout.starts_with("tick "), "{again:?}");

    // Delete everything: the plugin removes sandboxes and state.
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pods", "--all", "-n", &ns, "--timeout=90s"])
        .await
        .success();
    eprintln!("delete all: {:?}", started.elapsed());
    wait_all_forgotten(&run_dir).await;
    drop(node);
    drop(env);
    assert!(
        !run_dir.exists(),
        "run directory {} is left",
        run_dir.display()
    );
    eprintln!("total: {:?}", test_started.elapsed());
}

/// A Secret, a ConfigMap and the pods of `check_volumes`: `sa` keeps the
/// auto-injected kube-api-access volume; `vols` has secret (items, modes),
/// configMap (whole and through subPath), downwardAPI and optional-missing
/// volumes and env from the Secret; `waits` needs a Secret that does not
/// exist yet.
fn volume_manifests(node: &VirtualNode) -> String {
    let ns = &node.namespace;
    let busybox = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let objects = format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {ns}
stringData:
  user: admin
  pass: s3cret
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
  namespace: {ns}
data:
  app.conf: v1
"
    );
    let sa = pod(
        node,
        "sa",
        &format!(
            "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{busybox}    command: [\"sleep\", \"3600\"]
"
        ),
    )
    .replace("  automountServiceAccountToken: false\n", "");
    let vols = pod(
        node,
        "vols",
        &format!(
            "  terminationGracePeriodSeconds: 1
  volumes:
  - name: secret
    secret:
      secretName: creds
      defaultMode: 0440
      items:
      - {{key: user, path: user}}
      - {{key: pass, path: sub/password, mode: 0600}}
  - name: conf
    configMap: {{name: conf}}
  - name: info
    downwardAPI:
      items:
      - {{path: labels, fieldRef: {{fieldPath: metadata.labels}}}}
  - name: absent
    secret: {{secretName: absent, optional: true}}
  - name: mem
    emptyDir: {{medium: Memory, sizeLimit: 16Mi}}
  containers:
  - name: main
{busybox}    command: [\"sleep\", \"3600\"]
    env:
    - name: SECRET_USER
      valueFrom: {{secretKeyRef: {{name: creds, key: user}}}}
    volumeMounts:
    - {{name: secret, mountPath: /etc/secret}}
    - {{name: conf, mountPath: /etc/conf}}
    - {{name: conf, mountPath: /etc/app.conf, subPath: app.conf}}
    - {{name: info, mountPath: /etc/info}}
    - {{name: absent, mountPath: /etc/absent}}
    - {{name: mem, mountPath: /mem}}
"
        ),
    )
    .replace("  name: vols\n", "  name: vols\n  labels: {app: vols}\n");
    // fsGroup: a non-root user reads a 0400 Secret through the group, and
    // an emptyDir hands the group on to new files.
    let owned = pod(
        node,
        "owned",
        &format!(
            "  terminationGracePeriodSeconds: 1
  securityContext: {{runAsUser: 1000, fsGroup: 2000}}
  volumes:
  - name: secret
    secret: {{secretName: creds, defaultMode: 0400}}
  - name: scratch
    emptyDir: {{}}
  containers:
  - name: main
{busybox}    command: [\"sleep\", \"3600\"]
    volumeMounts:
    - {{name: secret, mountPath: /etc/secret}}
    - {{name: scratch, mountPath: /scratch}}
"
        ),
    );
    let waits = pod(
        node,
        "waits",
        &format!(
            "  terminationGracePeriodSeconds: 1
  volumes:
  - name: later
    secret: {{secretName: later}}
  containers:
  - name: main
{busybox}    command: [\"sleep\", \"3600\"]
    volumeMounts: [{{name: later, mountPath: /etc/later}}]
"
        ),
    );
    [objects, sa, vols, owned, waits].join("---\n")
}

async fn check_volumes(cluster: &Cluster, node: &VirtualNode) {
    let ns = node.namespace.clone();
    let started = Instant::now();
    // The auto-injected kube-api-access volume: token, CA, namespace.
    wait_pod(
        cluster,
        node,
        "sa",
        "Running",
        Duration::from_secs(90),
        |p| phase(p) == "Running",
    )
    .await;
    let sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    let namespace = exec_sh(cluster, &ns, "sa", &format!("cat {sa_dir}/namespace")).await;
    assert_eq!(namespace, ns);
    let token = exec_sh(cluster, &ns, "sa", &format!("cat {sa_dir}/token")).await;
    let parts: Vec<&str> = token.split('.').collect();
    assert!(
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty()),
        "the token is not a JWT: {} parts",
        parts.len()
    );
    let ca = exec_sh(cluster, &ns, "sa", &format!("cat {sa_dir}/ca.crt")).await;
    assert!(
        ca.starts_with("-----BEGIN CERTIFICATE-----"),
        "ca.crt: {ca}"
    );
    // The kubelet's layout, read-only.
    let layout = exec_sh(
        cluster,
        &ns,
        "sa",
        &format!("readlink {sa_dir}/..data; readlink {sa_dir}/token; touch {sa_dir}/x 2>&1; true"),
    )
    .await;
    assert!(layout.starts_with("..20"), "{layout}");
    assert!(layout.contains("..data/token"), "{layout}");
    assert!(layout.contains("Read-only file system"), "{layout}");
    eprintln!("kube-api-access checked: {:?}", started.elapsed());

    // Secret (items, defaultMode, per-item mode), ConfigMap, downwardAPI,
    // an optional Secret that does not exist, env from the Secret.
    wait_pod(
        cluster,
        node,
        "vols",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let files = exec_sh(
        cluster,
        &ns,
        "vols",
        "cat /etc/secret/user; echo; cat /etc/secret/sub/password; echo; \
         stat -L -c %a /etc/secret/user /etc/secret/sub/password /etc/conf/app.conf; \
         cat /etc/conf/app.conf; echo; cat /etc/app.conf; echo; cat /etc/info/labels; echo; \
         ls /etc/absent | wc -l",
    )
    .await;
    assert_eq!(
        files, "admin\ns3cret\n440\n600\n644\nv1\nv1\napp=\"vols\"\n0\n",
        "files in pod vols"
    );
    let env = exec_sh(cluster, &ns, "vols", "echo \"$SECRET_USER\"").await;
    assert_eq!(env, "admin\n");
    // Secret data lives in memory, as with the kubelet: a read-only tmpfs.
    let secret_mount = exec_sh(cluster, &ns, "vols", "grep ' /etc/secret ' /proc/mounts").await;
    assert!(
        secret_mount.starts_with("tmpfs /etc/secret tmpfs ro,"),
        "{secret_mount}"
    );
    wait_pod(
        cluster,
        node,
        "owned",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let owned = exec_sh(
        cluster,
        &ns,
        "owned",
        "id -u; id -G; cat /etc/secret/user; echo; stat -L -c '%a %g' /etc/secret/user; \
         stat -c '%a %g' /scratch; touch /scratch/new && stat -c '%u %g' /scratch/new",
    )
    .await;
    assert_eq!(
        owned, "1000\n0 2000\nadmin\n440 2000\n2777 2000\n1000 2000\n",
        "fsGroup in pod owned"
    );
    // emptyDir medium Memory is a tmpfs of sizeLimit (unmounted at deletion:
    // the run directory must be removable at the end).
    let mem = exec_sh(cluster, &ns, "vols", "grep ' /mem ' /proc/mounts").await;
    assert!(
        mem.starts_with("tmpfs /mem tmpfs ") && mem.contains("size=16384k"),
        "{mem}"
    );

    // A ConfigMap update reaches the file (refresh every second here), not
    // the subPath mount (as with the kubelet).
    cluster
        .kubectl(&[
            "patch",
            "configmap",
            "conf",
            "-n",
            &ns,
            "-p",
            r#"{"data":{"app.conf":"v2"}}"#,
        ])
        .await
        .success();
    let updated = Instant::now();
    wait_for_ok(
        Duration::from_secs(30),
        "the ConfigMap update in /etc/conf/app.conf",
        async || {
            let seen = exec_sh(cluster, &ns, "vols", "cat /etc/conf/app.conf").await;
            if seen == "v2" { Ok(()) } else { Err(seen) }
        },
    )
    .await;
    eprintln!("ConfigMap update visible after {:?}", updated.elapsed());
    let sub_path = exec_sh(cluster, &ns, "vols", "cat /etc/app.conf").await;
    assert_eq!(sub_path, "v1", "a subPath mount is not updated");

    // A required Secret that does not exist: the container waits in
    // ContainerCreating with the kubelet's FailedMount message, and starts
    // once the Secret exists.
    let waiting = wait_pod(
        cluster,
        node,
        "waits",
        "waiting in ContainerCreating for Secret later",
        Duration::from_secs(30),
        |p| {
            let waiting = &container(p, "containerStatuses", "main")["state"]["waiting"];
            waiting["reason"] == "ContainerCreating"
                && waiting["message"].as_str().is_some_and(|m| {
                    m.starts_with("MountVolume.SetUp failed for volume \"later\" : ")
                })
        },
    )
    .await;
    assert_eq!(phase(&waiting), "Pending");
    eprintln!(
        "waits: {}",
        container(&waiting, "containerStatuses", "main")["state"]["waiting"]["message"]
    );
    cluster
        .kubectl(&[
            "create",
            "secret",
            "generic",
            "later",
            "-n",
            &ns,
            "--from-literal=k=v",
        ])
        .await
        .success();
    // At the next volume retry, which backs off as the kubelet's (up to
    // 2 min 2 s after the last failure).
    wait_pod(
        cluster,
        node,
        "waits",
        "Running once Secret later exists",
        Duration::from_secs(150),
        |p| phase(p) == "Running",
    )
    .await;
    let later = exec_sh(cluster, &ns, "waits", "cat /etc/later/k").await;
    assert_eq!(later, "v");
}

/// Interactive streams on real containers, in their own environment, all
/// through kubectl -> API server -> vk-host -> plugin -> containerd's
/// streaming server: `kubectl exec -i` with stdin to its end, `kubectl cp`
/// both ways, separate stdout and stderr, an exit code, `kubectl exec -it` under a pty from `script` (its
/// terminal size), `kubectl attach -i` to a container started with
/// `stdin: true`, and `kubectl port-forward` to busybox httpd in the pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_streams_exec_attach_and_port_forward() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, _run_dir, node) = start_loopback_cri(cluster, "streams", "", test_started).await;
    let ns = node.namespace.clone();

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let manifests = [
        pod(
            &node,
            "shell",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"mkdir -p /www && echo pf-hello > /www/index.html && exec httpd -f -p 8080 -h /www\"]
"
            ),
        ),
        pod(
            &node,
            "reader",
            &format!(
                "  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: main
{image}    stdin: true
    command: [\"sh\", \"-c\", \"while read x; do echo \\\"echo: $x\\\"; [ \\\"$x\\\" = bye ] && exit 0; done\"]
"
            ),
        ),
    ];
    apply(cluster, &manifests.join("---\n")).await;
    for name in ["shell", "reader"] {
        wait_pod(
            cluster,
            &node,
            name,
            "Running",
            Duration::from_secs(90),
            |p| phase(p) == "Running",
        )
        .await;
    }
    eprintln!("streams: pods running: {:?}", test_started.elapsed());

    // stdin through to the process and back, to its end: `cat` and `wc`
    // exit only when the end of stdin reaches them.
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", &ns, "shell", "--", "cat"],
            Some("hello\nworld\n"),
        )
        .await
        .success();
    assert_eq!(out.stdout, "hello\nworld\n", "{out:?}");
    let megabyte = "0123456789abcdef".repeat(64 * 1024);
    let out = cluster
        .kubectl_stdin(
            Identity::Admin,
            &["exec", "-i", "-n", &ns, "shell", "--", "wc", "-c"],
            Some(&megabyte),
        )
        .await
        .success();
    assert_eq!(out.stdout.trim(), "1048576", "{out:?}");

    // kubectl cp both ways (tar through exec: into the pod it needs the end
    // of stdin).
    let local = tempfile::tempdir().expect("a temporary directory");
    let sent = local.path().join("sent.txt");
    std::fs::write(&sent, "copied through tar\n").expect("writing the file to copy");
    let sent = sent.display().to_string();
    cluster
        .kubectl(&["cp", &sent, &format!("{ns}/shell:/tmp/sent.txt")])
        .await
        .success();
    assert_eq!(
        exec_sh(cluster, &ns, "shell", "cat /tmp/sent.txt").await,
        "copied through tar\n"
    );
    let back = local.path().join("back.txt").display().to_string();
    cluster
        .kubectl(&["cp", &format!("{ns}/shell:/tmp/sent.txt"), &back])
        .await
        .success();
    assert_eq!(
        std::fs::read_to_string(&back).expect("kubectl cp wrote the file"),
        "copied through tar\n"
    );
    eprintln!(
        "streams: exec -i to end of stdin, cp: {:?}",
        test_started.elapsed()
    );

    // A client that goes away while the process prints nothing: the
    // plugin's streaming connection to containerd ends too (before, it
    // stayed until the process wrote or exited).
    let plugin = node.host.plugin_pid().await;
    let plugin_tcp = || {
        let listed = std::process::Command::new("ss")
            .args(["-tnpH", "state", "established"])
            .output()
            .expect("ss (iproute2) runs");
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .filter(|line| line.contains(&format!("pid={plugin},")))
            .count()
    };
    // Connections of the sessions just ended may still be closing: the
    // count before is taken once it holds still.
    let before = wait_for_ok(
        Duration::from_secs(30),
        "the plugin's connections to settle",
        async || {
            let first = plugin_tcp();
            tokio::time::sleep(Duration::from_millis(300)).await;
            match plugin_tcp() {
                again if again == first => Ok(again),
                again => Err(format!("{first} then {again} connections")),
            }
        },
    )
    .await;
    let mut silent = tokio::process::Command::new(cluster.kubectl_path())
        .arg("--kubeconfig")
        .arg(cluster.admin_kubeconfig())
        .args(["exec", "-n", &ns, "shell", "--", "sleep", "3600"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("kubectl exec starts");
    wait_for_ok(
        Duration::from_secs(30),
        "the plugin's streaming connection for the silent exec",
        async || {
            let now = plugin_tcp();
            if now > before {
                Ok(())
            } else {
                Err(format!("{now} connections"))
            }
        },
    )
    .await;
    silent.kill().await.expect("kill kubectl exec");
    let gone = Instant::now();
    wait_for_ok(
        Duration::from_secs(30),
        "the plugin to close the streaming connection of a client that left",
        async || {
            let now = plugin_tcp();
            if now <= before {
                Ok(())
            } else {
                Err(format!("{now} connections"))
            }
        },
    )
    .await;
    eprintln!(
        "streams: a silent exec's client gone, connection closed after {:?}",
        gone.elapsed()
    );

    // Separate stdout and stderr, and the exit code reaches kubectl.
    let out = cluster
        .kubectl(&[
            "exec",
            "-n",
            &ns,
            "shell",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 3",
        ])
        .await;
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(out.stdout, "out\n", "{out:?}");
    assert!(out.stderr.starts_with("err\n"), "{out:?}");
    eprintln!("streams: exit code: {:?}", test_started.elapsed());

    // A TTY (kubectl under a pty from `script`): the process's stdin and
    // stdout are a terminal of kubectl's terminal's size (kubectl sends it
    // on the resize stream as the session starts; the shell waits up to
    // 10 s for it to land before printing the size).
    let command = format!(
        "stty cols 132 rows 43; {} --kubeconfig {} exec -it -n {ns} shell -- sh -c 'test -t 0 && test -t 1 && echo is-a-tty; i=0; while [ \"$(stty size)\" != \"43 132\" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; echo size=$(stty size)'",
        cluster.kubectl_path().display(),
        cluster.admin_kubeconfig().display(),
    );
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("kubectl exec -it under script did not finish in 60 s")
    .expect("script (util-linux) runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("is-a-tty") && stdout.contains("size=43 132"),
        "exec -it: {stdout:?} {:?}\nhost log tail:\n{}",
        String::from_utf8_lossy(&output.stderr),
        node.log_tail()
    );
    eprintln!("streams: exec -it: {:?}", test_started.elapsed());

    // Attach with stdin to the container's own process, which echoes lines
    // and exits at "bye"; its exit ends the attach. Each line is sent once
    // the previous answer is back, as a person types: the end of stdin
    // detaches (containerd closes the attach's output then, as under the
    // kubelet), so stdin stays open until the process has answered.
    attach_and_talk(cluster, &node, "reader").await;
    eprintln!("streams: attach: {:?}", test_started.elapsed());

    // Port-forward to httpd in the pod: a whole HTTP exchange, twice (each
    // connection is its own CRI PortForward URL).
    let local = free_port();
    let kubectl = KubectlPortForward::start(
        cluster,
        &ns,
        "shell",
        &[(local, 8080)],
        Duration::from_secs(30),
        || node.log_tail(),
    )
    .await;
    for attempt in 0..2 {
        let response = http_get_through(local, &node, &format!("connection {attempt}")).await;
        assert!(
            response.starts_with("HTTP/1.") && response.ends_with("pf-hello\n"),
            "connection {attempt}: {response:?}"
        );
    }
    kubectl.stop().await;
    eprintln!("streams: port-forward: {:?}", test_started.elapsed());

    drop(node);
    drop(env);
    eprintln!("streams: total: {:?}", test_started.elapsed());
}

/// Probes on real pods, in their own environment: an exec startup probe
/// gating an exec readiness probe that follows a file (`kubectl exec`
/// touches and removes it); an httpGet readiness probe (named port,
/// header) against busybox httpd on the pod IP, which turns unready on 404,
/// plus a passing tcpSocket liveness probe; and a failing exec liveness
/// probe that makes the container restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_runs_probes() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) = start_loopback_cri(
        cluster,
        "probes",
        "crash_loop_backoff_base_ms = 500\ncrash_loop_backoff_max_ms = 2000\n",
        test_started,
    )
    .await;
    let ns = node.namespace.clone();

    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    let manifests = [
        pod(
            &node,
            "gated",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
    startupProbe:
      exec: {{command: [\"test\", \"-e\", \"/tmp/started\"]}}
      periodSeconds: 1
      failureThreshold: 1000
    readinessProbe:
      exec: {{command: [\"cat\", \"/tmp/ready\"]}}
      periodSeconds: 1
      failureThreshold: 1
"
            ),
        ),
        pod(
            &node,
            "web",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www\"]
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /index.html
        port: http
        httpHeaders:
        - name: X-Probe
          value: vk
      periodSeconds: 1
      failureThreshold: 1
    livenessProbe:
      tcpSocket: {{port: 8080}}
      periodSeconds: 1
"
            ),
        ),
        // A directory without its slash: busybox httpd redirects (301) to
        // `/sub/`, whose answer decides.
        pod(
            &node,
            "moved",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sh\", \"-c\", \"mkdir -p /www/sub && echo ok > /www/sub/index.html && exec httpd -f -p 8080 -h /www\"]
    readinessProbe:
      httpGet: {{path: /sub, port: 8080}}
      periodSeconds: 1
      failureThreshold: 1
"
            ),
        ),
        pod(
            &node,
            "unhealthy",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
    livenessProbe:
      exec: {{command: [\"cat\", \"/tmp/alive\"]}}
      periodSeconds: 1
      failureThreshold: 2
"
            ),
        ),
    ];
    // A gRPC readiness probe of a hostNetwork pod (its IP is the node's,
    // 127.0.0.1): the standard health service, served here by the test.
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status("app", tonic_health::ServingStatus::Serving)
        .await;
    let health_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the gRPC health server");
    let health_port = health_listener.local_addr().expect("its address").port();
    let health_server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health_service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(
                health_listener,
            )),
    );
    let grpc = pod(
        &node,
        "grpc",
        &format!(
            "  terminationGracePeriodSeconds: 1
  hostNetwork: true
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
    readinessProbe:
      grpc: {{port: {health_port}, service: app}}
      periodSeconds: 1
      failureThreshold: 1
"
        ),
    );
    apply(cluster, &[manifests.join("---\n"), grpc].join("---\n")).await;
    let exec = async |pod: &str, command: &[&str]| {
        let mut args = vec!["exec", pod, "-n", &ns, "--"];
        args.extend_from_slice(command);
        cluster.kubectl(&args).await.success();
    };
    let main = |p: &Value| container(p, "containerStatuses", "main");

    // Startup gates readiness: running, not started, not ready.
    let gated = wait_pod(
        cluster,
        &node,
        "gated",
        "Running",
        Duration::from_secs(90),
        |p| phase(p) == "Running",
    )
    .await;
    assert_eq!(main(&gated)["started"], false, "{gated}");
    assert_eq!(main(&gated)["ready"], false, "{gated}");
    assert_eq!(condition_status(&gated, "Ready"), "False", "{gated}");
    exec("gated", &["touch", "/tmp/ready"]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = get_pod(cluster, &ns, "gated").await;
    assert_eq!(
        main(&still)["ready"],
        false,
        "readiness waits for startup: {still}"
    );
    exec("gated", &["touch", "/tmp/started"]).await;
    let flipped = Instant::now();
    let ready = wait_pod(
        cluster,
        &node,
        "gated",
        "started and Ready",
        Duration::from_secs(30),
        |p| {
            main(p)["started"] == true
                && main(p)["ready"] == true
                && condition_status(p, "Ready") == "True"
        },
    )
    .await;
    eprintln!(
        "probes: gated ready {:?} after the files",
        flipped.elapsed()
    );
    assert_eq!(
        condition_status(&ready, "ContainersReady"),
        "True",
        "{ready}"
    );
    // Ready turned True: the reason and message it had while False are gone
    // (the host clears what the plugin no longer sets).
    let ready_condition = ready["status"]["conditions"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == "Ready"))
        .cloned()
        .unwrap_or_default();
    assert!(
        ready_condition.get("reason").is_none() && ready_condition.get("message").is_none(),
        "{ready_condition}"
    );
    exec("gated", &["rm", "/tmp/ready"]).await;
    let unready = wait_pod(
        cluster,
        &node,
        "gated",
        "unready again",
        Duration::from_secs(30),
        |p| main(p)["ready"] == false && condition_status(p, "Ready") == "False",
    )
    .await;
    assert_eq!(main(&unready)["started"], true, "{unready}");
    assert_eq!(main(&unready)["restartCount"], 0, "{unready}");
    eprintln!("probes: gated checked: {:?}", test_started.elapsed());

    // httpGet to the pod IP through the named port; 404 is a failure.
    let web = wait_pod(
        cluster,
        &node,
        "web",
        "Ready",
        Duration::from_secs(60),
        |p| condition_status(p, "Ready") == "True",
    )
    .await;
    assert_eq!(main(&web)["ready"], true, "{web}");
    exec("web", &["rm", "/www/index.html"]).await;
    wait_pod(
        cluster,
        &node,
        "web",
        "unready on 404",
        Duration::from_secs(30),
        |p| condition_status(p, "Ready") == "False" && main(p)["ready"] == false,
    )
    .await;
    exec("web", &["sh", "-c", "echo ok > /www/index.html"]).await;
    let web = wait_pod(
        cluster,
        &node,
        "web",
        "Ready again",
        Duration::from_secs(30),
        |p| condition_status(p, "Ready") == "True",
    )
    .await;
    assert_eq!(
        main(&web)["restartCount"],
        0,
        "the tcpSocket liveness probe passes: {web}"
    );
    eprintln!("probes: web checked: {:?}", test_started.elapsed());

    // A same-host redirect is followed: Ready while /sub/ answers 200,
    // unready once it answers 404 (the 301 itself would pass).
    wait_pod(
        cluster,
        &node,
        "moved",
        "Ready through the redirect",
        Duration::from_secs(60),
        |p| condition_status(p, "Ready") == "True",
    )
    .await;
    exec("moved", &["rm", "/www/sub/index.html"]).await;
    wait_pod(
        cluster,
        &node,
        "moved",
        "unready once the redirect leads to a 404",
        Duration::from_secs(30),
        |p| condition_status(p, "Ready") == "False",
    )
    .await;
    wait_described(
        cluster,
        &ns,
        "moved",
        &["Readiness probe failed: HTTP probe failed with statuscode: 404"],
    )
    .await;
    eprintln!("probes: redirect checked: {:?}", test_started.elapsed());

    // gRPC: Ready while the service is SERVING, unready at NOT_SERVING.
    wait_pod(
        cluster,
        &node,
        "grpc",
        "Ready through the gRPC health check",
        Duration::from_secs(60),
        |p| condition_status(p, "Ready") == "True",
    )
    .await;
    health
        .set_service_status("app", tonic_health::ServingStatus::NotServing)
        .await;
    wait_pod(
        cluster,
        &node,
        "grpc",
        "unready at NOT_SERVING",
        Duration::from_secs(30),
        |p| condition_status(p, "Ready") == "False",
    )
    .await;
    eprintln!("probes: grpc checked: {:?}", test_started.elapsed());

    // A failing liveness probe kills the container; Always restarts it.
    let restarted = wait_pod(
        cluster,
        &node,
        "unhealthy",
        "restarted twice by its liveness probe",
        Duration::from_secs(90),
        |p| main(p)["restartCount"].as_i64().unwrap_or(0) >= 2,
    )
    .await;
    let last = &main(&restarted)["lastState"]["terminated"];
    // sleep as PID 1 ignores SIGTERM: killed at the 2 s minimum grace.
    assert_eq!(last["exitCode"], 137, "{restarted}");
    assert_eq!(last["reason"], "Error", "{restarted}");
    // The kubelet's events say why, in `kubectl describe pod`.
    wait_described(
        cluster,
        &ns,
        "unhealthy",
        &[
            "Liveness probe failed: ",
            "Container main failed liveness probe, will be restarted",
        ],
    )
    .await;
    eprintln!("probes: unhealthy restarted: {:?}", test_started.elapsed());

    delete_all_pods(cluster, &ns, &run_dir).await;
    health_server.abort();
    drop(node);
    drop(env);
    eprintln!("probes: total: {:?}", test_started.elapsed());
}

/// Resource usage through the API server's `nodes/proxy` (so the node runs
/// on this machine's routable address, not loopback), then a vk-host
/// killed with SIGKILL (its plugin dies with it) and started again for the
/// same node: the pod's container keeps running and is adopted, not
/// restarted nor reported lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_serves_stats_and_survives_a_host_restart() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let ip = routable_ip().to_string();
    let (env, run_dir, config) = cri_environment("stats", &ip, "");
    let setup = |port: &str| cri_node(cluster, "cri-stats", &config, &ip, port);
    let node = VirtualNode::start(cluster, setup(&free_port().to_string())).await;
    let ns = node.namespace.clone();
    let node_name = node.name.clone();
    eprintln!("stats: node ready: {:?}", test_started.elapsed());

    // Node info from the plugin: the runtime's version and the machine.
    let info = cluster
        .kubectl(&["get", "node", &node_name, "-o", "json"])
        .await
        .success()
        .json();
    let runtime = info["status"]["nodeInfo"]["containerRuntimeVersion"]
        .as_str()
        .unwrap_or_default();
    assert!(runtime.starts_with("containerd://"), "{}", info["status"]);
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(
        info["status"]["capacity"]["cpu"],
        cpus.to_string(),
        "{}",
        info["status"]
    );

    // 24 MiB in the container's /dev/shm (tmpfs, charged to its memory
    // cgroup) and a little CPU every second.
    apply(
        cluster,
        &pod(
            &node,
            "busy",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"dd if=/dev/zero of=/dev/shm/hold bs=1048576 count=24; \
while true; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done\"]
"
            ),
        ),
    )
    .await;
    let running = wait_pod(
        cluster,
        &node,
        "busy",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let id = container(&running, "containerStatuses", "main")["containerID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(id.starts_with("containerd://"), "{running}");
    eprintln!("stats: pod running: {:?}", test_started.elapsed());

    let raw = |path: &str| format!("/api/v1/nodes/{node_name}/proxy/{path}");
    let started = Instant::now();
    let summary = wait_for_ok(
        Duration::from_secs(30),
        "the pod in /stats/summary with memory and CPU used",
        async || {
            let summary = cluster
                .kubectl(&["get", "--raw", &raw("stats/summary")])
                .await
                .success()
                .json();
            let pod = summary["pods"]
                .as_array()
                .and_then(|pods| {
                    pods.iter()
                        .find(|p| {
                            p["podRef"]["name"] == "busy" && p["podRef"]["namespace"] == ns.as_str()
                        })
                        .cloned()
                })
                .unwrap_or(Value::Null);
            let main = &pod["containers"][0];
            let memory = main["memory"]["workingSetBytes"].as_u64().unwrap_or(0);
            let cpu = main["cpu"]["usageCoreNanoSeconds"].as_u64().unwrap_or(0);
            if main["name"] == "main" && memory >= 20 << 20 && cpu > 0 {
                Ok(summary)
            } else {
                Err(format!("{summary}"))
            }
        },
    )
    .await;
    eprintln!(
        "stats: summary as expected after {:?}: {summary}",
        started.elapsed()
    );
    let pod_stats = summary["pods"]
        .as_array()
        .and_then(|pods| pods.iter().find(|p| p["podRef"]["name"] == "busy"))
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        pod_stats["memory"]["workingSetBytes"].as_u64().unwrap_or(0) >= 20 << 20,
        "{pod_stats}"
    );
    assert!(
        pod_stats["containers"][0]["cpu"]["usageNanoCores"]
            .as_u64()
            .is_some(),
        "{pod_stats}"
    );
    assert!(
        summary["node"]["memory"]["workingSetBytes"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{}",
        summary["node"]
    );
    assert!(
        summary["node"]["cpu"]["usageCoreNanoSeconds"]
            .as_u64()
            .unwrap_or(0)
            > 0,
        "{}",
        summary["node"]
    );

    let metrics = cluster
        .kubectl(&["get", "--raw", &raw("metrics/resource")])
        .await
        .success()
        .stdout;
    let labels = format!("{{container=\"main\",namespace=\"{ns}\",pod=\"busy\"}}");
    for wanted in [
        format!("container_cpu_usage_seconds_total{labels} "),
        format!("container_memory_working_set_bytes{labels} "),
        format!("container_start_time_seconds{labels} "),
        format!("pod_cpu_usage_seconds_total{{namespace=\"{ns}\",pod=\"busy\"}} "),
        format!("pod_memory_working_set_bytes{{namespace=\"{ns}\",pod=\"busy\"}} "),
        "node_cpu_usage_seconds_total ".to_owned(),
        "node_memory_working_set_bytes ".to_owned(),
        "resource_scrape_error 0".to_owned(),
    ] {
        assert!(
            metrics.lines().any(|line| line.starts_with(&wanted)),
            "missing {wanted:?} in:\n{metrics}"
        );
    }
    let cpu_seconds: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(&format!("container_cpu_usage_seconds_total{labels} ")))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(cpu_seconds > 0.0, "{metrics}");
    eprintln!("stats: metrics checked: {:?}", test_started.elapsed());

    // SIGKILL vk-host: the plugin dies with it, the container does not.
    let host_pid = node.host.pid();
    let plugin = node.host.child_named("vk-cri-plugin").await;
    kill(Pid::from_raw(host_pid as i32), Signal::SIGKILL).expect("SIGKILL vk-host");
    drop(node);
    // The plugin dies with it (parent-death SIGTERM, end of stdin), so
    // one plugin instance adopts the pod.
    wait_for_ok(
        Duration::from_secs(10),
        "the plugin to die with vk-host",
        async || {
            let state = std::fs::read_to_string(format!("/proc/{plugin}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("State:"))
                        .map(str::to_owned)
                })
                .filter(|state| !state.contains('Z'));
            match state {
                None => Ok(()),
                Some(state) => Err(format!("plugin {plugin} still runs: {state}")),
            }
        },
    )
    .await;
    eprintln!("stats: the plugin died with vk-host");
    let restarted = Instant::now();
    let mut node = VirtualNode::start(
        cluster,
        setup(&free_port().to_string()).node_name(&node_name),
    )
    .await;
    // The pod is in the first start's namespace.
    node.namespace = ns.clone();
    // The Node is still Ready from before: wait for the new host's
    // reconciliation instead.
    node.host
        .wait_for_log(
            "reconciling the plugin's pods with the API's",
            Duration::from_secs(30),
        )
        .await;
    let log = node.host.log();
    assert!(
        log.lines()
            .any(|l| l.contains("reconciling the plugin's pods")
                && l.contains("plugin_pods=1")
                && l.contains("api_pods=1")),
        "the restarted plugin holds the pod:\n{log}"
    );
    eprintln!(
        "stats: host restarted, pods reconciled in {:?}",
        restarted.elapsed()
    );
    let adopted = wait_pod(
        cluster,
        &node,
        "busy",
        "Running with the same container after the host restart",
        Duration::from_secs(30),
        |p| {
            phase(p) == "Running"
                && container(p, "containerStatuses", "main")["containerID"] == id.as_str()
        },
    )
    .await;
    // Stays so: not re-created, not marked lost, not restarted.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = get_pod(cluster, &ns, "busy").await;
    let main = container(&later, "containerStatuses", "main");
    assert_eq!(phase(&later), "Running", "{later}");
    assert_eq!(main["containerID"], id.as_str(), "{later}");
    assert_eq!(main["restartCount"], 0, "{later}");
    assert!(main["state"]["running"].is_object(), "{later}");
    assert_eq!(
        adopted["metadata"]["uid"], later["metadata"]["uid"],
        "the same pod"
    );
    let summary = cluster
        .kubectl(&["get", "--raw", &raw("stats/summary")])
        .await
        .success()
        .stdout;
    assert!(
        summary.contains("\"busy\""),
        "stats after the restart: {summary}"
    );
    eprintln!(
        "stats: adopted after the host restart: {:?}",
        test_started.elapsed()
    );

    delete_all_pods(cluster, &ns, &run_dir).await;
    drop(node);
    drop(env);
    eprintln!("stats: total: {:?}", test_started.elapsed());
}

/// Pulls from a registry that needs credentials (`scripts/cri-env/
/// registry.py` on 127.0.0.1, plain HTTP, Basic auth), in its own
/// environment: without an image pull secret the pull fails with
/// ErrImagePull or ImagePullBackOff; with a `kubernetes.io/dockerconfigjson`
/// secret in `imagePullSecrets` the pod pulls and runs. The kubelet's
/// events (`Pulling`, `Pulled`, `Failed`, `Created`, `Started`) show in
/// `kubectl get events` and `kubectl describe pod`. Then `kubectl set
/// image` restarts a running container with the new image.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_pulls_with_image_pull_secrets_and_reports_events() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, _run_dir, config) = cri_environment("pulls", "127.0.0.1", "");
    let registry = TestRegistry::start(
        std::path::Path::new(env.var("VK_CRI_IMAGES_DIR")),
        "puller",
        "s3cret",
    )
    .await;
    let setup = loopback_cri_node(cluster, "cri-pulls", &config);
    let node = VirtualNode::start(cluster, setup).await;
    let ns = node.namespace.clone();
    let image = format!("{}/vk-test/busybox:1", registry.address);
    eprintln!(
        "pulls: node ready, registry at {}: {:?}",
        registry.address,
        test_started.elapsed()
    );

    let container = format!(
        "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {image}
    imagePullPolicy: Always
    command: [\"sleep\", \"3600\"]
"
    );
    apply(cluster, &pod(&node, "anonymous", &container)).await;
    let refused = wait_pod(
        cluster,
        &node,
        "anonymous",
        "ErrImagePull or ImagePullBackOff without credentials",
        Duration::from_secs(60),
        |p| {
            let reason = &container_of(p)["state"]["waiting"]["reason"];
            reason == "ErrImagePull" || reason == "ImagePullBackOff"
        },
    )
    .await;
    eprintln!(
        "pulls: anonymous refused ({}): {:?}",
        container_of(&refused)["state"]["waiting"]["message"],
        test_started.elapsed()
    );

    let secret = format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: regcred
  namespace: {ns}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{{\"auths\":{{\"{address}\":{{\"username\":\"puller\",\"password\":\"s3cret\"}}}}}}'
",
        address = registry.address
    );
    let private = pod(
        &node,
        "private",
        &format!("  imagePullSecrets:\n  - name: regcred\n{container}"),
    );
    apply(cluster, &format!("{secret}---\n{private}")).await;
    wait_pod(
        cluster,
        &node,
        "private",
        "Running with the pull secret",
        Duration::from_secs(90),
        |p| phase(p) == "Running",
    )
    .await;
    eprintln!("pulls: private running: {:?}", test_started.elapsed());

    // The kubelet's events, as `kubectl get events` lists them.
    let events_of = async |pod: &str| pod_events(cluster, &ns, pod).await;
    let has = |events: &[(String, String, String)], reason: &str, message: &str| {
        events.iter().any(|(r, m, field)| {
            r == reason && m.starts_with(message) && field == "spec.containers{main}"
        })
    };
    wait_for_ok(
        Duration::from_secs(30),
        "the private pod's events",
        async || {
            let events = events_of("private").await;
            let wanted = [
                ("Pulling", format!("Pulling image \"{image}\"")),
                (
                    "Pulled",
                    format!("Successfully pulled image \"{image}\" in "),
                ),
                ("Created", "Created container: main".to_owned()),
                ("Started", "Started container main".to_owned()),
            ];
            if wanted
                .iter()
                .all(|(reason, message)| has(&events, reason, message))
            {
                Ok(())
            } else {
                Err(format!("events: {events:?}"))
            }
        },
    )
    .await;
    wait_for_ok(
        Duration::from_secs(30),
        "the anonymous pod's events",
        async || {
            let events = events_of("anonymous").await;
            if has(
                &events,
                "Failed",
                &format!("Failed to pull image \"{image}\": "),
            ) {
                Ok(())
            } else {
                Err(format!("events: {events:?}"))
            }
        },
    )
    .await;
    wait_described(
        cluster,
        &ns,
        "private",
        &["Successfully pulled image", "Started container main"],
    )
    .await;
    eprintln!("pulls: events: {:?}", test_started.elapsed());

    // `kubectl set image` on a running pod: the container is stopped and
    // started again with the new image, even under restartPolicy Never.
    apply(
        cluster,
        &pod(
            &node,
            "retag",
            &format!(
                "  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sleep\", \"3600\"]
"
            ),
        ),
    )
    .await;
    wait_pod(
        cluster,
        &node,
        "retag",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let second = BUSYBOX.replace(":1", ":2");
    cluster
        .kubectl(&[
            "set",
            "image",
            "pod/retag",
            &format!("main={second}"),
            "-n",
            &ns,
        ])
        .await
        .success();
    let retagged = wait_pod(
        cluster,
        &node,
        "retag",
        "running again with the new image",
        Duration::from_secs(60),
        |p| {
            let main = container_of(p);
            phase(p) == "Running"
                && main["restartCount"] == 1
                && main["image"] == second.as_str()
                && main["state"]["running"].is_object()
        },
    )
    .await;
    assert_eq!(
        container_of(&retagged)["lastState"]["terminated"]["exitCode"],
        137,
        "sleep ignores SIGTERM: killed at the 1 s grace: {retagged}"
    );
    wait_for_ok(
        Duration::from_secs(30),
        "the Killing event of the image change",
        async || {
            let events = events_of("retag").await;
            if has(
                &events,
                "Killing",
                "Container main definition changed, will be restarted",
            ) {
                Ok(())
            } else {
                Err(format!("events: {events:?}"))
            }
        },
    )
    .await;
    eprintln!("pulls: set image: {:?}", test_started.elapsed());

    drop(node);
    drop(registry);
    drop(env);
}

/// The status of the pod's container `main`.
fn container_of(pod: &Value) -> Value {
    container(pod, "containerStatuses", "main")
}

/// A pod's sandbox dies under it (its pause process killed with SIGKILL
/// through `ctr`): as the kubelet after `SandboxChanged`, the plugin stops
/// the pod's containers, runs a new sandbox, runs the init container again
/// and restarts the main container (restartCount 1), with the
/// `SandboxChanged` event.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_replaces_a_dead_sandbox() {
    use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
    use k8s_cri::v1::{ListPodSandboxRequest, PodSandboxFilter};

    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, _run_dir, config) = cri_environment("sandbox", "127.0.0.1", "");
    let node =
        VirtualNode::start(cluster, loopback_cri_node(cluster, "cri-sandbox", &config)).await;
    let ns = node.namespace.clone();
    let image = format!("    image: {BUSYBOX}\n    imagePullPolicy: IfNotPresent\n");
    apply(
        cluster,
        &pod(
            &node,
            "phoenix",
            &format!(
                "  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    emptyDir: {{}}
  initContainers:
  - name: init
{image}    command: [\"sh\", \"-c\", \"echo run >> /data/init.log\"]
    volumeMounts: [{{name: data, mountPath: /data}}]
  containers:
  - name: main
{image}    command: [\"sleep\", \"3600\"]
    volumeMounts: [{{name: data, mountPath: /data}}]
"
            ),
        ),
    )
    .await;
    let first = wait_pod(
        cluster,
        &node,
        "phoenix",
        "Running",
        Duration::from_secs(60),
        |p| phase(p) == "Running",
    )
    .await;
    let uid = first["metadata"]["uid"].as_str().expect("a uid").to_owned();
    let first_ip = first["status"]["podIP"].clone();
    eprintln!(
        "sandbox: running at {first_ip}: {:?}",
        test_started.elapsed()
    );

    let socket = env.var("VK_CRI_SOCKET").to_owned();
    let mut runtime = RuntimeServiceClient::new(vk_tests::cri_env::connect(&socket).await);
    let sandboxes = runtime
        .list_pod_sandbox(ListPodSandboxRequest {
            filter: Some(PodSandboxFilter {
                label_selector: [("io.kubernetes.pod.uid".to_owned(), uid.clone())].into(),
                ..PodSandboxFilter::default()
            }),
        })
        .await
        .expect("ListPodSandbox")
        .into_inner()
        .items;
    assert_eq!(sandboxes.len(), 1, "one sandbox: {sandboxes:?}");
    let killed = std::process::Command::new("ctr")
        .args([
            "-a", &socket, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL",
        ])
        .arg(&sandboxes[0].id)
        .output()
        .expect("ctr runs");
    assert!(killed.status.success(), "ctr tasks kill: {killed:?}");

    let replaced = wait_pod(
        cluster,
        &node,
        "phoenix",
        "running again in a new sandbox",
        Duration::from_secs(60),
        |p| {
            let main = container(p, "containerStatuses", "main");
            phase(p) == "Running"
                && main["restartCount"] == 1
                && main["state"]["running"].is_object()
        },
    )
    .await;
    eprintln!(
        "sandbox: replaced, pod IP {}: {:?}",
        replaced["status"]["podIP"],
        test_started.elapsed()
    );
    assert_eq!(
        exec_sh(cluster, &ns, "phoenix", "cat /data/init.log").await,
        "run\nrun\n",
        "the init container ran again"
    );
    let listed = runtime
        .list_pod_sandbox(ListPodSandboxRequest {
            filter: Some(PodSandboxFilter {
                label_selector: [("io.kubernetes.pod.uid".to_owned(), uid)].into(),
                ..PodSandboxFilter::default()
            }),
        })
        .await
        .expect("ListPodSandbox")
        .into_inner()
        .items;
    let attempts: Vec<u32> = listed
        .iter()
        .filter_map(|s| s.metadata.as_ref().map(|m| m.attempt))
        .collect();
    assert!(attempts.contains(&1), "a sandbox of attempt 1: {listed:?}");
    wait_described(
        cluster,
        &ns,
        "phoenix",
        &["Pod sandbox changed, it will be killed and re-created."],
    )
    .await;
    drop(runtime);
    drop(node);
    drop(env);
    eprintln!("sandbox: total: {:?}", test_started.elapsed());
}
