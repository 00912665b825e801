"""The one place a provider's exception becomes the call's gRPC status."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Never, TypeVar

import grpc

from vk_plugin_sdk.errors import ProviderError, status_of

log = logging.getLogger("vk_plugin_sdk.server")

Context = grpc.aio.ServicerContext[Any, Any]
_T = TypeVar("_T")


async def abort_with(context: Context, error: Exception) -> Never:
    """End the call with the status of ``error`` (logged when it is not a ProviderError)."""
    if isinstance(error, grpc.aio.AbortError):
        raise error
    code, message = status_of(error)
    if not isinstance(error, ProviderError):
        log.error("provider raised an unexpected exception: %s", message, exc_info=error)
    await context.abort(code, message)


async def answer(context: Context, work: Awaitable[_T]) -> _T:
    """The result of ``work``, or the call ended with the status of what it raised."""
    try:
        return await work
    except Exception as error:
        await abort_with(context, error)


async def close_iterator(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator the provider returned, so its cleanup runs now."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


async def check(context: Context, work: Callable[[], _T]) -> _T:
    """The result of ``work()``, or the call ended with the status of what it raised."""
    try:
        return work()
    except Exception as error:
        await abort_with(context, error)
