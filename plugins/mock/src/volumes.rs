//! `fetch_volumes`: at CreatePod the mock builds the files of every
//! `secret`, `configMap` and `projected` volume (kube-api-access-* too)
//! through the host callbacks, as a real plugin would, and records their
//! paths and sizes (never their contents) for tests to read in the pods
//! file.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use vk_plugin_sdk::{HostClient, ProviderError, volume_files};

/// Volume name → file path → size in bytes.
pub type VolumeListing = BTreeMap<String, BTreeMap<String, usize>>;

/// Fetches every volume of `pod` the SDK helper builds. A callback error
/// fails the create with FAILED_PRECONDITION (the host retries), naming
/// the volume and the host's message.
pub async fn fetch(host: &HostClient, pod: &Pod) -> Result<VolumeListing, ProviderError> {
    let mut listing = VolumeListing::new();
    for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        match volume_files(host, pod, volume).await {
            Ok(Some((files, _versions))) => {
                listing.insert(
                    volume.name.clone(),
                    files
                        .into_iter()
                        .map(|f| (f.path, f.contents.len()))
                        .collect(),
                );
            }
            Ok(None) => {}
            Err(status) => {
                return Err(ProviderError::FailedPrecondition(format!(
                    "volume {}: {:?}: {}",
                    volume.name,
                    status.code(),
                    status.message()
                )));
            }
        }
    }
    Ok(listing)
}
