"""The Secrets a pod's volumes reference, read through the host's callbacks."""

from __future__ import annotations

from dataclasses import dataclass

from vk_plugin_sdk import FailedPrecondition, HostClient, NotFound, Pod, PodKey


@dataclass(frozen=True)
class SecretRef:
    """A Secret named by a pod's volume, and whether the pod can do without it."""

    name: str
    optional: bool


def secret_refs(pod: Pod) -> list[SecretRef]:
    """The Secrets of ``secret`` volumes and ``projected`` secret sources, in spec order."""
    refs: list[SecretRef] = []
    for volume in pod.get("spec", {}).get("volumes", []):
        if (source := volume.get("secret")) is not None:
            refs.append(SecretRef(source.get("secretName", ""), bool(source.get("optional"))))
        for projection in (volume.get("projected") or {}).get("sources") or []:
            if (source := projection.get("secret")) is not None:
                refs.append(SecretRef(source.get("name", ""), bool(source.get("optional"))))
    unique: dict[str, SecretRef] = {}
    for ref in refs:
        # A name referenced twice is required when any reference requires it.
        held = unique.get(ref.name)
        unique[ref.name] = SecretRef(ref.name, ref.optional and (held is None or held.optional))
    return list(unique.values())


async def read_secret_keys(host: HostClient, pod: Pod) -> list[str]:
    """One log line per Secret the pod references: its name and keys, never values.

    A required Secret that does not exist (yet) is FailedPrecondition: the
    host retries the CreatePod with backoff, as for a missing volume source.
    """
    key = PodKey.of(pod)
    lines = []
    for ref in secret_refs(pod):
        try:
            secret = await host.get_secret(key, ref.name)
        except NotFound as error:
            if ref.optional:
                lines.append(f"secret {ref.name}: optional and not found")
                continue
            raise FailedPrecondition(f"secret {ref.name} of pod {key} not found") from error
        lines.append(f"secret {ref.name}: keys {', '.join(secret.keys) or '(none)'}")
    return lines
