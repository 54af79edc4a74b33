"""The project's URLs plus the baseline: a Django view that makes one query."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from centers.models import Center
from impfportal.urls import urlpatterns as project_urlpatterns


@require_GET
def one_query(request):
    """What every page costs at least: the middleware stack and one query."""
    return HttpResponse(f"{Center.objects.count()} centers", content_type="text/plain")


urlpatterns = [path("bench/one-query/", one_query), *project_urlpatterns]
