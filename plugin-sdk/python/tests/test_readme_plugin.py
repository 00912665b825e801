"""The complete plugin of this package's README (and of the main README) works
as written: it imports, declares only the six pod calls, and keeps pods as
the protocol asks (idempotent per uid, another uid is AlreadyExists).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from vk_plugin_sdk import AlreadyExists, NotFound, PodKey

README = Path(__file__).resolve().parents[1] / "README.md"
MAIN_README = Path(__file__).resolve().parents[3] / "README.md"


def readme_plugin(path: Path) -> dict[str, Any]:
    """Runs the first ```python block of ``path`` as a module not named __main__."""
    match = re.search(r"```python\n(.*?)```", path.read_text(), re.DOTALL)
    assert match is not None, f"{path} has a python code block"
    namespace: dict[str, Any] = {"__name__": "readme_plugin"}
    exec(compile(match.group(1), str(path), "exec"), namespace)
    return namespace


def pod(uid: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "ns", "name": "web", "uid": uid},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }


def test_the_main_readme_shows_the_same_plugin() -> None:
    block = re.compile(r"```python\n(.*?)```", re.DOTALL)
    ours = block.search(README.read_text())
    theirs = block.search(MAIN_README.read_text())
    assert ours is not None
    assert theirs is not None
    assert ours.group(1) == theirs.group(1)


async def test_the_readme_plugin_keeps_pods_as_the_protocol_asks() -> None:
    memory = readme_plugin(README)["Memory"]()
    await memory.create_pod(pod("u1"))
    await memory.create_pod(pod("u1"))  # idempotent per uid
    with pytest.raises(AlreadyExists):
        await memory.create_pod(pod("u2"))
    key = PodKey("ns", "web", "u1")
    assert (await memory.get_pod_status(key))["phase"] == "Running"
    assert len(await memory.get_pods()) == 1
    await memory.delete_pod(pod("u1"))
    with pytest.raises(NotFound):
        await memory.get_pod(key)
