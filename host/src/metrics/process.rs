//! The standard process families (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`, ...), unprefixed, with the names the Go
//! and Python Prometheus clients give them so existing dashboards work.
//! Read from `/proc/self` at scrape time by a [`Collector`]; the parsing is
//! pure functions over the files' text.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// What `/proc/self/stat` says, in its own units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// User and system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time after boot, in clock ticks.
    pub start_ticks: u64,
    pub virtual_bytes: u64,
    pub resident_pages: u64,
}

/// Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses
/// and may hold spaces and parentheses, so fields are counted after the
/// last `)`. Pure.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    // rest[0] is field 3 (state).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    Some(Stat {
        cpu_ticks: field(14)?.checked_add(field(15)?)?,
        start_ticks: field(22)?,
        virtual_bytes: field(23)?,
        resident_pages: field(24)?,
    })
}

/// The boot time (`btime`, seconds since the epoch) of `/proc/stat`. Pure.
pub fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The soft "Max open files" of `/proc/<pid>/limits`; `None` when
/// unlimited or absent. Pure.
pub fn parse_max_fds(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Reads `/proc/self` at every scrape.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// One sample of the process.
#[derive(Debug, Default)]
struct Sample {
    cpu_seconds: Option<f64>,
    start_time_seconds: Option<f64>,
    virtual_bytes: Option<u64>,
    resident_bytes: Option<u64>,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
}

fn sysconf(variable: nix::unistd::SysconfVar) -> Option<u64> {
    nix::unistd::sysconf(variable)
        .ok()
        .flatten()
        .and_then(|value| u64::try_from(value).ok())
        .filter(|value| *value > 0)
}

fn read_sample() -> Sample {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|text| parse_stat(&text));
    let ticks = sysconf(nix::unistd::SysconfVar::CLK_TCK);
    let page = sysconf(nix::unistd::SysconfVar::PAGE_SIZE);
    let boot = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|text| parse_boot_time(&text));
    Sample {
        cpu_seconds: stat
            .zip(ticks)
            .map(|(stat, ticks)| stat.cpu_ticks as f64 / ticks as f64),
        start_time_seconds: stat
            .zip(ticks)
            .zip(boot)
            .map(|((stat, ticks), boot)| boot as f64 + stat.start_ticks as f64 / ticks as f64),
        virtual_bytes: stat.map(|stat| stat.virtual_bytes),
        resident_bytes: stat
            .zip(page)
            .map(|(stat, page)| stat.resident_pages.saturating_mul(page)),
        open_fds: std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count() as u64),
        max_fds: std::fs::read_to_string("/proc/self/limits")
            .ok()
            .and_then(|text| parse_max_fds(&text)),
    }
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let sample = read_sample();
        if let Some(value) = sample.cpu_seconds {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(
                "process_cpu",
                "Total user and system CPU time spent in seconds",
                Some(&Unit::Seconds),
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        let gauges = [
            (
                "process_resident_memory",
                "Resident memory size in bytes",
                Some(Unit::Bytes),
                sample.resident_bytes.map(|v| v as f64),
            ),
            (
                "process_virtual_memory",
                "Virtual memory size in bytes",
                Some(Unit::Bytes),
                sample.virtual_bytes.map(|v| v as f64),
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                None,
                sample.open_fds.map(|v| v as f64),
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                None,
                sample.max_fds.map(|v| v as f64),
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch in seconds",
                Some(Unit::Seconds),
                sample.start_time_seconds,
            ),
        ];
        for (name, help, unit, value) in gauges {
            let Some(value) = value else { continue };
            let gauge = ConstGauge::new(value);
            let metric =
                encoder.encode_descriptor(name, help, unit.as_ref(), gauge.metric_type())?;
            gauge.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        // A command name with spaces and a parenthesis.
        let text = "4242 (vk host) x) S 1 4242 4242 0 -1 4194560 2000 0 0 0 \
                    150 50 0 0 20 0 12 0 987654 123456789 3000 18446744073709551615 \
                    1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        assert_eq!(
            parse_stat(text),
            Some(Stat {
                cpu_ticks: 200,
                start_ticks: 987654,
                virtual_bytes: 123456789,
                resident_pages: 3000,
            })
        );
        assert_eq!(parse_stat("4242 (short) S 1 2"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn boot_time_and_fd_limit_are_read() {
        let stat = "cpu  1 2 3 4\nintr 5\nbtime 1765000000\nprocesses 9\n";
        assert_eq!(parse_boot_time(stat), Some(1_765_000_000));
        assert_eq!(parse_boot_time("cpu 1\n"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_max_fds("Max open files unlimited unlimited files"),
            None
        );
    }

    #[test]
    fn this_process_is_described() {
        let sample = read_sample();
        assert!(
            sample.resident_bytes.is_some_and(|rss| rss > 0),
            "{sample:?}"
        );
        assert!(sample.open_fds.is_some_and(|fds| fds > 0), "{sample:?}");
        assert!(sample.cpu_seconds.is_some(), "{sample:?}");
        let start = sample.start_time_seconds.expect("a start time");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs_f64();
        assert!(start > 1e9 && start <= now + 1.0, "{start} vs {now}");
    }
}
