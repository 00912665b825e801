"""``python -m vk_python_example``: serve the example provider under vk-host."""

from __future__ import annotations

import dataclasses
import os
import sys

from vk_plugin_sdk import HostClient, Launch, PluginInfo, run
from vk_python_example import __version__
from vk_python_example.config import Config, ConfigError
from vk_python_example.provider import ExampleProvider
from vk_python_example.state import STATE_FILE_ENV


def build(launch: Launch, host: HostClient) -> ExampleProvider:
    """The provider, configured from ``VK_PLUGIN_CONFIG`` when set.

    The state file is the configuration's ``state_file``, else the
    environment's ``VK_PYTHON_EXAMPLE_STATE_FILE`` (``vk-host --plugin-env``).
    """
    try:
        config = Config.load(launch.config_path)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    if not config.state_file and os.environ.get(STATE_FILE_ENV):
        config = dataclasses.replace(config, state_file=os.environ[STATE_FILE_ENV])
    return ExampleProvider(config, host)


def main() -> None:
    """Run the plugin until vk-host stops it."""
    run(build, PluginInfo("python-example", __version__))


if __name__ == "__main__":
    main()
