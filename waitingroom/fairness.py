"""The keyed permutation of a pre-queue, and how anyone re-checks it.

Everyone who arrives before an opening is placed by
``HMAC-SHA256(key, ticket id)``: sorting the tickets by that digest is a
permutation that nobody can predict without the key, and that nobody can
steer after the key is fixed (the ticket ids are random). The key is made
with the opening, its SHA-256 is published beforehand (the commitment), the
key itself afterwards. The log lists every ticket of the pre-queue with its
place of arrival and its place after the shuffle. To re-check:

1. ``sha256(bytes.fromhex(key)) == commitment`` (the key is the one promised);
2. sorting the logged tickets by ``hmac_sha256(key, ticket)`` (ties: by
   ticket) gives the logged positions 0, 1, 2, …

Queue-it and Cloudflare Waiting Room shuffle their pre-queue at the event's
start the same way in spirit; smoketurner/virtual-waiting-room commits to a
seed and derives positions with an HMAC-keyed Feistel permutation. Sorting by
the HMAC is the simplest keyed permutation that a relative can recompute in
a spreadsheet-free three-line script, at the cost of needing every ticket id
(the log has them).
"""

import hashlib
import hmac
from collections.abc import Iterable

# 2**52: the digest's first 52 bits as a fraction in [0, 1), exactly
# representable as a Redis sorted-set score (a double). FIFO places after the
# opening are scored from 1 upwards, so every pre-queue place comes first.
_SCALE = float(1 << 52)


def digest(key: str, ticket: str) -> str:
    return hmac.new(bytes.fromhex(key), ticket.encode(), hashlib.sha256).hexdigest()


def prequeue_score(key: str, ticket: str) -> float:
    """The ticket's place in the shuffled pre-queue as a number in [0, 1)."""
    return int(digest(key, ticket)[:13], 16) / _SCALE


def commitment(key: str) -> str:
    return hashlib.sha256(bytes.fromhex(key)).hexdigest()


def shuffled(key: str, tickets: Iterable[str]) -> list[str]:
    """The tickets in the order the opening lets them in."""
    return sorted(tickets, key=lambda ticket: (digest(key, ticket), ticket))


def recheck(*, key: str, commitment_hex: str, log: Iterable[tuple[str, int]]) -> list[str]:
    """Problems found in a published log of ``(ticket, position)``; empty: it holds."""
    problems = []
    if commitment(key) != commitment_hex:
        problems.append("the key does not match the published commitment")
    entries = sorted(log, key=lambda entry: entry[1])
    logged = [ticket for ticket, _position in entries]
    if [position for _ticket, position in entries] != list(range(len(entries))):
        problems.append("the positions are not 0, 1, 2, … without gaps")
    if shuffled(key, logged) != logged:
        problems.append("the order is not the order of HMAC-SHA256(key, ticket)")
    return problems
