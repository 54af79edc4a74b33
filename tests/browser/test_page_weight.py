"""Page weight of the start page with the 50 demo centers, served as in production:
static files collected with hashed names and precompressed (WhiteNoise's
CompressedManifestStaticFilesStorage), HTML compressed by the reverse proxy.

Budget: the start page's HTML at most 15 KB compressed; a first visit at most
100 KB in all (HTML, CSS, fonts, script); a repeat visit fetches only the HTML.
The figures are printed and written to test-artifacts/page-weight.txt.
"""

import gzip
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser.browsing import Mode
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTML_BUDGET = 15_000
FIRST_VISIT_BUDGET = 100_000
ONE_YEAR = 365 * 24 * 60 * 60
HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
# The level our reverse proxy compresses HTML with, as deploy/Caddyfile sets it.
CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
_GZIP = re.search(r"\bgzip (\d)", CADDYFILE.read_text())
assert _GZIP, "deploy/Caddyfile sets no gzip level"
PROXY_GZIP_LEVEL = int(_GZIP.group(1))


@pytest.fixture
def production_static(settings, tmp_path):
    """Collect the public pages' static files as the Docker image does."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"])


@pytest.fixture
def production_server(production_static, server):
    call_command("load_demo_data", stdout=StringIO())
    return server


def test_the_start_page_is_light_and_a_repeat_visit_fetches_only_the_html(
    production_server, open_page
):
    page = open_page(Mode("page-weight"))
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    start = reverse("centers:start")

    page.goto(production_server.url + start)
    page.evaluate("document.fonts.ready.then(() => null)")
    page.wait_for_load_state("networkidle")

    lines = [
        "First visit of the start page (50 centers), bytes over the wire,",
        "as sent to Chromium and as a browser that only speaks gzip would get them:",
    ]
    total = gzip_total = fonts = 0
    for request in finished:
        response = request.response()
        path = request.url.removeprefix(production_server.url)
        headers = response.all_headers()
        body = response.body()
        if request.resource_type == "document":
            size = gzip_size = len(gzip.compress(body, PROXY_GZIP_LEVEL))
            assert size <= HTML_BUDGET, f"start page HTML: {size} bytes compressed"
            what = f"HTML, {len(body)} raw, gzip by the proxy"
        else:
            size = request.sizes()["responseBodySize"]
            encoding = headers.get("content-encoding", "none")
            # WhiteNoise precompresses with gzip level 9; fonts are compressed already.
            gzip_size = size if encoding == "none" else len(gzip.compress(body, 9))
            what = f"{request.resource_type}, {encoding}"
            assert HASHED.search(path.split("?")[0]), f"{path} has no hashed name"
            cache = headers.get("cache-control", "")
            max_age_match = re.search(r"max-age=(\d+)", cache)
            assert max_age_match, f"{path}: {cache}"
            max_age = int(max_age_match.group(1))
            assert max_age >= ONE_YEAR, f"{path}: {cache}"
            assert "immutable" in cache, f"{path}: {cache}"
            if request.resource_type in {"stylesheet", "script"}:
                assert encoding in {"gzip", "br", "zstd"}, f"{path} is sent uncompressed"
            fonts += request.resource_type == "font"
        total += size
        gzip_total += gzip_size
        lines.append(f"  {size:>7} {gzip_size:>7}  {path} ({what})")
    lines.append(f"  {total:>7} {gzip_total:>7}  in all (budget {FIRST_VISIT_BUDGET})")
    assert 1 <= fonts <= 2, f"{fonts} font files loaded"
    assert max(total, gzip_total) <= FIRST_VISIT_BUDGET, "\n".join(lines)

    production_server.log.paths.clear()
    page.goto(production_server.url + start)
    page.wait_for_load_state("networkidle")
    repeat = list(production_server.log.paths)
    lines.append(f"Repeat visit: the server was asked for {repeat}")
    assert repeat == [start], "a repeat visit fetched more than the HTML"

    report = "\n".join(lines)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-weight.txt").write_text(report + "\n")
    print(report)
