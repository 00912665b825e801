"""volume_files builds secret, configMap and projected volumes as the kubelet does."""

from pathlib import Path
from typing import Any, cast

import pytest
from conftest import FakeHost, fake_host, pod_json

from vk_plugin_sdk import FailedPrecondition, NotFound, Pod, volume_files


def pod_with(volume: dict[str, Any]) -> Pod:
    pod = cast(Pod, pod_json(volumes=[volume]))
    pod["metadata"]["labels"] = {"app": "web"}
    return pod


async def test_a_secret_volume_has_one_file_per_key(sock_dir: Path) -> None:
    volume = {"name": "creds", "secret": {"secretName": "db", "defaultMode": 0o400}}
    host = FakeHost(secrets={"db": {"user": b"admin", "password": b"pw"}})
    async with fake_host(host, sock_dir) as client:
        built = await volume_files(client, pod_with(volume), volume)
    assert built is not None
    assert [(f.path, f.contents, f.mode) for f in built.files] == [
        ("password", b"pw", 0o400),
        ("user", b"admin", 0o400),
    ]
    assert built.versions.objects == [("Secret/db", "7")]


async def test_items_pick_keys_and_a_missing_key_is_a_failed_precondition(sock_dir: Path) -> None:
    picked = {
        "name": "c",
        "configMap": {"name": "app", "items": [{"key": "mode", "path": "conf/mode"}]},
    }
    missing = {"name": "c", "configMap": {"name": "app", "items": [{"key": "nope", "path": "x"}]}}
    host = FakeHost(config_maps={"app": {"mode": "fast", "other": "x"}})
    async with fake_host(host, sock_dir) as client:
        built = await volume_files(client, pod_with(picked), picked)
        assert built is not None
        assert [(f.path, f.contents) for f in built.files] == [("conf/mode", b"fast")]
        with pytest.raises(FailedPrecondition, match="key nope of ConfigMap app"):
            await volume_files(client, pod_with(missing), missing)


async def test_a_missing_optional_source_is_empty_and_a_required_one_not_found(
    sock_dir: Path,
) -> None:
    optional = {"name": "s", "secret": {"secretName": "later", "optional": True}}
    required = {"name": "s", "secret": {"secretName": "later"}}
    async with fake_host(FakeHost(), sock_dir) as client:
        built = await volume_files(client, pod_with(optional), optional)
        assert built is not None
        assert built.files == []
        with pytest.raises(NotFound):
            await volume_files(client, pod_with(required), required)


async def test_the_kube_api_access_volume(sock_dir: Path) -> None:
    volume = {
        "name": "kube-api-access-x",
        "projected": {
            "defaultMode": 0o644,
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
                {
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    }
                },
            ],
        },
    }
    host = FakeHost(config_maps={"kube-root-ca.crt": {"ca.crt": "CERT"}})
    async with fake_host(host, sock_dir) as client:
        built = await volume_files(client, pod_with(volume), volume)
    assert built is not None
    assert {f.path: f.contents for f in built.files} == {
        "token": b"token-for-web",
        "ca.crt": b"CERT",
        "namespace": b"default",
        "labels": b'app="web"',
    }
    assert built.versions.token_expires_unix_seconds == 1_000_000
    assert host.token_requests[0].expiration_seconds == 3607
    assert list(host.token_requests[0].audiences) == []


async def test_other_volume_types_are_the_plugins_own(sock_dir: Path) -> None:
    volume = {"name": "scratch", "emptyDir": {}}
    async with fake_host(FakeHost(), sock_dir) as client:
        assert await volume_files(client, pod_with(volume), volume) is None
