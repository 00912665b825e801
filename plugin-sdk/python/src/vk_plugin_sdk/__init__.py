"""Write vk-host provider plugins in Python.

A plugin is an executable that vk-host launches (``vk-host --plugin PATH``)
and drives over gRPC (``proto/provider.proto`` is the specification).
Subclass :class:`Provider`, call :func:`run`, and the SDK does the rest: it
reads the launch environment, binds the plugin socket with private
permissions, answers the handshake with the capabilities your class
implements, checks the per-launch secret on every call, serves the standard
gRPC health service, sends stream headers at once, keeps pod status updates
across stream reconnects (:class:`PodStatusFeed`), raises the message limits
to 16 MiB, and stops gracefully on SIGTERM, on the host's Shutdown request
and when the host goes away (stdin end-of-file). :class:`HostClient` reads
the Secrets, ConfigMaps and tokens your pods reference; :func:`volume_files`
builds the files of a pod's secret, configMap and projected volumes.
:func:`collect_plugin_metrics` turns a ``prometheus_client`` registry into
the answer of :meth:`Provider.plugin_metrics` (the plugin's own metrics on
the host's ``/metrics``).
"""

from vk_plugin_sdk._server.run import ProviderFactory, run
from vk_plugin_sdk._server.serve import ServeError, serve
from vk_plugin_sdk.callbacks import ConfigMapData, HostClient, SecretData, ServiceAccountToken
from vk_plugin_sdk.errors import (
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ProviderError,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unknown,
    Unsupported,
)
from vk_plugin_sdk.k8s import (
    Container,
    ContainerStatus,
    ObjectMeta,
    Pod,
    PodKey,
    PodSpec,
    PodStatus,
)
from vk_plugin_sdk.launch import Launch, LaunchError
from vk_plugin_sdk.metrics import collect_plugin_metrics, plugin_metrics_of
from vk_plugin_sdk.plugin_log import configure_logging
from vk_plugin_sdk.proto import provider_pb2 as pb
from vk_plugin_sdk.provider import (
    Capability,
    EventType,
    ExecRequest,
    ExecSession,
    ExitStatus,
    LogsRequest,
    PluginInfo,
    PodEvent,
    PodStatusUpdate,
    PortForwardConnection,
    Provider,
    Readiness,
    TerminalSize,
)
from vk_plugin_sdk.status_feed import PodStatusFeed
from vk_plugin_sdk.volumes import VolumeContents, VolumeFile, VolumeVersions, volume_files

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Capability",
    "ConfigMapData",
    "Container",
    "ContainerStatus",
    "DeadlineExceeded",
    "EventType",
    "ExecRequest",
    "ExecSession",
    "ExitStatus",
    "FailedPrecondition",
    "HostClient",
    "Internal",
    "InvalidInput",
    "Launch",
    "LaunchError",
    "LogsRequest",
    "NotFound",
    "ObjectMeta",
    "PermissionDenied",
    "PluginInfo",
    "Pod",
    "PodEvent",
    "PodKey",
    "PodSpec",
    "PodStatus",
    "PodStatusFeed",
    "PodStatusUpdate",
    "PortForwardConnection",
    "Provider",
    "ProviderError",
    "ProviderFactory",
    "Readiness",
    "ResourceExhausted",
    "SecretData",
    "ServeError",
    "ServiceAccountToken",
    "TerminalSize",
    "Unauthenticated",
    "Unavailable",
    "Unknown",
    "Unsupported",
    "VolumeContents",
    "VolumeFile",
    "VolumeVersions",
    "collect_plugin_metrics",
    "configure_logging",
    "pb",
    "plugin_metrics_of",
    "run",
    "serve",
    "volume_files",
]
