#!/usr/bin/env python3
"""A read-only container registry for the CRI tests, over plain HTTP.

Usage: registry.py IMAGE_TAR [IMAGE_TAR ...] [--user NAME --password SECRET]

Serves the images of the given OCI-layout tarballs (scripts/cri-env/mkimages.py
output) through the parts of the OCI distribution API that a pull uses:
`GET /v2/`, `GET|HEAD /v2/<repository>/manifests/<tag or digest>` and
`GET|HEAD /v2/<repository>/blobs/<digest>`. An image named `localhost/vk-test/
busybox:1` is served as repository `vk-test/busybox`, tag `1`. With --user and
--password every request needs HTTP Basic credentials (401 with a `Basic`
challenge otherwise), as a private registry does.

Listens on 127.0.0.1 on a free port and prints `port=<n>` on stdout once it
accepts connections; logs each request on stderr. containerd talks plain HTTP
to registries on localhost and 127.0.0.1. Standard library only.
"""

import argparse
import base64
import hmac
import json
import sys
import tarfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def load(paths):
    """(blobs by digest, {(repository, tag): manifest digest})."""
    blobs, tags = {}, {}
    for path in paths:
        with tarfile.open(path) as tar:
            files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        for name, data in files.items():
            if name.startswith("blobs/sha256/"):
                blobs["sha256:" + name.removeprefix("blobs/sha256/")] = data
        for manifest in json.loads(files["index.json"])["manifests"]:
            image = manifest["annotations"]["io.containerd.image.name"]
            name, tag = image.rsplit(":", 1)
            repository = name.split("/", 1)[1]
            tags[(repository, tag)] = manifest["digest"]
    return blobs, tags


def handler(blobs, tags, credentials):
    class Registry(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            sys.stderr.write("registry: " + (format % args) + "\n")

        def authorized(self):
            if credentials is None:
                return True
            given = self.headers.get("Authorization", "")
            return given.startswith("Basic ") and hmac.compare_digest(given[6:], credentials)

        def reply(self, code, body=b"", headers=()):
            self.send_response(code)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, code, kind, message, headers=()):
            body = json.dumps({"errors": [{"code": kind, "message": message}]}).encode()
            self.reply(code, body, [("Content-Type", "application/json"), *headers])

        def do_GET(self):
            if not self.authorized():
                self.error(401, "UNAUTHORIZED", "authentication required",
                           [("WWW-Authenticate", 'Basic realm="vk-test-registry"')])
                return
            path = self.path.split("?", 1)[0]
            if path in ("/v2", "/v2/"):
                self.reply(200, b"{}", [("Content-Type", "application/json")])
                return
            parts = path.removeprefix("/v2/").rsplit("/", 2)
            if len(parts) != 3 or parts[1] not in ("manifests", "blobs"):
                self.error(404, "NAME_UNKNOWN", f"no such path {path}")
                return
            repository, kind, reference = parts
            if kind == "manifests":
                digest = reference if reference.startswith("sha256:") else tags.get((repository, reference))
                if digest is None or digest not in blobs:
                    self.error(404, "MANIFEST_UNKNOWN", f"{repository}:{reference} is not here")
                    return
                self.reply(200, blobs[digest], [("Content-Type", MANIFEST),
                                                ("Docker-Content-Digest", digest)])
            else:
                if reference not in blobs:
                    self.error(404, "BLOB_UNKNOWN", f"blob {reference} is not here")
                    return
                self.reply(200, blobs[reference], [("Content-Type", "application/octet-stream"),
                                                   ("Docker-Content-Digest", reference)])

        do_HEAD = do_GET

    return Registry


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    if (args.user is None) != (args.password is None):
        parser.error("--user and --password go together")
    credentials = None
    if args.user is not None:
        credentials = base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    blobs, tags = load(args.images)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(blobs, tags, credentials))
    print(f"port={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
