"""Console sessions are revocable: signing out ends every copy of the cookie, "sign out
everywhere" and a password change end the user's other sessions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from updatesrv.accounts.models import ConsoleSession
from updatesrv.db import db, utcnow
from updatesrv.scheduling.jobs import prune_expired

from .conftest import login

EMAIL = "owner@acme.example"


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/console/acme/").status_code == 200


def _copy_of(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _sessions(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(ConsoleSession)))


def test_sign_out_ends_every_copy_of_the_cookie(owner: FlaskClient, app: Flask) -> None:
    copy = _copy_of(owner, app)
    assert _signed_in(copy)
    assert owner.post("/console/logout").status_code == 302
    assert not _signed_in(owner)
    response = copy.get("/console/acme/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert _sessions(app) == 0


def test_sign_out_everywhere_ends_all_sessions(owner: FlaskClient, app: Flask) -> None:
    laptop = app.test_client()
    assert login(laptop, EMAIL).status_code == 302
    copy = _copy_of(laptop, app)
    assert _sessions(app) == 2
    page = owner.get("/console/password")
    assert b"Sign out everywhere" in page.data
    response = owner.post("/console/sessions/end-all")
    assert response.status_code == 302
    assert not any(_signed_in(c) for c in (owner, laptop, copy))
    assert _sessions(app) == 0
    # Signing in again works as usual.
    assert login(laptop, EMAIL).status_code == 302 and _signed_in(laptop)


def test_password_change_keeps_only_this_browser(owner: FlaskClient, app: Flask) -> None:
    laptop = app.test_client()
    assert login(laptop, EMAIL).status_code == 302
    response = owner.post("/console/password", data={
        "current_password": "correct horse battery", "new_password": "a new long password",
        "confirm": "a new long password"})
    assert response.status_code == 302
    assert _signed_in(owner)
    assert not _signed_in(laptop)
    assert _sessions(app) == 1


def test_expired_sessions_stop_working_and_are_pruned(owner: FlaskClient, app: Flask) -> None:
    with app.app_context():
        db.session.execute(sa.update(ConsoleSession).values(
            expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    assert not _signed_in(owner)
    with app.app_context():
        prune_expired(db.sessionmaker, utcnow())
    assert _sessions(app) == 0


def test_a_forged_or_old_style_cookie_is_refused(csrf_off: Flask, client: FlaskClient,
                                                 api: object) -> None:
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(csrf_off)
    assert serializer is not None
    # A pre-upgrade cookie (user id and password stamp, validly signed) no longer opens it.
    client.set_cookie("session", serializer.dumps({"uid": 1, "pwd": "x"}))
    assert not _signed_in(client)
    client.set_cookie("session", serializer.dumps({"sid": "guessed"}))
    assert not _signed_in(client)
