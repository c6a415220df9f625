"""Typeset every formula at build time with MathJax 3, so readers download no MathJax and see no reflow.

pymdownx.arithmatex (generic) leaves ``<span class="arithmatex">\\(...\\)</span>`` and
``<div class="arithmatex">\\[...\\]</div>`` in the HTML. This hook sends each page's formulas to one
long-lived Node process (``hooks/typeset.js``, MathJax 3.2.2 from the PyPI package
django-static-mathjax) and puts the CHTML output, with its hidden MathML copy for screen readers, in
their place. A formula MathJax cannot parse (unbalanced braces, unknown macro, ...) fails the build
naming the page, the line and the error. Results are cached in ``.cache/mathjax`` by formula text.
The stylesheet ``assets/stylesheets/mathjax.css`` (self-hosted fonts) keeps only the glyph rules of the
characters the site uses: MathJax's full sheet has ~2,800 rules and makes every style recalculation slow.
"""

from __future__ import annotations

import atexit
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

HOOKS = Path(__file__).resolve().parent
sys.path.insert(0, str(HOOKS))
from cachefile import cache_dir, temporary, write_atomic  # noqa: E402
from pages import source_line  # noqa: E402
from vendor import mathjax_dir  # noqa: E402

ROOT = HOOKS.parent
CACHE_DIR = cache_dir("mathjax")
CSS_URI = "assets/stylesheets/mathjax.css"
MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
GLYPH = re.compile(r"mjx-c[0-9A-F]+\b")
PAIR = re.compile(r'<mjx-c class="(mjx-c[0-9A-F]+)(?: (TEX-[A-Z0-9]+))?"')
VARIANT = re.compile(r"\.(TEX-[A-Z0-9]+)\b")
# Widths in em of the math as MathJax measures it: a 375 px phone's article column is 343 px (21.4 em of
# the 16 px body font), a desktop's ~720 px, and the browser draws math ~1.15x the body font.
MATH_SCALE = 1.15
PHONE_COLUMN_EM = 21.4 / MATH_SCALE
DESKTOP_COLUMN_EM = 45.0 / MATH_SCALE
WIDE_INLINE_EM = 15.0 / MATH_SCALE   # an inline formula wider than this gets its own line box
PHONE_HINT_EM = 28.0 / MATH_SCALE    # wider than any screen up to 480 px: the "swipe" hint is certain
OPENERS = set("（“‘《「『【")
CLOSERS = set("，。；：、？！）”’》」』】")
VERSION = hashlib.sha256((HOOKS / "typeset.js").read_bytes()).hexdigest()[:16]


class Typesetter:
    """One Node process per MkDocs process, reused across `mkdocs serve` rebuilds."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.cache_file = CACHE_DIR / f"formulas-{VERSION}.json"
        self.cache: dict[str, list] = {}
        self.dirty = False
        if self.cache_file.is_file():
            self.cache = json.loads(self.cache_file.read_text(encoding="utf-8"))

    def _start(self):
        node = shutil.which("node")
        if node is None:
            raise PluginError("Node.js is required to typeset formulas at build time (install node, then `make setup`)")
        self.proc = subprocess.Popen(
            [node, str(HOOKS / "typeset.js"), str(mathjax_dir())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )
        atexit.register(self.close)

    def ask(self, request: dict) -> dict:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise PluginError("the MathJax typesetter (hooks/typeset.js) stopped unexpectedly")
        return json.loads(line)

    def render(self, items: list[tuple[str, bool]]) -> list[tuple[str, str | None, float]]:
        """(html, error, width in em) of each (tex, display) item."""
        keys = [f"{int(display)}{tex}" for tex, display in items]
        todo = {key: item for item, key in zip(items, keys) if key not in self.cache}
        if todo:
            answer = self.ask({"items": list(todo.values())})
            for key, out, err, width in zip(todo, answer["html"], answer["errors"], answer["widths"]):
                self.cache[key] = [out, err, width]
            self.dirty = True
        return [tuple(self.cache[key]) for key in keys]

    def save(self):
        if self.dirty:
            write_atomic(self.cache_file, json.dumps(self.cache, ensure_ascii=False, sort_keys=True))
            self.dirty = False

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


_typesetter: Typesetter | None = None


def typesetter() -> Typesetter:
    global _typesetter
    if _typesetter is None:
        _typesetter = Typesetter()
    return _typesetter


def split(raw: str) -> tuple[str, bool]:
    """TeX source and display flag of one arithmatex element's text."""
    tex = html.unescape(raw).strip()
    if tex.startswith("\\(") and tex.endswith("\\)"):
        return tex[2:-2], False
    if tex.startswith("\\[") and tex.endswith("\\]"):
        return tex[2:-2], True
    return tex, True  # a bare \begin{...}...\end{...} block


_glyphs: set[str] = set()


def full_stylesheet() -> str:
    css_file = CACHE_DIR / f"mathjax-{VERSION}.css"
    if not css_file.is_file():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        css_file.write_text(typesetter().ask({"css": True})["css"], encoding="utf-8")
    return css_file.read_text(encoding="utf-8")


def css_rules(css: str):
    """(selector, body) of each rule of a flat stylesheet; braces inside strings (content: "{") are text."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    start, quote, selector = 0, None, None
    for i, ch in enumerate(css):
        if quote:
            quote = None if ch == quote and css[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            selector, start = css[start:i], i + 1
        elif ch == "}":
            yield selector.strip(), css[start:i].strip()
            start = i + 1


def used_stylesheet(css: str, glyphs: set[str], pairs: set[tuple[str, str]] | None = None) -> str:
    """The rules of `css` that do not style a glyph outside `glyphs` (nor, given `pairs`, a glyph in a
    font variant the site never uses: `mjx-c.mjx-c41.TEX-FR` is kept only if a Fraktur A is drawn),
    minified."""
    out = []
    for selector, body in css_rules(css):
        used = GLYPH.findall(selector)
        variants = VARIANT.findall(selector) if used else []
        if pairs is not None and variants and not all((g, v) in pairs for g in used for v in variants):
            continue
        if all(g in glyphs for g in used):
            body = " ".join(body.split())
            if selector == "@font-face":
                body += " font-display: swap;"  # show the text while a math font loads
            out.append(" ".join(selector.split()) + "{" + body + "}")
    return "\n".join(out) + "\n"


_pairs: set[tuple[str, str]] = set()


def on_pre_build(config):
    _glyphs.clear()
    _pairs.clear()


CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.S)
RAW_TEX = re.compile(r"\$[^$<\n]{0,40}?\\[A-Za-z]+")


def stray_dollars(content: str, matches, page: Page) -> list[str]:
    """A `$` the reader would see: next to a formula (a `$$` block written inside a paragraph turns into
    `$` + inline formula) or before TeX that was never typeset (a `|` inside a table cell's formula ends
    the cell and the formula with it)."""
    found = []
    for m in matches:
        if content[m.start() - 1:m.start()] == "$" or content[m.end():m.end() + 1] == "$":
            found.append(m.group(2))
    text = CODE.sub("", MATH.sub("", content))
    found += [m.group(0) for m in RAW_TEX.finditer(text)]
    problems = []
    for tex in found:
        probe = html.unescape(tex).strip().strip("$").strip().splitlines()[0][:30]
        line = source_line(page, probe, 0)
        problems.append(f"docs/{page.file.src_uri}:{line}: a '$' is left in the text next to the formula "
                        f"{' '.join(html.unescape(tex).split())[:50]!r} (a $$ block needs a blank line before and "
                        "after it; in a table write \\lvert x\\rvert, not |x|)")
    return problems


def on_page_content(content: str, page: Page, config, files):
    matches = list(MATH.finditer(content))
    if not matches:
        problems = stray_dollars(content, matches, page)
        if problems:
            raise PluginError("\n".join(problems))
        return content
    items = [split(m.group(2)) for m in matches]
    rendered = typesetter().render(items)
    problems = []
    for (tex, _display), (_out, error, _width) in zip(items, rendered):
        if error:
            snippet = " ".join(tex.split())[:70]
            line = source_line(page, tex.strip().splitlines()[0][:30], 0)
            problems.append(f"docs/{page.file.src_uri}:{line}: invalid TeX ({html.unescape(error)}): {snippet}")
    problems += stray_dollars(content, matches, page)
    if problems:
        raise PluginError("\n".join(problems))
    pieces, last = [], 0
    for m, (out, _error, width) in zip(matches, rendered):
        tag = m.group(1)
        cls, extra = "arithmatex", ""
        if tag == "span" and width > WIDE_INLINE_EM:
            cls += " math-wide"  # too wide for a phone's line: its own scroll box (CSS)
        limit = PHONE_COLUMN_EM if tag == "div" else PHONE_COLUMN_EM * 0.98
        if width > limit:
            # it scrolls on a phone (and, past DESKTOP_COLUMN_EM, on a desktop): a visible cue (CSS) and a
            # keyboard stop, so the hidden part can be reached with the arrow keys
            cls += " math-scroll-m" + (" math-scroll-hint" if width > PHONE_HINT_EM else "")
            cls += " math-scroll-d" if width > DESKTOP_COLUMN_EM else ""
            extra = ' tabindex="0" role="group" aria-label="公式较宽，可左右滚动"'
        html_out = f'<{tag} class="{cls}" data-ssr{extra}>{out}</{tag}>'
        before = content[last:m.start()]
        if tag == "span":
            # keep "（" before and "，" "。" ... after an inline formula on its line: no line starts with
            # a closing mark or ends with an opening one next to a formula
            opener = before[-1:] if before[-1:] in OPENERS else ""
            closer = content[m.end():m.end() + 1] if content[m.end():m.end() + 1] in CLOSERS else ""
            if opener or closer:
                before = before[:len(before) - len(opener)]
                html_out = f'<span class="math-nowrap">{opener}{html_out}{closer}</span>'
                pieces += [before, html_out]
                last = m.end() + len(closer)
                continue
        pieces += [before, html_out]
        last = m.end()
    pieces.append(content[last:])
    page.meta["_has_math"] = True
    for out, _error, _width in rendered:
        _glyphs.update(GLYPH.findall(out))
        _pairs.update((g, v) for g, v in PAIR.findall(out) if v)
    return "".join(pieces)


def on_post_page(output: str, page: Page, config):
    if not page.meta.get("_has_math"):
        return output
    depth = page.url.count("/")
    link = f'<link rel="stylesheet" href="{"../" * depth}{CSS_URI}">'
    return output.replace("</head>", link + "\n</head>", 1)


CONTENT = re.compile(r'content:\s*"((?:[^"\\]|\\.)*)"')


def css_string(raw: str) -> str:
    """The text of a CSS string literal: "\\2212" is U+2212, "\\"" a quote."""
    return re.sub(r"\\([0-9A-Fa-f]{1,6}) ?|\\(.)",
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), raw)


FONT_FACE = re.compile(r'font-family:\s*([\w-]+);\s*src:\s*url\("([^"]+\.woff)"\)')
FAMILY = re.compile(r"font-family:\s*MJXZERO,\s*([\w-]+)")


def font_codepoints(css: str) -> dict[str, set[int]]:
    """{font url: characters drawn in it} from a pruned stylesheet. A glyph rule with a variant class
    (`mjx-c.mjx-c1D44E.TEX-I::before`) draws in that variant's family; one without draws in the family of
    the element it sits in, so its character goes to every family; stretchy pieces likewise."""
    family_of = {}  # TEX-I -> MJXTEX-I
    urls = {}       # MJXTEX-I -> url
    contents: list[tuple[str | None, str]] = []
    for selector, body in css_rules(css):
        if selector == "@font-face":
            m = FONT_FACE.search(body)
            if m:
                urls[m.group(1)] = m.group(2)
            continue
        fam = FAMILY.search(body)
        if fam and re.fullmatch(r"\.(TEX-[A-Z0-9]+|MJX-TEX)", selector):
            family_of[selector[1:]] = fam.group(1)
        content = CONTENT.search(body)
        if content:
            variants = VARIANT.findall(selector)
            contents.append((variants[0] if variants else None, css_string(content.group(1))))
    out: dict[str, set[int]] = {url: set() for url in urls.values()}
    for variant, text in contents:
        targets = [urls.get(family_of.get(variant, ""))] if variant else list(urls.values())
        for url in targets:
            if url:
                out[url].update(ord(ch) for ch in text)
    return out


def subset_fonts(css: str, site_dir: Path) -> dict[str, tuple[int, int]]:
    """Cut each math font down to the characters the site draws in it (fonttools), so a reader downloads
    a few KiB per font instead of the whole font. Returns {font: (bytes before, after)}; results are
    cached by font and character set."""
    import logging

    from fontTools import subset

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    css_dir = (site_dir / CSS_URI).parent
    sizes = {}
    for url, chars in sorted(font_codepoints(css).items()):
        font = (css_dir / url).resolve()
        if not font.is_file():
            raise PluginError(f"{CSS_URI}: the math font {url} is missing from the site")
        codepoints = sorted(chars)
        original = font.read_bytes()
        key = hashlib.sha256(original + json.dumps(codepoints).encode()).hexdigest()[:24]
        cached = CACHE_DIR / "fonts" / f"{key}.woff"
        if not cached.is_file():
            options = subset.Options()
            options.flavor = "woff"
            options.layout_features = ["*"]
            options.notdef_outline = True
            options.drop_tables += ["FFTM"]
            tt = subset.load_font(str(font), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=codepoints)
            subsetter.subset(tt)
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = temporary(cached)
            subset.save_font(tt, str(tmp), options)
            tmp.replace(cached)
        font.write_bytes(cached.read_bytes())
        sizes[font.name] = (len(original), font.stat().st_size)
    return sizes


def on_post_build(config):
    typesetter().save()
    target = Path(config["site_dir"]) / CSS_URI
    target.parent.mkdir(parents=True, exist_ok=True)
    css = used_stylesheet(full_stylesheet(), _glyphs, _pairs)
    target.write_text(css, encoding="utf-8")
    subset_fonts(css, Path(config["site_dir"]))
