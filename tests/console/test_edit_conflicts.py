"""Two editors of one thing (issue 8.5): a console form remembers the version it was loaded
with; saving over a newer change saves nothing and shows both values, and a second save
knowingly replaces them."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from ..conftest import Api, publish

BASE = "/console/acme/p/ledgerly"
CONFLICT = "Changed by someone else since you opened this page"


def _loaded_version(page: str, name: str = "row_version") -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="(\d+)"', page) or re.search(
        rf'value="(\d+)"[^>]*name="{re.escape(name)}"', page)
    assert match, f"no {name} field in the page"
    return match.group(1)


def test_settings_saved_over_a_newer_change_show_both_values(owner: FlaskClient, api: Api,
                                                            product: str) -> None:
    url = f"{BASE}/settings"
    opened = _loaded_version(owner.get(url).text)
    # Meanwhile a colleague (here through the API) renames the product.
    assert api.patch("/api/v1/products/ledgerly", json={"name": "Ledgerly Pro"}).status_code == 200
    mine = {"name": "Ledgerly Classic", "support_url": "https://help.example/",
            "support_email": "", "minimum_supported_version": "", "notice_prefix": "LEDG",
            "row_version": opened}
    refused = owner.post(url, data=mine)
    assert refused.status_code == 400
    page = html.unescape(refused.text)
    assert CONFLICT in page
    assert "Saved now by someone else: Ledgerly Pro" in page
    assert 'value="Ledgerly Classic"' in page  # my value is kept in the form
    assert api.get("/api/v1/products/ledgerly").json["name"] == "Ledgerly Pro"
    # Saving again from the conflict page replaces the saved value, knowingly.
    again = owner.post(url, data={**mine, "row_version": _loaded_version(refused.text)})
    assert again.status_code == 302
    assert api.get("/api/v1/products/ledgerly").json["name"] == "Ledgerly Classic"


def test_notice_edit_from_a_stale_page_is_not_saved(owner: FlaskClient, api: Api,
                                                    product: str) -> None:
    created = api.post("/api/v1/products/ledgerly/notices", json={
        "title": "Crash on start", "severity": "major", "affected": ">=1.0"}).json
    url = f"{BASE}/notices/{created['id']}"
    page = owner.get(url).text
    opened = _loaded_version(page)
    update_opened = _loaded_version(page, "upd-row_version")
    assert api.patch(f"/api/v1/products/ledgerly/notices/{created['id']}",
                     json={"title": "Crash on start with a network drive",
                           "status": "confirmed"}).status_code == 200
    mine = {"title": "Crash on start (my words)", "severity": "major", "status": "investigating",
            "affected": ">=1.0", "save": "1", "row_version": opened}
    refused = owner.post(url, data=mine)
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert CONFLICT in text
    assert "Saved now by someone else: Crash on start with a network drive" in text
    assert "Saved now by someone else: confirmed" in text
    notice = api.get(f"/api/v1/products/ledgerly/notices/{created['id']}").json
    assert notice["title"] == "Crash on start with a network drive"
    assert notice["revision"] == 2
    # The status-update form of the same stale page is refused too.
    posted = owner.post(url + "/update", data={"upd-status": "fixed", "upd-message": "done",
                                               "upd-row_version": update_opened})
    assert posted.status_code == 400 and CONFLICT in html.unescape(posted.text)
    assert api.get(f"/api/v1/products/ledgerly/notices/{created['id']}").json[
        "status"] == "confirmed"


def test_release_notes_from_a_stale_page_are_not_saved(owner: FlaskClient, api: Api,
                                                       product: str) -> None:
    publish(api, product, "1.0", notes="First notes")
    url = f"{BASE}/releases/1.0"
    opened = _loaded_version(owner.get(url).text)
    assert api.patch("/api/v1/products/ledgerly/releases/1.0",
                     json={"notes": "Notes from CI"}).status_code == 200
    refused = owner.post(url, data={"notes": "Notes from the console", "save": "1",
                                    "row_version": opened})
    assert refused.status_code == 400
    assert "Saved now by someone else: Notes from CI" in html.unescape(refused.text)
    assert api.get("/api/v1/products/ledgerly/releases/1.0").json["notes"] == "Notes from CI"
    # A page that never carried a version (no row_version) keeps today's behaviour.
    assert owner.post(url, data={"notes": "Plain save", "save": "1"}).status_code == 302


def test_rollout_from_a_stale_page_is_not_saved(owner: FlaskClient, api: Api,
                                                product: str) -> None:
    publish(api, product, "1.0", rollout_percent=10)
    url = f"{BASE}/releases/1.0"
    opened = _loaded_version(owner.get(url).text, "ro-row_version")
    # Meanwhile a colleague widens the rollout from CI.
    assert api.patch("/api/v1/products/ledgerly/releases/1.0",
                     json={"rollout_percent": 50}).status_code == 200
    mine = {"ro-rollout_percent": "20", "ro-row_version": opened}
    refused = owner.post(f"{url}/rollout", data=mine)
    assert refused.status_code == 400
    page = html.unescape(refused.text)
    assert CONFLICT in page and "Saved now by someone else: 50" in page
    assert api.get("/api/v1/products/ledgerly/releases/1.0").json["rollout_percent"] == 50
    # Saving again from the conflict page replaces it, knowingly.
    again = owner.post(f"{url}/rollout", data={
        **mine, "ro-row_version": _loaded_version(refused.text, "ro-row_version")})
    assert again.status_code == 302
    assert api.get("/api/v1/products/ledgerly/releases/1.0").json["rollout_percent"] == 20


def _new_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from updatesrv.publish import public_key_b64

    return str(public_key_b64(Ed25519PrivateKey.generate()))


def test_signing_keys_added_at_once_are_all_kept_and_a_stale_retire_does_nothing(
        owner: FlaskClient, api: Api, product: str, app: object) -> None:
    import threading

    from flask import Flask

    from updatesrv.accounts.services import system_actor
    from updatesrv.db import db, write_intent
    from updatesrv.products import services as products

    assert isinstance(app, Flask)
    keys = [_new_key() for _ in range(4)]
    barrier = threading.Barrier(len(keys))

    def add(key: str) -> None:
        barrier.wait()
        with app.app_context(), write_intent():
            prod = products.get_product(db.session, "ledgerly")
            products.add_signing_key(db.session, system_actor(prod.vendor_id), prod, key)

    threads = [threading.Thread(target=add, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    active = api.get("/api/v1/vendor/products").json["items"][0]["signing_keys"]
    assert sorted(active) == sorted(keys)

    page = owner.get(f"{BASE}/settings").text
    retire_url = re.search(r'action="([^"]+/retire)"', page)
    assert retire_url
    opened = re.search(r'name="row_version" value="(\d+)"', page[page.index(
        retire_url.group(1)):])
    assert opened
    # Someone retires and re-adds that key meanwhile: the stale button must not retire it.
    with app.app_context(), write_intent():
        prod = products.get_product(db.session, "ledgerly")
        key_id = int(retire_url.group(1).rsplit("/", 2)[1])
        products.retire_signing_key(db.session, system_actor(prod.vendor_id), prod, key_id)
        still = [k.public_key for k in prod.active_signing_keys]
        retired = next(k.public_key for k in prod.signing_keys if k.id == key_id)
        products.update_product(db.session, system_actor(prod.vendor_id), prod,
                                {"signing_keys": [*still, retired]})
    refused = owner.post(retire_url.group(1), data={"row_version": opened.group(1)})
    assert refused.status_code == 302
    assert "changed by someone else since you opened this page" in owner.get(
        f"{BASE}/settings").text
    active = api.get("/api/v1/vendor/products").json["items"][0]["signing_keys"]
    assert sorted(active) == sorted(keys)
