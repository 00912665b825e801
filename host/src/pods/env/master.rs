//! The master service variables (`KUBERNETES_SERVICE_HOST`,
//! `KUBERNETES_PORT_443_TCP`, ...) that the kubelet gives every container in
//! every namespace, even with `enableServiceLinks: false`: client-go's
//! `InClusterConfig` needs them beside the `kube-api-access` token. Built
//! from Service `default/kubernetes`, read at most every [`TTL`].

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Service;
use kube::Api;
use tokio::sync::Mutex;

/// How long one read of the Service serves.
pub const TTL: Duration = Duration::from_secs(10);

/// A short-lived cache of the master service's variables. Shared by every
/// resolution.
#[derive(Debug, Default)]
pub struct MasterService {
    cached: Mutex<Option<(Instant, Vars)>>,
}

/// Variables in order: (name, value).
type Vars = Vec<(String, String)>;

impl MasterService {
    /// The variables, in the kubelet's order; none when the Service does not
    /// exist or has no cluster IP. A failed read is an error (retried), as
    /// in the kubelet.
    pub async fn vars(&self, client: &kube::Client) -> Result<Vars, kube::Error> {
        let mut cached = self.cached.lock().await;
        if let Some((at, vars)) = cached.as_ref()
            && at.elapsed() < TTL
        {
            return Ok(vars.clone());
        }
        let service = Api::<Service>::namespaced(client.clone(), "default")
            .get_opt("kubernetes")
            .await?;
        let vars = service.as_ref().map(service_vars).unwrap_or_default();
        *cached = Some((Instant::now(), vars.clone()));
        Ok(vars)
    }
}

/// The kubelet's `envvars.FromServices` for one Service: `{NAME}_SERVICE_HOST`,
/// `{NAME}_SERVICE_PORT`, `{NAME}_SERVICE_PORT_{PORTNAME}` per named port, then
/// the Docker link variables `{NAME}_PORT` and per port
/// `{NAME}_PORT_{PORT}_{PROTO}` with `_PROTO`, `_PORT`, `_ADDR`.
pub fn service_vars(service: &Service) -> Vec<(String, String)> {
    let name = env_name(service.metadata.name.as_deref().unwrap_or_default());
    let Some(spec) = service.spec.as_ref() else {
        return Vec::new();
    };
    let ip = spec.cluster_ip.as_deref().unwrap_or_default();
    let ports = spec.ports.as_deref().unwrap_or_default();
    if ip.is_empty() || ip == "None" || ports.is_empty() {
        return Vec::new();
    }
    let mut vars = vec![
        (format!("{name}_SERVICE_HOST"), ip.to_owned()),
        (format!("{name}_SERVICE_PORT"), ports[0].port.to_string()),
    ];
    for port in ports {
        if let Some(port_name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            vars.push((
                format!("{name}_SERVICE_PORT_{}", env_name(port_name)),
                port.port.to_string(),
            ));
        }
    }
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_owned()
    };
    for (i, port) in ports.iter().enumerate() {
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        let lower = protocol.to_lowercase();
        let url = format!("{lower}://{host}:{}", port.port);
        if i == 0 {
            vars.push((format!("{name}_PORT"), url.clone()));
        }
        let prefix = format!("{name}_PORT_{}_{}", port.port, protocol.to_uppercase());
        vars.push((prefix.clone(), url));
        vars.extend([
            (format!("{prefix}_PROTO"), lower),
            (format!("{prefix}_PORT"), port.port.to_string()),
            (format!("{prefix}_ADDR"), ip.to_owned()),
        ]);
    }
    vars
}

fn env_name(name: &str) -> String {
    name.to_uppercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubernetes_service_gives_the_kubelets_variables() {
        let service: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "kubernetes", "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.1",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        }))
        .expect("service");
        let vars = service_vars(&service);
        let expected = [
            ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
            ("KUBERNETES_SERVICE_PORT", "443"),
            ("KUBERNETES_SERVICE_PORT_HTTPS", "443"),
            ("KUBERNETES_PORT", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP", "tcp://10.96.0.1:443"),
            ("KUBERNETES_PORT_443_TCP_PROTO", "tcp"),
            ("KUBERNETES_PORT_443_TCP_PORT", "443"),
            ("KUBERNETES_PORT_443_TCP_ADDR", "10.96.0.1"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(vars, expected);
    }

    #[test]
    fn headless_or_portless_services_give_nothing_and_ipv6_is_bracketed() {
        let make = |ip: &str| -> Service {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "kubernetes"},
                "spec": {"clusterIP": ip, "ports": [{"port": 443}]},
            }))
            .expect("service")
        };
        assert!(service_vars(&make("None")).is_empty());
        assert!(service_vars(&make("")).is_empty());
        let v6 = service_vars(&make("fd00::1"));
        assert!(
            v6.contains(&("KUBERNETES_PORT".into(), "tcp://[fd00::1]:443".into())),
            "{v6:?}"
        );
    }
}
