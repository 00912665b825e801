//! What the side-by-side benchmarks share (`pods --peer upstream`,
//! `cri-pods --peer kubelet`): the table of three sides and their ratios,
//! medians of rounds, a peer's node turning Ready, and CPU seconds from
//! `/proc`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;
use kube::Api;

use crate::stats::Samples;

/// One measured value per row of a table; `None` where a row does not apply.
pub(crate) type Figures<const ROWS: usize> = [Option<f64>; ROWS];

/// Create and delete timings of one side's workload.
pub(crate) struct Workload {
    pub create_total: Duration,
    pub create: Samples,
    pub delete_total: Duration,
    pub delete: Samples,
}

impl Workload {
    /// The rows every side-by-side table starts with: all created (s), p50
    /// and p99 per pod (ms), the same for the deletes; then `rest`, and
    /// `None` for any row after those.
    pub(crate) fn figures<const ROWS: usize>(&self, rest: &[Option<f64>]) -> Figures<ROWS> {
        let ms = |samples: &Samples, p| Some(samples.micros(p) / 1000.0);
        let times = [
            Some(self.create_total.as_secs_f64()),
            ms(&self.create, 50.0),
            ms(&self.create, 99.0),
            Some(self.delete_total.as_secs_f64()),
            ms(&self.delete, 50.0),
            ms(&self.delete, 99.0),
        ];
        let mut figures = [None; ROWS];
        for (row, value) in figures.iter_mut().zip(times.iter().chain(rest)) {
            *row = *value;
        }
        figures
    }
}

/// The three sides of a table: us, the peer, the floor.
pub(crate) struct Sides<'a> {
    /// Column headings, e.g. "vk-host + vk-mock-plugin".
    pub labels: [&'a str; 3],
    /// Short names in the ratio headings, e.g. "vk-host / upstream".
    pub short: [&'a str; 3],
}

/// Prints one markdown table: a row per `rows` with each side's value, then
/// us / peer, us / floor and peer / floor.
pub(crate) fn print_table<const ROWS: usize>(
    rows: &[&str; ROWS],
    sides: &Sides<'_>,
    figures: [&Figures<ROWS>; 3],
) {
    let [ours, peer, floor] = sides.labels;
    let [us, them, base] = sides.short;
    println!("| | {ours} | {peer} | {floor} | {us} / {them} | {us} / {base} | {them} / {base} |");
    println!("|---|---|---|---|---|---|---|");
    let cell = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), number);
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "—".to_owned(),
    };
    let [a, b, c] = figures;
    for (i, what) in rows.iter().enumerate() {
        println!(
            "| {what} | {} | {} | {} | {} | {} | {} |",
            cell(a[i]),
            cell(b[i]),
            cell(c[i]),
            ratio(a[i], b[i]),
            ratio(a[i], c[i]),
            ratio(b[i], c[i]),
        );
    }
}

/// Three significant-looking digits: 220, 8.18, 0.70.
pub(crate) fn number(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Waits up to 120 s for `node` to be Ready, failing early (with the last
/// lines of its log) if `child`, the peer serving it, exits. `who` names
/// the peer in errors ("the kubelet").
pub(crate) async fn wait_node_ready(
    client: &kube::Client,
    node: &str,
    child: &mut tokio::process::Child,
    log: &Path,
    who: &str,
) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!(
                "{who} exited ({status}) before its node {node} was Ready; last lines of {}:\n{}",
                log.display(),
                tail(log)
            );
        }
        let ready = nodes.get_opt(node).await?.is_some_and(|n| {
            n.status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        });
        if ready {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{who}'s node {node} not Ready within 120 s; last lines of {}:\n{}",
            log.display(),
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGTERM to the peer, then SIGKILL if it has not exited within 30 s.
pub(crate) async fn stop_peer(child: &mut tokio::process::Child, who: &str) {
    if let Some(pid) = child.id() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        eprintln!("vk-bench: {who} did not exit within 30 s of SIGTERM; killing it");
        let _ = child.kill().await;
    }
}

/// The last 20 lines of a log file (empty if it cannot be read).
pub(crate) fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// utime + stime + cutime + cstime of `pids`, in seconds.
pub(crate) fn cpu_seconds(pids: &[u32], clock_ticks: f64) -> anyhow::Result<f64> {
    let mut ticks = 0u64;
    for pid in pids {
        let path = format!("/proc/{pid}/stat");
        let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        // Fields after the command name (in parentheses): state is the
        // first; utime, stime, cutime, cstime are the 12th to 15th.
        let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        for field in fields
            .get(11..15)
            .with_context(|| format!("parsing {path}"))?
        {
            ticks += field
                .parse::<u64>()
                .with_context(|| format!("parsing {path}"))?;
        }
    }
    Ok(ticks as f64 / clock_ticks)
}

/// Clock ticks per second (`getconf CLK_TCK`), the unit of `/proc/PID/stat`.
pub(crate) fn clock_ticks() -> anyhow::Result<f64> {
    let output = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("running getconf CLK_TCK")?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .context("getconf CLK_TCK printed no number")
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// Each row's median over the rounds that measured it.
pub(crate) fn median_figures<const ROWS: usize>(rounds: &[Figures<ROWS>]) -> Figures<ROWS> {
    std::array::from_fn(|row| {
        let values: Vec<f64> = rounds.iter().filter_map(|figures| figures[row]).collect();
        median(values)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
    }

    #[test]
    fn medians_of_rounds_skip_rows_a_round_did_not_measure() {
        let rounds: [Figures<2>; 3] =
            [[Some(1.0), None], [Some(3.0), Some(5.0)], [Some(2.0), None]];
        assert_eq!(median_figures(&rounds), [Some(2.0), Some(5.0)]);
        assert_eq!(median_figures::<2>(&[]), [None, None]);
    }

    #[test]
    fn numbers() {
        assert_eq!(number(219.6), "220");
        assert_eq!(number(8.184), "8.18");
    }
}
