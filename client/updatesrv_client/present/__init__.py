"""Ready-made ways to show a check result to a person.

- ``console(result)`` / ``notice_text(notice)``: plain text for a terminal or a log.
- ``markdown_to_text(md)``: a notice's workaround or release notes as safe plain text.
- ``updatesrv_client.present.tk``: notice and update dialogs for Tk apps (import it
  explicitly; it needs tkinter)."""

from .terminal import SEVERITY_LABEL, console, notice_text
from .text import clean, markdown_to_text

__all__ = ["SEVERITY_LABEL", "clean", "console", "markdown_to_text", "notice_text"]
