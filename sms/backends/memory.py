"""Keeps sent messages in a list, like Django's locmem mail backend; for tests."""

import uuid

from sms.backends.base import SmsBackend

# Appending to a list is atomic in CPython, so the dispatcher's threads may share it.
outbox: list = []


class MemoryBackend(SmsBackend):
    def send(self, message) -> str:
        outbox.append(message)
        return f"memory-{uuid.uuid4().hex[:12]}"
