"""Prints each message to standard output: the quick start's provider."""

import sys
import uuid

from sms.backends.base import SmsBackend


class ConsoleBackend(SmsBackend):
    def send(self, message) -> str:
        kind = "VOICE CALL" if message.channel == "voice" else "SMS"
        sys.stdout.write(f"\n----- {kind} to {message.recipient} -----\n{message.body}\n\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4().hex[:12]}"
