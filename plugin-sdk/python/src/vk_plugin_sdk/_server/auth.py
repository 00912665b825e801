"""The per-launch secret on incoming calls: every call but the standard health
service must carry ``authorization: Bearer <secret>``, else UNAUTHENTICATED.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

_Req = TypeVar("_Req")
_Resp = TypeVar("_Resp")

HEALTH_SERVICE_PREFIX = "/grpc.health.v1.Health/"
"""Health checks reveal nothing and are answered without the secret."""


def _deny(shape: grpc.RpcMethodHandler[Any, Any], message: str) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler of the same shape as ``shape`` that ends the call with UNAUTHENTICATED."""

    async def abort(_request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    request_streaming, response_streaming = shape.request_streaming, shape.response_streaming
    if request_streaming and response_streaming:
        return grpc.stream_stream_rpc_method_handler(abort)
    if request_streaming:
        return grpc.stream_unary_rpc_method_handler(abort)
    if response_streaming:
        return grpc.unary_stream_rpc_method_handler(abort)
    return grpc.unary_unary_rpc_method_handler(abort)


class RequireSecret(grpc.aio.ServerInterceptor):
    """Rejects calls that do not carry the bearer secret of this launch."""

    def __init__(self, secret: str) -> None:
        self._expected = f"Bearer {secret}".encode()

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[_Req, _Resp] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[_Req, _Resp] | None:
        """Pass the call on when its secret matches; otherwise answer UNAUTHENTICATED."""
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(HEALTH_SERVICE_PREFIX):
            return handler
        presented = _authorization(handler_call_details.invocation_metadata)
        if presented is None:
            return _deny(handler, "missing `authorization: Bearer <per-launch secret>` metadata")
        if not hmac.compare_digest(presented, self._expected):
            return _deny(handler, "the per-launch secret does not match this launch")
        return handler


def _authorization(metadata: Any) -> bytes | None:
    for key, value in metadata or ():
        if key == "authorization":
            return value.encode() if isinstance(value, str) else bytes(value)
    return None
