"""One PDF of the whole built site, in nav order, for reading offline and on paper.

    python tools/pdf.py [SITE_DIR] [-o OUT.pdf]          (make pdf: SITE_DIR = site, OUT = site/bagu.pdf)

The built pages' articles (formulas typeset at build, diagrams and notebook figures as SVG, tables) are
joined into one print document in nav order, behind a cover and a table of contents, and printed once by
the Chromium the tests use (Playwright's ``page.pdf``, the site's own print stylesheet included). Links
between pages become links inside the PDF; ids that two pages share are made unique. Chromium writes a
named destination for every id some link points at: every question and follow-up heading keeps its
permalink link, so ``bagu.pdf#nameddest=<answer-id>`` opens at that answer, and every page starts at
``pdf-<page-path>``. The table of contents is filled with page numbers from the print's destinations
(the number slots have a fixed width, so filling them moves nothing); only its pages and the first page
after it are printed again (a third of the time of a whole print), the first site page is checked to be
where it was, and the filled pages replace the empty ones. Prints the size, the page count and the time.
Needs the built site (``make build``) and pypdf (requirements.txt).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import html
import http.server
import io
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]
CACHE = ROOT / ".cache" / "pdf"
DOC_PATH = "__bagu_pdf__/"          # where the print document is served (never written to the site)
SKIP_PAGES = {"review/"}            # the review page is a tool (it works in the browser only)


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("tools/pdf.py: Chromium not found: run tools/ensure-debian.sh (make setup) or set CHROMIUM")


# --- The nav ---------------------------------------------------------------------------------------

@dataclass
class Entry:
    src: str
    title: str
    section: list[str]          # nav section titles above the page ("训练技巧", "动手验证")
    url: str = ""
    anchor: str = ""            # the page's own destination in the PDF
    body: str = ""
    questions: list[tuple[str, str]] = field(default_factory=list)   # (id, title)


def src_url(src: str) -> str:
    stem = re.sub(r"\.(md|py)$", "", src)
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def nav_entries(config_file: Path) -> list[Entry]:
    """Every page of mkdocs.yml's nav, in order, with the titles of its sections."""
    from mkdocs.config import load_config

    with contextlib.redirect_stderr(io.StringIO()):
        config = load_config(str(config_file))
    out: list[Entry] = []

    def walk(items, section):
        for item in items:
            if isinstance(item, str):
                out.append(Entry(item, "", section))
                continue
            for title, value in item.items():
                if isinstance(value, list):
                    walk(value, section + [title])
                else:
                    out.append(Entry(value, title, section))

    walk(config["nav"], [])
    for e in out:
        e.url = src_url(e.src)
        e.anchor = "pdf-" + (re.sub(r"[^a-z0-9]+", "-", e.url.lower()).strip("-") or "home")
    return out


# --- One page's article, made part of the print document ------------------------------------------

ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*)</article>', re.S)
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
IDS = re.compile(r'\sid="([^"]+)"')
CODE_ANCHOR = re.compile(r'<a id="__codelineno-[^"]*" name="[^"]*" href="[^"]*"></a>')
DARK_DIAGRAM = re.compile(r'<div class="mermaid-dark"><svg\b.*?</svg></div>', re.S)
ASSISTIVE = re.compile(r"<mjx-assistive-mml\b.*?</mjx-assistive-mml>", re.S)
HEADERLINK = re.compile(r'(<a class="headerlink" href="[^"]*" title="[^"]*">)#(</a>)')
QUESTION = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>\s*<div class="(?:lazy-block )?admonition tip"', re.S)
ATTR_URL = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
ID_REFS = re.compile(r'(\s(?:for|aria-labelledby|aria-describedby|aria-controls)=")([^"]*)(")')


def text_of(fragment: str) -> str:
    fragment = re.sub(r"<(mjx-assistive-mml|button|script|style)\b.*?</\1>", "", fragment, flags=re.S)
    fragment = re.sub(r'<a class="headerlink".*?</a>', "", fragment, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def read_page(site: Path, entry: Entry) -> None:
    path = site / entry.url / "index.html"
    if not path.is_file():
        raise SystemExit(f"tools/pdf.py: {path} is missing: build the site first (make build)")
    m = ARTICLE.search(path.read_text(encoding="utf-8"))
    if not m:
        raise SystemExit(f"tools/pdf.py: {path}: no <article> found")
    body = m.group(1)
    body = CODE_ANCHOR.sub("", body)           # per-line anchors: thousands of useless destinations
    body = DARK_DIAGRAM.sub("", body)          # paper gets the light palette only
    body = ASSISTIVE.sub("", body)             # the hidden MathML copies (the PDF has the glyphs)
    body = HEADERLINK.sub(r"\1\2", body)       # permalinks stay (they make the destinations), empty
    body = body.replace("<details ", "<details open ").replace("<details>", "<details open>")
    body = body.replace('loading="lazy"', 'loading="eager"')
    entry.body = body
    if not entry.title:
        h1 = H1.search(body)
        entry.title = text_of(h1.group(1)) if h1 else entry.src
    entry.questions = [(qid, text_of(title)) for qid, title in QUESTION.findall(body)]


def assign_ids(entries: list[Entry]) -> dict[str, dict[str, str]]:
    """Per page: id -> id in the print document. Question and follow-up ids are unique site-wide and
    keep their names; an id a previous page already used gets the page's prefix."""
    used: set[str] = {e.anchor for e in entries}
    out: dict[str, dict[str, str]] = {}
    for e in entries:
        mapping = {}
        for i in dict.fromkeys(IDS.findall(e.body)):
            new = i if i not in used else f"{e.anchor}--{i}"
            used.add(new)
            mapping[i] = new
        out[e.url] = mapping
    return out


def rewrite(entry: Entry, ids: dict[str, dict[str, str]], by_url: dict[str, Entry], site_url: str) -> str:
    """The article with its ids unique in the document, links between pages turned into links inside the
    PDF, links to files the PDF does not hold (notebooks to download, the review page) made absolute on
    the published site, and images loaded from the local server."""
    own = ids[entry.url]
    renamed = {k: v for k, v in own.items() if k != v}
    body = entry.body
    if renamed:
        body = IDS.sub(lambda m: f' id="{html.escape(own.get(html.unescape(m.group(1)), m.group(1)), quote=True)}"'
                       if html.unescape(m.group(1)) in renamed else m.group(0), body)
        body = ID_REFS.sub(lambda m: m.group(1) + " ".join(html.escape(renamed.get(html.unescape(t), t), quote=True)
                                                           for t in m.group(2).split()) + m.group(3), body)

    def link(m):
        value = html.unescape(m.group(2))
        if value.startswith(("http://", "https://", "mailto:", "data:")):
            return m.group(0)
        if value.startswith("#"):
            frag = unquote(value[1:])
            target = own.get(frag, frag)
            return f"{m.group(1)}#{html.escape(target, quote=True)}{m.group(3)}"
        absolute = urljoin("/" + entry.url, value)
        parsed = urlparse(absolute)
        path = parsed.path.lstrip("/")
        if m.group(1).strip().startswith("src"):
            return f"{m.group(1)}/{html.escape(path, quote=True)}{m.group(3)}"
        key = path if path.endswith("/") or path == "" else path + "/"
        target = by_url.get(key) if not re.search(r"\.[a-z0-9]+$", path) else None
        if target is not None:
            frag = unquote(parsed.fragment)
            dest = ids[target.url].get(frag, target.anchor) if frag else target.anchor
            return f"{m.group(1)}#{html.escape(dest, quote=True)}{m.group(3)}"
        published = site_url + path + (f"#{parsed.fragment}" if parsed.fragment else "")
        return f"{m.group(1)}{html.escape(published, quote=True)}{m.group(3)}"

    return ATTR_URL.sub(link, body)


# --- The document -------------------------------------------------------------------------------------

PDF_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm; }
html, body { background: #fff; }
body { margin: 0; }
.md-typeset { font-size: .68rem; }
.pdf-page { break-before: page; }
.pdf-cover { height: 230mm; display: flex; flex-direction: column; justify-content: center; }
.pdf-cover h1 { font-size: 3em; font-weight: 700; color: #303f9f; margin: 0 0 .4em; }
.pdf-cover p { font-size: 1.2em; color: #444; max-width: 32em; }
.pdf-cover .pdf-cover__facts { font-size: .9em; color: #666; }
.pdf-toc { break-before: page; }
.pdf-toc h1 { margin-bottom: .8em; }
.pdf-toc .toc-section { margin: 1.2em 0 .3em; font-weight: 700; font-size: 1.15em; break-after: avoid; }
.pdf-toc .toc-sub { margin: .6em 0 .2em 1.2em; font-weight: 700; color: #555; break-after: avoid; }
.pdf-toc a { display: flex; align-items: baseline; gap: .4em; color: inherit; text-decoration: none; line-height: 1.5;
  break-inside: avoid; }
.pdf-toc a .t { flex: 0 1 auto; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.pdf-toc a .d { flex: 1 1 auto; border-bottom: .08em dotted #999; min-width: 1em; transform: translateY(-.3em); }
.pdf-toc a .n { flex: 0 0 3.2em; text-align: right; font-variant-numeric: tabular-nums; }
.pdf-toc .toc-page { margin-left: 0; font-weight: 600; }
.pdf-toc .toc-q { margin-left: 1.4em; font-size: .92em; }
.pdf-toc .toc-nb { margin-left: 1.2em; font-size: .92em; }
.pdf-section-title { display: none; }
"""

FOOTER = ('<div style="width:100%;font-size:8px;color:#666;padding:0 15mm;display:flex;justify-content:space-between;'
          'font-family:\'Noto Sans CJK SC\',sans-serif"><span>{site}</span>'
          '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


def head_links(site: Path, first: Entry) -> str:
    """The site's stylesheets (Material, palette, the site's own, the math fonts, print.css), root-absolute."""
    text = (site / first.url / "index.html").read_text(encoding="utf-8")
    head = text[: text.index("</head>")]
    links = []
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', head):
        links.append(f'<link rel="stylesheet" href="/{urljoin("/" + first.url, href).lstrip("/")}">')
    return "\n".join(links)


def toc(entries: list[Entry]) -> str:
    """Cover-to-end contents: sections, pages and their questions, each a link with a page-number slot
    (filled after the first print, see FILL)."""
    def row(cls, dest, title):
        d = html.escape(dest, quote=True)
        return (f'<a class="{cls}" href="#{d}" data-dest="{d}"><span class="t">{html.escape(title)}</span>'
                f'<span class="d"></span><span class="n"></span></a>')

    out, last = ['<nav class="pdf-toc md-typeset" aria-label="目录"><h1 id="pdf-toc">目录</h1>'], None
    for e in entries:
        top = e.section[0] if e.section else ""
        sub = e.section[1] if len(e.section) > 1 else ""
        if top != last:
            out.append(f'<div class="toc-section">{html.escape(top)}</div>')
            last, last_sub = top, ""
        if sub and sub != last_sub:
            out.append(f'<div class="toc-sub">{html.escape(sub)}</div>')
            last_sub = sub
        out.append(row("toc-nb" if sub else "toc-page", e.anchor, e.title))
        out.extend(row("toc-q", qid, title) for qid, title in e.questions)
    out.append("</nav>")
    return "\n".join(out)


def document(entries, bodies, head, meta) -> str:
    questions = sum(len(e.questions) for e in entries)
    cover = (f'<section class="pdf-cover md-typeset"><h1>{html.escape(meta["site_name"])}</h1>'
             f'<p>{html.escape(meta["description"])}</p>'
             f'<p class="pdf-cover__facts">{len(entries)} 页 · {questions} 道题 · {html.escape(meta["date"])} · '
             f'{html.escape(meta["site_url"])}</p><p class="pdf-cover__facts"><a href="#pdf-toc">目录</a></p></section>')
    pages = "\n".join(f'<section class="pdf-page md-typeset" id="{e.anchor}">\n{b}\n</section>'
                      for e, b in zip(entries, bodies))
    return ("<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(meta['site_name'])}</title><link rel=\"icon\" href=\"data:,\">\n{head}\n<style>{PDF_CSS}</style></head>\n"
            '<body dir="ltr" data-md-color-scheme="default" data-md-color-primary="indigo" data-md-color-accent="indigo">\n'
            f"{cover}\n{toc(entries)}\n{pages}\n</body></html>\n")


# --- Printing ------------------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site: Path):
    handler = functools.partial(_Quiet, directory=str(site))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


READY = """() => document.fonts.ready.then(() => Promise.all([...document.images].map((img) =>
  img.complete ? true : new Promise((resolve) => { img.onload = img.onerror = resolve; })))).then(() =>
  [...document.images].filter((img) => !img.naturalWidth).map((img) => img.getAttribute('src')))"""


def load(page, base: str, doc: str) -> None:
    url = base + DOC_PATH
    page.route(url, lambda route: route.fulfill(status=200, body=doc, content_type="text/html; charset=utf-8"))
    page.goto(url, wait_until="load", timeout=900_000)
    broken = page.evaluate(READY)
    if broken:
        raise SystemExit(f"tools/pdf.py: images that did not load: {broken[:5]}")


def print_pdf(page, site_name: str, pages: str = "") -> bytes:
    """The loaded document printed, whole or only `pages` ("2-8", 1-based)."""
    # untagged: a tagged PDF of this document is 3x the size (a structure element per formula glyph) and
    # slow to post-process; the outline is added from the named destinations instead (finish)
    return page.pdf(format="A4", print_background=True, display_header_footer=True, page_ranges=pages,
                    header_template="<span></span>", footer_template=FOOTER.format(site=html.escape(site_name)),
                    margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})


FILL = """(numbers) => { for (const a of document.querySelectorAll('.pdf-toc a[data-dest]')) {
  const n = numbers[a.dataset.dest]; a.querySelector('.n').textContent = n ? String(n) : ''; } }"""


def destinations(pdf: bytes) -> tuple[dict[str, int], int]:
    """Named destination -> page number (1-based), and the page count."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    out = {}
    for name, dest in reader.named_destinations.items():
        out[str(name).lstrip("/")] = reader.get_destination_page_number(dest) + 1
    return out, len(reader.pages)


_TEXT_OPS = re.compile(rb"/([^\s/]+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\bET\b")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_BFRANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _to_unicode(font) -> dict[bytes, str]:
    """code -> text of one font's ToUnicode CMap (bfchar and bfrange)."""
    out: dict[bytes, str] = {}
    if "/ToUnicode" not in font:
        return out
    cmap = font["/ToUnicode"].get_object().get_data()
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in _BFRANGE.findall(block):
            width, first = len(lo) // 2, bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code.to_bytes(width, "big")] = first[:-1] + chr(ord(first[-1]) + i)
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in _BFCHAR.findall(block):
            out[bytes.fromhex(src.decode())] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    return out


def page_texts(reader) -> list[str]:
    """The text of every page, NFKC-normalised (Noto CJK's ToUnicode maps some glyphs to Kangxi radicals,
    "⼯" for "工"), one text run per line. Chromium writes the CJK fonts as Type 3 fonts with one-byte
    codes and simple BT/Tf/Td/Tj/ET text, which this reads at about 100 pages a second; pypdf's
    extract_text takes one to two seconds per page of it."""
    import unicodedata

    cmaps: dict = {}
    texts = []
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        codes, width, out = {}, 1, []
        for name, hexcodes in ((m.group(1), m.group(2)) for m in _TEXT_OPS.finditer(data)):
            if name is not None:
                ref = fonts.get("/" + name.decode("latin-1"))
                key = getattr(ref, "idnum", None) or id(ref)
                if key not in cmaps:
                    cmaps[key] = _to_unicode(ref.get_object()) if ref is not None else {}
                codes = cmaps[key]
                width = len(next(iter(codes), b"x"))
            elif hexcodes is not None:
                raw = bytes.fromhex(hexcodes.decode())
                out.append("".join(codes.get(raw[i:i + width], "") for i in range(0, len(raw), width)))
            else:
                out.append("\n")
        texts.append(unicodedata.normalize("NFKC", "".join(out)))
    return texts


def outline_items(entries: list[Entry]) -> list[tuple[int, str, str]]:
    """(depth, title, destination) of the PDF's bookmarks: sections, pages, questions."""
    items, last = [], [None, None]
    for e in entries:
        top = e.section[0] if e.section else ""
        sub = e.section[1] if len(e.section) > 1 else ""
        if top != last[0]:
            items.append((0, top, e.anchor))
            last = [top, None]
        depth = 1
        if sub:
            if sub != last[1]:
                items.append((1, sub, e.anchor))
                last[1] = sub
            depth = 2
        items.append((depth, e.title, e.anchor))
        items.extend((depth + 1, title, qid) for qid, title in e.questions)
    return items


def finish(pdf: bytes, toc: bytes, toc_page: int, items: list[tuple[int, str, str]]) -> bytes:
    """The whole print with its table-of-contents pages (from `toc_page`, 1-based) drawn as in `toc`, the
    second print of those pages with their numbers filled in (their link areas are the same: the numbers
    only fill fixed slots), and bookmarks that open at the named destinations; appended as one incremental
    update (the printed objects are kept byte for byte, so this takes seconds, not minutes)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit, NameObject

    reader = PdfReader(io.BytesIO(pdf))
    dests = {str(k).lstrip("/"): v for k, v in reader.named_destinations.items()}
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    filled = PdfReader(io.BytesIO(toc))
    for i, source in enumerate(filled.pages[:-1]):  # the last page printed is the first site page, a check
        target = writer.pages[toc_page - 1 + i]
        for key in ("/Contents", "/Resources"):
            target[NameObject(key)] = source.raw_get(key).clone(writer)
    parents: list = []
    for depth, title, dest in items:
        d = dests[dest]
        page = reader.get_destination_page_number(d)
        fit = Fit.xyz(left=d.get("/Left"), top=d.get("/Top"), zoom=None)
        del parents[depth:]
        parent = parents[depth - 1] if depth and parents else None
        parents.append(writer.add_outline_item(title=title, page_number=page, parent=parent, fit=fit,
                                               is_open=depth == 0))
    writer.page_mode = "/UseOutlines"
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def site_key(site: Path, config_file: Path) -> str:
    """A hash of everything the PDF is made from: this tool, the nav and every file of the built site."""
    h = hashlib.sha256(Path(__file__).read_bytes() + config_file.read_bytes())
    for path in sorted(p for p in site.rglob("*") if p.is_file() and p.suffix != ".pdf"):
        h.update(path.relative_to(site).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def build(site: Path, out: Path, config_file: Path = ROOT / "mkdocs.yml", quiet: bool = False,
          cache: Path | None = CACHE) -> dict:
    """Print the PDF of `site` to `out` and return its figures. With `cache`, a PDF printed before from
    the very same site and tool is reused (the figures are kept beside it)."""
    start = time.monotonic()
    key = site_key(site, config_file) if cache else ""
    if cache and (cache / f"{key}.pdf").is_file() and (cache / f"{key}.json").is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache / f"{key}.pdf", out)
        figures = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
        if not quiet:
            print(f"{out}: {figures['pages']} pages, {figures['bytes'] / 1024 / 1024:.1f} MiB (unchanged site: from "
                  f"{cache.relative_to(ROOT) if cache.is_relative_to(ROOT) else cache}, printed in {figures['seconds']} s)")
        return figures
    try:
        import pypdf  # noqa: F401
    except ImportError:
        raise SystemExit("tools/pdf.py: pypdf is missing: run `make setup` (it is pinned in requirements.txt)") from None
    from playwright.sync_api import sync_playwright

    entries = [e for e in nav_entries(config_file) if e.url not in SKIP_PAGES]
    for e in entries:
        read_page(site, e)
    by_url = {e.url: e for e in entries}
    ids = assign_ids(entries)
    home = (site / "index.html").read_text(encoding="utf-8")
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', home)
    site_url = canonical.group(1) if canonical else "/"
    site_name = re.search(r'<meta property="og:site_name" content="([^"]*)"', home)
    description = re.search(r'<meta name="description" content="([^"]*)"', home)
    stamp = os.environ.get("SOURCE_DATE_EPOCH")
    meta = {"site_name": html.unescape(site_name.group(1)) if site_name else "八股笔记",
            "description": html.unescape(description.group(1)) if description else "",
            "site_url": site_url,
            "date": time.strftime("%Y-%m-%d", time.gmtime(int(stamp) if stamp else None))}
    bodies = [rewrite(e, ids, by_url, site_url) for e in entries]
    head = head_links(site, entries[0])
    wanted = [e.anchor for e in entries] + [q for e in entries for q, _ in e.questions]

    timings = {}
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            t = time.monotonic()
            load(page, base, document(entries, bodies, head, meta))
            timings["layout"] = time.monotonic() - t
            t = time.monotonic()
            pdf = print_pdf(page, meta["site_name"])
            timings["print"] = time.monotonic() - t
            found, count = destinations(pdf)
            missing = [w for w in wanted if w not in found]
            if missing:
                raise SystemExit(f"tools/pdf.py: no PDF destination for {len(missing)} ids, e.g. {missing[:5]}")
            numbers = {w: found[w] for w in wanted}
            toc_page, first = found["pdf-toc"], numbers[entries[0].anchor]
            page.evaluate(FILL, numbers)   # the page numbers change no layout: slots of fixed width
            t = time.monotonic()
            toc = print_pdf(page, meta["site_name"], f"{toc_page}-{first}")
            timings["contents"] = time.monotonic() - t
            again, printed = destinations(toc)
            if printed != first - toc_page + 1 or again.get(entries[0].anchor) != printed:
                raise SystemExit(f"tools/pdf.py: filling in the contents' page numbers moved the first site page "
                                 f"(page {first} before; the contents from page {toc_page} now take "
                                 f"{again.get(entries[0].anchor, '?')} pages to reach it)")
        finally:
            browser.close()
    t = time.monotonic()
    pdf = finish(pdf, toc, toc_page, outline_items(entries))
    timings["outline"] = time.monotonic() - t
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    figures = {"pages": count, "bytes": len(pdf), "seconds": round(time.monotonic() - start, 1),
               "site_pages": len(entries), "questions": sum(len(e.questions) for e in entries),
               "destinations": len(found), "contents_pages": first - toc_page,
               "timings": {k: round(v, 1) for k, v in timings.items()}}
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("*.pdf"):
            old.unlink()
            old.with_suffix(".json").unlink(missing_ok=True)
        (cache / f"{key}.pdf").write_bytes(pdf)
        (cache / f"{key}.json").write_text(json.dumps(figures), encoding="utf-8")
    if not quiet:
        print(f"{out}: {count} pages, {len(pdf) / 1024 / 1024:.1f} MiB, {len(entries)} site pages, "
              f"{figures['questions']} questions, {len(found)} named destinations, "
              f"{figures['contents_pages']} contents pages, {figures['seconds']} s "
              f"({', '.join(f'{k} {v} s' for k, v in figures['timings'].items())})")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="site", type=Path, help="the built site (default: site)")
    parser.add_argument("-o", "--output", type=Path, help="the PDF (default: SITE/bagu.pdf)")
    parser.add_argument("--no-cache", action="store_true", help="print even if the site has not changed")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"tools/pdf.py: {args.site}/index.html not found: build the site first (make build)", file=sys.stderr)
        return 2
    build(args.site, args.output or args.site / "bagu.pdf", cache=None if args.no_cache else CACHE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
