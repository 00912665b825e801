"""One container's log: timestamped lines in memory, read as ``kubectl logs``
reads them (tail, since, limit, timestamps) and followed until the container
ends.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from vk_plugin_sdk import LogsRequest

MAX_LINES = 10_000
"""Lines kept per container; older ones are forgotten (as log rotation would)."""


@dataclass(frozen=True)
class LogLine:
    """One line of output and when it was written (Unix seconds)."""

    at: float
    text: str


def rfc3339(at: float) -> str:
    """``at`` as the kubelet prints log timestamps (RFC 3339, nanoseconds, UTC)."""
    seconds = int(at)
    nanos = round((at - seconds) * 1e9) % 1_000_000_000
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


class ContainerLog:
    """The lines a container wrote, and a way to wait for more."""

    def __init__(self) -> None:
        self._lines: collections.deque[LogLine] = collections.deque(maxlen=MAX_LINES)
        self._written = 0
        self._closed = False
        self._changed = asyncio.Event()

    def write(self, text: str) -> None:
        """Append one line (without its newline)."""
        if self._closed:
            return
        self._lines.append(LogLine(time.time(), text))
        self._written += 1
        self._wake()

    def close(self) -> None:
        """The container ended: followers get what is left, then the end."""
        self._closed = True
        self._wake()

    @property
    def texts(self) -> list[str]:
        """The text of every line kept, oldest first."""
        return [line.text for line in self._lines]

    async def read(self, request: LogsRequest) -> AsyncIterator[bytes]:
        """The log as ``request`` asks, one line per chunk; with ``follow``, until closed."""
        selected = [
            line
            for line in self._lines
            if request.since_unix_seconds is None or line.at >= request.since_unix_seconds
        ]
        if request.tail_lines is not None:
            selected = selected[max(0, len(selected) - request.tail_lines) :]
        position = self._written
        budget = _Budget(request.limit_bytes)
        for chunk in budget.cut(_format(line, request.timestamps) for line in selected):
            yield chunk
        while request.follow and not self._closed and not budget.spent:
            await self._changed.wait()
            first_kept = self._written - len(self._lines)
            fresh = list(self._lines)[max(0, position - first_kept) :]
            position = self._written
            for chunk in budget.cut(_format(line, request.timestamps) for line in fresh):
                yield chunk

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


class _Budget:
    """``limit_bytes``: what may still be sent (None: no limit)."""

    def __init__(self, limit: int | None) -> None:
        self._left = limit

    @property
    def spent(self) -> bool:
        return self._left is not None and self._left <= 0

    def cut(self, chunks: Iterable[bytes]) -> Iterable[bytes]:
        for chunk in chunks:
            if self._left is not None:
                if self._left <= 0:
                    return
                chunk = chunk[: self._left]
                self._left -= len(chunk)
            yield chunk


def _format(line: LogLine, timestamps: bool) -> bytes:
    prefix = f"{rfc3339(line.at)} " if timestamps else ""
    return f"{prefix}{line.text}\n".encode()
