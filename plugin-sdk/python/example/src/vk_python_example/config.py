"""The example plugin's configuration: a TOML file (``vk-host --plugin-config``),
every key optional, unknown keys an error.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The configuration file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Config:
    """What the example plugin can be told."""

    pod_cidr: str = "10.245.0.0/16"
    """Pod IPs are handed out from this IPv4 network, from its second host address on."""
    log_interval_ms: int = 1000
    """Each container writes one log line per this many milliseconds."""
    cpu: str = "8"
    """The node's CPU capacity."""
    memory: str = "32Gi"
    """The node's memory capacity."""
    max_pods: int = 110
    """The node's pod capacity."""
    state_file: str = ""
    """Where the pods are kept across plugin restarts; empty: memory only."""

    @classmethod
    def load(cls, path: Path | None) -> Config:
        """The configuration in ``path``, or the defaults when there is none."""
        if path is None:
            return cls()
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"example plugin configuration {path}: {error}") from error
        return cls.from_mapping(values, str(path))

    @classmethod
    def from_mapping(cls, values: dict[str, Any], where: str) -> Config:
        """The configuration of parsed TOML ``values`` read from ``where``."""
        known = {f.name: f for f in fields(cls)}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(
                    f"example plugin configuration {where}: unknown key {key!r} "
                    f"(known: {', '.join(known)})"
                )
            expected = type(getattr(cls(), key))
            if type(value) is not expected:
                raise ConfigError(
                    f"example plugin configuration {where}: {key} must be a "
                    f"{expected.__name__}, not {value!r}"
                )
        config = cls(**values)
        config.check(where)
        return config

    def check(self, where: str) -> None:
        """Refuse values the plugin cannot use."""
        try:
            network = ipaddress.IPv4Network(self.pod_cidr)
        except ValueError as error:
            raise ConfigError(f"example plugin configuration {where}: pod_cidr: {error}") from None
        if network.num_addresses < 4:
            raise ConfigError(
                f"example plugin configuration {where}: "
                f"pod_cidr {self.pod_cidr} has no room for pods"
            )
        if self.log_interval_ms < 1:
            raise ConfigError(f"example plugin configuration {where}: log_interval_ms must be >= 1")
        if self.max_pods < 1:
            raise ConfigError(f"example plugin configuration {where}: max_pods must be >= 1")
