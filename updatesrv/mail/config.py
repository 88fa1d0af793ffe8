"""``MAIL_URL`` is the one mail setting: ``smtp://user:pass@host:587?starttls=1``,
``smtps://user:pass@host:465`` or ``smtp://localhost:25``. Unset means mail is off."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import MailConfigError

TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float = 30.0

    def __repr__(self) -> str:  # never print the password in logs
        return (f"MailConfig(host={self.host!r}, port={self.port}, ssl={self.ssl}, "
                f"starttls={self.starttls}, username={self.username!r})")


def parse_mail_url(url: str, sender: str) -> MailConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise MailConfigError(f"MAIL_URL must start with smtp:// or smtps://; got {url!r}",
                              field="MAIL_URL")
    if not parts.hostname:
        raise MailConfigError("MAIL_URL has no host", field="MAIL_URL")
    query = parse_qs(parts.query)
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise MailConfigError(f"MAIL_URL has unknown option(s): {', '.join(sorted(unknown))}",
                              field="MAIL_URL")
    ssl = parts.scheme == "smtps"
    starttls = query.get("starttls", ["0"])[-1].lower() in TRUE
    if ssl and starttls:
        raise MailConfigError("smtps:// is already encrypted; drop ?starttls=1",
                              field="MAIL_URL")
    try:
        port = parts.port or (465 if ssl else 25)
        timeout = float(query.get("timeout", ["30"])[-1])
    except ValueError:
        raise MailConfigError("MAIL_URL has an invalid port or timeout",
                              field="MAIL_URL") from None
    name, address = parseaddr(sender)
    if "@" not in address:
        raise MailConfigError(f"MAIL_FROM must be an e-mail address; got {sender!r}",
                              field="MAIL_FROM")
    return MailConfig(host=parts.hostname, port=port, ssl=ssl, starttls=starttls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None,
                      sender=str(Address(display_name=name, addr_spec=address)) if name
                      else address,
                      timeout=timeout)


def mail_config(config: dict[str, Any] | Any) -> MailConfig | None:
    """The app's mail settings, or None when mail is off."""
    url = config.get("MAIL_URL")
    if not url:
        return None
    return parse_mail_url(str(url), str(config.get("MAIL_FROM") or "updatesrv@localhost"))
