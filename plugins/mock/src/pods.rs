//! The in-memory pod table: pods keyed by namespace/name with their UID,
//! split into independently locked shards so concurrent calls on different
//! pods rarely contend. Access goes through closures, so no lock can be held
//! across an `.await`.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, RandomState};
use std::net::Ipv4Addr;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use parking_lot::RwLock;
use vk_plugin_sdk::{PodKey, ProviderError};

use crate::status::Lifecycle;

/// Number of shards; a power of two well above the core count.
const SHARDS: usize = 32;

/// One pod the plugin holds.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Metadata and spec as last created or updated; `status` is not used
    /// (it is computed from `life`), except `qosClass` from the API server.
    pub pod: Arc<Pod>,
    pub life: Lifecycle,
    pub pod_ip: Ipv4Addr,
    /// How many UpdatePod calls changed this pod.
    pub updates: u64,
    /// With `fetch_volumes`: the files built for its volumes.
    pub volumes: crate::volumes::VolumeListing,
}

impl Entry {
    pub fn uid(&self) -> &str {
        self.pod.metadata.uid.as_deref().unwrap_or_default()
    }

    /// The lookup key with the UID set, for status updates.
    pub fn key(&self) -> PodKey {
        PodKey::of(&self.pod)
    }
}

type Shard = HashMap<String, Entry>;

/// All pods, sharded by namespace/name.
#[derive(Debug)]
pub struct PodTable {
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
}

impl Default for PodTable {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

/// The table key: namespaces and names cannot contain '/', so this is unique.
pub fn table_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// The table key of a pod object.
pub fn pod_table_key(pod: &Pod) -> String {
    let meta = &pod.metadata;
    table_key(
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
    )
}

/// NOT_FOUND for `key`, naming the UID when the lookup asked for one.
pub fn not_found(key: &PodKey) -> ProviderError {
    match &key.uid {
        Some(uid) => ProviderError::NotFound(format!(
            "pod {key} (uid {uid}) is not held by the mock plugin"
        )),
        None => ProviderError::NotFound(format!("pod {key} is not held by the mock plugin")),
    }
}

impl PodTable {
    fn shard(&self, key: &str) -> &RwLock<Shard> {
        let index = self.hasher.hash_one(key) as usize % self.shards.len();
        &self.shards[index]
    }

    /// Runs `f` on the entry under `key` with the shard read-locked.
    pub fn read<R>(&self, key: &str, f: impl FnOnce(Option<&Entry>) -> R) -> R {
        f(self.shard(key).read().get(key))
    }

    /// Runs `f` on the shard holding `key`, write-locked.
    pub fn write<R>(&self, key: &str, f: impl FnOnce(&mut Shard) -> R) -> R {
        f(&mut self.shard(key).write())
    }

    /// A copy of the entry `key` identifies (namespace/name and, when set, UID).
    pub fn get(&self, key: &PodKey) -> Result<Entry, ProviderError> {
        self.read(&table_key(&key.namespace, &key.name), |entry| {
            entry
                .filter(|e| key.uid.as_deref().is_none_or(|uid| uid == e.uid()))
                .cloned()
                .ok_or_else(|| not_found(key))
        })
    }

    /// Copies of every entry (cheap: the pod objects are shared).
    pub fn snapshot(&self) -> Vec<Entry> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            all.extend(shard.read().values().cloned());
        }
        all
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::clock::now;

    fn entry(uid: &str) -> Entry {
        let at = now();
        Entry {
            pod: Arc::new(Pod {
                metadata: ObjectMeta {
                    namespace: Some("ns".into()),
                    name: Some("p".into()),
                    uid: Some(uid.into()),
                    ..Default::default()
                },
                ..Default::default()
            }),
            life: Lifecycle::new(at, at),
            pod_ip: Ipv4Addr::LOCALHOST,
            updates: 0,
            volumes: Default::default(),
        }
    }

    #[test]
    fn lookups_check_the_uid_when_given() {
        let table = PodTable::default();
        table.write("ns/p", |shard| shard.insert("ns/p".into(), entry("u1")));
        let mut key = PodKey {
            namespace: "ns".into(),
            name: "p".into(),
            uid: None,
        };
        assert_eq!(table.get(&key).expect("held").uid(), "u1");
        key.uid = Some("u1".into());
        assert!(table.get(&key).is_ok());
        key.uid = Some("u2".into());
        let error = table.get(&key).expect_err("other uid");
        assert!(error.to_string().contains("ns/p (uid u2)"), "{error}");
        assert_eq!(table.len(), 1);
        assert_eq!(table.snapshot().len(), 1);
    }
}
