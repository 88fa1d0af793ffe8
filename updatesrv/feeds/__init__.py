"""Compatible update feeds: the formats of updaters apps already ship (Sparkle,
electron-updater, Squirrel.Mac, Tauri, Velopack), each rendering the one update decision
(updatesrv/updates/decision.py) from the cached catalog. No rule lives here: modules only
translate a request into an UpdateQuery and a Decision into the updater's wire format."""

from __future__ import annotations

# In the order the console lists them.
FORMATS = ("sparkle", "electron", "squirrel", "tauri", "velopack")
FORMAT_NAMES = {
    "sparkle": "Sparkle / WinSparkle appcast",
    "electron": "electron-updater (generic provider)",
    "squirrel": "Squirrel.Mac (update.electronjs.org style)",
    "tauri": "Tauri v2 updater",
    "velopack": "Velopack",
}
# Formats whose updaters compare SemVer: releases without a SemVer form are left out.
SEMVER_FORMATS = frozenset({"electron", "tauri", "velopack"})
