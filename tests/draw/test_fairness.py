"""Fairness of the draw's order: the place does not depend on the time of registering.

A pure test over 10,000 pseudonymous ids (the draw's order is a function of the
key and the ids only, ``draw.order``): Spearman's rank correlation between the
order of registering and the place after the draw must be near 0. For 10,000
independent entries its standard deviation is 1/sqrt(9,999) ≈ 0.01, so the
tolerance of 0.04 is four of them; the key and ids are fixed, so the test
gives the same answer on every run. Two planted biases show that the check
fails an implementation that favours early registrations.
"""

import hashlib
from collections.abc import Callable, Sequence

from draw import order
from waitingroom import fairness

ENTRIES = 10_000
TOLERANCE = 0.04
KEY = hashlib.sha256(b"test key of the fairness check").hexdigest()

type Ordering = Callable[[str, Sequence[tuple[str, int]]], list[str]]


def registrations(groups: int = 1) -> list[tuple[str, int]]:
    """(public id, group) in the order of registering; ids as random as the real ones."""
    return [
        (hashlib.sha256(f"entry {i}".encode()).hexdigest()[:16], 1 + i % groups)
        for i in range(ENTRIES)
    ]


def spearman(first: Sequence[str], second: Sequence[str]) -> float:
    """Spearman's rho of two orders of the same ids (no ties)."""
    place = {item: i for i, item in enumerate(second)}
    n = len(first)
    squares = sum((i - place[item]) ** 2 for i, item in enumerate(first))
    return 1 - 6 * squares / (n * (n * n - 1))


def correlation_within_groups(ordering: Ordering, groups: int) -> list[float]:
    entries = registrations(groups)
    drawn = ordering(KEY, entries)
    result = []
    for group in range(1, groups + 1):
        registered = [public_id for public_id, g in entries if g == group]
        members = set(registered)
        result.append(spearman(registered, [item for item in drawn if item in members]))
    return result


def test_the_place_is_independent_of_the_time_of_registering():
    (rho,) = correlation_within_groups(order.draw_order, 1)
    assert abs(rho) < TOLERANCE


def test_within_each_priority_group_too():
    assert all(abs(rho) < TOLERANCE for rho in correlation_within_groups(order.draw_order, 3))


def early_bird_bonus(key: str, entries: Sequence[tuple[str, int]]) -> list[str]:
    """Planted bias: the keyed lot plus a small head start for early registrations."""
    scored = [
        (group, fairness.prequeue_score(key, public_id) - 0.2 * (1 - i / len(entries)), public_id)
        for i, (public_id, group) in enumerate(entries)
    ]
    return [public_id for _group, _score, public_id in sorted(scored)]


def shuffled_in_blocks(key: str, entries: Sequence[tuple[str, int]]) -> list[str]:
    """Planted bias: the lot only within blocks of 500 registrations, blocks in order."""
    result: list[str] = []
    for start in range(0, len(entries), 500):
        result += order.draw_order(
            key, [(public_id, 1) for public_id, _g in entries[start : start + 500]]
        )
    return result


def test_a_planted_head_start_for_early_registrations_fails_the_check():
    (rho,) = correlation_within_groups(early_bird_bonus, 1)
    assert rho > TOLERANCE


def test_a_lot_drawn_only_within_blocks_of_time_fails_the_check():
    (rho,) = correlation_within_groups(shuffled_in_blocks, 1)
    assert rho > TOLERANCE


def test_the_order_needs_the_key():
    """Without the key the order cannot be foreseen: another key, another order."""
    entries = registrations()
    other = hashlib.sha256(b"another key").hexdigest()
    assert order.draw_order(KEY, entries) != order.draw_order(other, entries)
    assert (
        abs(spearman(order.draw_order(KEY, entries), order.draw_order(other, entries))) < TOLERANCE
    )
