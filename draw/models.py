"""A draw at a scheduled opening, and the entries registered for it.

A ``Draw`` belongs to an ``Opening`` of kind "draw": its registration window
runs from the opening's ``opens_at`` to ``closes_at``. Joining the waiting
list in that window, for a place the draw covers, makes a ``DrawEntry``
(``draw.registration``); the waiting place waits with status "draw" and is
offered nothing until the draw. The draw (``draw.services.run_draw``) orders
the entries with the opening's key (committed beforehand by its SHA-256,
revealed after the draw) and writes each entry's ``rank`` once.

A drawn entry's place in the waiting list is its rank: its ``joined_at``
becomes the window's start plus ``rank`` microseconds, so the exchange (which
reads the list by group, then ``joined_at``) serves the entries in draw order,
behind those who joined before the window and ahead of everyone who joins
after it. The real time of registering stays in ``registered_at``.
"""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centers.models import Center, District
from waitingroom.models import Opening
from waitlist.models import Entry

# Hex digits of the commitment shown where a whole one is too wide (lists, tables).
COMMITMENT_PREFIX = 12


def new_public_id() -> str:
    """The entry's pseudonym in the published protocol: random, names nobody."""
    return secrets.token_hex(8)


class DrawQuerySet(models.QuerySet["Draw"]):
    def covering(self, *, district_id: int, center_id: int | None) -> "DrawQuerySet":
        """Draws that cover a waiting place of ``district_id`` (and ``center_id``, or
        None for a district-wide place): its district is covered, or its center
        is, or (a district-wide place) a covered center lies in its district.

        Two EXISTS in the one query, so that registering asks the database once
        instead of loading every open draw with its districts and centers."""
        districts = Draw.districts.through.objects.filter(
            draw_id=OuterRef("pk"), district_id=district_id
        )
        centers = Draw.centers.through.objects.filter(draw_id=OuterRef("pk"))
        if center_id is not None:
            centers = centers.filter(center_id=center_id)
        else:
            centers = centers.filter(center__district_id=district_id)
        return self.filter(Exists(districts) | Exists(centers))


class Draw(models.Model):
    class Phase(models.TextChoices):
        """Where a draw stands; derived from its times, not stored."""

        UPCOMING = "upcoming", _("registration not open yet")
        OPEN = "open", _("registration open")
        CLOSED = "closed", _("registration closed, not drawn yet")
        DRAWN = "drawn", _("drawn")

    opening = models.OneToOneField(
        Opening,
        on_delete=models.PROTECT,
        related_name="draw",
        limit_choices_to={"mode": Opening.Mode.DRAW},
        verbose_name=_("scheduled opening"),
    )
    closes_at = models.DateTimeField(
        _("registration closes at"),
        help_text=_("The window opens at the opening's time; the draw runs when it closes."),
    )
    districts = models.ManyToManyField(
        District, blank=True, related_name="+", verbose_name=_("districts")
    )
    centers = models.ManyToManyField(
        Center, blank=True, related_name="+", verbose_name=_("vaccination centers")
    )
    seats = models.PositiveIntegerField(
        _("seats released for the draw"),
        help_text=_("At most this many appointments are offered in draw order at the close."),
    )
    seats_offered = models.PositiveIntegerField(
        _("seats offered at the close"), default=0, editable=False
    )
    ranked_at = models.DateTimeField(_("drawn at"), null=True, blank=True, editable=False)
    offered_at = models.DateTimeField(
        _("first offers made at"), null=True, blank=True, editable=False
    )

    objects = DrawQuerySet.as_manager()

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-closes_at"]

    def __str__(self) -> str:
        return str(self.opening)

    def clean(self) -> None:
        opening = getattr(self, "opening", None)
        if opening is None or self.closes_at is None:
            return
        if opening.mode != Opening.Mode.DRAW:
            raise ValidationError(
                {"opening": _("Choose an opening of the kind “draw”.")}, code="not_a_draw"
            )
        if self.closes_at <= opening.opens_at:
            raise ValidationError(
                {"closes_at": _("Registration must close after the opening's time.")},
                code="closes_before_opening",
            )

    @property
    def opens_at(self):
        return self.opening.opens_at

    def window_contains(self, moment) -> bool:
        return self.opening.opens_at <= moment < self.closes_at

    def revealed_key(self) -> str | None:
        """The opening's key once the order is fixed; None (secret) before."""
        return self.opening.key if self.ranked_at else None

    def phase(self, *, now=None) -> "Draw.Phase":
        if self.ranked_at is not None:
            return self.Phase.DRAWN
        moment = now or timezone.now()
        if moment < self.opening.opens_at:
            return self.Phase.UPCOMING
        return self.Phase.OPEN if moment < self.closes_at else self.Phase.CLOSED

    @property
    def commitment_prefix(self) -> str:
        """The start of the key's SHA-256: enough to tell draws apart at a glance
        and to match the published fingerprint; the whole one is on the public page."""
        return self.opening.commitment[:COMMITMENT_PREFIX]


class DrawEntry(models.Model):
    """A waiting place registered in a draw's window, and its rank once drawn.

    ``person_key`` is a keyed hash of the person's normalised name and date of
    birth: one entry per person in a draw, whichever number registers them.
    """

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="entries")
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, related_name="draw_entry", verbose_name=_("waiting place")
    )
    public_id = models.CharField(
        _("pseudonymous id"), max_length=16, unique=True, default=new_public_id
    )
    person_key = models.CharField(max_length=64)
    priority_rank = models.PositiveSmallIntegerField(_("priority group rank"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    rank = models.PositiveIntegerField(_("place after the draw"), null=True, blank=True)

    class Meta:
        verbose_name = _("draw entry")
        verbose_name_plural = _("draw entries")
        ordering = ["draw", "rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw", "person_key"], name="draw_entry_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["draw", "rank"], condition=Q(rank__isnull=False), name="draw_rank_once"
            ),
        ]

    def __str__(self) -> str:
        return self.public_id
