from __future__ import annotations

import pytest
from packaging.version import Version

from updatesrv.versions import to_semver


@pytest.mark.parametrize(("pep440", "semver"), [
    ("2.1rc1", "2.1.0-rc.1"), ("2.0", "2.0.0"), ("3", "3.0.0"), ("1.2.3", "1.2.3"),
    ("2.0a3", "2.0.0-alpha.3"), ("2.0b1", "2.0.0-beta.1"), ("2.0.0-rc.2", "2.0.0-rc.2"),
])
def test_faithful_forms(pep440: str, semver: str) -> None:
    assert to_semver(Version(pep440)) == semver


@pytest.mark.parametrize("pep440", ["1.2.3.4", "1.0.post1", "1.0.dev1", "1!2.0", "1.0+local",
                                    "2.0rc1.dev2"])
def test_versions_without_a_faithful_form_are_left_out(pep440: str) -> None:
    assert to_semver(Version(pep440)) is None


def test_order_is_kept_among_mapped_versions() -> None:
    versions = ["1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0.1", "1.1"]
    import re

    def semver_key(text: str) -> tuple[object, ...]:
        core, _, pre = text.partition("-")
        nums = tuple(int(x) for x in core.split("."))
        if not pre:
            return (nums, 1, ())
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
        return (nums, 0, parts)

    mapped = [to_semver(Version(v)) for v in versions]
    assert all(m is not None and re.match(r"^\d+\.\d+\.\d+", m) for m in mapped)
    assert sorted(mapped, key=lambda m: semver_key(m or "")) == mapped
