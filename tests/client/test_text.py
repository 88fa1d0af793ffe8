"""The Markdown-to-text helper and the terminal presenter: readable, and never a control
character or escape sequence on the person's terminal."""

from __future__ import annotations

import io
import unicodedata

import pytest
from updatesrv_client import CheckResult, Installed, Notice
from updatesrv_client.present import console, markdown_to_text, notice_text
from updatesrv_client.present.text import is_rtl, parse, safe_link

WORKAROUND = """Renewed and now it says *expired*? **Do this**:

1. Quit Ledgerly.
2. Delete `license.cache` from `%APPDATA%\\Ledgerly`
   - on macOS: `~/Library/Application Support/Ledgerly`
3. Read [the guide](https://help.example/licence) or https://help.example/faq.

```
del %APPDATA%\\Ledgerly\\license.cache
```

<b>raw html stays text</b>
"""

EXPECTED = """Renewed and now it says expired? Do this:

1. Quit Ledgerly.
2. Delete `license.cache` from `%APPDATA%\\Ledgerly`
  • on macOS: `~/Library/Application Support/Ledgerly`
3. Read the guide (https://help.example/licence) or https://help.example/faq.

    del %APPDATA%\\Ledgerly\\license.cache

<b>raw html stays text</b>"""

NASTY = "Title \x1b[2J\x1b]0;owned\x07 \x9b31m bell\x07 back\x08space\r\nnext\ttab \x00"


@pytest.mark.parametrize("markdown_it", [True, False], ids=["markdown-it", "subset"])
def test_markdown_to_text(markdown_it):
    assert markdown_to_text(WORKAROUND, use_markdown_it=markdown_it) == EXPECTED


@pytest.mark.parametrize("markdown_it", [True, False], ids=["markdown-it", "subset"])
def test_blocks_carry_styles_and_only_safe_links(markdown_it):
    blocks = parse("**Bold** `code` [x](javascript:alert(1)) [y](file:///etc/passwd) "
                   "[z](mailto:help@example.com)", use_markdown_it=markdown_it)
    spans = blocks[0].spans
    assert [s.text for s in spans if s.bold] == ["Bold"]
    assert [s.text for s in spans if s.code] == ["code"]
    assert [s.link for s in spans if s.link] == ["mailto:help@example.com"]


@pytest.mark.parametrize("markdown_it", [True, False], ids=["markdown-it", "subset"])
def test_no_control_characters_pass(markdown_it):
    text = markdown_to_text(NASTY, use_markdown_it=markdown_it)
    assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]
    assert "Title" in text and "next" in text and "tab" in text


def test_safe_link_and_direction():
    assert safe_link("https://x.example/a") == "https://x.example/a"
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("https://x.example/\x1b[31m") == "https://x.example/[31m"
    assert is_rtl("  123 שלום") and is_rtl("مرحبا world") and not is_rtl("Öl שלום")


def notice(**fields) -> Notice:  # type: ignore[no-untyped-def]
    base = dict(id="LEDG-1", revision=1, title="Licence expired", summary="", severity="major",
                status="workaround", platforms=(), workaround="", fixed_in=None,
                fix_available=False, url="https://u.example/n/1", support_url=None,
                updated_at=None)
    return Notice(**{**base, **fields})


def test_terminal_presenter_strips_escape_sequences_everywhere():
    evil = notice(title=NASTY, summary=NASTY, workaround=NASTY, status=NASTY,
                  fixed_in="2.0.1\x1b[8m", support_url="mailto:a@b.example\x1b[0m",
                  url="https://u.example/\x1b]8;;evil\x07")
    result = CheckResult(product="ledger\x1bly", channel="stable",
                         installed=Installed("2.0.0\x07", True, False, True), update=None,
                         notices=(evil,), check_again_after=60, checked_at=0.0)
    out = io.StringIO()
    console(result, out)
    text = out.getvalue() + notice_text(evil)
    assert not [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]
    assert "Licence" not in text and "Title" in text


def test_terminal_presenter_renders_markdown():
    text = notice_text(notice(workaround=WORKAROUND, support_url="mailto:help@l.example"))
    assert "    1. Quit Ledgerly." in text
    assert "    3. Read the guide (https://help.example/licence)" in text
    assert "**" not in text
    assert "Still stuck? Contact support: help@l.example" in text
