from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid(client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"] == "3.1.0"


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in doc["paths"].items()
                  for method in item if method in {"get", "post", "patch", "put", "delete"}}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method.lower()) not in documented:
                missing.append(f"{method} {path}")
    assert not missing, f"routes missing from openapi.json: {missing}"
    # And nothing documented that does not exist.
    routes = {re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()}
    assert {p for p, _ in documented} <= routes
