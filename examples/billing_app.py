"""Ledgerly Billing: a pretend billing program that shows how a Tk app embeds updatesrv.

    python examples/billing_app.py --server http://127.0.0.1:5000 --product ledgerly-demo \
        --version 2.0.0

Its desktop shortcut starts it through the guarded launcher, so that even when it refuses to
start the person sees the known issue, the workaround and the support contact:

    python -m updatesrv_client launch --server http://127.0.0.1:5000 --product ledgerly-demo \
        --version 2.0.0 -- python examples/billing_app.py --server http://127.0.0.1:5000 \
        --product ledgerly-demo --version 2.0.0

To play the "a reinstall made it refuse to start" story, create license.cache in its state
folder (printed at start): the app then exits with code 3, like the real bug did.
"""

from __future__ import annotations

import argparse
import os
import sys
import tkinter as tk
from collections.abc import Callable
from pathlib import Path
from tkinter import ttk

from updatesrv_client import CheckResult, Update, UpdateClient
from updatesrv_client.launcher import default_state_dir
from updatesrv_client.present import tk as updates_ui

INVOICES = [("2026-0141", "Northwind Traders", "1,240.00"), ("2026-0142", "Contoso Ltd", "86.50"),
            ("2026-0143", "Fabrikam Inc.", "3,075.20"), ("2026-0144", "Tailspin Toys", "412.00")]


def restart_as(version: str, installer: Path) -> None:
    """A real app would start the installer and exit; the pretend one restarts itself as
    the new version."""
    print(f"installing {installer} and restarting as {version}", flush=True)
    args = [a for a in sys.argv[1:] if not a.startswith("--version")]
    if "--version" in sys.argv:
        i = sys.argv.index("--version")
        args = sys.argv[1:i] + sys.argv[i + 2:]
    os.execv(sys.executable, [sys.executable, sys.argv[0], *args, "--version", version])


class BillingApp:
    def __init__(self, root: tk.Tk, client: UpdateClient, state_dir: Path,
                 on_install: Callable[[str, Path], object] = restart_as) -> None:
        self.root, self.client, self.state_dir = root, client, state_dir
        self.on_install = on_install
        root.title(f"Ledgerly Billing {client.version}")
        menubar = tk.Menu(root)
        help_menu = tk.Menu(menubar, tearoff=False)
        help_menu.add_command(label="Check for updates…", command=self.update)
        help_menu.add_command(label="Known issues…", command=self.known_issues)
        menubar.add_cascade(label="Help", menu=help_menu, underline=0)
        root.configure(menu=menubar)
        table = ttk.Treeview(root, columns=("customer", "total"), height=8)
        table.heading("#0", text="Invoice")
        table.heading("customer", text="Customer")
        table.heading("total", text="Total (EUR)")
        for number, customer, total in INVOICES:
            table.insert("", "end", text=number, values=(customer, total))
        table.pack(fill="both", expand=True, padx=10, pady=10)
        self.status = ttk.Label(root, text="Ready", anchor="w", padding=(10, 4))
        self.status.pack(fill="x", side="bottom")
        # The line that matters: known issues not yet seen, once the server has answered.
        self.startup = updates_ui.show_startup_notices(root, client, on_update=self.update,
                                                       on_result=self.show_update_hint)

    def show_update_hint(self, result: CheckResult | None) -> None:
        if result is not None and result.update is not None:
            self.status.configure(text=f"Version {result.update.version} is available: "
                                       "Help > Check for updates…")

    def update(self, offer: Update | None = None) -> updates_ui.UpdateDialog:
        """The update dialog; without an offer it checks first (Help > Check for updates)."""
        dialog = updates_ui.UpdateDialog(
            self.root, self.client, update=offer, dest_dir=self.state_dir / "downloads",
            on_install=lambda path: self.install(dialog, path))
        return dialog

    def install(self, dialog: updates_ui.UpdateDialog, path: Path) -> None:
        assert dialog.update_offer is not None  # a file is only downloaded for an offer
        self.on_install(dialog.update_offer.version, path)

    def known_issues(self) -> updates_ui.NoticeDialog:
        return updates_ui.NoticeDialog(self.root, self.client, on_update=self.update)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://127.0.0.1:5000")
    parser.add_argument("--product", default="ledgerly-demo")
    parser.add_argument("--version", default="2.0.0")
    parser.add_argument("--channel", default="stable")
    parser.add_argument("--platform", default=None, help="default: this machine")
    parser.add_argument("--state-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    state_dir = args.state_dir or default_state_dir(args.product)
    print(f"state folder: {state_dir}", flush=True)
    if (state_dir / "license.cache").exists():
        print("Licence expired. (A stale license.cache makes this version refuse to start.)",
              file=sys.stderr)
        return 3
    client = UpdateClient(args.server, args.product, args.version, channel=args.channel,
                          platform=args.platform, state_dir=state_dir, timeout=(3, 10))
    root = tk.Tk()
    BillingApp(root, client, state_dir)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
