"""Fixtures: a short-named socket directory, an SDK server run in-process over
a real Unix socket, and a fake host serving ``HostCallbacks``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from vk_plugin_sdk import HostClient, Launch, PluginInfo, Provider, serve
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc

SECRET = "0123456789abcdef" * 4
AUTH = (("authorization", f"Bearer {SECRET}"),)
GRPC_OPTIONS = (
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
)


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A private directory with a short path (Unix socket paths are limited to 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="vk", dir="/tmp"))
    path.chmod(0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def launch_in(directory: Path) -> Launch:
    """A launch contract as vk-host would give it, with stdin not watched."""
    return Launch(
        plugin_socket=directory / "plugin.sock",
        host_socket=directory / "host.sock",
        protocol_versions=(1,),
        secret=SECRET,
        stdin_is_host_pipe=False,
    )


@dataclass
class Served:
    """An SDK server running in this event loop, and a channel to it."""

    channel: grpc.aio.Channel
    identity: pb_grpc.PluginIdentityAsyncStub
    lifecycle: pb_grpc.PodLifecycleAsyncStub
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def served(provider: Provider, directory: Path) -> AsyncIterator[Served]:
    """Serve ``provider`` on a socket in ``directory`` until the block ends."""
    launch = launch_in(directory)
    task = asyncio.create_task(serve(provider, PluginInfo("test", "0.0.1"), launch))
    for _ in range(3000):
        if launch.plugin_socket.exists() or task.done():
            break
        await asyncio.sleep(0.01)
    if task.done():
        task.result()
    assert launch.plugin_socket.exists(), f"the server did not bind {launch.plugin_socket} in 30 s"
    channel = grpc.aio.insecure_channel(f"unix:{launch.plugin_socket}", options=GRPC_OPTIONS)
    try:
        yield Served(
            channel,
            pb_grpc.PluginIdentityStub(channel),
            pb_grpc.PodLifecycleStub(channel),
            task,
        )
    finally:
        await channel.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class FakeHost(pb_grpc.HostCallbacksServicer):
    """Serves ``HostCallbacks`` from dictionaries, checking the bearer secret."""

    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    token_requests: list[pb.CreateServiceAccountTokenRequest] = field(default_factory=list)

    async def _check(
        self, context: grpc.aio.ServicerContext[Any, Any], rpc: str, name: str
    ) -> None:
        self.calls.append((rpc, name))
        metadata = dict(context.invocation_metadata() or ())
        if metadata.get("authorization") != f"Bearer {SECRET}":
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong secret")

    async def GetSecret(
        self, request: pb.GetObjectRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetSecretResponse:
        await self._check(context, "GetSecret", request.name)
        if request.name == "forbidden":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "rule referenced: not named")
        if request.name not in self.secrets:
            await context.abort(grpc.StatusCode.NOT_FOUND, f'secrets "{request.name}" not found')
        return pb.GetSecretResponse(
            data=self.secrets[request.name], type="Opaque", resource_version="7"
        )

    async def GetConfigMap(
        self, request: pb.GetObjectRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetConfigMapResponse:
        await self._check(context, "GetConfigMap", request.name)
        if request.name not in self.config_maps:
            await context.abort(grpc.StatusCode.NOT_FOUND, f'configmaps "{request.name}" not found')
        return pb.GetConfigMapResponse(data=self.config_maps[request.name], resource_version="3")

    async def CreateServiceAccountToken(
        self,
        request: pb.CreateServiceAccountTokenRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> pb.CreateServiceAccountTokenResponse:
        await self._check(context, "CreateServiceAccountToken", request.pod.name)
        self.token_requests.append(request)
        return pb.CreateServiceAccountTokenResponse(
            token=f"token-for-{request.pod.name}", expiration_unix_seconds=1_000_000
        )

    async def GetContainerEnv(
        self, request: pb.GetContainerEnvRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetContainerEnvResponse:
        await self._check(context, "GetContainerEnv", request.container)
        if request.container not in self.containers:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such container")
        return pb.GetContainerEnvResponse(
            container=json.dumps(self.containers[request.container]).encode()
        )


@contextlib.asynccontextmanager
async def fake_host(host: FakeHost, directory: Path) -> AsyncIterator[HostClient]:
    """Serve ``host`` on the launch's host socket; yield a client of it."""
    launch = launch_in(directory)
    server = grpc.aio.server()
    pb_grpc.add_HostCallbacksServicer_to_server(host, server)
    server.add_insecure_port(f"unix:{launch.host_socket}")
    await server.start()
    client = HostClient(launch)
    try:
        yield client
    finally:
        await client.close()
        await server.stop(None)


def pod_json(
    name: str = "web", uid: str = "uid-1", namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    """A minimal pod with one container ``main``, plus ``spec`` fields."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": uid},
        "spec": {"containers": [{"name": "main", "image": "busybox"}], **spec},
    }
