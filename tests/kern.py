"""Whether a page uses KERN UX's markup: a check shared by the page tests."""

from html.parser import HTMLParser

# Classes of the pages written before KERN (static/css/portal.css, "first look").
OLD_CLASSES = {"button", "button-secondary", "notice", "card", "hint", "lead", "radio", "radios"}


class MainTags(HTMLParser):
    """The start tags inside <main>, as (tag, attributes)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        elif self.depth:
            self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1


def main_tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = MainTags()
    parser.feed(html)
    return parser.tags


def kern_problems(html: str) -> list[str]:
    """What on the page is not KERN: returns the offending tags (empty when all is well)."""
    problems = []
    for tag, attrs in main_tags(html):
        classes = set(attrs.get("class", "").split())
        if classes & OLD_CLASSES:
            problems.append(f"<{tag} class='{attrs['class']}'> uses a class of the first look")
        if tag == "a" and not any(name.startswith("kern-") for name in classes):
            problems.append(f"<a href='{attrs.get('href')}'> is not a KERN link or button")
        kind = attrs.get("type")
        if kind in ("checkbox", "radio") and f"kern-form-check__{kind}" not in classes:
            problems.append(f"<input type={kind} name={attrs.get('name')}> is a bare {kind}")
        if tag == "fieldset" and "kern-fieldset" not in classes:
            problems.append("<fieldset> without kern-fieldset")
    return problems
