//! `ContainerConfig` for one container instance (`generateContainerConfig`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_cri::v1::{
    ContainerConfig, ContainerMetadata, ImageSpec, KeyValue, LinuxContainerConfig, NamespaceMode,
};
use k8s_openapi::api::core::v1::{Container, EnvVar, Pod};

use super::BuildError;
use super::expansion::substitute;
use super::mounts::{container_mounts, termination_message_mount};
use super::resources::linux_resources;
use super::security::container_security_context;
use crate::labels::{self, ContainerRole};
use crate::paths;

/// What one container instance's configuration depends on besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct ContainerContext<'a> {
    /// Value of the managed-by label.
    pub instance_name: &'a str,
    pub role: ContainerRole,
    /// Restarts so far; also the CRI attempt and the log file number.
    pub restart_count: u32,
    /// The image as the runtime resolved it (`ImageStatus`/`PullImage`).
    pub image_ref: &'a str,
    /// The pod's IPs (from the sandbox; the node's for hostNetwork), for
    /// variables the host left as `status.podIP(s)` references.
    pub pod_ips: &'a [String],
    /// Host path of every pod volume.
    pub volumes: &'a BTreeMap<String, PathBuf>,
    /// This instance's termination-message file, bind-mounted at
    /// `terminationMessagePath`.
    pub termination_message_file: Option<&'a Path>,
    /// Where `Localhost` seccomp profiles live.
    pub seccomp_root: &'a Path,
    /// The node's memory, which scales the OOM score of Burstable pods.
    pub node_memory_bytes: i64,
    /// For an ephemeral container with a target: the id of the target's
    /// running instance, whose process namespace it joins.
    pub target_container_id: Option<&'a str>,
}

/// The configuration of `container`'s instance number
/// `context.restart_count`.
pub fn container_config(
    pod: &Pod,
    container: &Container,
    context: &ContainerContext<'_>,
) -> Result<ContainerConfig, BuildError> {
    let image = container
        .image
        .clone()
        .filter(|i| !i.is_empty())
        .ok_or_else(|| BuildError::NoImage {
            container: container.name.clone(),
        })?;
    let (envs, pod_ip_values) = environment(container, context.pod_ips)?;
    let finish = |list: &Option<Vec<String>>| -> Vec<String> {
        list.iter()
            .flatten()
            .map(|arg| substitute(arg, &pod_ip_values))
            .collect()
    };
    let mut mounts = container_mounts(pod, container, context.volumes)?;
    if let Some(file) = context.termination_message_file {
        mounts.push(termination_message_mount(container, file));
    }
    let resources =
        linux_resources(pod, container, context.node_memory_bytes).map_err(|source| {
            BuildError::Resources {
                container: container.name.clone(),
                source,
            }
        })?;
    let mut security_context = container_security_context(pod, container, context.seccomp_root);
    // As the kubelet: a target replaces only a container's own PID
    // namespace (not the pod's shared one, nor the node's).
    if let (Some(target), Some(namespaces)) = (
        context.target_container_id,
        security_context.namespace_options.as_mut(),
    ) && namespaces.pid == NamespaceMode::Container as i32
    {
        namespaces.pid = NamespaceMode::Target as i32;
        target.clone_into(&mut namespaces.target_id);
    }
    Ok(ContainerConfig {
        metadata: Some(ContainerMetadata {
            name: container.name.clone(),
            attempt: context.restart_count,
        }),
        image: Some(ImageSpec {
            image: context.image_ref.to_owned(),
            user_specified_image: image,
            ..ImageSpec::default()
        }),
        command: finish(&container.command),
        args: finish(&container.args),
        working_dir: container.working_dir.clone().unwrap_or_default(),
        envs,
        mounts,
        labels: labels::container_labels(pod, container, context.instance_name),
        annotations: labels::container_annotations(
            pod,
            container,
            context.role,
            context.restart_count,
        ),
        log_path: paths::container_log_path(&container.name, context.restart_count),
        stdin: container.stdin.unwrap_or(false),
        stdin_once: container.stdin_once.unwrap_or(false),
        tty: container.tty.unwrap_or(false),
        linux: Some(LinuxContainerConfig {
            resources: Some(resources),
            security_context: Some(security_context),
        }),
        ..ContainerConfig::default()
    })
}

/// The container's variables as the host resolved them, with the
/// `status.podIP(s)` references it left filled in from `pod_ips`. Also
/// returns those names and values, for `$(NAME)` references to them.
#[allow(clippy::type_complexity)]
fn environment(
    container: &Container,
    pod_ips: &[String],
) -> Result<(Vec<KeyValue>, Vec<(String, String)>), BuildError> {
    let mut pod_ip_values: Vec<(String, String)> = Vec::new();
    let mut envs = Vec::new();
    for variable in container.env.iter().flatten() {
        let value = match (&variable.value, pod_ip_field(variable)) {
            (Some(value), _) => substitute(value, &pod_ip_values),
            (None, Some(field)) => {
                let value = match field {
                    "status.podIP" => pod_ips.first().cloned().unwrap_or_default(),
                    _ => pod_ips.join(","),
                };
                pod_ip_values.retain(|(name, _)| *name != variable.name);
                pod_ip_values.push((variable.name.clone(), value.clone()));
                value
            }
            (None, None) if variable.value_from.is_none() => String::new(),
            (None, None) => {
                return Err(BuildError::UnresolvedEnv {
                    container: container.name.clone(),
                    name: variable.name.clone(),
                });
            }
        };
        envs.push(KeyValue {
            key: variable.name.clone(),
            value,
        });
    }
    Ok((envs, pod_ip_values))
}

/// `status.podIP` or `status.podIPs` when the variable refers to one.
fn pod_ip_field(variable: &EnvVar) -> Option<&str> {
    let path = variable
        .value_from
        .as_ref()?
        .field_ref
        .as_ref()?
        .field_path
        .as_str();
    matches!(path, "status.podIP" | "status.podIPs").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use k8s_cri::v1::security_profile::ProfileType;
    use serde_json::json;

    fn pod() -> Pod {
        pod_from_json(json!({
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
            "spec": {
                "terminationGracePeriodSeconds": 30,
                "volumes": [{"name": "cache", "emptyDir": {}}],
                "containers": [{
                    "name": "app",
                    "image": "localhost/vkcri-test/busybox:1",
                    "command": ["sh", "-c"],
                    "args": ["echo $(GREETING) from $(POD_IP) costs $$5"],
                    "workingDir": "/work",
                    "env": [
                        {"name": "GREETING", "value": "hello"},
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                        {"name": "POD_IPS", "valueFrom": {"fieldRef": {"fieldPath": "status.podIPs"}}},
                        {"name": "BIND", "value": "$(POD_IP):8080"},
                        {"name": "EMPTY"}
                    ],
                    "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}, "limits": {"cpu": "1", "memory": "64Mi"}},
                    "stdin": true, "tty": true,
                    "securityContext": {"readOnlyRootFilesystem": true}
                }]
            }
        }))
    }

    fn build(
        pod: &Pod,
        restart_count: u32,
        pod_ips: &[String],
    ) -> Result<ContainerConfig, BuildError> {
        build_targeting(pod, restart_count, pod_ips, None)
    }

    fn build_targeting(
        pod: &Pod,
        restart_count: u32,
        pod_ips: &[String],
        target_container_id: Option<&str>,
    ) -> Result<ContainerConfig, BuildError> {
        let volumes = BTreeMap::from([("cache".to_owned(), PathBuf::from("/state/cache"))]);
        let context = ContainerContext {
            instance_name: "node-a",
            role: ContainerRole::Regular,
            restart_count,
            image_ref: "sha256:0123abcd",
            pod_ips,
            volumes: &volumes,
            termination_message_file: Some(Path::new("/state/containers/app/0a1b2c3d")),
            seccomp_root: Path::new("/state/seccomp"),
            node_memory_bytes: 1 << 30,
            target_container_id,
        };
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        container_config(pod, container, &context)
    }

    #[test]
    fn a_target_container_lends_its_process_namespace() {
        let pid = |config: ContainerConfig| {
            let namespaces = config
                .linux
                .and_then(|l| l.security_context)
                .and_then(|c| c.namespace_options)
                .expect("namespace options");
            (namespaces.pid, namespaces.target_id)
        };
        let config = build_targeting(&pod(), 0, &[], Some("target-id")).expect("config");
        assert_eq!(
            pid(config),
            (NamespaceMode::Target as i32, "target-id".into())
        );
        let config = build_targeting(&pod(), 0, &[], None).expect("config");
        assert_eq!(
            pid(config),
            (NamespaceMode::Container as i32, String::new())
        );
        // A pod that shares one PID namespace keeps it.
        let mut shared = pod();
        shared.spec.as_mut().expect("spec").share_process_namespace = Some(true);
        let config = build_targeting(&shared, 0, &[], Some("target-id")).expect("config");
        assert_eq!(pid(config), (NamespaceMode::Pod as i32, String::new()));
    }

    #[test]
    fn golden_container_config() {
        let ips = ["10.88.0.7".to_owned(), "fd00::7".to_owned()];
        let config = build(&pod(), 3, &ips).expect("container config");
        let metadata = config.metadata.clone().expect("metadata");
        assert_eq!((metadata.name.as_str(), metadata.attempt), ("app", 3));
        let image = config.image.clone().expect("image");
        assert_eq!(image.image, "sha256:0123abcd");
        assert_eq!(image.user_specified_image, "localhost/vkcri-test/busybox:1");
        assert_eq!(config.command, vec!["sh".to_owned(), "-c".to_owned()]);
        assert_eq!(
            config.args,
            vec!["echo $(GREETING) from 10.88.0.7 costs $$5".to_owned()],
            "only the pod-IP reference is the plugin's to expand"
        );
        assert_eq!(config.working_dir, "/work");
        let env: Vec<(&str, &str)> = config
            .envs
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            env,
            vec![
                ("GREETING", "hello"),
                ("POD_IP", "10.88.0.7"),
                ("POD_IPS", "10.88.0.7,fd00::7"),
                ("BIND", "10.88.0.7:8080"),
                ("EMPTY", ""),
            ]
        );
        let mounts: Vec<(&str, &str)> = config
            .mounts
            .iter()
            .map(|m| (m.container_path.as_str(), m.host_path.as_str()))
            .collect();
        assert_eq!(
            mounts,
            vec![
                ("/cache", "/state/cache"),
                ("/dev/termination-log", "/state/containers/app/0a1b2c3d")
            ]
        );
        assert_eq!(config.log_path, "app/3.log");
        assert_eq!(config.labels[labels::CONTAINER_NAME], "app");
        assert_eq!(config.labels[labels::POD_NAMESPACE], "shop");
        assert_eq!(config.annotations[labels::CONTAINER_RESTART_COUNT], "3");
        assert_eq!(
            config.annotations[labels::POD_TERMINATION_GRACE_PERIOD],
            "30"
        );
        assert_eq!(config.annotations[labels::CONTAINER_ROLE], "regular");
        assert!(config.stdin && config.tty && !config.stdin_once);
        let linux = config.linux.expect("linux");
        let resources = linux.resources.expect("resources");
        assert_eq!(
            (
                resources.cpu_shares,
                resources.cpu_quota,
                resources.cpu_period,
                resources.memory_limit_in_bytes
            ),
            (102, 100_000, 100_000, 64 << 20)
        );
        let security = linux.security_context.expect("security");
        assert!(security.readonly_rootfs);
        assert_eq!(
            security.seccomp.map(|s| s.profile_type),
            Some(ProfileType::Unconfined as i32)
        );
    }

    #[test]
    fn without_pod_ips_the_references_are_empty() {
        let config = build(&pod(), 0, &[]).expect("container config");
        assert_eq!(config.envs[1].value, "");
        assert_eq!(config.envs[3].value, ":8080");
        assert_eq!(config.log_path, "app/0.log");
    }

    #[test]
    fn refusals() {
        let mut pod = pod();
        let spec = pod.spec.as_mut().expect("spec");
        spec.containers[0].env = Some(vec![
            serde_json::from_value(
                json!({"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}),
            )
            .expect("env var"),
        ]);
        assert_eq!(
            build(&pod, 0, &[]),
            Err(BuildError::UnresolvedEnv {
                container: "app".into(),
                name: "SECRET".into()
            })
        );
        let spec = pod.spec.as_mut().expect("spec");
        spec.containers[0].env = None;
        spec.containers[0].image = None;
        assert_eq!(
            build(&pod, 0, &[]),
            Err(BuildError::NoImage {
                container: "app".into()
            })
        );
    }
}
