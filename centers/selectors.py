"""Read-only questions about centers, for the public pages."""

from itertools import groupby

from django.db.models import Q

from centers.models import Center, District, PostalCode


def responsible_district(postal_code: str) -> District | None:
    area = PostalCode.objects.select_related("district").filter(code=postal_code).first()
    return area.district if area else None


def search_centers(query: str = "", *, vaccines=None):
    """All centers with their state, narrowed by a town, district or postal code.

    A full postal code matches the centers of the district responsible for it,
    so "31134" finds the Hildesheim center even though the center's own postal
    code differs.
    """
    centers = Center.objects.select_related("district").with_availability(vaccines)
    if query:
        match = (
            Q(town__icontains=query) | Q(name__icontains=query) | Q(district__name__icontains=query)
        )
        if query.isdigit():
            match |= Q(postal_code__startswith=query)
            if len(query) == 5:
                match |= Q(district__postal_codes__code=query)
            else:
                match |= Q(district__postal_codes__code__startswith=query)
        else:
            match |= Q(district__postal_codes__town__icontains=query)
        centers = centers.filter(match).distinct()
    return centers.order_by("district__name", "name")


def group_by_district(centers) -> list[tuple[District, list[Center]]]:
    return [
        (district, list(members))
        for district, members in groupby(centers, key=lambda center: center.district)
    ]
