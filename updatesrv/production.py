"""What `updatesrv serve` checks before it serves anyone outside `--dev`: a secret key of
our own (a cookie signed with a published default would open any console) and a fixed
idea of our own host name (otherwise the Host header of whoever asks first decides the
download and notes URLs in publicly cached answers)."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Any

# The shipped defaults: settings.py and instance/config.example.py.
PUBLIC_SECRET_KEYS = frozenset({"", "dev-only-not-secret", "change-me"})
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]


def secret_key_problem(config: Mapping[str, Any]) -> str | None:
    key = config.get("SECRET_KEY")
    if key is None or str(key).strip() in PUBLIC_SECRET_KEYS:
        return ("SECRET_KEY is empty or a published default, so anyone could sign a console "
                "session cookie. Run 'updatesrv init' (it writes a random key to "
                "instance/config.py) or set UPDATESRV_SECRET_KEY to a long random value, "
                "e.g. $(python3 -c 'import secrets; print(secrets.token_hex(32))').")
    return None


def host_problem(config: Mapping[str, Any]) -> str | None:
    if config.get("BASE_URL") or config.get("TRUSTED_HOSTS"):
        return None
    return ("Neither BASE_URL nor TRUSTED_HOSTS is set, so the Host header of each request "
            "would decide the download and release-notes URLs in publicly cached answers. "
            "Set UPDATESRV_BASE_URL=https://updates.example.com (the public URL), and/or "
            "UPDATESRV_TRUSTED_HOSTS='[\"updates.example.com\"]' to answer 400 to any other "
            "Host.")


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_serving(config: Mapping[str, Any], bind_host: str) -> list[str]:
    """Returns the reasons not to serve (empty: fine). A server bound to loopback only,
    with no host settings, trusts the loopback names: `make run` works as before and a
    request naming another host is refused. The workers read the setting from the
    environment, as they build their own app after the fork."""
    problems = [p for p in (secret_key_problem(config),) if p]
    if host_problem(config) and is_loopback(bind_host or "127.0.0.1"):
        os.environ["UPDATESRV_TRUSTED_HOSTS"] = json.dumps(LOOPBACK_HOSTS)
    elif problem := host_problem(config):
        problems.append(problem)
    return problems
