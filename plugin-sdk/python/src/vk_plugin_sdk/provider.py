"""The :class:`Provider` a plugin implements, and the requests and sessions
the SDK hands to it.

The six pod methods are required. Every optional capability is a method
whose default raises :class:`~vk_plugin_sdk.errors.Unsupported`; the SDK
declares a capability in the handshake exactly when the provider's class
overrides its method(s), and answers UNIMPLEMENTED for the others without
calling the provider.
"""

from __future__ import annotations

import abc
import asyncio
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from vk_plugin_sdk.errors import Unsupported
from vk_plugin_sdk.k8s import Pod, PodKey, PodStatus
from vk_plugin_sdk.proto import provider_pb2 as pb


class Capability(enum.IntEnum):
    """The optional parts of ``PodLifecycle`` (the proto's ``Capability``)."""

    POD_STATUS_STREAM = pb.CAPABILITY_POD_STATUS_STREAM
    CONTAINER_LOGS = pb.CAPABILITY_CONTAINER_LOGS
    EXEC = pb.CAPABILITY_EXEC
    ATTACH = pb.CAPABILITY_ATTACH
    PORT_FORWARD = pb.CAPABILITY_PORT_FORWARD
    STATS_SUMMARY = pb.CAPABILITY_STATS_SUMMARY
    METRICS_RESOURCE = pb.CAPABILITY_METRICS_RESOURCE
    NODE_INFO = pb.CAPABILITY_NODE_INFO
    PLUGIN_METRICS = pb.CAPABILITY_PLUGIN_METRICS


@dataclass(frozen=True)
class PluginInfo:
    """Who the plugin is, answered in the handshake."""

    name: str
    """DNS-label style name, e.g. ``"mock"``; in the node's taint and in logs."""
    version: str
    """The plugin's own version, free form."""


class EventType(enum.Enum):
    """Whether an event reports something normal or a problem."""

    NORMAL = pb.POD_EVENT_TYPE_NORMAL
    WARNING = pb.POD_EVENT_TYPE_WARNING


@dataclass(frozen=True)
class PodEvent:
    """A Kubernetes Event about a pod, in the kubelet's terms.

    ``reason`` is UpperCamelCase (``Started``, ``Killing``); ``message`` is for
    people; ``container`` names the container it is about, if any.
    """

    reason: str
    message: str
    type: EventType = EventType.NORMAL
    container: str | None = None


@dataclass(frozen=True)
class PodStatusUpdate:
    """A pod's new status, Events about it, or both (``WatchPodStatus``)."""

    pod: PodKey
    """Which pod; its ``uid`` must be set."""
    status: PodStatus | None = None
    """The new status; None when the update only carries events."""
    events: tuple[PodEvent, ...] = ()
    """Events to record about the pod, oldest first."""


@dataclass(frozen=True)
class Readiness:
    """Whether the plugin can take pods now; ``message`` says why not."""

    ready: bool = True
    message: str = ""


@dataclass(frozen=True)
class LogsRequest:
    """Options of a container log request, as ``kubectl logs`` sets them."""

    pod: PodKey
    container: str
    tail_lines: int | None = None
    limit_bytes: int | None = None
    since_unix_seconds: int | None = None
    timestamps: bool = False
    follow: bool = False
    previous: bool = False


@dataclass(frozen=True)
class TerminalSize:
    """A terminal's size in columns and rows."""

    width: int
    height: int


@dataclass(frozen=True)
class ExecRequest:
    """What to run for an exec (``command``) or attach (``command`` empty)."""

    pod: PodKey
    container: str
    command: tuple[str, ...]
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False
    terminal_size: TerminalSize | None = None


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended; ``reason`` when it did not exit on its own (e.g. OOMKilled)."""

    code: int
    reason: str = ""


# Depth of every per-session queue: small, so memory stays bounded and a slow
# side pushes back through gRPC flow control.
SESSION_QUEUE_DEPTH = 8


@dataclass
class ExecSession:
    """The streams of one exec or attach. All queues are bounded.

    Read the client's stdin with ``async for chunk in session.stdin()`` (it
    ends at the client's end-of-file), write output with :meth:`write_stdout`
    and :meth:`write_stderr` (they wait while the client is slow). When the
    client goes away the provider's ``exec``/``attach`` task is cancelled.
    """

    _stdin: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE_DEPTH)
    )
    _resizes: asyncio.Queue[TerminalSize] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE_DEPTH)
    )
    _output: asyncio.Queue[pb.ExecOutput] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE_DEPTH)
    )
    _stdin_ended: bool = False

    async def stdin(self) -> AsyncIterator[bytes]:
        """The client's stdin in chunks, until its end-of-file."""
        while True:
            chunk = await self.read_stdin()
            if chunk is None:
                return
            yield chunk

    async def read_stdin(self) -> bytes | None:
        """The next chunk of stdin, or None at its end-of-file."""
        if self._stdin_ended:
            return None
        chunk = await self._stdin.get()
        if chunk is None:
            self._stdin_ended = True
        return chunk

    async def next_resize(self) -> TerminalSize:
        """The next terminal resize (only with a TTY)."""
        return await self._resizes.get()

    async def write_stdout(self, data: bytes) -> None:
        """Send ``data`` to the client's stdout (with a TTY: the terminal)."""
        if data:
            await self._output.put(pb.ExecOutput(stdout=data))

    async def write_stderr(self, data: bytes) -> None:
        """Send ``data`` to the client's stderr (merged into stdout with a TTY)."""
        if data:
            await self._output.put(pb.ExecOutput(stderr=data))


@dataclass
class PortForwardConnection:
    """One forwarded TCP connection.

    ``async for data in connection.from_client()`` ends when the client
    closed its side; :meth:`send` writes towards the client. Returning from
    :meth:`Provider.port_forward` closes the connection towards the client.
    """

    _inbound: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE_DEPTH)
    )
    _outbound: asyncio.Queue[bytes] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE_DEPTH)
    )

    async def from_client(self) -> AsyncIterator[bytes]:
        """Bytes from the client, until it closes its side."""
        while (data := await self._inbound.get()) is not None:
            yield data

    async def send(self, data: bytes) -> None:
        """Send ``data`` to the client (waits while the client is slow)."""
        if data:
            await self._outbound.put(data)


class Provider(abc.ABC):
    """A provider of pods: what a vk-host plugin implements.

    Override the six abstract pod methods, and any optional method for the
    capabilities you offer. Raise the exceptions of :mod:`vk_plugin_sdk.errors`
    (``NotFound``, ``AlreadyExists``, ``InvalidInput``...) to answer with the
    protocol's codes; any other exception is INTERNAL (retried by the host).
    """

    # -- the six required pod calls -------------------------------------------

    @abc.abstractmethod
    async def create_pod(self, pod: Pod) -> None:
        """Start a pod. Idempotent per ``metadata.uid``: a UID already held is OK.

        Another UID under a held namespace/name is :class:`AlreadyExists`.
        Return once the pod is accepted; report progress through its status.
        """

    @abc.abstractmethod
    async def update_pod(self, pod: Pod) -> None:
        """Apply a changed spec or metadata; :class:`NotFound` if the UID is not held."""

    @abc.abstractmethod
    async def delete_pod(self, pod: Pod) -> None:
        """Stop a pod, honouring ``metadata.deletionGracePeriodSeconds``.

        :class:`NotFound` when it is not held (the host counts that as done).
        """

    @abc.abstractmethod
    async def get_pod(self, key: PodKey) -> Pod:
        """The pod as held, with its current status; :class:`NotFound` if not held."""

    @abc.abstractmethod
    async def get_pod_status(self, key: PodKey) -> PodStatus:
        """The pod's current status; :class:`NotFound` if not held."""

    @abc.abstractmethod
    async def get_pods(self) -> list[Pod]:
        """Every pod held, rebuilt from the backend after a restart."""

    # -- lifecycle of the plugin ------------------------------------------------

    async def probe(self) -> Readiness:
        """Readiness for the host's periodic probe (2 s deadline)."""
        return Readiness()

    async def start(self) -> None:  # noqa: B027 (an optional hook, empty by default)
        """Called once in the event loop before the plugin takes calls.

        Recover what a previous instance left (``get_pods`` must list it) and
        start background tasks here: the provider is built before the loop runs.
        An exception stops the plugin before its socket is served.
        """

    async def shutdown(self) -> None:  # noqa: B027 (an optional hook, empty by default)
        """Called once when the plugin stops, before it exits. Pods keep running."""

    def capabilities(self) -> frozenset[Capability]:
        """The optional capabilities this provider implements.

        By default, those whose method the provider's class overrides. Override
        to declare fewer (for example from a configuration file).
        """
        return frozenset(
            capability
            for capability, methods in CAPABILITY_METHODS.items()
            if any(getattr(type(self), m) is not getattr(Provider, m) for m in methods)
        )

    # -- optional capabilities ----------------------------------------------------

    async def watch_pod_status(self) -> AsyncIterator[PodStatusUpdate]:
        """POD_STATUS_STREAM: status changes and Events, for one host stream.

        Send updates into a :class:`~vk_plugin_sdk.PodStatusFeed` and return its
        ``subscribe()``: it keeps what is sent while the host reconnects and
        ends an older stream when a newer one opens, as the protocol asks.
        """
        raise Unsupported("pod status stream")

    async def container_logs(self, request: LogsRequest) -> AsyncIterator[bytes]:
        """CONTAINER_LOGS: the log as ``kubectl logs`` shows it, in chunks.

        Raise :class:`NotFound` for an unknown pod or container before
        returning the iterator; with ``request.follow`` it goes on until the
        container exits (the SDK cancels it when the client goes away).
        """
        raise Unsupported("container logs")

    async def exec(self, request: ExecRequest, session: ExecSession) -> ExitStatus:
        """EXEC: run ``request.command`` in the container and return how it ended."""
        raise Unsupported("exec")

    async def attach(self, request: ExecRequest, session: ExecSession) -> ExitStatus:
        """ATTACH: attach to the container's main process until it exits or the client detaches."""
        raise Unsupported("attach")

    async def port_forward(self, pod: PodKey, port: int, connection: PortForwardConnection) -> None:
        """PORT_FORWARD: carry one TCP connection to ``port`` inside the pod."""
        raise Unsupported("port-forward")

    async def stats_summary(self) -> pb.GetStatsSummaryResponse:
        """STATS_SUMMARY: usage of the node and of every pod held."""
        raise Unsupported("stats summary")

    async def metrics_resource(self) -> pb.GetMetricsResourceResponse:
        """METRICS_RESOURCE: CPU and memory of every running container."""
        raise Unsupported("resource metrics")

    async def node_info(self) -> pb.NodeInfo:
        """NODE_INFO: what the plugin adds to the Node (capacity, labels...)."""
        raise Unsupported("node info")

    async def plugin_metrics(self) -> pb.GetPluginMetricsResponse:
        """PLUGIN_METRICS: the plugin's own metrics, for the host's ``/metrics``.

        Called at each scrape of the host, with a short deadline. With
        ``prometheus_client``, return
        ``vk_plugin_sdk.metrics.collect_plugin_metrics(registry)``; the host
        adds a ``plugin`` label. Keep labels bounded: no pod names or UIDs.
        """
        raise Unsupported("plugin metrics")

    async def watch_node_info(self) -> AsyncIterator[pb.NodeInfo]:
        """NODE_INFO: the current node info, then every change.

        The default sends :meth:`node_info` once and then nothing more.
        """
        current = await self.node_info()
        return _once_then_idle(current)


async def _once_then_idle(info: pb.NodeInfo) -> AsyncIterator[pb.NodeInfo]:
    yield info
    await asyncio.Event().wait()


CAPABILITY_METHODS: dict[Capability, tuple[str, ...]] = {
    Capability.POD_STATUS_STREAM: ("watch_pod_status",),
    Capability.CONTAINER_LOGS: ("container_logs",),
    Capability.EXEC: ("exec",),
    Capability.ATTACH: ("attach",),
    Capability.PORT_FORWARD: ("port_forward",),
    Capability.STATS_SUMMARY: ("stats_summary",),
    Capability.METRICS_RESOURCE: ("metrics_resource",),
    Capability.NODE_INFO: ("node_info", "watch_node_info"),
    Capability.PLUGIN_METRICS: ("plugin_metrics",),
}
"""The methods that implement each optional capability."""
