"""The example provider through the SDK's server, as the host drives it."""

import asyncio
import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import AUTH, FakeHost, Served, fake_host, pod_json, served
from vk_python_example.config import Config, ConfigError
from vk_python_example.provider import ExampleProvider

from vk_plugin_sdk import HostClient
from vk_plugin_sdk.proto import provider_pb2 as pb

REF = pb.PodRef(namespace="default", name="web")


async def create(s: Served, pod: dict[str, Any]) -> None:
    await s.lifecycle.CreatePod(pb.CreatePodRequest(pod=json.dumps(pod).encode()), metadata=AUTH)


async def get_status(s: Served, name: str = "web") -> dict[str, Any]:
    reply = await s.lifecycle.GetPodStatus(
        pb.GetPodStatusRequest(pod=pb.PodRef(namespace="default", name=name)), metadata=AUTH
    )
    status: dict[str, Any] = json.loads(reply.status)
    return status


async def logs(s: Served, **options: Any) -> str:
    call = s.lifecycle.GetContainerLogs(
        pb.ContainerLogsRequest(pod=REF, container="main", **options), metadata=AUTH
    )
    return b"".join([chunk.data async for chunk in call]).decode()


async def run_exec(
    s: Served, command: list[str], stdin: bytes | None = None
) -> tuple[str, str, int]:
    messages = [
        pb.ExecInput(
            start=pb.ExecStart(
                pod=REF,
                container="main",
                command=command,
                stdin=stdin is not None,
                stdout=True,
                stderr=True,
            )
        )
    ]
    if stdin is not None:
        messages += [pb.ExecInput(stdin=stdin), pb.ExecInput(close_stdin=True)]
    outputs = [o async for o in s.lifecycle.Exec(iter(messages), metadata=AUTH)]
    assert [o.WhichOneof("output") for o in outputs].count("exit") == 1
    assert outputs[-1].WhichOneof("output") == "exit"
    stdout = b"".join(o.stdout for o in outputs).decode()
    stderr = b"".join(o.stderr for o in outputs).decode()
    return stdout, stderr, outputs[-1].exit.code


def provider(host: HostClient, **config: Any) -> ExampleProvider:
    return ExampleProvider(Config.from_mapping(config, "test"), host)


async def test_a_pod_runs_with_an_ip_from_the_range(sock_dir: Path) -> None:
    async with (
        fake_host(FakeHost(), sock_dir) as host,
        served(provider(host, pod_cidr="10.9.0.0/24"), sock_dir) as s,
    ):
        await create(s, pod_json("web", "uid-1"))
        await create(s, pod_json("api", "uid-2"))
        web, api = await get_status(s, "web"), await get_status(s, "api")
    assert web["phase"] == "Running"
    assert web["podIP"] == "10.9.0.2"
    assert web["podIPs"] == [{"ip": "10.9.0.2"}]
    assert api["podIP"] == "10.9.0.3"
    (main,) = web["containerStatuses"]
    assert main["ready"] is True
    assert "running" in main["state"]


async def test_the_secrets_a_pod_references_are_read_and_named_in_its_log(sock_dir: Path) -> None:
    host = FakeHost(secrets={"db": {"user": b"admin", "password": b"hunter2"}})
    volumes = [
        {"name": "creds", "secret": {"secretName": "db"}},
        {
            "name": "extra",
            "projected": {"sources": [{"secret": {"name": "later", "optional": True}}]},
        },
    ]
    async with fake_host(host, sock_dir) as client, served(provider(client), sock_dir) as s:
        await create(s, pod_json(volumes=volumes))
        text = await logs(s)
    assert "secret db: keys password, user\n" in text
    assert "secret later: optional and not found\n" in text
    assert "hunter2" not in text


async def test_a_missing_required_secret_makes_the_host_retry(sock_dir: Path) -> None:
    volumes = [{"name": "creds", "secret": {"secretName": "db"}}]
    async with fake_host(FakeHost(), sock_dir) as client, served(provider(client), sock_dir) as s:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await create(s, pod_json(volumes=volumes))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "secret db of pod default/web not found" in (raised.value.details() or "")


async def test_exec_built_ins(sock_dir: Path) -> None:
    async with fake_host(FakeHost(), sock_dir) as client, served(provider(client), sock_dir) as s:
        await create(s, pod_json())
        assert await run_exec(s, ["cat"], b"line one\nline two\n") == (
            "line one\nline two\n",
            "",
            0,
        )
        assert await run_exec(s, ["echo", "hello", "world"]) == ("hello world\n", "", 0)
        assert await run_exec(s, ["/bin/sh", "-c", "exit 3"]) == ("", "", 3)
        assert await run_exec(s, ["sh", "-c", "echo from sh"]) == ("from sh\n", "", 0)
        stdout, stderr, code = await run_exec(s, ["ls", "/"])
        assert (stdout, code) == ("", 127)
        assert "ls: command not found" in stderr


async def test_logs_follow_new_lines_until_the_pod_is_deleted(sock_dir: Path) -> None:
    async with (
        fake_host(FakeHost(), sock_dir) as client,
        served(provider(client, log_interval_ms=20), sock_dir) as s,
    ):
        pod = pod_json()
        await create(s, pod)
        follow = s.lifecycle.GetContainerLogs(
            pb.ContainerLogsRequest(pod=REF, container="main", follow=True), metadata=AUTH
        )
        seen = ""
        while "default/web/main line 2\n" not in seen:
            chunk = await asyncio.wait_for(follow.read(), 30)
            assert isinstance(chunk, pb.LogChunk)
            seen += chunk.data.decode()
        assert seen.startswith("started container main of pod default/web")
        await s.lifecycle.DeletePod(
            pb.DeletePodRequest(pod=json.dumps(pod).encode()), metadata=AUTH
        )
        # The container ended: the follow stream ends too.
        while (chunk := await asyncio.wait_for(follow.read(), 30)) != grpc.aio.EOF:
            assert isinstance(chunk, pb.LogChunk)
        assert await follow.code() == grpc.StatusCode.OK


async def test_delete_reports_every_container_terminated_then_forgets_the_pod(
    sock_dir: Path,
) -> None:
    async with fake_host(FakeHost(), sock_dir) as client, served(provider(client), sock_dir) as s:
        watch = s.lifecycle.WatchPodStatus(pb.WatchPodStatusRequest(), metadata=AUTH)
        pod = pod_json()
        await create(s, pod)
        created = await asyncio.wait_for(watch.read(), 30)
        assert isinstance(created, pb.PodStatusEvent)
        assert [(e.reason, e.container) for e in created.events] == [("Started", "main")]
        await s.lifecycle.DeletePod(
            pb.DeletePodRequest(pod=json.dumps(pod).encode()), metadata=AUTH
        )
        deleted = await asyncio.wait_for(watch.read(), 30)
        assert isinstance(deleted, pb.PodStatusEvent)
        status = json.loads(deleted.status)
        assert status["phase"] == "Succeeded"
        (main,) = status["containerStatuses"]
        assert main["state"]["terminated"]["exitCode"] == 0
        assert [(e.reason, e.container) for e in deleted.events] == [("Killing", "main")]
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await get_status(s)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND
        watch.cancel()


def test_a_bad_configuration_names_the_key() -> None:
    with pytest.raises(ConfigError, match="unknown key 'pod_range'"):
        Config.from_mapping({"pod_range": "x"}, "example.toml")
    with pytest.raises(ConfigError, match="pod_cidr"):
        Config.from_mapping({"pod_cidr": "10.0.0.0/33"}, "example.toml")
    with pytest.raises(ConfigError, match="log_interval_ms must be a int"):
        Config.from_mapping({"log_interval_ms": "fast"}, "example.toml")


async def test_a_restarted_plugin_runs_the_pods_of_its_state_file(sock_dir: Path) -> None:
    state_file = sock_dir / "pods.json"
    async with fake_host(FakeHost(), sock_dir) as client:
        async with served(provider(client, state_file=str(state_file)), sock_dir) as s:
            await create(s, pod_json("web", "uid-1"))
            await create(s, pod_json("api", "uid-2"))
            await s.lifecycle.DeletePod(
                pb.DeletePodRequest(pod=json.dumps(pod_json("api", "uid-2")).encode()),
                metadata=AUTH,
            )
            before = await get_status(s, "web")
        assert state_file.stat().st_mode & 0o777 == 0o600
        async with served(provider(client, state_file=str(state_file)), sock_dir) as s:
            listed = await s.lifecycle.GetPods(pb.GetPodsRequest(), metadata=AUTH)
            after = await get_status(s, "web")
            await create(s, pod_json("db", "uid-3"))
            db = await get_status(s, "db")
    assert [json.loads(p)["metadata"]["uid"] for p in listed.pods] == ["uid-1"]
    assert (after["podIP"], after["startTime"]) == (before["podIP"], before["startTime"])
    assert db["podIP"] != after["podIP"], "a recovered pod's IP is not handed out again"


async def test_the_plugin_exports_its_own_metrics(sock_dir: Path) -> None:
    async with fake_host(FakeHost(), sock_dir) as client, served(provider(client), sock_dir) as s:
        handshake = pb.HandshakeRequest(protocol_versions=[1])
        hello = await s.identity.Handshake(handshake, metadata=AUTH)
        assert pb.CAPABILITY_PLUGIN_METRICS in hello.capabilities
        await create(s, pod_json("web", "uid-1"))
        await create(s, pod_json("web", "uid-1"))  # idempotent: not a second pod
        await create(s, pod_json("api", "uid-2"))
        await s.lifecycle.DeletePod(
            pb.DeletePodRequest(pod=json.dumps(pod_json("api", "uid-2")).encode()),
            metadata=AUTH,
        )
        reply = await s.lifecycle.GetPluginMetrics(pb.GetPluginMetricsRequest(), metadata=AUTH)
    families = {f.name: f for f in reply.families}
    assert sorted(families) == ["python_example_pods", "python_example_pods_created"]
    created, held = families["python_example_pods_created"], families["python_example_pods"]
    assert (created.type, [m.value for m in created.metrics]) == (pb.METRIC_TYPE_COUNTER, [2.0])
    assert (held.type, [m.value for m in held.metrics]) == (pb.METRIC_TYPE_GAUGE, [1.0])
