"""The errors a provider raises, and the one place they become gRPC codes.

Each exception class maps to exactly one code of the retry table in
``proto/provider.proto``; the message reaches users through pod events and
``kubectl describe``, so say what failed and why. Errors from the host's
``HostCallbacks`` come back as the same classes (:func:`from_rpc_error`).
"""

from __future__ import annotations

from typing import ClassVar

import grpc


class ProviderError(Exception):
    """Base of every error that maps to a gRPC code; itself INTERNAL (retried)."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL

    @property
    def message(self) -> str:
        """The text sent to the host as the status message."""
        text = str(self)
        cause = self.__cause__
        if cause is not None and str(cause) and str(cause) not in text:
            return f"{text}: {cause}"
        return text


class NotFound(ProviderError):
    """The pod, container or object does not exist (DeletePod: already gone)."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ProviderError):
    """A different pod (another UID) already holds this namespace/name."""

    code = grpc.StatusCode.ALREADY_EXISTS


class InvalidInput(ProviderError):
    """The request is malformed or can never run here; not retried (INVALID_ARGUMENT)."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class FailedPrecondition(ProviderError):
    """Something the pod needs is not there yet; retried with backoff."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(ProviderError):
    """A transient failure of the backend; retried with backoff."""

    code = grpc.StatusCode.UNAVAILABLE


class ResourceExhausted(ProviderError):
    """The backend is out of capacity for now; retried with backoff."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Aborted(ProviderError):
    """A conflict with concurrent work; retried with backoff."""

    code = grpc.StatusCode.ABORTED


class DeadlineExceeded(ProviderError):
    """The work did not finish in time; retried with backoff."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Internal(ProviderError):
    """Anything else that went wrong; retried with backoff."""

    code = grpc.StatusCode.INTERNAL


class Unknown(ProviderError):
    """An error whose kind is not known; retried with backoff."""

    code = grpc.StatusCode.UNKNOWN


class Unsupported(ProviderError):
    """The optional capability is not implemented (UNIMPLEMENTED, never retried)."""

    code = grpc.StatusCode.UNIMPLEMENTED


class Unauthenticated(ProviderError):
    """The call lacked the per-launch secret; permanent."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ProviderError):
    """Refused by a rule (the host's callbacks name it); permanent."""

    code = grpc.StatusCode.PERMISSION_DENIED


_BY_CODE: dict[grpc.StatusCode, type[ProviderError]] = {
    cls.code: cls
    for cls in (
        NotFound,
        AlreadyExists,
        InvalidInput,
        FailedPrecondition,
        Unavailable,
        ResourceExhausted,
        Aborted,
        DeadlineExceeded,
        Internal,
        Unknown,
        Unsupported,
        Unauthenticated,
        PermissionDenied,
    )
}


def status_of(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The gRPC code and message the host sees for ``error``.

    A :class:`ProviderError` keeps its code; any other exception is INTERNAL
    (the host retries) with its type and text, so that a bug in a provider
    shows up in the pod's events instead of a bare "unknown error".
    """
    if isinstance(error, ProviderError):
        return error.code, error.message
    return grpc.StatusCode.INTERNAL, f"{type(error).__name__}: {error}"


def from_rpc_error(error: grpc.aio.AioRpcError, what: str) -> ProviderError:
    """The :class:`ProviderError` of the same code as ``error``, naming ``what`` was asked."""
    cls = _BY_CODE.get(error.code(), Unknown)
    return cls(f"{what}: {error.details() or error.code().name}")
