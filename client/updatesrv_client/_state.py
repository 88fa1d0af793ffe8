"""What the client remembers between runs, in files under ``state_dir`` written atomically:
the anonymous install id, the last answer per (product, version, channel, platform), which
notice revisions were shown, and the highest signed catalog serial seen per product."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class State:
    """A state folder, or — with ``directory=None`` — the same in memory for one client."""

    def __init__(self, directory: Path | None) -> None:
        self.dir = directory
        self._memory: dict[str, dict[str, Any]] = {}

    def read_json(self, name: str) -> dict[str, Any]:
        if self.dir is None:
            return dict(self._memory.get(name, {}))
        try:
            data = json.loads((self.dir / name).read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError, RecursionError):
            return {}

    def write_json(self, name: str, data: Mapping[str, Any]) -> None:
        if self.dir is None:
            self._memory[name] = dict(data)
            return
        self._write(name, json.dumps(data))

    def _write(self, name: str, text: str) -> None:
        assert self.dir is not None
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.dir / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def install_id(self) -> str | None:
        """A random id, created on first use; None without a state folder (nothing to keep
        it in, so the server counts no install)."""
        if self.dir is None:
            return None
        with contextlib.suppress(OSError):
            value = (self.dir / "install_id").read_text(encoding="utf-8").strip()
            if re.fullmatch(r"[A-Za-z0-9_-]{8,128}", value):
                return value
        value = uuid.uuid4().hex
        self._write("install_id", value)
        return value

    # -- answers ----------------------------------------------------------------------

    def saved_answer(self, key: str) -> dict[str, Any] | None:
        entry = self.read_json("results.json").get(key)
        return entry if isinstance(entry, dict) and isinstance(entry.get("body"), dict) else None

    def save_answer(self, product: str, key: str, entry: Mapping[str, Any]) -> None:
        # Only this version's answer is kept: an upgraded app never shows the old
        # version's notices.
        results = {k: v for k, v in self.read_json("results.json").items()
                   if not k.startswith(f"{product}|") or k == key}
        results[key] = dict(entry)
        self.write_json("results.json", results)

    # -- serials ----------------------------------------------------------------------

    def highest_serial(self, product: str) -> int:
        value = self.read_json("serials.json").get(product, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    def raise_serial(self, product: str, serial: int) -> None:
        serials = self.read_json("serials.json")
        if serial > self.highest_serial(product):
            serials[product] = serial
            self.write_json("serials.json", serials)
