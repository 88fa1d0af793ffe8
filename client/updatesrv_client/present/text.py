"""Notice and release-note Markdown turned into something a person can read outside a browser.

``parse`` gives blocks of styled spans (the Tk dialogs draw them with fonts and clickable
links); ``markdown_to_text`` flattens them for a terminal. With the ``markdown`` extra
(markdown-it-py, the parser the server renders its pages with) every CommonMark construct is
understood; without it a small safe subset is: paragraphs, headings, lists, quotes, fenced
code, ``**bold**``, ``*italic*``, ```code```, ``[links](url)`` and bare URLs. Either way the
text is only ever text: raw HTML is shown as typed, and control characters (terminal escape
sequences included) never come through."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Tabs become a space, newlines stay; every other C0/C1 control (ESC, BEL, CR, backspace,
# the 8-bit CSI...) is dropped so nothing in a notice can drive the terminal.
_KEEP = {"\n"}
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def clean(text: str) -> str:
    """``text`` without control characters (newlines kept, tabs become spaces)."""
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return "".join(ch for ch in text
                   if ch in _KEEP or unicodedata.category(ch) != "Cc")


def safe_link(url: str | None) -> str | None:
    """The URL when a person may be sent there (http, https, mailto), else None."""
    if not url:
        return None
    url = clean(url).strip()
    return url if url.lower().startswith(_SAFE_SCHEMES) and " " not in url else None


def is_rtl(text: str) -> bool:
    """True when the first letter with a strong direction is right-to-left."""
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str | None = None


@dataclass(frozen=True)
class Block:
    """``kind`` is paragraph, heading, code or rule; ``depth`` counts the list and quote
    levels around it; ``marker`` ("•", "3.") starts a list item's first block."""

    kind: str
    spans: tuple[Span, ...]
    depth: int = 0
    marker: str = ""

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


def _autolink(spans: Iterable[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for span in spans:
        if span.link or span.code:
            out.append(span)
            continue
        pos = 0
        for match in _URL.finditer(span.text):
            url = match.group(0).rstrip(".,;:!?)")
            start, end = match.start(), match.start() + len(url)
            if start > pos:
                out.append(Span(span.text[pos:start], span.bold, span.italic))
            out.append(Span(url, span.bold, span.italic, link=url))
            pos = end
        if pos < len(span.text):
            out.append(Span(span.text[pos:], span.bold, span.italic))
    return tuple(s for s in out if s.text)


# -- with markdown-it-py --------------------------------------------------------------------

def _inline_tokens(children: Sequence[Any]) -> list[Span]:
    spans: list[Span] = []
    bold = italic = False
    link: str | None = None
    for tok in children:
        kind = tok.type
        if kind in ("text", "html_inline"):
            spans.append(Span(tok.content, bold, italic, link=link))
        elif kind == "code_inline":
            spans.append(Span(tok.content, bold, italic, code=True, link=link))
        elif kind in ("strong_open", "strong_close"):
            bold = kind == "strong_open"
        elif kind in ("em_open", "em_close"):
            italic = kind == "em_open"
        elif kind == "link_open":
            link = safe_link(str(tok.attrGet("href") or ""))
        elif kind == "link_close":
            link = None
        elif kind == "softbreak":
            spans.append(Span(" ", bold, italic, link=link))
        elif kind == "hardbreak":
            spans.append(Span("\n", bold, italic, link=link))
        elif kind == "image":
            spans.append(Span(f"[image: {tok.content or 'untitled'}]", bold, italic,
                              link=safe_link(str(tok.attrGet("src") or ""))))
    return spans


def _parse_markdown_it(source: str) -> list[Block]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark", {"html": False}).parse(source)
    blocks: list[Block] = []
    lists: list[list[Any]] = []  # [ordered, counter] per open list
    quotes = 0
    marker = ""
    heading = False
    for tok in tokens:
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrGet("start") or 1) if kind == "ordered_list_open" else 1
            lists.append([kind == "ordered_list_open", start - 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            lists[-1][1] += 1
            marker = f"{lists[-1][1]}." if lists[-1][0] else "•"
        elif kind in ("blockquote_open", "blockquote_close"):
            quotes += 1 if kind == "blockquote_open" else -1
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind == "inline":
            blocks.append(Block("heading" if heading else "paragraph",
                                _autolink(_inline_tokens(tok.children or ())),
                                len(lists) + quotes, marker))
            marker = ""
        elif kind in ("fence", "code_block", "html_block"):
            blocks.append(Block("code", (Span(tok.content.rstrip("\n"), code=True),),
                                len(lists) + quotes, marker))
            marker = ""
        elif kind == "hr":
            blocks.append(Block("rule", (), len(lists) + quotes))
    return blocks


# -- the small subset, without markdown-it-py -----------------------------------------------

_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)]) +(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6} +(.*?)[ #]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\[([^\]]+)\]\(([^)\s]+)\)"
                     r"|\*([^*\s](?:[^*]*[^*\s])?)\*|\\([\\`*_\[\]()#+\-.!>])")


def _subset_inline(text: str) -> list[Span]:
    spans: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            spans.append(Span(text[pos:m.start()]))
        code, bold1, bold2, label, href, italic, escaped = m.groups()
        if code is not None:
            spans.append(Span(code, code=True))
        elif bold1 is not None or bold2 is not None:
            spans.append(Span(bold1 or bold2, bold=True))
        elif label is not None:
            spans.append(Span(label, link=safe_link(href)))
        elif italic is not None:
            spans.append(Span(italic, italic=True))
        else:
            spans.append(Span(escaped))
        pos = m.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return spans


class _Paragraph:
    depth = 0
    marker = ""


def _parse_subset(source: str) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    state = _Paragraph()

    def flush() -> None:
        if para:
            blocks.append(Block("paragraph", _autolink(_subset_inline(" ".join(para))),
                                state.depth, state.marker))
            para.clear()
            state.marker = ""

    lines = source.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        quote = 0
        while line.lstrip().startswith(">"):
            line, quote = line.lstrip()[1:].removeprefix(" "), quote + 1
        if fence := _FENCE.match(line):
            flush()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence.group(1)):
                code.append(lines[i])
                i += 1
            blocks.append(Block("code", (Span("\n".join(code), code=True),), quote))
        elif not line.strip():
            flush()
            state.depth = quote
        elif heading := _HEADING.match(line):
            flush()
            blocks.append(Block("heading", _autolink(_subset_inline(heading.group(1))), quote))
        elif item := _ITEM.match(line):
            flush()
            state.depth = quote + len(item.group(1)) // 2 + 1
            marker = item.group(2)
            state.marker = "•" if marker in "-*+" else marker[:-1] + "."
            para.append(item.group(3).strip())
        else:
            if not para:
                state.depth = max(quote, state.depth if line.startswith(" ") else 0)
            para.append(line.strip())
        i += 1
    flush()
    return blocks


def parse(markdown: str, *, use_markdown_it: bool | None = None) -> list[Block]:
    """Blocks of styled text. ``use_markdown_it=None`` uses markdown-it-py when installed."""
    source = clean(markdown or "")
    if use_markdown_it is None:
        try:
            import markdown_it  # noqa: F401
            use_markdown_it = True
        except ImportError:
            use_markdown_it = False
    return _parse_markdown_it(source) if use_markdown_it else _parse_subset(source)


def _span_text(span: Span) -> str:
    text = f"`{span.text}`" if span.code else span.text
    if span.link and span.link not in (span.text, f"mailto:{span.text}"):
        text += f" ({span.link.removeprefix('mailto:')})"
    return text


def markdown_to_text(markdown: str, *, use_markdown_it: bool | None = None) -> str:
    """Plain text for a terminal or a log: lists keep their bullets and numbers, links
    show their address, inline code keeps its backticks, code blocks are indented."""
    lines: list[str] = []
    previous: Block | None = None
    for block in parse(markdown, use_markdown_it=use_markdown_it):
        indent = "  " * max(block.depth - 1, 0) if block.marker else "  " * block.depth
        if previous is not None and not (block.marker and previous.marker):
            lines.append("")
        if block.kind == "rule":
            lines.append(indent + "—" * 10)
        elif block.kind == "code":
            lines.extend(indent + "    " + line for line in block.text.split("\n"))
        else:
            body = "".join(_span_text(span) for span in block.spans).strip()
            lead = f"{block.marker} " if block.marker else ""
            hang = indent + " " * len(lead)
            first, *rest = body.split("\n")
            lines.append(indent + lead + first.strip())
            lines.extend(hang + line.strip() for line in rest)
        previous = block
    return "\n".join(lines)
