//! Test pods: fresh names and random UIDs per check, in one namespace, with
//! one container `main` running a long-lived busybox shell. Also the small
//! conversions checks need (PodRef, a deletion copy, a readable label).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use vk_proto::v1::PodRef;

/// The container every test pod has.
pub const CONTAINER: &str = "main";
/// Grace period sent with DeletePod, short so real plugins stop quickly.
pub const DELETE_GRACE_SECONDS: i64 = 1;

/// How test pods are made.
#[derive(Debug, Clone)]
pub struct PodFactory {
    pub namespace: String,
    pub image: String,
}

impl PodFactory {
    /// A new pod `cf-<purpose>-<random>` with a new UID.
    pub fn pod(&self, purpose: &str) -> Pod {
        let name = format!("cf-{purpose}-{}", random_hex(4));
        Pod {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some(self.namespace.clone()),
                uid: Some(new_uid()),
                labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "vk-plugin-conformance".to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: CONTAINER.to_owned(),
                    image: Some(self.image.clone()),
                    command: Some(vec![
                        "sh".to_owned(),
                        "-c".to_owned(),
                        "echo conformance; while true; do sleep 1; done".to_owned(),
                    ]),
                    stdin: Some(true),
                    ..Container::default()
                }],
                ..PodSpec::default()
            }),
            status: None,
        }
    }
}

/// The pod's namespace and name, and its UID when `with_uid`.
pub fn pod_ref(pod: &Pod) -> PodRef {
    PodRef {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        uid: uid(pod).to_owned(),
    }
}

pub fn uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

/// `namespace/name (uid U)`, for messages.
pub fn label(pod: &Pod) -> String {
    format!(
        "{}/{} (uid {})",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or(""),
        uid(pod)
    )
}

/// The pod as the host sends it to DeletePod after a graceful delete in
/// Kubernetes: `deletionTimestamp` and `deletionGracePeriodSeconds` set.
pub fn for_deletion(pod: &Pod) -> Pod {
    let mut pod = pod.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    pod.metadata.deletion_timestamp = k8s_openapi::jiff::Timestamp::from_second(now)
        .ok()
        .map(Time);
    pod.metadata.deletion_grace_period_seconds = Some(DELETE_GRACE_SECONDS);
    pod
}

/// A random RFC 4122 version 4 UID, as the API server makes them.
pub fn new_uid() -> String {
    let mut bytes = random_bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let bytes = random_bytes::<32>();
    hex(&bytes[..n.min(32)])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// From the kernel's random source; the tool is Unix-only anyway (plugins
/// listen on Unix sockets). Falls back to a clock-and-counter mix, which is
/// unique enough for test names within one run.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let from_kernel =
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if from_kernel.is_err() {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        let mut state = nanos
            ^ COUNTER
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for byte in &mut bytes {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_look_like_the_api_servers_and_differ() {
        let (a, b) = (new_uid(), new_uid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.chars().filter(|c| *c == '-').count(), 4);
        assert_eq!(&a[14..15], "4", "version 4: {a}");
    }

    #[test]
    fn pods_are_fresh_and_complete() {
        let factory = PodFactory {
            namespace: "conformance".into(),
            image: "busybox".into(),
        };
        let (a, b) = (factory.pod("x"), factory.pod("x"));
        assert_ne!(a.metadata.name, b.metadata.name);
        assert_ne!(uid(&a), uid(&b));
        let reference = pod_ref(&a);
        assert_eq!(reference.namespace, "conformance");
        assert!(reference.name.starts_with("cf-x-"));
        let spec = a.spec.as_ref().expect("spec");
        assert_eq!(spec.containers[0].name, CONTAINER);
        let deleting = for_deletion(&a);
        assert!(deleting.metadata.deletion_timestamp.is_some());
        assert!(label(&a).contains(uid(&a)));
    }
}
