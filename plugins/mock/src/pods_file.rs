//! The optional `pods_file`: a JSON listing of the pods the plugin holds,
//! kept current on disk so that tests running vk-host as a separate process
//! can see what the plugin holds (and that an UpdatePod arrived) without a
//! client of their own on the plugin's authenticated socket.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;

use crate::MockProvider;

/// How often the listing is compared with the file and rewritten if changed.
const INTERVAL: Duration = Duration::from_millis(100);

/// One held pod in the listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// The labels of the pod as last created or updated.
    pub labels: BTreeMap<String, String>,
    /// How many UpdatePod calls it has seen.
    pub updates: u64,
    /// DeletePod was called (the pod is terminating or terminated).
    pub deleted: bool,
    /// Every container's env as received (init containers first): name and
    /// literal value, `null` for an entry still holding a `valueFrom` (a
    /// pod IP the host has not resolved yet).
    pub env: BTreeMap<String, Vec<(String, Option<String>)>>,
    /// Every container's `command` and `args` as received (after the host
    /// expanded `$(VAR)` references).
    pub commands: BTreeMap<String, (Vec<String>, Vec<String>)>,
    /// With `fetch_volumes`: volume name → file path → size in bytes.
    pub volumes: BTreeMap<String, BTreeMap<String, usize>>,
}

/// The env of every container of `pod`, for the listing.
pub fn environments(pod: &Pod) -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let Some(spec) = pod.spec.as_ref() else {
        return BTreeMap::new();
    };
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .map(|container| {
            let env = container
                .env
                .iter()
                .flatten()
                .map(|var| {
                    let value = var
                        .value_from
                        .is_none()
                        .then(|| var.value.clone().unwrap_or_default());
                    (var.name.clone(), value)
                })
                .collect();
            (container.name.clone(), env)
        })
        .collect()
}

/// The `command` and `args` of every container of `pod`, for the listing.
pub fn commands(pod: &Pod) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let Some(spec) = pod.spec.as_ref() else {
        return BTreeMap::new();
    };
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .map(|container| {
            (
                container.name.clone(),
                (
                    container.command.clone().unwrap_or_default(),
                    container.args.clone().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

/// Rewrites `path` (write to a temporary file, then rename, so a reader
/// never sees half a file) whenever the listing changes. Runs until the
/// process ends; write errors are logged and retried on the next change.
pub async fn keep_written(provider: MockProvider, path: PathBuf) {
    let temporary = path.with_extension("tmp");
    let mut written: Option<Vec<Listed>> = None;
    loop {
        let listing = provider.listing();
        if written.as_ref() != Some(&listing) {
            let result = serde_json::to_vec_pretty(&listing)
                .map_err(std::io::Error::other)
                .and_then(|json| std::fs::write(&temporary, json))
                .and_then(|()| std::fs::rename(&temporary, &path));
            match result {
                Ok(()) => written = Some(listing),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot write the pods file");
                }
            }
        }
        tokio::time::sleep(INTERVAL).await;
    }
}
