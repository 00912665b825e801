//! The pure part of env resolution: from a pod and the objects fetched for
//! it, the pod as the plugin receives it (every container's `env` final,
//! `envFrom` empty, `command`/`args` expanded), or the first missing object
//! or key with the kubelet's message, or that the environment is larger
//! than [`MAX_ENV_BYTES`] (checked while it is built, so a pod that asks for
//! gigabytes costs the host no more than the limit).

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, EnvFromSource, EnvVar, Pod, PodSpec};

use super::expand::{TooLong, expand_within};
use super::fields::{self, FieldValue};
use super::resources;
use super::sources::{ObjectData, Sources};

/// The most a pod's resolved environment may take: every container's
/// variables (names and values), command and args once `$(VAR)` references
/// are expanded, counted as they are encoded in the pod's JSON. Half the
/// protocol's message limit: the other half is room for the rest of the pod
/// (the API server keeps a pod object under 3 MiB), so a pod within it
/// always fits in CreatePod. Linux itself runs no process with more than
/// a few MiB of environment and arguments (`ARG_MAX`).
pub const MAX_ENV_BYTES: usize = vk_proto::DEFAULT_MAX_MESSAGE_BYTES / 2;

/// What one variable costs in the pod's JSON besides its name and value
/// (`{"name":"","value":""},`).
const ENTRY_BYTES: usize = 24;

/// The message of a pod whose environment passes [`MAX_ENV_BYTES`].
fn too_large() -> String {
    format!(
        "the pod's environment is too large: its containers' env, command and args would take more than {} MiB once $(VAR) references are expanded (vk-host's limit, half the plugin protocol's message limit); reference fewer or smaller variables",
        MAX_ENV_BYTES / (1024 * 1024)
    )
}

/// Bytes `text` takes as a JSON string (serde_json's escapes), quotes
/// excluded.
fn json_len(text: &str) -> usize {
    let escapes: usize = text
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    text.len() + escapes
}

/// What `var` costs in the pod's JSON.
fn entry_bytes(var: &EnvVar) -> usize {
    let value = match (&var.value, &var.value_from) {
        (Some(value), _) => json_len(value),
        // A `fieldRef` kept until the pod has an IP: its path and keys.
        (None, Some(_)) => 64,
        (None, None) => 0,
    };
    ENTRY_BYTES + json_len(&var.name) + value
}

/// A pod with its environment resolved. Its `Debug` names the pod only:
/// the env holds values read from Secrets.
#[derive(Clone)]
pub struct Resolved {
    pub pod: Pod,
    /// Some env entry waits for the pod's IP (kept as `fieldRef`).
    pub awaits_pod_ip: bool,
    /// envFrom keys skipped as invalid names: the kubelet's event messages.
    pub skipped_keys: Vec<String>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meta = &self.pod.metadata;
        f.debug_struct("Resolved")
            .field("namespace", &meta.namespace)
            .field("name", &meta.name)
            .field("uid", &meta.uid)
            .field("env", &"<redacted>")
            .field("awaits_pod_ip", &self.awaits_pod_ip)
            .field("skipped_keys", &self.skipped_keys)
            .finish()
    }
}

/// Why a container cannot be configured (the kubelet's
/// CreateContainerConfigError).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    pub container: String,
    pub message: String,
}

/// Resolves every container's environment of `pod` from `sources`.
pub fn build(pod: &Pod, sources: &Sources) -> Result<Resolved, ConfigError> {
    let mut out = pod.clone();
    let mut awaits_pod_ip = false;
    let mut skipped_keys = Vec::new();
    // What is left of MAX_ENV_BYTES for the containers still to resolve.
    let mut left = MAX_ENV_BYTES;
    let empty = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&empty);
    let host_ips = host_ips(pod, sources);
    let context = Context {
        pod,
        spec,
        sources,
        host_ips: &host_ips,
    };
    if let Some(out_spec) = out.spec.as_mut() {
        for container in out_spec
            .init_containers
            .iter_mut()
            .flatten()
            .chain(out_spec.containers.iter_mut())
        {
            let env = context.environment(
                &container.name,
                container,
                container.env.as_deref().unwrap_or(&[]),
                container.env_from.as_deref().unwrap_or(&[]),
                &mut skipped_keys,
                left,
            )?;
            awaits_pod_ip |= env.awaits_pod_ip;
            let mut used = env.size;
            let refuse = |TooLong| config_error(&container.name, too_large());
            let command = env.expand_all(container.command.take(), &mut used);
            container.command = command.map_err(refuse)?;
            let args = env.expand_all(container.args.take(), &mut used);
            container.args = args.map_err(refuse)?;
            left -= used;
            container.env = env.into_vars(container.env.is_some());
            container.env_from = None;
        }
        for container in out_spec.ephemeral_containers.iter_mut().flatten() {
            // Resources of an ephemeral container: none; use an empty one.
            let shape = Container {
                name: container.name.clone(),
                ..Container::default()
            };
            let env = context.environment(
                &container.name,
                &shape,
                container.env.as_deref().unwrap_or(&[]),
                container.env_from.as_deref().unwrap_or(&[]),
                &mut skipped_keys,
                left,
            )?;
            awaits_pod_ip |= env.awaits_pod_ip;
            let mut used = env.size;
            let refuse = |TooLong| config_error(&container.name, too_large());
            let command = env.expand_all(container.command.take(), &mut used);
            container.command = command.map_err(refuse)?;
            let args = env.expand_all(container.args.take(), &mut used);
            container.args = args.map_err(refuse)?;
            left -= used;
            container.env = env.into_vars(container.env.is_some());
            container.env_from = None;
        }
    }
    Ok(Resolved {
        pod: out,
        awaits_pod_ip,
        skipped_keys,
    })
}

fn config_error(container: &str, message: String) -> ConfigError {
    ConfigError {
        container: container.to_owned(),
        message,
    }
}

/// The node addresses `status.hostIP(s)` resolve to: the pod's own once
/// reported, else the Node's InternalIPs.
fn host_ips(pod: &Pod, sources: &Sources) -> Vec<String> {
    let status = pod.status.as_ref();
    let listed: Vec<String> = status
        .and_then(|s| s.host_ips.as_ref())
        .into_iter()
        .flatten()
        .map(|ip| ip.ip.clone())
        .filter(|ip| !ip.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    match status
        .and_then(|s| s.host_ip.clone())
        .filter(|ip| !ip.is_empty())
    {
        Some(ip) => vec![ip],
        None => sources.node_ips.clone(),
    }
}

struct Context<'a> {
    pod: &'a Pod,
    spec: &'a PodSpec,
    sources: &'a Sources,
    host_ips: &'a [String],
}

/// One container's variables in kubelet order: a later definition replaces
/// the value and keeps the first position.
#[derive(Default)]
struct Environment<'a> {
    vars: Vec<EnvVar>,
    index: HashMap<String, usize>,
    awaits_pod_ip: bool,
    /// What `vars` take in the pod's JSON ([`entry_bytes`])...
    size: usize,
    /// ...which may not pass this (what is left of [`MAX_ENV_BYTES`]).
    limit: usize,
    /// The master service variables: referable in `$(...)`, and appended
    /// unless the container defines the name itself (the kubelet's order
    /// and precedence).
    service: &'a [(String, String)],
}

impl Environment<'_> {
    fn set(&mut self, var: EnvVar) -> Result<(), TooLong> {
        let replaced = self
            .index
            .get(&var.name)
            .map(|&at| entry_bytes(&self.vars[at]));
        let size = self.size - replaced.unwrap_or(0) + entry_bytes(&var);
        if size > self.limit {
            return Err(TooLong);
        }
        self.size = size;
        match self.index.get(&var.name) {
            Some(&at) => self.vars[at] = var,
            None => {
                self.index.insert(var.name.clone(), self.vars.len());
                self.vars.push(var);
            }
        }
        Ok(())
    }

    fn literal(&mut self, name: &str, value: String) -> Result<(), TooLong> {
        self.set(EnvVar {
            name: name.to_owned(),
            value: Some(value),
            value_from: None,
        })
    }

    /// How long the value of `name` may be (its current one is replaced).
    fn room_for(&self, name: &str) -> usize {
        let replaced = self.index.get(name).map(|&at| entry_bytes(&self.vars[at]));
        (self.limit + replaced.unwrap_or(0)).saturating_sub(self.size)
    }

    /// The value of a defined, resolved variable, else of a master service
    /// variable.
    fn lookup(&self, name: &str) -> Option<&str> {
        let Some(&at) = self.index.get(name) else {
            return self
                .service
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str());
        };
        let var = &self.vars[at];
        if var.value_from.is_some() {
            return None;
        }
        Some(var.value.as_deref().unwrap_or_default())
    }

    /// Appends the master service variables the container did not define.
    fn add_service(&mut self) -> Result<(), TooLong> {
        for (name, value) in self.service {
            if !self.index.contains_key(name) {
                self.literal(name, value.clone())?;
            }
        }
        Ok(())
    }

    /// `texts` (a command or args) expanded; `used` counts what the
    /// container has taken so far, and may not pass `limit`.
    fn expand_all(
        &self,
        texts: Option<Vec<String>>,
        used: &mut usize,
    ) -> Result<Option<Vec<String>>, TooLong> {
        let Some(texts) = texts else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(texts.len());
        for text in &texts {
            let room = self.limit.saturating_sub(*used);
            let expanded = expand_within(text, |name| self.lookup(name), room)?;
            // Quotes and a comma.
            *used += json_len(&expanded) + 3;
            if *used > self.limit {
                return Err(TooLong);
            }
            out.push(expanded);
        }
        Ok(Some(out))
    }

    /// The final list; `None` when empty and the spec had none (the pod
    /// keeps its shape).
    fn into_vars(self, had_env: bool) -> Option<Vec<EnvVar>> {
        (had_env || !self.vars.is_empty()).then_some(self.vars)
    }
}

impl Context<'_> {
    fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// One container's environment: `envFrom` sources in order, then `env`
    /// entries (each may refer to those before it), then the master service
    /// variables it did not define; at most `limit` bytes of it.
    fn environment(
        &self,
        container_name: &str,
        container: &Container,
        env: &[EnvVar],
        env_from: &[EnvFromSource],
        skipped_keys: &mut Vec<String>,
        limit: usize,
    ) -> Result<Environment<'_>, ConfigError> {
        let fail = |message: String| config_error(container_name, message);
        let refuse = |TooLong| config_error(container_name, too_large());
        let mut out = Environment {
            service: &self.sources.master_service,
            limit,
            ..Environment::default()
        };
        for source in env_from {
            self.add_env_from(&mut out, source, skipped_keys)
                .map_err(fail)?;
        }
        for var in env {
            match self.value(var, container, &out).map_err(fail)? {
                Value::Set(value) => out.literal(&var.name, value).map_err(refuse)?,
                Value::AwaitsPodIp => {
                    out.awaits_pod_ip = true;
                    out.set(var.clone()).map_err(refuse)?;
                }
                Value::Skipped => {}
            }
        }
        out.add_service().map_err(refuse)?;
        Ok(out)
    }

    /// Sets every key of one `envFrom` source; keys that are not valid
    /// variable names are skipped and noted in `skipped_keys`.
    fn add_env_from(
        &self,
        out: &mut Environment<'_>,
        source: &EnvFromSource,
        skipped_keys: &mut Vec<String>,
    ) -> Result<(), String> {
        let prefix = source.prefix.as_deref().unwrap_or_default();
        let (kind, name, optional, found) = if let Some(r) = &source.config_map_ref {
            let found = self.sources.config_maps.get(&r.name).cloned().flatten();
            ("configMap", &r.name, r.optional == Some(true), found)
        } else if let Some(r) = &source.secret_ref {
            let found = self.sources.secrets.get(&r.name).cloned().flatten();
            ("secret", &r.name, r.optional == Some(true), found)
        } else {
            return Ok(());
        };
        let Some(data) = found else {
            if optional {
                return Ok(());
            }
            return Err(format!("{} \"{name}\" not found", kind.to_lowercase()));
        };
        let mut invalid = Vec::new();
        for (key, value) in data {
            let full = format!("{prefix}{key}");
            if is_env_var_name(&full) {
                out.literal(&full, value).map_err(|TooLong| too_large())?;
            } else {
                invalid.push(full);
            }
        }
        if !invalid.is_empty() {
            invalid.sort();
            skipped_keys.push(format!(
                "Keys [{}] from the EnvFrom {kind} {}/{name} were skipped since they are considered invalid environment variable names.",
                invalid.join(", "),
                self.namespace()
            ));
        }
        Ok(())
    }

    /// What one `env` entry sets; `out` holds the variables defined before
    /// it, which `$(NAME)` in its value refers to.
    fn value(
        &self,
        var: &EnvVar,
        container: &Container,
        out: &Environment<'_>,
    ) -> Result<Value, String> {
        let from = match (&var.value, &var.value_from) {
            (Some(value), _) if !value.is_empty() => {
                return expand_within(value, |name| out.lookup(name), out.room_for(&var.name))
                    .map(Value::Set)
                    .map_err(|TooLong| too_large());
            }
            (_, Some(from)) => from,
            _ => return Ok(Value::Set(String::new())),
        };
        if let Some(field) = &from.field_ref {
            return Ok(
                match fields::value(&field.field_path, self.pod, self.host_ips)? {
                    FieldValue::Known(value) => Value::Set(value),
                    FieldValue::AwaitsPodIp => Value::AwaitsPodIp,
                },
            );
        }
        if let Some(resource) = &from.resource_field_ref {
            return resources::value(
                resource,
                self.spec,
                container,
                self.sources.allocatable.as_ref(),
            )
            .map(Value::Set);
        }
        if let Some(r) = &from.config_map_key_ref {
            let kind = ("configmap", "ConfigMap");
            return self.key(&self.sources.config_maps, kind, &r.name, &r.key, r.optional);
        }
        if let Some(r) = &from.secret_key_ref {
            let kind = ("secret", "Secret");
            return self.key(&self.sources.secrets, kind, &r.name, &r.key, r.optional);
        }
        Ok(Value::Set(String::new()))
    }

    /// One key of a ConfigMap or Secret; `kind` names it as the kubelet's
    /// "not found" and "couldn't find key" messages do.
    fn key(
        &self,
        objects: &HashMap<String, ObjectData>,
        kind: (&str, &str),
        name: &str,
        key: &str,
        optional: Option<bool>,
    ) -> Result<Value, String> {
        let optional = optional == Some(true);
        match objects.get(name).and_then(Option::as_ref) {
            None if optional => Ok(Value::Skipped),
            None => Err(format!("{} \"{name}\" not found", kind.0)),
            Some(data) => match data.get(key) {
                Some(value) => Ok(Value::Set(value.clone())),
                None if optional => Ok(Value::Skipped),
                None => Err(format!(
                    "couldn't find key {key} in {} {}/{name}",
                    kind.1,
                    self.namespace()
                )),
            },
        }
    }
}

/// What one `env` entry sets.
enum Value {
    Set(String),
    /// Kept as its `fieldRef` until the pod has an IP.
    AwaitsPodIp,
    /// An optional reference to something missing: nothing is set.
    Skipped,
}

/// The API server's rule for env names (RelaxedEnvironmentVariableValidation,
/// on by default since Kubernetes 1.32): printable ASCII except `=`.
fn is_env_var_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'=')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn pod(containers: serde_json::Value, status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"app": "web"}},
            "spec": {"nodeName": "n1", "containers": containers},
            "status": status,
        }))
        .expect("pod")
    }

    fn data(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn sources() -> Sources {
        let mut sources = Sources::default();
        sources.config_maps.insert(
            "app".into(),
            data(&[("mode", "fast"), ("b", "2"), ("a", "1"), ("bad=key", "x")]),
        );
        sources.config_maps.insert("gone".into(), None);
        sources
            .secrets
            .insert("db".into(), data(&[("password", "s3cret")]));
        sources.node_ips = vec!["192.168.1.2".into()];
        sources
    }

    fn env_of(resolved: &Resolved) -> Vec<(String, Option<String>, bool)> {
        resolved.pod.spec.as_ref().expect("spec").containers[0]
            .env
            .iter()
            .flatten()
            .map(|v| (v.name.clone(), v.value.clone(), v.value_from.is_some()))
            .collect()
    }

    fn literal(name: &str, value: &str) -> (String, Option<String>, bool) {
        (name.to_owned(), Some(value.to_owned()), false)
    }

    #[test]
    fn env_from_then_env_with_expansion_and_sources() {
        let pod = pod(
            serde_json::json!([{
                "name": "c",
                "command": ["run", "--mode=$(MODE)", "$$(MODE)"],
                "args": ["$(PASSWORD)", "$(UNKNOWN)"],
                "envFrom": [{"configMapRef": {"name": "app"}, "prefix": "CFG_"},
                            {"configMapRef": {"name": "gone", "optional": true}}],
                "env": [
                    {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "mode"}}},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                    {"name": "URL", "value": "http://$(MODE):$(CFG_a)/$(LATER)"},
                    {"name": "LATER", "value": "late"},
                    {"name": "CFG_a", "value": "override"},
                    {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                    {"name": "HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
                    {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "none", "optional": true}}},
                    {"name": "EMPTY", "value": ""},
                ],
            }]),
            serde_json::json!({}),
        );
        let resolved = build(&pod, &sources()).expect("resolves");
        assert_eq!(
            env_of(&resolved),
            vec![
                literal("CFG_a", "override"),
                literal("CFG_b", "2"),
                literal("CFG_mode", "fast"),
                literal("MODE", "fast"),
                literal("PASSWORD", "s3cret"),
                literal("URL", "http://fast:1/$(LATER)"),
                literal("LATER", "late"),
                literal("NAME", "p"),
                literal("APP", "web"),
                literal("HOST", "192.168.1.2"),
                literal("EMPTY", ""),
            ]
        );
        let container = &resolved.pod.spec.as_ref().expect("spec").containers[0];
        assert_eq!(container.env_from, None);
        assert_eq!(
            container.command.as_deref(),
            Some(
                &[
                    "run".to_owned(),
                    "--mode=fast".to_owned(),
                    "$(MODE)".to_owned()
                ][..]
            )
        );
        assert_eq!(
            container.args.as_deref(),
            Some(&["s3cret".to_owned(), "$(UNKNOWN)".to_owned()][..])
        );
        assert!(!resolved.awaits_pod_ip);
        assert_eq!(
            resolved.skipped_keys,
            vec![
                "Keys [CFG_bad=key] from the EnvFrom configMap ns/app were skipped since they are considered invalid environment variable names."
            ]
        );
    }

    #[test]
    fn missing_required_objects_and_keys_use_the_kubelet_wording() {
        let cases = [
            (
                serde_json::json!({"configMapKeyRef": {"name": "gone", "key": "k"}}),
                "configmap \"gone\" not found",
            ),
            (
                serde_json::json!({"configMapKeyRef": {"name": "never-fetched", "key": "k"}}),
                "configmap \"never-fetched\" not found",
            ),
            (
                serde_json::json!({"configMapKeyRef": {"name": "app", "key": "k"}}),
                "couldn't find key k in ConfigMap ns/app",
            ),
            (
                serde_json::json!({"secretKeyRef": {"name": "nope", "key": "k"}}),
                "secret \"nope\" not found",
            ),
            (
                serde_json::json!({"secretKeyRef": {"name": "db", "key": "k"}}),
                "couldn't find key k in Secret ns/db",
            ),
        ];
        for (from, message) in cases {
            let pod = pod(
                serde_json::json!([{"name": "c", "env": [{"name": "X", "valueFrom": from}]}]),
                serde_json::json!({}),
            );
            let error = build(&pod, &sources()).expect_err("missing");
            assert_eq!(
                error,
                ConfigError {
                    container: "c".into(),
                    message: message.into()
                }
            );
        }
        let pod = pod(
            serde_json::json!([{"name": "c", "envFrom": [{"secretRef": {"name": "nope"}}]}]),
            serde_json::json!({}),
        );
        assert_eq!(
            build(&pod, &sources()).expect_err("missing").message,
            "secret \"nope\" not found"
        );
    }

    #[test]
    fn a_pod_ip_is_awaited_then_resolved() {
        let containers = serde_json::json!([{"name": "c", "env": [
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "URL", "value": "http://$(POD_IP):80"},
        ]}]);
        let early =
            build(&pod(containers.clone(), serde_json::json!({})), &sources()).expect("resolves");
        assert!(early.awaits_pod_ip);
        assert_eq!(
            env_of(&early),
            vec![
                ("POD_IP".to_owned(), None, true),
                literal("URL", "http://$(POD_IP):80"),
            ]
        );
        let later = build(
            &pod(
                containers,
                serde_json::json!({"podIP": "10.1.0.7", "hostIP": "10.0.0.9"}),
            ),
            &sources(),
        )
        .expect("resolves");
        assert!(!later.awaits_pod_ip);
        assert_eq!(
            env_of(&later),
            vec![
                literal("POD_IP", "10.1.0.7"),
                literal("URL", "http://10.1.0.7:80")
            ]
        );
    }

    fn refused_as_too_large(containers: serde_json::Value) -> ConfigError {
        let error =
            build(&pod(containers, serde_json::json!({})), &sources()).expect_err("over the limit");
        assert!(
            error
                .message
                .starts_with("the pod's environment is too large"),
            "{error:?}"
        );
        error
    }

    #[test]
    fn references_that_multiply_are_stopped_at_the_limit() {
        // 1 KiB, then 64 KiB, 4 MiB, 256 MiB, 16 GiB... from a 1.5 KiB spec.
        let repeat = |name: &str| format!("$({name})").repeat(64);
        let containers = serde_json::json!([{"name": "c", "env": [
            {"name": "A", "value": "x".repeat(1024)},
            {"name": "B", "value": repeat("A")},
            {"name": "C", "value": repeat("B")},
            {"name": "D", "value": repeat("C")},
            {"name": "E", "value": repeat("D")},
        ]}]);
        assert_eq!(refused_as_too_large(containers).container, "c");
        // In a command too, and with the variables themselves small.
        let containers = serde_json::json!([{"name": "c",
            "env": [{"name": "A", "value": "x".repeat(1024 * 1024)}],
            "command": vec!["$(A)"; 8],
        }]);
        assert_eq!(refused_as_too_large(containers).container, "c");
    }

    #[test]
    fn the_limit_is_for_the_whole_pod_as_json() {
        // Each container is well under the limit; together they are not.
        let one_mib = "y".repeat(1024 * 1024);
        let containers: Vec<serde_json::Value> = (0..9)
            .map(|i| serde_json::json!({"name": format!("c{i}"), "env": [{"name": "X", "value": one_mib}]}))
            .collect();
        let error = refused_as_too_large(serde_json::Value::Array(containers.clone()));
        assert_eq!(
            error.container, "c7",
            "the container that passes it is named"
        );
        let fits = serde_json::Value::Array(containers[..7].to_vec());
        build(&pod(fits, serde_json::json!({})), &sources()).expect("7 MiB fits");
        // A control character takes six bytes in JSON (\u0001).
        let controls = "\u{1}".repeat(MAX_ENV_BYTES / 6 + 1);
        refused_as_too_large(
            serde_json::json!([{"name": "c", "env": [{"name": "X", "value": controls}]}]),
        );
        // A variable redefined is counted once.
        let half = "z".repeat(MAX_ENV_BYTES / 2);
        build(
            &pod(
                serde_json::json!([{"name": "c", "env": [
                    {"name": "X", "value": half}, {"name": "X", "value": half}, {"name": "X", "value": half},
                ]}]),
                serde_json::json!({}),
            ),
            &sources(),
        )
        .expect("one value of half the limit");
    }

    #[test]
    fn json_lengths_count_escapes() {
        assert_eq!(json_len("abc"), 3);
        assert_eq!(json_len("a\"b\\c\n"), 9);
        assert_eq!(json_len("\u{1}é"), 6 + 2);
    }

    #[test]
    fn env_names_follow_the_relaxed_rule() {
        assert!(is_env_var_name("A_1"));
        assert!(is_env_var_name("1-a.b c"));
        assert!(!is_env_var_name(""));
        assert!(!is_env_var_name("a=b"));
        assert!(!is_env_var_name("tab\t"));
    }
}
