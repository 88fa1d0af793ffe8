from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from packaging.version import Version
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..accounts.services import Actor
from ..audit import services as audit
from ..db import utcnow
from ..errors import InvalidInput
from ..outbox import notice_events
from ..products.models import Product
from ..products.platforms import known_platforms, require_known
from ..products.services import bump_catalog
from ..textinput import check_text
from ..timeutil import rfc3339
from ..updates import rules
from ..versioning import lock_for_edit
from ..versions import normalise_specifier, parse_platform, parse_version
from .errors import NoticeIdTaken, NoticeNotFound
from .models import RESOLVED_STATUSES, SEVERITIES, STATUSES, Notice, NoticeUpdate
from .ranges import affected_in_words, check_fixed_in
from .translations import check_messages, parse_notice_translations, translations_for_api

# Changing any of these changes what an install is shown or how it is matched, so it
# bumps the notice's revision (and clients show the notice again).
REVISION_FIELDS = ("title", "summary", "details", "workaround", "severity", "status",
                   "affected", "platforms", "channels", "fixed_in", "translations")
# Not shown to installs, so not part of the revision; they change which release they get.
EDITABLE = frozenset({*REVISION_FIELDS, "hold_release", "fix_critical"})
MAX_MARKDOWN = 50_000
MAX_TITLE = 120
MAX_SUMMARY = 2000


def _text(data: dict[str, Any], name: str, limit: int, required: bool = False,
          single_line: bool = False) -> str:
    return check_text(data.get(name, ""), name, limit, required=required,
                      single_line=single_line)


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}; got {value!r}",
                           field=name)
    return str(value)


def _platforms(session: Session | None, product: Product, value: object,
               kept: tuple[str, ...] = ()) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput("platforms must be a list such as [\"windows-x86_64\"] (empty = all)",
                           field="platforms")
    if session is None:
        return sorted({parse_platform(v, "platforms") for v in value})
    # Ids the notice already has stay valid (a platform may have been undeclared since).
    known = [*known_platforms(session, product), *kept]
    return sorted({require_known(session, product, v, "platforms", known=known)
                   for v in value})


def _channels(product: Product, value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(v not in product.channels for v in value):
        raise InvalidInput(f"channels must be a list of {', '.join(product.channels)} "
                           "(empty = all)", field="channels")
    return [c for c in product.channels if c in value]


def parse_fields(product: Product, data: dict[str, Any], session: Session | None = None,
                 current: Notice | None = None) -> dict[str, Any]:
    """Validates the editable fields present in ``data``; shared by the API and console.
    With a session, platforms are checked against the product's registry."""
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = _text(data, "title", MAX_TITLE, required=True, single_line=True)
    if "summary" in data:
        out["summary"] = _text(data, "summary", MAX_SUMMARY)
    for name in ("details", "workaround"):
        if name in data:
            out[name] = _text(data, name, MAX_MARKDOWN)
    if "severity" in data:
        out["severity"] = _choice(data["severity"], "severity", SEVERITIES)
    if "status" in data:
        out["status"] = _choice(data["status"], "status", STATUSES)
    if "affected" in data:
        # Kept in the vendor's clause order (it matters to readers), normalised.
        out["affected"] = normalise_specifier(data["affected"])
    if "platforms" in data:
        out["platforms"] = _platforms(session, product, data["platforms"],
                                      tuple(current.platforms) if current else ())
    if "channels" in data:
        out["channels"] = _channels(product, data["channels"])
    if "fixed_in" in data:
        value = data["fixed_in"]
        out["fixed_in"] = None if value in (None, "") else str(parse_version(value, "fixed_in"))
    if "hold_release" in data:
        value = data["hold_release"]
        out["hold_release"] = (None if value in (None, "") else
                               str(parse_version(value, "hold_release")))
    if "fix_critical" in data:
        if not isinstance(data["fix_critical"], bool):
            raise InvalidInput("fix_critical must be true or false", field="fix_critical")
        out["fix_critical"] = data["fix_critical"]
    if "translations" in data:
        out["translations"], out["message_translations"] = parse_notice_translations(
            product, data["translations"], current)
    return out


def _message(data: dict[str, Any]) -> str:
    return _text(data, "message", MAX_MARKDOWN)


def snapshot(notice: Notice) -> dict[str, Any]:
    return {name: getattr(notice, name) for name in REVISION_FIELDS}


def _pop_message_translations(fields: dict[str, Any], message: str) -> dict[str, str]:
    messages: dict[str, str] = fields.pop("message_translations", {})
    check_messages(messages, message)
    return messages


def _allocate_number(session: Session, product: Product) -> int:
    """Atomic per-product counter: concurrent creates never share a number and numbers are
    never reused."""
    new_next = session.execute(
        sa.update(Product).where(Product.id == product.id)
        .values(next_notice_number=Product.next_notice_number + 1)
        .returning(Product.next_notice_number)).scalar_one()
    return int(new_next) - 1


def create_notice(session: Session, actor: Actor, product: Product,
                  data: dict[str, Any]) -> Notice:
    """Files a notice. With ``"draft": true`` it is saved but reaches nobody (no check,
    page, feed, export or public API) until publish_notice()."""
    actor.require("publisher")
    unknown = set(data) - EDITABLE - {"message", "draft"}
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    for required in ("title", "severity", "affected"):
        if required not in data:
            raise InvalidInput(f"{required} is required", field=required)
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        raise InvalidInput("draft must be true or false", field="draft")
    fields = parse_fields(product, data, session)
    fields.setdefault("status", "investigating")
    check_fixed_in(fields["affected"], fields.get("fixed_in"))
    message = _message(data)
    messages = _pop_message_translations(fields, message)
    now = utcnow()
    number = _allocate_number(session, product)
    notice = Notice(product_id=product.id,
                    public_id=f"{product.notice_prefix}-{now.year}-{number:04d}",
                    revision=1, opened_at=now, updated_at=now,
                    resolved_at=now if fields["status"] in RESOLVED_STATUSES else None,
                    **{"platforms": [], "channels": [], "translations": {}, **fields})
    notice.timeline.append(NoticeUpdate(created_at=now, status=notice.status, revision=1,
                                        message=message, actor=actor.label,
                                        translations=messages))
    session.add(notice)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise NoticeIdTaken(f"notice id {notice.public_id} is already taken on this server "
                            f"(another product's notices use the prefix "
                            f"{product.notice_prefix}); change this product's notice prefix "
                            "in its settings", field="notice_prefix") from None
    audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                 action="notice.draft" if draft else "notice.create",
                 object_type="notice", object_key=notice.public_id,
                 after={**snapshot(notice), "hold_release": notice.hold_release,
                        "fix_critical": notice.fix_critical})
    if not draft:
        _mark_published(session, notice, now)
    session.commit()
    return notice


def _mark_published(session: Session, notice: Notice, now: dt.datetime) -> None:
    """THE point where a notice becomes published (created without draft, or a draft
    published): from here on the check, pages, feeds, OSV and the public API show it.
    Runs inside the caller's transaction, before its commit."""
    notice.published_at = now
    notice.opened_at = now
    # Publication is its latest change: a page never says "last updated" before
    # "published" (a draft's edits happened before anyone could see it).
    notice.updated_at = now
    bump_catalog(session, notice.product_id)
    if notice.severity == "critical" and notice.status not in RESOLVED_STATUSES:
        halt_rollouts(session, notice)
    # Subscribers and webhooks hear about it (outbox, same transaction).
    notice_events.notice_published(session, notice)


def publish_notice(session: Session, actor: Actor, notice: Notice) -> Notice:
    """Publishes a draft notice (idempotent for one already published)."""
    return update_notice(session, actor, notice, {"draft": False})


def update_notice(session: Session, actor: Actor, notice: Notice,
                  data: dict[str, Any], *, if_match: set[int] | None = None) -> Notice:
    """Applies a partial change. The revision goes up when anything shown or matched
    changes; a status change or a message appends a timeline entry. ``"draft": false``
    publishes a draft; a published notice cannot go back to draft. ``if_match``: the row
    versions the editor saw (412 when the notice changed since)."""
    actor.require("publisher")
    lock_for_edit(session, notice, if_match)
    unknown = set(data) - EDITABLE - {"message", "draft"}
    if unknown:
        raise InvalidInput(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    publish = False
    if "draft" in data:
        if not isinstance(data["draft"], bool):
            raise InvalidInput("draft must be true or false", field="draft")
        if data["draft"] and not notice.draft:
            raise InvalidInput("a published notice cannot go back to draft: withdraw it "
                               "instead", field="draft")
        publish = notice.draft and not data["draft"]
    fields = parse_fields(notice.product, data, session, notice)
    check_fixed_in(fields.get("affected", notice.affected),
                   fields.get("fixed_in", notice.fixed_in))
    message = _message(data)
    messages = _pop_message_translations(fields, message)
    before = snapshot(notice)
    hold_before, fix_critical_before = notice.hold_release, notice.fix_critical
    for name, value in fields.items():
        setattr(notice, name, value)
    after = snapshot(notice)
    now = utcnow()
    changed = after != before
    if changed and not notice.draft:
        # In SQL, so that no concurrent edit's increment is lost; read back after flush.
        notice.revision = Notice.revision + 1
    if changed:
        notice.updated_at = now
        session.flush()
    if before["status"] != notice.status:
        notice.resolved_at = now if notice.status in RESOLVED_STATUSES else None
    if before["status"] != notice.status or message:
        notice.timeline.append(NoticeUpdate(created_at=now, status=notice.status,
                                            revision=notice.revision, message=message,
                                            actor=actor.label, translations=messages))
    others_changed = (hold_before, fix_critical_before) != (notice.hold_release,
                                                            notice.fix_critical)
    if (changed or message) and not notice.draft and not publish:
        notice_events.notice_changed(session, notice, status_before=before["status"],
                                     new_entry=before["status"] != notice.status
                                     or bool(message))
    if changed or message or others_changed or publish:
        if not notice.draft:
            bump_catalog(session, notice.product_id)
        audit.record(session, vendor_id=actor.vendor_id, actor=actor.label,
                     action="notice.publish" if publish else "notice.update",
                     object_type="notice", object_key=notice.public_id,
                     before={**before, "hold_release": hold_before,
                             "fix_critical": fix_critical_before},
                     after={**after, "hold_release": notice.hold_release,
                            "fix_critical": notice.fix_critical,
                            **({"message": message} if message else {})})
    if publish:
        _mark_published(session, notice, now)
    elif not notice.draft:
        raised = before["severity"] != "critical" and notice.severity == "critical"
        widened = any(before[k] != after[k] for k in ("affected", "platforms", "channels"))
        reopened = (before["status"] in RESOLVED_STATUSES
                    and notice.status not in RESOLVED_STATUSES)
        if notice.severity == "critical" and notice.status not in RESOLVED_STATUSES and (
                raised or widened or reopened):
            halt_rollouts(session, notice)
    session.commit()
    return notice


def halt_rollouts(session: Session, notice: Notice) -> list[str]:
    """Auto-halt: a critical notice that affects a release still rolling out pauses that
    rollout at once; the dashboard says why and the audit log says it was the system."""
    from ..rollouts.services import auto_pause, rolling_out

    halted = []
    for release in rolling_out(session, notice.product_id):
        if not rules.notice_applies_to_release(
                notice.affected, notice.channels, notice.platforms, Version(release.version),
                release.channel, (a.platform for a in release.artifacts)):
            continue
        auto_pause(session, release, f"Paused automatically: critical notice "
                   f"{notice.public_id} (“{notice.title}”) affects {release.version}.")
        halted.append(release.version)
    if halted:
        bump_catalog(session, notice.product_id)
    return halted


def get_notice(session: Session, product: Product, public_id: str, *,
               include_drafts: bool = False) -> Notice:
    """A notice by id; drafts only for the vendor's own views (``include_drafts``)."""
    notice = session.scalar(
        sa.select(Notice).where(Notice.product_id == product.id, Notice.public_id == public_id)
        .options(selectinload(Notice.timeline)))
    if notice is None or (notice.draft and not include_drafts):
        raise NoticeNotFound(f"{product.slug} has no notice {public_id!r}")
    return notice


def list_notices(session: Session, product: Product, *, with_timeline: bool = False,
                 limit: int | None = None, include_drafts: bool = False) -> list[Notice]:
    """Newest change first; published notices only unless ``include_drafts``."""
    stmt = (sa.select(Notice).where(Notice.product_id == product.id)
            .order_by(Notice.updated_at.desc(), Notice.public_id).limit(limit))
    if not include_drafts:
        stmt = stmt.where(Notice.published_at.is_not(None))
    if with_timeline:
        stmt = stmt.options(selectinload(Notice.timeline))
    return list(session.scalars(stmt))


def support_url(product: Product | Any) -> str | None:
    if getattr(product, "support_url", None):
        return str(product.support_url)
    if getattr(product, "support_email", None):
        return f"mailto:{product.support_email}"
    return None


def notice_to_dict(notice: Notice, base_url: str, *, vendor: bool = False) -> dict[str, Any]:
    """The notice as the public sees it; ``vendor=True`` (the owning vendor's API) adds
    ``hold_release``, which names a release that may still be a draft or scheduled and so
    never appears in a public answer, a feed, a mail or a webhook."""
    body = _notice_dict(notice, base_url)
    if vendor:
        body["hold_release"] = notice.hold_release
    return body


def _notice_dict(notice: Notice, base_url: str) -> dict[str, Any]:
    product = notice.product
    return {
        "id": notice.public_id, "revision": notice.revision, "title": notice.title,
        "summary": notice.summary, "details": notice.details, "workaround": notice.workaround,
        "severity": notice.severity, "status": notice.status, "affected": notice.affected,
        "affected_text": affected_in_words(notice.affected), "platforms": notice.platforms,
        "channels": notice.channels, "fixed_in": notice.fixed_in,
        "fix_critical": notice.fix_critical,
        "draft": notice.draft, "published_at": rfc3339(notice.published_at),
        "opened_at": rfc3339(notice.opened_at), "updated_at": rfc3339(notice.updated_at),
        "resolved_at": rfc3339(notice.resolved_at),
        "url": f"{base_url}/p/{product.slug}/known-issues/{notice.public_id}",
        "support_url": support_url(product),
        "timeline": [{"at": rfc3339(u.created_at), "status": u.status, "revision": u.revision,
                      "message": u.message, "translations": dict(u.translations or {})}
                     for u in notice.timeline],
        "locale": product.default_locale,
        "translations": translations_for_api(notice),
    }
