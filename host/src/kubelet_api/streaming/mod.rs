//! Streaming routes of the kubelet API (`/exec`, `/attach`, `/portForward`,
//! `/run`), carried to the plugin's bidirectional streams with
//! backpressure end to end, over either transport an API server uses:
//!
//! - WebSocket with the Kubernetes channel protocols (`v5.channel.k8s.io`,
//!   `v4`, `channel.k8s.io`; port-forward `v4.channel.k8s.io`): what a
//!   1.36+ API server proxies from kubectl when the Node declares
//!   `ExtendWebSocketsToKubelet` and its `NodeDeclaredFeatures` and
//!   `ExtendWebSocketsToKubelet` gates are on.
//! - SPDY/3.1 (`Upgrade: SPDY/3.1`, protocol in `X-Stream-Protocol-Version`:
//!   `v4.channel.k8s.io` down to `channel.k8s.io` for exec and attach,
//!   `portforward.k8s.io`): what every API server before 1.36 sends, and a
//!   1.36+ one otherwise.
//!
//! Exec and attach run on one session core (`remote_command`) whatever the
//! transport; port-forward's SPDY form and its pairs of streams live in
//! `port_forward`, on the same SPDY session code (`vk_spdy`). Every session
//! logs, at info, which transport and protocol carried it (`exec session
//! over SPDY/3.1 (v4.channel.k8s.io)`).
//!
//! Every request is checked before the upgrade (query, plugin capability,
//! pod bound here, container, uid, stream protocol), so a refusal is an
//! HTTP status with a `metav1.Status` body; after the upgrade the outcome
//! travels on the error channel or stream. A request that asks for no
//! upgrade at all is a 400, as the kubelet answers it.

mod channel;
mod options;
mod port_forward;
mod refused;
mod remote_command;
mod run;
mod spdy;
mod upgrade;

use std::collections::HashMap;

use axum::Router;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::{Instrument as _, info};
use vk_proto::v1::{Capability, ExecStart, PodRef};

use self::channel::Protocol;
use self::refused::Refused;
use self::remote_command::Kind;
use self::upgrade::{limited, spdy_upgrade, websocket, websocket_upgrade};
use super::state::check_container_name;
use super::{ApiError, ApiState};
use crate::plugin_process::PluginClient;

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

async fn exec(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    remote_command(Kind::Exec, state, params, query, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn attach(
    State(state): State<ApiState>,
    Path(params): Path<Params>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    remote_command(Kind::Attach, state, params, query, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Exec or attach: the checks, then the upgrade the request asks for
/// (SPDY/3.1 or WebSocket), then the one session core.
async fn remote_command(
    kind: Kind,
    state: ApiState,
    params: Params,
    query: Option<String>,
    request: Request,
) -> Result<Response, Refused> {
    let what = kind.name();
    let capability = match kind {
        Kind::Exec => Capability::Exec,
        Kind::Attach => Capability::Attach,
    };
    let query = options::parse_query(query.as_deref());
    let options = options::stream_options(&query, kind == Kind::Exec)?;
    let plugin = plugin_for(&state, capability)?;
    let pod = target(&state, &params).await?;
    let container = param(&params, "container").to_owned();
    let span = tracing::info_span!(
        "stream",
        kind = what,
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
        container = %container,
    );
    let session = remote_command::Session {
        kind,
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
    if spdy::is_upgrade(request.headers()) {
        let served = remote_command::spdy::PROTOCOLS;
        let (protocol, version) = spdy::negotiate(request.headers(), served)
            .map_err(|why| Refused::stream_protocol(what, served, why))?;
        return Ok(spdy_upgrade(request, protocol, span, move |io| {
            remote_command::spdy::run(io, version, session)
        }));
    }
    let (upgrade, asked) = websocket_upgrade(&state, request).await;
    let (upgrade, protocol) = websocket(upgrade, asked, what, channel::REMOTE_COMMAND)?;
    let protocol = protocol.unwrap_or(Protocol::V1);
    Ok(limited(upgrade).on_upgrade(move |socket| {
        remote_command::websocket::run(socket, protocol, session).instrument(span)
    }))
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
        let upgrade = websocket_upgrade(&state, request).await;
        forward_websocket(state, params, query, upgrade).await
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn forward_spdy(
    state: ApiState,
    params: Params,
    request: Request,
) -> Result<Response, Refused> {
    let what = "port-forward";
    let plugin = plugin_for(&state, Capability::PortForward)?;
    let pod = target(&state, &params).await?;
    let served = port_forward::spdy::PROTOCOLS;
    let (protocol, ()) = spdy::negotiate(request.headers(), served)
        .map_err(|why| Refused::stream_protocol(what, served, why))?;
    let span = tracing::info_span!(
        "stream",
        kind = what,
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
    );
    Ok(spdy_upgrade(
        request,
        protocol,
        span,
        move |io| async move {
            info!("port-forward session over SPDY/3.1 ({protocol})");
            let _open = crate::metrics::global()
                .kubelet_api
                .session_open("port_forward", "spdy");
            port_forward::spdy::run(io, pod, plugin).await;
        },
    ))
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
    let upgrade = match upgrade {
        Ok(upgrade) if tunnel => return Ok(forward_tunnel(upgrade, pod, plugin)),
        other => other,
    };
    let (upgrade, protocol) = websocket(upgrade, asked, what, channel::PORT_FORWARD)?;
    let protocol = protocol.unwrap_or(Protocol::V1).name();
    let ports = ports.unwrap_or_default();
    let span = tracing::info_span!(
        "stream",
        kind = what,
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
        ports = ?ports,
    );
    Ok(limited(upgrade).on_upgrade(move |socket| {
        async move {
            info!("port-forward session over WebSocket ({protocol})");
            let _open = crate::metrics::global()
                .kubelet_api
                .session_open("port_forward", "websocket");
            port_forward::websocket::run(socket, pod, ports, plugin).await;
        }
        .instrument(span)
    }))
}

/// Port-forward's SPDY tunnelled in the WebSocket, served by the same
/// SPDY session code as an upgrade to SPDY/3.1.
fn forward_tunnel(upgrade: WebSocketUpgrade, pod: PodRef, plugin: PluginClient) -> Response {
    let protocol = port_forward::tunnel::PROTOCOL;
    let span = tracing::info_span!(
        "stream",
        kind = "port-forward",
        pod = %format_args!("{}/{}", pod.namespace, pod.name),
    );
    limited(upgrade.protocols([protocol])).on_upgrade(move |socket| {
        async move {
            info!("port-forward session over WebSocket ({protocol})");
            let _open = crate::metrics::global()
                .kubelet_api
                .session_open("port_forward", "websocket");
            let io = port_forward::tunnel::byte_stream(socket);
            port_forward::spdy::run(io, pod, plugin).await;
        }
        .instrument(span)
    })
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
        run::RunResult::Failed(remote_command::outcome::Outcome::Failed {
            code,
            reason,
            message,
        }) => Err(Refused::Failed {
            code,
            reason,
            message,
        }),
        run::RunResult::Failed(outcome @ remote_command::outcome::Outcome::Exited { .. }) => {
            Err(Refused::Failed {
                code: 500,
                reason: "InternalError",
                message: outcome.status()["message"]
                    .as_str()
                    .unwrap_or("failed")
                    .to_owned(),
            })
        }
    }
}
