"""The SDK server over a real Unix socket: handshake, secret, health, streams,
error codes, message limits and the Shutdown rpc."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import AUTH, pod_json, served
from grpc_health.v1 import health_pb2, health_pb2_grpc  # type: ignore[import-untyped]

from vk_plugin_sdk import (
    AlreadyExists,
    Capability,
    ExecRequest,
    ExecSession,
    ExitStatus,
    LogsRequest,
    NotFound,
    Pod,
    PodKey,
    PodStatus,
    PodStatusFeed,
    PodStatusUpdate,
    Provider,
)
from vk_plugin_sdk.proto import provider_pb2 as pb


class Memory(Provider):
    """Pods in a dict; status stream, logs and exec; nothing else."""

    def __init__(self) -> None:
        self.pods: dict[tuple[str, str], Pod] = {}
        self.feed = PodStatusFeed()
        self.fail_with: Exception | None = None

    async def create_pod(self, pod: Pod) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        key = PodKey.of(pod)
        held = self.pods.get((key.namespace, key.name))
        if held is not None:
            if PodKey.of(held) == key:
                return
            raise AlreadyExists(f"pod {key} is held under another uid")
        pod["status"] = {"phase": "Running"}
        self.pods[(key.namespace, key.name)] = pod
        self.feed.send(PodStatusUpdate(key, pod["status"]))

    async def update_pod(self, pod: Pod) -> None:
        held = await self.get_pod(PodKey.of(pod))
        held["metadata"] = pod["metadata"]

    async def delete_pod(self, pod: Pod) -> None:
        key = PodKey.of(pod)
        await self.get_pod(key)
        del self.pods[(key.namespace, key.name)]

    async def get_pod(self, key: PodKey) -> Pod:
        pod = self.pods.get((key.namespace, key.name))
        if pod is None or not key.matches(pod):
            raise NotFound(f"pod {key} not found")
        return pod

    async def get_pod_status(self, key: PodKey) -> PodStatus:
        return (await self.get_pod(key)).get("status", {})

    async def get_pods(self) -> list[Pod]:
        return list(self.pods.values())

    async def watch_pod_status(self) -> AsyncIterator[PodStatusUpdate]:
        return self.feed.subscribe()

    async def container_logs(self, request: LogsRequest) -> AsyncIterator[bytes]:
        await self.get_pod(request.pod)
        if request.container != "main":
            raise NotFound(f"container {request.container} not found")

        async def lines() -> AsyncIterator[bytes]:
            yield b"one\n"
            yield b"two\n"

        return lines()

    async def exec(self, request: ExecRequest, session: ExecSession) -> ExitStatus:
        if request.command[0] == "echo":
            await session.write_stdout(" ".join(request.command[1:]).encode() + b"\n")
            return ExitStatus(0)
        async for chunk in session.stdin():
            await session.write_stdout(chunk)
        await session.write_stderr(b"done\n")
        return ExitStatus(3)


def create(pod: dict[str, Any]) -> pb.CreatePodRequest:
    return pb.CreatePodRequest(pod=json.dumps(pod).encode())


async def code_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code()


async def test_the_handshake_declares_what_the_provider_overrides(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        reply = await s.identity.Handshake(
            pb.HandshakeRequest(protocol_versions=[1], host_version="0.1.0", node_name="n"),
            metadata=AUTH,
        )
    assert reply.protocol_version == 1
    assert (reply.name, reply.version) == ("test", "0.0.1")
    assert {Capability(c) for c in reply.capabilities} == {
        Capability.POD_STATUS_STREAM,
        Capability.CONTAINER_LOGS,
        Capability.EXEC,
    }


async def test_a_handshake_without_a_common_version_names_ours(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await s.identity.Handshake(pb.HandshakeRequest(protocol_versions=[7]), metadata=AUTH)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "this plugin speaks [1]" in (raised.value.details() or "")


async def test_undeclared_capabilities_answer_unimplemented(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        node = s.lifecycle.GetNodeInfo(pb.GetNodeInfoRequest(), metadata=AUTH)
        assert await code_of(node) == grpc.StatusCode.UNIMPLEMENTED
        stats = s.lifecycle.GetStatsSummary(pb.GetStatsSummaryRequest(), metadata=AUTH)
        assert await code_of(stats) == grpc.StatusCode.UNIMPLEMENTED
        own = s.lifecycle.GetPluginMetrics(pb.GetPluginMetricsRequest(), metadata=AUTH)
        assert await code_of(own) == grpc.StatusCode.UNIMPLEMENTED
        attach = s.lifecycle.Attach(metadata=AUTH)
        assert await code_of(attach.read()) == grpc.StatusCode.UNIMPLEMENTED


async def test_calls_without_the_secret_are_unauthenticated(sock_dir: Path) -> None:
    wrong = (("authorization", "Bearer nope"),)
    async with served(Memory(), sock_dir) as s:
        assert await code_of(s.lifecycle.GetPods(pb.GetPodsRequest())) == (
            grpc.StatusCode.UNAUTHENTICATED
        )
        assert await code_of(s.identity.Probe(pb.ProbeRequest(), metadata=wrong)) == (
            grpc.StatusCode.UNAUTHENTICATED
        )
        watch = s.lifecycle.WatchPodStatus(pb.WatchPodStatusRequest())
        assert await code_of(watch.read()) == grpc.StatusCode.UNAUTHENTICATED
        exec_call = s.lifecycle.Exec(metadata=wrong)
        assert await code_of(exec_call.read()) == grpc.StatusCode.UNAUTHENTICATED


async def test_health_answers_without_the_secret(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        stub = health_pb2_grpc.HealthStub(s.channel)
        for service in ("", "vk.provider.v1.PodLifecycle"):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_an_idle_status_stream_is_open_at_once_and_keeps_updates_across_reconnects(
    sock_dir: Path,
) -> None:
    provider = Memory()
    async with served(provider, sock_dir) as s:
        first = s.lifecycle.WatchPodStatus(pb.WatchPodStatusRequest(), metadata=AUTH)
        # Nothing has been sent: the headers must still arrive.
        await asyncio.wait_for(first.initial_metadata(), 30)
        await s.lifecycle.CreatePod(create(pod_json("a", "uid-a")), metadata=AUTH)
        event = await asyncio.wait_for(first.read(), 30)
        assert isinstance(event, pb.PodStatusEvent)
        assert (event.pod.name, event.pod.uid) == ("a", "uid-a")
        assert json.loads(event.status) == {"phase": "Running"}
        first.cancel()
        # No stream while the host reconnects.
        await s.lifecycle.CreatePod(create(pod_json("b", "uid-b")), metadata=AUTH)
        second = s.lifecycle.WatchPodStatus(pb.WatchPodStatusRequest(), metadata=AUTH)
        event = await asyncio.wait_for(second.read(), 30)
        assert isinstance(event, pb.PodStatusEvent)
        assert event.pod.name == "b"
        second.cancel()


async def test_provider_errors_become_their_codes(sock_dir: Path) -> None:
    provider = Memory()
    async with served(provider, sock_dir) as s:
        get = s.lifecycle.GetPod(
            pb.GetPodRequest(pod=pb.PodRef(namespace="default", name="none")), metadata=AUTH
        )
        assert await code_of(get) == grpc.StatusCode.NOT_FOUND
        provider.fail_with = ValueError("a bug")
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await s.lifecycle.CreatePod(create(pod_json()), metadata=AUTH)
        assert raised.value.code() == grpc.StatusCode.INTERNAL
        assert raised.value.details() == "ValueError: a bug"


@pytest.mark.parametrize(
    "pod",
    [b"", b"not json", b"[1]", json.dumps(pod_json(uid="")).encode()],
    ids=["empty", "not-json", "not-an-object", "no-uid"],
)
async def test_malformed_pods_are_invalid_and_never_reach_the_provider(
    sock_dir: Path, pod: bytes
) -> None:
    provider = Memory()
    async with served(provider, sock_dir) as s:
        call = s.lifecycle.CreatePod(pb.CreatePodRequest(pod=pod), metadata=AUTH)
        assert await code_of(call) == grpc.StatusCode.INVALID_ARGUMENT
    assert provider.pods == {}


async def test_a_get_without_pod_ref_is_invalid(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        call = s.lifecycle.GetPod(pb.GetPodRequest(), metadata=AUTH)
        assert await code_of(call) == grpc.StatusCode.INVALID_ARGUMENT


async def test_pods_up_to_the_16_mib_limit_cross_both_ways(sock_dir: Path) -> None:
    big = pod_json()
    big["metadata"]["annotations"] = {"big": "x" * (10 * 1024 * 1024)}
    async with served(Memory(), sock_dir) as s:
        await s.lifecycle.CreatePod(create(big), metadata=AUTH)
        reply = await s.lifecycle.GetPod(
            pb.GetPodRequest(pod=pb.PodRef(namespace="default", name="web")), metadata=AUTH
        )
    assert len(json.loads(reply.pod)["metadata"]["annotations"]["big"]) == 10 * 1024 * 1024


async def test_logs_of_an_unknown_pod_are_not_found_and_known_ones_stream(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        ref = pb.PodRef(namespace="default", name="web")
        unknown = s.lifecycle.GetContainerLogs(
            pb.ContainerLogsRequest(pod=ref, container="main"), metadata=AUTH
        )
        assert await code_of(unknown.read()) == grpc.StatusCode.NOT_FOUND
        await s.lifecycle.CreatePod(create(pod_json()), metadata=AUTH)
        logs = s.lifecycle.GetContainerLogs(
            pb.ContainerLogsRequest(pod=ref, container="main"), metadata=AUTH
        )
        assert b"".join([chunk.data async for chunk in logs]) == b"one\ntwo\n"
        negative = s.lifecycle.GetContainerLogs(
            pb.ContainerLogsRequest(pod=ref, container="main", tail_lines=-1), metadata=AUTH
        )
        assert await code_of(negative.read()) == grpc.StatusCode.INVALID_ARGUMENT


def start(command: list[str], stdin: bool = False) -> pb.ExecInput:
    return pb.ExecInput(
        start=pb.ExecStart(
            pod=pb.PodRef(namespace="default", name="web"),
            container="main",
            command=command,
            stdin=stdin,
            stdout=True,
            stderr=True,
        )
    )


async def test_exec_sends_output_then_exactly_one_exit(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        call = s.lifecycle.Exec(
            iter(
                [
                    start(["cat"], stdin=True),
                    pb.ExecInput(stdin=b"hello "),
                    pb.ExecInput(stdin=b"world"),
                    pb.ExecInput(close_stdin=True),
                ]
            ),
            metadata=AUTH,
        )
        outputs = [output async for output in call]
    kinds = [o.WhichOneof("output") for o in outputs]
    assert kinds[-1] == "exit"
    assert kinds.count("exit") == 1
    assert b"".join(o.stdout for o in outputs) == b"hello world"
    assert b"".join(o.stderr for o in outputs) == b"done\n"
    assert outputs[-1].exit.code == 3


async def test_an_exec_stream_must_start_with_start(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        call = s.lifecycle.Exec(iter([pb.ExecInput(stdin=b"x")]), metadata=AUTH)
        assert await code_of(call.read()) == grpc.StatusCode.INVALID_ARGUMENT
        call = s.lifecycle.Exec(iter([start([])]), metadata=AUTH)
        assert await code_of(call.read()) == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_shutdown_rpc_stops_the_server_and_removes_the_socket(sock_dir: Path) -> None:
    async with served(Memory(), sock_dir) as s:
        await s.identity.Shutdown(pb.ShutdownRequest(grace_period_ms=5000), metadata=AUTH)
        await asyncio.wait_for(s.task, 30)
    assert not (sock_dir / "plugin.sock").exists()


async def test_attach_port_forward_and_node_wide_calls(sock_dir: Path) -> None:
    from full_provider import Full

    provider = Full()
    assert provider.capabilities() == frozenset(Capability)
    async with served(provider, sock_dir) as s:
        await s.lifecycle.CreatePod(create(pod_json()), metadata=AUTH)
        ref = pb.PodRef(namespace="default", name="web")
        attach = s.lifecycle.Attach(
            iter(
                [
                    start([], stdin=True),
                    pb.ExecInput(stdin=b"ping\n"),
                    pb.ExecInput(close_stdin=True),
                ]
            ),
            metadata=AUTH,
        )
        outputs = [o async for o in attach]
        assert b"".join(o.stdout for o in outputs) == b"ping\n"
        assert outputs[-1].exit.code == 0
        forward = s.lifecycle.PortForward(
            iter(
                [
                    pb.PortForwardInput(start=pb.PortForwardStart(pod=ref, port=80)),
                    pb.PortForwardInput(data=b"abc"),
                ]
            ),
            metadata=AUTH,
        )
        assert b"".join([o.data async for o in forward]) == b"abc"
        bad_port = s.lifecycle.PortForward(
            iter([pb.PortForwardInput(start=pb.PortForwardStart(pod=ref, port=70000))]),
            metadata=AUTH,
        )
        assert await code_of(bad_port.read()) == grpc.StatusCode.INVALID_ARGUMENT
        stats = await s.lifecycle.GetStatsSummary(pb.GetStatsSummaryRequest(), metadata=AUTH)
        assert [p.pod.name for p in stats.pods] == ["web"]
        metrics = await s.lifecycle.GetMetricsResource(
            pb.GetMetricsResourceRequest(), metadata=AUTH
        )
        assert [c.container for c in metrics.containers] == ["main"]
        own = await s.lifecycle.GetPluginMetrics(pb.GetPluginMetricsRequest(), metadata=AUTH)
        assert [(f.name, f.type) for f in own.families] == [
            ("full_pods_created", pb.METRIC_TYPE_COUNTER)
        ]
        assert own.families[0].metrics[0].value == 1
        watch = s.lifecycle.WatchNodeInfo(pb.WatchNodeInfoRequest(), metadata=AUTH)
        info = await asyncio.wait_for(watch.read(), 30)
        assert isinstance(info, pb.NodeInfo)
        assert dict(info.capacity) == {"cpu": "4", "pods": "10"}
        watch.cancel()
