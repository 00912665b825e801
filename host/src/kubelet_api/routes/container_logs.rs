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
use k8s_openapi::jiff::fmt::temporal::Pieces;
use vk_proto::v1::{ContainerLogsRequest, PodRef};

use crate::kubelet_api::{ApiError, ApiState};

/// `kubectl logs` options, checked (the kubelet's rules: tailLines >= 0,
/// limitBytes >= 1, sinceSeconds >= 1, not both sinceSeconds and sinceTime).
/// A `sinceTime` in the future means now.
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
    let since_time = get("sinceTime")
        .map(|text| since_time(text, now))
        .transpose()?;
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

/// `sinceTime`, clamped to `now`: a time in the future shows what comes
/// from now on. RFC 3339 has years up to 9999 and `Timestamp` stops on
/// 9999-12-30, so a valid time it cannot hold is in the future too (or, at
/// year 0 and before, in the distant past: everything).
fn since_time(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let invalid =
        |e: &dyn std::fmt::Display| format!("sinceTime={text:?}: not an RFC 3339 time ({e})");
    match text.parse::<Timestamp>() {
        Ok(time) => Ok(time.min(now)),
        Err(error) => {
            let pieces = Pieces::parse(text).map_err(|_| invalid(&error))?;
            if pieces.time().is_none() || pieces.to_numeric_offset().is_none() {
                return Err(invalid(&error));
            }
            Ok(if pieces.date().year() > 0 {
                now
            } else {
                Timestamp::MIN
            })
        }
    }
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
    fn a_since_time_in_the_future_means_now() {
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().expect("now");
        for future in [
            "2026-11-25T12:00:01Z",
            "2100-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999999-12:00",
        ] {
            let options = parse(&[("sinceTime", future)]).expect(future);
            assert_eq!(
                options.since_unix_seconds,
                Some(now.as_second()),
                "{future}"
            );
        }
        let past = parse(&[("sinceTime", "0000-01-01T00:00:00Z")]).expect("year 0");
        assert!(past.since_unix_seconds < Some(0), "{past:?}");
        for invalid in ["9999-12-31", "9999-12-31T23:59:59", "9999-13-31T23:59:59Z"] {
            let error = parse(&[("sinceTime", invalid)]).expect_err(invalid);
            assert!(error.contains("not an RFC 3339 time"), "{error}");
        }
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

/// Property tests: any query a client sends is parsed or refused with a
/// short reason, never a panic, and what is accepted obeys the kubelet's
/// rules.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    const NAMES: &[&str] = &[
        "follow",
        "tailLines",
        "limitBytes",
        "sinceSeconds",
        "sinceTime",
        "timestamps",
        "previous",
    ];

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::sample::select(NAMES).prop_map(str::to_owned),
            1 => any::<String>(),
        ]
    }

    /// Values near what the parser looks for, and anything at all.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            any::<i64>().prop_map(|n| n.to_string()),
            (-5i64..5).prop_map(|n| n.to_string()),
            "[0-9]{15,30}",
            proptest::sample::select(&["", "1", "0", "t", "true", "False", "yes"][..])
                .prop_map(str::to_owned),
            (Timestamp::MIN.as_second()..=Timestamp::MAX.as_second()).prop_map(|s| {
                Timestamp::from_second(s)
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            }),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})",
        ]
    }

    fn now() -> impl Strategy<Value = Timestamp> {
        (Timestamp::MIN.as_second()..=Timestamp::MAX.as_second())
            .prop_map(|s| Timestamp::from_second(s).expect("in range"))
    }

    proptest! {
        #![proptest_config(ProptestConfig {
        // Failures are kept as named unit tests, not in files.
        failure_persistence: None,
        ..ProptestConfig::with_cases(256)
    })]

        #[test]
        fn any_query_is_parsed_or_refused_with_a_short_reason(
            pairs in proptest::collection::vec((name(), value()), 0..10),
            now in now(),
        ) {
            let input: usize = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
            match parse_log_query(&pairs, now) {
                Ok(options) => {
                    prop_assert!(options.tail_lines.is_none_or(|n| n >= 0));
                    prop_assert!(options.limit_bytes.is_none_or(|n| n >= 1));
                }
                Err(reason) => {
                    prop_assert!(!reason.is_empty());
                    // The reason quotes at most one value, escaped (`\u{10ffff}`
                    // is 10 bytes for a 4-byte character).
                    prop_assert!(reason.len() <= 10 * input + 200, "{} bytes", reason.len());
                }
            }
        }

        #[test]
        fn valid_options_are_read_back_as_given(
            follow in any::<bool>(),
            timestamps in any::<bool>(),
            previous in any::<bool>(),
            tail_lines in proptest::option::of(0..=i64::MAX),
            limit_bytes in proptest::option::of(1..=i64::MAX),
            since in proptest::option::of(prop_oneof![
                (1..=i64::MAX).prop_map(Err),
                // Times up to now: a later one may be clamped.
                (0u32..=4_000_000_000).prop_map(Ok),
            ]),
        ) {
            let now: Timestamp = "2026-11-25T12:00:00Z".parse().expect("now");
            let mut pairs = vec![
                ("follow".to_owned(), follow.to_string()),
                ("timestamps".to_owned(), if timestamps { "1" } else { "0" }.to_owned()),
                ("previous".to_owned(), if previous { "T" } else { "F" }.to_owned()),
            ];
            pairs.extend(tail_lines.map(|n| ("tailLines".to_owned(), n.to_string())));
            pairs.extend(limit_bytes.map(|n| ("limitBytes".to_owned(), n.to_string())));
            let since_unix_seconds = match since {
                None => None,
                Some(Err(seconds)) => {
                    pairs.push(("sinceSeconds".to_owned(), seconds.to_string()));
                    Some(now.as_second().saturating_sub(seconds))
                }
                Some(Ok(ago)) => {
                    let time = Timestamp::from_second(now.as_second() - i64::from(ago))
                        .expect("in range");
                    pairs.push(("sinceTime".to_owned(), time.to_string()));
                    Some(time.as_second())
                }
            };
            let expected = LogOptions {
                follow,
                tail_lines,
                limit_bytes,
                since_unix_seconds,
                timestamps,
                previous,
            };
            prop_assert_eq!(parse_log_query(&pairs, now), Ok(expected));
        }
    }
}
