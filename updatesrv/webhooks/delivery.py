"""One signed POST to a webhook endpoint, to an address checked at this moment."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import socket
import threading
from typing import TYPE_CHECKING

import urllib3
import urllib3.connection
from sqlalchemy.orm import Session
from urllib3.util.ssl_match_hostname import CertificateError

from ..mail.errors import DeliveryFailed
from ..outbox.models import OutboxMessage
from . import signing
from .addresses import parse_url, resolve
from .errors import WebhookUrlRefused
from .models import Webhook

if TYPE_CHECKING:
    from ..outbox.drain import DrainSettings

USER_AGENT = "updatesrv-webhooks/1"
# Nobody reads a webhook's answer beyond its status; a huge one must not fill our memory.
RESPONSE_BODY_LIMIT = 64 * 1024


class WebhookFailed(DeliveryFailed):
    def __init__(self, message: str, *, permanent: bool = False,
                 status_code: int | None = None) -> None:
        super().__init__(message, permanent=permanent)
        self.status_code = status_code


def _cut(connection: urllib3.connection.HTTPConnection, fired: threading.Event) -> None:
    """At the deadline: shut the socket down under whatever read or write is blocked on
    it, which then returns at once. The plain socket's shutdown, also for TLS (the TLS
    object's own would tear down state the blocked thread is using)."""
    fired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def post(url: str, secret: str, msg_id: str, body: bytes, *, allow_private: bool,
         timeout: float, now: dt.datetime) -> int:
    """Returns the 2xx status; raises WebhookFailed otherwise. ``timeout`` bounds the whole
    request (connect, send, answer), however slowly the endpoint drips its bytes; at most
    RESPONSE_BODY_LIMIT bytes of the answer are read, the rest is dropped with the
    connection. Redirects are not followed (they could lead anywhere)."""
    try:
        target = parse_url(url, allow_private)
        address = resolve(target, allow_private)[0]
    except WebhookUrlRefused as exc:
        raise WebhookFailed(exc.detail, permanent=True) from None
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    if ":" in target.host and not host_header.startswith("["):
        host_header = f"[{target.host}]" + (f":{target.port}" if target.port not in (80, 443)
                                            else "")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Host": host_header,
               **signing.headers(secret, msg_id, int(now.timestamp()), body)}
    connection: urllib3.connection.HTTPConnection
    if target.scheme == "https":
        # Connect to the address just checked; verify the certificate against the name.
        connection = urllib3.connection.HTTPSConnection(
            address, target.port, timeout=timeout, server_hostname=target.host,
            assert_hostname=target.host, cert_reqs="CERT_REQUIRED")
    else:
        connection = urllib3.connection.HTTPConnection(address, target.port, timeout=timeout)
    fired = threading.Event()
    watchdog = threading.Timer(timeout, _cut, (connection, fired))
    watchdog.daemon = True
    watchdog.start()
    late = WebhookFailed(f"{target.host} did not answer completely within the {timeout:g} s "
                         "deadline")
    try:
        connection.request("POST", target.path, body=body, headers=headers,
                           preload_content=False)
        response = connection.getresponse()
        response.read(RESPONSE_BODY_LIMIT)  # bounded; whatever follows is dropped
        status = response.status
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError,
            CertificateError) as exc:
        if fired.is_set():
            raise late from None
        raise WebhookFailed(f"cannot deliver to {target.host}: {exc}") from None
    finally:
        watchdog.cancel()
        connection.close()
    if fired.is_set():  # cut short mid-answer: whatever status was read is not an answer
        raise late
    if 200 <= status < 300:
        return status
    raise WebhookFailed(f"the endpoint answered HTTP {status}", status_code=status)


def deliver_webhook(session: Session, row: OutboxMessage, now: dt.datetime,
                    settings: DrainSettings) -> int:
    webhook = session.get(Webhook, row.webhook_id) if row.webhook_id else None
    if webhook is None:
        raise WebhookFailed("the webhook was deleted", permanent=True)
    return post(webhook.url, webhook.secret, row.payload["msg_id"],
                row.payload["body"].encode(), allow_private=settings.allow_private_webhooks,
                timeout=settings.webhook_timeout, now=now)
