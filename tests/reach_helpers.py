"""Shared by the reach tests (subscriptions, outbox, webhooks, feedback, funnel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from updatesrv.db import utcnow
from updatesrv.scheduling.runner import run_once


def file_notice(api: Any, product: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Sync stops after sleep", "severity": "major", "affected": ">=2.0,<2.0.1",
            "summary": "Sync pauses when the laptop wakes up.",
            "workaround": "Open **Settings → Sync** and press *Resume*.", **fields}
    response = api.post(f"/api/v1/products/{product}/notices", json=body)
    assert response.status_code == 201, response.json
    return dict(response.json)


def tick(app: Flask, later: dt.timedelta = dt.timedelta(0)) -> dict[str, int]:
    """One scheduler tick (what `updatesrv scheduler` runs every 30 s)."""
    return run_once(app, now=utcnow() + later, housekeeping=False)


def race_schedulers(app: Flask, schedulers: int = 3, rounds: int = 1,
                    pause: float = 0.0) -> None:
    """``schedulers`` threads start together and each runs ``rounds`` ticks (``pause``
    seconds apart), as several `updatesrv scheduler` processes would; raises what any of
    them raised."""
    import threading
    import time

    barrier = threading.Barrier(schedulers)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            for _ in range(rounds):
                run_once(app, housekeeping=False)
                time.sleep(pause)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(schedulers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads), "a scheduler hangs"
