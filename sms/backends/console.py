"""Prints each message in a frame on standard error: the quick start's provider."""

import sys
import threading
import uuid

from sms.backends.base import SmsBackend

# The dispatcher sends from several threads; one block must not interleave with another.
_PRINTING = threading.Lock()
WIDTH = 72


def framed(kind: str, recipient: str, body: str) -> str:
    """The message as a block that stands out from the JSON log lines around it.

    Every line starts with a frame character, never with "{", so the block
    cannot be mistaken for a log record, and the code is easy to find.
    """
    title = f" {kind} to {recipient} "
    lines = [f"╔══{title}{'═' * max(WIDTH - len(title) - 3, 3)}"]
    for paragraph in body.splitlines() or [""]:
        lines.append(f"║ {paragraph}")
    lines.append("╚" + "═" * (WIDTH - 1))
    return "\n" + "\n".join(lines) + "\n\n"


class ConsoleBackend(SmsBackend):
    def send(self, message) -> str:
        kind = "VOICE CALL" if message.channel == "voice" else "SMS"
        with _PRINTING:
            sys.stderr.write(framed(kind, message.recipient, message.body))
            sys.stderr.flush()
        return f"console-{uuid.uuid4().hex[:12]}"
