"""The Python client reaches every conformance vector's verdict (spec/vectors/; the
JavaScript client's tests run the same file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from requests.structures import CaseInsensitiveDict
from updatesrv_client import errors
from updatesrv_client._models import parse_check
from updatesrv_client._transport import parse_json
from updatesrv_client._trust import ServerTrust, Target, guard_offer

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "spec" / "vectors" /
                      "check-answers.json").read_text(encoding="utf-8"))


def verdict(vector):
    setup = vector["client"]
    body = vector["body"].encode()
    trust = ServerTrust(setup["server_keys"])
    try:
        trust.verify(CaseInsensitiveDict(vector["headers"]), body,
                     Target(setup["product"], setup["version"], setup["channel"],
                            setup["platform"]), float(setup["now"]), setup["highest_serial"])
        result = guard_offer(parse_check(parse_json(body), float(setup["now"]), False,
                                         lambda n: True),
                             setup["version"], setup["allow_downgrade"])
    except errors.UpdateCheckError as exc:
        return {"verdict": "rejected", "error": type(exc).__name__}
    return {"verdict": "accepted", "update": result.update and result.update.version,
            "notices": [n.id for n in result.notices]}


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector(vector):
    assert verdict(vector) == vector["expect"], vector["description"]
