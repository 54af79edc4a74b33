"""Admin base classes shared by several apps."""

from django.contrib import admin


class SuperuserReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only their own services write, shown to superusers only, whatever
    permissions a group grants (e.g. waiting places, deletion records)."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
