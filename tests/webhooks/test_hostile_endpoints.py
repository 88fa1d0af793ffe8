"""A webhook endpoint cannot hold a delivery longer than the whole-request deadline, nor
make us read more than 64 KiB of its answer, however it behaves (real sockets)."""

from __future__ import annotations

import pytest

from tests.hostile_endpoints import Endpoint, refusing_url, wait_for
from updatesrv.db import utcnow
from updatesrv.webhooks.delivery import RESPONSE_BODY_LIMIT, WebhookFailed, post
from updatesrv.webhooks.signing import new_secret


def _post(url: str, timeout: float = 1.0) -> int:
    return post(url, new_secret(), "msg_1", b"{}", allow_private=True, timeout=timeout,
                now=utcnow())


def test_a_dripping_endpoint_is_cut_at_the_deadline():
    endpoint = Endpoint("drip", interval=0.1)
    try:
        with pytest.raises(WebhookFailed, match="within the 1 s deadline"):
            _post(endpoint.url, timeout=1.0)
        # The endpoint would drip for hours; the connection ended after about ten bytes.
        assert wait_for(lambda: endpoint.bytes_sent)
        assert endpoint.bytes_sent[0] < 40, endpoint.bytes_sent
    finally:
        endpoint.close()


def test_a_huge_answer_is_read_to_64_kib_and_dropped():
    endpoint = Endpoint("huge", size=100 * 1024 * 1024)
    try:
        assert _post(endpoint.url, timeout=5.0) == 200
        assert wait_for(lambda: endpoint.bytes_sent)
        # What the endpoint managed to write before we hung up: our 64 KiB plus what the
        # kernel's socket buffers held, far from the 100 MiB it meant to send.
        assert RESPONSE_BODY_LIMIT <= endpoint.bytes_sent[0] < 16 * 1024 * 1024
    finally:
        endpoint.close()


def test_a_refusing_endpoint_fails_at_once_and_is_retried():
    with pytest.raises(WebhookFailed) as caught:
        _post(refusing_url())
    assert not caught.value.permanent and "cannot deliver" in str(caught.value)
