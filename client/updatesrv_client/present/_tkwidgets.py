"""Building blocks of the Tk dialogs: fonts that follow ``tk scaling``, a read-only but
selectable rich text area that draws Markdown, and work off the Tk thread."""

from __future__ import annotations

import logging
import tkinter as tk
import tkinter.font as tkfont
import webbrowser
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from ..errors import UpdateCheckError
from ._tkbidi import BidiLayout, Item
from .bidi import has_rtl
from .text import Block, Span, clean, is_rtl, parse, safe_link

log = logging.getLogger("updatesrv_client")

# Background and text colour per severity; every pair has a contrast ratio of at least 4.5.
# The severity is always written out too: colour is never the only signal.
SEVERITY_COLOURS = {"critical": ("#B3261E", "#FFFFFF"), "major": ("#A35200", "#FFFFFF"),
                    "minor": ("#1F5FA8", "#FFFFFF"), "info": ("#4A5560", "#FFFFFF")}
SEVERITY_WORD = {"critical": "Critical", "major": "Major", "minor": "Minor", "info": "Info"}
LINK_COLOUR = "#0B57D0"


def severity_colours(severity: str) -> tuple[str, str]:
    return SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["info"])


class Fonts:
    """Fonts sized in points, so they grow with ``tk scaling`` (a 200% display doubles
    them). Tk's own named fonts may be set in pixels and would stay small."""

    def __init__(self, master: tk.Misc) -> None:
        base = tkfont.nametofont("TkDefaultFont", root=master).actual()
        fixed = tkfont.nametofont("TkFixedFont", root=master).actual()
        size = int(base["size"])
        points = size if size > 0 else max(9, round(-size * 0.75))
        family = base["family"]
        self.body = tkfont.Font(master, family=family, size=points)
        self.bold = tkfont.Font(master, family=family, size=points, weight="bold")
        self.italic = tkfont.Font(master, family=family, size=points, slant="italic")
        self.heading = tkfont.Font(master, family=family, size=points + 3, weight="bold")
        self.title = tkfont.Font(master, family=family, size=points + 5, weight="bold")
        self.code = tkfont.Font(master, family=fixed["family"], size=points)
        self.link = tkfont.Font(master, family=family, size=points, underline=True)
        style = ttk.Style(master)
        style.configure("Updatesrv.TButton", font=self.body, padding=(10, 4))
        style.configure("Updatesrv.TCheckbutton", font=self.body)
        style.configure("Updatesrv.TLabel", font=self.body)


def open_link(url: str | None) -> None:
    url = safe_link(url)
    if url:
        try:
            webbrowser.open(url)
        except Exception:  # a missing browser must not crash the app
            log.warning("could not open %s", url, exc_info=True)


class RichText(ttk.Frame):
    """A scrolling text area the person can select and copy from (Ctrl+C) but not edit.
    Links open on click or on Enter; Tab moves on to the next control."""

    def __init__(self, master: tk.Misc, fonts: Fonts, *, width: int = 72,
                 height: int = 14) -> None:
        super().__init__(master)
        self.fonts = fonts
        self.text = tk.Text(self, wrap="word", width=width, height=height, font=fonts.body,
                            relief="flat", borderwidth=0, padx=12, pady=8, takefocus=1,
                            highlightthickness=2, cursor="xterm", spacing1=2, spacing3=2,
                            background="#FFFFFF", foreground="#1B1B1B",
                            selectbackground="#B6D4FE", selectforeground="#000000",
                            inactiveselectbackground="#CFE2FF")
        bar = ttk.Scrollbar(self, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=bar.set, state="disabled")
        bar.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        self._links: dict[str, str] = {}
        indent = fonts.body.measure("0000")
        t = self.text
        t.tag_configure("bold", font=fonts.bold)
        t.tag_configure("italic", font=fonts.italic)
        t.tag_configure("code", font=fonts.code, background="#EEF0F2")
        t.tag_configure("codeblock", font=fonts.code, background="#EEF0F2",
                        lmargin1=indent, lmargin2=indent, wrap="char")
        t.tag_configure("heading", font=fonts.heading, spacing1=10, spacing3=4)
        t.tag_configure("title", font=fonts.title, spacing1=6, spacing3=6)
        t.tag_configure("muted", foreground="#4A4F55")
        t.tag_configure("rtl", justify="right")
        t.tag_configure("link", foreground=LINK_COLOUR, font=fonts.link)
        t.tag_bind("link", "<Enter>", lambda e: t.configure(cursor="hand2"))
        t.tag_bind("link", "<Leave>", lambda e: t.configure(cursor="xterm"))
        t.tag_bind("link", "<Button-1>", self._click_link)
        for depth in range(1, 8):
            t.tag_configure(f"depth{depth}", lmargin1=indent * depth,
                            lmargin2=indent * depth + fonts.body.measure("00. "))
        t.bind("<Button-1>", lambda e: t.focus_set(), add=True)
        t.bind("<Return>", self._key_link)
        t.bind("<KP_Enter>", self._key_link)
        t.bind("<Tab>", lambda e: self._move_focus(forward=True))
        t.bind("<Shift-Tab>", lambda e: self._move_focus(forward=False))
        t.bind("<ISO_Left_Tab>", lambda e: self._move_focus(forward=False))
        t.bind("<Control-a>", self._select_all)
        t.bind("<<Copy>>", self._copy)
        self._indent = indent
        self._bidi = BidiLayout(t, self._font_for, self._margin_for)

    def _move_focus(self, forward: bool) -> str:
        target = self.text.tk_focusNext() if forward else self.text.tk_focusPrev()
        if target is not None:
            target.focus_set()
        return "break"

    def _select_all(self, event: tk.Event[Any]) -> str:
        self.text.tag_add("sel", "1.0", "end-1c")
        return "break"

    def _copy(self, event: tk.Event[Any]) -> str:
        """Copies what is selected as it was written: right-to-left paragraphs are drawn
        in display order but copied in logical order (see _tkbidi)."""
        if self.text.tag_ranges("sel"):
            self.text.clipboard_clear()
            self.text.clipboard_append(self._bidi.logical_text("sel.first", "sel.last"))
        return "break"

    def _font_for(self, tags: tuple[str, ...]) -> tkfont.Font:
        """The font Tk draws characters with these tags in (later tags win, as in Tk)."""
        for tag, font in (("link", self.fonts.link), ("title", self.fonts.title),
                          ("heading", self.fonts.heading), ("code", self.fonts.code),
                          ("italic", self.fonts.italic), ("bold", self.fonts.bold)):
            if tag in tags:
                return font
        return self.fonts.body

    def _margin_for(self, tags: tuple[str, ...]) -> int:
        depth = max((int(tag[5:]) for tag in tags if tag.startswith("depth")), default=0)
        return self._indent * depth

    # -- links --------------------------------------------------------------------------

    def _url_at(self, index: str) -> str | None:
        for tag in self.text.tag_names(index):
            if tag in self._links:
                return self._links[tag]
        return None

    def _click_link(self, event: tk.Event[Any]) -> str | None:
        if self.text.tag_ranges("sel"):
            return None  # the person is selecting text, not following the link
        open_link(self._url_at(f"@{event.x},{event.y}"))
        return "break"

    def _key_link(self, event: tk.Event[Any]) -> str | None:
        url = self._url_at("insert")
        if url:
            open_link(url)
            return "break"
        return None

    # -- content ------------------------------------------------------------------------

    def clear(self) -> None:
        self._bidi.clear()
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        self.text.configure(state="disabled")
        self._links.clear()

    def _link_tags(self, link: str | None) -> list[str]:
        url = safe_link(link)
        if not url:
            return []
        name = f"href{len(self._links)}"
        self._links[name] = url
        return ["link", name]

    def add(self, text: str, *tags: str, link: str | None = None) -> None:
        all_tags = (*tags, *self._link_tags(link))
        text = clean(text)
        if has_rtl(text):
            # Tk would draw it in logical order: laid out in display order instead, and
            # right-aligned when it starts a line in a right-to-left script.
            body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
            rtl = is_rtl(body) and self.text.compare("end-1c", "==", "end-1c linestart")
            line_tags = (*all_tags, "rtl") if rtl else all_tags
            self._bidi.add([(ch, line_tags) for ch in body], rtl=rtl)
            text, all_tags = newline, line_tags
        self.text.configure(state="normal")
        self.text.insert("end", text, all_tags)
        self.text.configure(state="disabled")

    def add_widget(self, widget: tk.Widget) -> None:
        """Embeds a control; Tab reaches it even when it is scrolled out of view (Tk skips
        unmapped windows, so it is scrolled into view first)."""
        self.text.configure(state="normal")
        self.text.window_create("end", window=widget, padx=2, pady=4)
        self.text.configure(state="disabled")

        def reveal(_name: str) -> bool:
            self.text.see(str(widget))
            self.text.update_idletasks()
            return True

        widget.configure(takefocus=reveal)  # type: ignore[call-arg]
        widget.bind("<FocusIn>", lambda e: self.text.see(str(widget)), add=True)

    def add_markdown(self, markdown: str, *tags: str) -> None:
        for block in parse(markdown):
            self._add_block(block, tags)

    def _add_block(self, block: Block, tags: tuple[str, ...]) -> None:
        depth = min(block.depth, 7)
        extra = [f"depth{depth}"] if depth else []
        if is_rtl(block.text):
            extra.append("rtl")
        if block.kind == "rule":
            self.add("—" * 12 + "\n", "muted", *tags)
            return
        if block.kind == "code":
            self.add(block.text + "\n", "codeblock", *extra, *tags)
            return
        if block.kind == "heading":
            extra.append("bold")
        if has_rtl(block.text):
            self._bidi.add(self._items(block, (*extra, *tags)), rtl="rtl" in extra)
            self.add("\n", *extra, *tags)
            return
        if block.marker:
            self.add(block.marker + " ", *extra, *tags)
        for span in block.spans:
            self._add_span(span, (*extra, *tags))
        self.add("\n", *extra, *tags)

    @staticmethod
    def _style(span: Span, tags: tuple[str, ...]) -> list[str]:
        style = [*tags]
        if span.code:
            style.append("code")
        elif span.bold:
            style.append("bold")
        elif span.italic:
            style.append("italic")
        return style

    def _add_span(self, span: Span, tags: tuple[str, ...]) -> None:
        self.add(span.text, *self._style(span, tags), link=span.link)

    def _items(self, block: Block, tags: tuple[str, ...]) -> list[Item]:
        """The block's characters, each with the tags it is drawn with (for _tkbidi)."""
        items: list[Item] = [(ch, tags) for ch in (block.marker + " " if block.marker else "")]
        for span in block.spans:
            span_tags = (*self._style(span, tags), *self._link_tags(span.link))
            items += [(ch, span_tags) for ch in clean(span.text)]
        return items

    def content(self) -> str:
        """Everything shown, as text (what Ctrl+A, Ctrl+C would copy): right-to-left
        paragraphs in logical order."""
        return self._bidi.logical_text("1.0", "end-1c")


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def reason(error: BaseException) -> str:
    """Why a check or download failed, in words for the person at the screen."""
    from ..errors import IntegrityError, NetworkError, ProductNotFound, RequestRejected

    if isinstance(error, NetworkError):
        return "the update server could not be reached or did not answer in time"
    if isinstance(error, IntegrityError):
        return "the downloaded file did not match what the server announced"
    if isinstance(error, ProductNotFound):
        return "the update server does not know this product"
    if isinstance(error, RequestRejected):
        return f"the update server refused the request ({one_line(error.detail)[:200]})" \
            if error.detail else "the update server refused the request"
    if isinstance(error, UpdateCheckError):
        return f"the update server's answer could not be used ({one_line(str(error))[:200]})"
    return f"an unexpected error ({type(error).__name__})"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"


class Dialog(tk.Toplevel):
    """A resizable window with a coloured header, a note line, a scrolling body and a row of
    buttons that stays visible however small the window gets."""

    def __init__(self, master: tk.Misc, title: str) -> None:
        super().__init__(master)
        self.withdraw()
        self.title(one_line(title))
        self.fonts = Fonts(self)
        self.header = tk.Frame(self, padx=14, pady=10)
        self.header.pack(side="top", fill="x")
        self.heading = tk.Label(self.header, font=self.fonts.title, anchor="w", justify="left")
        self.heading.pack(side="top", fill="x")
        self.subheading = tk.Label(self.header, font=self.fonts.body, anchor="w",
                                   justify="left")
        self.subheading.pack(side="top", fill="x")
        self.buttons = ttk.Frame(self, padding=(10, 8))
        self.primary: ttk.Button | None = None
        self.buttons.pack(side="bottom", fill="x")
        self.note = ttk.Label(self, style="Updatesrv.TLabel", anchor="w", justify="left",
                              padding=(14, 6))
        self.body = RichText(self, self.fonts)
        self.body.pack(side="top", fill="both", expand=True)
        for label in (self.heading, self.subheading, self.note):
            label.bind("<Configure>",
                       lambda e: e.widget.configure(wraplength=max(e.width - 10, 100)))
        if master.winfo_viewable():
            self.transient(master)  # type: ignore[call-overload]
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda e: self.close())

    def set_header(self, heading: str, subheading: str, severity: str) -> None:
        background, foreground = severity_colours(severity)
        for widget in (self.header, self.heading, self.subheading):
            widget.configure(background=background)
        for widget in (self.heading, self.subheading):
            widget.configure(foreground=foreground)
        self.heading.configure(text=one_line(heading))
        self.subheading.configure(text=one_line(subheading))

    def set_note(self, text: str) -> None:
        if text:
            self.note.configure(text=clean(text))
            self.note.pack(side="top", fill="x", before=self.body)
        else:
            self.note.pack_forget()

    def set_buttons(self, *specs: tuple[str, Callable[[], Any]]) -> list[ttk.Button]:
        for child in self.buttons.winfo_children():
            child.destroy()
        made = []
        for i, (label, command) in enumerate(reversed(specs)):
            button = ttk.Button(self.buttons, text=label, command=command,
                                style="Updatesrv.TButton",
                                default="active" if i == len(specs) - 1 else "normal")
            button.pack(side="right", padx=4)
            button.bind("<Return>", lambda e: e.widget.invoke())
            made.append(button)
        made.reverse()
        self.primary = made[0] if made else None
        if made:
            self.bind("<Return>", lambda e: made[0].invoke()
                      if e.widget.winfo_class() not in ("TButton", "Text") else None)
        return made

    def present(self) -> None:
        """Shows the window at a size that fits the screen, focused on its first button."""
        self.update_idletasks()
        width = min(self.winfo_reqwidth(), self.winfo_screenwidth() - 40)
        height = min(self.winfo_reqheight(), self.winfo_screenheight() - 80)
        self.geometry(f"{width}x{height}")
        self.minsize(min(width, 320), min(height, 240))
        self.deiconify()
        self.lift()
        (self.primary or self.body.text).focus_set()

    def close(self) -> None:
        self.destroy()
