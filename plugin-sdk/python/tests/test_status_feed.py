import asyncio
from collections.abc import AsyncIterator

from vk_plugin_sdk import PodEvent, PodKey, PodStatusFeed, PodStatusUpdate


def update(name: str) -> PodStatusUpdate:
    return PodStatusUpdate(
        PodKey("ns", name, f"uid-{name}"),
        events=(PodEvent("Started", f"Started container in {name}", container="main"),),
    )


async def next_name(stream: AsyncIterator[PodStatusUpdate]) -> str | None:
    try:
        got = await asyncio.wait_for(anext(stream), 30)
    except StopAsyncIteration:
        return None
    return got.pod.name


async def test_updates_sent_while_no_stream_is_attached_are_delivered_when_one_attaches() -> None:
    feed = PodStatusFeed(8)
    feed.send(update("a"))
    feed.send(update("b"))
    stream = feed.subscribe()
    assert await next_name(stream) == "a"
    assert await next_name(stream) == "b"
    feed.send(update("c"))
    assert await next_name(stream) == "c"


async def test_across_a_reconnect_nothing_is_lost_and_the_old_stream_ends() -> None:
    feed = PodStatusFeed(8)
    first = feed.subscribe()
    feed.send(update("a"))
    assert await next_name(first) == "a"
    # The host's stream broke; it is reconnecting.
    feed.send(update("b"))
    waiting = feed.subscribe()
    second = feed.subscribe()
    assert await next_name(waiting) is None, "the older stream ends"
    assert await next_name(first) is None, "the first stream ends too"
    assert await next_name(second) == "b"


async def test_an_older_stream_waiting_for_updates_ends_when_a_newer_one_opens() -> None:
    feed = PodStatusFeed(8)
    older = feed.subscribe()
    pending = asyncio.ensure_future(next_name(older))
    await asyncio.sleep(0)
    newer = feed.subscribe()
    assert await pending is None
    feed.send(update("a"))
    assert await next_name(newer) == "a"


async def test_a_full_buffer_drops_the_oldest_and_counts_it() -> None:
    feed = PodStatusFeed(2)
    for name in "abcd":
        feed.send(update(name))
    assert feed.dropped == 2
    assert feed.pending == 2
    stream = feed.subscribe()
    assert await next_name(stream) == "c"
    assert await next_name(stream) == "d"


async def test_a_waiting_stream_wakes_for_a_later_send() -> None:
    feed = PodStatusFeed(8)
    stream = feed.subscribe()
    asyncio.get_running_loop().call_later(0.05, feed.send, update("late"))
    assert await next_name(stream) == "late"
