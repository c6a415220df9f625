"""How large the text of a notebook figure is when a phone shows it.

Figures are matplotlib SVGs whose glyphs are paths (``svg.fonttype: path``): each text is a
``<g id="text_N">`` group drawn at ``scale(s -s)``, where ``100·s`` is its font size in points. The page
shows a figure at its natural width (``width`` in pt, 4/3 CSS px per pt) or shrunk to the article's width,
whichever is smaller; at 375 px the article is PHONE_WIDTH CSS px wide.

    python tools/figcheck.py site/**/*.fig*.svg      # or docs/<topic>/<name>.py to run one notebook

prints, for each figure, its smallest text in CSS px at phone width (readable: >= MIN_PX).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PHONE_WIDTH = 343  # CSS px of the article column on a 375 px screen (measured in tests/test_browser.py)
MIN_PX = 9.0

_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)pt"')
_TEXT = re.compile(r'<g id="text_\d+">(.*?)</g>', re.S)
_SCALE = re.compile(r"scale\(([\d.]+) -[\d.]+\)")
_LABEL = re.compile(r"<!-- (.*?) -->")


def text_sizes(svg: str) -> list[tuple[float, str]]:
    """(font size in pt, text) of every text group of a matplotlib SVG."""
    out = []
    for group in _TEXT.finditer(svg):
        body = group.group(1)
        scale = _SCALE.search(body)
        if scale:
            label = _LABEL.search(body)
            out.append((float(scale.group(1)) * 100, label.group(1) if label else ""))
    return out


def natural_width_px(svg: str) -> float:
    m = _WIDTH.search(svg)
    if not m:
        raise ValueError("not a matplotlib SVG: no width in pt")
    return float(m.group(1)) * 4 / 3


def smallest_text_on_phone(svg: str, column: float = PHONE_WIDTH) -> tuple[float, str]:
    """(CSS px, text) of the smallest text when the figure is shown in a `column` px wide article."""
    sizes = text_sizes(svg)
    if not sizes:
        return float("inf"), ""
    width = natural_width_px(svg)
    shrink = min(1.0, column / width)
    pt, label = min(sizes)
    return pt * 4 / 3 * shrink, label


def main(argv: list[str]) -> int:
    bad = 0
    for arg in argv:
        path = Path(arg)
        px, label = smallest_text_on_phone(path.read_text(encoding="utf-8"))
        ok = px >= MIN_PX
        bad += not ok
        print(f"{'ok ' if ok else 'SMALL'} {px:5.1f} px  {path}  (smallest: {label[:40]!r})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
