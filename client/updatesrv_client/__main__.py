"""python -m updatesrv_client check|notices --server URL --product P --version V

Exit status: 0 when the check worked (whatever it found), 1 when it failed, 2 for a usage
error. ``notices`` is meant for launchers and installers to run before the app starts; when
the server is unreachable it prints the last saved answer (with --state-dir) and exits 1."""

from __future__ import annotations

import argparse
import sys

from . import present
from ._client import UpdateClient, default_platform
from .errors import UpdateCheckError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m updatesrv_client")
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
        p.add_argument("--timeout", type=float, default=10.0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client = UpdateClient(args.server, args.product, args.version, channel=args.channel,
                          platform=args.platform, state_dir=args.state_dir,
                          timeout=args.timeout)
    try:
        result = client.check(force=True)
    except UpdateCheckError as exc:
        print(f"update check failed: {exc}", file=sys.stderr)
        cached = client.cached_result()
        if cached is not None and args.command == "notices":
            present.console(cached)
        return 1
    if args.command == "notices":
        present.console(result)
        return 0
    update = result.update
    if update is None:
        print(f"{args.product} {result.installed.version} is up to date "
              f"on the {result.channel} channel.")
    else:
        kind = "CRITICAL update" if update.critical else "Update"
        print(f"{kind} available: {args.product} {update.version} "
              f"({update.size} bytes)\n  notes:    {update.notes_url}\n"
              f"  download: {update.download_url}\n  sha256:   {update.sha256}")
    if result.installed.yanked:
        print(f"Note: {result.installed.version} was withdrawn (yanked) by the vendor.")
    if not result.installed.supported:
        print(f"Note: {result.installed.version} is no longer supported.")
    if result.notices:
        print(f"{len(result.notices)} known issue(s) affect this version; "
              "run the 'notices' command to read them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
