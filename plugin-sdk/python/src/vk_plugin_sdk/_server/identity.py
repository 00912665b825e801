"""``PluginIdentity``: the handshake (version choice, identity, capabilities),
the readiness probe and the shutdown request.
"""

from __future__ import annotations

import asyncio
import logging

import grpc

from vk_plugin_sdk._server.answer import Context, answer
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc
from vk_plugin_sdk.provider import PluginInfo, Provider

PROTOCOL_VERSIONS = (1,)
"""The protocol majors this SDK speaks."""

log = logging.getLogger("vk_plugin_sdk.server")


class IdentityService(pb_grpc.PluginIdentityServicer):
    """Serves ``PluginIdentity`` for one provider."""

    def __init__(self, provider: Provider, info: PluginInfo, shutdown: asyncio.Event) -> None:
        self._provider = provider
        self._info = info
        self._shutdown = shutdown

    async def Handshake(
        self, request: pb.HandshakeRequest, context: Context
    ) -> pb.HandshakeResponse:
        """Choose the newest protocol major both sides speak; say who we are."""
        offered = list(request.protocol_versions)
        common = [v for v in PROTOCOL_VERSIONS if v in offered]
        if not common:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"the host offers protocol versions {offered}; "
                f"this plugin speaks {list(PROTOCOL_VERSIONS)}",
            )
        log.info("handshake with vk-host %s for node %s", request.host_version, request.node_name)
        return pb.HandshakeResponse(
            protocol_version=max(common),
            name=self._info.name,
            version=self._info.version,
            capabilities=[
                pb.Capability.ValueType(c) for c in sorted(self._provider.capabilities())
            ],
        )

    async def Probe(self, request: pb.ProbeRequest, context: Context) -> pb.ProbeResponse:
        """The provider's readiness."""
        readiness = await answer(context, self._provider.probe())
        return pb.ProbeResponse(ready=readiness.ready, message=readiness.message)

    async def Shutdown(self, request: pb.ShutdownRequest, context: Context) -> pb.ShutdownResponse:
        """Begin the graceful stop; the server exits after answering."""
        log.info("the host asked the plugin to shut down (grace %d ms)", request.grace_period_ms)
        self._shutdown.set()
        return pb.ShutdownResponse()
