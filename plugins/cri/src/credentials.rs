//! Registry credentials from a pod's `imagePullSecrets`, found as the
//! kubelet's keyring finds them (`pkg/credentialprovider/keyring.go` and
//! `config.go`): every registry key of every secret is made schemeless
//! (`/v1/` and `/v2/` count as the bare host), the keys are tried from the
//! most specific down (reverse lexical order), and a key matches an image
//! when the host matches label by label (with `*` globs), the port is the
//! same and the key's path is a prefix of the image's. Docker Hub images
//! also use the credentials of `index.docker.io`. Pure: the provider
//! fetches the secrets through the host and does the pulls.

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_cri::v1::AuthConfig;

/// The secret type whose `.dockerconfigjson` holds `{"auths": {...}}`.
pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";
/// The legacy type whose `.dockercfg` holds the registry map itself.
pub const DOCKER_CFG: &str = "kubernetes.io/dockercfg";

/// The host whose credentials also serve Docker Hub images.
const DEFAULT_REGISTRY_HOST: &str = "index.docker.io";

/// Credentials by registry key, tried most specific first.
#[derive(Debug, Default)]
pub struct Keyring {
    entries: Vec<(String, AuthConfig)>,
}

/// One registry entry of a docker config.
#[derive(Debug, serde::Deserialize)]
struct ConfigEntry {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    auth: String,
    #[serde(default)]
    identitytoken: String,
    #[serde(default)]
    registrytoken: String,
}

#[derive(Debug, serde::Deserialize)]
struct DockerConfigJson {
    auths: BTreeMap<String, ConfigEntry>,
}

impl Keyring {
    /// Adds the registries of Secret `name` (of `type_`, with `data`).
    /// Err says what is wrong with it; the kubelet skips such a secret.
    pub fn add_secret(
        &mut self,
        name: &str,
        type_: &str,
        data: &BTreeMap<String, impl AsRef<[u8]>>,
    ) -> Result<(), String> {
        let registries = match type_ {
            DOCKER_CONFIG_JSON => {
                let raw = data.get(".dockerconfigjson").ok_or_else(|| {
                    format!("secret {name} of type {type_} has no .dockerconfigjson key")
                })?;
                serde_json::from_slice::<DockerConfigJson>(raw.as_ref())
                    .map_err(|error| {
                        format!("secret {name}: .dockerconfigjson: {}", shape(&error))
                    })?
                    .auths
            }
            DOCKER_CFG => {
                let raw = data.get(".dockercfg").ok_or_else(|| {
                    format!("secret {name} of type {type_} has no .dockercfg key")
                })?;
                serde_json::from_slice(raw.as_ref())
                    .map_err(|error| format!("secret {name}: .dockercfg: {}", shape(&error)))?
            }
            other => {
                return Err(format!(
                    "secret {name} is of type {other:?}, not {DOCKER_CONFIG_JSON} or {DOCKER_CFG}"
                ));
            }
        };
        for (registry, entry) in registries {
            let auth = auth_config(entry)
                .map_err(|error| format!("secret {name}: registry {registry}: {error}"))?;
            self.entries.push((key(&registry), auth));
        }
        // Most specific first; equal keys keep the secrets' order.
        self.entries.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(())
    }

    /// The credentials to try for `image`, most specific first; empty when
    /// none match (the image is then pulled without credentials).
    pub fn lookup(&self, image: &str) -> Vec<AuthConfig> {
        let image = without_scheme(image);
        let found: Vec<AuthConfig> = self
            .entries
            .iter()
            .filter(|(key, _)| matches(key, image))
            .map(|(_, auth)| auth.clone())
            .collect();
        if !found.is_empty() || !is_docker_hub(image) {
            return found;
        }
        self.entries
            .iter()
            .filter(|(key, _)| key == DEFAULT_REGISTRY_HOST)
            .map(|(_, auth)| auth.clone())
            .collect()
    }
}

/// The CRI credentials of one entry. `server_address` stays empty as the
/// kubelet leaves it: containerd would compare it, parsed as a URL, with
/// the registry host, and a schemeless `host:port` key does not parse.
fn auth_config(entry: ConfigEntry) -> Result<AuthConfig, String> {
    let (mut username, mut password) = (entry.username, entry.password);
    if !entry.auth.is_empty() {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(entry.auth.trim())
            .map_err(|_| "auth is not base64".to_owned())?;
        let decoded =
            String::from_utf8(decoded).map_err(|_| "auth is not UTF-8 text".to_owned())?;
        let (user, pass) = decoded
            .split_once(':')
            .ok_or_else(|| "auth is not username:password".to_owned())?;
        (username, password) = (user.to_owned(), pass.to_owned());
    }
    Ok(AuthConfig {
        username,
        password,
        auth: String::new(),
        server_address: String::new(),
        identity_token: entry.identitytoken,
        registry_token: entry.registrytoken,
    })
}

/// Where and what kind of JSON error, without serde's excerpt of the
/// input (which may be a password): the messages reach logs and Events.
fn shape(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not valid JSON",
        serde_json::error::Category::Data => "not a docker config",
        serde_json::error::Category::Io => "unreadable",
    };
    format!("{kind} (line {}, column {})", error.line(), error.column())
}

fn without_scheme(text: &str) -> &str {
    text.strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text)
}

/// The keyring key of a registry entry: host[:port] and any path, without
/// scheme, with `/v1/` or `/v2/` as the bare host.
fn key(registry: &str) -> String {
    let rest = without_scheme(registry.trim());
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path
        .strip_prefix("v1/")
        .or_else(|| path.strip_prefix("v2/"))
        .or_else(|| (path == "v1" || path == "v2").then_some(""))
        .unwrap_or(path)
        .trim_end_matches('/');
    let host = host.to_ascii_lowercase();
    if path.is_empty() {
        host
    } else {
        format!("{host}/{path}")
    }
}

/// Whether key `glob` (schemeless) matches `image` (schemeless).
fn matches(glob: &str, image: &str) -> bool {
    let (glob_host, glob_path) = glob.split_once('/').unwrap_or((glob, ""));
    let (image_host, image_path) = image.split_once('/').unwrap_or((image, ""));
    let (glob_name, glob_port) = split_port(glob_host);
    let (image_name, image_port) = split_port(image_host);
    if glob_port != image_port {
        return false;
    }
    let glob_labels: Vec<&str> = glob_name.split('.').collect();
    let image_labels: Vec<&str> = image_name.split('.').collect();
    glob_labels.len() == image_labels.len()
        && glob_labels
            .iter()
            .zip(&image_labels)
            .all(|(glob, label)| label_matches(glob, &label.to_ascii_lowercase()))
        && image_path.starts_with(glob_path)
}

fn split_port(host: &str) -> (&str, &str) {
    host.rsplit_once(':').unwrap_or((host, ""))
}

/// One host label against a glob label: `*` matches any run of
/// characters, `?` any one (as Go's `filepath.Match` within a label).
fn label_matches(glob: &str, label: &str) -> bool {
    fn go(glob: &[u8], label: &[u8]) -> bool {
        match glob.split_first() {
            None => label.is_empty(),
            Some((b'*', rest)) => (0..=label.len()).any(|skip| go(rest, &label[skip..])),
            Some((b'?', rest)) => !label.is_empty() && go(rest, &label[1..]),
            Some((c, rest)) => label.first() == Some(c) && go(rest, &label[1..]),
        }
    }
    go(glob.as_bytes(), label.as_bytes())
}

/// Whether `image` is on Docker Hub: `docker.io/...`, or a first component
/// that is not a host (no `.` or `:`), or a single component.
fn is_docker_hub(image: &str) -> bool {
    match image.split_once('/') {
        None => true,
        Some(("docker.io", _)) => true,
        Some((first, _)) => !first.contains(['.', ':']) && first != "localhost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(json: &str) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([(".dockerconfigjson".to_owned(), json.as_bytes().to_vec())])
    }

    fn users(auths: &[AuthConfig]) -> Vec<&str> {
        auths.iter().map(|a| a.username.as_str()).collect()
    }

    #[test]
    fn auth_is_decoded_and_the_most_specific_key_comes_first() {
        let mut keyring = Keyring::default();
        // "a:b" and "c:d" in base64.
        keyring
            .add_secret(
                "pull",
                DOCKER_CONFIG_JSON,
                &secret(
                    r#"{"auths": {
                        "https://registry.example.com/v2/": {"auth": "YTpi"},
                        "registry.example.com/team": {"auth": "Yzpk"},
                        "127.0.0.1:5000": {"username": "u", "password": "p"}
                    }}"#,
                ),
            )
            .expect("a valid secret");
        let found = keyring.lookup("registry.example.com/team/app:1");
        assert_eq!(users(&found), ["c", "a"]);
        assert_eq!(found[0].password, "d");
        assert_eq!(
            users(&keyring.lookup("registry.example.com/other:1")),
            ["a"]
        );
        assert_eq!(
            users(&keyring.lookup("127.0.0.1:5000/vk-test/busybox:1")),
            ["u"]
        );
        assert!(
            keyring
                .lookup("127.0.0.1:5001/vk-test/busybox:1")
                .is_empty()
        );
        assert!(keyring.lookup("busybox").is_empty());
    }

    #[test]
    fn globs_match_one_label_and_docker_hub_uses_index_docker_io() {
        let mut keyring = Keyring::default();
        keyring
            .add_secret(
                "legacy",
                DOCKER_CFG,
                &BTreeMap::from([(
                    ".dockercfg".to_owned(),
                    br#"{"*.example.com": {"username": "glob"},
                         "https://index.docker.io/v1/": {"username": "hub"}}"#
                        .to_vec(),
                )]),
            )
            .expect("a valid secret");
        assert_eq!(users(&keyring.lookup("eu.example.com/app")), ["glob"]);
        assert!(keyring.lookup("a.eu.example.com/app").is_empty());
        assert_eq!(users(&keyring.lookup("busybox:1")), ["hub"]);
        assert_eq!(users(&keyring.lookup("docker.io/library/busybox")), ["hub"]);
        assert!(keyring.lookup("localhost/vk-test/busybox:1").is_empty());
    }

    #[test]
    fn bad_secrets_say_what_is_wrong() {
        let mut keyring = Keyring::default();
        let opaque = keyring
            .add_secret("s", "Opaque", &BTreeMap::<String, Vec<u8>>::new())
            .expect_err("wrong type");
        assert!(opaque.contains("\"Opaque\""), "{opaque}");
        let missing = keyring
            .add_secret("s", DOCKER_CONFIG_JSON, &BTreeMap::<String, Vec<u8>>::new())
            .expect_err("no key");
        assert!(missing.contains(".dockerconfigjson"), "{missing}");
        let bad_auth = keyring
            .add_secret(
                "s",
                DOCKER_CONFIG_JSON,
                &secret(r#"{"auths": {"r.io": {"auth": "!!"}}}"#),
            )
            .expect_err("bad base64");
        assert!(
            bad_auth.contains("registry r.io: auth is not base64"),
            "{bad_auth}"
        );
        let leaky = keyring
            .add_secret(
                "s",
                DOCKER_CONFIG_JSON,
                &secret(r#"{"auths": {"r.io": "hunter2-password"}}"#),
            )
            .expect_err("a string entry");
        assert!(
            !leaky.contains("hunter2") && leaky.contains("not a docker config"),
            "{leaky}"
        );
    }
}
