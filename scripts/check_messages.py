"""Fail when the German catalogue has untranslated or fuzzy entries, or its
committed .mo file does not match the .po file.

Source strings are English; German is the primary language, so an
untranslated string would show English to a German user.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = [ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"]

problems = []
for po in CATALOGUES:
    with tempfile.TemporaryDirectory() as tmp:
        compiled = Path(tmp) / "django.mo"
        result = subprocess.run(
            ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(po)],
            capture_output=True,
            text=True,
            check=False,
        )
        stats = result.stderr.strip()
        if result.returncode != 0 or "untranslated" in stats or "fuzzy" in stats:
            problems.append(f"{po.relative_to(ROOT)}: {stats}")
        committed = po.with_suffix(".mo")
        if not committed.exists() or committed.read_bytes() != compiled.read_bytes():
            problems.append(f"{committed.relative_to(ROOT)} is stale: run `make messages`")
if problems:
    sys.exit("\n".join(problems))
print("translations complete")
