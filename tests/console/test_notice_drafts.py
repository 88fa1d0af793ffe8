"""A draft's page says how many active installs it would reach, by the check's own rule."""

from __future__ import annotations

import re

from ..conftest import artifact, publish

WIN, MAC = "windows-x86_64", "macos-arm64"


def test_draft_counts_the_installs_it_would_reach(owner, api, product, client):
    publish(api, product, "2.0.0", artifacts=[artifact(WIN, 1), artifact(MAC, 2)])
    for install, version, platform in (("a1", "2.0.0", WIN), ("a2", "2.0.0", WIN),
                                       ("b1", "2.0.0", MAC), ("c1", "1.0", WIN)):
        client.get(f"/api/v1/products/ledgerly/check?version={version}&platform={platform}"
                   f"&install_id={install}")
    created = owner.post("/console/acme/p/ledgerly/notices/new", data={
        "title": "Licence expired", "severity": "major", "status": "confirmed",
        "affected": "2.0.0", "platforms": WIN, "save": "1"})
    assert created.status_code == 302
    page = owner.get(created.headers["Location"]).text
    assert re.search(r'id="reach">2 active installs<', page), page
    assert "Draft: nobody sees it yet" in page
