//! The plugin's configuration file (TOML, `vk-host --plugin-config`): how to
//! reach the remote Kubernetes API (a kubeconfig, or a server URL with a
//! bearer token file), the remote namespace, and what the node reports.
//! Every key is documented in README.md.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use vk_plugin_sdk::config::PluginConfig;
use vk_plugin_sdk::{names, quantity};

/// The configuration file, as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// A kubeconfig for the remote cluster (exclusive with `server`).
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; its current context when unset.
    pub context: Option<String>,
    /// The remote API server URL (exclusive with `kubeconfig`).
    pub server: Option<String>,
    /// A file holding the bearer token (re-read by the client as it changes).
    pub token_file: Option<PathBuf>,
    /// PEM CA bundle that verifies `server`.
    pub certificate_authority: Option<PathBuf>,
    /// Do not verify `server`'s certificate (tests only).
    pub insecure_skip_tls_verify: bool,
    /// The remote namespace pods go to; it must exist.
    pub namespace: String,
    /// The local node name, to select this node's remote pods at start.
    pub node_name: Option<String>,
    /// The node's InternalIP as reported (vk-host's own otherwise).
    pub host_ip: Option<std::net::IpAddr>,
    /// Node capacity reported to the local cluster.
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    /// Labels added to every remote object.
    pub remote_labels: BTreeMap<String, String>,
    /// How long logs/exec/attach wait for a container that has not started.
    pub container_start_wait_seconds: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            server: None,
            token_file: None,
            certificate_authority: None,
            insecure_skip_tls_verify: false,
            namespace: String::new(),
            node_name: None,
            host_ip: None,
            cpu: "20".into(),
            memory: "100Gi".into(),
            pods: "110".into(),
            remote_labels: BTreeMap::new(),
            container_start_wait_seconds: 20,
        }
    }
}

impl PluginConfig for Config {
    const WHAT: &'static str = "cci plugin";

    fn validate(&self) -> Result<(), String> {
        if self.namespace.is_empty() {
            return Err(
                "namespace: must be set (the remote namespace the pods are created in)".into(),
            );
        }
        if !names::is_dns1123_label(&self.namespace) {
            return Err(format!(
                "namespace: {:?} is not a valid namespace name (DNS-1123 label)",
                self.namespace
            ));
        }
        match (&self.kubeconfig, &self.server) {
            (Some(_), Some(_)) => {
                return Err(
                    "kubeconfig and server: set one of them, not both (server goes with token_file)"
                        .into(),
                );
            }
            (None, None) => {
                return Err(
                    "kubeconfig or server: one must be set (how to reach the remote API)".into(),
                );
            }
            (Some(_), None) => {
                for (key, set) in [
                    ("token_file", self.token_file.is_some()),
                    (
                        "certificate_authority",
                        self.certificate_authority.is_some(),
                    ),
                    ("insecure_skip_tls_verify", self.insecure_skip_tls_verify),
                ] {
                    if set {
                        return Err(format!(
                            "{key}: only with server (the kubeconfig says how to authenticate)"
                        ));
                    }
                }
            }
            (None, Some(server)) => {
                if self.context.is_some() {
                    return Err("context: only with kubeconfig".into());
                }
                if !server.starts_with("https://") && !server.starts_with("http://") {
                    return Err(format!(
                        "server: {server:?} is not an http(s) URL (e.g. \"https://cci.example.com\")"
                    ));
                }
                if server.parse::<http::Uri>().is_err() {
                    return Err(format!("server: {server:?} is not a valid URL"));
                }
                if self.token_file.is_none() {
                    return Err("token_file: must be set with server (the bearer token)".into());
                }
                if self.certificate_authority.is_none() && !self.insecure_skip_tls_verify {
                    return Err("certificate_authority: must be set with server (or insecure_skip_tls_verify = true)".into());
                }
            }
        }
        for (key, value) in [
            ("cpu", &self.cpu),
            ("memory", &self.memory),
            ("pods", &self.pods),
        ] {
            if !quantity::is_quantity(value) {
                return Err(format!(
                    "{key}: {value:?} is not a Kubernetes quantity (e.g. \"20\", \"100Gi\")"
                ));
            }
        }
        for (key, value) in &self.remote_labels {
            names::check_qualified_name(key)
                .map_err(|e| format!("remote_labels: key {key:?}: {e}"))?;
            names::check_label_value(value)
                .map_err(|e| format!("remote_labels: {key}={value:?}: {e}"))?;
            if key.starts_with(crate::names::PREFIX) || key == crate::names::MANAGED_BY.0 {
                return Err(format!(
                    "remote_labels: {key:?} is reserved by the plugin (it selects its pods with it)"
                ));
            }
        }
        if let Some(node) = &self.node_name
            && !names::is_dns1123_subdomain(node)
        {
            return Err(format!("node_name: {node:?} is not a valid node name"));
        }
        Ok(())
    }
}

/// Why the remote client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("reading kubeconfig {path}")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("building the remote API client")]
    Client(#[source] kube::Error),
    #[error("certificate_authority {path}: {message}")]
    Ca { path: PathBuf, message: String },
}

/// The DER certificates of PEM `text` (`-----BEGIN CERTIFICATE-----` blocks).
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    let mut certificates = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line == "-----BEGIN CERTIFICATE-----" {
            block = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            let body = block.take().ok_or("END CERTIFICATE without BEGIN")?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|e| format!("a certificate is not valid base64: {e}"))?;
            certificates.push(der);
        } else if let Some(body) = &mut block {
            body.push_str(line);
        }
    }
    if block.is_some() {
        return Err("BEGIN CERTIFICATE without END".into());
    }
    if certificates.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".into());
    }
    Ok(certificates)
}

impl Config {
    /// The kube client configuration for the remote API.
    pub async fn client_config(&self) -> Result<kube::Config, ClientError> {
        let mut config = if let Some(path) = &self.kubeconfig {
            let kubeconfig = kube::config::Kubeconfig::read_from(path).map_err(|source| {
                ClientError::Kubeconfig {
                    path: path.clone(),
                    source,
                }
            })?;
            let options = kube::config::KubeConfigOptions {
                context: self.context.clone(),
                ..Default::default()
            };
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|source| ClientError::Kubeconfig {
                    path: path.clone(),
                    source,
                })?
        } else {
            // validate() checked the URL.
            let server = self.server.clone().unwrap_or_default();
            let uri = server
                .parse::<http::Uri>()
                .unwrap_or_else(|_| http::Uri::from_static("https://invalid"));
            let mut config = kube::Config::new(uri);
            config.auth_info.token_file = self
                .token_file
                .as_ref()
                .map(|path| path.display().to_string());
            if let Some(path) = &self.certificate_authority {
                let text = std::fs::read_to_string(path).map_err(|e| ClientError::Ca {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                let certificates = pem_certificates(&text).map_err(|message| ClientError::Ca {
                    path: path.clone(),
                    message,
                })?;
                config.root_cert = Some(certificates);
                // Re-read as it rotates.
                config.root_cert_file = Some(path.clone());
            }
            config.accept_invalid_certs = self.insecure_skip_tls_verify;
            config
        };
        config.default_namespace = self.namespace.clone();
        Ok(config)
    }

    /// A client of the remote API.
    pub async fn client(&self) -> Result<kube::Client, ClientError> {
        let config = self.client_config().await?;
        kube::Client::try_from(config).map_err(ClientError::Client)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use vk_plugin_sdk::config::from_toml;

    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        from_toml::<Config>(text, Path::new("cci.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_kubeconfig_and_a_namespace_are_enough() {
        let config = parse("kubeconfig = \"/k\"\nnamespace = \"burst\"\n").expect("valid");
        assert_eq!(config.namespace, "burst");
        assert_eq!(config.cpu, "20");
    }

    #[test]
    fn server_needs_a_token_file_and_a_ca() {
        let error = parse("server = \"https://x\"\nnamespace = \"n\"\n").expect_err("no token");
        assert!(error.contains("token_file: must be set"), "{error}");
        let error = parse("server = \"https://x\"\ntoken_file = \"/t\"\nnamespace = \"n\"\n")
            .expect_err("no ca");
        assert!(error.contains("certificate_authority"), "{error}");
        parse("server = \"https://x\"\ntoken_file = \"/t\"\ninsecure_skip_tls_verify = true\nnamespace = \"n\"\n")
            .expect("insecure is allowed");
    }

    #[test]
    fn pem_bundles_are_read() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nBA==\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_certificates(pem).expect("two certificates"),
            vec![vec![0, 1, 2, 3], vec![4]]
        );
        assert!(
            pem_certificates("hello")
                .expect_err("none")
                .contains("no PEM")
        );
        assert!(
            pem_certificates("-----BEGIN CERTIFICATE-----\nAA\n")
                .expect_err("unterminated")
                .contains("without END")
        );
    }

    #[test]
    fn errors_name_the_key() {
        let error = parse("kubeconfig = \"/k\"\n").expect_err("no namespace");
        assert!(error.contains("namespace: must be set"), "{error}");
        let error = parse("kubeconfig = \"/k\"\nnamespace = \"n\"\nnamspace = \"x\"\n")
            .expect_err("misspelt");
        assert!(error.contains("namspace"), "{error}");
        let error = parse("namespace = \"n\"\n").expect_err("no endpoint");
        assert!(error.contains("kubeconfig or server"), "{error}");
        let error = parse("kubeconfig = \"/k\"\nserver = \"https://x\"\nnamespace = \"n\"\n")
            .expect_err("both");
        assert!(error.contains("not both"), "{error}");
        let error =
            parse("kubeconfig = \"/k\"\nnamespace = \"n\"\nmemory = \"lots\"\n").expect_err("qty");
        assert!(error.contains("memory: \"lots\""), "{error}");
        let error = parse("kubeconfig = \"/k\"\nnamespace = \"N_S\"\n").expect_err("bad ns");
        assert!(error.contains("namespace: \"N_S\""), "{error}");
        let error = parse(
            "kubeconfig = \"/k\"\nnamespace = \"n\"\n[remote_labels]\n\"cci.vk-host.io/node\" = \"x\"\n",
        )
        .expect_err("reserved");
        assert!(error.contains("reserved"), "{error}");
    }
}
