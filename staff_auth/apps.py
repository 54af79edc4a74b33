from django.apps import AppConfig


class StaffAuthConfig(AppConfig):
    """Staff and ministry logins: throttled passwords and a second factor (TOTP)."""

    name = "staff_auth"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from staff_auth.throttle import count_failed_login

        user_login_failed.connect(count_failed_login, dispatch_uid="staff-auth-failed-login")
