"""Client of the host's ``HostCallbacks`` service: the only way a plugin reads
Secrets, ConfigMaps and service-account tokens, and a container's environment
as of now (for a restart).

The host answers only for objects that a pod of its node references, named
with the pod's namespace, name and uid; anything else is PERMISSION_DENIED
with the rule that refused it. Errors come back as the SDK's exceptions
(:class:`~vk_plugin_sdk.errors.NotFound`,
:class:`~vk_plugin_sdk.errors.PermissionDenied`...). Nothing is cached here:
re-fetch and compare ``resource_version`` to learn of updates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import grpc

from vk_plugin_sdk.errors import Internal, from_rpc_error
from vk_plugin_sdk.k8s import Container, PodKey
from vk_plugin_sdk.launch import Launch
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.proto import provider_pb2_grpc as pb_grpc

CALLBACK_DEADLINE_SECONDS = 5.0
"""Deadline of every callback (the host gives each one 5 s)."""

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The protocol's message limit, both ways."""

MESSAGE_LIMIT_OPTIONS: tuple[tuple[str, int | str], ...] = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
)
"""grpcio's options for the protocol's limits (its own default is 4 MiB received)."""

CHANNEL_OPTIONS = (*MESSAGE_LIMIT_OPTIONS, ("grpc.default_authority", "localhost"))
"""The client's options: the limits, and the `:authority` the protocol asks for."""

_Reply = TypeVar("_Reply")


@dataclass(frozen=True)
class SecretData:
    """A Secret's data. Its repr shows the keys, never the values."""

    data: dict[str, bytes] = field(repr=False)
    type: str
    resource_version: str

    @property
    def keys(self) -> list[str]:
        """The Secret's keys, sorted."""
        return sorted(self.data)

    def __repr__(self) -> str:
        return (
            f"SecretData(keys={self.keys!r}, type={self.type!r}, "
            f"resource_version={self.resource_version!r})"
        )


@dataclass(frozen=True)
class ConfigMapData:
    """A ConfigMap's ``data`` and ``binaryData``."""

    data: dict[str, str]
    binary_data: dict[str, bytes]
    resource_version: str


@dataclass(frozen=True)
class ServiceAccountToken:
    """A bound service-account token. Its repr never shows the token."""

    token: str = field(repr=False)
    expiration_unix_seconds: int


class HostClient:
    """Calls the host's ``HostCallbacks`` with the per-launch secret.

    Connects on first use (inside the event loop); :meth:`close` when done
    (the SDK's ``serve`` closes the client it was given).
    """

    def __init__(self, launch: Launch) -> None:
        self._target = f"unix:{launch.host_socket}"
        self._metadata = (("authorization", f"Bearer {launch.secret}"),)
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.HostCallbacksAsyncStub | None = None

    def _callbacks(self) -> pb_grpc.HostCallbacksAsyncStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._target, options=CHANNEL_OPTIONS)
            self._stub = pb_grpc.HostCallbacksStub(self._channel)
        return self._stub

    async def close(self) -> None:
        """Close the connection to the host (a later call reconnects)."""
        if self._channel is not None:
            await self._channel.close()
        self._channel = None
        self._stub = None

    async def get_secret(self, pod: PodKey, name: str) -> SecretData:
        """A Secret that ``pod`` references (``pod.uid`` is required).

        :class:`NotFound` when it does not exist (yet).
        """
        reply = await self._call(
            f"GetSecret {name} for pod {pod}",
            self._callbacks().GetSecret(
                object_request(pod, name),
                timeout=CALLBACK_DEADLINE_SECONDS,
                metadata=self._metadata,
            ),
        )
        return SecretData(dict(reply.data), reply.type, reply.resource_version)

    async def get_config_map(self, pod: PodKey, name: str) -> ConfigMapData:
        """A ConfigMap that ``pod`` references (``pod.uid`` is required)."""
        reply = await self._call(
            f"GetConfigMap {name} for pod {pod}",
            self._callbacks().GetConfigMap(
                object_request(pod, name),
                timeout=CALLBACK_DEADLINE_SECONDS,
                metadata=self._metadata,
            ),
        )
        return ConfigMapData(dict(reply.data), dict(reply.binary_data), reply.resource_version)

    async def create_service_account_token(
        self, pod: PodKey, audiences: Sequence[str] = (), expiration_seconds: int = 0
    ) -> ServiceAccountToken:
        """A token for ``pod``'s own service account, bound to the pod.

        ``audiences`` empty means the API server's default; ``expiration_seconds``
        0 means the host's cap (1 h by default), and longer requests are cut to it.
        """
        request = pb.CreateServiceAccountTokenRequest(
            pod=pod_ref(pod), audiences=list(audiences), expiration_seconds=expiration_seconds
        )
        reply = await self._call(
            f"CreateServiceAccountToken for pod {pod}",
            self._callbacks().CreateServiceAccountToken(
                request, timeout=CALLBACK_DEADLINE_SECONDS, metadata=self._metadata
            ),
        )
        return ServiceAccountToken(reply.token, reply.expiration_unix_seconds)

    async def get_container_env(
        self, pod: PodKey, container: str, pod_ips: Sequence[str] = ()
    ) -> Container:
        """Container ``container`` of ``pod`` with ``env``, ``command`` and ``args`` resolved now.

        Call it just before (re)starting a container, so that it sees the
        Secrets and ConfigMaps as they are now. ``pod_ips`` are the pod's IPs
        as the plugin has them (primary first). :class:`FailedPrecondition`
        carries the kubelet's message for a missing object or key (show it as
        ``CreateContainerConfigError``); :class:`Unsupported` from an older
        host (use the pod's env as received). The result holds values from
        Secrets: never log it.
        """
        request = pb.GetContainerEnvRequest(
            pod=pod_ref(pod), container=container, pod_ips=list(pod_ips)
        )
        reply = await self._call(
            f"GetContainerEnv {container} for pod {pod}",
            self._callbacks().GetContainerEnv(
                request, timeout=CALLBACK_DEADLINE_SECONDS, metadata=self._metadata
            ),
        )
        try:
            decoded = json.loads(reply.container)
        except ValueError as error:
            # Where it failed, not the text: that may quote a value.
            raise Internal(
                f"the host's reply for container {container} is not JSON "
                f"(at position {getattr(error, 'pos', '?')})"
            ) from None
        if not isinstance(decoded, dict):
            raise Internal(f"the host's reply for container {container} is not a JSON object")
        return cast(Container, decoded)

    @staticmethod
    async def _call(what: str, call: grpc.aio.UnaryUnaryCall[Any, _Reply]) -> _Reply:
        try:
            return await call
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error, what) from None


def pod_ref(pod: PodKey) -> pb.PodRef:
    """The protocol's ``PodRef`` of ``pod``."""
    return pb.PodRef(namespace=pod.namespace, name=pod.name, uid=pod.uid or "")


def object_request(pod: PodKey, name: str) -> pb.GetObjectRequest:
    """A ``GetObjectRequest`` for object ``name`` of ``pod``'s namespace."""
    return pb.GetObjectRequest(pod=pod_ref(pod), name=name)
