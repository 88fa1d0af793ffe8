"""The check result as plain text, for a terminal, a log or a launcher without a display.
Everything from the server goes through ``clean``: no escape sequence reaches the terminal."""

from __future__ import annotations

import sys
from typing import TextIO

from .._models import CheckResult, Notice
from .text import clean, markdown_to_text

SEVERITY_LABEL = {"critical": "CRITICAL", "major": "Major", "minor": "Minor", "info": "Info"}


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())


def notice_text(notice: Notice, update_version: str | None = None) -> str:
    severity = SEVERITY_LABEL.get(notice.severity, _one_line(notice.severity))
    lines = [f"[{severity}] {_one_line(notice.title)} "
             f"({_one_line(notice.id)}, {_one_line(notice.status)})"]
    if notice.summary:
        lines.append(f"  {_one_line(notice.summary)}")
    if notice.workaround:
        lines.append("  What to do:")
        lines.extend(f"    {line}".rstrip()
                     for line in markdown_to_text(notice.workaround).splitlines())
    if notice.fixed_in:
        fixed_in = _one_line(notice.fixed_in)
        if notice.fix_available and update_version:
            lines.append(f"  Fixed in {fixed_in} — update available "
                         f"({_one_line(update_version)}).")
        else:
            lines.append(f"  Fixed in {fixed_in}.")
    if notice.url:
        lines.append(f"  Details: {_one_line(notice.url)}")
    if notice.support_url:
        lines.append("  Still stuck? Contact support: "
                     f"{_one_line(notice.support_url).removeprefix('mailto:')}")
    return "\n".join(lines)


def console(result: CheckResult, file: TextIO | None = None, *,
            only_new: bool = False) -> None:
    """Prints the known issues that affect this version and whether an update is offered."""
    out = file or sys.stdout
    notices = result.new_notices if only_new else result.notices
    update = result.update
    name = f"{_one_line(result.product_name)} {_one_line(result.installed.version)}"
    if notices:
        out.write(f"Known issues affecting {name}:\n\n")
        for notice in notices:
            out.write(notice_text(notice, update.version if update else None) + "\n\n")
    else:
        out.write(f"No known issues affect {name}.\n")
    if result.installed.yanked:
        out.write("This version was withdrawn by the vendor; please update.\n")
    if not result.installed.supported:
        out.write("This version is no longer supported; please update.\n")
    if update is not None:
        kind = "Critical update" if update.critical else "Update"
        out.write(f"{kind} available: {_one_line(update.version)} — "
                  f"{_one_line(update.notes_url)}\n")
    if result.from_cache:
        out.write("(shown from the last saved answer)\n")
