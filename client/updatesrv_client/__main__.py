"""python -m updatesrv_client check|notices|launch --server URL --product P --version V

Exit status: 0 when the check worked (whatever it found), 1 when it failed, 2 for a usage
error. Both commands are meant for launchers and installers: when the server cannot be
reached they print the last saved answer (with --state-dir), say so, and exit 1. Nothing
the server sends can make them print a traceback. ``launch ... -- APP ARGS`` runs the app
guarded (see launcher.py) and exits with the app's exit code."""

from __future__ import annotations

import argparse
import sys
import time

from . import present
from ._client import UpdateClient, default_platform
from ._models import CheckResult
from .errors import UpdateCheckError
from .launcher import DEFAULT_CRASH_WINDOW, run_guarded


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
    _launch_parser(sub)
    return parser


def _launch_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    launch = sub.add_parser("launch", help="run the app; when it fails to start, show the "
                            "known issues, the workaround and the support contact")
    launch.add_argument("--server", required=True)
    launch.add_argument("--product", required=True)
    launch.add_argument("--version", required=True)
    launch.add_argument("--channel", default="stable")
    launch.add_argument("--platform", default=None,
                        help=f"default: this machine ({default_platform()})")
    launch.add_argument("--state-dir", default=None,
                        help="the app's update state folder (default: a per-user folder)")
    launch.add_argument("--server-key", action="append", default=[], dest="server_keys",
                        metavar="BASE64", help="the server's Ed25519 public key (repeatable)")
    launch.add_argument("--timeout", type=float, default=5.0,
                        help="seconds a check may take (default 5)")
    launch.add_argument("--crash-window", type=float, default=DEFAULT_CRASH_WINDOW,
                        help="a failing exit within this many seconds of starting shows the "
                        "known issues (default %(default)s)")
    launch.add_argument("--ui", choices=("auto", "tk", "terminal"), default="auto",
                        help="dialogs when a display is available (auto), or always tk / "
                        "terminal")
    launch.add_argument("--no-failure-reports", action="store_false", dest="failure_reports",
                        help="never tell the server that the app failed to start")
    launch.add_argument("app", nargs=argparse.REMAINDER, help="-- then the app's command line")


def _launch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    command = args.app[1:] if args.app[:1] == ["--"] else args.app
    if not command:
        parser.error("launch needs the app's command after --")
    return run_guarded(command, server=args.server, product=args.product,
                       version=args.version, channel=args.channel, platform=args.platform,
                       state_dir=args.state_dir, server_keys=args.server_keys,
                       crash_window=args.crash_window, timeout=args.timeout, ui=args.ui,
                       failure_reports=args.failure_reports)


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
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "launch":
        return _launch(parser, args)
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
