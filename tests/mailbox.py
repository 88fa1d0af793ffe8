"""A real SMTP server on a loopback port (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        # Called before a message is accepted; may raise or stall (tests of crashes).
        self.before_accept: Callable[[EmailMessage], str | None] | None = None
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        if self.before_accept is not None:
            answer = self.before_accept(message)
            if answer is not None:
                return answer
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        # aiosmtpd inspects the handler's attributes before the controller is set.
        port = self.controller.port if self.controller is not None else 0
        return f"smtp://127.0.0.1:{port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def start_mailbox() -> Mailbox:
    box = Mailbox()
    # aiosmtpd's Controller connects to its own port to confirm start-up, so it needs a
    # concrete one: ask the OS for a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.controller = controller
    return box
