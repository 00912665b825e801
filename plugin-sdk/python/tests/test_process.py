"""The example as vk-host runs it: a separate process with the launch
environment, stopped by stdin end-of-file, SIGTERM, or refusing to start by hand."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
from conftest import AUTH, SECRET

from vk_plugin_sdk.launch import MAGIC_COOKIE
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parent.parent
PYTHONPATH = os.pathsep.join(str(ROOT / p) for p in ("src", "example/src"))


def launch_env(directory: Path) -> dict[str, str]:
    secret = directory / "secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": PYTHONPATH,
        "VK_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE,
        "VK_PLUGIN_SOCKET": str(directory / "plugin.sock"),
        "VK_HOST_SOCKET": str(directory / "host.sock"),
        "VK_PLUGIN_PROTOCOL_VERSIONS": "1",
        "VK_PLUGIN_SECRET_FILE": str(secret),
    }


@asynccontextmanager
async def plugin(directory: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """The example plugin process, once it answers its handshake."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vk_python_example",
        env=launch_env(directory),
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        async with grpc.aio.insecure_channel(f"unix:{directory / 'plugin.sock'}") as channel:
            identity = pb_grpc.PluginIdentityStub(channel)
            reply = await identity.Handshake(
                pb.HandshakeRequest(protocol_versions=[1]),
                metadata=AUTH,
                wait_for_ready=True,
                timeout=30,
            )
            assert reply.name == "python-example"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def exit_code(process: asyncio.subprocess.Process) -> int:
    return await asyncio.wait_for(process.wait(), 30)


async def test_the_plugin_exits_when_stdin_closes(sock_dir: Path) -> None:
    async with plugin(sock_dir) as process:
        assert process.stdin is not None
        process.stdin.close()
        assert await exit_code(process) == 0
    assert not (sock_dir / "plugin.sock").exists()


async def test_the_plugin_exits_on_sigterm(sock_dir: Path) -> None:
    async with plugin(sock_dir) as process:
        process.send_signal(signal.SIGTERM)
        assert await exit_code(process) == 0


async def test_the_socket_is_private(sock_dir: Path) -> None:
    async with plugin(sock_dir):
        assert (sock_dir / "plugin.sock").stat().st_mode & 0o777 == 0o600


async def test_started_by_hand_it_says_how_to_run_it() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vk_python_example",
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": PYTHONPATH},
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"run `vk-host --plugin" in stderr
