"""``serve``: binds the plugin socket, serves ``PluginIdentity``,
``PodLifecycle`` and ``grpc.health.v1``, and stops gracefully on SIGTERM,
SIGINT, the Shutdown rpc, or the host going away (stdin end-of-file).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import grpc

# grpcio-health-checking ships no type information.
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

from vk_plugin_sdk._server.auth import RequireSecret
from vk_plugin_sdk._server.identity import IdentityService
from vk_plugin_sdk._server.lifecycle import LifecycleService
from vk_plugin_sdk._server.shutdown import unwatch_signals, watch_signals, watch_stdin
from vk_plugin_sdk.callbacks import MESSAGE_LIMIT_OPTIONS, HostClient
from vk_plugin_sdk.launch import Launch
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc
from vk_plugin_sdk.provider import PluginInfo, Provider

log = logging.getLogger("vk_plugin_sdk.server")

STOP_GRACE_SECONDS = 1.0
"""How long calls in flight get to finish once the plugin stops; then they are cancelled."""

PROVIDER_SHUTDOWN_GRACE_SECONDS = 5.0
"""How long :meth:`Provider.shutdown` may take before the plugin exits anyway."""

LIFECYCLE_SERVICE = "vk.provider.v1.PodLifecycle"


class ServeError(Exception):
    """The plugin server could not run; the message names the cause."""


async def serve(
    provider: Provider,
    info: PluginInfo,
    launch: Launch | None = None,
    *,
    host: HostClient | None = None,
) -> None:
    """Serve ``provider`` on ``launch.plugin_socket`` until the host stops the plugin.

    ``launch`` defaults to :meth:`Launch.from_env` (which raises
    :class:`LaunchError` when vk-host did not start the process). ``host``,
    when given, is closed on the way out. :func:`vk_plugin_sdk.run` is the
    synchronous entry point around this coroutine.
    """
    launch = Launch.from_env() if launch is None else launch
    shutdown = asyncio.Event()
    server = grpc.aio.server(
        interceptors=[RequireSecret(launch.secret)], options=MESSAGE_LIMIT_OPTIONS
    )
    pb_grpc.add_PluginIdentityServicer_to_server(IdentityService(provider, info, shutdown), server)
    pb_grpc.add_PodLifecycleServicer_to_server(LifecycleService(provider), server)
    health_service = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_service, server)
    await provider.start()
    await _bind(server, launch)
    watch_signals(shutdown)
    if launch.stdin_is_host_pipe:
        watch_stdin(shutdown)
    await server.start()
    for service in ("", LIFECYCLE_SERVICE):
        await health_service.set(service, health_pb2.HealthCheckResponse.SERVING)
    log.info(
        "serving plugin %s %s on %s (capabilities: %s)",
        info.name,
        info.version,
        launch.plugin_socket,
        ", ".join(sorted(c.name for c in provider.capabilities())) or "none",
    )
    try:
        await shutdown.wait()
    finally:
        unwatch_signals()
        await _stop(server, health_service, provider, host, launch)


async def _bind(server: grpc.aio.Server, launch: Launch) -> None:
    path = launch.plugin_socket
    try:
        if server.add_insecure_port(f"unix:{path}") == 0:
            raise ServeError(f"binding the plugin socket {path}: gRPC refused the address")
        # Before start(): the socket file exists from here on.
        os.chmod(path, 0o600)
    except (OSError, RuntimeError) as error:
        raise ServeError(f"binding the plugin socket {path}: {error}") from error


async def _stop(
    server: grpc.aio.Server,
    health_service: health.aio.HealthServicer,
    provider: Provider,
    host: HostClient | None,
    launch: Launch,
) -> None:
    await health_service.enter_graceful_shutdown()
    await server.stop(STOP_GRACE_SECONDS)
    try:
        await asyncio.wait_for(provider.shutdown(), PROVIDER_SHUTDOWN_GRACE_SECONDS)
    except TimeoutError:
        log.warning("the provider's shutdown hook did not finish in time")
    except Exception:
        log.exception("the provider's shutdown hook failed")
    if host is not None:
        await host.close()
    with contextlib.suppress(OSError):
        launch.plugin_socket.unlink()
    log.info("stopped")
