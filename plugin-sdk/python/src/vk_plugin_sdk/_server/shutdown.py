"""What ends a plugin: SIGTERM or SIGINT, end-of-file on stdin (the host holds
the other end of that pipe, so EOF means it is gone), or the Shutdown rpc.
All of them set one :class:`asyncio.Event`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading

log = logging.getLogger("vk_plugin_sdk.server")


def watch_signals(shutdown: asyncio.Event) -> None:
    """Set ``shutdown`` on SIGTERM and SIGINT."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stop, shutdown, signal.Signals(signum).name)


def unwatch_signals() -> None:
    """Give SIGTERM and SIGINT back to their previous handling."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signum)


def watch_stdin(shutdown: asyncio.Event) -> None:
    """Set ``shutdown`` when stdin reaches end-of-file (or cannot be read).

    A daemon thread blocks on the raw file descriptor: it works whatever stdin
    is (pipe, file, terminal) and never holds Python's stdin buffer lock, so
    it cannot stall the interpreter's exit.
    """
    loop = asyncio.get_running_loop()

    def read_until_eof() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        # The loop may be gone already when the plugin stopped for another reason.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_stop, shutdown, "stdin closed, the host is gone")

    threading.Thread(target=read_until_eof, name="vk-plugin-stdin", daemon=True).start()


def _stop(shutdown: asyncio.Event, reason: str) -> None:
    if not shutdown.is_set():
        # Set first: nothing that goes wrong while logging may keep the plugin running.
        shutdown.set()
        log.info("%s: shutting down", reason)
