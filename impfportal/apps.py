from django.apps import AppConfig


class ImpfportalConfig(AppConfig):
    """The project itself: demo data and the shared base templates' context."""

    name = "impfportal"
