//! The README's first command, run the way the README says: `scripts/run-local.sh`
//! starts a control plane, vk-host and the mock plugin, puts pod `demo` on the
//! node and follows vk-host's log until Ctrl-C. Checked as a user would: the
//! node Ready, `demo` Running, `kubectl logs demo` printing; a second run
//! while the first is up reuses it; Ctrl-C leaves nothing running; and the
//! same on a machine whose every core is busy.

use std::io::{BufRead as _, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use vk_tests::cluster::{Binaries, clusters_root, node_name, repo_dir, wait_for, wait_for_ok};

/// The script builds (a no-op after the test command's build), starts a
/// control plane (cold page cache included) and waits for node and pod.
const START: Duration = Duration::from_secs(300);
const STOP: Duration = Duration::from_secs(30);
/// How long the script's output pipes may stay open after it exits.
const PIPES_CLOSE: Duration = Duration::from_secs(5);

/// One state directory for the test, its control plane stopped on drop. An
/// `owner` file lets the harness's sweep clean up after a killed test.
struct LocalState {
    dir: PathBuf,
    port: u16,
    node: String,
}

impl LocalState {
    fn new() -> Self {
        let dir = clusters_root().join(format!("run-local-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state directory");
        std::fs::write(dir.join("owner"), owner_identity()).expect("owner file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        LocalState {
            dir,
            port,
            node: node_name("local"),
        }
    }

    /// `scripts/run-local.sh` with this state, in its own process group (as a
    /// terminal's foreground job), its stderr collected.
    fn run(&self) -> Script {
        let mut child = Command::new(repo_dir().join("scripts/run-local.sh"))
            .current_dir(repo_dir())
            .env("VK_LOCAL_STATE", &self.dir)
            .env("VK_KUBELET_PORT", self.port.to_string())
            .env("VK_NODE_NAME", &self.node)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("starting scripts/run-local.sh");
        let output = Arc::new(Mutex::new(String::new()));
        let open_pipes = Arc::new(AtomicUsize::new(0));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = Arc::clone(&output);
            let open = Arc::clone(&open_pipes);
            open.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut text = output.lock().expect("output lock");
                    text.push_str(&line);
                    text.push('\n');
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Script {
            child,
            output,
            open_pipes,
        }
    }

    fn kubectl(&self, args: &[&str]) -> std::process::Output {
        let kubectl = Binaries::locate().expect("binaries").path("kubectl");
        Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(self.dir.join("admin.kubeconfig"))
            .args(args)
            .output()
            .expect("running kubectl")
    }

    fn host_pid(&self) -> u32 {
        std::fs::read_to_string(self.dir.join("vk-host.pid"))
            .expect("run-local.sh records vk-host's pid")
            .trim()
            .parse()
            .expect("a pid")
    }
}

impl Drop for LocalState {
    fn drop(&mut self) {
        let _ = Command::new(repo_dir().join("controlplane/down.sh"))
            .arg(&self.dir)
            .status();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn owner_identity() -> String {
    let pid = std::process::id();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let start = stat
        .rfind(')')
        .and_then(|i| stat[i + 1..].split_whitespace().nth(19))
        .unwrap_or("0");
    format!("{pid} {start}")
}

struct Script {
    child: Child,
    output: Arc<Mutex<String>>,
    /// Output pipes whose reader has not reached end of file yet.
    open_pipes: Arc<AtomicUsize>,
}

impl Script {
    fn output(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }

    /// The whole output of the script once it has exited: its last lines
    /// are read when the readers reach end of file (bounded, in case a
    /// leftover process still holds a pipe; the checks then say what is left).
    async fn final_output(&self) -> String {
        let started = Instant::now();
        while self.open_pipes.load(Ordering::SeqCst) > 0 && started.elapsed() < PIPES_CLOSE {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.output()
    }

    async fn wait_for_output(&mut self, needle: &str, timeout: Duration) {
        let what = format!("run-local.sh to print {needle:?}");
        wait_for(timeout, &what, async || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "run-local.sh exited ({status}) before printing {needle:?}:\n{}",
                    self.output()
                );
            }
            self.output().contains(needle).then_some(())
        })
        .await;
    }

    /// Ctrl-C: SIGINT to the whole foreground process group.
    async fn interrupt(mut self) -> String {
        let group = Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits"));
        killpg(group, Signal::SIGINT).expect("sending SIGINT to run-local.sh's group");
        let started = Instant::now();
        loop {
            if let Some(_status) = self.child.try_wait().expect("waiting for run-local.sh") {
                return self.final_output().await;
            }
            assert!(
                started.elapsed() < STOP,
                "run-local.sh did not stop within {STOP:?} of Ctrl-C:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn finish(mut self) -> (std::process::ExitStatus, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for run-local.sh") {
                return (status, self.final_output().await);
            }
            assert!(
                started.elapsed() < START,
                "run-local.sh did not finish:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The processes of our binaries (vk-host, the mock plugin) that still run
/// for `state`: vk-host names it in its kubeconfig flag; the plugin in its
/// configuration flag or environment.
fn leftovers(state: &Path) -> Vec<String> {
    let needle = state.to_string_lossy().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let read = |file: &str| {
            std::fs::read(format!("/proc/{pid}/{file}"))
                .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
                .unwrap_or_default()
        };
        let cmdline = read("cmdline");
        let program = cmdline.split(' ').next().unwrap_or_default();
        let ours = program.ends_with("/vk-host") || program.ends_with("/vk-mock-plugin");
        if ours && (cmdline.contains(&needle) || read("environ").contains(&needle)) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

/// Busy loops on every core until dropped (bounded: at most 10 minutes).
struct CpuLoad(Arc<AtomicBool>);

impl CpuLoad {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..cores {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(600)
                {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            });
        }
        CpuLoad(stop)
    }
}

impl Drop for CpuLoad {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// What a user checks after the first command: node Ready, demo Running on
/// it, its log printing.
fn assert_running(state: &LocalState, output: &str) {
    let node = state.kubectl(&[
        "get",
        "node",
        &state.node,
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&node.stdout),
        "True",
        "node {} Ready; run-local.sh said:\n{output}",
        state.node
    );
    let pod = state.kubectl(&[
        "get",
        "pod",
        "demo",
        "-o",
        "jsonpath={.status.phase} {.spec.nodeName}",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&pod.stdout),
        format!("Running {}", state.node),
        "pod demo Running on the node; run-local.sh said:\n{output}"
    );
    let logs = state.kubectl(&["logs", "demo", "--tail", "3"]);
    assert!(
        logs.status.success() && !logs.stdout.is_empty(),
        "kubectl logs demo prints (stderr: {})",
        String::from_utf8_lossy(&logs.stderr)
    );
    assert!(
        output.contains(&state.node) && output.contains("demo"),
        "the script printed the node and the pod:\n{output}"
    );
}

async fn interrupt_and_check_nothing_left(state: &LocalState, script: Script) {
    let host = state.host_pid();
    // What the check below looks for is there while it runs.
    let running = leftovers(&state.dir);
    assert!(
        running.iter().any(|p| p.contains("/vk-host "))
            && running.iter().any(|p| p.contains("/vk-mock-plugin")),
        "vk-host and its plugin are found running: {running:?}"
    );
    let output = script.interrupt().await;
    assert!(
        output.contains("stopping vk-host"),
        "Ctrl-C stops vk-host:\n{output}"
    );
    wait_for_ok(
        Duration::from_secs(10),
        "no vk-host or plugin left running",
        async || {
            let left = leftovers(&state.dir);
            if left.is_empty() && !vk_tests::cluster::process_alive(host) {
                Ok(())
            } else {
                Err(format!("vk-host {host}, left: {left:?}"))
            }
        },
    )
    .await;
    assert!(
        !state.dir.join("vk-host.pid").exists(),
        "the pid file of the stopped vk-host is removed"
    );
}

#[tokio::test]
async fn run_local_starts_node_and_demo_pod_and_ctrl_c_leaves_nothing_running() {
    let state = LocalState::new();

    let mut first = state.run();
    first.wait_for_output("vk-host's log follows", START).await;
    assert_running(&state, &first.output());

    // A second run while the first is up reuses it and says so.
    let (status, output) = state.run().finish().await;
    assert!(status.success(), "the second run succeeds:\n{output}");
    assert!(
        output.contains("already running") && output.contains("reusing it"),
        "the second run says vk-host is already running:\n{output}"
    );
    assert_running(&state, &output);

    interrupt_and_check_nothing_left(&state, first).await;

    // The same on a busy machine: every core spinning while everything
    // starts (control plane, vk-host, the plugin, the earlier demo pod
    // replaced).
    let down = Command::new(repo_dir().join("controlplane/down.sh"))
        .arg(&state.dir)
        .status()
        .expect("running controlplane/down.sh");
    assert!(
        down.success(),
        "controlplane/down.sh stops the control plane"
    );
    let load = CpuLoad::start();
    let mut busy = state.run();
    busy.wait_for_output("vk-host's log follows", START).await;
    drop(load);
    assert_running(&state, &busy.output());
    interrupt_and_check_nothing_left(&state, busy).await;
}
