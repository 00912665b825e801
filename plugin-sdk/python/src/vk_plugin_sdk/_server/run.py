"""``run``: the synchronous entry point of a plugin's ``main``."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

from vk_plugin_sdk._server.serve import ServeError, serve
from vk_plugin_sdk.callbacks import HostClient
from vk_plugin_sdk.launch import Launch, LaunchError
from vk_plugin_sdk.plugin_log import configure_logging
from vk_plugin_sdk.provider import PluginInfo, Provider

log = logging.getLogger("vk_plugin_sdk.server")

ProviderFactory = Callable[[Launch, HostClient], Provider]
"""Builds the provider once the launch is known (its config file, the host client)."""


def run(
    provider: Provider | ProviderFactory,
    info: PluginInfo,
    *,
    log_level: int | str = logging.INFO,
) -> None:
    """Serve ``provider`` as a vk-host plugin until the host stops it; then return.

    ``provider`` is a :class:`Provider`, or a function of the :class:`Launch`
    and the :class:`HostClient` that builds one (to read the configuration
    file ``launch.config_path``, or to call the host's callbacks). Logs go to
    stderr as JSON lines. Started by hand (not by vk-host), it prints how to
    run it and exits with status 1; a failure to bind or to start the
    provider is logged and exits with 1 too.
    """
    configure_logging(log_level)
    try:
        launch = Launch.from_env()
    except LaunchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    host = HostClient(launch)
    try:
        chosen = provider if isinstance(provider, Provider) else provider(launch, host)
        asyncio.run(serve(chosen, info, launch, host=host))
    except ServeError as error:
        log.error("%s", error)
        sys.exit(1)
    except Exception:
        log.exception("the plugin stopped on an unexpected error")
        sys.exit(1)
