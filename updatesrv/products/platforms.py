"""Each product's platform registry. A platform id is matched exactly everywhere (the check,
notices, pages, exports), so a typo such as ``windows`` for ``windows-x86_64`` would make a
notice or a file silently miss its installs: every id a vendor types is checked against the
registry and refused with the list of known ids. The registry is the built-in table of
common platforms, the platforms the vendor declared for the product, and those its files
already use; each has a human name for people (built-in, or the vendor's own)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..i18n.catalogs import N_
from ..textinput import check_optional_text
from ..updates.rules import ANY_PLATFORM
from ..versions import parse_platform
from .models import Product

# Marked for the catalogs; platform_name translates them for the reader.
BUILTIN_NAMES: dict[str, str] = {
    "windows-x86_64": N_("Windows (64-bit)"),
    "windows-arm64": N_("Windows on Arm"),
    "windows-x86": N_("Windows (32-bit)"),
    "macos-arm64": N_("macOS (Apple silicon)"),
    "macos-x86_64": N_("macOS (Intel)"),
    "macos-universal": N_("macOS (Apple silicon and Intel)"),
    "linux-x86_64": N_("Linux (64-bit)"),
    "linux-arm64": N_("Linux (Arm 64-bit)"),
    "linux-aarch64": N_("Linux (Arm 64-bit)"),
    "android-arm64": N_("Android"),
    "ios-arm64": N_("iPhone and iPad"),
}
ANY_NAME = N_("Every platform")
MAX_DECLARED = 100
MAX_NAME = 80


def platform_name(product: Product | Any, platform: str,
                  translate: Callable[[str], str] = str) -> str:
    """The name people read: the vendor's own, else the built-in one (``translate``d for
    the reader), else the id."""
    for item in getattr(product, "platforms", None) or ():
        if item.get("id") == platform and item.get("name"):
            return str(item["name"])
    if platform == ANY_PLATFORM:
        return translate(ANY_NAME)
    return translate(BUILTIN_NAMES[platform]) if platform in BUILTIN_NAMES else platform


def used_platforms(session: Session, product: Product) -> list[str]:
    """Platforms the product's files (any release, drafts too) are published for."""
    from ..releases.models import Artifact, Release

    return sorted(session.scalars(
        sa.select(Artifact.platform).join(Release).where(Release.product_id == product.id)
        .distinct()))


def product_platforms(session: Session, product: Product) -> list[str]:
    """The product's own platforms: declared ones, then those its files use."""
    declared = [str(p["id"]) for p in product.platforms or ()]
    used = [p for p in used_platforms(session, product) if p != ANY_PLATFORM]
    return list(dict.fromkeys([*declared, *used]))


def known_platforms(session: Session, product: Product) -> list[str]:
    """Every id the product accepts: its own platforms first, then the built-in table."""
    return list(dict.fromkeys([*product_platforms(session, product), *BUILTIN_NAMES]))


def install_choices(session: Session, product: Product,
                    extra: Iterable[str] = ()) -> list[str]:
    """The platforms a person picks from ("Your computer" in "Am I affected?" and the
    subscribe forms): the product's own, then ``extra`` (its notices' platforms); the
    built-in table while it has none."""
    own = list(dict.fromkeys([*product_platforms(session, product), *extra]))
    return own or list(BUILTIN_NAMES)


def choices(session: Session, product: Product,
            current: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(id, human name) pairs for a form: the product's own platforms (the built-in table
    while it has none yet), plus whatever is already selected."""
    ids = product_platforms(session, product) or list(BUILTIN_NAMES)
    ids = list(dict.fromkeys([*ids, *current]))
    return [(p, platform_name(product, p)) for p in ids]


def require_known(session: Session, product: Product, value: object, field: str,
                  *, allow_any: bool = False,
                  known: list[str] | None = None) -> str:
    platform = parse_platform(value, field)
    if allow_any and platform == ANY_PLATFORM:
        return platform
    known = known if known is not None else known_platforms(session, product)
    if platform not in known:
        similar = [k for k in known if k.startswith(platform.split("-")[0])]
        hint = f" Did you mean {' or '.join(similar[:4])}?" if similar else ""
        raise InvalidInput(
            f"{field}: {product.slug} has no platform {platform!r}.{hint} Known platforms: "
            f"{', '.join(known)}{', any' if allow_any else ''}. To use another id, declare it "
            f"first in the product's settings (PATCH /api/v1/products/{product.slug} with "
            "\"platforms\").", field=field, known_platforms=known)
    return platform


def parse_declared(value: object) -> list[dict[str, str | None]]:
    """``platforms`` in product settings: a list of ids or {"id": ..., "name": ...}."""
    if not isinstance(value, list) or len(value) > MAX_DECLARED:
        raise InvalidInput(f"platforms must be a list (at most {MAX_DECLARED}) of platform ids "
                           'or {"id": "windows-x86_64", "name": "Windows (64-bit)"}',
                           field="platforms")
    out: dict[str, str | None] = {}
    for item in value:
        if isinstance(item, str):
            pid, name = item, None
        elif isinstance(item, dict) and set(item) <= {"id", "name"} and "id" in item:
            pid, name = item["id"], item.get("name")
        else:
            raise InvalidInput('each platform is an id or {"id": ..., "name": ...}',
                               field="platforms")
        pid = parse_platform(pid, "platforms")
        if pid == ANY_PLATFORM:
            raise InvalidInput("'any' is built in (a file for every platform); it needs no "
                               "declaring", field="platforms")
        name = check_optional_text(name, "platforms", MAX_NAME,
                                   label=f"the name of platform {pid}",
                                   single_line=True)
        out[pid] = name
    return [{"id": k, "name": v} for k, v in out.items()]


def registry_to_list(session: Session, product: Product) -> list[dict[str, Any]]:
    declared = {str(p["id"]) for p in product.platforms or ()}
    return [{"id": p, "name": platform_name(product, p), "declared": p in declared}
            for p in product_platforms(session, product)]
