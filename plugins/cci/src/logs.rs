//! Container logs: the remote `pods/log` with the request's options,
//! streamed back as it arrives.

use futures::AsyncReadExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use vk_plugin_sdk::{ByteStream, LogsRequest, ProviderError};

use crate::errors;

/// Bytes read from the remote stream at a time.
const CHUNK: usize = 16 * 1024;

/// The remote log options of `request`.
pub fn params(request: &LogsRequest) -> LogParams {
    LogParams {
        container: Some(request.container.clone()),
        follow: request.follow,
        limit_bytes: request.limit_bytes,
        previous: request.previous,
        since_time: request
            .since_unix_seconds
            .and_then(|s| k8s_openapi::jiff::Timestamp::from_second(s).ok()),
        tail_lines: request.tail_lines,
        timestamps: request.timestamps,
        ..Default::default()
    }
}

/// Streams the logs of `remote_name`'s container.
pub async fn stream(
    api: &Api<Pod>,
    remote_name: &str,
    request: &LogsRequest,
) -> Result<ByteStream, ProviderError> {
    let what = format!(
        "logs of container {} of pod {} (remote {remote_name})",
        request.container, request.pod
    );
    let reader = api
        .log_stream(remote_name, &params(request))
        .await
        .map_err(|e| match errors::remote(&what, e) {
            // "container is waiting to start" and the like.
            ProviderError::InvalidArgument(m) => ProviderError::FailedPrecondition(m),
            other => other,
        })?;
    let reader = Box::pin(reader);
    let chunks = futures::stream::unfold((reader, what), |(mut reader, what)| async move {
        let mut buffer = vec![0u8; CHUNK];
        match reader.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(bytes::Bytes::from(buffer)), (reader, what)))
            }
            Err(error) => Some((
                Err(ProviderError::Unavailable(format!("{what}: {error}"))),
                (reader, what.clone()),
            )),
        }
    });
    // End after an error rather than reading on.
    let mut failed = false;
    Ok(Box::pin(futures::StreamExt::take_while(
        chunks,
        move |item| {
            let go = !failed;
            failed |= item.is_err();
            futures::future::ready(go)
        },
    )))
}

#[cfg(test)]
mod tests {
    use vk_plugin_sdk::PodKey;

    use super::*;

    #[test]
    fn every_option_is_passed_on() {
        let request = LogsRequest {
            pod: PodKey::default(),
            container: "app".into(),
            tail_lines: Some(5),
            limit_bytes: Some(100),
            since_unix_seconds: Some(1_700_000_000),
            timestamps: true,
            follow: true,
            previous: true,
        };
        let params = params(&request);
        assert_eq!(params.container.as_deref(), Some("app"));
        assert_eq!(params.tail_lines, Some(5));
        assert_eq!(params.limit_bytes, Some(100));
        assert!(params.timestamps && params.follow && params.previous);
        assert_eq!(
            params.since_time.map(|t| t.as_second()),
            Some(1_700_000_000)
        );
    }
}
