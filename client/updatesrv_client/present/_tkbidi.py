"""Paragraphs with right-to-left script in a Tk text widget. Tk 8.6 draws characters in the
order it is given them, neither reordering nor joining them; for such paragraphs RichText
lays the lines out itself: it breaks the logical text to the widget's width, shapes the
Arabic letters and inserts each line in display order (bidi.py), and does it again when
the width changes. Copying gives back the paragraph's logical text, as typed."""

from __future__ import annotations

import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .bidi import display_order, shape, wrap

CURSOR = "bidi_cursor"
EMPTY: tuple[str, ...] = ()
# One character with the tags it is drawn with (styles, link tags, block tags).
Item = tuple[str, tuple[str, ...]]


@dataclass
class BidiParagraph:
    start: str  # text widget marks around the laid-out lines
    end: str
    items: list[Item]
    rtl: bool

    @property
    def logical(self) -> str:
        return "".join(ch for ch, _tags in self.items)


class BidiLayout:
    def __init__(self, text: tk.Text, font_for: Callable[[tuple[str, ...]], tkfont.Font],
                 margin_for: Callable[[tuple[str, ...]], int]) -> None:
        self.text = text
        self.font_for = font_for
        self.margin_for = margin_for
        self.paragraphs: list[BidiParagraph] = []
        self._width = 0
        text.bind("<Configure>", self._on_configure, add=True)

    def clear(self) -> None:
        for paragraph in self.paragraphs:
            self.text.mark_unset(paragraph.start, paragraph.end)
        self.paragraphs.clear()

    def add(self, items: Sequence[Item], rtl: bool) -> None:
        """Appends a paragraph (without its final newline) at the end of the text."""
        number = len(self.paragraphs)
        paragraph = BidiParagraph(f"bidi{number}s", f"bidi{number}e", list(items), rtl)
        # Both marks stay put when text is inserted at them: text appended after the
        # paragraph must not move its end, and the lines are inserted at a cursor mark.
        for mark in (paragraph.start, paragraph.end):
            self.text.mark_set(mark, "end-1c")
            self.text.mark_gravity(mark, "left")
        self.paragraphs.append(paragraph)
        self._lay_out(paragraph, self._available_width())

    def _available_width(self) -> int:
        t = self.text
        width = t.winfo_width()
        if width <= 1:  # not mapped yet: the requested width in average characters
            width = int(t.cget("width")) * self.font_for(()).measure("0")
        inner = (int(t.cget("padx")) + int(t.cget("borderwidth"))
                 + int(t.cget("highlightthickness")))
        # A few pixels of slack: Tk must never wrap a laid-out line a second time.
        return max(40, width - 2 * inner - 6)

    def _measure(self, items: Sequence[Item]) -> float:
        total, run = 0, ""
        tags: tuple[str, ...] = ()
        for ch, item_tags in items:
            if item_tags != tags and run:
                total += self.font_for(tags).measure(run)
                run = ""
            run += ch
            tags = item_tags
        return total + (self.font_for(tags).measure(run) if run else 0)

    def _lay_out(self, paragraph: BidiParagraph, width: int) -> None:
        t = self.text
        margin = self.margin_for(paragraph.items[0][1]) if paragraph.items else 0
        lines = wrap(shape(paragraph.items), width - margin, self._measure)
        t.configure(state="normal")
        t.delete(paragraph.start, paragraph.end)
        t.mark_set(CURSOR, paragraph.start)
        t.mark_gravity(CURSOR, "right")  # moves past each insert
        for number, line in enumerate(lines):
            if number:
                t.insert(CURSOR, "\n", line[0][1] if line else ())
            run, tags = "", EMPTY
            for ch, item_tags in display_order(line, paragraph.rtl):
                if item_tags != tags and run:
                    t.insert(CURSOR, run, tags)
                    run = ""
                run += ch
                tags = item_tags
            if run:
                t.insert(CURSOR, run, tags)
        t.mark_set(paragraph.end, CURSOR)
        t.mark_unset(CURSOR)
        t.configure(state="disabled")
        self._width = width

    def _on_configure(self, _event: tk.Event[tk.Text]) -> None:
        width = self._available_width()
        if self.paragraphs and width != self._width:
            for paragraph in self.paragraphs:
                self._lay_out(paragraph, width)

    def logical_text(self, first: str, last: str) -> str:
        """The text between two indices with every laid-out paragraph that overlaps them
        given whole and in logical order (what a person copying it means)."""
        t = self.text
        out, position = [], first
        for paragraph in self.paragraphs:
            start, end = t.index(paragraph.start), t.index(paragraph.end)
            if t.compare(end, "<=", position) or t.compare(start, ">=", last):
                continue
            if t.compare(position, "<", start):
                out.append(t.get(position, start))
            out.append(paragraph.logical)
            position = end
        if t.compare(position, "<", last):
            out.append(t.get(position, last))
        return "".join(out)
