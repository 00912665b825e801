"""The HostCallbacks client against a fake host on a real Unix socket."""

from pathlib import Path

import pytest
from conftest import FakeHost, fake_host

from vk_plugin_sdk import NotFound, PermissionDenied, PodKey

POD = PodKey("default", "web", "uid-1")


async def test_reads_a_secret_with_the_launch_secret_and_hides_its_values(sock_dir: Path) -> None:
    host = FakeHost(secrets={"db": {"user": b"admin", "password": b"hunter2"}})
    async with fake_host(host, sock_dir) as client:
        secret = await client.get_secret(POD, "db")
    assert secret.data == {"user": b"admin", "password": b"hunter2"}
    assert secret.keys == ["password", "user"]
    assert (secret.type, secret.resource_version) == ("Opaque", "7")
    assert "hunter2" not in repr(secret)
    assert host.calls == [("GetSecret", "db")]


async def test_codes_come_back_as_the_sdk_exceptions(sock_dir: Path) -> None:
    async with fake_host(FakeHost(), sock_dir) as client:
        with pytest.raises(
            NotFound, match=r'GetSecret missing for pod default/web: secrets "missing" not found'
        ):
            await client.get_secret(POD, "missing")
        with pytest.raises(PermissionDenied, match="rule referenced"):
            await client.get_secret(POD, "forbidden")


async def test_reads_config_maps_tokens_and_container_env(sock_dir: Path) -> None:
    host = FakeHost(
        config_maps={"app": {"mode": "fast"}},
        containers={"main": {"name": "main", "env": [{"name": "A", "value": "1"}]}},
    )
    async with fake_host(host, sock_dir) as client:
        config_map = await client.get_config_map(POD, "app")
        token = await client.create_service_account_token(POD, ["vault"], 3600)
        container = await client.get_container_env(POD, "main", ["10.0.0.5"])
    assert config_map.data == {"mode": "fast"}
    assert token.token == "token-for-web"
    assert "token-for-web" not in repr(token)
    assert host.token_requests[0].audiences == ["vault"]
    assert container["env"] == [{"name": "A", "value": "1"}]
