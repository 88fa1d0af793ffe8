"""Every route in the URL map, with each of its parameters replaced by a malformed or
out-of-range id, as anonymous, viewer and owner (console session) and with an API token:
never a 5xx (a 404 or 400 instead)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.conftest import publish
from tests.reach_helpers import file_notice

from ..console.conftest import add_user, login

HOSTILE = [str(2**63), str(2**64), "-1", "²", "①", "9" * 10_000, "0"]
VALID = {"vendor": "acme", "product": "ledgerly", "version": "1.0", "channel": "stable",
         "platform": "windows-x86_64", "feed": "latest.yml", "fmt": "json"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments:
            continue
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        yield rule, methods


def _path(rule, hostile_arg: str, value: str, valid: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return quote(value if name == hostile_arg else valid.get(name, "x"), safe="")

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


@pytest.fixture
def clients(app, client, api, product):
    app.config["WTF_CSRF_ENABLED"] = False
    publish(api, product, "1.0")
    notice = file_notice(api, product)
    add_user(app, "viewer@acme.example", "acme", "viewer")
    viewer, owner = app.test_client(), app.test_client()
    assert login(viewer, "viewer@acme.example").status_code == 302
    assert login(owner, "owner@acme.example").status_code == 302
    return {"anonymous": client, "viewer": viewer, "owner": owner}, {
        **VALID, "notice_id": notice["id"]}, api


def test_no_route_answers_5xx_to_hostile_ids(app, clients):
    by_role, valid, api = clients
    failures = []
    for rule, methods in _routes(app):
        for argument in rule.arguments:
            for value in HOSTILE:
                path = _path(rule, argument, value, valid)
                for method in methods:
                    callers = [*by_role.items()]
                    if rule.rule.startswith("/api/"):
                        callers.append(("token", api))
                    for role, caller in callers:
                        send = getattr(caller, method.lower())
                        response = send(path) if role == "token" else send(path, data={})
                        # 503 "mail-disabled" is the documented answer of subscribe
                        # while MAIL_URL is unset, not a failure.
                        if response.status_code >= 500 and b"mail-disabled" not in \
                                response.data:
                            failures.append((role, method, rule.rule, argument, value[:12],
                                             response.status_code))
    assert not failures, sorted({(f[1], f[2], f[5]) for f in failures})


@pytest.mark.parametrize("token", [f"{v}.abc" for v in HOSTILE] + ["²1.abc", "①.abc"])
def test_unsubscribe_links_with_hostile_ids_answer_404(client, product, token):
    url = f"/p/{product}/subscriptions/unsubscribe?token={quote(token)}"
    assert client.get(url).status_code == 404
    one_click = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code in (400, 404), one_click.status_code
