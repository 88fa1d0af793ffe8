"""Updaters name operating systems and CPUs their own way (``windows``, ``win64``, ``x64``,
``darwin`` …); products name platforms in their registry (``windows-x86_64``,
``macos-arm64`` …). The compatible feeds and the native check read those names through
this one table, and the check accepts one only when it points at exactly one of the
product's platforms (``reported_platform``)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ..errors import InvalidInput
from ..updates.rules import ANY_PLATFORM
from ..versions import parse_platform

# Aliases in order of preference.
OS_ALIASES = {
    "windows": ("windows", "win", "win32", "win64"),
    "macos": ("macos", "mac", "darwin", "osx"),
    "linux": ("linux",),
}
ARCH_ALIASES = {
    "x86_64": ("x86_64", "x64", "amd64"),
    "aarch64": ("arm64", "aarch64"),
    "i686": ("x86", "i686", "ia32", "i386"),
    "armv7": ("armv7", "armv7l", "arm"),
    "universal": ("universal",),
}
_SEPARATORS = re.compile(r"[-_]")


def os_name(value: str) -> str | None:
    value = value.lower()
    return next((os for os, names in OS_ALIASES.items() if value in names), None)


def arch_name(value: str) -> str | None:
    value = value.lower()
    return next((arch for arch, names in ARCH_ALIASES.items() if value in names), None)


def _os_arch(value: str) -> tuple[str | None, str | None] | None:
    """(os, arch) an alias names, either possibly None; None when a word is not an alias.
    ``x86_64`` is one word, not x86 and 64."""
    if arch_name(value):
        return None, arch_name(value)
    words = _SEPARATORS.split(value, maxsplit=1)
    os = os_name(words[0])
    arch = arch_name(words[1]) if len(words) > 1 else None
    if os is None and len(words) == 1:
        return None
    if os is None or (len(words) > 1 and arch is None):
        return None
    return os, arch


def alias_candidates(value: str, own: Sequence[str]) -> list[str]:
    """The product's platforms an updater name may mean (``windows`` → every Windows
    platform of the product; ``windows-x64`` → windows-x86_64 …)."""
    named = _os_arch(value)
    if named is None:
        return []
    os, arch = named
    found = []
    for platform in own:
        parts = _os_arch(platform)
        if parts is None:
            continue
        if (os is None or parts[0] == os) and (arch is None or parts[1] == arch):
            found.append(platform)
    return found


def reported_platform(value: str | None, own: Sequence[str], registry: Collection[str],
                      product: str) -> str | None:
    """The platform an install reported, as the product names it. An id in the registry
    is taken as is; an updater alias only when it means exactly one of the product's own
    platforms; anything else is refused, naming the field and the known ids, instead of
    answering "nothing to see" to an install whose notices are filed under another id."""
    if not value:
        return None
    platform = parse_platform(value)
    if platform in registry or platform == ANY_PLATFORM:
        return platform
    candidates = alias_candidates(platform, own)
    if len(candidates) == 1:
        return candidates[0]
    raise _refused(platform, candidates, own, registry, product, "platform")


def updater_platform(os: str, arch: str | None, own: Sequence[str],
                     registry: Collection[str], product: str, field: str) -> str:
    """The registered platform of an updater on (os, arch) that the product has no file
    for (the feeds first take a platform with files): by the alias rule of
    ``reported_platform``, one of the product's own platforms, else one of the registry
    (valid, not declared yet, as the check takes it); several or none is refused, naming
    ``field`` (the part of the feed URL that said the OS/arch) and the known ids, instead
    of silently answering with only the 'any' files and the wrong notices."""
    name = os if arch is None else f"{os}-{arch}"
    candidates: list[str] = []
    for pool in (own, sorted(registry)):
        if name in pool:  # linux-aarch64 and linux-arm64 are both registered
            return name
        candidates = alias_candidates(name, pool)
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            break
    raise _refused(name, candidates, own, registry, product, field, feed=True)


def _refused(platform: str, candidates: list[str], own: Sequence[str],
             registry: Collection[str], product: str, field: str,
             feed: bool = False) -> InvalidInput:
    known = list(own) or sorted(registry)
    fix = (" (or add ?platform=ID to the feed URL)" if feed else "")
    if candidates:
        return InvalidInput(
            f"platform {platform!r} could mean {', '.join(candidates)}: send the exact id "
            f"of the platform this install runs on{fix}", field=field,
            known_platforms=known, candidates=candidates)
    return InvalidInput(
        f"platform {platform!r} is not a platform of {product}: known platforms are "
        f"{', '.join(known)}. Send one of these ids{fix} (the notices and files of this "
        "product are filed under them)", field=field, known_platforms=known)
