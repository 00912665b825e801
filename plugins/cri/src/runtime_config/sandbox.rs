//! `PodSandboxConfig` for a pod (`generatePodSandboxConfig`,
//! `generatePodSandboxLinuxConfig`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use k8s_cri::v1::{
    LinuxPodSandboxConfig, PodSandboxConfig, PodSandboxMetadata, PortMapping, Protocol,
};
use k8s_openapi::api::core::v1::Pod;

use super::BuildError;
use super::dns::{DnsSettings, pod_dns_config, pod_hostname};
use super::security::sandbox_security_context;
use crate::labels::{self, PodIdentity};
use crate::paths;

/// Node-level settings the sandbox configuration depends on.
#[derive(Debug, Clone, Copy)]
pub struct SandboxContext<'a> {
    /// Value of the managed-by label.
    pub instance_name: &'a str,
    pub pod_logs_dir: &'a Path,
    /// Pods get the cgroup parent `<cgroup_root>/pod<uid>`.
    pub cgroup_root: &'a str,
    pub dns: &'a DnsSettings,
}

/// The configuration of the pod's sandbox number `attempt` (0 for the
/// first, previous highest + 1 after that: containerd refuses to reuse a
/// name and attempt).
pub fn sandbox_config(
    pod: &Pod,
    attempt: u32,
    context: &SandboxContext<'_>,
) -> Result<PodSandboxConfig, BuildError> {
    let spec = pod.spec.as_ref().ok_or(BuildError::NoSpec)?;
    let identity = PodIdentity::of(pod);
    let sysctls: HashMap<String, String> = spec
        .security_context
        .as_ref()
        .and_then(|c| c.sysctls.as_ref())
        .into_iter()
        .flatten()
        .map(|s| (sysctl_with_dots(&s.name), s.value.clone()))
        .collect();
    Ok(PodSandboxConfig {
        metadata: Some(PodSandboxMetadata {
            name: identity.name.clone(),
            uid: identity.uid.clone(),
            namespace: identity.namespace.clone(),
            attempt,
        }),
        hostname: pod_hostname(pod, &context.dns.cluster_domain)?,
        log_directory: paths::pod_log_dir(context.pod_logs_dir, &identity)
            .display()
            .to_string(),
        dns_config: Some(pod_dns_config(pod, context.dns)),
        port_mappings: port_mappings(pod),
        labels: labels::sandbox_labels(pod, context.instance_name),
        annotations: labels::sandbox_annotations(pod),
        linux: Some(LinuxPodSandboxConfig {
            cgroup_parent: format!(
                "{}/pod{}",
                context.cgroup_root.trim_end_matches('/'),
                identity.uid
            ),
            security_context: Some(sandbox_security_context(pod)),
            sysctls,
            overhead: None,
            resources: None,
        }),
        windows: None,
    })
}

/// Every port of every regular container, once per name (or protocol,
/// host IP and port when unnamed), as `MakePortMappings` lists them.
/// containerd maps only those with a host port.
fn port_mappings(pod: &Pod) -> Vec<PortMapping> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let mut mappings = Vec::new();
    for container in &spec.containers {
        let mut names = HashSet::new();
        for port in container.ports.iter().flatten() {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let host_ip = port.host_ip.clone().unwrap_or_default();
            let name = port
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("{protocol}-{host_ip}:{}", port.container_port));
            if !names.insert(name) {
                continue;
            }
            mappings.push(PortMapping {
                protocol: match protocol {
                    "UDP" => Protocol::Udp,
                    "SCTP" => Protocol::Sctp,
                    _ => Protocol::Tcp,
                } as i32,
                container_port: port.container_port,
                host_port: port.host_port.unwrap_or(0),
                host_ip,
            });
        }
    }
    mappings
}

/// A sysctl name in the runtime's dotted form: names may be written with
/// `/` separators, in which case `.` and `/` trade places
/// (`net/ipv4/conf/eno2.100/rp_filter` → `net.ipv4.conf.eno2/100.rp_filter`).
fn sysctl_with_dots(name: &str) -> String {
    match name.find(['.', '/']) {
        Some(at) if name[at..].starts_with('/') => name
            .chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                other => other,
            })
            .collect(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime_config::dns::ResolvConf;
    use crate::test_pods::pod_from_json;
    use k8s_cri::v1::NamespaceMode;
    use serde_json::json;

    fn dns() -> DnsSettings {
        DnsSettings {
            cluster_dns: vec!["10.96.0.10".parse().expect("ip")],
            cluster_domain: "cluster.local".into(),
            host: ResolvConf::parse("nameserver 192.168.0.1\nsearch lan\n"),
        }
    }

    fn build(pod: &Pod, attempt: u32) -> PodSandboxConfig {
        let dns = dns();
        let context = SandboxContext {
            instance_name: "node-a",
            pod_logs_dir: Path::new("/var/log/pods"),
            cgroup_root: "/vk-cri",
            dns: &dns,
        };
        sandbox_config(pod, attempt, &context).expect("sandbox config")
    }

    fn web_pod(extra_spec: serde_json::Value) -> Pod {
        let mut spec = json!({
            "containers": [
                {"name": "app", "ports": [
                    {"containerPort": 8080, "hostPort": 80, "name": "http"},
                    {"containerPort": 8080, "hostPort": 81, "name": "http"},
                    {"containerPort": 53, "protocol": "UDP", "hostIP": "127.0.0.1"}
                ]},
                {"name": "side", "ports": [{"containerPort": 9090}]}
            ],
            "initContainers": [{"name": "init", "ports": [{"containerPort": 1}]}],
            "securityContext": {"sysctls": [
                {"name": "kernel.shm_rmid_forced", "value": "1"},
                {"name": "net/ipv4/conf/eno2.100/rp_filter", "value": "0"}
            ]}
        });
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra_spec.as_object()) {
            spec.extend(extra.clone());
        }
        pod_from_json(json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-1",
                         "labels": {"app": "web"}, "annotations": {"a": "b"}},
            "spec": spec
        }))
    }

    #[test]
    fn golden_pod_network_sandbox() {
        let config = build(&web_pod(json!({})), 2);
        let metadata = config.metadata.clone().expect("metadata");
        assert_eq!(
            (
                metadata.name.as_str(),
                metadata.namespace.as_str(),
                metadata.uid.as_str(),
                metadata.attempt
            ),
            ("web", "shop", "u-1", 2)
        );
        assert_eq!(config.hostname, "web");
        assert_eq!(config.log_directory, "/var/log/pods/shop_web_u-1");
        assert_eq!(config.labels["app"], "web");
        assert_eq!(config.labels[labels::POD_UID], "u-1");
        assert_eq!(config.labels[labels::MANAGED_BY], "node-a");
        assert_eq!(config.annotations["a"], "b");
        let dns = config.dns_config.expect("dns");
        assert_eq!(dns.servers, vec!["10.96.0.10".to_owned()]);
        assert_eq!(dns.searches[0], "shop.svc.cluster.local");

        let ports: Vec<(i32, i32, i32, &str)> = config
            .port_mappings
            .iter()
            .map(|p| {
                (
                    p.protocol,
                    p.container_port,
                    p.host_port,
                    p.host_ip.as_str(),
                )
            })
            .collect();
        let (tcp, udp) = (Protocol::Tcp as i32, Protocol::Udp as i32);
        assert_eq!(
            ports,
            vec![
                (tcp, 8080, 80, ""),
                (udp, 53, 0, "127.0.0.1"),
                (tcp, 9090, 0, "")
            ],
            "regular containers only; a repeated name once"
        );

        let linux = config.linux.expect("linux");
        assert_eq!(linux.cgroup_parent, "/vk-cri/podu-1");
        assert_eq!(linux.sysctls["kernel.shm_rmid_forced"], "1");
        assert_eq!(linux.sysctls["net.ipv4.conf.eno2/100.rp_filter"], "0");
        let namespaces = linux
            .security_context
            .and_then(|c| c.namespace_options)
            .expect("namespaces");
        assert_eq!(namespaces.network, NamespaceMode::Pod as i32);
    }

    #[test]
    fn golden_host_network_sandbox() {
        let config = build(
            &web_pod(json!({"hostNetwork": true, "hostname": "ignored"})),
            0,
        );
        assert_eq!(
            config.hostname, "",
            "containerd 1.6 refuses a hostname without a UTS namespace"
        );
        assert_eq!(
            config.dns_config.expect("dns").servers,
            vec!["192.168.0.1".to_owned()]
        );
        let namespaces = config
            .linux
            .and_then(|l| l.security_context)
            .and_then(|c| c.namespace_options)
            .expect("namespaces");
        assert_eq!(namespaces.network, NamespaceMode::Node as i32);
    }

    #[test]
    fn sysctl_names() {
        assert_eq!(sysctl_with_dots("kernel.msgmax"), "kernel.msgmax");
        assert_eq!(sysctl_with_dots("kernel/msgmax"), "kernel.msgmax");
        assert_eq!(
            sysctl_with_dots("net.ipv4.conf.eno2/100.rp_filter"),
            "net.ipv4.conf.eno2/100.rp_filter"
        );
    }

    #[test]
    fn a_pod_without_spec_is_refused() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}}));
        let dns = dns();
        let context = SandboxContext {
            instance_name: "a",
            pod_logs_dir: Path::new("/l"),
            cgroup_root: "/",
            dns: &dns,
        };
        assert_eq!(sandbox_config(&pod, 0, &context), Err(BuildError::NoSpec));
    }
}
