//! Streaming routes of the kubelet API (`/exec`, `/attach`, `/portForward`,
//! `/run`): WebSocket with the Kubernetes channel protocols, carried to the
//! plugin's bidirectional streams with backpressure end to end.
//!
//! Every request is checked before the upgrade (query, plugin capability,
//! pod bound here, container, uid), so a refusal is an HTTP status with a
//! `metav1.Status` body; after the upgrade the outcome travels on the error
//! channel. `/portForward` also accepts an upgrade to SPDY/3.1, which is how
//! the API server forwards `kubectl port-forward`; exec and attach over SPDY
//! are refused with 501 after the same checks (the API server reaches them
//! over WebSocket because the Node declares `ExtendWebSocketsToKubelet`).
//! A request that asks for no upgrade at all is a 400, as the kubelet
//! answers it.

mod channel;
mod exec;
mod options;
mod port_forward;
mod run;
mod spdy;

use std::collections::HashMap;

use axum::Router;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{FromRequestParts as _, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use tracing::Instrument as _;
use vk_proto::v1::{Capability, ExecStart, PodRef};

use self::channel::{Protocol, Refusal};
use self::exec::Kind;
use self::options::InvalidQuery;
use super::state::check_container_name;
use super::{ApiError, ApiState, PodLookupError};
use crate::plugin_process::PluginClient;

/// Largest WebSocket message or frame accepted from a client: kubectl
/// writes stdin in 32 KiB pieces; anything far larger would only be
/// buffered whole.
const MAX_CLIENT_MESSAGE: usize = 1024 * 1024;

/// The streaming routes, merged into the kubelet API's router.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/exec/{namespace}/{pod}/{container}", get(exec).post(exec))
        .route(
            "/exec/{namespace}/{pod}/{uid}/{container}",
            get(exec).post(exec),
        )
        .route(
            "/attach/{namespace}/{pod}/{container}",
            get(attach).post(attach),
        )
        .route(
            "/attach/{namespace}/{pod}/{uid}/{container}",
            get(attach).post(attach),
        )
        .route(
            "/portForward/{namespace}/{pod}",
            get(port_forward).post(port_forward),
        )
        .route(
            "/portForward/{namespace}/{pod}/{uid}",
            get(port_forward).post(port_forward),
        )
        .route("/run/{namespace}/{pod}/{container}", post(run))
        .route("/run/{namespace}/{pod}/{uid}/{container}", post(run))
}

/// Why a streaming request is refused before any stream opens.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error(transparent)]
    Query(#[from] InvalidQuery),
    /// The pod, the plugin or its capability (the kubelet API's one mapping).
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("container {container:?} not found in pod {namespace}/{pod}")]
    NoContainer {
        namespace: String,
        pod: String,
        container: String,
    },
    #[error("pod {namespace}/{pod} has uid {actual}, not {requested}")]
    OtherUid {
        namespace: String,
        pod: String,
        actual: String,
        requested: String,
    },
    #[error(
        "Upgrade request required: {what} needs an upgrade to WebSocket (subprotocol {protocols})"
    )]
    NoUpgrade {
        what: &'static str,
        protocols: &'static str,
    },
    #[error("{what} needs an upgrade to WebSocket (subprotocol {protocols})")]
    NotWebSocket {
        what: &'static str,
        protocols: &'static str,
    },
    #[error(
        "{what} over SPDY tunnelled in WebSocket ({offered}) is for the API server, which \
         forwards it to the node as SPDY/3.1; connect through the API server, or use \
         subprotocol {protocols}"
    )]
    SpdyTunnel {
        what: &'static str,
        offered: String,
        protocols: &'static str,
    },
    #[error(
        "none of the requested WebSocket subprotocols ({offered}) is supported; use {protocols}"
    )]
    Subprotocol {
        offered: String,
        protocols: &'static str,
    },
    #[error("none of the offered stream protocols ({offered}) is supported; use {protocols}")]
    StreamProtocol { offered: String, protocols: String },
    /// Not a refusal of the request as such: the plugin's answer to `/run`.
    #[error("{message}")]
    Failed {
        code: u16,
        reason: &'static str,
        message: String,
    },
}

impl From<PodLookupError> for Refused {
    fn from(error: PodLookupError) -> Self {
        Self::Api(error.into())
    }
}

impl Refused {
    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Api(error) => error.status_and_reason(),
            Self::Query(_)
            | Self::NoUpgrade { .. }
            | Self::Subprotocol { .. }
            | Self::StreamProtocol { .. } => (StatusCode::BAD_REQUEST, "BadRequest"),
            Self::NoContainer { .. } | Self::OtherUid { .. } => (StatusCode::NOT_FOUND, "NotFound"),
            Self::NotWebSocket { .. } | Self::SpdyTunnel { .. } => {
                (StatusCode::NOT_IMPLEMENTED, "NotImplemented")
            }
            Self::Failed { code, reason, .. } => (
                StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                reason,
            ),
        }
    }
}

impl IntoResponse for Refused {
    /// A `metav1.Status`, which client-go decodes from a failed upgrade and
    /// kubectl prints as `error: <message>`.
    fn into_response(self) -> Response {
        let (code, reason) = self.status();
        let message = self.to_string();
        let body = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code.as_u16(),
        });
        (
            code,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// The request's path parameters, by name.
type Params = HashMap<String, String>;

fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

/// The running plugin, if it declares `capability`: checked here, before
/// the upgrade, so that a refusal is still an HTTP status (the typed call
/// makes the same check).
fn plugin_for(state: &ApiState, capability: Capability) -> Result<PluginClient, Refused> {
    let plugin = state.plugin_client()?;
    plugin.require(capability).map_err(ApiError::from)?;
    Ok(plugin)
}

/// The pod named in the path, bound to this node, with the uid the path
/// names (if any) and the container it names (if any).
async fn target(state: &ApiState, params: &Params) -> Result<PodRef, Refused> {
    let (namespace, name) = (param(params, "namespace"), param(params, "pod"));
    if let Some(container) = params.get("container") {
        check_container_name(container)?;
    }
    let bound = state.bound_pod(namespace, name).await?;
    if let Some(requested) = params.get("uid")
        && *requested != bound.reference.uid
    {
        return Err(Refused::OtherUid {
            namespace: namespace.to_owned(),
            pod: name.to_owned(),
            actual: bound.reference.uid,
            requested: requested.clone(),
        });
    }
    if let Some(container) = params.get("container")
        && !bound.has_container(container)
    {
        return Err(Refused::NoContainer {
            namespace: namespace.to_owned(),
            pod: name.to_owned(),
            container: container.clone(),
        });
    }
    Ok(bound.reference)
}

/// Whether the request asks for some upgrade: an `Upgrade` header
/// (HTTP/1.1), or HTTP/2's extended CONNECT.
fn asks_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::CONNECT || headers.contains_key(header::UPGRADE)
}

/// The WebSocket upgrade and the negotiated protocol (`None`: the client
/// offered no subprotocol). `asked`: whether the request asks for an
/// upgrade at all ([`asks_upgrade`]).
fn websocket(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    asked: bool,
    what: &'static str,
    supported: &[Protocol],
) -> Result<(WebSocketUpgrade, Option<Protocol>), Refused> {
    let protocols = names(supported);
    let Ok(upgrade) = upgrade else {
        if !asked {
            return Err(Refused::NoUpgrade { what, protocols });
        }
        return Err(Refused::NotWebSocket { what, protocols });
    };
    let offered: Vec<String> = upgrade
        .requested_protocols()
        .filter_map(|value| value.to_str().ok())
        .map(str::to_owned)
        .collect();
    match channel::negotiate(&offered, supported) {
        Ok(None) => Ok((upgrade, None)),
        Ok(Some(protocol)) => Ok((upgrade.protocols([protocol.name()]), Some(protocol))),
        Err(Refusal::SpdyTunnel(offered)) => Err(Refused::SpdyTunnel {
            what,
            offered,
            protocols,
        }),
        Err(Refusal::Unsupported { offered }) => Err(Refused::Subprotocol {
            offered: offered.join(", "),
            protocols,
        }),
    }
}

fn names(supported: &[Protocol]) -> &'static str {
    if supported == channel::PORT_FORWARD {
        "v4.channel.k8s.io, or an upgrade to SPDY/3.1 with portforward.k8s.io"
    } else {
        "v5.channel.k8s.io, v4.channel.k8s.io or channel.k8s.io; vk-host serves exec and \
         attach over WebSocket only, not SPDY"
    }
}

fn limited(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
}

async fn exec(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let asked = asks_upgrade(&method, &headers);
    remote_command(Kind::Exec, state, params, query, (upgrade, asked))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn attach(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let asked = asks_upgrade(&method, &headers);
    remote_command(Kind::Attach, state, params, query, (upgrade, asked))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn remote_command(
    kind: Kind,
    state: ApiState,
    params: Params,
    query: Option<String>,
    (upgrade, asked): (Result<WebSocketUpgrade, WebSocketUpgradeRejection>, bool),
) -> Result<Response, Refused> {
    let (what, capability) = match kind {
        Kind::Exec => ("exec", Capability::Exec),
        Kind::Attach => ("attach", Capability::Attach),
    };
    let query = options::parse_query(query.as_deref());
    let options = options::stream_options(&query, kind == Kind::Exec)?;
    let plugin = plugin_for(&state, capability)?;
    let pod = target(&state, &params).await?;
    let (upgrade, protocol) = websocket(upgrade, asked, what, channel::REMOTE_COMMAND)?;
    let container = param(&params, "container").to_owned();
    let span = tracing::info_span!(
        "stream",
        kind = what,
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
        container = %container,
    );
    let session = exec::Session {
        kind,
        protocol: protocol.unwrap_or(Protocol::V1),
        start: ExecStart {
            pod: Some(pod),
            container,
            command: options.command,
            stdin: options.stdin,
            stdout: options.stdout,
            stderr: options.stderr,
            tty: options.tty,
            terminal_size: None,
        },
        plugin,
    };
    Ok(limited(upgrade).on_upgrade(move |socket| exec::run(socket, session).instrument(span)))
}

/// `/portForward`: an upgrade to SPDY/3.1 (what the API server sends for
/// `kubectl port-forward`) or to WebSocket.
async fn port_forward(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let result = if spdy::is_upgrade(request.headers()) {
        forward_spdy(state, params, request).await
    } else {
        let asked = asks_upgrade(request.method(), request.headers());
        let (mut parts, _body) = request.into_parts();
        let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state).await;
        forward_websocket(state, params, query, (upgrade, asked)).await
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn forward_spdy(
    state: ApiState,
    params: Params,
    mut request: Request,
) -> Result<Response, Refused> {
    let what = "port-forward";
    let plugin = plugin_for(&state, Capability::PortForward)?;
    let pod = target(&state, &params).await?;
    let protocol =
        spdy::negotiate(request.headers(), port_forward::spdy::PROTOCOLS).map_err(|offered| {
            Refused::StreamProtocol {
                offered,
                protocols: port_forward::spdy::PROTOCOLS.join(", "),
            }
        })?;
    let upgrade = hyper::upgrade::on(&mut request);
    let span = tracing::info_span!(
        "stream",
        kind = what,
        transport = "spdy",
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
    );
    tokio::spawn(
        async move {
            match upgrade.await {
                Ok(upgraded) => {
                    port_forward::spdy::run(TokioIo::new(upgraded), pod, plugin).await;
                }
                Err(error) => tracing::debug!(%error, "the SPDY upgrade did not complete"),
            }
        }
        .instrument(span),
    );
    Ok((
        StatusCode::SWITCHING_PROTOCOLS,
        spdy::upgrade_headers(protocol),
    )
        .into_response())
}

async fn forward_websocket(
    state: ApiState,
    params: Params,
    query: Option<String>,
    (upgrade, asked): (Result<WebSocketUpgrade, WebSocketUpgradeRejection>, bool),
) -> Result<Response, Refused> {
    let what = "port-forward";
    // As the kubelet: ports come from the query only in the plain
    // WebSocket form (SPDY streams name their port in each stream).
    let tunnel = upgrade.as_ref().is_ok_and(|upgrade| {
        upgrade
            .requested_protocols()
            .any(|name| name.as_bytes().starts_with(b"SPDY/3.1+"))
    });
    let ports = if upgrade.is_ok() && !tunnel {
        Some(options::ports(&options::parse_query(query.as_deref()))?)
    } else {
        None
    };
    let plugin = plugin_for(&state, Capability::PortForward)?;
    let pod = target(&state, &params).await?;
    let (upgrade, _protocol) = websocket(upgrade, asked, what, channel::PORT_FORWARD)?;
    let ports = ports.unwrap_or_default();
    let span = tracing::info_span!(
        "stream",
        kind = what,
        transport = "websocket",
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
        ports = ?ports,
    );
    Ok(limited(upgrade).on_upgrade(move |socket| {
        port_forward::websocket::run(socket, pod, ports, plugin).instrument(span)
    }))
}

async fn run(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
) -> Response {
    run_command(state, params, query)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn run_command(
    state: ApiState,
    params: Params,
    query: Option<String>,
) -> Result<Response, Refused> {
    let command = options::run_command(&options::parse_query(query.as_deref()))?;
    let plugin = plugin_for(&state, Capability::Exec)?;
    let pod = target(&state, &params).await?;
    let container = param(&params, "container").to_owned();
    let result = run::limited(
        &run::RUN_SLOTS,
        run::RUN_DEADLINE,
        run::run(&plugin, pod, container, command),
    )
    .await;
    match result {
        run::RunResult::Output(body) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            body,
        )
            .into_response()),
        run::RunResult::Failed(channel::Outcome::Failed {
            code,
            reason,
            message,
        }) => Err(Refused::Failed {
            code,
            reason,
            message,
        }),
        run::RunResult::Failed(outcome @ channel::Outcome::Exited { .. }) => Err(Refused::Failed {
            code: 500,
            reason: "InternalError",
            message: outcome.status()["message"]
                .as_str()
                .unwrap_or("failed")
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod upgrade_tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn a_request_without_an_upgrade_is_a_bad_request() {
        let mut headers = HeaderMap::new();
        assert!(!asks_upgrade(&Method::POST, &headers));
        assert!(!asks_upgrade(&Method::GET, &headers));
        assert!(asks_upgrade(&Method::CONNECT, &headers), "HTTP/2 WebSocket");
        let refused = Refused::NoUpgrade {
            what: "exec",
            protocols: names(channel::REMOTE_COMMAND),
        };
        assert_eq!(refused.status(), (StatusCode::BAD_REQUEST, "BadRequest"));
        // An upgrade to something else (SPDY) stays "not implemented".
        headers.insert(header::UPGRADE, HeaderValue::from_static("SPDY/3.1"));
        assert!(asks_upgrade(&Method::POST, &headers));
        let refused = Refused::NotWebSocket {
            what: "exec",
            protocols: names(channel::REMOTE_COMMAND),
        };
        assert_eq!(
            refused.status(),
            (StatusCode::NOT_IMPLEMENTED, "NotImplemented")
        );
    }
}
