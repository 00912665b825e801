//! A pod's DNS: the sandbox's resolver configuration from `dnsPolicy` and
//! `dnsConfig` (the kubelet's `GetPodDNS`), and its hostname and domain
//! (`GeneratePodHostNameAndDomain`).

use std::net::IpAddr;

use k8s_cri::v1::DnsConfig;
use k8s_openapi::api::core::v1::Pod;

/// The kubelet's default `ndots` for cluster DNS.
const CLUSTER_NDOTS: &str = "ndots:5";
/// Longest hostname the kubelet gives a pod.
const MAX_HOSTNAME: usize = 63;

/// The node's resolver configuration (a resolv.conf).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvConf {
    pub servers: Vec<String>,
    pub searches: Vec<String>,
    pub options: Vec<String>,
}

impl ResolvConf {
    /// Reads resolv.conf text: `nameserver`, `search` and `domain` (the
    /// last of which wins, as in the C resolver) and `options`.
    pub fn parse(text: &str) -> Self {
        let mut conf = Self::default();
        for line in text.lines() {
            let line = line.split(['#', ';']).next().unwrap_or_default();
            let mut words = line.split_whitespace();
            match words.next() {
                Some("nameserver") => conf.servers.extend(words.next().map(str::to_owned)),
                Some("search" | "domain") => {
                    conf.searches = words.map(|w| w.trim_end_matches('.').to_owned()).collect();
                }
                Some("options") => conf.options.extend(words.map(str::to_owned)),
                _ => {}
            }
        }
        conf
    }
}

/// What the DNS policy of every pod is resolved against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DnsSettings {
    /// The cluster DNS servers; empty: `ClusterFirst` falls back to Default.
    pub cluster_dns: Vec<IpAddr>,
    pub cluster_domain: String,
    /// The node's resolv.conf.
    pub host: ResolvConf,
}

/// The sandbox DNS configuration for `pod`.
pub fn pod_dns_config(pod: &Pod, settings: &DnsSettings) -> DnsConfig {
    let spec = pod.spec.as_ref();
    let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
    let policy = spec
        .and_then(|s| s.dns_policy.as_deref())
        .unwrap_or("ClusterFirst");
    // `getPodDNSType`: ClusterFirst means the node's resolver for a
    // hostNetwork pod; ClusterFirstWithHostNet means the cluster's for any.
    let cluster = match policy {
        "None" => None,
        "Default" => Some(false),
        "ClusterFirstWithHostNet" => Some(true),
        _ => Some(!host_network),
    };
    let mut config = match cluster {
        None => DnsConfig::default(),
        Some(true) if !settings.cluster_dns.is_empty() => DnsConfig {
            servers: settings.cluster_dns.iter().map(IpAddr::to_string).collect(),
            searches: cluster_searches(pod, settings),
            options: vec![CLUSTER_NDOTS.to_owned()],
        },
        // No cluster DNS configured: the kubelet falls back to the node's.
        Some(_) => DnsConfig {
            servers: settings.host.servers.clone(),
            searches: settings.host.searches.clone(),
            options: settings.host.options.clone(),
        },
    };
    if let Some(extra) = spec.and_then(|s| s.dns_config.as_ref()) {
        append_unique(&mut config.servers, extra.nameservers.iter().flatten());
        append_unique(&mut config.searches, extra.searches.iter().flatten());
        for option in extra.options.iter().flatten() {
            let name = &option.name;
            let Some(name) = name.as_deref() else {
                continue;
            };
            let text = match option.value.as_deref() {
                Some(value) => format!("{name}:{value}"),
                None => name.to_owned(),
            };
            // A pod option replaces the option of the same name.
            config.options.retain(|o| o.split(':').next() != Some(name));
            config.options.push(text);
        }
    }
    config
}

/// `<ns>.svc.<domain>`, `svc.<domain>`, `<domain>`, then the node's searches.
fn cluster_searches(pod: &Pod, settings: &DnsSettings) -> Vec<String> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
    let domain = &settings.cluster_domain;
    let mut searches = vec![
        format!("{namespace}.svc.{domain}"),
        format!("svc.{domain}"),
        domain.clone(),
    ];
    append_unique(&mut searches, settings.host.searches.iter());
    searches
}

fn append_unique<'a>(list: &mut Vec<String>, more: impl Iterator<Item = &'a String>) {
    for item in more {
        if !list.contains(item) {
            list.push(item.clone());
        }
    }
}

/// Why a pod's hostname cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "pod hostname {fqdn:?} is {} characters, longer than 64, so setHostnameAsFQDN cannot be used",
    fqdn.len()
)]
pub struct FqdnTooLong {
    pub fqdn: String,
}

/// The sandbox hostname: `spec.hostname` or the pod name, at most 63
/// characters without a trailing `-` or `.`; the FQDN with
/// `setHostnameAsFQDN` and a subdomain. Empty for hostNetwork pods (the
/// node's name applies; containerd 1.6 refuses a hostname without a private
/// UTS namespace).
pub fn pod_hostname(pod: &Pod, cluster_domain: &str) -> Result<String, FqdnTooLong> {
    let Some(spec) = pod.spec.as_ref() else {
        return Ok(String::new());
    };
    if spec.host_network.unwrap_or(false) {
        return Ok(String::new());
    }
    let name = spec
        .hostname
        .as_deref()
        .filter(|h| !h.is_empty())
        .or(pod.metadata.name.as_deref())
        .unwrap_or_default();
    let hostname = if name.len() > MAX_HOSTNAME {
        // Pod names and hostnames are DNS names, so ASCII; `get` keeps any
        // other text whole rather than splitting a character.
        name.get(..MAX_HOSTNAME)
            .unwrap_or(name)
            .trim_end_matches(['-', '.'])
    } else {
        name
    };
    let domain = spec
        .subdomain
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|sub| {
            let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
            format!("{sub}.{namespace}.svc.{cluster_domain}")
        });
    match domain {
        Some(domain) if spec.set_hostname_as_fqdn.unwrap_or(false) => {
            let fqdn = format!("{hostname}.{domain}");
            if fqdn.len() > 64 {
                return Err(FqdnTooLong { fqdn });
            }
            Ok(fqdn)
        }
        _ => Ok(hostname.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    fn settings() -> DnsSettings {
        DnsSettings {
            cluster_dns: vec!["10.96.0.10".parse().expect("ip")],
            cluster_domain: "cluster.local".into(),
            host: ResolvConf::parse(
                "# node\nnameserver 192.168.0.1\nnameserver 192.168.0.2 # two\nsearch lan. corp\noptions edns0 ndots:2\n",
            ),
        }
    }

    fn pod(spec: serde_json::Value) -> Pod {
        let mut spec = spec;
        spec["containers"] = json!([{"name": "app"}]);
        pod_from_json(json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": spec}))
    }

    fn dns(
        spec: serde_json::Value,
        settings: &DnsSettings,
    ) -> (Vec<String>, Vec<String>, Vec<String>) {
        let config = pod_dns_config(&pod(spec), settings);
        (config.servers, config.searches, config.options)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn resolv_conf() {
        let conf = settings().host;
        assert_eq!(conf.servers, strings(&["192.168.0.1", "192.168.0.2"]));
        assert_eq!(conf.searches, strings(&["lan", "corp"]));
        assert_eq!(conf.options, strings(&["edns0", "ndots:2"]));
        assert_eq!(
            ResolvConf::parse("search a\ndomain b\n").searches,
            strings(&["b"])
        );
    }

    #[test]
    fn cluster_first_uses_cluster_dns_and_node_searches() {
        let (servers, searches, options) = dns(json!({}), &settings());
        assert_eq!(servers, strings(&["10.96.0.10"]));
        assert_eq!(
            searches,
            strings(&[
                "shop.svc.cluster.local",
                "svc.cluster.local",
                "cluster.local",
                "lan",
                "corp"
            ])
        );
        assert_eq!(options, strings(&["ndots:5"]));
    }

    #[test]
    fn default_and_host_network_use_the_nodes_resolver() {
        let node = (
            strings(&["192.168.0.1", "192.168.0.2"]),
            strings(&["lan", "corp"]),
            strings(&["edns0", "ndots:2"]),
        );
        assert_eq!(dns(json!({"dnsPolicy": "Default"}), &settings()), node);
        assert_eq!(dns(json!({"hostNetwork": true}), &settings()), node);
        let with_host_net = dns(
            json!({"hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet"}),
            &settings(),
        );
        assert_eq!(with_host_net.0, strings(&["10.96.0.10"]));
        let no_cluster_dns = DnsSettings {
            cluster_dns: Vec::new(),
            ..settings()
        };
        assert_eq!(dns(json!({}), &no_cluster_dns), node);
    }

    #[test]
    fn none_takes_dns_config_only_and_options_override_by_name() {
        let spec = json!({
            "dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["x"], "options": [{"name": "ndots", "value": "1"}, {"name": "rotate"}]}
        });
        assert_eq!(
            dns(spec, &settings()),
            (
                strings(&["1.1.1.1"]),
                strings(&["x"]),
                strings(&["ndots:1", "rotate"])
            )
        );
        let spec = json!({"dnsConfig": {"nameservers": ["10.96.0.10", "1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]}});
        let (servers, _, options) = dns(spec, &settings());
        assert_eq!(servers, strings(&["10.96.0.10", "1.1.1.1"]));
        assert_eq!(options, strings(&["ndots:2"]));
    }

    #[test]
    fn hostnames() {
        let hostname = |spec| pod_hostname(&pod(spec), "cluster.local");
        assert_eq!(hostname(json!({})), Ok("web".into()));
        assert_eq!(hostname(json!({"hostname": "db-0"})), Ok("db-0".into()));
        assert_eq!(
            hostname(json!({"hostNetwork": true, "hostname": "x"})),
            Ok(String::new())
        );
        assert_eq!(
            hostname(json!({"hostname": "db-0", "subdomain": "db"})),
            Ok("db-0".into())
        );
        assert_eq!(
            hostname(json!({"hostname": "db-0", "subdomain": "db", "setHostnameAsFQDN": true})),
            Ok("db-0.db.shop.svc.cluster.local".into())
        );
        let long = format!("{}-.tail", "a".repeat(61));
        assert_eq!(hostname(json!({"hostname": long})), Ok("a".repeat(61)));
        let too_long = hostname(
            json!({"hostname": "h".repeat(40), "subdomain": "db", "setHostnameAsFQDN": true}),
        );
        assert!(too_long.is_err(), "{too_long:?}");
    }
}
