//! What vk-host knows about the machine it runs on, read once at start: the
//! defaults for whatever the plugin does not report (a plugin without
//! CAPABILITY_NODE_INFO, or one that leaves fields empty), as a kubelet on
//! this machine would report them.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use vk_proto::go_arch;

/// Facts about this machine; every field has a usable fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// Kubernetes' name of the OS (`linux`).
    pub operating_system: String,
    /// Kubernetes' (Go's) name of the architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// `uname -r`.
    pub kernel_version: String,
    /// `PRETTY_NAME` from `/etc/os-release`.
    pub os_image: String,
    pub machine_id: String,
    pub boot_id: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// `MemTotal` in bytes.
    pub memory_bytes: u64,
    /// The source address of this machine's default route; 127.0.0.1 when
    /// there is none.
    pub primary_ip: IpAddr,
}

impl HostFacts {
    /// Reads `/proc`, `/etc` and the routing table (no packet is sent).
    pub fn gather() -> Self {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .map(|text| text.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            operating_system: std::env::consts::OS.to_owned(),
            architecture: go_arch(std::env::consts::ARCH).to_owned(),
            kernel_version: read("/proc/sys/kernel/osrelease"),
            os_image: pretty_name(&read("/etc/os-release")).unwrap_or_else(|| "Unknown".into()),
            machine_id: read("/etc/machine-id"),
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory_bytes: mem_total(&read("/proc/meminfo")).unwrap_or(0),
            primary_ip: primary_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        }
    }
}

fn pretty_name(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|value| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// The local address the kernel would use towards the internet: connecting
/// a UDP socket only selects a route, it sends nothing.
pub(crate) fn primary_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_release_and_meminfo() {
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            pretty_name(os).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("NAME=x"), None);
        let meminfo = "MemTotal:       16318412 kB\nMemFree: 1 kB\n";
        assert_eq!(mem_total(meminfo), Some(16_318_412 * 1024));
        assert_eq!(mem_total(""), None);
    }
}
