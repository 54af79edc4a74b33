"""One place that limits the admin to the user's own centers.

Every admin class of center data derives from ``CenterScopedAdmin`` and names
the path from its model to the center (``center_lookup``). From that one path
follow, for a staff user who is not a superuser:

- lists, search, filters, actions and CSV exports see only their centers' rows
  (Django runs actions on ``get_queryset`` filtered by the posted ids, so ids
  of another center simply match nothing);
- change, delete and history pages of another center's object answer 404;
- foreign-key and many-to-many choices of forms (and so posted ids) are
  limited by the target model's own admin, e.g. the center of a delivery;
- additions, changes and deletions are written to the center's audit log.

A superuser sees everything. A staff user in no center's staff sees nothing.
"""

from collections import Counter

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from centers import audit
from centers.models import AuditEntry, Center
from impfportal.csv_download import csv_download, text_cell

Action = AuditEntry.Action


def staff_center_ids(request) -> frozenset[int] | None:
    """The ids of the user's centers; None for a superuser (every center)."""
    user = request.user
    if user.is_active and user.is_superuser:
        return None
    cached = getattr(request, "_staff_center_ids", None)
    if cached is None:
        cached = frozenset()
        if user.is_active and user.is_staff:
            cached = frozenset(Center.objects.filter(staff=user).values_list("pk", flat=True))
        request._staff_center_ids = cached
    return cached


def staff_centers(request):
    """The user's centers as a queryset, for form choices."""
    ids = staff_center_ids(request)
    return Center.objects.all() if ids is None else Center.objects.filter(pk__in=ids)


class CenterScopedAdmin(admin.ModelAdmin):
    #: Path from the model to its Center, as in a queryset filter ("pk" for Center).
    center_lookup = "center"
    #: Columns of the CSV export, (header, function of the object); empty: no export.
    csv_columns: tuple = ()

    # --- what the user may see -------------------------------------------------

    def filter_by_centers(self, queryset, center_ids):
        return queryset.filter(**{f"{self.center_lookup}__in": center_ids})

    def scope(self, queryset, request):
        center_ids = staff_center_ids(request)
        if center_ids is None:
            return queryset
        return self.filter_by_centers(queryset, center_ids)

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request)

    def get_object(self, request, object_id, from_field=None):
        """Another center's object (or none) is "not found", not a hint that it exists."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def _scoped_choices(self, request, db_field, queryset):
        model = db_field.remote_field.model
        if queryset is None:
            queryset = model._default_manager.all()
        target = self.admin_site._registry.get(model)
        if isinstance(target, CenterScopedAdmin):
            return target.scope(queryset, request)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            kwargs["queryset"] = self._scoped_choices(request, db_field, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            kwargs["queryset"] = self._scoped_choices(request, db_field, queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # --- audit -----------------------------------------------------------------

    def audit_center_ids(self, obj) -> list[int]:
        """The centers whose log gets an entry about ``obj``."""
        value = obj
        for part in self.center_lookup.split("__"):
            value = getattr(value, part)
        return [value if isinstance(value, int) else value.pk]

    def _audit(self, request, obj, action, details) -> None:
        audit.record_many(
            user=request.user,
            action=action,
            entries=[(center_id, obj, details) for center_id in self.audit_center_ids(obj)],
        )

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, Action.ADDED, {"message": message})
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        if message:  # a save that changed nothing is no change
            self._audit(request, obj, Action.CHANGED, {"message": message})
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        # Django itself passes a list here (delete_view: [obj]); the stubs ask for a QuerySet.
        entries = super().log_deletions(request, objects)  # type: ignore[arg-type]
        for obj in objects:
            self._audit(request, obj, Action.DELETED, {})
        return entries

    # --- export ----------------------------------------------------------------

    def get_export_queryset(self, queryset):
        """The selected rows with what the columns need (override to add joins)."""
        select_related = self.list_select_related
        if select_related is True:
            return queryset.select_related()
        return queryset.select_related(*select_related) if select_related else queryset

    @admin.action(description=_("Export selected %(verbose_name_plural)s as CSV"))
    def export_csv(self, request, queryset):
        """The selected rows as a CSV file for a spreadsheet; the export is logged."""
        rows_per_center: Counter[int] = Counter()
        rows = []
        for obj in self.get_export_queryset(queryset):
            rows.append([text_cell(value(obj)) for _header, value in self.csv_columns])
            rows_per_center.update(self.audit_center_ids(obj))
        audit.record_export(user=request.user, model=self.model, rows_per_center=rows_per_center)
        return csv_download(
            filename=f"{self.opts.model_name}.csv",
            header=[header for header, _value in self.csv_columns],
            rows=rows,
        )
