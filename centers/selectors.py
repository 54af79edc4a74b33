"""Read-only questions about centers, for the public pages."""

import re
import unicodedata
from itertools import groupby, product
from time import monotonic

from django.conf import settings
from django.db.models import Q

from centers.models import Center, District, PostalCode, Vaccine

# postal code -> (read at, the district's id, name and slug)
_districts: dict[str, tuple[float, tuple[int, str, str]]] = {}
# Postal codes are 5 digits, but anything typed is looked up: bound the memory.
_DISTRICTS_KEPT = 20_000


def responsible_district(postal_code: str) -> District | None:
    """The district responsible for ``postal_code``, or None when it is unknown.

    Asked on every join, by the start page's search and twice in a voice call,
    about a table that changes a few times a year: each process keeps the
    answers for DISTRICT_CACHE_SECONDS (0: ask the database every time); saving
    or deleting a district or postal code in this process forgets them at once
    (``forget_districts``). An unknown code is not kept, so a code added (also
    in bulk) is found at once. Each caller gets a District instance of its own.
    """
    seconds = settings.DISTRICT_CACHE_SECONDS
    kept = _districts.get(postal_code) if seconds else None
    now = monotonic()
    if kept is None or now - kept[0] >= seconds:
        area = PostalCode.objects.select_related("district").filter(code=postal_code).first()
        if area is None or not seconds:
            return area.district if area else None
        if len(_districts) >= _DISTRICTS_KEPT:
            _districts.clear()
        district = area.district
        kept = _districts[postal_code] = (now, (district.pk, district.name, district.slug))
    pk, name, slug = kept[1]
    return District(pk=pk, name=name, slug=slug)


def forget_districts(**_signal_kwargs) -> None:
    """Ask the database again on the next call (a signal receiver)."""
    _districts.clear()


# vaccine ids -> (read at, every center with its district and state for them)
_states: dict[tuple[int, ...], tuple[float, list[Center]]] = {}
# A key per combination of vaccines a person may wait for: a handful; bounded anyway.
_STATES_KEPT = 64


def centers_with_states(vaccines: list[Vaccine]) -> list[Center]:
    """Every center with its district and its state for ``vaccines`` (annotated by
    ``with_availability``), by district and name.

    The waiting list's choice of scope shows them to every resident who joins:
    at an opening, thousands a minute, each a query with two correlated
    subqueries per center that also cost the ORM 2 ms of CPU to build. Each
    process keeps them, per set of vaccines, for START_PAGE_CACHE_SECONDS (0:
    read every time), as the start page keeps its list: a center's state may
    show that much late there too, and what is booked or offered is always
    read fresh. The centers are shared by the callers: read them, change none.
    """
    seconds = settings.START_PAGE_CACHE_SECONDS
    key = tuple(sorted({vaccine.pk for vaccine in vaccines}))
    kept = _states.get(key) if seconds else None
    now = monotonic()
    if kept is None or now - kept[0] >= seconds:
        centers = list(
            Center.objects.select_related("district")
            .with_availability(vaccines)
            .order_by("district__name", "name")
        )
        if not seconds:
            return centers
        if len(_states) >= _STATES_KEPT:
            _states.clear()
        kept = _states[key] = (now, centers)
    return list(kept[1])


def forget_states(**_signal_kwargs) -> None:
    """Read the centers' states afresh on the next call (tests; a signal receiver)."""
    _states.clear()


# How German writes an umlaut without the key for it, both ways round: a
# search for "goettingen" finds Göttingen and "Muenster" finds "Münster".
_SPELLINGS = [("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")]
_SPELLING = re.compile("|".join(form for pair in _SPELLINGS for form in pair), re.I)
_OTHER_SPELLING = {a: b for pair in _SPELLINGS for a, b in (pair, pair[::-1])}
# Each spot can be written either way; past this many spots only the two
# uniform spellings are tried, to keep the query small.
_MAX_SPOTS = 4


def spellings(query: str) -> set[str]:
    """The query as typed and with umlauts and their two-letter forms swapped.

    "oe" is not always "ö" (Itzehoe, Soest), so every combination is tried
    rather than all of one kind.
    """
    spots = list(_SPELLING.finditer(query))
    if not spots:
        return {query}

    def spelled(choices) -> str:
        parts, last = [], 0
        for spot, swap in zip(spots, choices, strict=True):
            text = spot.group(0)
            parts += [query[last : spot.start()], _OTHER_SPELLING[text.lower()] if swap else text]
            last = spot.end()
        return "".join([*parts, query[last:]])

    if len(spots) > _MAX_SPOTS:
        return {query, spelled([True] * len(spots))}
    return {spelled(choices) for choices in product([False, True], repeat=len(spots))}


def german_sort_key(text: str) -> str:
    """Order as a German reader expects (DIN 5007-1): "ä" with "a", "ß" as "ss".

    The database's collation may be "C" (PostgreSQL's default here) and SQLite
    has none for German, so sorting happens in Python; there are few centers.
    """
    folded = text.casefold().replace("ß", "ss")
    return unicodedata.normalize("NFD", folded).encode("ascii", "ignore").decode()


def search_centers(query: str = "", *, vaccines=None) -> list[Center]:
    """All centers with their state, narrowed by a town, district or postal code.

    A full postal code matches the centers of the district responsible for it,
    so "31134" finds the Hildesheim center even though the center's own postal
    code differs. Towns and districts match with umlauts written either way.
    Sorted by district and name in German order.
    """
    centers = Center.objects.select_related("district").with_availability(vaccines)
    if query:
        match = Q()
        for text in spellings(query):
            match |= Q(town__icontains=text) | Q(name__icontains=text)
            match |= Q(district__name__icontains=text)
            if not query.isdigit():
                match |= Q(district__postal_codes__town__icontains=text)
        if query.isdigit():
            match |= Q(postal_code__startswith=query)
            if len(query) == 5:
                match |= Q(district__postal_codes__code=query)
            else:
                match |= Q(district__postal_codes__code__startswith=query)
        centers = centers.filter(match).distinct()
    return sorted(
        centers,
        key=lambda center: (
            german_sort_key(center.district.name),
            center.district_id,
            german_sort_key(center.name),
        ),
    )


def group_by_district(centers) -> list[tuple[District, list[Center]]]:
    return [
        (district, list(members))
        for district, members in groupby(centers, key=lambda center: center.district)
    ]
