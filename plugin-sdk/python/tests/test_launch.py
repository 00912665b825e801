from pathlib import Path

import pytest

from vk_plugin_sdk.launch import MAGIC_COOKIE, Launch, LaunchError


def contract(secret_file: Path, **extra: str) -> dict[str, str]:
    return {
        "VK_PLUGIN_MAGIC_COOKIE": MAGIC_COOKIE,
        "VK_PLUGIN_SOCKET": "/run/p/plugin.sock",
        "VK_HOST_SOCKET": "/run/p/host.sock",
        "VK_PLUGIN_PROTOCOL_VERSIONS": "1, 2",
        "VK_PLUGIN_SECRET_FILE": str(secret_file),
        **extra,
    }


def test_a_plugin_started_by_hand_is_told_how_to_run_it() -> None:
    with pytest.raises(LaunchError, match=r"run `vk-host --plugin ./my-plugin`"):
        Launch.from_env({"VK_PYTHON_LAUNCHER": "./my-plugin"})


def test_reads_the_whole_contract(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("abc123\n")
    launch = Launch.from_env(contract(secret, VK_PLUGIN_CONFIG="/etc/p.toml"))
    assert launch.plugin_socket == Path("/run/p/plugin.sock")
    assert launch.host_socket == Path("/run/p/host.sock")
    assert launch.protocol_versions == (1, 2)
    assert launch.secret == "abc123"
    assert launch.config_path == Path("/etc/p.toml")
    assert launch.stdin_is_host_pipe
    assert "abc123" not in repr(launch)


def test_an_empty_config_variable_means_no_config(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("abc123")
    assert Launch.from_env(contract(secret, VK_PLUGIN_CONFIG="")).config_path is None


def test_a_missing_variable_is_named(tmp_path: Path) -> None:
    env = contract(tmp_path / "secret")
    del env["VK_HOST_SOCKET"]
    with pytest.raises(LaunchError, match="VK_HOST_SOCKET is not set"):
        Launch.from_env(env)


def test_bad_versions_name_the_variable_and_the_part(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("abc123")
    env = contract(secret, VK_PLUGIN_PROTOCOL_VERSIONS="1,x")
    with pytest.raises(
        LaunchError, match=r"VK_PLUGIN_PROTOCOL_VERSIONS .*'x' is not a protocol major"
    ):
        Launch.from_env(env)


def test_an_unreadable_or_empty_secret_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match=r"reading the per-launch secret from .*missing"):
        Launch.from_env(contract(tmp_path / "missing"))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(LaunchError, match="the file is empty"):
        Launch.from_env(contract(empty))
