"""A provider that declares every capability, for the tests of the SDK's
plumbing (attach, port-forward, stats, metrics, node info). Run as a script
under vk-host or vk-plugin-conformance it serves itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry, Counter
from test_server import Memory

from vk_plugin_sdk import (
    ExecRequest,
    ExecSession,
    ExitStatus,
    PluginInfo,
    Pod,
    PodKey,
    PortForwardConnection,
    collect_plugin_metrics,
    pb,
    run,
)


class Full(Memory):
    """Memory plus attach (echoes stdin), port-forward (echoes bytes) and node-wide calls."""

    def __init__(self) -> None:
        super().__init__()
        self.registry = CollectorRegistry()
        self.created = Counter("full_pods_created", "Pods created.", registry=self.registry)

    async def create_pod(self, pod: Pod) -> None:
        await super().create_pod(pod)
        self.created.inc()

    async def plugin_metrics(self) -> pb.GetPluginMetricsResponse:
        return collect_plugin_metrics(self.registry)

    async def attach(self, request: ExecRequest, session: ExecSession) -> ExitStatus:
        await self.get_pod(request.pod)
        async for chunk in session.stdin():
            await session.write_stdout(chunk)
        return ExitStatus(0)

    async def port_forward(self, pod: PodKey, port: int, connection: PortForwardConnection) -> None:
        await self.get_pod(pod)
        async for data in connection.from_client():
            await connection.send(data)

    async def stats_summary(self) -> pb.GetStatsSummaryResponse:
        return pb.GetStatsSummaryResponse(
            pods=[
                pb.PodStats(pod=pb.PodRef(namespace=ns, name=name, uid=pod["metadata"]["uid"]))
                for (ns, name), pod in self.pods.items()
            ]
        )

    async def metrics_resource(self) -> pb.GetMetricsResourceResponse:
        return pb.GetMetricsResourceResponse(
            containers=[
                pb.ContainerMetrics(
                    pod=pb.PodRef(namespace=ns, name=name, uid=pod["metadata"]["uid"]),
                    container="main",
                    cpu=pb.CpuStats(usage_core_nano_seconds=1),
                    memory=pb.MemoryStats(working_set_bytes=1),
                )
                for (ns, name), pod in self.pods.items()
            ]
        )

    async def node_info(self) -> pb.NodeInfo:
        return pb.NodeInfo(capacity={"cpu": "4", "pods": "10"})

    async def watch_node_info(self) -> AsyncIterator[pb.NodeInfo]:
        return await super().watch_node_info()


if __name__ == "__main__":
    run(Full(), PluginInfo("full", "0.0.1"))
