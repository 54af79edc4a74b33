"""A web worker loads its URLconf, templates and translations before it serves
(impfportal/warmup.py, called by impfportal/wsgi.py)."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.template import TemplateSyntaxError

from impfportal.warmup import warm_up


def test_every_template_of_the_project_compiles_at_start_up():
    warm_up()


def test_a_template_that_does_not_compile_stops_the_start(settings, tmp_path):
    (tmp_path / "broken.html").write_text("{% if %}")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path]
    settings.TEMPLATES = templates
    with pytest.raises(TemplateSyntaxError):
        warm_up()


def test_the_wsgi_application_is_warm_before_its_first_request():
    """Importing the WSGI module (what gunicorn does in each worker) has loaded the
    URLconf and compiled the base template: nothing of it waits for a request."""
    probe = (
        "import sys; import impfportal.wsgi; "
        "from django.template import engines; "
        "loader = engines['django'].engine.template_loaders[0]; "
        "print('impfportal.urls' in sys.modules, "
        "any(t.origin.template_name == 'base.html' for t in loader.get_template_cache.values()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    assert result.stdout.split() == ["True", "True"]
