"""Where a webhook may go: public HTTPS only. A URL is checked when it is registered and
again at every delivery after DNS resolution, and the request then goes to the address
that was checked, so DNS that changes its answer cannot aim a webhook at the server's own
network (loopback, private, link-local, carrier-grade NAT, metadata services...)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import WebhookUrlRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query


def parse_url(url: object, allow_private: bool) -> Target:
    if not isinstance(url, str) or not url.strip():
        raise WebhookUrlRefused("url is required", field="url")
    url = url.strip()
    if len(url) > 2000:
        raise WebhookUrlRefused("url is longer than 2000 characters", field="url")
    # urlsplit would silently drop tabs and line breaks; a URL holds no whitespace at all.
    if any(char.isspace() or not char.isprintable() for char in url):
        raise WebhookUrlRefused("the url contains a space, a line break or an invisible "
                                "character; remove it", field="url")
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise WebhookUrlRefused("webhooks are delivered over HTTPS only: the url must start "
                                "with https://", field="url")
    if not parts.hostname:
        raise WebhookUrlRefused("the url has no host", field="url")
    if parts.username or parts.password:
        raise WebhookUrlRefused("put no user name or password in the url; deliveries are "
                                "signed instead", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookUrlRefused("the url's port is not a number", field="url") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path)


NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# Never a public destination: local-use NAT64 (RFC 8215) and IPv4-compatible addresses
# (deprecated by RFC 4291; ::a.b.c.d reaches a.b.c.d on some stacks).
NEVER_PUBLIC = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("::/96"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, NAT64 (64:ff9b::/96),
    6to4 (2002::/16) and Teredo (server and client)."""
    found = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in NAT64_WELL_KNOWN:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in network for network in NEVER_PUBLIC):
            return False
        embedded = embedded_ipv4(address)
        if embedded:
            return all(is_public(a) for a in embedded)
    return address.is_global and not address.is_multicast


def resolve(target: Target, allow_private: bool) -> list[str]:
    """The host's addresses, all of which must be public (unless allowed)."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise WebhookUrlRefused(f"cannot resolve {target.host!r}: {exc}",
                                    field="url") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.split("%")[0])):
                raise WebhookUrlRefused(
                    f"{target.host} resolves to {address}, a loopback, private or link-local "
                    "address; webhooks only go to public addresses", field="url")
    if not addresses:
        raise WebhookUrlRefused(f"{target.host!r} has no address", field="url")
    return addresses
