"""python -m updatesrv_client check|notices --server URL --product P --version V

Exit status: 0 when the check worked (whatever it found), 1 when it failed, 2 for a usage
error. Both commands are meant for launchers and installers: when the server cannot be
reached they print the last saved answer (with --state-dir), say so, and exit 1. Nothing
the server sends can make them print a traceback."""

from __future__ import annotations

import argparse
import sys
import time

from . import present
from ._client import UpdateClient, default_platform
from ._models import CheckResult
from .errors import UpdateCheckError


def _parser() -> argparse.ArgumentParser:
    # Name the interpreter that has the client installed (often a virtualenv's), so a
    # command copied from --help works.
    parser = argparse.ArgumentParser(prog=f"{sys.executable} -m updatesrv_client")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("check", "is there an update for this version?"),
                       ("notices", "which known issues affect this version?")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--server", required=True)
        p.add_argument("--product", required=True)
        p.add_argument("--version", required=True)
        p.add_argument("--channel", default="stable")
        p.add_argument("--platform", default=None,
                       help=f"default: this machine ({default_platform()})")
        p.add_argument("--state-dir", default=None,
                       help="folder for the install id and the saved answer")
        p.add_argument("--server-key", action="append", default=[], dest="server_keys",
                       metavar="BASE64",
                       help="the server's Ed25519 public key (repeatable); unsigned, stale "
                            "or misdirected answers are then refused")
        p.add_argument("--timeout", type=float, default=10.0,
                       help="seconds the whole check may take (default 10)")
    return parser


def _print_check(product: str, result: CheckResult) -> None:
    update = result.update
    if update is None:
        print(f"{product} {result.installed.version} is up to date "
              f"on the {result.channel} channel.")
    else:
        kind = "CRITICAL update" if update.critical else "Update"
        print(f"{kind} available: {product} {update.version} "
              f"({update.size} bytes)\n  notes:    {update.notes_url}\n"
              f"  download: {update.download_url}\n  sha256:   {update.sha256}")
    if result.installed.yanked:
        print(f"Note: {result.installed.version} was withdrawn (yanked) by the vendor.")
    if not result.installed.supported:
        print(f"Note: {result.installed.version} is no longer supported.")
    if result.notices:
        count = len(result.notices)
        print(f"{count} known {'issue affects' if count == 1 else 'issues affect'} this "
              "version; run the 'notices' command to read them.")
    if result.from_cache:
        print("(shown from the last saved answer)")


def _show(command: str, product: str, result: CheckResult) -> None:
    if command == "notices":
        present.console(result)
    else:
        _print_check(product, result)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        client = UpdateClient(args.server, args.product, args.version, channel=args.channel,
                              platform=args.platform, state_dir=args.state_dir,
                              server_keys=args.server_keys, deadline=args.timeout)
    except UpdateCheckError as exc:
        print(f"update check failed: {exc}", file=sys.stderr)
        return 2
    try:
        result = client.check(force=True)
    except UpdateCheckError as exc:
        print(f"update check failed: {exc}", file=sys.stderr)
        cached = client.cached_result()
        if cached is not None:
            print("The server could not be asked; showing the last saved answer "
                  f"(from {_when(cached)}).", file=sys.stderr)
            _show(args.command, args.product, cached)
        return 1
    _show(args.command, args.product, result)
    return 0


def _when(result: CheckResult) -> str:
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(result.checked_at))


def run() -> int:
    """main() that turns anything unexpected into one line and exit status 1: a launcher
    must never show its user a traceback."""
    try:
        return main()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"update check failed unexpectedly: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(run())
