"""Operators set up a draw for an opening of kind "draw" and read its figures.

Saving a draw writes its commitment to the opening's history (the audit log)
and schedules the draw for the window's close (``draw.services.schedule``).
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from draw import selectors, services
from draw.models import Draw


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    list_display = ["opening", "closes_at", "seats", "seats_offered", "ranked_at", "fingerprint"]
    list_select_related = ["opening"]
    fields = [
        "opening",
        "closes_at",
        "districts",
        "centers",
        "seats",
        "commitment",
        "ranked_at",
        "seats_offered",
        "figures",
        "public_page",
    ]
    readonly_fields = ["commitment", "ranked_at", "seats_offered", "figures", "public_page"]
    filter_horizontal = ["districts", "centers"]

    @admin.display(description=_("SHA-256 of the key"))
    def commitment(self, obj: Draw) -> str:
        return obj.opening.commitment if obj.pk else "-"

    @admin.display(description=_("Fingerprint of the key (SHA-256)"))
    def fingerprint(self, obj: Draw) -> str:
        """The commitment's start and whether the key is public, at a glance."""
        revealed = _("key published") if obj.revealed_key() else _("key secret")
        return format_html("<code>{}</code>… ({})", obj.commitment_prefix, revealed)

    @admin.display(description=_("figures"))
    def figures(self, obj: Draw) -> str:
        if obj.pk is None or obj.ranked_at is None:
            return "-"
        numbers = selectors.figures(obj)
        groups = selectors.groups_of(rank for rank, _count in numbers.entrants)
        lines = [
            *(
                (
                    _("Registrations: %(group)s") % {"group": group.name},
                    numbers.entrants_of(group.rank),
                )
                for group in groups
            ),
            (_("seats"), numbers.seats),
            (_("offers"), numbers.offers),
            (_("accepted"), numbers.accepted),
            (_("passed on"), numbers.passed_on),
        ]
        return format_html_join("", "<div>{}: {}</div>", lines)

    @admin.display(description=_("public page"))
    def public_page(self, obj: Draw) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("draw:opening", args=[obj.opening_id])
        return format_html('<a href="{}">{}</a>', url, url)

    def get_readonly_fields(self, request, obj=None):
        # Once drawn, nothing about it changes any more.
        if obj is not None and obj.ranked_at is not None:
            return [*self.fields]
        return self.readonly_fields

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.schedule(form.instance, user=request.user)
