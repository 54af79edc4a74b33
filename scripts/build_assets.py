"""Copy KERN UX's CSS and a Latin subset of its fonts from node_modules into static/vendor/kern/.

Run it through `make assets` (which runs `npm ci` first). The output is committed,
so that `make run` and the Docker image need neither Node nor fontTools.

Why subset: each of KERN's Fira Sans files is about 130 KB, more than the whole
first visit may weigh (100 KB). The pages are German and English, and residents'
names come from all over Europe, so we keep Basic Latin, Latin-1, Latin
Extended-A and the typographic punctuation German uses (about 13 KB a weight).
A character outside that range falls back to the system's sans-serif font
(``unicode-range`` tells the browser so). Only two weights are shipped:
regular (400) for text and semi-bold (600) for headings, labels and buttons;
portal.css maps KERN's few 500-weight styles to 600.

``--check`` builds into a temporary folder and fails when the committed files
differ, so a test can prove the committed files are what the package gives.
"""

import argparse
import filecmp
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "node_modules" / "@kern-ux" / "native"
TARGET = ROOT / "static" / "vendor" / "kern"

UNICODE_RANGE = (
    "U+0020-007E, U+00A0-017F, U+2010-2015, U+2018-201E, U+2020-2022, U+2026, "
    "U+2030, U+2039-203A, U+20AC, U+2122, U+2212"
)
WEIGHTS = {400: "Regular", 600: "SemiBold"}
LAYOUT_FEATURES = "kern,liga,lnum,tnum,case"


def _subset_font(source: Path, target: Path) -> None:
    from fontTools import subset  # only needed for building, not for running

    logging.getLogger("fontTools").setLevel(logging.ERROR)

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = LAYOUT_FEATURES.split(",")
    options.hinting = False
    options.desubroutinize = True
    options.name_IDs = ["*"]  # keep the copyright and licence entries (SIL OFL)
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(UNICODE_RANGE.replace(" ", "")))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def _font_css(version: str) -> str:
    faces = [
        f"/* Fira Sans (SIL Open Font License 1.1) from @kern-ux/native {version}, "
        f"subset by scripts/build_assets.py. */"
    ]
    for weight, name in WEIGHTS.items():
        faces.append(
            "@font-face {\n"
            '  font-family: "Fira Sans";\n'
            f'  src: url("FiraSans-{name}-latin.woff2") format("woff2");\n'
            f"  font-weight: {weight};\n"
            "  font-style: normal;\n"
            "  font-display: swap;\n"
            f"  unicode-range: {UNICODE_RANGE};\n"
            "}"
        )
    return "\n".join(faces) + "\n"


def build(target: Path) -> None:
    if not PACKAGE.exists():
        sys.exit("node_modules/@kern-ux/native is missing: run `npm ci` first (or `make assets`).")
    version = json.loads((PACKAGE / "package.json").read_text())["version"]
    (target / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PACKAGE / "dist" / "kern.min.css", target / "kern.min.css")
    shutil.copyfile(PACKAGE / "LICENSE.md", target / "LICENSE.md")
    (target / "VERSION").write_text(f"@kern-ux/native {version}\n")
    for name in WEIGHTS.values():
        _subset_font(
            PACKAGE / "dist" / "fonts" / "fira-sans" / f"FiraSans-{name}.woff2",
            target / "fonts" / f"FiraSans-{name}-latin.woff2",
        )
    (target / "fonts" / "fira-sans.css").write_text(_font_css(version))


def differences(left: Path, right: Path) -> list[str]:
    """Relative paths that are missing on one side or differ in content."""
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    names |= {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    return sorted(
        str(name)
        for name in names
        if not (left / name).is_file()
        or not (right / name).is_file()
        or not filecmp.cmp(left / name, right / name, shallow=False)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    if not args.check:
        if TARGET.exists():
            shutil.rmtree(TARGET)
        build(TARGET)
        print(f"KERN assets written to {TARGET.relative_to(ROOT)}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        changed = differences(Path(tmp), TARGET)
    if changed:
        sys.exit(f"static/vendor/kern differs from the package (run `make assets`): {changed}")
    print("static/vendor/kern matches @kern-ux/native")


if __name__ == "__main__":
    main()
