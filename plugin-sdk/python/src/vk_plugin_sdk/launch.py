"""What vk-host tells a plugin at launch (socket paths, protocol versions,
the per-launch secret), read from the environment and the secret file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAGIC_COOKIE = "d2a8c4f0-vk-host-plugin"
"""The value of ``VK_PLUGIN_MAGIC_COOKIE`` when vk-host started the plugin."""

ENV_MAGIC_COOKIE = "VK_PLUGIN_MAGIC_COOKIE"
ENV_PLUGIN_SOCKET = "VK_PLUGIN_SOCKET"
ENV_HOST_SOCKET = "VK_HOST_SOCKET"
ENV_PROTOCOL_VERSIONS = "VK_PLUGIN_PROTOCOL_VERSIONS"
ENV_SECRET_FILE = "VK_PLUGIN_SECRET_FILE"
ENV_CONFIG = "VK_PLUGIN_CONFIG"
ENV_NAME_HINT = "VK_PLUGIN_NAME_HINT"
ENV_LAUNCHER = "VK_PYTHON_LAUNCHER"
"""Set by a launcher script to its own path, so that the hint for people names it."""


class LaunchError(Exception):
    """The launch environment is unusable; the message says why and what to do."""


@dataclass(frozen=True)
class Launch:
    """The launch contract, as read by :meth:`Launch.from_env`."""

    plugin_socket: Path
    """Where to bind the plugin's gRPC server."""
    host_socket: Path
    """Where the host serves ``HostCallbacks``."""
    protocol_versions: tuple[int, ...]
    """Protocol majors the host speaks."""
    secret: str = field(repr=False)
    """The per-launch secret, sent as ``authorization: Bearer <secret>``. Never log it."""
    config_path: Path | None = None
    """The plugin's configuration file (``vk-host --plugin-config``), if any."""
    stdin_is_host_pipe: bool = True
    """Whether stdin's end-of-file means the host is gone (off in in-process tests)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Launch:
        """Read the launch contract from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        if env.get(ENV_MAGIC_COOKIE) != MAGIC_COOKIE:
            me = env.get(ENV_LAUNCHER) or (sys.argv[0] if sys.argv and sys.argv[0] else "PLUGIN")
            raise LaunchError(
                "this program is a vk-host plugin and is started by vk-host, not by hand: "
                f"run `vk-host --plugin {me}` (or `vk-plugin-conformance {me}` to test it)"
            )

        def required(name: str) -> str:
            value = env.get(name)
            if value is None:
                raise LaunchError(
                    f"launch environment variable {name} is not set; "
                    "is vk-host older than this plugin?"
                )
            return value

        plugin_socket = Path(required(ENV_PLUGIN_SOCKET))
        host_socket = Path(required(ENV_HOST_SOCKET))
        versions = parse_versions(required(ENV_PROTOCOL_VERSIONS))
        secret = read_secret(Path(required(ENV_SECRET_FILE)))
        config = env.get(ENV_CONFIG) or None
        return cls(
            plugin_socket=plugin_socket,
            host_socket=host_socket,
            protocol_versions=versions,
            secret=secret,
            config_path=Path(config) if config else None,
        )


def parse_versions(text: str) -> tuple[int, ...]:
    """The protocol majors of ``VK_PLUGIN_PROTOCOL_VERSIONS`` (e.g. ``"1, 2"``)."""
    versions = []
    for part in text.split(","):
        try:
            versions.append(int(part.strip()))
        except ValueError:
            raise LaunchError(
                f"launch environment variable {ENV_PROTOCOL_VERSIONS} has an invalid value "
                f"{text!r}: {part.strip()!r} is not a protocol major"
            ) from None
    return tuple(versions)


def read_secret(path: Path) -> str:
    """The per-launch secret from its file (one line)."""
    try:
        secret = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise LaunchError(f"reading the per-launch secret from {path}: {error}") from error
    if not secret:
        raise LaunchError(f"reading the per-launch secret from {path}: the file is empty")
    return secret
