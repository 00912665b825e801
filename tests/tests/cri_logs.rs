//! vk-cri-plugin end to end: container log rotation, as the kubelet's
//! container log manager does it, on a real containerd through the real
//! vk-host, a real kube-apiserver and kubectl. A pod writing about 80 KB/s
//! under `container_log_max_size = "64Ki"`, `container_log_max_files = 3`
//! and a 500 ms monitor interval: its log directory never holds more than
//! 3 files (the current `0.log`, the newest rotated file uncompressed,
//! older ones gzipped, named `0.log.YYYYMMDD-hhmmss`), the container keeps
//! running unrestarted, `kubectl logs --tail 5` shows the newest lines,
//! `kubectl logs -f` started before a rotation goes on into the new file
//! without losing a line, and deleting the pod removes its logs. Needs
//! root; when containerd cannot start the test fails, it never skips.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncBufReadExt as _;
use vk_tests::cluster::{Cluster, Identity, wait_for_ok};
use vk_tests::cri_node::{
    BUSYBOX, apply, container, get_pod, phase, pod, start_loopback_cri, wait_all_forgotten,
    wait_pod,
};

/// Every output line is `line <n> <PAD>`.
const PAD: &str = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop";
const MAX_SIZE: u64 = 64 * 1024;

/// The number of an output line `line <n> <PAD>`.
fn number(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("line ")?;
    let (n, pad) = rest.split_once(' ')?;
    (pad == PAD).then_some(())?;
    n.parse().ok()
}

/// The line numbers in CRI log records (`<time> stdout F <line>`);
/// panics on anything else.
fn record_numbers(file: &Path, text: &str) -> Vec<u64> {
    text.lines()
        .map(|record| {
            let mut parts = record.splitn(4, ' ');
            let time = parts.next().unwrap_or_default();
            let (stream, tag, content) = (parts.next(), parts.next(), parts.next());
            assert!(
                time.ends_with('Z')
                    && time.contains('T')
                    && stream == Some("stdout")
                    && tag == Some("F"),
                "{}: not a CRI log record: {record:?}",
                file.display()
            );
            number(content.unwrap_or_default())
                .unwrap_or_else(|| panic!("{}: unexpected content {record:?}", file.display()))
        })
        .collect()
}

fn assert_consecutive(what: &str, numbers: &[u64]) {
    if let Some(gap) = numbers.windows(2).find(|w| w[1] != w[0] + 1) {
        panic!(
            "{what}: line {} follows line {} ({} lines from {:?} to {:?})",
            gap[1],
            gap[0],
            numbers.len(),
            numbers.first(),
            numbers.last()
        );
    }
}

/// The file names in `dir` (none when it does not exist).
fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `0.log.YYYYMMDD-hhmmss` (optionally `.gz`): the timestamp, and whether
/// it is compressed.
fn rotated(name: &str) -> Option<(&str, bool)> {
    let rest = name.strip_prefix("0.log.")?;
    let (stamp, compressed) = match rest.strip_suffix(".gz") {
        Some(stamp) => (stamp, true),
        None => (rest, false),
    };
    let well_formed = stamp.len() == 15
        && stamp
            .char_indices()
            .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() });
    well_formed.then_some((stamp, compressed))
}

/// The text of a rotated log file, gunzipped when it is `.gz`.
fn read_rotated(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    } else {
        std::fs::File::open(path)?.read_to_string(&mut text)?;
    }
    Ok(text)
}

/// `kubectl logs chatty --tail N`: the numbers of the N lines it prints,
/// each newer than `newer_than` and consecutive. Only the current file is
/// read (as by the kubelet), and for a moment after a rotation (until the
/// next burst, up to 0.1 s) it holds fewer than N lines: then ask again.
async fn newest_lines(cluster: &Cluster, ns: &str, n: usize, newer_than: u64) -> Vec<u64> {
    let count = n.to_string();
    let mut short_answers = Vec::new();
    let numbers = wait_for_ok(
        Duration::from_secs(10),
        &format!("kubectl logs --tail {n} to print {n} lines"),
        async || {
            let tail = cluster
                .kubectl(&["logs", "chatty", "-n", ns, "--tail", &count])
                .await
                .success();
            let numbers: Vec<u64> = tail
                .stdout
                .lines()
                .map(|l| number(l).unwrap_or_else(|| panic!("unexpected line {l:?} in {tail:?}")))
                .collect();
            assert!(numbers.len() <= n, "{tail:?}");
            assert_consecutive(&format!("kubectl logs --tail {n}"), &numbers);
            assert!(
                numbers.iter().all(|l| *l > newer_than),
                "--tail {n} shows {numbers:?}, not newer than line {newer_than}"
            );
            if numbers.len() == n {
                Ok(numbers)
            } else {
                short_answers.push(numbers.len());
                Err(format!("{tail:?}"))
            }
        },
    )
    .await;
    if !short_answers.is_empty() {
        eprintln!(
            "logs: --tail {n} answered {short_answers:?} lines first (just after a rotation)"
        );
    }
    numbers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cri_plugin_rotates_container_logs() {
    let test_started = Instant::now();
    let cluster = Cluster::shared();
    let (env, run_dir, node) =
        start_loopback_cri(cluster, "logs", "container_log_max_size = \"64Ki\"\ncontainer_log_max_files = 3\ncontainer_log_monitor_interval_ms = 500\n", test_started).await;
    let ns = node.namespace.clone();

    // 50 lines of 111 bytes, then 0.1 s: about 80 KB/s with the CRI prefix.
    apply(
        cluster,
        &pod(
            &node,
            "chatty",
            &format!(
                "  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {BUSYBOX}
    imagePullPolicy: IfNotPresent
    command: [\"sh\", \"-c\", \"i=0; while true; do i=$((i+1)); echo line $i {PAD}; if [ $((i % 50)) -eq 0 ]; then sleep 0.1; fi; done\"]
"
            ),
        ),
    )
    .await;
    let running = wait_pod(
        cluster,
        &node,
        "chatty",
        "Running",
        Duration::from_secs(40),
        |p| phase(p) == "Running",
    )
    .await;
    let uid = running["metadata"]["uid"]
        .as_str()
        .expect("metadata.uid")
        .to_owned();
    let pod_logs = run_dir.join("pod-logs").join(format!("{ns}_chatty_{uid}"));
    let log_dir = pod_logs.join("main");
    eprintln!("logs: pod Running: {:?}", test_started.elapsed());

    // kubectl logs -f from now on, read continuously.
    let mut follow = cluster.kubectl_command(Identity::Admin);
    follow
        .args(["logs", "-f", "chatty", "-n", &ns, "--tail=1"])
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut follower = follow.spawn().expect("start kubectl logs -f");
    let stdout = follower.stdout.take().expect("piped stdout");
    let followed: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = followed.clone();
    let reader = tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().expect("followed lines").push(line);
        }
    });
    let followed_count = || followed.lock().expect("followed lines").len();
    wait_for_ok(
        Duration::from_secs(20),
        "kubectl logs -f to print a line",
        async || {
            if followed_count() > 0 {
                Ok(())
            } else {
                Err("nothing yet")
            }
        },
    )
    .await;
    // Rotated files that exist once the follower printed its first line.
    let before_follow: BTreeSet<String> = listing(&log_dir)
        .iter()
        .filter_map(|n| rotated(n).map(|(stamp, _)| stamp.to_owned()))
        .collect();
    eprintln!("logs: following; rotated so far {before_follow:?}");

    // At every look: at most 3 files, all of them the current log or
    // rotated ones by name. Wait for two rotations (a `.gz`) and watch on.
    let mut looks = 0;
    let mut most = 0;
    let watch_until = |started: Instant| started + Duration::from_secs(4);
    let mut settled: Option<Instant> = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last: BTreeSet<String>;
    loop {
        let names = listing(&log_dir);
        looks += 1;
        most = most.max(names.len());
        assert!(
            names.len() <= 3,
            "more than 3 files in {}: {names:?}",
            log_dir.display()
        );
        for name in &names {
            assert!(
                name == "0.log" || rotated(name).is_some() || name.ends_with(".tmp"),
                "unexpected file {name} in {}",
                log_dir.display()
            );
        }
        if settled.is_none() && names.iter().any(|n| n.ends_with(".gz")) {
            settled = Some(Instant::now());
        }
        last = names;
        if settled.is_some_and(|at| Instant::now() >= watch_until(at)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no compressed rotated log in {} within 60 s (last listing {last:?}; host log tail:\n{})",
            log_dir.display(),
            node.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "logs: {looks} looks at the log directory, at most {most} files, last {last:?}: {:?}",
        test_started.elapsed()
    );

    // A consistent listing (not mid-rotation): the current log, the newest
    // rotated file uncompressed, the older one gzipped; contents are CRI
    // records of consecutive lines, the uncompressed one at least 64 KiB.
    let newest_rotated = wait_for_ok(
        Duration::from_secs(20),
        "a listing of 0.log, one rotated file and one .gz with readable contents",
        async || {
            let names = listing(&log_dir);
            let mut stamps: Vec<(&str, bool)> = names.iter().filter_map(|n| rotated(n)).collect();
            stamps.sort();
            let shape_ok = names.contains("0.log")
                && names.len() == 3
                && stamps.len() == 2
                && stamps[0].1
                && !stamps[1].1;
            if !shape_ok {
                return Err(format!("listing {names:?}"));
            }
            let gz = log_dir.join(format!("0.log.{}.gz", stamps[0].0));
            let plain = log_dir.join(format!("0.log.{}", stamps[1].0));
            let (Ok(gz_text), Ok(plain_text)) = (read_rotated(&gz), read_rotated(&plain)) else {
                return Err(format!("rotated away while reading: {names:?}"));
            };
            let size = std::fs::metadata(&plain).map(|m| m.len()).unwrap_or(0);
            Ok((gz, gz_text, plain, plain_text, size))
        },
    )
    .await;
    let (gz, gz_text, plain, plain_text, plain_size) = newest_rotated;
    let gz_numbers = record_numbers(&gz, &gz_text);
    let plain_numbers = record_numbers(&plain, &plain_text);
    assert!(!gz_numbers.is_empty(), "{} is empty", gz.display());
    assert_consecutive(&gz.display().to_string(), &gz_numbers);
    assert_consecutive(&plain.display().to_string(), &plain_numbers);
    assert!(
        gz_numbers.last() < plain_numbers.first(),
        "the .gz is older: {} ends at {:?}, {} starts at {:?}",
        gz.display(),
        gz_numbers.last(),
        plain.display(),
        plain_numbers.first()
    );
    assert!(
        plain_size >= MAX_SIZE,
        "{} was rotated at {plain_size} bytes, below 64 KiB",
        plain.display()
    );
    let rotated_last = *plain_numbers.last().expect("lines in the rotated file");
    eprintln!(
        "logs: {} holds lines {:?}..{rotated_last} ({plain_size} bytes), {} {:?}..{:?}",
        plain.display(),
        plain_numbers.first(),
        gz.display(),
        gz_numbers.first(),
        gz_numbers.last()
    );

    // The container was never restarted for this.
    let pod_now = get_pod(cluster, &ns, "chatty").await;
    let main = container(&pod_now, "containerStatuses", "main");
    assert!(main["state"]["running"].is_object(), "{main}");
    assert_eq!(main["restartCount"], 0, "{main}");

    // --tail 5: the five newest lines, from the current file.
    let tail_numbers = newest_lines(cluster, &ns, 5, rotated_last).await;
    eprintln!("logs: --tail 5 printed {tail_numbers:?}");

    // The follower, started before these rotations, goes on into the new
    // file without a gap.
    let rotated_after_follow = listing(&log_dir)
        .iter()
        .filter_map(|n| rotated(n).map(|(stamp, _)| stamp.to_owned()))
        .filter(|stamp| !before_follow.contains(stamp))
        .count();
    assert!(
        rotated_after_follow > 0,
        "no rotation after kubectl logs -f started (before: {before_follow:?}, now {:?})",
        listing(&log_dir)
    );
    // Lines newer than this were written after that rotation.
    let newest = newest_lines(cluster, &ns, 1, rotated_last).await[0];
    let followed_numbers = wait_for_ok(
        Duration::from_secs(20),
        "kubectl logs -f to print lines of the log file written after the rotations",
        async || {
            let lines = followed.lock().expect("followed lines").clone();
            let numbers: Vec<u64> = lines
                .iter()
                .map(|l| number(l).unwrap_or_else(|| panic!("unexpected followed line {l:?}")))
                .collect();
            if numbers.last().is_some_and(|n| *n > newest) {
                Ok(numbers)
            } else {
                Err(format!(
                    "{} lines, last {:?}",
                    numbers.len(),
                    numbers.last()
                ))
            }
        },
    )
    .await;
    assert_consecutive("kubectl logs -f", &followed_numbers);
    eprintln!(
        "logs: kubectl logs -f printed lines {:?}..{:?} across the rotations: {:?}",
        followed_numbers.first(),
        followed_numbers.last(),
        test_started.elapsed()
    );
    drop(follower);
    reader.abort();

    // Deleting the pod removes its logs, rotated ones included.
    cluster
        .kubectl(&["delete", "pod", "chatty", "-n", &ns, "--timeout=60s"])
        .await
        .success();
    wait_all_forgotten(&run_dir).await;
    assert!(
        !pod_logs.exists(),
        "the pod's log directory {} is left: {:?}",
        pod_logs.display(),
        listing(&log_dir)
    );
    drop(node);
    drop(env);
    assert!(
        !run_dir.exists(),
        "run directory {} is left",
        run_dir.display()
    );
    eprintln!("logs: done in {:?}", test_started.elapsed());
}
