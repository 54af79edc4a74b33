"""The draw's order, and how anyone re-checks it from the published protocol.

The entries are ordered by priority group (older groups, i.e. lower ranks,
first), then by ``HMAC-SHA256(key, public id)`` (ties: by public id): the
waiting room's keyed permutation (``waitingroom.fairness``), within each
group. The public ids are random and made by the server at registration, the
key is fixed with the opening and only its SHA-256 is public until the draw
has run, so nobody can choose or foresee a place, and the time of registering
plays no part at all.

To re-check a published protocol of ``(public id, group rank, place)``:

1. ``sha256(bytes.fromhex(key)) == commitment`` (the key is the one promised);
2. ordering the ids by group, then by the HMAC, gives the places 1, 2, 3, …
"""

from collections.abc import Iterable

from waitingroom import fairness


def draw_order(key: str, entries: Iterable[tuple[str, int]]) -> list[str]:
    """The public ids of ``(public id, group rank)`` in draw order, first place first."""
    return [
        public_id
        for _group, _digest, public_id in sorted(
            (group, fairness.digest(key, public_id), public_id) for public_id, group in entries
        )
    ]


def recheck(
    *, key: str, commitment_hex: str, protocol: Iterable[tuple[str, int, int]]
) -> list[str]:
    """Problems found in a published protocol of ``(public id, group rank, place)``
    (places count from 1); empty: the draw holds."""
    problems = []
    if fairness.commitment(key) != commitment_hex:
        problems.append("the key does not match the published commitment")
    rows = sorted(protocol, key=lambda row: row[2])
    if [place for _id, _group, place in rows] != list(range(1, len(rows) + 1)):
        problems.append("the places are not 1, 2, 3, … without gaps")
    published = [public_id for public_id, _group, _place in rows]
    if draw_order(key, [(public_id, group) for public_id, group, _place in rows]) != published:
        problems.append("the order is not by group, then by HMAC-SHA256(key, id)")
    return problems
