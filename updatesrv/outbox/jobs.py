"""The scheduler's reach work: drain the outbox every tick; expire unconfirmed
subscriptions and old rate-limit windows with the hourly housekeeping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ..db import write_intent
from ..mail.config import mail_config
from .drain import CHANNELS, DrainSettings, drain


def drain_settings(config: Any) -> DrainSettings:
    return DrainSettings(mail=mail_config(config), secret=str(config["SECRET_KEY"]),
                         allow_private_webhooks=bool(config.get("WEBHOOK_ALLOW_PRIVATE")),
                         max_attempts=int(config.get("OUTBOX_MAX_ATTEMPTS", 10)),
                         batch_size=int(config.get("OUTBOX_BATCH_SIZE", 100)),
                         webhook_timeout=float(config.get("WEBHOOK_TIMEOUT", 10.0)),
                         webhook_workers=int(config.get("WEBHOOK_WORKERS", 4)),
                         breaker_threshold=int(config.get("WEBHOOK_BREAKER_THRESHOLD", 5)))


def run_outbox(session_factory: Callable[[], Session], config: Any, now: dt.datetime,
               channels: tuple[str, ...] = CHANNELS) -> dict[str, int]:
    return drain(session_factory, now, drain_settings(config), channels)


def reach_housekeeping(session_factory: Callable[[], Session],
                       now: dt.datetime) -> dict[str, int]:
    from ..ratelimit.services import prune
    from ..subscriptions import recipients
    from ..subscriptions.services import expire_unconfirmed

    with session_factory() as session, write_intent():
        expired = expire_unconfirmed(session, now)
        pruned = prune(session, now) + recipients.prune(session, now)
        session.commit()
    return {"unconfirmed_subscriptions_expired": expired, "rate_windows_pruned": pruned}
