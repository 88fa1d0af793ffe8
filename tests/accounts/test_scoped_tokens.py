"""Scoped, expiring API tokens: products outside the scope are 'not found', an expired
token is a 401 that says so, and each token shows when and from where (hashed) it was
last used."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.conftest import Api, artifact
from updatesrv.accounts import tokens
from updatesrv.accounts.models import ApiToken, ApiTokenProduct, Vendor
from updatesrv.db import db, utcnow, write_intent
from updatesrv.products.models import Product


def _second_product(api: Api) -> None:
    response = api.post("/api/v1/products", json={"slug": "payroll", "name": "Payroll"})
    assert response.status_code == 201, response.json


def _cli_token(runner, *args: str) -> str:
    result = runner.invoke(args=["create-token", "acme", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_product_scoped_token_sees_only_its_products(app, client, api, product, runner):
    _second_product(api)
    scoped = Api(client, _cli_token(runner, "--role", "publisher", "--product", "ledgerly"))
    body = {"version": "1.0.0", "artifacts": [artifact()]}
    assert scoped.post("/api/v1/products/ledgerly/releases", json=body).status_code == 201
    outside = scoped.post("/api/v1/products/payroll/releases", json=body)
    assert outside.status_code == 404
    assert outside.headers["Content-Type"] == "application/problem+json"
    # Exactly the answer for a product that does not exist at all.
    missing = scoped.post("/api/v1/products/nothing-here/releases", json=body)
    assert (outside.json["title"], outside.json["type"]) == (missing.json["title"],
                                                             missing.json["type"])
    assert scoped.get("/api/v1/products/payroll/webhooks").status_code == 404
    listed = scoped.get("/api/v1/vendor/products").json["items"]
    assert [p["slug"] for p in listed] == ["ledgerly"]
    # What concerns the whole vendor needs a token for the whole vendor.
    assert scoped.get("/api/v1/audit").status_code == 403
    owner_scoped = Api(client, _cli_token(runner, "--role", "owner", "--product", "ledgerly"))
    assert owner_scoped.post("/api/v1/products", json={"slug": "x1", "name": "X"}
                             ).status_code == 403


def test_scoped_token_does_not_see_drafts_of_other_products(app, client, api, product,
                                                            runner):
    _second_product(api)
    draft = {"version": "2.0.0", "artifacts": [artifact()], "draft": True}
    assert api.post("/api/v1/products/payroll/releases", json=draft).status_code == 201
    assert api.get("/api/v1/products/payroll/releases/2.0.0").status_code == 200
    scoped = Api(client, _cli_token(runner, "--product", "ledgerly"))
    assert scoped.get("/api/v1/products/payroll/releases/2.0.0").status_code == 404


def test_scope_never_widens_when_its_products_are_deleted(app, client, api, product):
    _second_product(api)
    with app.app_context(), write_intent():
        vendor = db.session.scalar(sa.select(Vendor))
        _, plaintext = tokens.create_token(db.session, vendor, "ci", "owner",
                                           products=["payroll"])
        db.session.execute(sa.delete(Product).where(Product.slug == "payroll"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiTokenProduct)) == 0
    scoped = Api(client, plaintext)
    assert scoped.get("/api/v1/vendor/products").json["items"] == []
    assert scoped.get("/api/v1/products/ledgerly/webhooks").status_code == 404


def test_expired_token_is_a_clear_401(app, client, api, product, runner):
    plaintext = _cli_token(runner, "--name", "ci", "--expires-in", "2w")
    expiring = Api(client, plaintext)
    assert expiring.get("/api/v1/vendor/products").status_code == 200
    with app.app_context(), write_intent():
        token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "ci"))
        created = token.created_at
        assert token.expires_at - created == dt.timedelta(weeks=2)
        token.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    response = expiring.get("/api/v1/vendor/products")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["type"].endswith("/token-expired")
    assert "expired on" in response.json["detail"] and plaintext[:10] in response.json["detail"]
    # The public read with an expired token is refused too, not silently downgraded.
    assert expiring.get("/api/v1/products/ledgerly/releases").status_code == 401


def test_cli_tokens_default_to_90_days(app, api, runner):
    _cli_token(runner, "--name", "ci")
    forever = runner.invoke(args=["create-token", "acme", "--name", "forever",
                                  "--expires-in", "never"])
    assert forever.exit_code == 0 and "expires: never" in forever.stderr
    with app.app_context():
        rows = {t.name: t for t in db.session.scalars(sa.select(ApiToken))}
        lifetime = rows["ci"].expires_at - rows["ci"].created_at
        assert lifetime == dt.timedelta(days=90)
        assert rows["forever"].expires_at is None


def test_cli_refuses_bad_scope_and_expiry(app, api, product, runner):
    for args, words in ((["--product", "nope"], "no product 'nope'"),
                        (["--expires-in", "soon"], "expiry must look like"),
                        (["--expires-in", "0d"], "at least an hour"),
                        (["--expires-in", "99999d"], "at most 3650 days")):
        result = runner.invoke(args=["create-token", "acme", *args])
        assert result.exit_code != 0 and words in result.output, (args, result.output)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_last_used_when_and_from_a_hashed_address(app, client, api, product):
    assert api.get("/api/v1/vendor/products", environ_base={"REMOTE_ADDR": "203.0.113.7"}
                   ).status_code == 200
    with app.app_context():
        first = db.session.scalar(sa.select(ApiToken))
        assert first.last_used_at is not None
        assert first.last_used_from and "203.0.113.7" not in first.last_used_from
        seen_from = first.last_used_from
    # Another address is recorded at once, even within the one-minute write resolution.
    api.get("/api/v1/vendor/products", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    with app.app_context():
        again = db.session.scalar(sa.select(ApiToken))
        assert again.last_used_from != seen_from


def test_console_creates_a_scoped_expiring_token(app, api, product):
    from tests.console.conftest import form_errors, login

    app.config["WTF_CSRF_ENABLED"] = False
    console = app.test_client()
    assert login(console, "owner@acme.example").status_code == 302
    page = console.get("/console/acme/tokens").get_data(as_text=True)
    assert 'value="ledgerly"' in page and '<option selected value="90d">' in page
    response = console.post("/console/acme/tokens", data={
        "name": "deploy", "role": "publisher", "products": ["ledgerly"], "expires_in": "30d"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Copy this token now" in html
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "deploy"))
        assert token.product_scoped and token.expires_at is not None
        assert token.expires_at - token.created_at == dt.timedelta(days=30)
    bad = console.post("/console/acme/tokens", data={
        "name": "x", "role": "publisher", "products": ["someone-elses"], "expires_in": "30d"})
    assert bad.status_code == 400
    assert any("not a valid choice" in e for e in form_errors(bad.get_data(as_text=True)))
