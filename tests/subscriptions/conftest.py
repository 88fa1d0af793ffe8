from __future__ import annotations

from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def app(mail_app: Flask) -> Flask:
    """Every test here runs with mail on, sent to a real SMTP server on loopback."""
    return mail_app


@pytest.fixture
def confirmed(client: Any, mailbox: Any, app: Flask, product: str) -> Any:
    """Subscribes, follows the confirmation link, returns a function for more of them."""
    import datetime as dt

    from tests.reach_helpers import tick

    def subscribe(email: str = "ana@example.com", **filters: Any) -> str:
        before = len(mailbox.to(email))
        response = client.post(f"/api/v1/products/{product}/subscriptions",
                               json={"email": email, **filters})
        assert response.status_code == 202, response.json
        # One confirmation mail per mailbox per 10 minutes: a further subscription of the
        # same address gets its mail when its turn comes.
        tick(app, dt.timedelta(minutes=10 * before))
        mail = mailbox.to(email)[before]
        url = confirm_url(mail)
        page = client.post(url)
        assert page.status_code == 200 and b"Confirmed" in page.data
        return email

    return subscribe


def confirm_url(mail: Any) -> str:
    import re

    text = mail.get_body(("plain",)).get_content()
    match = re.search(r"http://updates\.example(/p/\S+/subscriptions/confirm\?token=\S+)", text)
    assert match, text
    return match.group(1)
