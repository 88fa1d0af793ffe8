"""Right-to-left text for toolkits that draw characters in the order they are given (Tk 8.6):
Arabic letters joined into their contextual forms, and each line put in display order.

Stdlib only. ``shape`` picks each Arabic letter's isolated, initial, medial or final form
(and the mandatory lam-alef ligatures) from the Unicode presentation forms, which
``unicodedata`` describes. ``display_order`` is the Unicode Bidirectional Algorithm
(UAX #9) for one line without explicit embeddings or isolates: weak and neutral types
resolved (W1-W7, N1-N2), implicit levels (I1-I2), trailing spaces at the paragraph level
(L1), runs reversed (L2) and brackets mirrored (L4). Lines must be broken *before* they are
reordered, so callers wrap the logical text first (``wrap``) and reorder each line.

Every function works on sequences of items whose first element is the character, so
callers can carry styling (fonts, links) along with each character."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

from .text import is_rtl

T = TypeVar("T", bound=tuple[str, object])

_MIRRORS = dict(zip("()[]{}<>«»\u2039\u203a⁅⁆⁽⁾₍₎", ")(][}{><»«\u203a\u2039⁆⁅⁾⁽₎₍", strict=True))
_ZWJ, _TATWEEL, _LAM = "\u200d", "\u0640", "\u0644"
# Lam followed by one of these must be drawn as one ligature (the only mandatory ones).
_ALEFS = frozenset("\u0622\u0623\u0625\u0627")
_STRONG_R = {"R", "AL"}
_NEUTRAL = {"B", "S", "WS", "ON", "BN"}
_EXPLICIT = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def has_rtl(text: str) -> bool:
    """True when any character is written right to left (Hebrew, Arabic, ...)."""
    return any(unicodedata.bidirectional(ch) in _STRONG_R for ch in text)


@lru_cache(maxsize=1)
def _forms() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """letter -> {form: presentation character}; alef -> {form: lam-alef ligature}."""
    letters: dict[str, dict[str, str]] = {}
    lam_alef: dict[str, dict[str, str]] = {}
    for code in (*range(0xFB50, 0xFDFF), *range(0xFE70, 0xFEFF)):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) < 2 or not parts[0].startswith("<"):
            continue
        form, bases = parts[0][1:-1], [chr(int(p, 16)) for p in parts[1:]]
        if form not in ("isolated", "initial", "medial", "final"):
            continue
        if len(bases) == 1:
            letters.setdefault(bases[0], {}).setdefault(form, chr(code))
        elif len(bases) == 2 and bases[0] == _LAM and bases[1] in _ALEFS:
            lam_alef.setdefault(bases[1], {}).setdefault(form, chr(code))
    return letters, lam_alef


def _joining(ch: str) -> str:
    """D (joins both sides), R (joins the letter before it only), C (join causing),
    T (transparent: vowel marks) or U (does not join)."""
    if ch in (_ZWJ, _TATWEEL):
        return "C"
    if unicodedata.category(ch) in ("Mn", "Me") or (
            unicodedata.category(ch) == "Cf" and ch != "\u200c"):
        return "T"
    forms = _forms()[0].get(ch)
    if not forms:
        return "U"
    return "D" if "medial" in forms or "initial" in forms else "R"


def shape(items: Sequence[T]) -> list[T]:
    """Arabic letters in their contextual forms, in logical order (shape before reordering).
    A lam-alef pair becomes one ligature carrying the lam's item data."""
    letters, lam_alef = _forms()
    types = [_joining(item[0]) for item in items]

    def neighbour(i: int, step: int) -> str:
        i += step
        while 0 <= i < len(items) and types[i] == "T":
            i += step
        return types[i] if 0 <= i < len(items) else "U"

    out: list[T] = []
    i = 0
    while i < len(items):
        ch, kind = items[i][0], types[i]
        joins_before = kind in ("D", "R", "C") and neighbour(i, -1) in ("D", "C")
        if ch == _LAM and i + 1 < len(items) and items[i + 1][0] in lam_alef:
            ligature = lam_alef[items[i + 1][0]]
            form = "final" if joins_before else "isolated"
            if form in ligature:
                out.append((ligature[form], *items[i][1:]))  # type: ignore[arg-type]
                i += 2
                continue
        forms = letters.get(ch)
        if forms and kind in ("D", "R"):
            joins_after = kind == "D" and neighbour(i, 1) in ("D", "R", "C")
            form = {(True, True): "medial", (True, False): "final",
                    (False, True): "initial", (False, False): "isolated"}[
                (joins_before, joins_after)]
            ch = forms.get(form) or forms.get("isolated", ch)
            out.append((ch, *items[i][1:]))  # type: ignore[arg-type]
        else:
            out.append(items[i])
        i += 1
    return out


def _resolved_types(chars: str, base: int) -> list[str]:
    """Bidi classes after the weak and neutral rules: L, R, EN or AN for every character."""
    sos = "R" if base else "L"
    # Explicit embeddings and isolates are not supported: their controls count as neutral.
    types = ["BN" if t in _EXPLICIT else t or "L"
             for t in (unicodedata.bidirectional(ch) for ch in chars)]
    for i, t in enumerate(types):  # W1: marks take the class of what they mark
        if t == "NSM":
            types[i] = types[i - 1] if i else sos
    last_strong = sos
    for i, t in enumerate(types):  # W2, W3
        if t in ("L", "R", "AL"):
            last_strong = t
        if t == "EN" and last_strong == "AL":
            types[i] = "AN"
        if t == "AL":
            types[i] = "R"
    for i in range(1, len(types) - 1):  # W4: 1.5 and 1,000 stay numbers
        before, after = types[i - 1], types[i + 1]
        if types[i] == "ES" and before == after == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    i = 0
    while i < len(types):  # W5: currency and percent signs join their numbers
        if types[i] != "ET":
            i += 1
            continue
        j = i
        while j < len(types) and types[j] == "ET":
            j += 1
        if (i and types[i - 1] == "EN") or (j < len(types) and types[j] == "EN"):
            types[i:j] = ["EN"] * (j - i)
        i = j
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]  # W6
    last_strong = sos
    for i, t in enumerate(types):  # W7
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    i = 0
    while i < len(types):  # N1, N2: neutrals between like directions take it
        if types[i] not in _NEUTRAL:
            i += 1
            continue
        j = i
        while j < len(types) and types[j] in _NEUTRAL:
            j += 1
        before = ("R" if types[i - 1] in ("R", "EN", "AN") else "L") if i else sos
        after = ("R" if types[j] in ("R", "EN", "AN") else "L") if j < len(types) else sos
        for k in range(i, j):
            types[k] = before if before == after else sos
        i = j
    return types


def display_order(items: Sequence[T], rtl_paragraph: bool) -> list[T]:
    """One line's items in the order they are drawn from left to right."""
    chars = "".join(item[0] for item in items)
    base = 1 if rtl_paragraph else 0
    levels = []
    for t in _resolved_types(chars, base):  # I1, I2
        if base == 0:
            levels.append({"L": 0, "R": 1}.get(t, 2))
        else:
            levels.append(1 if t == "R" else 2)
    i = len(chars)
    while i and unicodedata.bidirectional(chars[i - 1]) in ("WS", "S", "B", "BN"):
        i -= 1  # L1: trailing spaces at the paragraph level
        levels[i] = base
    order = list(range(len(items)))
    for level in range(max(levels, default=0), 0, -1):  # L2
        i = 0
        while i < len(order):
            if levels[order[i]] < level:
                i += 1
                continue
            j = i
            while j < len(order) and levels[order[j]] >= level:
                j += 1
            order[i:j] = reversed(order[i:j])
            i = j
    out = []
    for index in order:
        item = items[index]
        if levels[index] % 2 and item[0] in _MIRRORS:  # L4
            item = (_MIRRORS[item[0]], *item[1:])  # type: ignore[assignment]
        out.append(item)
    return out


def wrap(items: Sequence[T], width: float, measure: Callable[[Sequence[T]], float],
         ) -> list[list[T]]:
    """Greedy line breaking at spaces of logical-order items, no line wider than ``width``
    unless one word alone is (then it is broken between characters)."""
    lines: list[list[T]] = []
    line: list[T] = []
    word: list[T] = []

    def place(word: list[T]) -> None:
        nonlocal line
        if not word:
            return
        if line and measure([*line, *word]) > width:
            lines.append(line)
            line = list(word[1:]) if word[0][0] == " " else list(word)
        else:
            line.extend(word)
        if len(line) > 1 and measure(line) > width:
            # One word alone is wider than a line: broken between characters, measured one
            # by one so that a hostile 100,000-letter word costs linear time, not quadratic.
            used, start = 0.0, 0
            for i, item in enumerate(line):
                advance = measure([item])
                if used + advance > width and i > start:
                    lines.append(line[start:i])
                    start, used = i, 0.0
                used += advance
            line = line[start:]

    for item in items:
        if item[0] == "\n":
            place(word)
            word = []
            lines.append(line)
            line = []
        elif item[0] == " " and word and word[-1][0] != " ":
            place(word)
            word = [item]
        else:
            word.append(item)
    if word:
        place(word)
    if line or not lines:
        lines.append(line)
    return lines


def visual(text: str) -> str:
    """One line of text as it must be drawn left to right (for labels that show a single
    line); the paragraph direction is that of its first letter with a direction."""
    items = [(ch, None) for ch in text]
    return "".join(ch for ch, _ in display_order(shape(items), is_rtl(text)))
