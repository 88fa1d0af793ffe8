"""``updatesrv create-vendor`` is all or nothing: a refused or interrupted password leaves
no ownerless vendor behind, and the same command then simply works."""

from __future__ import annotations

import sqlalchemy as sa

from updatesrv.accounts.models import Membership, User, Vendor
from updatesrv.db import db

ARGS = ["create-vendor", "globex", "--name", "Globex", "--email", "boss@globex.example"]


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
                     for model in (Vendor, User, Membership))  # type: ignore[return-value]


def test_refused_password_leaves_nothing_and_rerun_works(app, runner):
    short = runner.invoke(args=[*ARGS, "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert _counts(app) == (0, 0, 0)
    ok = runner.invoke(args=[*ARGS, "--password-stdin"], input="a long enough password\n")
    assert ok.exit_code == 0, ok.output
    assert "created vendor globex with owner boss@globex.example" in ok.output
    assert _counts(app) == (1, 1, 1)
    with app.app_context():
        assert db.session.scalar(sa.select(Membership.role)) == "owner"


def test_interrupted_prompt_leaves_nothing(app, runner):
    # No input at all: the interactive prompt ends (as with Ctrl-D / Ctrl-C).
    aborted = runner.invoke(args=ARGS, input="")
    assert aborted.exit_code != 0
    mismatch = runner.invoke(args=ARGS, input="first password!\nsecond password\n\n")
    assert mismatch.exit_code != 0
    assert _counts(app) == (0, 0, 0)
    typed = runner.invoke(args=ARGS, input="same password 1\nsame password 1\n")
    assert typed.exit_code == 0, typed.output
    assert _counts(app) == (1, 1, 1)


def test_existing_account_becomes_owner_without_a_password(app, runner):
    first = runner.invoke(args=[*ARGS, "--password-stdin"], input="a long enough password\n")
    assert first.exit_code == 0
    second = runner.invoke(args=["create-vendor", "initech", "--name", "Initech", "--email",
                                 "Boss@Globex.example"], input="")
    assert second.exit_code == 0, second.output
    assert _counts(app) == (2, 1, 2)


def test_taken_slug_is_refused_before_the_password_is_asked(app, runner):
    assert runner.invoke(args=[*ARGS, "--password-stdin"],
                         input="a long enough password\n").exit_code == 0
    again = runner.invoke(args=["create-vendor", "globex", "--name", "G2", "--email",
                                "new@globex.example"], input="")
    assert again.exit_code != 0 and "already exists" in again.output
    assert "Password" not in again.output
    assert _counts(app) == (1, 1, 1)
