"""What a reader sees of a page or mail, and which of it is the software's English."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from updatesrv.i18n.catalogs import TRANSLATIONS_DIR

READ_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area", "base"}


class _Reader(HTMLParser):
    """Text and read-aloud attributes, leaving out scripts and blocks marked lang="en"
    (English on purpose: the exact technical detail of a problem page)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: inside an English or hidden block

    def _hidden(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        hidden = tag in ("script", "style") or (tag != "html" and values.get("lang") == "en")
        if not (self._hidden() or hidden):
            self.parts.extend(str(values[name]) for name in READ_ATTRIBUTES if values.get(name))
        if tag not in VOID:
            self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def visible_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def english_fragments(locale: str = "hu") -> list[str]:
    """The software's English phrases that the locale translates differently: each msgid
    cut at its placeholders and tags, the pieces with a word in them."""
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    translated = " ".join(
        " ".join(m.string) if isinstance(m.string, tuple) else m.string
        for m in catalog if m.id)
    fragments: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for piece in re.split(r"%\(\w+\)s|<[^>]+>", msgid):
                piece = piece.strip(" .,:;?!()“”\"'·\u2013-")
                if re.search(r"[A-Za-z]{3,}", piece) and piece not in translated:
                    fragments.add(piece)
    return sorted(fragments, key=len, reverse=True)


def english_in(text: str, fragments: list[str]) -> list[str]:
    return [f for f in fragments
            if re.search(r"(?<![\w@./-])" + re.escape(f) + r"(?![\w@/-])", text)]
