from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from staff_auth.policy import needs_second_factor


class SecondFactorMiddleware:
    """An account that needs a second factor gets no page but the second-factor
    steps (and logging out) until it has used one in this session.

    Every path is covered, not only the admin's, so a staff page added later
    (the hotline's console) is protected without doing anything. Must come
    after django_otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not self._open(request.path)
            and needs_second_factor(user)
        ):
            from django_otp import user_has_device

            step = "staff_auth:verify" if user_has_device(user) else "staff_auth:enrol"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        open_paths = (
            reverse("staff_auth:verify"),
            reverse("staff_auth:enrol"),
            reverse("admin:logout"),
            reverse("stats:logout"),
        )
        static = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
        return path in open_paths or path.startswith(static)
