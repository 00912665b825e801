#!/usr/bin/env python3
"""Build the CRI test images as OCI-layout tarballs, without a registry.

Usage: mkimages.py OUT_DIR PAUSE_BINARY BUSYBOX_BINARY
       mkimages.py rootfs OUT_TAR IMAGE_NAME CONFIG_JSON IMAGE_PATH=HOST_FILE...

The first form writes OUT_DIR/pause.tar (localhost/vk-test/pause:1) and
OUT_DIR/busybox.tar (localhost/vk-test/busybox:1). The second (scripts/image.sh,
the vk-host image) writes one image named IMAGE_NAME holding the skeleton
below, an /etc/passwd with the non-root user 65532, each HOST_FILE at
IMAGE_PATH (its mode kept: 0755 if executable, else 0644; parents made) and
CONFIG_JSON (a JSON object) as the image config. Each tarball is an OCI image layout with one
uncompressed layer, a config, a manifest and an index.json whose
`io.containerd.image.name` annotation names the image, so that
`ctr -n k8s.io images import` stores it under that name and CRI sees it at
once. The output is byte-for-byte reproducible from the same inputs (fixed
mtimes, owners and order). Standard library only.
"""

import hashlib
import io
import json
import platform
import sys
import tarfile
from pathlib import Path

REPO = "localhost/vk-test"

# The applets the CRI tests call; each becomes /bin/<name> -> busybox.
BUSYBOX_APPLETS = [
    "sh", "sleep", "echo", "cat", "wget", "nc", "httpd", "head", "tr", "printf",
    "hostname", "mount", "ls", "env", "id", "true", "false", "kill", "ps", "grep",
    "mkdir", "rm", "touch", "test", "wc", "date", "dd", "umount", "tar", "stty",
    "tail", "sed", "cut", "md5sum",
]

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


def goarch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


class Layer:
    """An uncompressed rootfs layer tar, built in memory, entries in call order."""

    def __init__(self) -> None:
        self._buf = io.BytesIO()
        self._tar = tarfile.open(fileobj=self._buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, path: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(path)
        info.type, info.mode, info.mtime = kind, mode, 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def dir(self, path: str, mode: int = 0o755, owner: int = 0) -> None:
        info = self._info(path, tarfile.DIRTYPE, mode)
        info.uid = info.gid = owner
        self._tar.addfile(info)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        info = self._info(path, tarfile.REGTYPE, mode)
        info.size = len(data)
        self._tar.addfile(info, io.BytesIO(data))

    def symlink(self, path: str, target: str) -> None:
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._tar.addfile(info)

    def finish(self) -> bytes:
        self._tar.close()
        return self._buf.getvalue()


def write_image(out: Path, name: str, layer: bytes, config: dict) -> None:
    """Write an OCI image layout holding one image as the tarball `out`."""
    blobs: dict[str, bytes] = {}

    def blob(media_type: str, data: bytes) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def canonical(value: dict) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()

    layer_desc = blob("application/vnd.oci.image.layer.v1.tar", layer)
    image_config = {
        "architecture": goarch(),
        "os": "linux",
        "config": config,
        # The layer is uncompressed, so its diff ID is its own digest.
        "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
    }
    config_desc = blob("application/vnd.oci.image.config.v1+json", canonical(image_config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_desc,
        "layers": [layer_desc],
    }
    manifest_desc = blob("application/vnd.oci.image.manifest.v1+json", canonical(manifest))
    manifest_desc["annotations"] = {"io.containerd.image.name": name}
    manifest_desc["platform"] = {"architecture": goarch(), "os": "linux"}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [manifest_desc]}

    outer = Layer()
    outer.file("oci-layout", canonical({"imageLayoutVersion": "1.0.0"}))
    outer.file("index.json", canonical(index))
    outer.dir("blobs")
    outer.dir("blobs/sha256")
    for digest, data in sorted(blobs.items()):
        outer.file("blobs/sha256/" + digest.removeprefix("sha256:"), data)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(outer.finish())
    tmp.replace(out)


def rootfs_skeleton(layer: Layer) -> None:
    """Directories runc expects to mount over, and a world-writable /tmp."""
    for path in ["bin", "dev", "etc", "proc", "sys", "root", "var", "run"]:
        layer.dir(path)
    layer.dir("tmp", 0o1777)
    layer.file("etc/passwd", PASSWD.encode())
    layer.file("etc/group", GROUP.encode())


NONROOT_PASSWD = PASSWD + "nonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false\n"
NONROOT_GROUP = GROUP + "nonroot:x:65532:\n"


def rootfs_image(argv: list[str]) -> None:
    """The `rootfs` form: an image of given files (no shell, no package manager)."""
    if len(argv) < 4:
        sys.exit("usage: mkimages.py rootfs OUT_TAR IMAGE_NAME CONFIG_JSON IMAGE_PATH=HOST_FILE...")
    out, name, config = Path(argv[0]), argv[1], json.loads(argv[2])
    files: dict[str, Path] = {}
    for spec in argv[3:]:
        path, sep, host = spec.partition("=")
        path = path.strip("/")
        if not sep or not path or not host or ".." in path.split("/"):
            sys.exit(f"mkimages.py: bad file spec {spec!r}; expected IMAGE_PATH=HOST_FILE")
        files[path] = Path(host)
    skeleton = ["bin", "dev", "etc", "home", "home/nonroot", "proc", "sys", "root", "var", "run", "tmp"]
    dirs = set(skeleton)
    for path in files:
        parts = path.split("/")[:-1]
        dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    layer = Layer()
    for path in sorted(dirs):
        if path == "tmp":
            layer.dir(path, 0o1777)
        elif path == "home/nonroot":
            layer.dir(path, owner=65532)
        else:
            layer.dir(path)
    layer.file("etc/group", NONROOT_GROUP.encode())
    layer.file("etc/passwd", NONROOT_PASSWD.encode())
    for path, host in sorted(files.items()):
        mode = 0o755 if host.stat().st_mode & 0o111 else 0o644
        layer.file(path, host.read_bytes(), mode)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_image(out, name, layer.finish(), config)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "rootfs":
        rootfs_image(sys.argv[2:])
        return
    if len(sys.argv) != 4:
        sys.exit("usage: mkimages.py OUT_DIR PAUSE_BINARY BUSYBOX_BINARY")
    out, pause, busybox = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)

    layer = Layer()
    rootfs_skeleton(layer)
    layer.file("pause", pause.read_bytes(), 0o755)
    write_image(out / "pause.tar", f"{REPO}/pause:1", layer.finish(),
                {"Entrypoint": ["/pause"], "Env": ["PATH=/bin"]})

    layer = Layer()
    rootfs_skeleton(layer)
    layer.file("bin/busybox", busybox.read_bytes(), 0o755)
    for applet in BUSYBOX_APPLETS:
        layer.symlink(f"bin/{applet}", "busybox")
    # Like docker.io/library/busybox: no entrypoint, `sh` as the default command.
    write_image(out / "busybox.tar", f"{REPO}/busybox:1", layer.finish(),
                {"Cmd": ["sh"], "Env": ["PATH=/bin"]})


if __name__ == "__main__":
    main()
