//! Hand-written `Debug` for the messages that carry Secret values, tokens
//! or pods with their environment resolved (values from Secrets): sizes and
//! identifiers only, never the contents. build.rs lists them in
//! `skip_debug`, so prost derives no `Debug` that would print them.

use std::fmt;

use crate::v1::{
    CreatePodRequest, CreateServiceAccountTokenResponse, DeletePodRequest, GetContainerEnvResponse,
    GetPodResponse, GetPodsResponse, GetSecretResponse, UpdatePodRequest,
};

/// `<N bytes redacted>` for one value.
struct Redacted(usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes redacted>", self.0)
    }
}

impl fmt::Debug for GetSecretResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetSecretResponse")
            .field(
                "data",
                &entries(
                    self.data
                        .iter()
                        .map(|(key, value)| (key, Redacted(value.len()))),
                ),
            )
            .field("type", &self.r#type)
            .field("resource_version", &self.resource_version)
            .finish()
    }
}

impl fmt::Debug for CreateServiceAccountTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateServiceAccountTokenResponse")
            .field("token", &Redacted(self.token.len()))
            .field("expiration_unix_seconds", &self.expiration_unix_seconds)
            .finish()
    }
}

macro_rules! pod_message {
    ($message:ty, $name:literal) => {
        impl fmt::Debug for $message {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct($name)
                    .field("pod", &Redacted(self.pod.len()))
                    .finish()
            }
        }
    };
}

pod_message!(CreatePodRequest, "CreatePodRequest");
pod_message!(UpdatePodRequest, "UpdatePodRequest");
pod_message!(DeletePodRequest, "DeletePodRequest");
pod_message!(GetPodResponse, "GetPodResponse");

impl fmt::Debug for GetContainerEnvResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetContainerEnvResponse")
            .field("container", &Redacted(self.container.len()))
            .finish()
    }
}

impl fmt::Debug for GetPodsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetPodsResponse")
            .field(
                "pods",
                &self
                    .pods
                    .iter()
                    .map(|pod| Redacted(pod.len()))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A map's entries for `debug_map`, sorted as the map iterates.
fn entries<K: fmt::Debug, V: fmt::Debug>(items: impl Iterator<Item = (K, V)>) -> DebugMap<K, V> {
    DebugMap(items.collect())
}

struct DebugMap<K, V>(Vec<(K, V)>);

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for DebugMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_show() {
        let secret = GetSecretResponse {
            data: [(
                "password".to_owned(),
                prost::bytes::Bytes::from_static(b"hunter2"),
            )]
            .into(),
            r#type: "Opaque".into(),
            resource_version: "7".into(),
        };
        let shown = format!("{secret:?} {secret:#?}");
        assert!(
            shown.contains("password") && shown.contains("<7 bytes redacted>"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("104, 117"),
            "{shown}"
        );
        let token = CreateServiceAccountTokenResponse {
            token: "eyJhbGciOi".into(),
            expiration_unix_seconds: 1,
        };
        assert!(!format!("{token:?}").contains("eyJ"));
        let pod = CreatePodRequest {
            pod: prost::bytes::Bytes::from_static(br#"{"env":[{"value":"hunter2"}]}"#),
        };
        assert_eq!(
            format!("{pod:?}"),
            "CreatePodRequest { pod: <29 bytes redacted> }"
        );
        let pods = GetPodsResponse {
            pods: vec![pod.pod.clone()],
        };
        assert!(!format!("{pods:?}").contains("hunter2"));
        let container = GetContainerEnvResponse {
            container: prost::bytes::Bytes::from_static(br#"{"env":[{"value":"hunter2"}]}"#),
        };
        assert_eq!(
            format!("{container:?}"),
            "GetContainerEnvResponse { container: <29 bytes redacted> }"
        );
    }
}
