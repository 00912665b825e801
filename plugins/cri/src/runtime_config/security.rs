//! Linux namespaces and security contexts of sandboxes and containers, from
//! the pod's and the container's `securityContext` as the kubelet derives
//! them (`NamespacesForPod`, `generatePodSandboxLinuxConfig`,
//! `determineEffectiveSecurityContext`).

use std::path::Path;

use k8s_cri::v1::security_profile::ProfileType;
use k8s_cri::v1::{
    Capability, Int64Value, LinuxContainerSecurityContext, LinuxSandboxSecurityContext,
    NamespaceMode, NamespaceOption, SeLinuxOption, SecurityProfile,
};
use k8s_openapi::api::core::v1::{
    Container, Pod, PodSecurityContext, SELinuxOptions, SeccompProfile,
};

/// /proc and /sys paths hidden from unprivileged containers unless
/// `procMount: Unmasked` (the kubelet's `defaultMaskedPaths`).
const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// /proc paths mounted read-only unless `procMount: Unmasked`.
const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Network, PID and IPC namespaces of the pod and all its containers.
pub fn namespace_options(pod: &Pod) -> NamespaceOption {
    let spec = pod.spec.as_ref();
    let flag = |get: fn(&k8s_openapi::api::core::v1::PodSpec) -> Option<bool>| {
        spec.and_then(get).unwrap_or(false)
    };
    let mode = |node: bool, otherwise: NamespaceMode| {
        if node { NamespaceMode::Node } else { otherwise }
    };
    let pid = if flag(|s| s.share_process_namespace) {
        NamespaceMode::Pod
    } else {
        NamespaceMode::Container
    };
    NamespaceOption {
        network: mode(flag(|s| s.host_network), NamespaceMode::Pod) as i32,
        pid: mode(flag(|s| s.host_pid), pid) as i32,
        ipc: mode(flag(|s| s.host_ipc), NamespaceMode::Pod) as i32,
        ..NamespaceOption::default()
    }
}

/// The sandbox's security context: privileged when any container is, the
/// runtime's default seccomp profile (as the kubelet forces for the pause
/// process), the pod's user, group, supplemental groups and SELinux labels.
pub fn sandbox_security_context(pod: &Pod) -> LinuxSandboxSecurityContext {
    let pod_context = pod_security_context(pod);
    LinuxSandboxSecurityContext {
        namespace_options: Some(namespace_options(pod)),
        privileged: any_privileged(pod),
        seccomp: Some(SecurityProfile {
            profile_type: ProfileType::RuntimeDefault as i32,
            localhost_ref: String::new(),
        }),
        run_as_user: pod_context
            .and_then(|c| c.run_as_user)
            .map(|value| Int64Value { value }),
        run_as_group: pod_context
            .and_then(|c| c.run_as_group)
            .map(|value| Int64Value { value }),
        supplemental_groups: supplemental_groups(pod_context),
        selinux_options: pod_context
            .and_then(|c| c.se_linux_options.as_ref())
            .map(selinux),
        ..LinuxSandboxSecurityContext::default()
    }
}

/// A container's security context: its own settings, with the pod's
/// user, group and SELinux labels where it has none. `seccomp_root` is
/// where `Localhost` seccomp profiles are looked up.
pub fn container_security_context(
    pod: &Pod,
    container: &Container,
    seccomp_root: &Path,
) -> LinuxContainerSecurityContext {
    let pod_context = pod_security_context(pod);
    let own = container.security_context.as_ref();
    let run_as_user = own
        .and_then(|c| c.run_as_user)
        .or_else(|| pod_context.and_then(|c| c.run_as_user));
    let run_as_group = own
        .and_then(|c| c.run_as_group)
        .or_else(|| pod_context.and_then(|c| c.run_as_group));
    let selinux_options = own
        .and_then(|c| c.se_linux_options.as_ref())
        .or_else(|| pod_context.and_then(|c| c.se_linux_options.as_ref()));
    let seccomp = own
        .and_then(|c| c.seccomp_profile.as_ref())
        .or_else(|| pod_context.and_then(|c| c.seccomp_profile.as_ref()));
    let unmasked = own.and_then(|c| c.proc_mount.as_deref()) == Some("Unmasked");
    let paths = |list: &[&str]| {
        if unmasked {
            Vec::new()
        } else {
            list.iter().map(|p| (*p).to_owned()).collect()
        }
    };
    LinuxContainerSecurityContext {
        capabilities: own
            .and_then(|c| c.capabilities.as_ref())
            .map(|caps| Capability {
                add_capabilities: caps.add.clone().unwrap_or_default(),
                drop_capabilities: caps.drop.clone().unwrap_or_default(),
                add_ambient_capabilities: Vec::new(),
            }),
        privileged: own.and_then(|c| c.privileged).unwrap_or(false),
        namespace_options: Some(namespace_options(pod)),
        selinux_options: selinux_options.map(selinux),
        run_as_user: run_as_user.map(|value| Int64Value { value }),
        run_as_group: run_as_group.map(|value| Int64Value { value }),
        readonly_rootfs: own
            .and_then(|c| c.read_only_root_filesystem)
            .unwrap_or(false),
        supplemental_groups: supplemental_groups(pod_context),
        // Only an explicit `allowPrivilegeEscalation: false` sets it.
        no_new_privs: own.and_then(|c| c.allow_privilege_escalation) == Some(false),
        masked_paths: paths(MASKED_PATHS),
        readonly_paths: paths(READONLY_PATHS),
        seccomp: Some(seccomp_profile(seccomp, seccomp_root)),
        ..LinuxContainerSecurityContext::default()
    }
}

fn pod_security_context(pod: &Pod) -> Option<&PodSecurityContext> {
    pod.spec.as_ref().and_then(|s| s.security_context.as_ref())
}

/// Whether any container of the pod (init and ephemeral included) is
/// privileged.
fn any_privileged(pod: &Pod) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    let privileged = |c: Option<&k8s_openapi::api::core::v1::SecurityContext>| {
        c.and_then(|c| c.privileged).unwrap_or(false)
    };
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .any(|c| privileged(c.security_context.as_ref()))
        || spec
            .ephemeral_containers
            .iter()
            .flatten()
            .any(|c| privileged(c.security_context.as_ref()))
}

/// `fsGroup` first, then `supplementalGroups` (the kubelet's order).
fn supplemental_groups(pod_context: Option<&PodSecurityContext>) -> Vec<i64> {
    let Some(context) = pod_context else {
        return Vec::new();
    };
    context
        .fs_group
        .into_iter()
        .chain(context.supplemental_groups.iter().flatten().copied())
        .collect()
}

fn selinux(options: &SELinuxOptions) -> SeLinuxOption {
    SeLinuxOption {
        user: options.user.clone().unwrap_or_default(),
        role: options.role.clone().unwrap_or_default(),
        r#type: options.type_.clone().unwrap_or_default(),
        level: options.level.clone().unwrap_or_default(),
    }
}

/// The kubelet without `--seccomp-default` runs containers without a
/// profile unless one is asked for.
fn seccomp_profile(profile: Option<&SeccompProfile>, seccomp_root: &Path) -> SecurityProfile {
    let (profile_type, localhost_ref) = match profile.map(|p| (p.type_.as_str(), p)) {
        Some(("RuntimeDefault", _)) => (ProfileType::RuntimeDefault, String::new()),
        Some(("Localhost", p)) => (
            ProfileType::Localhost,
            seccomp_root
                .join(p.localhost_profile.as_deref().unwrap_or_default())
                .display()
                .to_string(),
        ),
        _ => (ProfileType::Unconfined, String::new()),
    };
    SecurityProfile {
        profile_type: profile_type as i32,
        localhost_ref,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    fn pod_with(spec: serde_json::Value) -> Pod {
        pod_from_json(
            json!({"metadata": {"name": "p", "namespace": "n", "uid": "u"}, "spec": spec}),
        )
    }

    fn modes(options: &NamespaceOption) -> (i32, i32, i32) {
        (options.network, options.pid, options.ipc)
    }

    #[test]
    fn namespaces_follow_host_flags_and_process_sharing() {
        let (node, pod_ns, container) = (
            NamespaceMode::Node as i32,
            NamespaceMode::Pod as i32,
            NamespaceMode::Container as i32,
        );
        let of = |spec| modes(&namespace_options(&pod_with(spec)));
        assert_eq!(of(json!({"containers": []})), (pod_ns, container, pod_ns));
        assert_eq!(
            of(json!({"containers": [], "hostNetwork": true, "hostPID": true, "hostIPC": true})),
            (node, node, node)
        );
        assert_eq!(
            of(json!({"containers": [], "shareProcessNamespace": true})),
            (pod_ns, pod_ns, pod_ns)
        );
    }

    #[test]
    fn sandbox_context() {
        let pod = pod_with(json!({
            "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4, 5]},
            "initContainers": [{"name": "i", "securityContext": {"privileged": true}}],
            "containers": [{"name": "c"}]
        }));
        let context = sandbox_security_context(&pod);
        assert!(context.privileged);
        assert_eq!(context.run_as_user, Some(Int64Value { value: 1000 }));
        assert_eq!(context.run_as_group, Some(Int64Value { value: 3000 }));
        assert_eq!(context.supplemental_groups, vec![2000, 4, 5]);
        assert_eq!(
            context.seccomp.map(|s| s.profile_type),
            Some(ProfileType::RuntimeDefault as i32)
        );
    }

    #[test]
    fn container_context_inherits_the_pods_user_and_defaults_to_unconfined() {
        let pod = pod_with(json!({
            "securityContext": {"runAsUser": 1000, "seccompProfile": {"type": "Localhost", "localhostProfile": "audit.json"}},
            "containers": [
                {"name": "plain"},
                {"name": "strict", "securityContext": {
                    "runAsUser": 7, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                    "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"}, "procMount": "Unmasked"
                }}
            ]
        }));
        let containers = &pod.spec.as_ref().expect("spec").containers;
        let root = Path::new("/var/lib/vk-cri/seccomp");
        let plain = container_security_context(&pod, &containers[0], root);
        assert_eq!(plain.run_as_user, Some(Int64Value { value: 1000 }));
        assert!(!plain.no_new_privs && !plain.readonly_rootfs && !plain.privileged);
        assert_eq!(plain.masked_paths.len(), MASKED_PATHS.len());
        assert_eq!(plain.readonly_paths.len(), READONLY_PATHS.len());
        let seccomp = plain.seccomp.expect("seccomp");
        assert_eq!(seccomp.profile_type, ProfileType::Localhost as i32);
        assert_eq!(seccomp.localhost_ref, "/var/lib/vk-cri/seccomp/audit.json");

        let strict = container_security_context(&pod, &containers[1], root);
        assert_eq!(strict.run_as_user, Some(Int64Value { value: 7 }));
        assert!(strict.no_new_privs && strict.readonly_rootfs);
        let caps = strict.capabilities.expect("capabilities");
        assert_eq!(caps.add_capabilities, vec!["NET_ADMIN".to_owned()]);
        assert_eq!(caps.drop_capabilities, vec!["ALL".to_owned()]);
        assert!(strict.masked_paths.is_empty() && strict.readonly_paths.is_empty());
        assert_eq!(
            strict.seccomp.map(|s| s.profile_type),
            Some(ProfileType::RuntimeDefault as i32)
        );

        let bare = pod_with(json!({"containers": [{"name": "c"}]}));
        let context = container_security_context(
            &bare,
            &bare.spec.as_ref().expect("spec").containers[0],
            root,
        );
        assert_eq!(
            context.seccomp.map(|s| s.profile_type),
            Some(ProfileType::Unconfined as i32)
        );
        assert_eq!(context.run_as_user, None);
    }
}
