"""Votes (one per voter per notice, the latest counts) and messages for the vendor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..accounts.models import Membership, User
from ..db import utcnow
from ..notices.models import Notice
from ..outbox.services import current_base_url, enqueue_mail
from ..subscriptions.services import parse_email
from .errors import InvalidFeedback
from .models import KINDS, FeedbackMessage, FeedbackVote

MAX_MESSAGE = 5000


def parse_kind(value: object) -> str:
    if value not in KINDS:
        raise InvalidFeedback(f"kind must be one of {', '.join(KINDS)}; got {value!r}",
                              field="kind")
    return str(value)


def vote(session: Session, notice: Notice, voter_hash: str, kind: object, source: str,
         now: dt.datetime | None = None) -> str:
    """Records or replaces this voter's vote on the notice (atomic upsert). Commits."""
    kind = parse_kind(kind)
    now = now or utcnow()
    table: Any = FeedbackVote.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table).values(notice_id=notice.id, voter_hash=voter_hash, source=source,
                                kind=kind, created_at=now, updated_at=now)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["notice_id", "voter_hash"],
        set_={"kind": stmt.excluded.kind, "updated_at": stmt.excluded.updated_at}))
    session.commit()
    return kind


def vote_of(session: Session, notice: Notice, voter_hash: str) -> str | None:
    return session.scalar(sa.select(FeedbackVote.kind).where(
        FeedbackVote.notice_id == notice.id, FeedbackVote.voter_hash == voter_hash))


def counts(session: Session, notice_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per notice: ``affected`` people (everyone who voted: a workaround answer comes from
    someone affected), of whom ``workaround_helped`` / ``workaround_failed`` said so last,
    and ``messages`` left."""
    out = {nid: dict.fromkeys(KINDS, 0) for nid in notice_ids}
    if not notice_ids:
        return out
    for nid, kind, n in session.execute(
            sa.select(FeedbackVote.notice_id, FeedbackVote.kind, sa.func.count())
            .where(FeedbackVote.notice_id.in_(notice_ids))
            .group_by(FeedbackVote.notice_id, FeedbackVote.kind)):
        out[nid][kind] = int(n)
    for value in out.values():
        # One vote per person, the latest kind. Saying whether the workaround helped or
        # failed is said by someone affected: they count as affected too, once.
        value["affected"] = value["affected"] + value["workaround_helped"] + \
            value["workaround_failed"]
    for nid, n in session.execute(
            sa.select(FeedbackMessage.notice_id, sa.func.count())
            .where(FeedbackMessage.notice_id.in_(notice_ids))
            .group_by(FeedbackMessage.notice_id)):
        out[nid]["messages"] = int(n)
    for value in out.values():
        value.setdefault("messages", 0)
    return out


def vendor_recipients(session: Session, notice: Notice) -> list[str]:
    """The product's support address, else the vendor's owners."""
    product = notice.product
    if product.support_email:
        return [product.support_email]
    return list(session.scalars(
        sa.select(User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.vendor_id == product.vendor_id, Membership.role == "owner")))


def leave_message(session: Session, notice: Notice, data: dict[str, Any],
                  *, mail_on: bool) -> FeedbackMessage:
    """"The workaround did not help": stored for the console and, with mail on, mailed to
    the vendor. Commits."""
    message = data.get("message")
    if not isinstance(message, str) or not message.strip():
        raise InvalidFeedback("write what happened (the message is empty)", field="message")
    if len(message) > MAX_MESSAGE:
        raise InvalidFeedback(f"the message is longer than {MAX_MESSAGE} characters",
                              field="message")
    raw_email = data.get("email")
    email = parse_email(raw_email) if raw_email not in (None, "") else None
    row = FeedbackMessage(notice_id=notice.id, email=email, message=message.strip())
    session.add(row)
    session.flush()
    if mail_on:
        url = f"{current_base_url()}/console/"
        reply = f"Reply to: {email}" if email else "No reply address was left."
        for to in vendor_recipients(session, notice):
            enqueue_mail(
                session, to=to, purpose="feedback.message", product_id=notice.product_id,
                notice_id=notice.id, dedupe_key=f"feedback:{row.id}:{to}"[:200],
                subject=f"[{notice.product.name}] The workaround for {notice.public_id} "
                        "did not help",
                text=(f"Someone affected by {notice.public_id} (“{notice.title}”) says the "
                      f"workaround did not help.\n\n{row.message}\n\n{reply}\n\n"
                      f"Read all feedback in the console: {url}\n"),
                headers={"Reply-To": email} if email else None)
    session.commit()
    return row


def list_messages(session: Session, product_id: int, limit: int = 200) -> list[FeedbackMessage]:
    return list(session.scalars(
        sa.select(FeedbackMessage).join(Notice).where(Notice.product_id == product_id)
        .order_by(FeedbackMessage.id.desc()).limit(limit)))
