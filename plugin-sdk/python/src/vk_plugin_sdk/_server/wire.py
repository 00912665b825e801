"""Pods on the wire: Kubernetes JSON in, Kubernetes JSON out, and the checks
every request gets before the provider sees it (INVALID_ARGUMENT otherwise).
"""

from __future__ import annotations

import json
from typing import Any, cast

from vk_plugin_sdk.errors import Internal, InvalidInput
from vk_plugin_sdk.k8s import Pod, PodKey
from vk_plugin_sdk.proto import provider_pb2 as pb


def decode_pod(data: bytes) -> Pod:
    """The pod of a CreatePod/UpdatePod/DeletePod request, checked."""
    if not data:
        raise InvalidInput("`pod` is required")
    try:
        pod = json.loads(data)
    except ValueError as error:
        raise InvalidInput(f"`pod` is not a Kubernetes Pod in JSON: {error}") from None
    if not isinstance(pod, dict):
        raise InvalidInput("`pod` is not a Kubernetes Pod in JSON: not an object")
    meta = pod.get("metadata")
    if not isinstance(meta, dict) or not all(
        isinstance(meta.get(f), str) and meta.get(f) for f in ("name", "namespace", "uid")
    ):
        raise InvalidInput("`pod.metadata` needs name, namespace and uid")
    return cast(Pod, pod)


def encode(value: Any) -> bytes:
    """``value`` (a pod or a status) as compact JSON."""
    try:
        return json.dumps(value, separators=(",", ":")).encode()
    except (TypeError, ValueError) as error:
        raise Internal(f"encoding the reply as JSON: {error}") from None


def pod_key(has_pod: bool, ref: pb.PodRef) -> PodKey:
    """The key of a request's ``PodRef``; namespace and name are required."""
    if not has_pod:
        raise InvalidInput("`pod` is required")
    if not ref.namespace or not ref.name:
        raise InvalidInput("`pod.namespace` and `pod.name` are required")
    return PodKey(ref.namespace, ref.name, ref.uid or None)
