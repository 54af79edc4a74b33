"""Fail when a UI string has no German translation.

Source strings are English; German is the primary language, so an
untranslated string would show English to a German user. Three checks:
1. every translatable string in the code is in the German catalogue
   (``makemessages`` is run, and the catalogue restored afterwards),
2. the catalogue has no untranslated or fuzzy entries,
3. the committed .mo file is the compiled .po file.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
STRING = re.compile(r'^(msgctxt|msgid|msgid_plural) "(.*)"$|^"(.*)"$')


def message_ids(po_text: str) -> set[tuple[str, str]]:
    """(context, msgid) of every live entry; the header and obsolete entries are skipped."""
    ids = set()
    for block in po_text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = STRING.match(line)
            if match and match.group(1):
                current = match.group(1)
                fields[current] = match.group(2)
            elif match and current:
                fields[current] += match.group(3)
            elif not line.startswith("#"):
                current = None
        if fields.get("msgid"):
            ids.add((fields.get("msgctxt", ""), fields["msgid"]))
    return ids


def strings_missing_from_catalogue() -> set[tuple[str, str]]:
    known = message_ids(PO.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        backup = Path(tmp) / "django.po"
        shutil.copy2(PO, backup)
        try:
            env = dict(os.environ, DEBUG="true", SMS_BACKEND="sms.backends.memory.MemoryBackend")
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "makemessages",
                    "-l",
                    "de",
                    "--no-obsolete",
                    "--ignore=.venv",
                    "--ignore=node_modules",
                    "--ignore=staticfiles",
                    "--ignore=test-artifacts",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            extracted = message_ids(PO.read_text(encoding="utf-8"))
        finally:
            shutil.copy2(backup, PO)
    return extracted - known


def main() -> None:
    problems = [
        f"not in the German catalogue (run `make messages` and translate): {msgid!r}"
        for _context, msgid in sorted(strings_missing_from_catalogue())
    ]
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        result = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(PO)],
            capture_output=True,
            text=True,
            check=False,
        )
        stats = result.stderr.strip()
        if result.returncode != 0 or "untranslated" in stats or "fuzzy" in stats:
            problems.append(f"{PO.relative_to(ROOT)}: {stats}")
        committed = PO.with_suffix(".mo")
        if not committed.exists() or committed.read_bytes() != compiled.read_bytes():
            problems.append(f"{committed.relative_to(ROOT)} is stale: run `make messages`")
    if problems:
        sys.exit("\n".join(problems))
    print("translations complete")


if __name__ == "__main__":
    main()
