"""The page checks the browser tests rely on do find what they look for."""

import pytest

from tests.browser.browsing import OVERFLOW_SCRIPT, Browsing, Mode, axe_report

pytestmark = pytest.mark.browser


def test_axe_reports_each_violation_with_its_selector(open_page):
    page = open_page(Mode("checks"))
    page.set_content(
        '<html lang="de"><body><main><h1>Titel</h1>'
        '<img src="data:," id="photo"><p style="color:#bbb">blass</p></main></body></html>'
    )
    report = axe_report(page)
    assert "image-alt" in report
    assert "#photo" in report
    assert "color-contrast" in report


def test_the_reflow_check_finds_sideways_scrolling_and_clipped_content(open_page):
    page = open_page(Mode("checks", width=320))
    page.set_content(
        '<body><div id="wide" style="width:500px">breit</div>'
        '<p id="clipped" style="width:100px;overflow:hidden;white-space:nowrap">'
        "ein langer Satz, der nicht umbricht</p></body>"
    )
    problems = "\n".join(page.evaluate(OVERFLOW_SCRIPT))
    assert "page scrolls sideways" in problems
    assert "div#wide" in problems
    assert "p#clipped cuts off its content" in problems


def test_the_keyboard_check_finds_an_invisible_focus(open_page):
    page = open_page(Mode("checks", keyboard=True))
    page.set_content(
        "<body><style>a:focus-visible { outline: 3px solid #000 }</style>"
        '<a href="#a" id="a">sichtbar</a>'
        '<a href="#b" id="b" style="outline:none">unsichtbar</a></body>'
    )
    browse = Browsing(page, Mode("checks", keyboard=True))
    browse.tab_to(page.locator("#a"))
    with pytest.raises(AssertionError, match="focus is not visible"):
        browse.tab_to(page.locator("#b"))


def test_a_script_error_on_the_page_fails_the_step(open_page):
    page = open_page(Mode("checks"))
    browse = Browsing(page, Mode("checks"))
    page.set_content("<body><script>throw new Error('kaputt')</script></body>")
    with pytest.raises(AssertionError, match="kaputt"):
        browse.step("broken page")
