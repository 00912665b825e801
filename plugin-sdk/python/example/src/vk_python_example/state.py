"""The example's pods on disk, so that a restarted plugin still holds them.

vk-host reconciles against GetPods after every plugin restart: a plugin must
rebuild that list from its backend, not from memory. The example's backend
is a JSON file (mode 0600: pods carry env values from Secrets), rewritten
whole and atomically after every change.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from vk_plugin_sdk import Internal, Pod

STATE_FILE_ENV = "VK_PYTHON_EXAMPLE_STATE_FILE"
"""Names the state file when the configuration does not (vk-host --plugin-env)."""


@dataclass(frozen=True)
class SavedPod:
    """What the example needs to run a pod again: its spec, IP and start time."""

    pod: Pod
    ip: str
    started: str


def load(path: Path) -> list[SavedPod]:
    """The pods saved in ``path``; none when it does not exist yet."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise Internal(f"reading the example's state file {path}: {error}") from error
    if not isinstance(entries, list):
        raise Internal(f"the example's state file {path} does not hold a list of pods")
    return [_saved(entry, path) for entry in entries]


def _saved(entry: Any, path: Path) -> SavedPod:
    if not isinstance(entry, dict) or not {"pod", "ip", "started"} <= entry.keys():
        raise Internal(f"the example's state file {path} holds an entry without pod, ip, started")
    return SavedPod(cast(Pod, entry["pod"]), str(entry["ip"]), str(entry["started"]))


def save(path: Path, pods: Iterable[SavedPod]) -> None:
    """Replace ``path`` with ``pods`` (written beside it, then renamed)."""
    entries = [{"pod": p.pod, "ip": p.ip, "started": p.started} for p in pods]
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(entries, file)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise Internal(f"writing the example's state file {path}: {error}") from error
