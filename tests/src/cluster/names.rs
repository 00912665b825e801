//! Unique, valid Kubernetes names for test objects, so tests that share one
//! control plane never collide (namespaces and nodes are cluster-wide).

use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `<prefix>-<pid>-<n>`: unique within this test process, and the control
/// plane belongs to one process. The prefix is lower-cased, reduced to
/// `[a-z0-9-]` and shortened so the result is a valid DNS-1123 label.
pub fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("-{}-{n}", std::process::id());
    let mut clean: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    clean.truncate(63 - suffix.len());
    let clean = clean.trim_matches('-');
    let clean = if clean.is_empty() { "t" } else { clean };
    format!("{clean}{suffix}")
}

/// A node name for one test: `vk-<prefix>-<pid>-<n>`.
pub fn node_name(prefix: &str) -> String {
    unique_name(&format!("vk-{prefix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid_labels() {
        let a = unique_name("Pod_Tests");
        let b = unique_name("Pod_Tests");
        assert_ne!(a, b);
        for name in [
            a,
            b,
            unique_name(&"x".repeat(100)),
            unique_name("--"),
            node_name("n"),
        ] {
            assert!(name.len() <= 63, "{name} is too long");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} has invalid characters"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
        }
    }
}
