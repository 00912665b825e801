"""Light typing of the Kubernetes JSON that crosses the wire.

Pods and pod statuses travel as their ``k8s.io/api`` core/v1 JSON encoding
(as ``kubectl get -o json`` prints them). The SDK hands them to a provider
as parsed JSON: plain ``dict``s, typed here with the fields plugins commonly
read and write. Every other field of the JSON is kept as it came; reach it
with ``pod.get("spec", {}).get(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict


class ObjectMeta(TypedDict, total=False):
    """core/v1 ObjectMeta, the fields plugins use."""

    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    resourceVersion: str
    creationTimestamp: str
    deletionTimestamp: str
    deletionGracePeriodSeconds: int
    ownerReferences: list[dict[str, Any]]


class EnvVar(TypedDict, total=False):
    """core/v1 EnvVar; the host sends literal ``value``s (see "Environment")."""

    name: str
    value: str
    valueFrom: dict[str, Any]


class Container(TypedDict, total=False):
    """core/v1 Container, the fields plugins use."""

    name: str
    image: str
    command: list[str]
    args: list[str]
    env: list[EnvVar]
    workingDir: str
    ports: list[dict[str, Any]]
    resources: dict[str, Any]
    volumeMounts: list[dict[str, Any]]


class PodSpec(TypedDict, total=False):
    """core/v1 PodSpec, the fields plugins use."""

    containers: list[Container]
    initContainers: list[Container]
    ephemeralContainers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    nodeName: str
    serviceAccountName: str
    restartPolicy: str
    hostNetwork: bool
    imagePullSecrets: list[dict[str, str]]
    terminationGracePeriodSeconds: int


class PodCondition(TypedDict, total=False):
    """core/v1 PodCondition."""

    type: str
    status: str
    reason: str
    message: str
    lastTransitionTime: str
    lastProbeTime: str


class ContainerStatus(TypedDict, total=False):
    """core/v1 ContainerStatus; ``state`` is ``{"running": {...}}`` and the like."""

    name: str
    image: str
    imageID: str
    containerID: str
    ready: bool
    started: bool
    restartCount: int
    state: dict[str, Any]
    lastState: dict[str, Any]


class PodStatus(TypedDict, total=False):
    """core/v1 PodStatus: what the plugin owns (see the proto's "Pod status")."""

    phase: str
    reason: str
    message: str
    podIP: str
    podIPs: list[dict[str, str]]
    hostIP: str
    hostIPs: list[dict[str, str]]
    startTime: str
    conditions: list[PodCondition]
    containerStatuses: list[ContainerStatus]
    initContainerStatuses: list[ContainerStatus]
    ephemeralContainerStatuses: list[ContainerStatus]


class Pod(TypedDict, total=False):
    """core/v1 Pod."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: PodSpec
    status: PodStatus


@dataclass(frozen=True)
class PodKey:
    """Identifies a pod in lookups; ``uid``, when set, must match the held pod's."""

    namespace: str
    name: str
    uid: str | None = None

    @classmethod
    def of(cls, pod: Pod) -> PodKey:
        """The key of ``pod``, with its uid (as status updates and events need)."""
        meta = pod.get("metadata", {})
        return cls(meta.get("namespace", ""), meta.get("name", ""), meta.get("uid") or None)

    def matches(self, pod: Pod) -> bool:
        """Whether ``pod`` is the one this key names (same uid when the key has one)."""
        meta = pod.get("metadata", {})
        same_name = (meta.get("namespace"), meta.get("name")) == (self.namespace, self.name)
        return same_name and (self.uid is None or meta.get("uid") == self.uid)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"
