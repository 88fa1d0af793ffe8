"""The demo product that ``make run`` shows on an empty database: clearly marked as demo
data everywhere it appears, with real uploaded files so downloads work."""

from __future__ import annotations

import io
import sys
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from .accounts import services as accounts
from .accounts import tokens
from .accounts.models import Vendor
from .db import write_intent
from .products.models import Product
from .products.services import create_product
from .releases.artifacts import receive_upload, upload_artifact
from .releases.services import create_release, get_release, update_release

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # demo only: printed by make run, documented in README.md


def seed_demo(session: Session, app: Flask) -> dict[str, Any] | None:
    """Seeds when there is no vendor yet; returns what was created, or None."""
    from . import runtime

    if session.scalar(sa.select(sa.func.count()).select_from(Vendor)):
        return None
    with write_intent():
        vendor = accounts.create_vendor(session, "demo", "Demo Vendor (sample data)")
        user = accounts.create_user(session, DEMO_EMAIL, DEMO_PASSWORD, "Demo Owner")
        accounts.add_member(session, user, vendor, "owner")
        actor = accounts.Actor(vendor_id=vendor.id, role="owner", label="system (demo seed)")
        product = create_product(session, actor, {
            "slug": "ledgerly-demo", "name": "Ledgerly (demo)",
            "support_url": "https://example.com/support", "notice_prefix": "LEDG"})
        session.execute(sa.update(Product).where(Product.id == product.id).values(is_demo=True))
        session.commit()
        releases = [
            ("1.4.2", "stable", "Older release kept for the demo.", False),
            ("2.0.0", "stable", "## Ledgerly 2.0\n\n- New invoice designer\n- Licence renewal "
             "from inside the app", False),
            ("2.0.1", "stable", "## Fixes\n\n- After renewing the licence, Ledgerly no longer "
             "reports *licence expired* (stale `license.cache`).", True),
            ("2.1.0b1", "beta", "Beta of 2.1: multi-currency ledgers.", False),
        ]
        store = runtime(app).store
        for version, channel, notes, critical in releases:
            release, _ = create_release(session, actor, product, {
                "version": version, "channel": channel, "notes": notes, "critical": critical,
                "draft": True})
            for platform in ("windows-x86_64", "macos-arm64", "linux-x86_64"):
                payload = f"Ledgerly {version} for {platform} — demo file, not software\n"
                staged = receive_upload(store, io.BytesIO(payload.encode() * 64), 10**6)
                upload_artifact(session, actor, release, store, platform=platform,
                                staged=staged, filename=f"ledgerly-{version}-{platform}.txt",
                                signature=None)
            update_release(session, actor, get_release(session, product, version),
                           {"draft": False})
        from .notices.services import create_notice, update_notice

        licence = create_notice(session, actor, product, {
            "title": "“Licence expired” after renewing the licence",
            "severity": "major", "status": "confirmed", "affected": ">=2.0,<2.0.1",
            "platforms": ["windows-x86_64"],
            "summary": "After renewing, Ledgerly keeps saying the licence expired; "
                       "reinstalling makes it refuse to start.",
            "workaround": "1. Quit Ledgerly.\n2. Delete `%APPDATA%\\Ledgerly\\license.cache`."
                          "\n3. Start Ledgerly again: it reads the renewed licence.",
            "details": "A stale licence cache survives the renewal. Do **not** reinstall: "
                       "the installer keeps the cache.",
            "message": "We can reproduce this and are working on a fix."})
        update_notice(session, actor, licence, {
            "status": "fixed", "fixed_in": "2.0.1",
            "message": "Fixed in 2.0.1, which is offered to every affected install."})
        create_notice(session, actor, product, {
            "title": "Totals in mixed-currency ledgers may be off by one cent",
            "severity": "minor", "status": "investigating", "affected": ">=2.1.0b1",
            "channels": ["beta", "nightly"],
            "summary": "Rounding differs between the ledger and the invoice view."})
        _, token = tokens.create_token(session, vendor, "demo token", "owner",
                                       created_by="system (demo seed)")
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "token": token,
            "product": product.slug}


def browsable(bind: str) -> str:
    """The ``host:port`` a person on this machine types for a ``--bind`` address: a server
    listening on every interface (0.0.0.0, ::, or no host) is reached on loopback."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or bind.startswith(("unix:", "fd://")):
        return "127.0.0.1:5000"
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"{host}:{port}"


def describe_demo(created: dict[str, Any] | None, bind: str = "127.0.0.1:5000") -> str:
    if created is None:
        return "database already has data; no demo seeded"
    base = f"http://{browsable(bind)}"
    return (
        "Seeded the DEMO product 'ledgerly-demo' (sample data, clearly marked as such).\n"
        f"  Vendor login:  {created['email']} / {created['password']}\n"
        f"  API token (shown once): {created['token']}\n"
        f"  Try (once `serve` says it is serving on {bind}):\n"
        f"    curl '{base}/api/v1/products/ledgerly-demo/check"
        "?version=2.0.0&platform=windows-x86_64'\n"
        # This interpreter is the one with the client installed (the project's .venv).
        f"    {sys.executable} -m updatesrv_client notices --server {base} "
        "--product ledgerly-demo --version 2.0.0 --platform windows-x86_64")
