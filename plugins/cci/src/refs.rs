//! The Secrets and ConfigMaps a pod spec references (volumes, projected
//! sources, env, envFrom, imagePullSecrets), and rewriting those references
//! to other names (the remote copies, or back to the local names).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use serde::{Deserialize, Serialize};

/// The kind of a referenced object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Secret,
    ConfigMap,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Secret => "Secret",
            Self::ConfigMap => "ConfigMap",
        })
    }
}

/// Every object referenced, with whether all of its references are
/// optional (a missing optional object is not copied; the pod still starts).
pub type References = BTreeMap<(Kind, String), bool>;

/// What the references of `spec` are, by kind and name.
pub fn collect(spec: &PodSpec) -> References {
    let mut found = References::new();
    let mut add = |kind: Kind, name: &str, optional: Option<bool>| {
        if name.is_empty() {
            return;
        }
        let optional = optional.unwrap_or(false);
        found
            .entry((kind, name.to_owned()))
            .and_modify(|all| *all &= optional)
            .or_insert(optional);
    };
    for volume in spec.volumes.iter().flatten() {
        if let Some(secret) = &volume.secret {
            add(
                Kind::Secret,
                secret.secret_name.as_deref().unwrap_or_default(),
                secret.optional,
            );
        }
        if let Some(map) = &volume.config_map {
            add(Kind::ConfigMap, &map.name, map.optional);
        }
        if let Some(projected) = &volume.projected {
            for source in projected.sources.iter().flatten() {
                if let Some(secret) = &source.secret {
                    add(Kind::Secret, &secret.name, secret.optional);
                }
                if let Some(map) = &source.config_map {
                    add(Kind::ConfigMap, &map.name, map.optional);
                }
            }
        }
    }
    for container in all_containers(spec) {
        for env in container.env.iter().flatten() {
            if let Some(from) = &env.value_from {
                if let Some(key) = &from.secret_key_ref {
                    add(Kind::Secret, &key.name, key.optional);
                }
                if let Some(key) = &from.config_map_key_ref {
                    add(Kind::ConfigMap, &key.name, key.optional);
                }
            }
        }
        for from in container.env_from.iter().flatten() {
            if let Some(secret) = &from.secret_ref {
                add(Kind::Secret, &secret.name, secret.optional);
            }
            if let Some(map) = &from.config_map_ref {
                add(Kind::ConfigMap, &map.name, map.optional);
            }
        }
    }
    // The kubelet pulls without a missing pull secret: optional.
    for secret in spec.image_pull_secrets.iter().flatten() {
        add(Kind::Secret, &secret.name, Some(true));
    }
    found
}

fn all_containers(spec: &PodSpec) -> impl Iterator<Item = &Container> {
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
}

/// Renames every reference of `spec` with `rename(kind, name)`; `None`
/// keeps the name.
pub fn rewrite(spec: &mut PodSpec, rename: &dyn Fn(Kind, &str) -> Option<String>) {
    let apply = |kind: Kind, name: &mut String| {
        if let Some(new) = rename(kind, name) {
            *name = new;
        }
    };
    for volume in spec.volumes.iter_mut().flatten() {
        if let Some(secret) = &mut volume.secret
            && let Some(name) = &mut secret.secret_name
        {
            apply(Kind::Secret, name);
        }
        if let Some(map) = &mut volume.config_map {
            apply(Kind::ConfigMap, &mut map.name);
        }
        if let Some(projected) = &mut volume.projected {
            for source in projected.sources.iter_mut().flatten() {
                if let Some(secret) = &mut source.secret {
                    apply(Kind::Secret, &mut secret.name);
                }
                if let Some(map) = &mut source.config_map {
                    apply(Kind::ConfigMap, &mut map.name);
                }
            }
        }
    }
    let containers = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten());
    for container in containers {
        for env in container.env.iter_mut().flatten() {
            if let Some(from) = &mut env.value_from {
                if let Some(key) = &mut from.secret_key_ref {
                    apply(Kind::Secret, &mut key.name);
                }
                if let Some(key) = &mut from.config_map_key_ref {
                    apply(Kind::ConfigMap, &mut key.name);
                }
            }
        }
        for from in container.env_from.iter_mut().flatten() {
            if let Some(secret) = &mut from.secret_ref {
                apply(Kind::Secret, &mut secret.name);
            }
            if let Some(map) = &mut from.config_map_ref {
                apply(Kind::ConfigMap, &mut map.name);
            }
        }
    }
    for secret in spec.image_pull_secrets.iter_mut().flatten() {
        apply(Kind::Secret, &mut secret.name);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use k8s_openapi::api::core::v1::{
        ConfigMapEnvSource, ConfigMapProjection, ConfigMapVolumeSource, EnvFromSource, EnvVar,
        EnvVarSource, LocalObjectReference, ProjectedVolumeSource, SecretKeySelector,
        SecretProjection, SecretVolumeSource, Volume, VolumeProjection,
    };

    use super::*;

    pub(crate) fn spec_with_references() -> PodSpec {
        PodSpec {
            containers: vec![Container {
                name: "app".into(),
                env: Some(vec![EnvVar {
                    name: "PASSWORD".into(),
                    value_from: Some(EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: "creds".into(),
                            key: "password".into(),
                            optional: None,
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                env_from: Some(vec![EnvFromSource {
                    config_map_ref: Some(ConfigMapEnvSource {
                        name: "settings".into(),
                        optional: Some(true),
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }],
            volumes: Some(vec![
                Volume {
                    name: "creds".into(),
                    secret: Some(SecretVolumeSource {
                        secret_name: Some("creds".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Volume {
                    name: "conf".into(),
                    config_map: Some(ConfigMapVolumeSource {
                        name: "settings".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Volume {
                    name: "both".into(),
                    projected: Some(ProjectedVolumeSource {
                        sources: Some(vec![
                            VolumeProjection {
                                secret: Some(SecretProjection {
                                    name: "tls".into(),
                                    optional: Some(true),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            },
                            VolumeProjection {
                                config_map: Some(ConfigMapProjection {
                                    name: "ca".into(),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            },
                        ]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ]),
            image_pull_secrets: Some(vec![LocalObjectReference {
                name: "registry".into(),
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn collects_every_kind_of_reference_with_optionality() {
        let found = collect(&spec_with_references());
        let expect = |kind, name: &str| found.get(&(kind, name.to_owned())).copied();
        assert_eq!(expect(Kind::Secret, "creds"), Some(false));
        // Optional in envFrom but required by the volume: required.
        assert_eq!(expect(Kind::ConfigMap, "settings"), Some(false));
        assert_eq!(expect(Kind::Secret, "tls"), Some(true));
        assert_eq!(expect(Kind::ConfigMap, "ca"), Some(false));
        assert_eq!(expect(Kind::Secret, "registry"), Some(true));
        assert_eq!(found.len(), 5);
    }

    #[test]
    fn rewrites_every_reference_and_back() {
        let mut spec = spec_with_references();
        rewrite(&mut spec, &|kind, name| Some(format!("p-{kind}-{name}")));
        let names: Vec<String> = collect(&spec).into_keys().map(|(_, name)| name).collect();
        assert!(names.iter().all(|n| n.starts_with("p-")), "{names:?}");
        assert!(names.contains(&"p-Secret-creds".to_owned()), "{names:?}");
        rewrite(&mut spec, &|kind, name| {
            name.strip_prefix(&format!("p-{kind}-")).map(str::to_owned)
        });
        assert_eq!(spec, spec_with_references());
    }
}
