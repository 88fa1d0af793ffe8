"""``updatesrv publish``: the CI side of the vendor API. Talks to a remote server over
HTTP only, so it works from any pipeline that has a token."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TIMEOUT = (10, 300)


class PublishError(Exception):
    pass


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise PublishError(f"{path} is not an Ed25519 private key")
        return key
    try:
        seed = base64.b64decode(data.strip(), validate=True)
    except ValueError:
        raise PublishError(f"{path} is neither a PEM nor a base64 Ed25519 private key") from None
    if len(seed) != 32:
        raise PublishError(f"{path}: a raw Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign_file(key: Ed25519PrivateKey, path: Path) -> str:
    return base64.b64encode(key.sign(path.read_bytes())).decode()


def sign_manifest(key: Ed25519PrivateKey, product: str, version: str, platform: str,
                  path: Path) -> str:
    """Signs the canonical manifest the server rebuilds on upload (trust/manifest.py)."""
    from .trust.manifest import release_manifest

    manifest = release_manifest(product, version, platform, path.stat().st_size,
                                _sha256(path))
    return base64.b64encode(key.sign(manifest)).decode()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


class MultipartUpload:
    """A streaming multipart/form-data body with a known length, so ``requests`` sends a
    Content-Length and large files never sit in memory. Calls ``progress(n)`` per chunk."""

    def __init__(self, fields: dict[str, str], file_field: str, path: Path,
                 progress: Callable[[int], object] | None = None) -> None:
        self.boundary = uuid.uuid4().hex
        head = b""
        for name, value in fields.items():
            head += (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
                     f"\r\n\r\n{value}\r\n").encode()
        head += (f"--{self.boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
                 f"filename=\"{path.name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                 ).encode()
        tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._parts: list[bytes | Path] = [head, path, tail]
        self.len = len(head) + path.stat().st_size + len(tail)
        self._progress = progress
        self._index = 0
        self._fh: Any = None
        self._pending = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.len

    def read(self, size: int = -1) -> bytes:
        size = 1024 * 1024 if size is None or size < 0 else size
        out = b""
        while len(out) < size and self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, bytes):
                out += part
                self._index += 1
                continue
            if self._fh is None:
                self._fh = open(part, "rb")  # noqa: SIM115 - closed when exhausted
            chunk = self._fh.read(size - len(out))
            if not chunk:
                self._fh.close()
                self._index += 1
                continue
            if self._progress:
                self._progress(len(chunk))
            out += chunk
        return out


@dataclass
class Publisher:
    server: str
    token: str
    product: str
    echo: Callable[[str], object] = print

    def _url(self, path: str) -> str:
        return f"{self.server.rstrip('/')}/api/v1/products/{self.product}{path}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "User-Agent": "updatesrv-publish"}

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = requests.request(method, self._url(path), headers={
                **self._headers(), **kwargs.pop("headers", {})}, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            raise PublishError(f"cannot reach {self.server}: {exc}") from None
        return response

    @staticmethod
    def _problem(response: requests.Response) -> str:
        try:
            body = response.json()
            return f"{response.status_code} {body.get('title')}: {body.get('detail')}"
        except ValueError:
            return f"{response.status_code} {response.text[:200]}"

    def publish(self, version: str, *, channel: str | None, notes: str | None, critical: bool,
                artifacts: list[tuple[str, Path]], draft: bool,
                signing_key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"version": version, "critical": critical,
                                "draft": True if artifacts else draft}
        if channel:
            body["channel"] = channel
        if notes is not None:
            body["notes"] = notes
        response = self._call("POST", "/releases", json=body)
        if response.status_code == 409:
            return self._already_published(version, artifacts, response)
        if response.status_code not in (200, 201):
            raise PublishError(self._problem(response))
        release = response.json()
        self.echo(f"{'created' if response.status_code == 201 else 'found'} {self.product} "
                  f"{release['version']} ({release['channel']})")
        for platform, path in artifacts:
            self.upload(release["version"], platform, path, signing_key)
        if not draft and release["draft"]:
            response = self._call("PATCH", f"/releases/{release['version']}",
                                  json={"draft": False})
            if response.status_code != 200:
                raise PublishError(self._problem(response))
            release = response.json()
            self.echo(f"published {self.product} {release['version']}: {release['url']}")
        return dict(release)

    def _already_published(self, version: str, artifacts: list[tuple[str, Path]],
                           conflict: requests.Response) -> dict[str, Any]:
        """A CI job re-run after a full success: fine when every local file is already
        there with the same sha256; otherwise the 409 stands."""
        response = self._call("GET", f"/releases/{version}")
        if response.status_code != 200:
            raise PublishError(self._problem(conflict))
        release = response.json()
        stored = {a["platform"]: a["sha256"] for a in release["artifacts"]}
        for platform, path in artifacts:
            if stored.get(platform) != _sha256(path):
                raise PublishError(self._problem(conflict))
        self.echo(f"{self.product} {release['version']} is already published with these files; "
                  "nothing to do")
        return dict(release)

    def upload(self, version: str, platform: str, path: Path,
               signing_key: Ed25519PrivateKey | None) -> dict[str, Any]:
        from tqdm import tqdm

        fields = {"platform": platform}
        if signing_key is not None:
            # Both: the manifest binds the file to this release (checked by current clients);
            # the bare-bytes signature keeps older clients verifying.
            fields["manifest_signature"] = sign_manifest(signing_key, self.product, version,
                                                         platform, path)
            fields["signature"] = sign_file(signing_key, path)
        with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=f"{platform} {path.name}", disable=os.environ.get("CI") == "true"
                  ) as bar:
            response = self._direct_upload(version, platform, path, fields, bar.update)
            if response is None:  # the server keeps files itself: send the file to it
                body = MultipartUpload(fields, "file", path, progress=bar.update)
                response = self._call("POST", f"/releases/{version}/artifacts", data=body,
                                      headers={"Content-Type": body.content_type})
        if response.status_code not in (200, 201):
            raise PublishError(f"{platform}: {self._problem(response)}")
        artifact = response.json()
        self.echo(f"{platform}: {artifact['size']} bytes, sha256 {artifact['sha256']}"
                  f"{'' if response.status_code == 201 else ' (already there)'}")
        return dict(artifact)


    def _direct_upload(self, version: str, platform: str, path: Path, fields: dict[str, str],
                       progress: Callable[[int], object]) -> requests.Response | None:
        """Straight into the server's bucket (presigned multipart upload); the server
        verifies size and sha256 on completion. None when the server has no bucket."""
        begun = self._call("POST", f"/releases/{version}/uploads", json={
            **fields, "platform": platform, "filename": path.name,
            "size": path.stat().st_size, "sha256": _sha256(path)})
        if begun.status_code == 409 and str(begun.json().get("type", "")).endswith(
                "/direct-upload-unsupported"):
            return None
        if begun.status_code != 201:
            raise PublishError(f"{platform}: {self._problem(begun)}")
        plan = begun.json()
        parts = []
        with open(path, "rb") as source:
            for part in plan["parts"]:
                chunk = source.read(plan["part_size"])
                parts.append({"part_number": part["part_number"],
                              "etag": _put_part(part["url"], chunk, platform)})
                progress(len(chunk))
        return self._call("POST", f"/releases/{version}/uploads/complete",
                          json={"token": plan["token"], "parts": parts})


def _put_part(url: str, chunk: bytes, platform: str, attempts: int = 3) -> str:
    for attempt in range(1, attempts + 1):
        try:
            response = requests.put(url, data=chunk, timeout=TIMEOUT)
        except requests.RequestException as exc:
            if attempt == attempts:
                raise PublishError(f"{platform}: cannot reach the bucket: {exc}") from None
            continue
        if response.status_code == 200 and response.headers.get("ETag"):
            return response.headers["ETag"]
        if attempt == attempts:
            raise PublishError(f"{platform}: the bucket refused a part: "
                               f"{response.status_code} {response.text[:200]}")
    raise AssertionError("unreachable")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
