"""The pod status feed: what a provider pushes (statuses and Events) on its
way to the host's ``WatchPodStatus`` stream, kept while no stream is attached.

The host holds one stream per plugin instance and opens a new one after any
break; a newer stream takes over from an older one. Updates sent meanwhile
wait in a bounded buffer and go out, oldest first, when a stream attaches;
when the buffer is full the oldest update is dropped and counted (statuses
are also caught up by the host's resync, Events are not).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import AsyncIterator

from vk_plugin_sdk.provider import PodStatusUpdate

log = logging.getLogger(__name__)


class PodStatusFeed:
    """Where a provider sends its status updates.

    Return :meth:`subscribe` from ``Provider.watch_pod_status``. Use it from
    the event loop's thread (``loop.call_soon_threadsafe(feed.send, update)``
    from another thread).
    """

    DEFAULT_CAPACITY = 4096
    """Updates kept at most while the host is not reading."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = max(1, capacity)
        self._queue: collections.deque[PodStatusUpdate] = collections.deque()
        self._consumer = 0
        self._dropped = 0
        self._wake = asyncio.Event()

    def send(self, update: PodStatusUpdate) -> None:
        """Queue ``update`` for the host; never blocks.

        When the buffer is full the oldest unread update is dropped, with a
        warning at the 1st, 2nd, 4th, 8th... drop.
        """
        self._queue.append(update)
        if len(self._queue) > self._capacity:
            self._queue.popleft()
            self._dropped += 1
            if self._dropped & (self._dropped - 1) == 0:
                log.warning(
                    "the host is not reading pod status updates; dropped the oldest "
                    "(%d dropped in all, buffer of %d)",
                    self._dropped,
                    self._capacity,
                )
        self._notify()

    @property
    def dropped(self) -> int:
        """How many updates were dropped so far because the buffer was full."""
        return self._dropped

    @property
    def pending(self) -> int:
        """How many updates wait for the host."""
        return len(self._queue)

    def subscribe(self) -> AsyncIterator[PodStatusUpdate]:
        """The stream for the host: first what waited, then every new update.

        It ends when a newer stream is subscribed. The subscription takes
        effect at once, before the first iteration.
        """
        self._consumer += 1
        # An older stream still waiting wakes up and ends.
        self._notify()
        return self._stream(self._consumer)

    async def _stream(self, consumer: int) -> AsyncIterator[PodStatusUpdate]:
        while True:
            wake = self._wake
            if self._consumer != consumer:
                return
            if self._queue:
                yield self._queue.popleft()
                continue
            await wake.wait()

    def _notify(self) -> None:
        # Wake every waiter; later waiters wait on a fresh event.
        self._wake.set()
        self._wake = asyncio.Event()
