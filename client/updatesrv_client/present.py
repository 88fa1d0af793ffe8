"""Ready-made ways to show a check result to a person."""

from __future__ import annotations

import sys
from typing import TextIO

from ._client import CheckResult, Notice

SEVERITY_LABEL = {"critical": "CRITICAL", "major": "Major", "minor": "Minor", "info": "Info"}


def notice_text(notice: Notice, update_version: str | None = None) -> str:
    lines = [f"[{SEVERITY_LABEL.get(notice.severity, notice.severity)}] {notice.title} "
             f"({notice.id}, {notice.status})"]
    if notice.summary:
        lines.append(f"  {notice.summary}")
    if notice.workaround:
        lines.append("  What to do:")
        lines.extend(f"    {line}" for line in notice.workaround.strip().splitlines())
    if notice.fixed_in:
        if notice.fix_available and update_version:
            lines.append(f"  Fixed in {notice.fixed_in} — update available ({update_version}).")
        else:
            lines.append(f"  Fixed in {notice.fixed_in}.")
    if notice.url:
        lines.append(f"  Details: {notice.url}")
    if notice.support_url:
        lines.append(f"  Still stuck? Contact support: {notice.support_url}")
    return "\n".join(lines)


def console(result: CheckResult, file: TextIO | None = None, *,
            only_new: bool = False) -> None:
    """Prints the known issues that affect this version and whether an update is offered."""
    out = file or sys.stdout
    notices = result.new_notices if only_new else result.notices
    update = result.update
    if notices:
        out.write(f"Known issues affecting {result.product} {result.installed.version}:\n\n")
        for notice in notices:
            out.write(notice_text(notice, update.version if update else None) + "\n\n")
    else:
        out.write(f"No known issues affect {result.product} {result.installed.version}.\n")
    if result.installed.yanked:
        out.write("This version was withdrawn by the vendor; please update.\n")
    if not result.installed.supported:
        out.write("This version is no longer supported; please update.\n")
    if update is not None:
        kind = "Critical update" if update.critical else "Update"
        out.write(f"{kind} available: {update.version} — {update.notes_url}\n")
    if result.from_cache:
        out.write("(shown from the last saved answer)\n")
