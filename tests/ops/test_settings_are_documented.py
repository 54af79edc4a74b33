"""Every environment variable that impfportal/settings.py reads has a row in
the README's settings table (section "Configuration")."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"env_str", "env_int", "env_bool", "env_list", "getenv"}


def _name_of(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_environ(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def variables_read(source: str) -> set[str]:
    """Names passed to env_*() or os.getenv(), or read from os.environ."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if node.args and (
                called in READERS
                or (called in ("get", "setdefault") and _is_environ(getattr(func, "value", None)))
            ):
                name = _name_of(node.args[0])
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            name = _name_of(node.slice)
        if name:
            names.add(name)
    return names


def documented(readme: str) -> set[str]:
    """The names in the first column of the table under "## Configuration"."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def test_every_setting_read_from_the_environment_is_in_the_readme():
    read = variables_read((ROOT / "impfportal" / "settings.py").read_text())
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "LOG_LEVEL"} <= read  # the parser works
    assert read - documented((ROOT / "README.md").read_text()) == set()


def test_a_setting_missing_from_the_readme_is_noticed():
    source = (ROOT / "impfportal" / "settings.py").read_text()
    source += '\nX = env_int("UNDOCUMENTED_LIMIT", 3)\nY = os.environ["RAW_READ"]\n'
    source += 'Z = os.environ.get("RAW_GET", "")\n'
    missing = variables_read(source) - documented((ROOT / "README.md").read_text())
    assert missing == {"UNDOCUMENTED_LIMIT", "RAW_READ", "RAW_GET"}


def test_a_name_mentioned_elsewhere_in_the_readme_does_not_count():
    readme = "\n## Configuration\n\n| variable | meaning |\n|---|---|\n| `DEBUG` | `LOG_LEVEL` |\n"
    assert documented(readme) == {"DEBUG"}
