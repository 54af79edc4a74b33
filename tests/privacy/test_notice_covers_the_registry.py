"""Every entry of the retention registry is either told in the privacy notice or
left out for a stated reason, and the notice names no entry the registry lacks:
a new personal model cannot slip past the notice."""

from privacy.notice import NOT_DESCRIBED, SENTENCES
from privacy.retention import REGISTRY


def test_every_registry_entry_is_described_or_excused():
    keys = {(entry.model, entry.action) for entry in REGISTRY}
    assert keys - set(SENTENCES) - set(NOT_DESCRIBED) == set()


def test_the_notice_describes_only_entries_the_registry_has():
    keys = {(entry.model, entry.action) for entry in REGISTRY}
    assert set(SENTENCES) - keys == set()
    assert set(NOT_DESCRIBED) - keys == set()
    assert set(SENTENCES).isdisjoint(NOT_DESCRIBED)
