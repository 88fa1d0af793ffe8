"""Login throttling under parallel attempts (both databases) and behind a reverse proxy."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import make_app, make_vendor
from updatesrv import runtime
from updatesrv.accounts.login import TooManyAttempts, login, throttle_keys
from updatesrv.accounts.models import LoginThrottle
from updatesrv.db import db

SECRET = b"throttle-test"


def _failures(app: Flask, key: str) -> int:
    with app.app_context():
        row = db.session.get(LoginThrottle, key)
        return row.failures if row else 0


def test_parallel_wrong_passwords_are_all_counted(app: Flask) -> None:
    make_vendor(app)
    attempts = 40
    barrier = threading.Barrier(attempts)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def attempt() -> None:
        with app.app_context():
            barrier.wait()
            try:
                result: Any = login(db.session, "owner@acme.example", "wrong password",
                                    "198.51.100.7", SECRET)
            except TooManyAttempts as exc:
                result = exc
            except Exception as exc:
                result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert len(outcomes) == attempts
    errors = [o for o in outcomes if o is not None and not isinstance(o, TooManyAttempts)]
    assert errors == []
    checked = sum(1 for o in outcomes if o is None)
    (acct_key, _), (addr_key, _) = throttle_keys("owner@acme.example", "198.51.100.7", SECRET)
    # Every password that was actually checked is counted, on both keys.
    assert _failures(app, acct_key) == checked
    assert _failures(app, addr_key) == checked
    with app.app_context():
        assert db.session.get(LoginThrottle, acct_key).blocked_until is not None
        with pytest.raises(TooManyAttempts):
            login(db.session, "owner@acme.example", "correct horse battery",
                  "198.51.100.7", SECRET)


def test_a_new_window_counts_from_one(app: Flask) -> None:
    import datetime as dt

    from updatesrv.db import utcnow

    (acct_key, _), _ = throttle_keys("x@y.example", "192.0.2.1", SECRET)
    with app.app_context():
        assert login(db.session, "x@y.example", "nope", "192.0.2.1", SECRET) is None
        db.session.execute(sa.update(LoginThrottle).values(
            window_started_at=utcnow() - dt.timedelta(hours=1), failures=4))
        db.session.commit()
        assert login(db.session, "x@y.example", "nope", "192.0.2.1", SECRET) is None
    assert _failures(app, acct_key) == 1


def _console_login(client: Any, email: str, forwarded_for: str) -> int:
    response = client.post("/console/login",
                           data={"email": email, "password": "wrong password"},
                           headers={"X-Forwarded-For": forwarded_for},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"})  # the proxy
    return int(response.status_code)


@pytest.mark.parametrize("hops, other_client_blocked", [(0, True), (1, False)])
def test_behind_a_proxy_each_client_has_its_own_address(
        tmp_path: Path, pg_schema: str | None, monkeypatch: pytest.MonkeyPatch,
        hops: int, other_client_blocked: bool) -> None:
    monkeypatch.setenv("UPDATESRV_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, pg_schema, TRUSTED_PROXIES=hops, WTF_CSRF_ENABLED=False)
    try:
        make_vendor(app)
        client = app.test_client()
        # An attacker behind the same proxy tries 21 random e-mails…
        statuses = [_console_login(client, f"guess{i}@random.example", "203.0.113.66")
                    for i in range(21)]
        assert set(statuses) == {400}
        assert _console_login(client, "guess99@random.example", "203.0.113.66") == 429
        # …which must not lock out an owner who reaches the server through that proxy.
        owner = _console_login(client, "owner@acme.example", "198.51.100.20")
        assert (owner == 429) is other_client_blocked
    finally:
        runtime(app).recorder.stop()
        with app.app_context():
            db.engine.dispose()
