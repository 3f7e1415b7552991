"""The Content-Security-Policy allows styles from our own files only (style-src 'self'): an inline ``style``
attribute or ``<style>`` block in a template is refused by the browser and logs a console error on the page."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INLINE_STYLE = re.compile(r"""\sstyle\s*=\s*["']|<style[\s>]""", re.IGNORECASE)
COMMENT = re.compile(r"\{#.*?#\}")


def templates():
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" not in path.parts and "staticfiles" not in path.parts:
            yield path


def test_there_are_templates_to_check():
    assert sum(1 for _ in templates()) > 50


def test_no_template_carries_an_inline_style():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INLINE_STYLE.search(COMMENT.sub("", line))
    ]
    assert offenders == []
