"""The real Velopack UpdateManager (PyPI's velopack) on Linux, with a locator pointing at
a temporary app folder, checks the feed of a live server, finds the update and downloads
it (Velopack verifies Size and SHA1); a yanked or stopped install is offered nothing it
would install without AllowVersionDowngrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api, LiveServer
from tests.feeds.conftest import payload, release_with_files

velopack = pytest.importorskip("velopack")

NUSPEC = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <metadata>
    <id>ledgerly</id>
    <title>Ledgerly</title>
    <description>Ledgerly</description>
    <authors>Acme</authors>
    <version>{version}</version>
    <channel>{channel}</channel>
    <mainExe>ledgerly</mainExe>
  </metadata>
</package>
"""


def update_manager(root: Path, feed: str, version: str, channel: str = "linux",
                   downgrade: bool = False) -> Any:
    """An installed app as Velopack lays it out on Linux, in a temporary folder."""
    (root / "current").mkdir(parents=True)
    (root / "packages").mkdir()
    (root / "current" / "sq.version").write_text(NUSPEC.format(version=version,
                                                               channel=channel))
    update_exe = root / "UpdateNix"
    update_exe.write_text("#!/bin/sh\nexit 0\n")
    update_exe.chmod(0o755)
    locator = velopack.VelopackLocatorConfig(
        RootAppDir=str(root), UpdateExePath=str(update_exe), PackagesDir=str(root / "packages"),
        ManifestPath=str(root / "current" / "sq.version"),
        CurrentBinaryDir=str(root / "current"), IsPortable=False)
    update_options = velopack.UpdateOptions(AllowVersionDowngrade=downgrade,
                                            MaximumDeltasBeforeFallback=10)
    return velopack.UpdateManager(feed, update_options, locator)


FILES = {"linux-x86_64": "ledgerly-{v}-linux-full.nupkg"}


def test_finds_and_downloads_the_update(api: Api, feed_product: str, live_server: LiveServer,
                                        tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0", {"linux-x86_64": "ledgerly-1.0.0-full.nupkg"})
    release_with_files(api, feed_product, "1.1", {"linux-x86_64": "ledgerly-1.1.0-full.nupkg"},
                       notes="Faster **sync**.")
    feed = f"{live_server.url}/u/{feed_product}/velopack"
    manager = update_manager(tmp_path / "app", feed, "1.0.0")
    info = manager.check_for_updates()
    assert info is not None
    target = info.TargetFullRelease
    assert (target.Version, target.Type, target.FileName) == (
        "1.1.0", "Full", "ledgerly-1.1.0-full.nupkg")
    assert "Faster **sync**." in target.NotesMarkdown and "<strong>sync</strong>" in \
        target.NotesHtml
    manager.download_updates(info)
    downloaded = tmp_path / "app" / "packages" / "ledgerly-1.1.0-full.nupkg"
    assert downloaded.read_bytes() == payload("1.1", "linux-x86_64")

    # Up to date: nothing.
    assert update_manager(tmp_path / "current", feed, "1.1.0").check_for_updates() is None


def test_rollout_stop_and_yank(api: Api, feed_product: str, live_server: LiveServer,
                               tmp_path: Path) -> None:
    release_with_files(api, feed_product, "1.0", {"linux-x86_64": "ledgerly-1.0.0-full.nupkg"})
    release_with_files(api, feed_product, "1.1", {"linux-x86_64": "ledgerly-1.1.0-full.nupkg"},
                       rollout_percent=0)
    feed = f"{live_server.url}/u/{feed_product}/velopack"
    assert update_manager(tmp_path / "a", feed, "1.0.0").check_for_updates() is None
    api.patch(f"/api/v1/products/{feed_product}/releases/1.1", json={"rollout_percent": 100})
    assert update_manager(tmp_path / "b", feed, "1.0.0").check_for_updates() is not None
    api.post(f"/api/v1/products/{feed_product}/channels/stable/stop", json={"reason": "x"})
    assert update_manager(tmp_path / "c", feed, "1.0.0").check_for_updates() is None
    api.delete(f"/api/v1/products/{feed_product}/channels/stable/stop")
    api.patch(f"/api/v1/products/{feed_product}/releases/1.1",
              json={"yanked": True, "yank_reason": "bad"})
    # A yanked install is offered 1.0; Velopack takes it when downgrades are allowed.
    manager = update_manager(tmp_path / "d", feed, "1.1.0", downgrade=True)
    info = manager.check_for_updates()
    assert info is not None and info.TargetFullRelease.Version == "1.0.0" and info.IsDowngrade
    manager.download_updates(info)
    assert (tmp_path / "d" / "packages" / "ledgerly-1.0.0-full.nupkg").is_file()


def test_channel_names_and_deltas(api: Api, feed_product: str, client: Any) -> None:
    release_with_files(api, feed_product, "1.0", {"linux-x86_64": "ledgerly-1.0.0-full.nupkg"})
    release_with_files(api, feed_product, "1.1", {
        "linux-x86_64": "ledgerly-1.1.0-full.nupkg",
        "linux-x86_64:delta": "ledgerly-1.1.0-delta.nupkg"})
    body = client.get(f"/u/{feed_product}/velopack/releases.linux.json?localVersion=1.0.0"
                      "&id=ledgerly").json
    assert [(a["Type"], a["Version"]) for a in body["Assets"]] == [("Full", "1.1.0"),
                                                                     ("Delta", "1.1.0")]
    assert all(len(a["SHA1"]) == 40 for a in body["Assets"])
    same = client.get(f"/u/{feed_product}/velopack/releases.stable-linux.json"
                      "?localVersion=1.0.0").json
    assert same == body
    assert client.get(f"/u/{feed_product}/velopack/releases.linux.json?localVersion=1.1.0"
                      ).json == {"Assets": []}
    bad = client.get(f"/u/{feed_product}/velopack/releases.mars.json")
    assert bad.status_code == 400 and bad.json["field"] == "channel"
    assert client.get(f"/u/{feed_product}/velopack/nope.nupkg").status_code == 404
