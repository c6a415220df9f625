"""First-visit transfer of every page of a built site, computed from the files (gzip, as GitHub Pages serves).

    python tools/weight.py SITE_DIR [--top N]

A first visit fetches the page's HTML, its stylesheets and scripts, the favicon, the math fonts its
formulas draw in, and the images among its first blocks (later ones are lazy and load on scroll); the
search index is fetched only when the reader opens search, so it is not counted. The tests require every
page at most BUDGET_KIB and the median at most MEDIAN_KIB; `make bench` prints the table and checks the
figure against Lighthouse's byte count on a few pages.
"""

from __future__ import annotations

import functools
import gzip
import re
import statistics
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

BUDGET_KIB = 200
MEDIAN_KIB = 150
EAGER_BLOCKS = 15  # hooks/pages.py renders the first 15 top-level blocks at once (LAZY_FROM)
TEXT = (".html", ".css", ".js", ".mjs", ".svg", ".json", ".xml", ".txt")
PAIR = re.compile(r'<mjx-c class="mjx-c[0-9A-F]+(?: (TEX-[A-Z0-9]+))?"')


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.depth = 0          # inside <article>: depth of top-level blocks
        self.article = False
        self.blocks = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and ("stylesheet" in (a.get("rel") or "") or a.get("rel") == "icon"):
            self.urls.append(a.get("href", ""))
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "article":
            self.article = True
        elif self.article and tag == "img" and self.blocks <= EAGER_BLOCKS:
            self.urls.append(a.get("src", ""))
        if self.article and tag not in ("img", "br", "hr", "input", "meta", "link", "wbr"):
            if self.depth == 0:
                self.blocks += 1
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.article = False
        elif self.article and self.depth:
            self.depth -= 1


@functools.lru_cache(maxsize=None)
def transfer_bytes(path: Path) -> int:
    data = path.read_bytes()
    return len(gzip.compress(data, 6, mtime=0)) if path.suffix in TEXT else len(data)


@functools.lru_cache(maxsize=None)
def math_fonts(site: Path) -> dict[str, Path]:
    """{variant class ("TEX-I", "" for the default): font file} from the site's math stylesheet."""
    css_file = site / "assets" / "stylesheets" / "mathjax.css"
    if not css_file.is_file():
        return {}
    css = css_file.read_text(encoding="utf-8")
    faces = dict(re.findall(r'@font-face\{font-family: ([\w-]+); src: url\("([^"]+)"\)', css))
    fonts = {}
    for cls, family in re.findall(r"^\.(TEX-[A-Z0-9]+|MJX-TEX)\{font-family: MJXZERO, ([\w-]+);\}", css, re.M):
        if family in faces:
            fonts["" if cls == "MJX-TEX" else cls] = (css_file.parent / faces[family]).resolve()
    if "MJXZERO" in faces:
        fonts["zero"] = (css_file.parent / faces["MJXZERO"]).resolve()
    return fonts


def eager_part(html: str) -> str:
    """The HTML up to the first block marked lazy (hooks/pages.py): what a first visit lays out. Math fonts
    load when a glyph is laid out, so formulas in skipped blocks fetch theirs only on scroll."""
    at = html.find('class="lazy-block')
    return html if at < 0 else html[:at]


def page_weight(site: Path, html_file: Path) -> dict[str, int]:
    """Bytes a first visit of one page transfers, by kind."""
    text = html_file.read_text(encoding="utf-8")
    parser = _Assets()
    parser.feed(text)
    base = "/" + html_file.parent.relative_to(site).as_posix().strip(".") + "/"
    out = {"html": transfer_bytes(html_file), "css": 0, "js": 0, "images": 0, "fonts": 0}
    for url in dict.fromkeys(parser.urls):
        if not url or urlparse(url).scheme in ("http", "https", "data"):
            continue
        target = site / urljoin(base, url.split("?")[0]).lstrip("/")
        if not target.is_file():
            continue
        kind = {".css": "css", ".js": "js", ".mjs": "js"}.get(target.suffix, "images")
        out[kind] += transfer_bytes(target)
    variants = set(PAIR.findall(eager_part(text)))
    if variants:
        fonts = math_fonts(site)
        for key in {*variants, "zero"}:
            if key in fonts:
                out["fonts"] += transfer_bytes(fonts[key])
    out["total"] = sum(out.values())
    return out


def site_weights(site: Path) -> dict[str, dict[str, int]]:
    site = site.resolve()
    rows = {}
    for html in sorted(site.rglob("index.html")):
        if 'http-equiv="refresh"' in html.read_text(encoding="utf-8")[:2000]:
            continue
        rows[html.parent.relative_to(site).as_posix().strip(".") + "/" if html.parent != site else ""] = \
            page_weight(site, html)
    return rows


def main(argv: list[str]) -> int:
    site = Path(argv[0])
    top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 0
    rows = site_weights(site)
    totals = [r["total"] for r in rows.values()]
    order = sorted(rows.items(), key=lambda kv: -kv[1]["total"])
    print(f"{'page':48} {'total':>7} {'html':>6} {'css':>5} {'js':>5} {'fonts':>6} {'img':>5}  (KiB, gzip)")
    for url, r in order[:top] if top else order:
        print(f"{url or '/':48} {r['total'] / 1024:7.0f} {r['html'] / 1024:6.0f} {r['css'] / 1024:5.0f} "
              f"{r['js'] / 1024:5.0f} {r['fonts'] / 1024:6.0f} {r['images'] / 1024:5.0f}")
    print(f"{len(rows)} pages: median {statistics.median(totals) / 1024:.0f} KiB, max {max(totals) / 1024:.0f} KiB "
          f"(budget {BUDGET_KIB}, median {MEDIAN_KIB})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
