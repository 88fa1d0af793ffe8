"""IPv6 addresses that lead to an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo,
IPv4-compatible) are judged by the IPv4 address they embed: refused at registration and
again after DNS resolution at delivery."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from updatesrv.db import utcnow
from updatesrv.webhooks.addresses import is_public
from updatesrv.webhooks.delivery import WebhookFailed, post
from updatesrv.webhooks.signing import new_secret

EMBEDDING_PRIVATE = [
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:7f00:1::1", "2002:a00:1::1", "2002:c0a8:1::1",  # 6to4
    "::127.0.0.1", "::10.0.0.1",  # IPv4-compatible
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:a00:1:8000:63bf:f7f7:f7f7",  # Teredo, server 10.0.0.1
]
EMBEDDING_PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8",
                    "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_embedded_private_ipv4_is_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", EMBEDDING_PUBLIC)
def test_embedded_public_ipv4_is_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE)
def test_registration_refuses_them(api, app, product, address):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    response = api.post(f"/api/v1/products/{product}/webhooks",
                        json={"url": f"https://[{address}]/hook"})
    assert response.status_code == 400, response.json
    assert response.json["field"] == "url"


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:a00:1::1", "::127.0.0.1"])
def test_delivery_refuses_a_name_that_resolves_to_them(monkeypatch, address):
    # The resolver is the one thing that cannot run here: a name answering with `address`.
    def answer(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    with pytest.raises(WebhookFailed, match="loopback, private or link-local") as caught:
        post("https://hooks.example.com/x", new_secret(), "msg_1", b"{}",
             allow_private=False, timeout=1, now=utcnow())
    assert caught.value.permanent
