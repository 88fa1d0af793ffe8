"""The console's forms suggest the dotted spelling of a version typed with commas."""

from __future__ import annotations

from .conftest import form_errors


def test_console_forms_suggest_it(owner):
    bad = owner.post("/console/acme/p/ledgerly/releases/new",
                     data={"version": "2,0,0", "channel": "stable", "save": "1"})
    assert bad.status_code == 400
    assert any("did you mean 2.0.0?" in error for error in form_errors(bad.text))
