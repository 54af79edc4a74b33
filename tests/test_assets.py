"""The KERN UX files under static/vendor/kern/ are the npm package's, the subset
fonts cover every character the portal shows, and no page loads anything from
another origin (the CSP would block it, and we promise no CDN)."""

import importlib.util
import os
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor" / "kern"


def _build_assets():
    spec = importlib.util.spec_from_file_location("build_assets", ROOT / "scripts/build_assets.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_kern_files_are_what_the_npm_package_gives(tmp_path):
    build_assets = _build_assets()
    if not build_assets.PACKAGE.exists():
        if os.environ.get("CI"):
            pytest.fail("node_modules is missing: make test runs scripts/ensure-browser.sh")
        pytest.skip("node_modules is missing (run `npm ci`)")
    build_assets.build(tmp_path)
    assert build_assets.differences(tmp_path, VENDOR) == []


def test_the_subset_fonts_have_every_character_the_portal_shows():
    shown = ""
    for folder in ("templates", "locale"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".html", ".txt", ".po"}:
                shown += path.read_text()
    shown += (ROOT / "impfportal" / "demo_data.py").read_text()
    needed = {ord(ch) for ch in shown if ch.isprintable() and not ch.isspace()}
    assert {0xDF, 0x201E, 0x2013} <= needed  # ß, „ and the en dash are among them
    for font in (VENDOR / "fonts").glob("*.woff2"):
        missing = needed - set(TTFont(font).getBestCmap())
        assert not missing, f"{font.name} lacks {''.join(sorted(map(chr, missing)))}"


def test_the_fonts_css_declares_only_the_shipped_files():
    css = (VENDOR / "fonts" / "fira-sans.css").read_text()
    declared = set(re.findall(r'url\("([^"]+)"\)', css))
    shipped = {path.name for path in (VENDOR / "fonts").glob("*.woff2")}
    assert declared == shipped
    assert len(shipped) == 2


def test_pages_load_styles_and_scripts_only_from_our_own_origin():
    html = render_to_string("base.html", request=RequestFactory().get("/"))
    sources = re.findall(r'<(?:link|script)[^>]+(?:href|src)="([^"]+)"', html)
    assert len(sources) >= 4
    assert all(src.startswith("/static/") or src == "data:," for src in sources), sources
    for css in [*ROOT.glob("static/**/*.css")]:
        text = css.read_text()
        assert "@import" not in text, css
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), css
