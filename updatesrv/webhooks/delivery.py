"""One signed POST to a webhook endpoint, to an address checked at this moment."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import urllib3
from sqlalchemy.orm import Session

from ..mail.errors import DeliveryFailed
from ..outbox.models import OutboxMessage
from . import signing
from .addresses import parse_url, resolve
from .errors import WebhookUrlRefused
from .models import Webhook

if TYPE_CHECKING:
    from ..outbox.drain import DrainSettings

USER_AGENT = "updatesrv-webhooks/1"


class WebhookFailed(DeliveryFailed):
    def __init__(self, message: str, *, permanent: bool = False,
                 status_code: int | None = None) -> None:
        super().__init__(message, permanent=permanent)
        self.status_code = status_code


def post(url: str, secret: str, msg_id: str, body: bytes, *, allow_private: bool,
         timeout: float, now: dt.datetime) -> int:
    """Returns the 2xx status; raises WebhookFailed otherwise. Redirects are not followed
    (they could lead anywhere)."""
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
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        # Connect to the address just checked; verify the certificate against the name.
        pool = urllib3.HTTPSConnectionPool(address, target.port, server_hostname=target.host,
                                           assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", timeout=timeout,
                                           retries=False)
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout,
                                          retries=False)
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=headers,
                                redirect=False, retries=False, assert_same_host=False)
    except urllib3.exceptions.HTTPError as exc:
        raise WebhookFailed(f"cannot deliver to {target.host}: {exc}") from None
    finally:
        pool.close()
    if 200 <= response.status < 300:
        return response.status
    raise WebhookFailed(f"the endpoint answered HTTP {response.status}",
                        status_code=response.status)


def deliver_webhook(session: Session, row: OutboxMessage, now: dt.datetime,
                    settings: DrainSettings) -> int:
    webhook = session.get(Webhook, row.webhook_id) if row.webhook_id else None
    if webhook is None:
        raise WebhookFailed("the webhook was deleted", permanent=True)
    return post(webhook.url, webhook.secret, row.payload["msg_id"],
                row.payload["body"].encode(), allow_private=settings.allow_private_webhooks,
                timeout=settings.webhook_timeout, now=now)
