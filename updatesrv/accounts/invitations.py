"""Getting an invitation link to the invited person. Holding the link is what proves the
address, so with a mail server it goes to that mailbox only (never to the inviter, never
to the log); without one the inviter is shown it once to pass on, and it is logged,
saying why."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from ..outbox.services import enqueue_mail
from .models import Invitation
from .services import INVITE_TTL

log = logging.getLogger(__name__)


def invitation_mail(invitation: Invitation, vendor_name: str, link: str) -> tuple[str, str]:
    days = INVITE_TTL.days
    subject = f"You are invited to {vendor_name} on updatesrv"
    text = (f"{invitation.invited_by.removeprefix('user:')} invited you ({invitation.email}) "
            f"to {vendor_name} on updatesrv as {invitation.role}.\n\n"
            f"Accept within {days} days (the link works once):\n{link}\n\n"
            "If you did not expect this, ignore this e-mail: nothing happens without the link.\n")
    return subject, text


def deliver_invitation(session: Session, config: Mapping[str, Any], invitation: Invitation,
                       vendor_name: str, link: str) -> str | None:
    """Queues the link for the invited address (the scheduler's outbox sends it) and
    returns None; with no mail server, returns it for the inviter to pass on."""
    if not config.get("MAIL_URL"):
        log.warning("No mail server is configured (MAIL_URL is unset), so the invitation "
                    "link for %s to %s is logged here and shown once to the inviter: %s",
                    invitation.email, vendor_name, link)
        return link
    subject, text = invitation_mail(invitation, vendor_name, link)
    enqueue_mail(session, to=invitation.email, subject=subject, text=text, purpose="invitation",
            dedupe_key=f"invitation:{invitation.id}")
    session.commit()
    return None
