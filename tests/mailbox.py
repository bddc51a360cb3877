"""A real local SMTP server (aiosmtpd) that keeps every message, for tests that follow mailed links."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"

    def last_for(self, address: str):
        for rcpts, msg in reversed(self.messages):
            if address in rcpts:
                return msg
        raise AssertionError(f"no mail for {address}: {self.messages}")

    def link_for(self, address: str, path: str) -> str:
        """The first link to ``path`` in the last mail to ``address``."""
        body = self.last_for(address).get_payload(decode=True).decode()
        found = re.search(r"(https?://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_\-]+)", body)
        assert found, body
        return found.group(1)


@contextmanager
def smtp_inbox(monkeypatch) -> Iterator[Inbox]:
    """Start the server on a free port and point the Settings' SMTP host and port at it (undone by
    ``monkeypatch``)."""
    from emclm.config import get_settings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", port)
    try:
        yield handler
    finally:
        controller.stop()
