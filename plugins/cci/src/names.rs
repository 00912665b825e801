//! Name mapping between the local cluster and the remote namespace: remote
//! pod names (deterministic, DNS-1123 labels of at most 63 characters, one
//! per local namespace/name), names of copied Secrets and ConfigMaps, and the
//! labels and annotations that record where a remote object came from.

/// Prefix of the plugin's own labels and annotations.
pub const PREFIX: &str = "cci.vk-host.io/";
/// Marks every remote object the plugin made.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "vk-cci-plugin");
/// Label: the local node (as a label value, see [`label_value`]).
pub const NODE_LABEL: &str = "cci.vk-host.io/node";
/// Label: the local pod's UID (pods and the copies of their objects).
pub const UID_LABEL: &str = "cci.vk-host.io/origin-uid";
/// Annotations: the local pod's namespace, name, uid and node.
pub const NAMESPACE_ANNOTATION: &str = "cci.vk-host.io/origin-namespace";
pub const NAME_ANNOTATION: &str = "cci.vk-host.io/origin-name";
pub const UID_ANNOTATION: &str = "cci.vk-host.io/origin-uid";
pub const NODE_ANNOTATION: &str = "cci.vk-host.io/origin-node";
/// Annotation: JSON list of `[kind, local name, remote name]` of the copies.
pub const COPIES_ANNOTATION: &str = "cci.vk-host.io/copies";

/// Longest remote pod name: a DNS-1123 label.
const POD_NAME_MAX: usize = 63;
/// Longest Secret/ConfigMap name: a DNS-1123 subdomain.
const OBJECT_NAME_MAX: usize = 253;
/// Longest label value.
const LABEL_VALUE_MAX: usize = 63;

/// FNV-1a, 64 bits: a stable hash (the same on every build and machine),
/// so a restarted plugin maps names as its predecessor did.
fn fnv64(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Eight hex digits of the hash of `text`.
fn short_hash(text: &str) -> String {
    format!("{:08x}", fnv64(text) & 0xffff_ffff)
}

/// `text` cut to at most `max` bytes (names are ASCII) without a trailing
/// `-` or `.`, which may not end a name.
fn cut(text: &str, max: usize) -> &str {
    let end = text.len().min(max);
    text[..end].trim_end_matches(['-', '.'])
}

/// The remote pod's name for local pod `namespace/name`:
/// `<namespace>-<name>-<hash>` with dots turned into dashes, cut to fit 63
/// characters before the hash. The hash is of `namespace/name`, so `a-b/c`
/// and `a/b-c` never collide.
pub fn remote_pod_name(namespace: &str, name: &str) -> String {
    let joined = format!("{namespace}-{name}").replace('.', "-");
    let hash = short_hash(&format!("{namespace}/{name}"));
    let prefix = cut(&joined, POD_NAME_MAX - hash.len() - 1);
    format!("{prefix}-{hash}")
}

/// The remote name of the copy of Secret or ConfigMap `name` for remote pod
/// `remote_pod`: `<remote_pod>-<name>`, with a hash when that is too long.
pub fn copy_name(remote_pod: &str, name: &str) -> String {
    let joined = format!("{remote_pod}-{name}");
    if joined.len() <= OBJECT_NAME_MAX {
        return joined;
    }
    let hash = short_hash(&joined);
    format!("{}-{hash}", cut(&joined, OBJECT_NAME_MAX - hash.len() - 1))
}

/// `value` as a label value: itself when it fits 63 characters, else cut
/// with a hash of the whole.
pub fn label_value(value: &str) -> String {
    if value.len() <= LABEL_VALUE_MAX {
        return value.to_owned();
    }
    let hash = short_hash(value);
    format!("{}-{hash}", cut(value, LABEL_VALUE_MAX - hash.len() - 1))
}

/// The label selector of the remote pods of local node `node` (all of the
/// plugin's pods in the namespace when the node is not known).
pub fn selector(node: Option<&str>) -> String {
    let managed = format!("{}={}", MANAGED_BY.0, MANAGED_BY.1);
    match node {
        Some(node) => format!("{managed},{NODE_LABEL}={}", label_value(node)),
        None => managed,
    }
}

#[cfg(test)]
mod tests {
    use vk_plugin_sdk::names::{check_label_value, is_dns1123_label, is_dns1123_subdomain};

    use super::*;

    #[test]
    fn pod_names_are_deterministic_labels() {
        let name = remote_pod_name("default", "web-0");
        assert_eq!(name, remote_pod_name("default", "web-0"));
        assert!(name.starts_with("default-web-0-"), "{name}");
        assert!(is_dns1123_label(&name), "{name}");
        let dotted = remote_pod_name("ns", "a.b.c");
        assert!(is_dns1123_label(&dotted), "{dotted}");
    }

    #[test]
    fn long_names_fit_63_characters() {
        let long = "x".repeat(200);
        let name = remote_pod_name(&"n".repeat(63), &long);
        assert!(name.len() <= 63, "{} chars", name.len());
        assert!(is_dns1123_label(&name), "{name}");
        // Names that differ only after the cut still differ.
        let other = remote_pod_name(&"n".repeat(63), &format!("{long}y"));
        assert_ne!(name, other);
        // A cut that ends on a dash does not leave `--`-ending prefixes.
        let dashy = remote_pod_name("a", &format!("{}-{}", "b".repeat(51), "c".repeat(20)));
        assert!(is_dns1123_label(&dashy), "{dashy}");
    }

    #[test]
    fn namespaces_with_dashes_do_not_collide() {
        assert_ne!(remote_pod_name("a-b", "c"), remote_pod_name("a", "b-c"));
    }

    #[test]
    fn copies_are_named_after_the_remote_pod() {
        let pod = remote_pod_name("ns", "web");
        assert_eq!(copy_name(&pod, "creds"), format!("{pod}-creds"));
        let long = copy_name(&pod, &"s".repeat(253));
        assert!(long.len() <= 253 && is_dns1123_subdomain(&long), "{long}");
        assert_ne!(long, copy_name(&pod, &"s".repeat(252)));
    }

    #[test]
    fn label_values_fit() {
        assert_eq!(label_value("node-1"), "node-1");
        let long = label_value(&format!("{}.example.com", "n".repeat(80)));
        assert!(check_label_value(&long).is_ok(), "{long}");
        assert_eq!(
            selector(Some("node-1")),
            "app.kubernetes.io/managed-by=vk-cci-plugin,cci.vk-host.io/node=node-1"
        );
    }
}
