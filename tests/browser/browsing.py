"""How a test browses: mouse or keyboard only, at a given size, with checks at each step.

Every step saves a screenshot and checks the page: no horizontal scrolling and
nothing cut off, and (when asked) axe-core's WCAG 2.1 A/AA rules. The keyboard
mode reaches every control with Tab alone and checks at every stop that the
focus can be seen.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import SCREENSHOTS

AXE = Axe()
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

# Elements that stick out of the viewport or clip their content. Hidden helpers
# (the skip link off screen, 1-pixel screen-reader texts) are not content, and
# neither is what lies inside a box that scrolls sideways itself (a wide table
# or chart may, WCAG 1.4.10): that box must fit.
OVERFLOW_SCRIPT = """
() => {
  const limit = document.documentElement.clientWidth;
  const problems = [];
  const describe = (el) => {
    const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + classes.filter(Boolean).map((name) => "." + name).join("");
  };
  if (document.documentElement.scrollWidth > limit) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${limit} px`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;
    if (style.position === "absolute" && box.right <= 0) continue;
    const scroller = el.parentElement && el.parentElement.closest(".table-scroll, .chart-scroll");
    if (scroller && ["auto", "scroll"].includes(getComputedStyle(scroller).overflowX)) continue;
    if (box.left < -1 || box.right > limit + 1) {
      const from = Math.round(box.left), to = Math.round(box.right);
      problems.push(`${describe(el)} reaches from ${from} to ${to} px of ${limit}`);
    }
    const clips = ["hidden", "clip"].includes(style.overflowX)
      && !["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      const sizes = `${el.scrollWidth} > ${el.clientWidth} px`;
      problems.push(`${describe(el)} cuts off its content (${sizes})`);
    }
  }
  return problems;
}
"""

# Called on the element the test wants to reach, after each press of Tab.
FOCUS_SCRIPT = """
(target) => {
  const el = document.activeElement;
  const result = {problem: "", reached: el === target, inView: true};
  if (!el || el === document.body) {
    result.problem = "the focus left the page (or nothing has it)";
    return result;
  }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  const what = el.outerHTML.slice(0, 160);
  if (!(outline || shadow)) {
    result.problem = `the focus is not visible on ${what}`;
  } else if (box.width < 2 || box.height < 2) {
    result.problem = `the focused element is too small to see: ${what}`;
  }
  result.inView = box.bottom > 0 && box.top < window.innerHeight
    && box.right > 0 && box.left < window.innerWidth;
  return result;
}
"""

# KERN scrolls smoothly: the focused element arrives in the window a moment later.
IN_VIEW_SCRIPT = """
() => {
  const box = document.activeElement.getBoundingClientRect();
  return box.bottom > 0 && box.top < window.innerHeight
    && box.right > 0 && box.left < window.innerWidth;
}
"""


TARGET_BEFORE_FOCUS_SCRIPT = """el => {
  const focus = document.activeElement;
  if (!focus || focus === document.body) return false;
  return Boolean(focus.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
}"""


@dataclass(frozen=True)
class Mode:
    """One way of using the portal."""

    name: str
    keyboard: bool = False
    width: int = 1280
    height: int = 800
    zoom: float = 1  # 2 = the browser zoomed to 200 %: half the CSS pixels, twice the density
    javascript: bool = True
    locale: str = "de-DE"
    axe: bool = False

    def context_options(self) -> dict:
        return {
            "viewport": {
                "width": round(self.width / self.zoom),
                "height": round(self.height / self.zoom),
            },
            "device_scale_factor": self.zoom,
            "java_script_enabled": self.javascript,
            "locale": self.locale,
        }


def axe_report(page) -> str:
    """Every WCAG 2.1 A/AA violation axe-core finds, with the selectors of the elements."""
    results = AXE.run(page, options=WCAG_21_AA)
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@dataclass
class Browsing:
    page: Page
    mode: Mode
    folder: Path = field(init=False)
    steps: int = field(default=0, init=False)
    checked: list[str] = field(default_factory=list, init=False)
    errors: list[str] = field(default_factory=list, init=False)

    def __post_init__(self):
        # A blocked style or script (the CSP) or a failing script shows up here.
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.folder = SCREENSHOTS / self.mode.name
        for old in self.folder.glob("*.png"):
            old.unlink()

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({self.page.url})")

    def step(self, name: str) -> None:
        """Screenshot and check the page as it is now."""
        assert not self.errors, f"{name} ({self.mode.name}): browser errors {self.errors}"
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.folder / f"{self.steps:02d}-{slug}.png", full_page=True)
        if not self.mode.javascript:
            return  # the checks below run in the page
        problems = self.page.evaluate(OVERFLOW_SCRIPT)
        assert not problems, f"{name} ({self.mode.name}): " + "\n".join(problems)
        if self.mode.axe:
            report = axe_report(self.page)
            assert not report, f"axe-core on {name} ({self.page.url}):\n{report}"
            self.checked.append(self.page.url)

    # --- ways of acting ------------------------------------------------------
    def tab_to(self, locator, *, limit: int = 60) -> None:
        """Press Tab until ``locator`` has the focus; the focus must be visible at every stop.

        On a fresh page whose target is in the main content, the first Tab reaches
        the skip link and Enter jumps over the header, as a keyboard user would.
        """
        target = locator.element_handle()
        fresh = self.page.evaluate("document.activeElement === document.body")
        if fresh and target.evaluate("el => !!el.closest('main')"):
            self.page.keyboard.press("Tab")
            assert self.page.evaluate("document.activeElement.classList.contains('skip-link')")
            self.page.keyboard.press("Enter")
            assert self.page.evaluate("document.activeElement.id") == "main"
        # A target above the focus is reached backwards, as a keyboard user would.
        key = "Shift+Tab" if target.evaluate(TARGET_BEFORE_FOCUS_SCRIPT) else "Tab"
        for _ in range(limit):
            self.page.keyboard.press(key)
            state = target.evaluate(FOCUS_SCRIPT)
            assert not state["problem"], f"{self.mode.name} on {self.page.url}: {state['problem']}"
            if not state["inView"]:
                self.page.wait_for_function(IN_VIEW_SCRIPT, timeout=3000)
            if state["reached"]:
                return
        raise AssertionError(f"{limit} presses of Tab did not reach {locator} on {self.page.url}")

    def activate(self, locator) -> None:
        """Follow a link or press a button."""
        if self.mode.keyboard:
            self.tab_to(locator)
            with self.page.expect_navigation():
                self.page.keyboard.press("Enter")
        else:
            with self.page.expect_navigation():
                locator.click()

    def type_into(self, locator, text: str) -> None:
        if self.mode.keyboard:
            self.tab_to(locator)
            self.page.keyboard.press("ControlOrMeta+a")  # replace what is there
            self.page.keyboard.type(text)
        else:
            locator.click()
            locator.fill(text)

    def choose(self, radio) -> None:
        """Check a radio button. With the keyboard, Tab enters the group at its
        checked button (or the first), and the arrow keys move within it."""
        if not self.mode.keyboard:
            radio.click()
            assert radio.is_checked()
            return
        name = radio.get_attribute("name")
        group = self.page.locator(f"input[type=radio][name='{name}']")
        checked = self.page.locator(f"input[type=radio][name='{name}']:checked")
        self.tab_to(checked if checked.count() else group.first)
        ids = group.evaluate_all("radios => radios.map(radio => radio.id)")
        current = self.page.evaluate("document.activeElement.id")
        forward = ids.index(radio.get_attribute("id")) > ids.index(current)
        key = "ArrowDown" if forward else "ArrowUp"
        for _ in range(len(ids)):
            if radio.evaluate("el => el === document.activeElement"):
                break
            self.page.keyboard.press(key)
        if not radio.is_checked():
            self.page.keyboard.press("Space")
        assert radio.is_checked()
        state = radio.evaluate(FOCUS_SCRIPT)
        assert state["reached"]
        assert not state["problem"], f"{self.mode.name}: {state['problem']}"
