import grpc
import pytest

from vk_plugin_sdk import errors
from vk_plugin_sdk.errors import from_rpc_error, status_of

# The retry table of proto/provider.proto, class by class.
TABLE = [
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.InvalidInput, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.Aborted, grpc.StatusCode.ABORTED),
    (errors.DeadlineExceeded, grpc.StatusCode.DEADLINE_EXCEEDED),
    (errors.Internal, grpc.StatusCode.INTERNAL),
    (errors.Unknown, grpc.StatusCode.UNKNOWN),
    (errors.Unsupported, grpc.StatusCode.UNIMPLEMENTED),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
]


@pytest.mark.parametrize(("cls", "code"), TABLE)
def test_every_error_maps_to_its_documented_code(
    cls: type[errors.ProviderError], code: grpc.StatusCode
) -> None:
    assert status_of(cls("pod default/web")) == (code, "pod default/web")


def test_an_unexpected_exception_is_internal_and_names_its_type() -> None:
    assert status_of(ValueError("bad value")) == (
        grpc.StatusCode.INTERNAL,
        "ValueError: bad value",
    )


def test_the_cause_is_kept_in_the_message() -> None:
    error = errors.Internal("writing pod state")
    error.__cause__ = OSError("disk full")
    assert status_of(error) == (grpc.StatusCode.INTERNAL, "writing pod state: disk full")


@pytest.mark.parametrize(("cls", "code"), TABLE)
def test_rpc_errors_come_back_as_the_same_class(
    cls: type[errors.ProviderError], code: grpc.StatusCode
) -> None:
    rpc_error = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), "why")
    error = from_rpc_error(rpc_error, "GetSecret db")
    assert type(error) is cls
    assert str(error) == "GetSecret db: why"
