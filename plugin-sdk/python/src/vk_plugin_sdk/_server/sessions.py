"""Plumbing between gRPC bidirectional streams and the bounded queues of
:class:`~vk_plugin_sdk.ExecSession` and :class:`~vk_plugin_sdk.PortForwardConnection`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from vk_plugin_sdk._server.wire import pod_key
from vk_plugin_sdk.errors import InvalidInput
from vk_plugin_sdk.k8s import PodKey
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.provider import (
    ExecRequest,
    ExecSession,
    PortForwardConnection,
    TerminalSize,
)

_T = TypeVar("_T")


async def exec_start(inbound: AsyncIterator[pb.ExecInput], needs_command: bool) -> ExecRequest:
    """The mandatory ``start`` message of an exec/attach stream, checked."""
    first = await anext(inbound, None)
    if first is None:
        raise InvalidInput("the stream ended before its `start` message")
    if first.WhichOneof("input") != "start":
        raise InvalidInput("the first message of the stream must be `start`")
    start = first.start
    if not start.container:
        raise InvalidInput("`start.container` is required")
    if needs_command and not start.command:
        raise InvalidInput("`start.command` is required for exec")
    size = start.terminal_size if start.HasField("terminal_size") else None
    return ExecRequest(
        pod=pod_key(start.HasField("pod"), start.pod),
        container=start.container,
        command=tuple(start.command),
        stdin=start.stdin,
        stdout=start.stdout,
        stderr=start.stderr,
        tty=start.tty,
        terminal_size=TerminalSize(size.width, size.height) if size else None,
    )


async def pump_exec_input(inbound: AsyncIterator[pb.ExecInput], session: ExecSession) -> None:
    """Carry the client's stdin, resizes and stdin close into ``session``."""
    stdin_open = True
    with contextlib.suppress(Exception):
        async for message in inbound:
            kind = message.WhichOneof("input")
            if kind == "stdin" and stdin_open:
                await session._stdin.put(message.stdin)
            elif kind == "resize":
                # A full resize queue only loses intermediate sizes.
                with contextlib.suppress(asyncio.QueueFull):
                    size = message.resize
                    session._resizes.put_nowait(TerminalSize(size.width, size.height))
            elif kind == "close_stdin" and stdin_open:
                stdin_open = False
                await session._stdin.put(None)
    if stdin_open:
        # The client is gone or ended its stream: stdin has ended too.
        await session._stdin.put(None)


async def port_forward_start(inbound: AsyncIterator[pb.PortForwardInput]) -> tuple[PodKey, int]:
    """The mandatory ``start`` message of a port-forward stream, checked."""
    first = await anext(inbound, None)
    if first is None:
        raise InvalidInput("the stream ended before its `start` message")
    if first.WhichOneof("input") != "start":
        raise InvalidInput("the first message of the stream must be `start`")
    port = first.start.port
    if not 0 < port < 65536:
        raise InvalidInput(f"port {port} is not a TCP port")
    return pod_key(first.start.HasField("pod"), first.start.pod), port


async def pump_port_forward_input(
    inbound: AsyncIterator[pb.PortForwardInput], connection: PortForwardConnection
) -> None:
    """Carry the client's bytes into ``connection``, then its end."""
    with contextlib.suppress(Exception):
        async for message in inbound:
            if message.WhichOneof("input") == "data":
                await connection._inbound.put(message.data)
    await connection._inbound.put(None)


async def drain_until_done(queue: asyncio.Queue[_T], task: asyncio.Task[Any]) -> AsyncIterator[_T]:
    """What ``queue`` receives while ``task`` runs, then what is left in it."""
    while not task.done():
        getter = asyncio.ensure_future(queue.get())
        try:
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            yield getter.result()
    while not queue.empty():
        yield queue.get_nowait()
