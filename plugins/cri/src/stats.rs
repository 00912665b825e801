//! Resource usage for `/stats/summary` and `/metrics/resource`: CRI
//! `ContainerStats` turned into the protocol's CPU and memory stats, CPU
//! rates from deltas of cumulative CPU time between calls (containerd 1.6
//! reports 0 nano-cores on a first sample), pod sums, and the node's usage
//! from `/proc/stat` and `/proc/meminfo`. Pure: the text of `/proc` files is
//! passed in.

use std::collections::HashMap;

use vk_plugin_sdk::proto::{CpuStats, MemoryStats};

/// Nanoseconds per `USER_HZ` tick of `/proc/stat` (USER_HZ is 100 on every
/// Linux architecture the plugin builds for).
const NANOS_PER_TICK: u64 = 10_000_000;

/// The key of the node's own CPU sample in [`CpuRates`].
pub const NODE_KEY: &str = "";

/// The previous cumulative CPU time per container id (and the node), so
/// each call reports the average rate since the one before (the kubelet's
/// CRI stats provider keeps the same cache).
#[derive(Debug, Default)]
pub struct CpuRates {
    last: HashMap<String, (i64, u64)>,
}

impl CpuRates {
    /// Records `core_nanos` at `at_nanos` for `key` and returns the usage in
    /// billionths of a core since its previous sample; `None` for a first
    /// sample, or when time did not advance or the counter went back (a
    /// new container instance under the same key).
    pub fn rate(&mut self, key: &str, at_nanos: i64, core_nanos: u64) -> Option<u64> {
        let previous = self.last.insert(key.to_owned(), (at_nanos, core_nanos));
        let (then, used_then) = previous?;
        let elapsed = u128::try_from(at_nanos.checked_sub(then)?)
            .ok()
            .filter(|e| *e > 0)?;
        let used = u128::from(core_nanos.checked_sub(used_then)?);
        u64::try_from(used * 1_000_000_000 / elapsed).ok()
    }

    /// Forgets every key `keep` refuses (containers that are gone).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.last.retain(|key, _| key == NODE_KEY || keep(key));
    }
}

/// The average rate of `core_nanos` used since `started_nanos`.
pub fn average_rate(core_nanos: u64, started_nanos: i64, at_nanos: i64) -> Option<u64> {
    let elapsed = u128::try_from(at_nanos.checked_sub(started_nanos)?)
        .ok()
        .filter(|e| *e > 0)?;
    u64::try_from(u128::from(core_nanos) * 1_000_000_000 / elapsed).ok()
}

/// One container's usage as CRI reported it. `None` fields were not
/// reported (containerd reports nothing for exited containers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerUsage {
    pub cpu_at: i64,
    pub core_nanos: Option<u64>,
    pub nano_cores: Option<u64>,
    pub memory_at: i64,
    pub working_set: Option<u64>,
    pub usage: Option<u64>,
    pub rss: Option<u64>,
    pub available: Option<u64>,
}

impl ContainerUsage {
    /// From CRI `ContainerStats`; times of 0 become `now_nanos`.
    pub fn from_cri(stats: &k8s_cri::v1::ContainerStats, now_nanos: i64) -> Self {
        let at = |t: i64| if t > 0 { t } else { now_nanos };
        let cpu = stats.cpu.as_ref();
        let memory = stats.memory.as_ref();
        Self {
            cpu_at: at(cpu.map_or(0, |c| c.timestamp)),
            core_nanos: cpu.and_then(|c| c.usage_core_nano_seconds.as_ref().map(|v| v.value)),
            nano_cores: cpu
                .and_then(|c| c.usage_nano_cores.as_ref().map(|v| v.value))
                .filter(|v| *v > 0),
            memory_at: at(memory.map_or(0, |m| m.timestamp)),
            working_set: memory.and_then(|m| m.working_set_bytes.as_ref().map(|v| v.value)),
            usage: memory.and_then(|m| m.usage_bytes.as_ref().map(|v| v.value)),
            rss: memory.and_then(|m| m.rss_bytes.as_ref().map(|v| v.value)),
            available: memory.and_then(|m| m.available_bytes.as_ref().map(|v| v.value)),
        }
    }

    /// Whether CRI reported anything (an exited container: nothing).
    pub fn is_empty(&self) -> bool {
        self.core_nanos.is_none() && self.working_set.is_none() && self.usage.is_none()
    }

    /// The sum of two containers; a field is known when either knows it.
    #[must_use]
    pub fn plus(self, other: Self) -> Self {
        fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.saturating_add(b)),
                (a, b) => a.or(b),
            }
        }
        Self {
            cpu_at: self.cpu_at.max(other.cpu_at),
            core_nanos: sum(self.core_nanos, other.core_nanos),
            nano_cores: sum(self.nano_cores, other.nano_cores),
            memory_at: self.memory_at.max(other.memory_at),
            working_set: sum(self.working_set, other.working_set),
            usage: sum(self.usage, other.usage),
            rss: sum(self.rss, other.rss),
            // A pod has no single limit to measure against.
            available: None,
        }
    }

    pub fn cpu(&self) -> CpuStats {
        CpuStats {
            timestamp_unix_nanos: self.cpu_at,
            usage_nano_cores: self.nano_cores,
            usage_core_nano_seconds: self.core_nanos,
        }
    }

    pub fn memory(&self) -> MemoryStats {
        MemoryStats {
            timestamp_unix_nanos: self.memory_at,
            usage_bytes: self.usage,
            working_set_bytes: self.working_set,
            rss_bytes: self.rss,
            available_bytes: self.available,
        }
    }
}

/// The node's cumulative busy CPU time in nanoseconds (user, nice, system,
/// irq, softirq and steal of the `cpu` line of `/proc/stat`).
pub fn node_cpu_nanos(proc_stat: &str) -> Option<u64> {
    let line = proc_stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    // user nice system idle iowait irq softirq steal ...
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|i| ticks.get(*i))
        .sum();
    busy.checked_mul(NANOS_PER_TICK)
}

/// When the node booted, Unix seconds (`btime` of `/proc/stat`).
pub fn node_boot_time(proc_stat: &str) -> Option<i64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The node's memory from `/proc/meminfo`, as the kubelet reports the root
/// cgroup: usage = total - free, working set = usage - inactive file pages,
/// available = total - working set.
pub fn node_memory(meminfo: &str, at_nanos: i64) -> Option<MemoryStats> {
    let field = |name: &str| -> Option<u64> {
        let line = meminfo
            .lines()
            .find(|l| l.split(':').next() == Some(name))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    };
    let total = field("MemTotal")?;
    let usage = total.saturating_sub(field("MemFree")?);
    let working_set = usage.saturating_sub(field("Inactive(file)").unwrap_or(0));
    Some(MemoryStats {
        timestamp_unix_nanos: at_nanos,
        usage_bytes: Some(usage),
        working_set_bytes: Some(working_set),
        rss_bytes: None,
        available_bytes: Some(total.saturating_sub(working_set)),
    })
}

#[cfg(test)]
mod tests {
    use k8s_cri::v1::{ContainerStats, CpuUsage, MemoryUsage, UInt64Value};

    use super::*;

    #[test]
    fn rates_come_from_deltas_between_samples() {
        let mut rates = CpuRates::default();
        assert_eq!(rates.rate("c", 1_000_000_000, 500), None, "first sample");
        // 0.25 s of CPU in 1 s: a quarter of a core.
        assert_eq!(
            rates.rate("c", 2_000_000_000, 250_000_500),
            Some(250_000_000)
        );
        assert_eq!(rates.rate("c", 2_000_000_000, 250_000_600), None, "no time");
        assert_eq!(rates.rate("c", 3_000_000_000, 10), None, "counter reset");
        assert_eq!(rates.rate("c", 4_000_000_000, 10), Some(0));
        rates.rate(NODE_KEY, 1, 1);
        rates.retain(|key| key != "c");
        assert_eq!(rates.rate("c", 5_000_000_000, 20), None, "forgotten");
        assert!(rates.last.contains_key(NODE_KEY), "the node is kept");
        assert_eq!(
            average_rate(500_000_000, 0, 2_000_000_000),
            Some(250_000_000)
        );
        assert_eq!(average_rate(5, 10, 10), None);
    }

    #[test]
    fn cri_stats_convert_and_sum() {
        let value = |value| Some(UInt64Value { value });
        let stats = ContainerStats {
            cpu: Some(CpuUsage {
                timestamp: 7,
                usage_core_nano_seconds: value(100),
                usage_nano_cores: value(0),
            }),
            memory: Some(MemoryUsage {
                timestamp: 0,
                working_set_bytes: value(4096),
                usage_bytes: value(8192),
                rss_bytes: value(1024),
                available_bytes: value(10),
                ..Default::default()
            }),
            ..Default::default()
        };
        let usage = ContainerUsage::from_cri(&stats, 99);
        assert_eq!(usage.cpu_at, 7);
        assert_eq!(usage.memory_at, 99, "0 means now");
        assert_eq!(usage.nano_cores, None, "containerd's 0 is not a rate");
        assert_eq!(usage.core_nanos, Some(100));
        assert!(!usage.is_empty());
        let sum = usage.plus(ContainerUsage {
            core_nanos: Some(1),
            working_set: Some(1),
            ..Default::default()
        });
        assert_eq!(sum.core_nanos, Some(101));
        assert_eq!(sum.working_set, Some(4097));
        assert_eq!(sum.usage, Some(8192));
        assert_eq!(sum.available, None);
        let memory = sum.memory();
        assert_eq!(memory.rss_bytes, Some(1024));
        assert!(ContainerUsage::from_cri(&ContainerStats::default(), 1).is_empty());
    }

    #[test]
    fn node_usage_from_proc() {
        let stat = "cpu  100 5 50 1000 7 3 2 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nbtime 1795000000\n";
        assert_eq!(node_cpu_nanos(stat), Some(161 * NANOS_PER_TICK));
        assert_eq!(node_boot_time(stat), Some(1_795_000_000));
        let meminfo = "MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nActive(file):    100 kB\nInactive(file):  300 kB\n";
        let memory = node_memory(meminfo, 5).expect("parsed");
        assert_eq!(memory.usage_bytes, Some(800 * 1024));
        assert_eq!(memory.working_set_bytes, Some(500 * 1024));
        assert_eq!(memory.available_bytes, Some(500 * 1024));
        assert_eq!(node_memory("", 5), None);
    }
}
