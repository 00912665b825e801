//! The files of a pod's `secret`, `configMap` and `projected` volumes
//! (including the `kube-api-access-*` volume Kubernetes injects: a bound
//! token, the cluster CA and the namespace), built the way the kubelet
//! builds them, from data fetched through [`HostClient`]. A plugin writes
//! them wherever its runtime mounts volumes from.

use bytes::Bytes;
use k8s_openapi::api::core::v1::{KeyToPath, Pod, Volume};
use tonic::{Code, Status};

use crate::callbacks::HostClient;
use crate::provider::PodKey;

/// A projected token's lifetime when the volume does not say (the API
/// server's default for `serviceAccountToken.expirationSeconds`).
const DEFAULT_TOKEN_SECONDS: i64 = 3600;

/// One file of a volume. Its `Debug` never shows the contents.
#[derive(Clone)]
pub struct VolumeFile {
    /// Path relative to the volume's root, e.g. `token` or `conf/app.yaml`.
    pub path: String,
    pub contents: Bytes,
    /// Permission bits (`items[].mode`, else the volume's `defaultMode`,
    /// else 0644).
    pub mode: i32,
}

impl std::fmt::Debug for VolumeFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeFile")
            .field("path", &self.path)
            .field("bytes", &self.contents.len())
            .field("mode", &format_args!("{:o}", self.mode))
            .finish()
    }
}

/// What a volume's files were built from, to notice changes on re-fetch
/// (the proto's update rule): `(kind/name, resourceVersion)` pairs and the
/// earliest token expiry (Unix seconds), if a token is part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeVersions {
    pub objects: Vec<(String, String)>,
    pub token_expires_unix_seconds: Option<i64>,
}

/// The files of `volume` of `pod`, or `Ok(None)` for a volume type this
/// helper does not build (emptyDir, hostPath, ...: the plugin's own). A
/// required object that does not exist is NOT_FOUND, a required key missing
/// from it FAILED_PRECONDITION: the pod cannot start yet.
pub async fn volume_files(
    host: &HostClient,
    pod: &Pod,
    volume: &Volume,
) -> Result<Option<(Vec<VolumeFile>, VolumeVersions)>, Status> {
    let key = PodKey {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        name: pod.metadata.name.clone().unwrap_or_default(),
        uid: pod.metadata.uid.clone(),
    };
    let mut files = Vec::new();
    let mut versions = VolumeVersions::default();
    if let Some(source) = &volume.secret {
        let name = source.secret_name.clone().unwrap_or_default();
        let mode = source.default_mode.unwrap_or(0o644);
        if let Some(secret) = optional(host.get_secret(&key, &name).await, source.optional)? {
            versions
                .objects
                .push((format!("Secret/{name}"), secret.resource_version.clone()));
            let data = secret.data.into_iter().collect();
            project(
                &mut files,
                data,
                source.items.as_deref(),
                mode,
                "Secret",
                &name,
                source.optional,
            )?;
        }
    } else if let Some(source) = &volume.config_map {
        let mode = source.default_mode.unwrap_or(0o644);
        if let Some(map) = optional(
            host.get_config_map(&key, &source.name).await,
            source.optional,
        )? {
            versions.objects.push((
                format!("ConfigMap/{}", source.name),
                map.resource_version.clone(),
            ));
            project(
                &mut files,
                config_map_data(map),
                source.items.as_deref(),
                mode,
                "ConfigMap",
                &source.name,
                source.optional,
            )?;
        }
    } else if let Some(projected) = &volume.projected {
        let mode = projected.default_mode.unwrap_or(0o644);
        for source in projected.sources.iter().flatten() {
            if let Some(secret_source) = &source.secret {
                let name = &secret_source.name;
                if let Some(secret) =
                    optional(host.get_secret(&key, name).await, secret_source.optional)?
                {
                    versions
                        .objects
                        .push((format!("Secret/{name}"), secret.resource_version.clone()));
                    let data = secret.data.into_iter().collect();
                    project(
                        &mut files,
                        data,
                        secret_source.items.as_deref(),
                        mode,
                        "Secret",
                        name,
                        secret_source.optional,
                    )?;
                }
            }
            if let Some(map_source) = &source.config_map {
                let name = &map_source.name;
                if let Some(map) =
                    optional(host.get_config_map(&key, name).await, map_source.optional)?
                {
                    versions
                        .objects
                        .push((format!("ConfigMap/{name}"), map.resource_version.clone()));
                    project(
                        &mut files,
                        config_map_data(map),
                        map_source.items.as_deref(),
                        mode,
                        "ConfigMap",
                        name,
                        map_source.optional,
                    )?;
                }
            }
            if let Some(token_source) = &source.service_account_token {
                let audiences = token_source
                    .audience
                    .iter()
                    .filter(|a| !a.is_empty())
                    .cloned()
                    .collect();
                let seconds = token_source
                    .expiration_seconds
                    .unwrap_or(DEFAULT_TOKEN_SECONDS);
                let token = host
                    .create_service_account_token(&key, audiences, seconds)
                    .await?;
                versions.token_expires_unix_seconds = Some(
                    versions
                        .token_expires_unix_seconds
                        .map_or(token.expiration_unix_seconds, |t| {
                            t.min(token.expiration_unix_seconds)
                        }),
                );
                files.push(VolumeFile {
                    path: token_source.path.clone(),
                    contents: Bytes::from(token.token),
                    mode,
                });
            }
            if let Some(downward) = &source.downward_api {
                for item in downward.items.iter().flatten() {
                    let Some(field) = &item.field_ref else {
                        continue;
                    };
                    let value = metadata_field(pod, &field.field_path).ok_or_else(|| {
                        Status::invalid_argument(format!(
                            "downwardAPI field {} is not supported by this helper",
                            field.field_path
                        ))
                    })?;
                    files.push(VolumeFile {
                        path: item.path.clone(),
                        contents: Bytes::from(value),
                        mode: item.mode.unwrap_or(mode),
                    });
                }
            }
        }
    } else {
        return Ok(None);
    }
    Ok(Some((files, versions)))
}

/// NOT_FOUND of an optional source is "no data"; everything else stays.
fn optional<T>(result: Result<T, Status>, optional: Option<bool>) -> Result<Option<T>, Status> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(status) if status.code() == Code::NotFound && optional == Some(true) => Ok(None),
        Err(status) => Err(status),
    }
}

fn config_map_data(map: crate::callbacks::ConfigMapData) -> Vec<(String, Bytes)> {
    map.data
        .into_iter()
        .map(|(key, value)| (key, Bytes::from(value)))
        .chain(map.binary_data)
        .collect()
}

/// Files from an object's data: every key, or only `items` (to their paths).
fn project(
    files: &mut Vec<VolumeFile>,
    data: Vec<(String, Bytes)>,
    items: Option<&[KeyToPath]>,
    mode: i32,
    kind: &str,
    name: &str,
    optional: Option<bool>,
) -> Result<(), Status> {
    match items {
        None | Some([]) => files.extend(data.into_iter().map(|(path, contents)| VolumeFile {
            path,
            contents,
            mode,
        })),
        Some(items) => {
            for item in items {
                match data.iter().find(|(key, _)| *key == item.key) {
                    Some((_, contents)) => files.push(VolumeFile {
                        path: item.path.clone(),
                        contents: contents.clone(),
                        mode: item.mode.unwrap_or(mode),
                    }),
                    None if optional == Some(true) => {}
                    None => {
                        return Err(Status::failed_precondition(format!(
                            "configured to use key {} of {kind} {name}, which has no such key",
                            item.key
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The downward-API metadata fields a plugin can read from the pod itself.
fn metadata_field(pod: &Pod, path: &str) -> Option<String> {
    let meta = &pod.metadata;
    let pairs = |map: &Option<std::collections::BTreeMap<String, String>>| {
        map.iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match path {
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.name" => meta.name.clone(),
        "metadata.uid" => meta.uid.clone(),
        "metadata.labels" => Some(pairs(&meta.labels)),
        "metadata.annotations" => Some(pairs(&meta.annotations)),
        _ => None,
    }
}
