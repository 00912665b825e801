"""``PodLifecycle``: decodes Kubernetes JSON, refuses undeclared capabilities
with UNIMPLEMENTED, and calls the :class:`~vk_plugin_sdk.Provider`.

Every server stream sends its response headers at once (grpcio would send
them only with the first message), so the host sees an idle stream as open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from vk_plugin_sdk._server import sessions
from vk_plugin_sdk._server.answer import Context, abort_with, answer, check, close_iterator
from vk_plugin_sdk._server.wire import decode_pod, encode, pod_key
from vk_plugin_sdk.callbacks import pod_ref
from vk_plugin_sdk.errors import InvalidInput
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc
from vk_plugin_sdk.provider import (
    Capability,
    ExecSession,
    LogsRequest,
    PodStatusUpdate,
    PortForwardConnection,
    Provider,
)


class LifecycleService(pb_grpc.PodLifecycleServicer):
    """Serves ``PodLifecycle`` for one provider."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self._capabilities = provider.capabilities()

    async def _require(self, capability: Capability, context: Context) -> None:
        if capability not in self._capabilities:
            await context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                f"this plugin did not declare CAPABILITY_{capability.name}",
            )

    # -- the six pod calls ---------------------------------------------------------

    async def CreatePod(
        self, request: pb.CreatePodRequest, context: Context
    ) -> pb.CreatePodResponse:
        """Decode the pod and create it."""
        pod = await check(context, lambda: decode_pod(request.pod))
        await answer(context, self._provider.create_pod(pod))
        return pb.CreatePodResponse()

    async def UpdatePod(
        self, request: pb.UpdatePodRequest, context: Context
    ) -> pb.UpdatePodResponse:
        """Decode the pod and update it."""
        pod = await check(context, lambda: decode_pod(request.pod))
        await answer(context, self._provider.update_pod(pod))
        return pb.UpdatePodResponse()

    async def DeletePod(
        self, request: pb.DeletePodRequest, context: Context
    ) -> pb.DeletePodResponse:
        """Decode the pod and delete it."""
        pod = await check(context, lambda: decode_pod(request.pod))
        await answer(context, self._provider.delete_pod(pod))
        return pb.DeletePodResponse()

    async def GetPod(self, request: pb.GetPodRequest, context: Context) -> pb.GetPodResponse:
        """The held pod as JSON."""
        key = await check(context, lambda: pod_key(request.HasField("pod"), request.pod))
        pod = await answer(context, self._provider.get_pod(key))
        return pb.GetPodResponse(pod=await check(context, lambda: encode(pod)))

    async def GetPodStatus(
        self, request: pb.GetPodStatusRequest, context: Context
    ) -> pb.GetPodStatusResponse:
        """The held pod's status as JSON."""
        key = await check(context, lambda: pod_key(request.HasField("pod"), request.pod))
        status = await answer(context, self._provider.get_pod_status(key))
        return pb.GetPodStatusResponse(status=await check(context, lambda: encode(status)))

    async def GetPods(self, request: pb.GetPodsRequest, context: Context) -> pb.GetPodsResponse:
        """Every held pod as JSON."""
        pods = await answer(context, self._provider.get_pods())
        return pb.GetPodsResponse(pods=await check(context, lambda: [encode(p) for p in pods]))

    # -- streams -------------------------------------------------------------------

    async def WatchPodStatus(
        self, request: pb.WatchPodStatusRequest, context: Context
    ) -> AsyncIterator[pb.PodStatusEvent]:
        """The provider's status updates and Events, headers sent at once."""
        await self._require(Capability.POD_STATUS_STREAM, context)
        updates = await answer(context, self._provider.watch_pod_status())
        await context.send_initial_metadata(())
        try:
            async for update in updates:
                yield status_event(update)
        except Exception as error:
            await abort_with(context, error)
        finally:
            await close_iterator(updates)

    async def GetContainerLogs(
        self, request: pb.ContainerLogsRequest, context: Context
    ) -> AsyncIterator[pb.LogChunk]:
        """The container's log in chunks."""
        await self._require(Capability.CONTAINER_LOGS, context)
        wanted = await check(context, lambda: logs_request(request))
        chunks = await answer(context, self._provider.container_logs(wanted))
        await context.send_initial_metadata(())
        try:
            async for chunk in chunks:
                if chunk:
                    yield pb.LogChunk(data=chunk)
        except Exception as error:
            await abort_with(context, error)
        finally:
            await close_iterator(chunks)

    async def Exec(
        self, request_iterator: AsyncIterator[pb.ExecInput], context: Context
    ) -> AsyncIterator[pb.ExecOutput]:
        """Run a command in a container: output, then exactly one exit."""
        await self._require(Capability.EXEC, context)
        async for output in self._session(request_iterator, context, is_exec=True):
            yield output

    async def Attach(
        self, request_iterator: AsyncIterator[pb.ExecInput], context: Context
    ) -> AsyncIterator[pb.ExecOutput]:
        """Attach to a container's main process."""
        await self._require(Capability.ATTACH, context)
        async for output in self._session(request_iterator, context, is_exec=False):
            yield output

    async def _session(
        self, inbound: AsyncIterator[pb.ExecInput], context: Context, is_exec: bool
    ) -> AsyncIterator[pb.ExecOutput]:
        inbound = aiter(inbound)
        exec_request = await answer(context, sessions.exec_start(inbound, is_exec))
        await context.send_initial_metadata(())
        session = ExecSession()
        pump = asyncio.create_task(sessions.pump_exec_input(inbound, session))
        start = self._provider.exec if is_exec else self._provider.attach
        run = asyncio.create_task(start(exec_request, session))
        try:
            async for output in sessions.drain_until_done(session._output, run):
                yield output
            status = await answer(context, run)
            yield pb.ExecOutput(exit=pb.ExecExit(code=status.code, reason=status.reason))
        finally:
            pump.cancel()
            run.cancel()

    async def PortForward(
        self, request_iterator: AsyncIterator[pb.PortForwardInput], context: Context
    ) -> AsyncIterator[pb.PortForwardOutput]:
        """Carry one TCP connection into the pod."""
        await self._require(Capability.PORT_FORWARD, context)
        inbound = aiter(request_iterator)
        key, port = await answer(context, sessions.port_forward_start(inbound))
        await context.send_initial_metadata(())
        connection = PortForwardConnection()
        pump = asyncio.create_task(sessions.pump_port_forward_input(inbound, connection))
        run = asyncio.create_task(self._provider.port_forward(key, port, connection))
        try:
            async for data in sessions.drain_until_done(connection._outbound, run):
                yield pb.PortForwardOutput(data=data)
            await answer(context, run)
        finally:
            pump.cancel()
            run.cancel()

    # -- node-wide --------------------------------------------------------------------

    async def GetStatsSummary(
        self, request: pb.GetStatsSummaryRequest, context: Context
    ) -> pb.GetStatsSummaryResponse:
        """Usage of the node and of every pod."""
        await self._require(Capability.STATS_SUMMARY, context)
        return await answer(context, self._provider.stats_summary())

    async def GetMetricsResource(
        self, request: pb.GetMetricsResourceRequest, context: Context
    ) -> pb.GetMetricsResourceResponse:
        """CPU and memory of every container."""
        await self._require(Capability.METRICS_RESOURCE, context)
        return await answer(context, self._provider.metrics_resource())

    async def GetPluginMetrics(
        self, request: pb.GetPluginMetricsRequest, context: Context
    ) -> pb.GetPluginMetricsResponse:
        """The plugin's own metrics."""
        await self._require(Capability.PLUGIN_METRICS, context)
        return await answer(context, self._provider.plugin_metrics())

    async def GetNodeInfo(self, request: pb.GetNodeInfoRequest, context: Context) -> pb.NodeInfo:
        """What the plugin adds to the Node."""
        await self._require(Capability.NODE_INFO, context)
        return await answer(context, self._provider.node_info())

    async def WatchNodeInfo(
        self, request: pb.WatchNodeInfoRequest, context: Context
    ) -> AsyncIterator[pb.NodeInfo]:
        """The current node info, then every change."""
        await self._require(Capability.NODE_INFO, context)
        infos = await answer(context, self._provider.watch_node_info())
        await context.send_initial_metadata(())
        try:
            async for info in infos:
                yield info
        except Exception as error:
            await abort_with(context, error)
        finally:
            await close_iterator(infos)


def status_event(update: PodStatusUpdate) -> pb.PodStatusEvent:
    """The protocol's ``PodStatusEvent`` of an SDK update."""
    return pb.PodStatusEvent(
        pod=pod_ref(update.pod),
        status=encode(update.status) if update.status is not None else b"",
        events=[
            pb.PodEvent(
                type=event.type.value,
                reason=event.reason,
                message=event.message,
                container=event.container or "",
            )
            for event in update.events
        ],
    )


def logs_request(request: pb.ContainerLogsRequest) -> LogsRequest:
    """The SDK's request of a ``GetContainerLogs`` call, checked."""
    if not request.container:
        raise InvalidInput("`container` is required")
    tail_lines = request.tail_lines if request.HasField("tail_lines") else None
    limit_bytes = request.limit_bytes if request.HasField("limit_bytes") else None
    for name, value in (("tail_lines", tail_lines), ("limit_bytes", limit_bytes)):
        if value is not None and value < 0:
            raise InvalidInput(f"`{name}` must not be negative")
    return LogsRequest(
        pod=pod_key(request.HasField("pod"), request.pod),
        container=request.container,
        tail_lines=tail_lines,
        limit_bytes=limit_bytes,
        since_unix_seconds=(
            request.since_unix_seconds if request.HasField("since_unix_seconds") else None
        ),
        timestamps=request.timestamps,
        follow=request.follow,
        previous=request.previous,
    )
