//! `/containerLogs/{namespace}/{pod}/{container}`: the plugin's
//! GetContainerLogs stream as a chunked response. The body pulls the next
//! chunk from the gRPC stream only when the client has taken the previous
//! one, so a slow reader slows the plugin (gRPC flow control) instead of
//! growing a buffer here; a client that goes away cancels the call. A
//! failure the plugin reports at once is an HTTP status; one that comes
//! later (or after a quiet start, see
//! [`PluginClient::container_logs`](crate::plugin_process::PluginClient::container_logs))
//! ends the body.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use http::header::CONTENT_TYPE;
use k8s_openapi::jiff::Timestamp;
use vk_proto::v1::{ContainerLogsRequest, PodRef};

use crate::kubelet_api::{ApiError, ApiState};

/// `kubectl logs` options, checked (the kubelet's rules: tailLines >= 0,
/// limitBytes >= 1, sinceSeconds >= 1, not both sinceSeconds and sinceTime).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub tail_lines: Option<i64>,
    pub limit_bytes: Option<i64>,
    /// From `sinceSeconds` (relative to now) or `sinceTime`.
    pub since_unix_seconds: Option<i64>,
    pub timestamps: bool,
    pub previous: bool,
}

/// Reads the query parameters (the first of repeated ones, as Go's
/// `url.Values.Get`); unknown ones are ignored, like the kubelet.
pub fn parse_log_query(pairs: &[(String, String)], now: Timestamp) -> Result<LogOptions, String> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let boolean = |name: &str| -> Result<bool, String> {
        match get(name) {
            None | Some("") => Ok(false),
            Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
            Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
            Some(other) => Err(format!("{name}={other:?}: must be true or false")),
        }
    };
    let integer = |name: &str, min: i64| -> Result<Option<i64>, String> {
        let Some(text) = get(name) else {
            return Ok(None);
        };
        let value: i64 = text
            .parse()
            .map_err(|_| format!("{name}={text:?}: must be an integer"))?;
        if value < min {
            return Err(format!("{name}={value}: must be at least {min}"));
        }
        Ok(Some(value))
    };
    let since_seconds = integer("sinceSeconds", 1)?;
    let since_time = match get("sinceTime") {
        Some(text) => Some(
            text.parse::<Timestamp>()
                .map_err(|e| format!("sinceTime={text:?}: not an RFC 3339 time ({e})"))?,
        ),
        None => None,
    };
    let since_unix_seconds = match (since_seconds, since_time) {
        (Some(_), Some(_)) => {
            return Err("sinceSeconds and sinceTime cannot both be given".into());
        }
        (Some(seconds), None) => Some(now.as_second().saturating_sub(seconds)),
        (None, Some(time)) => Some(time.as_second()),
        (None, None) => None,
    };
    Ok(LogOptions {
        follow: boolean("follow")?,
        tail_lines: integer("tailLines", 0)?,
        limit_bytes: integer("limitBytes", 1)?,
        since_unix_seconds,
        timestamps: boolean("timestamps")?,
        previous: boolean("previous")?,
    })
}

/// The plugin request for these options.
pub fn log_request(pod: PodRef, container: &str, options: &LogOptions) -> ContainerLogsRequest {
    ContainerLogsRequest {
        pod: Some(pod),
        container: container.to_owned(),
        tail_lines: options.tail_lines,
        limit_bytes: options.limit_bytes,
        since_unix_seconds: options.since_unix_seconds,
        timestamps: options.timestamps,
        follow: options.follow,
        previous: options.previous,
    }
}

pub async fn handler(
    State(state): State<ApiState>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let options = parse_log_query(&query, Timestamp::now()).map_err(ApiError::BadRequest)?;
    crate::kubelet_api::state::check_container_name(&container)?;
    let bound = state.bound_pod(&namespace, &pod).await?;
    if !bound.has_container(&container) {
        return Err(ApiError::NotFound(format!(
            "container {container:?} not found in pod {namespace}/{pod}"
        )));
    }
    let request = log_request(bound.reference, &container, &options);
    let stream = state.plugin_client()?.container_logs(request).await?;
    // The limit is enforced here too: a plugin that ignores it costs the
    // client nothing more than it asked for.
    let limit = options
        .limit_bytes
        .and_then(|limit| usize::try_from(limit).ok());
    let key = format!("{namespace}/{pod}/{container}");
    let body = futures::stream::unfold(
        (stream, limit, key),
        move |(mut stream, remaining, key)| async move {
            if remaining == Some(0) {
                return None;
            }
            match stream.next().await? {
                Ok(mut data) => {
                    let remaining = remaining.map(|left| {
                        data.truncate(left);
                        left - data.len()
                    });
                    Some((Ok::<_, std::io::Error>(data), (stream, remaining, key)))
                }
                Err(error) => {
                    tracing::warn!(container = %key, %error, "log stream from the plugin failed");
                    let error = std::io::Error::other(format!("log stream failed: {error}"));
                    Some((Err(error), (stream, Some(0), key)))
                }
            }
        },
    )
    .filter(|item| std::future::ready(!matches!(item, Ok(data) if data.is_empty())));
    Ok((
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from_stream(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<LogOptions, String> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().expect("now");
        parse_log_query(&pairs, now)
    }

    #[test]
    fn every_option_reaches_the_plugin_request() {
        let options = parse(&[
            ("follow", "true"),
            ("tailLines", "10"),
            ("limitBytes", "500"),
            ("sinceSeconds", "60"),
            ("timestamps", "1"),
            ("previous", "false"),
            ("unknown", "ignored"),
        ])
        .expect("valid");
        let pod = PodRef {
            namespace: "ns".into(),
            name: "p".into(),
            uid: "u".into(),
        };
        let request = log_request(pod.clone(), "c", &options);
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().expect("now");
        assert_eq!(
            request,
            ContainerLogsRequest {
                pod: Some(pod),
                container: "c".into(),
                tail_lines: Some(10),
                limit_bytes: Some(500),
                since_unix_seconds: Some(now.as_second() - 60),
                timestamps: true,
                follow: true,
                previous: false,
            }
        );
        assert_eq!(parse(&[]).expect("empty"), LogOptions::default());
    }

    #[test]
    fn since_time_is_rfc3339_with_any_offset() {
        let options = parse(&[("sinceTime", "2026-11-25T13:00:00+01:00")]).expect("valid");
        let expected: Timestamp = "2026-11-25T12:00:00Z".parse().expect("ts");
        assert_eq!(options.since_unix_seconds, Some(expected.as_second()));
    }

    #[test]
    fn invalid_values_are_refused_with_the_reason() {
        for (query, why) in [
            (
                vec![("tailLines", "-1")],
                "tailLines=-1: must be at least 0",
            ),
            (
                vec![("tailLines", "ten")],
                "tailLines=\"ten\": must be an integer",
            ),
            (
                vec![("limitBytes", "0")],
                "limitBytes=0: must be at least 1",
            ),
            (
                vec![("sinceSeconds", "0")],
                "sinceSeconds=0: must be at least 1",
            ),
            (
                vec![("follow", "yes")],
                "follow=\"yes\": must be true or false",
            ),
            (
                vec![("sinceSeconds", "5"), ("sinceTime", "2026-11-25T12:00:00Z")],
                "sinceSeconds and sinceTime cannot both be given",
            ),
        ] {
            assert_eq!(parse(&query).expect_err(why), why);
        }
        let error = parse(&[("sinceTime", "yesterday")]).expect_err("time");
        assert!(
            error.starts_with("sinceTime=\"yesterday\": not an RFC 3339 time"),
            "{error}"
        );
    }
}
