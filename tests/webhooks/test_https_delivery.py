"""Webhook delivery over real TLS: the POST goes to the address that was checked, and the
certificate is still verified against the webhook's host name (not the address)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks.webhooks import Webhook as StandardWebhook

from updatesrv.db import utcnow
from updatesrv.webhooks.delivery import WebhookFailed, post
from updatesrv.webhooks.signing import new_secret


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for ``name`` that is its own trust anchor, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsReceiver:
    def __init__(self, cert: Path, key: Path) -> None:
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TlsReceiver]:
    cert, key = _self_signed(tmp_path, "localhost")
    # The delivery verifies against the default trust store; trust this test's anchor only.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    receiver = TlsReceiver(cert, key)
    yield receiver
    receiver.close()


def test_https_delivery_verifies_the_certificate_against_the_host_name(tls_receiver):
    secret = new_secret()
    body = b'{"type": "notice.published"}'
    status = post(f"https://localhost:{tls_receiver.port}/hooks?x=1", secret, "msg_tls",
                  body, allow_private=True, timeout=5, now=utcnow())
    assert status == 204
    [received] = tls_receiver.requests
    assert received["path"] == "/hooks?x=1"
    assert received["headers"]["Host"] == f"localhost:{tls_receiver.port}"
    assert received["body"] == body
    StandardWebhook(secret).verify(received["body"], received["headers"])


def test_https_delivery_refuses_a_certificate_for_another_name(tmp_path, monkeypatch):
    cert, key = _self_signed(tmp_path, "other.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    receiver = TlsReceiver(cert, key)
    try:
        with pytest.raises(WebhookFailed, match=r"doesn't match 'other\.example'"):
            post(f"https://localhost:{receiver.port}/hooks", new_secret(), "msg_tls2", b"{}",
                 allow_private=True, timeout=5, now=utcnow())
        assert receiver.requests == []
    finally:
        receiver.close()
