from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class ImpfportalConfig(AppConfig):
    """The project itself: demo data, the staff group and the shared base templates' context."""

    name = "impfportal"

    def ready(self) -> None:
        from impfportal import checks  # noqa: F401  (registers the deployment checks)
        from impfportal.staff_group import ensure_staff_group_after_migrate

        # Once per migrate, after the booking app (the last one the group needs
        # permissions of). This app has no models, so it gets no post_migrate itself.
        post_migrate.connect(
            ensure_staff_group_after_migrate,
            sender=apps.get_app_config("booking"),
            dispatch_uid="impfportal-staff-group",
        )
