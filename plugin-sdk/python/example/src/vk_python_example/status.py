"""The statuses the example reports, built from the pod's spec (pure functions)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from vk_plugin_sdk import ContainerStatus, Pod, PodStatus
from vk_plugin_sdk.k8s import PodCondition


def now() -> str:
    """The current time as Kubernetes writes it (RFC 3339, seconds, UTC)."""
    return datetime.fromtimestamp(int(time.time()), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def container_id(pod: Pod, container: str) -> str:
    """A stable, made-up container id (``example://<pod uid>/<name>``)."""
    return f"example://{pod.get('metadata', {}).get('uid', '')}/{container}"


def _conditions(ready: bool, at: str, reason: str = "") -> list[PodCondition]:
    conditions: list[PodCondition] = [
        {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": at},
        {"type": "Initialized", "status": "True", "lastTransitionTime": at},
    ]
    for kind in ("ContainersReady", "Ready"):
        condition: PodCondition = {
            "type": kind,
            "status": "True" if ready else "False",
            "lastTransitionTime": at,
        }
        if reason:
            condition["reason"] = reason
        conditions.append(condition)
    conditions.append({"type": "PodScheduled", "status": "True", "lastTransitionTime": at})
    return conditions


def running(pod: Pod, ip: str, started: str) -> PodStatus:
    """Every container running and ready since ``started``, the pod at ``ip``."""
    statuses: list[ContainerStatus] = [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": container_id(pod, c.get("name", "")),
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": started}},
        }
        for c in pod.get("spec", {}).get("containers", [])
    ]
    return {
        "phase": "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "conditions": _conditions(True, started),
        "containerStatuses": statuses,
    }


def terminated(pod: Pod, ip: str, started: str) -> PodStatus:
    """Every container ended on its stop signal with exit code 0 (phase Succeeded)."""
    finished = now()
    statuses: list[ContainerStatus] = [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": container_id(pod, c.get("name", "")),
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": started,
                    "finishedAt": finished,
                    "containerID": container_id(pod, c.get("name", "")),
                }
            },
        }
        for c in pod.get("spec", {}).get("containers", [])
    ]
    return {
        "phase": "Succeeded",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "conditions": _conditions(False, finished, "PodCompleted"),
        "containerStatuses": statuses,
    }
