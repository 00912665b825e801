"""The files of a pod's ``secret``, ``configMap`` and ``projected`` volumes
(including the ``kube-api-access-*`` volume Kubernetes injects: a bound token,
the cluster CA and the namespace), built the way the kubelet builds them,
from data fetched through :class:`~vk_plugin_sdk.callbacks.HostClient`. A
plugin writes them wherever its runtime mounts volumes from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vk_plugin_sdk.callbacks import ConfigMapData, HostClient
from vk_plugin_sdk.errors import FailedPrecondition, InvalidInput, NotFound
from vk_plugin_sdk.k8s import Pod, PodKey

DEFAULT_TOKEN_SECONDS = 3600
"""A projected token's lifetime when the volume does not say."""

DEFAULT_MODE = 0o644


@dataclass(frozen=True)
class VolumeFile:
    """One file of a volume; its repr never shows the contents."""

    path: str
    """Path relative to the volume's root, e.g. ``token`` or ``conf/app.yaml``."""
    contents: bytes = field(repr=False)
    mode: int = DEFAULT_MODE
    """Permission bits (``items[].mode``, else the volume's ``defaultMode``, else 0644)."""


@dataclass
class VolumeVersions:
    """What a volume's files were built from, to notice changes on re-fetch.

    ``objects`` holds ``(kind/name, resourceVersion)`` pairs; a token's
    earliest expiry is in ``token_expires_unix_seconds``.
    """

    objects: list[tuple[str, str]] = field(default_factory=list)
    token_expires_unix_seconds: int | None = None


@dataclass
class VolumeContents:
    """The files of one volume and what they were built from."""

    files: list[VolumeFile] = field(default_factory=list)
    versions: VolumeVersions = field(default_factory=VolumeVersions)


async def volume_files(
    host: HostClient, pod: Pod, volume: Mapping[str, Any]
) -> VolumeContents | None:
    """The files of ``volume`` (an entry of ``pod.spec.volumes``), or None.

    None is for a volume type this helper does not build (emptyDir,
    hostPath...: the plugin's own). A required object that does not exist is
    :class:`NotFound`, a required key missing from it
    :class:`FailedPrecondition`: the pod cannot start yet.
    """
    key = PodKey.of(pod)
    out = VolumeContents()
    if (source := volume.get("secret")) is not None:
        mode = source.get("defaultMode", DEFAULT_MODE)
        await _add_secret(host, key, out, source.get("secretName", ""), source, mode)
    elif (source := volume.get("configMap")) is not None:
        mode = source.get("defaultMode", DEFAULT_MODE)
        await _add_config_map(host, key, out, source.get("name", ""), source, mode)
    elif (projected := volume.get("projected")) is not None:
        mode = projected.get("defaultMode", DEFAULT_MODE)
        for source in projected.get("sources") or []:
            await _add_projection(host, pod, key, out, source, mode)
    else:
        return None
    return out


async def _add_projection(
    host: HostClient,
    pod: Pod,
    key: PodKey,
    out: VolumeContents,
    source: Mapping[str, Any],
    mode: int,
) -> None:
    if (secret := source.get("secret")) is not None:
        await _add_secret(host, key, out, secret.get("name", ""), secret, mode)
    if (config_map := source.get("configMap")) is not None:
        await _add_config_map(host, key, out, config_map.get("name", ""), config_map, mode)
    if (token_source := source.get("serviceAccountToken")) is not None:
        audience = token_source.get("audience") or ""
        token = await host.create_service_account_token(
            key,
            [audience] if audience else [],
            token_source.get("expirationSeconds", DEFAULT_TOKEN_SECONDS),
        )
        expires = out.versions.token_expires_unix_seconds
        out.versions.token_expires_unix_seconds = (
            token.expiration_unix_seconds
            if expires is None
            else min(expires, token.expiration_unix_seconds)
        )
        out.files.append(VolumeFile(token_source.get("path", ""), token.token.encode(), mode))
    if (downward := source.get("downwardAPI")) is not None:
        for item in downward.get("items") or []:
            field_ref = item.get("fieldRef")
            if field_ref is None:
                continue
            path = field_ref.get("fieldPath", "")
            value = metadata_field(pod, path)
            if value is None:
                raise InvalidInput(f"downwardAPI field {path} is not supported by this helper")
            out.files.append(
                VolumeFile(item.get("path", ""), value.encode(), item.get("mode", mode))
            )


async def _add_secret(
    host: HostClient,
    key: PodKey,
    out: VolumeContents,
    name: str,
    source: Mapping[str, Any],
    mode: int,
) -> None:
    optional = bool(source.get("optional"))
    try:
        secret = await host.get_secret(key, name)
    except NotFound:
        if optional:
            return
        raise
    out.versions.objects.append((f"Secret/{name}", secret.resource_version))
    _project(out.files, secret.data, source.get("items"), mode, f"Secret {name}", optional)


async def _add_config_map(
    host: HostClient,
    key: PodKey,
    out: VolumeContents,
    name: str,
    source: Mapping[str, Any],
    mode: int,
) -> None:
    optional = bool(source.get("optional"))
    try:
        config_map = await host.get_config_map(key, name)
    except NotFound:
        if optional:
            return
        raise
    out.versions.objects.append((f"ConfigMap/{name}", config_map.resource_version))
    _project(
        out.files,
        config_map_bytes(config_map),
        source.get("items"),
        mode,
        f"ConfigMap {name}",
        optional,
    )


def config_map_bytes(config_map: ConfigMapData) -> dict[str, bytes]:
    """A ConfigMap's ``data`` (UTF-8) and ``binaryData`` as one key-to-bytes map."""
    data = {key: value.encode() for key, value in config_map.data.items()}
    data.update(config_map.binary_data)
    return data


def _project(
    files: list[VolumeFile],
    data: Mapping[str, bytes],
    items: list[Mapping[str, Any]] | None,
    mode: int,
    what: str,
    optional: bool,
) -> None:
    """Files from an object's data: every key, or only ``items`` (to their paths)."""
    if not items:
        files.extend(VolumeFile(key, value, mode) for key, value in sorted(data.items()))
        return
    for item in items:
        item_key = item.get("key", "")
        if item_key in data:
            files.append(
                VolumeFile(item.get("path", item_key), data[item_key], item.get("mode", mode))
            )
        elif not optional:
            raise FailedPrecondition(
                f"configured to use key {item_key} of {what}, which has no such key"
            )


def metadata_field(pod: Pod, path: str) -> str | None:
    """The downward-API metadata fields a plugin can read from the pod itself."""
    meta = pod.get("metadata", {})

    def pairs(values: Mapping[str, str]) -> str:
        return "\n".join(f"{key}={json.dumps(value)}" for key, value in sorted(values.items()))

    match path:
        case "metadata.namespace":
            return meta.get("namespace")
        case "metadata.name":
            return meta.get("name")
        case "metadata.uid":
            return meta.get("uid")
        case "metadata.labels":
            return pairs(meta.get("labels", {}))
        case "metadata.annotations":
            return pairs(meta.get("annotations", {}))
    return None
