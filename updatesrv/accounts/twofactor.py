"""Two-factor sign-in with TOTP (RFC 6238, pyotp) and ten single-use recovery codes.

A code is accepted at most once: the accepted time step is stored with one conditional
UPDATE (``last step < this step``), so a replayed code, an older code after a newer one,
or the same code submitted twice at once never signs in twice. Recovery codes are stored
as SHA-256 hashes (they are 80-bit random, so a fast hash is enough) and each is claimed
by its own conditional UPDATE. Wrong codes count against the same throttle as wrong
passwords."""

from __future__ import annotations

import hashlib
import io
import secrets

import pyotp
import segno
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..audit import services as audit
from ..db import utcnow, write_intent
from . import login
from .errors import InvalidInput
from .models import Membership, RecoveryCode, User, Vendor

ISSUER = "updatesrv"
RECOVERY_CODES = 10
# One step before and after the current one: clocks drift and people type slowly.
VALID_WINDOW = 1
WRONG_CODE = "That code is wrong or was already used. Try the next one."


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG QR code of ``uri`` (segno), for the authenticator app to scan."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                     svgns=True, title="QR code for your authenticator app")
    return out.getvalue().decode()


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).replace("-", "").encode()).hexdigest()


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 10 hex digits, shown as xxxxx-xxxxx
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user_id, code_hash=_hash_code(raw)))
    return codes


def record_member_event(session: Session, user: User, action: str,
                        after: dict[str, str] | None = None) -> None:
    """An audit event about ``user``'s own sign-in settings, in each of their vendors."""
    for vendor_id in session.scalars(sa.select(Membership.vendor_id).where(
            Membership.user_id == user.id)):
        audit.record(session, vendor_id=vendor_id, actor=f"user:{user.email}", action=action,
                     object_type="member", object_key=user.email, after=after)


def enable(session: Session, user: User, secret: str, code: str) -> list[str]:
    """Turns TOTP on once the user proved their app has ``secret``; returns the ten
    recovery codes, shown once."""
    step = _matching_step(secret, code)
    if step is None:
        raise InvalidInput("That code does not match. Check the time on your phone and "
                           "type the code the app shows now.", field="code")
    with write_intent():
        user.totp_secret = secret
        user.totp_last_step = step
        codes = _new_recovery_codes(session, user.id)
        record_member_event(session, user, "user.two_factor_on")
        session.commit()
    return codes


def disable(session: Session, user: User) -> None:
    with write_intent():
        user.totp_secret = None
        user.totp_last_step = None
        session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record_member_event(session, user, "user.two_factor_off")
        session.commit()


def remaining_recovery_codes(session: Session, user_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0)


def _claim_code(session: Session, user: User, code: str) -> bool:
    step = _matching_step(user.totp_secret or "", code)
    if step is not None:
        claimed = session.execute(sa.update(User).where(
            User.id == user.id, User.totp_secret.is_not(None),
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step)
        ).values(totp_last_step=step))
        return getattr(claimed, "rowcount", 0) == 1
    if len(code) > 40:
        return False
    claimed = session.execute(sa.update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow()))
    return getattr(claimed, "rowcount", 0) == 1


def verify_second_factor(session: Session, user: User, code: str, address: str,
                         secret_key: bytes) -> bool:
    """A TOTP code or a recovery code, each accepted once; raises TooManyAttempts while
    the account or the address is blocked (the password throttle's counters)."""
    now = utcnow()
    keys = login.throttle_keys(user.email, address, secret_key)
    session.commit()
    wait = login.blocked_for(session, keys, now)
    if wait:
        raise login.TooManyAttempts(f"Too many failed sign-ins. Try again in "
                                    f"{login.human_wait(wait)}.")
    with write_intent():
        ok = _claim_code(session, user, code.strip())
        if ok:
            login.clear_account(session, keys)
        else:
            login.record_failure(session, keys, now)
        session.commit()
    return ok


has_second_factor = login.has_second_factor


def requires_enrolment(session: Session, user: User) -> bool:
    """True when a vendor of ``user`` requires two-factor sign-in and the user has none."""
    if login.has_second_factor(session, user):
        return False
    return session.scalar(sa.select(sa.func.count()).select_from(Membership).join(Vendor).where(
        Membership.user_id == user.id, Vendor.require_two_factor.is_(True))) != 0


def set_requirement(session: Session, vendor: Vendor, required: bool, actor_label: str) -> None:
    with write_intent():
        before = vendor.require_two_factor
        vendor.require_two_factor = required
        audit.record(session, vendor_id=vendor.id, actor=actor_label,
                     action="vendor.require_two_factor", object_type="vendor",
                     object_key=vendor.slug, before={"required": before},
                     after={"required": required})
        session.commit()
