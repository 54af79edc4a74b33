import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "impfportal.settings")
application = get_wsgi_application()

from impfportal.warmup import warm_up  # noqa: E402 -- needs the settings and apps set up

warm_up()
