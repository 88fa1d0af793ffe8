from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from updatesrv.accounts import services as accounts
from updatesrv.accounts.models import Vendor
from updatesrv.db import db, write_intent

PASSWORD = "correct horse battery"


def add_user(app: Flask, email: str, vendor_slug: str, role: str) -> None:
    with app.app_context(), write_intent():
        import sqlalchemy as sa

        vendor = db.session.scalar(sa.select(Vendor).where(Vendor.slug == vendor_slug))
        user = accounts.create_user(db.session, email, PASSWORD)
        accounts.add_member(db.session, user, vendor, role)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/console/login", data={"email": email, "password": password})


@pytest.fixture
def csrf_off(app: Flask) -> Flask:
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def owner(csrf_off, client, api, product):
    """Signed in as the owner of acme, which has the product 'ledgerly'."""
    assert login(client, "owner@acme.example").status_code == 302
    return client


def form_errors(html: str) -> list[str]:
    return re.findall(r'class="(?:field-error|alert alert-error)"[^>]*>([^<]+)<', html)
