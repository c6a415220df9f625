"""Take the site along: link-preview cards, ``robots.txt`` and the review page's question index.

* **Cards.** Every page gets a 1200 x 630 PNG (``assets/cards/<page>.png``) drawn at build time with
  Pillow from the page's title and topic, in Noto Sans CJK (Debian's ``fonts-noto-cjk``, installed by
  ``tools/ensure-debian.sh``; no web font). ``overrides/main.html`` writes the ``og:image`` /
  ``twitter:image`` tags from ``page.meta.og_image`` (an absolute URL under ``site_url``). A card's bytes
  depend only on its text, the font files, Pillow's version and ``DESIGN``: it is drawn once and kept in
  ``.cache/cards/`` under the hash of those. Each is a palette PNG of at most ``MAX_BYTES``.
* **robots.txt** beside ``sitemap.xml``, naming it.
* **assets/review-index.json** for the review page (``docs/review.md``, ``assets/javascripts/review.js``):
  every question (a ``##`` that opens with the one-sentence answer) in nav order with its title, its
  one-sentence answer as plain text, its page, topic and tags, and the id redirects of ``redirects.yml``
  (old id -> new id), so marks keyed by id follow a renamed question. Only the review page fetches it.
  A page that a redirected id now points into also carries that small map (``#review-redirects``), so
  the marks shown beside its answers follow the rename too.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.cards")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
from cachefile import write_atomic  # noqa: E402
from pages import without_code  # noqa: E402

CACHE = ROOT / ".cache" / "cards"
SEARCH_CORE = ROOT / "docs" / "assets" / "javascripts" / "search-core.mjs"
REDIRECTS = ROOT / "redirects.yml"

DESIGN = "cards-v1"          # bump when the drawing below changes: every cached card is redrawn
WIDTH, HEIGHT = 1200, 630
MAX_BYTES = 100 * 1024
CARD_DIR = "assets/cards"
INDEX_PATH = "assets/review-index.json"

# colours: the site's indigo primary, white text, muted labels
BG = (48, 63, 159)          # indigo 700
BAND = (40, 53, 147)        # indigo 800
FG = (255, 255, 255)
MUTED = (197, 202, 233)     # indigo 100
ACCENT = (255, 213, 79)     # amber 300, the one bright mark

_fonts: dict[str, tuple[str, int]] = {}
_font_key = ""
_questions: dict[str, list[dict]] = {}   # page src -> questions, in page order
_cards: dict[str, int] = {}              # card path -> bytes (for the build summary)


# --- Fonts ---------------------------------------------------------------------------------------

def find_font(style: str) -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK SC in the given style, from fontconfig."""
    pattern = "Noto Sans CJK SC" + (":bold" if style == "bold" else ":regular")
    fc = shutil.which("fc-match")
    if fc is None:
        raise PluginError("hooks/cards.py: fontconfig's fc-match is missing; run tools/ensure-debian.sh "
                          "(the README's `make setup` does) to install fonts-noto-cjk")
    out = subprocess.run([fc, "-f", "%{file}\t%{index}\t%{family}", pattern], capture_output=True, text=True).stdout
    parts = out.split("\t")
    if len(parts) < 3 or "Noto Sans CJK" not in parts[2] or not Path(parts[0]).is_file():
        raise PluginError(f"hooks/cards.py: the font Noto Sans CJK SC ({style}) is not installed (fc-match gave "
                          f"{out or 'nothing'!r}); run tools/ensure-debian.sh, which installs fonts-noto-cjk")
    return parts[0], int(parts[1] or 0)


def font_fingerprint(fonts: dict[str, tuple[str, int]]) -> str:
    h = hashlib.sha256()
    for style in sorted(fonts):
        path, index = fonts[style]
        h.update(f"{style}:{index}:".encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# --- Drawing -------------------------------------------------------------------------------------

NO_LINE_START = set("，。、；：？！）》」』】〉”’%,.;:?!)]}…·")
NO_LINE_END = set("（《「『【〈“‘([{")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+\-_/'’²³√]*|\s+|.", re.S)


def wrap(text: str, font, width: float) -> list[str]:
    """Lines of `text` no wider than `width`: Latin words stay whole, Chinese breaks between characters,
    closing punctuation never starts a line and opening punctuation never ends one."""
    lines, line = [], ""
    for token in TOKEN.findall(text):
        if token.isspace():
            token = " "
            if not line:
                continue
        trial = line + token
        if font.getlength(trial.rstrip()) <= width or not line.strip():
            line = trial
            continue
        if token in NO_LINE_START:               # keep the punctuation on this line, move its word down
            keep = line[-1] if line and line[-1] not in NO_LINE_END else ""
            lines.append(line[:-1].rstrip() if keep else line.rstrip())
            line = keep + token
        elif line and line[-1] in NO_LINE_END:   # an opening bracket goes down with what it opens
            lines.append(line[:-1].rstrip())
            line = line[-1] + token.lstrip()
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit_title(title: str, width: float, max_lines: int = 3):
    """The largest title size (72 down to 44 px) at which the title fits `max_lines`; at the smallest
    size, the overflow ends in an ellipsis."""
    for size in (72, 64, 56, 50, 44):
        face = font("bold", size)
        lines = wrap(title, face, width)
        if len(lines) <= max_lines:
            return face, size, lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and face.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return face, size, lines


def palette_image():
    """The cards' fixed palette: every colour pair the drawing uses, in 16 anti-aliasing steps. Mapping
    onto it is exact and fast (no colour search), and the file stays small."""
    from PIL import Image

    colours = []
    for bg, fg in ((BG, FG), (BG, MUTED), (BAND, FG), (BAND, MUTED), (BG, ACCENT)):
        for k in range(16):
            a = k / 15
            colours += [round(bg[i] * (1 - a) + fg[i] * a) for i in range(3)]
    pal = Image.new("P", (1, 1))
    pal.putpalette(colours)
    return pal


@functools.lru_cache(maxsize=None)
def font(style: str, size: int):
    from PIL import ImageFont

    path, index = _fonts[style]
    return ImageFont.truetype(path, size, index=index)


def draw_card(title: str, kicker: str, footer_left: str, footer_right: str, subtitle: str = "") -> bytes:
    """One card as PNG bytes: deterministic (no timestamp, fixed palette), at most MAX_BYTES."""
    from PIL import Image, ImageDraw

    margin = 84
    img = Image.new("RGB", (WIDTH, HEIGHT), BG)
    d = ImageDraw.Draw(img)
    d.rectangle([0, HEIGHT - 96, WIDTH, HEIGHT], fill=BAND)
    d.rectangle([margin, 84, margin + 56, 92], fill=ACCENT)
    d.text((margin, 116), kicker, font=font("bold", 30), fill=MUTED)
    title_font, size, lines = fit_title(title, WIDTH - 2 * margin, max_lines=2 if subtitle else 3)
    leading = int(size * 1.32)
    sub_lines = wrap(subtitle, font("regular", 36), WIDTH - 2 * margin)[:2] if subtitle else []
    block = len(lines) * leading + len(sub_lines) * 52 + (24 if sub_lines else 0)
    top = 190 + max(0, (HEIGHT - 96 - 190 - 40 - block) // 2)
    for i, line in enumerate(lines):
        d.text((margin, top + i * leading), line, font=title_font, fill=FG)
    for i, line in enumerate(sub_lines):
        d.text((margin, top + len(lines) * leading + 24 + i * 52), line, font=font("regular", 36), fill=MUTED)
    baseline = HEIGHT - 96 + 48
    d.text((margin, baseline), footer_left, font=font("regular", 34), fill=FG, anchor="lm")
    d.text((WIDTH - margin, baseline), footer_right, font=font("regular", 34), fill=MUTED, anchor="rm")
    out = img.quantize(palette=palette_image(), dither=Image.Dither.NONE)
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=6)
    data = buf.getvalue()
    if len(data) > MAX_BYTES:
        raise PluginError(f"hooks/cards.py: the card for {title!r} is {len(data)} bytes (at most {MAX_BYTES})")
    return data


def card_bytes(fields: tuple[str, ...]) -> bytes:
    """The card for these texts, from .cache/cards/ when it was drawn before with the same font and design."""
    from PIL import __version__ as pillow

    key = hashlib.sha256(json.dumps([DESIGN, pillow, _font_key, *fields], ensure_ascii=False).encode()).hexdigest()
    cached = CACHE / f"{key[:40]}.png"
    if cached.is_file():
        return cached.read_bytes()
    data = draw_card(*fields)
    write_atomic(cached, data)
    return data


# --- What a page's card says -----------------------------------------------------------------------

def topic_of(page: Page) -> str:
    """The page's top-level nav section ("归一化"), or "" for pages outside a topic."""
    sections = [a for a in page.ancestors if getattr(a, "is_section", False)]
    return sections[-1].title if sections else ""


def is_home(page: Page) -> bool:
    """The home page (it sits in the nav's 首页 section, so MkDocs' ``is_homepage`` is false for it)."""
    return page.file.src_uri == "index.md"


def card_fields(page: Page, config, questions: int) -> tuple[str, ...]:
    site = config["site_name"]
    if is_home(page):
        return (site, "ML / LLM 面试知识库", site, f"{_total_questions()} 道题",
                config.get("site_description") or "")
    topic = topic_of(page)
    notebook = not page.file.src_uri.endswith(".md")
    kicker = " · ".join(x for x in (site, topic if topic and topic != "首页" else "", "动手验证" if notebook else "") if x)
    right = f"{questions} 道题" if questions else ("可运行的 notebook" if notebook else "ML / LLM 面试知识库")
    title = re.sub(r"\s+", " ", (page.title or site)).strip()
    return (title, kicker, site, right)


def _total_questions() -> int:
    return sum(len(v) for v in _questions.values())


def card_path(page: Page) -> str:
    stem = page.url.strip("/") or "index"
    return f"{CARD_DIR}/{stem}.png"


# --- Questions of a page, for the review index -------------------------------------------------------

TEX_OPEN, TEX_CLOSE = "\u0002", "\u0003"


class _Questions(HTMLParser):
    """Each ``<h2 id>`` directly followed by the ``一句话回答`` box: (id, title, answer with formulas as
    TeX between TEX_OPEN and TEX_CLOSE). Runs before hooks/typeset.py, so formulas are still TeX."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[dict] = []
        self.stack: list[str] = []     # roles of open elements
        self.heading: dict | None = None
        self.pending: dict | None = None   # a closed h2 waiting to see whether a tip follows
        self.tip_depth = 0
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = set((a.get("class") or "").split())
        if tag in ("br", "hr", "img", "input", "meta", "link", "wbr"):
            return
        role = ""
        if tag == "h2" and a.get("id") and not self.tip_depth:
            self.heading = {"id": a["id"], "title": "", "answer": ""}
            self.pending = None
            role = "h2"
        elif self.pending is not None and not self.tip_depth:
            if tag == "div" and {"admonition", "tip"} <= cls:
                self.tip_depth = 1
                role = "tip"
            else:
                self.pending = None
        elif self.tip_depth:
            self.tip_depth += 1
        if "headerlink" in cls or "admonition-title" in cls or tag in ("button", "script", "style", "svg"):
            self.skip += 1
            role += "+skip"
        if "arithmatex" in cls:
            self._text(TEX_OPEN)
            role += "+math"
        self.stack.append(role)

    def handle_endtag(self, tag):
        if tag in ("br", "hr", "img", "input", "meta", "link", "wbr") or not self.stack:
            return
        role = self.stack.pop()
        if "+math" in role:
            self._text(TEX_CLOSE)
        if "+skip" in role:
            self.skip -= 1
        if role.startswith("h2") and self.heading is not None:
            self.pending, self.heading = self.heading, None
        elif self.tip_depth:
            self.tip_depth -= 1
            if self.tip_depth == 0 and self.pending is not None:
                self.items.append(self.pending)
                self.pending = None
            elif tag in ("p", "li"):
                self._text(" ")

    def _text(self, data):
        if self.skip:
            return
        if self.heading is not None:
            self.heading["title"] += data
        elif self.tip_depth and self.pending is not None:
            self.pending["answer"] += data

    def handle_data(self, data):
        data = data.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
        self._text(data)


def page_questions(html: str) -> list[dict]:
    parser = _Questions()
    parser.feed(without_code(html))  # no question title or one-sentence answer holds code
    parser.close()
    clean = lambda s: re.sub(r"\s+", " ", unescape(s)).strip()  # noqa: E731
    return [{"id": q["id"], "title": clean(q["title"]), "answer": clean(q["answer"])} for q in parser.items]


def tex_to_text(texts: list[str]) -> list[str]:
    """Formulas (between TEX_OPEN/TEX_CLOSE) as readable text ("√dₖ"), with the search's own converter
    (assets/javascripts/search-core.mjs) in one Node process; without Node, the bare TeX minus commands."""
    pattern = re.compile(f"{TEX_OPEN}([^{TEX_CLOSE}]*){TEX_CLOSE}")
    formulas = sorted({m for t in texts for m in pattern.findall(t)})
    readable: dict[str, str] = {}
    node = shutil.which("node")
    if formulas and node and SEARCH_CORE.is_file():
        script = ("import {texToText} from " + json.dumps(SEARCH_CORE.as_uri()) + ";"
                  "import {readFileSync} from 'node:fs';"
                  "const xs = JSON.parse(readFileSync(0, 'utf8'));"
                  "process.stdout.write(JSON.stringify(xs.map((x) => { try { return texToText(x); } catch (e) { return null; } })));")
        proc = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(formulas),
                              capture_output=True, text=True)
        if proc.returncode == 0:
            readable = {f: r for f, r in zip(formulas, json.loads(proc.stdout)) if r}
    def plain(tex: str) -> str:
        return readable.get(tex) or re.sub(r"\\[A-Za-z]+|[{}]", "", tex).strip()
    return [re.sub(r"\s+", " ", pattern.sub(lambda m: plain(m.group(1)), t)).strip() for t in texts]


def id_redirects() -> dict[str, str]:
    """old id -> new id, from the anchor redirects of redirects.yml (a page redirect keeps its ids)."""
    if not REDIRECTS.is_file():
        return {}
    data = yaml.safe_load(REDIRECTS.read_text(encoding="utf-8")) or {}
    out = {}
    for old, new in (data.get("anchors") or {}).items():
        old_id, new_id = str(old).partition("#")[2], str(new).partition("#")[2]
        if old_id and new_id and old_id != new_id:
            out[old_id] = new_id
    return out


# --- MkDocs events ---------------------------------------------------------------------------------

_nav = None


def on_config(config):
    global _font_key
    _fonts.clear()
    _fonts.update(regular=find_font("regular"), bold=find_font("bold"))
    font.cache_clear()
    _font_key = font_fingerprint(_fonts)
    return config


_renamed: dict[str, str] = {}            # old id -> new id (redirects.yml), read once per build


def on_pre_build(config):
    _questions.clear()
    _cards.clear()
    _renamed.clear()
    _renamed.update(id_redirects())


def on_nav(nav, config, files):
    global _nav
    _nav = nav
    return nav


@event_priority(45)  # after hooks/search.py has read the page, before hooks/typeset.py replaces the TeX
def on_page_content(content: str, page: Page, config, files):
    if page.file.src_uri.endswith(".md") and page.file.src_uri not in ("index.md", "tags.md"):
        _questions[page.file.src_uri] = page_questions(content)
    return content


def on_page_context(context, page: Page, config, nav):
    fields = card_fields(page, config, len(_questions.get(page.file.src_uri, [])))
    data = card_bytes(fields)
    rel = card_path(page)
    out = Path(config["site_dir"]) / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.is_file() or out.read_bytes() != data:
        out.write_bytes(data)
    _cards[rel] = len(data)
    base = (config.get("site_url") or "/").rstrip("/") + "/"
    page.meta["og_image"] = {"url": base + rel, "width": WIDTH, "height": HEIGHT,
                             "alt": f"{fields[1]}：{fields[0]}" if not is_home(page) else fields[0]}
    return context


def redirects_into(src: str, redirects: dict[str, str], ids: set[str]) -> dict[str, list[str]]:
    """new id -> [old ids] for the new ids on this page."""
    out: dict[str, list[str]] = {}
    for old, new in sorted(redirects.items()):
        if new in ids:
            out.setdefault(new, []).append(old)
    return out


def on_post_page(output: str, page: Page, config):
    questions = _questions.get(page.file.src_uri)
    if not questions:
        return output
    mapping = redirects_into(page.file.src_uri, _renamed, {q["id"] for q in questions})
    if not mapping:
        return output
    tag = f'<script type="application/json" id="review-redirects">{json.dumps(mapping)}</script>'
    return output.replace("</body>", tag + "\n</body>", 1)


def review_index(pages: list[Page], questions: dict[str, list[dict]], redirects: dict[str, str]) -> dict:
    """The review page's data, compact: topics and tags by index, one row per question."""
    topics: list[str] = []
    tags: list[str] = []
    rows_pages, rows_q = [], []
    for page in pages:
        items = questions.get(page.file.src_uri) or []
        if not items:
            continue
        topic = topic_of(page) or page.title
        if topic not in topics:
            topics.append(topic)
        tag_ids = []
        for tag in page.meta.get("tags") or []:
            tag = str(tag)
            if tag not in tags:
                tags.append(tag)
            tag_ids.append(tags.index(tag))
        rows_pages.append([page.url, re.sub(r"\s+", " ", page.title or "").strip(), topics.index(topic), tag_ids])
        for q in items:
            rows_q.append([q["id"], len(rows_pages) - 1, q["title"], q["answer"]])
    answers = tex_to_text([r[3] for r in rows_q])
    titles = tex_to_text([r[2] for r in rows_q])
    for row, title, answer in zip(rows_q, titles, answers):
        row[2], row[3] = title, answer
    known = {r[0] for r in rows_q}
    moved = {old: new for old, new in redirects.items() if new in known}
    return {"v": 1, "topics": topics, "tags": tags, "pages": rows_pages, "questions": rows_q, "redirects": moved}


def on_post_build(config):
    site = Path(config["site_dir"])
    pages = [p for p in (_nav.pages if _nav else []) if isinstance(p, Page)]
    index = review_index(pages, _questions, _renamed)
    out = site / INDEX_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    site_url = (config.get("site_url") or "").rstrip("/")
    lines = ["User-agent: *", "Allow: /"]
    if site_url and (site / "sitemap.xml").is_file():
        lines.append(f"Sitemap: {site_url}/sitemap.xml")
    (site / "robots.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if _cards:
        log.info("Link-preview cards: %d, %d to %d bytes", len(_cards), min(_cards.values()), max(_cards.values()))
