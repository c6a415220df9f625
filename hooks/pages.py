"""Page rules every build enforces, with the file and line of each violation.

* every ``##``-``######`` heading carries an explicit ASCII id ``{#kebab-id}``, unique site-wide
  (answer URLs must not depend on the heading text);
* every page has a ``description`` in its front matter (search summary and link previews) and exactly
  one ``# `` title;
* every snippet section is opened and closed once (``# --8<-- [start:x]`` / ``[end:x]``), and no page
  includes the same snippet twice;
* every page gets its last-updated date from git (``page.meta.revision_date``).

It also finishes each page's HTML: lazy images, the self-test switch, copy-link buttons, and the
``lazy-block`` class on blocks far down the page (see ``mark_lazy_blocks``).
"""

from __future__ import annotations

import re
import subprocess
from html import escape as html_escape
from datetime import datetime, timezone
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

ROOT = Path(__file__).resolve().parent.parent

HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*$")
EXPLICIT_ID = re.compile(r"\{[^}]*#([A-Za-z0-9_-]+)[^}]*\}\s*$")
ID_FORMAT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")

_seen_ids: dict[str, str] = {}
_tags: dict[str, tuple[str, str]] = {}  # lower-cased tag -> (tag as written, page)
_dates: dict[str, str] = {}


def source_line(page: Page, text: str, fallback: int) -> int:
    """Line of `text` in the page's source file (front matter and notebook comment prefixes included)."""
    try:
        lines = Path(page.file.abs_src_path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return fallback
    for number, line in enumerate(lines, 1):
        if text in line:
            return number
    return fallback


def headings(markdown: str):
    """(line, level, text) of each ATX heading outside fenced code."""
    fence = None
    for number, line in enumerate(markdown.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            h = HEADING.match(line)
            if h:
                yield number, len(h.group(1)), h.group(2)


def check_headings(page: Page, markdown: str) -> list[str]:
    """Explicit ids everywhere; unique site-wide on question pages, unique per page in notebooks."""
    problems = []
    src = page.file.src_uri
    notebook = not src.endswith(".md")
    local: set[str] = set()
    for number, _level, text in headings(markdown):
        line = source_line(page, text, number)
        m = EXPLICIT_ID.search(text)
        if not m:
            problems.append(f"docs/{src}:{line}: heading without an explicit id: {text!r} (add {{#short-english-id}})")
            continue
        anchor = m.group(1)
        if not ID_FORMAT.match(anchor):
            problems.append(f"docs/{src}:{line}: id {anchor!r} is not lowercase ASCII kebab-case")
        where = f"docs/{src}:{line}"
        if notebook:
            if anchor in local:
                problems.append(f"{where}: duplicate id {anchor!r} in the same notebook")
            local.add(anchor)
            continue
        if anchor in _seen_ids and not _seen_ids[anchor].startswith(f"docs/{src}:"):
            problems.append(f"{where}: duplicate id {anchor!r}, already used at {_seen_ids[anchor]}")
        elif anchor in _seen_ids:
            problems.append(f"{where}: duplicate id {anchor!r} in the same page ({_seen_ids[anchor]})")
        else:
            _seen_ids[anchor] = where
    return problems


def _git_dates() -> dict[str, str]:
    """Last commit date (YYYY-MM-DD, UTC) of every file under docs/, from one `git log` pass."""
    try:
        out = subprocess.run(
            ["git", "log", "--format=@%ct", "--name-only", "--", "docs"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    dates: dict[str, str] = {}
    stamp = None
    for line in out.splitlines():
        if line.startswith("@"):
            stamp = datetime.fromtimestamp(int(line[1:]), tz=timezone.utc).strftime("%Y-%m-%d")
        elif line.strip() and stamp:
            dates.setdefault(line.strip().removeprefix("docs/"), stamp)
    return dates


SECTION_MARK = re.compile(r"--8<--\s*\[(start|end):([^\]]+)\]")
INCLUDE = re.compile(r'^\s*-{1,2}8<-{1,2}\s+"([^"]+)"\s*$')
SNIPPETS = ROOT / "snippets"


def snippet_section_problems(path: Path, root: Path = ROOT) -> list[str]:
    """A section opened and never closed (the page would show the file to its end), closed and never
    opened, or opened twice."""
    problems, open_at, seen = [], {}, {}
    rel = path.relative_to(root).as_posix()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for kind, name in SECTION_MARK.findall(line):
            if kind == "start":
                if name in open_at:
                    problems.append(f"{rel}:{number}: section '{name}' opened again (already open since line {open_at[name]})")
                elif name in seen:
                    problems.append(f"{rel}:{number}: section '{name}' defined twice (first at line {seen[name]})")
                open_at[name] = seen[name] = number
            elif name in open_at:
                del open_at[name]
            else:
                problems.append(f"{rel}:{number}: section '{name}' closed but never opened")
    problems += [f"{rel}:{line}: section '{name}' opened but never closed (add '# --8<-- [end:{name}]')"
                 for name, line in open_at.items()]
    return problems


def include_problems(page: Page, markdown: str) -> list[str]:
    """The same snippet (file or file:section) included twice in one page."""
    problems, first = [], {}
    for number, line in enumerate(markdown.splitlines(), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        target = m.group(1)
        where = source_line(page, line.strip(), number)
        if target in first:
            problems.append(f"docs/{page.file.src_uri}:{where}: snippet \"{target}\" included twice "
                            f"(first at line {first[target]})")
        else:
            first[target] = where
    return problems


def title_problems(page: Page, markdown: str) -> list[str]:
    """Exactly one `# ` title per page (the page heading, the tab title and the link-preview title)."""
    titles = []
    fence = None
    for number, line in enumerate(markdown.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            fence = None if fence and m.group(1)[0] == fence[0] else (fence or m.group(1))
            continue
        if fence is None and re.match(r"^#\s+\S", line):
            titles.append(number)
    src = f"docs/{page.file.src_uri}"
    if not titles:
        return [f"{src}:1: page has no '# ' title (add one after the front matter)"]
    if len(titles) > 1:
        lines = ", ".join(str(source_line(page, markdown.splitlines()[n - 1], n)) for n in titles)
        return [f"{src}: page has {len(titles)} '# ' titles (lines {lines}); use '##' for questions"]
    return []


def tag_key(tag: str) -> str:
    """The id the tags page gives a tag (the site's slugify): "Embedding" and "embedding", "k-means" and
    "k-means++", "pass@k" and "pass^k" each get one id."""
    from pymdownx.slugs import slugify

    return slugify(case="lower")(tag, "-")


def tag_problems(page: Page) -> list[str]:
    """Two tags that differ only in case or punctuation ("Embedding" / "embedding", "pass@k" / "pass^k")
    make two entries with one id on the tags page."""
    problems = []
    for tag in page.meta.get("tags") or []:
        tag = str(tag)
        first = _tags.setdefault(tag_key(tag), (tag, page.file.src_uri))
        if first[0] != tag:
            problems.append(f"docs/{page.file.src_uri}:1: tag {tag!r} differs only in case or punctuation from "
                            f"{first[0]!r} (docs/{first[1]}); write one tag one way, or two tags differently")
    return problems


def on_pre_build(config):
    _seen_ids.clear()
    _tags.clear()
    _dates.clear()
    _dates.update(_git_dates())
    problems = [p for path in sorted(SNIPPETS.rglob("*.py")) for p in snippet_section_problems(path)]
    if problems:
        raise PluginError("\n".join(problems))


def front_matter_error(page: Page, markdown: str) -> str | None:
    """MkDocs drops front matter it cannot parse; say why, with the line, instead."""
    if page.meta or not markdown.startswith("---"):
        return None
    import yaml

    block = markdown.split("\n---", 1)[0][3:]
    try:
        yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return f"docs/{page.file.src_uri}:{line}: front matter is not valid YAML: {getattr(exc, 'problem', exc)}"
    return f"docs/{page.file.src_uri}:1: front matter could not be read"


# --- Topic indexes: question and notebook lists generated from the pages -----------------------------
# A topic's index.md writes `<!-- bagu:questions -->` (optionally followed by page names, to list only
# those) and `<!-- bagu:notebooks -->`; the lists come from the nav and the pages' own headings, so a
# renamed or added question can never leave a stale title behind.

LIST_MARKER = re.compile(r"^<!--\s*bagu:(questions|notebooks)((?:\s+[\w./-]+)*)\s*-->\s*$", re.M)
_nav = None


def on_nav(nav, config, files):
    global _nav
    _nav = nav
    return nav


def _strip_id(text: str) -> str:
    return EXPLICIT_ID.sub("", text).strip()


def _source(page) -> str:
    return Path(page.file.abs_src_path).read_text(encoding="utf-8")


def notebook_title(page) -> str:
    for line in _source(page).splitlines():
        m = re.match(r"^#\s+#\s+(.+?)\s*$", line)
        if m:
            return _strip_id(m.group(1))
    return page.title or page.file.src_uri


def _topic_items(page: Page):
    """(pages, notebooks) of the nav section a topic index belongs to, in nav order."""
    pages, notebooks = [], []

    def walk(items):
        for item in items:
            if item.is_page and item is not page:
                (notebooks if not item.file.src_uri.endswith(".md") else pages).append(item)
            elif item.is_section:
                walk(item.children)

    section = page.parent
    walk(section.children if section is not None else [])
    return pages, notebooks


def _rel_link(index: Page, target: Page) -> str:
    return Path(target.file.src_uri).relative_to(Path(index.file.src_uri).parent).as_posix()


def question_list(index: Page, pages) -> str:
    out = []
    for item in pages:
        link = _rel_link(index, item)
        body = re.sub(r"\A---\n.*?\n---\n", "", _source(item), flags=re.S)
        entries = []
        for _line, level, text in headings(body):
            title = _strip_id(text)
            anchor = EXPLICIT_ID.search(text)
            if not anchor:
                continue
            if level == 2:
                entries.append(f"- [{title}]({link}#{anchor.group(1)})")
            elif level == 3 and re.search(r"[？?]$", title):
                entries.append(f"    - [{title}]({link}#{anchor.group(1)})")
        out.append(f"**[{item.title}]({link})**\n\n" + "\n".join(entries))
    return "\n\n".join(out)


def notebook_list(index: Page, notebooks) -> str:
    return "\n".join(f"- [▶ {notebook_title(nb)}]({_rel_link(index, nb)})" for nb in notebooks)


def topic_lists(page: Page, markdown: str) -> str:
    if "bagu:" not in markdown:
        return markdown
    pages, notebooks = _topic_items(page)
    by_name = {Path(p.file.src_uri).name: p for p in pages}

    def replace(m):
        kind, names = m.group(1), m.group(2).split()
        if kind == "notebooks":
            return notebook_list(page, notebooks)
        missing = [n for n in names if n not in by_name]
        if missing:
            raise PluginError(f"docs/{page.file.src_uri}: bagu:questions names {missing}, which are not "
                              f"pages of this topic ({sorted(by_name)})")
        return question_list(page, [by_name[n] for n in names] if names else pages)

    return LIST_MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Page, config, files):
    error = front_matter_error(page, markdown)
    if error:
        raise PluginError(error)
    problems = (check_headings(page, markdown) + title_problems(page, markdown) + include_problems(page, markdown)
                + tag_problems(page))
    if not page.meta.get("description"):
        problems.append(f"docs/{page.file.src_uri}:1: front matter has no 'description'")
    if problems:
        raise PluginError("\n".join(problems))
    # Material writes the description into an attribute without escaping it: a quote would end it
    page.meta["description"] = html_escape(str(page.meta["description"]), quote=True)
    markdown = topic_lists(page, markdown)
    date = _dates.get(page.file.src_uri)
    if date:
        page.meta["revision_date"] = date
    return markdown


IMG = re.compile(r"<img\b(?![^>]*\bloading=)")
FIRST_ANSWER = re.compile(r'<h2 id="[^"]+">.*?</h2>\s*<div class="admonition tip">', re.S)
QUIZ_TOGGLE = ('<div class="quiz-bar" data-search-exclude>'
               '<button type="button" class="quiz-toggle md-button" aria-pressed="false">自测模式</button>'
               '<button type="button" class="quiz-all md-button" aria-pressed="false" hidden>展开本页答案</button>'
               "</div>")
ANSWER_HEADING = re.compile(r'(<h([23]) id="[^"]+">.*?)(</h\2>)', re.S)
COPY_LINK = '<button type="button" class="copy-link" title="复制本题链接" aria-label="复制本题链接"></button>'


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LAZY_TAGS = {"p", "ul", "ol", "dl", "div", "details", "blockquote", "table"}
LAZY_FROM = 15  # top-level blocks before this index render at once unless they already fill EAGER_PX
# Estimated height (CSS px, per layout of LAYOUTS) of the page's opening blocks that render at once, about
# a screen and a half on a phone and on a desktop: past it the first render would lay out content nobody
# sees yet (a long formula list in the opening blocks was half the first layout of training/finetuning)
EAGER_PX = {"m": 1200, "d": 1000}


# a start or end tag (quoted attribute values may hold ">"), a comment, or a whole element whose inside
# does not matter here: raw text (script, style, textarea), or one that never nests and holds no block,
# a code block or a typeset formula (skipped at once: their tokens and glyphs are most of a page's tags)
_TAG = re.compile(r"""<!--.*?-->|<(script|style|textarea|pre|mjx-container)\b[^>]*>.*?</\1\s*>|<(/?)([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""",
                  re.S | re.I)


CODE_BLOCK = re.compile(r"<pre\b([^>]*)>.*?</pre>", re.S)


def without_code(html: str) -> str:
    """The page with every code block emptied (its <pre> tag kept): for the parsers that read titles,
    answers and prose (hooks/search.py, hooks/cards.py), which would otherwise walk every highlighted token."""
    return CODE_BLOCK.sub(r"<pre\1></pre>", html)


def top_level_blocks(text: str) -> list[dict]:
    """The top-level elements of a page's HTML: start offset, start tag, tag name, end offset, and
    whether any ``<pre>`` is inside. A regular-expression scan of the tags (the page is our own
    Markdown's output, so its markup is well formed): an HTML parser spent seconds per build on the
    MathJax and SVG markup inside the blocks."""
    blocks: list[dict] = []
    depth = 0
    for m in _TAG.finditer(text):
        raw, closing, name, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        if raw is not None:  # the whole element is this one match
            if depth == 0:
                blocks.append({"start": m.start(), "tag_text": text[m.start():text.index(">", m.start()) + 1],
                               "tag": raw.lower(), "end": m.end(), "pre": False})
            elif raw.lower() == "pre":
                blocks[-1]["pre"] = True
            continue
        if name is None:
            continue  # a comment
        tag = name.lower()
        if not closing:
            if depth == 0:
                blocks.append({"start": m.start(), "tag_text": m.group(0), "tag": tag, "end": m.end(), "pre": False})
            elif tag == "pre":
                blocks[-1]["pre"] = True
            if tag not in VOID and not rest.rstrip().endswith("/"):
                depth += 1
        elif tag not in VOID and depth > 0:
            depth -= 1
            if depth == 0:
                blocks[-1]["end"] = m.end()
    return blocks


CJK_CHAR = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# (column width in CSS px, line height in px) of the article on a 375 px phone and on a desktop
LAYOUTS = {"m": (343, 28.0), "d": (720, 28.0)}


def block_height(html: str) -> dict[str, int]:
    """Estimated rendered height (CSS px) of one top-level block, on a phone and on a desktop, from its
    text, formulas, list items, table rows and images. A skipped (content-visibility) block reserves this
    instead of a token 4em, so the scrollbar and the End key reach the real end of a long page."""
    if re.match(r"<details(?![^>]*\sopen)", html):
        return {key: 56 for key in LAYOUTS}  # a collapsed block shows its summary line only
    boxes = [(float(w), float(h)) for w, h in re.findall(r'<svg[^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"', html)[:1]]
    boxes += [(float(w), float(h)) for w, h in re.findall(r'<img[^>]*width="(\d+)" height="(\d+)"', html)]
    if "mermaid-diagram" in html[:200]:  # a diagram: its (first) SVG box, shrunk to the column
        return {key: int(sum(h * min(1, width / w) for w, h in boxes) + 60) for key, (width, _l) in LAYOUTS.items()}
    images = sum(1 for _ in re.finditer(r"<img\b", html))
    sized = [(w, h) for w, h in boxes if "<img" in html]
    displays = re.findall(r'<div class="arithmatex.*?</div>', html, flags=re.S)
    inline = html
    for d in displays:
        inline = inline.replace(d, "")
    glyphs = inline.count("<mjx-c ")
    # a display formula is one line of math (a wide one scrolls) unless it stacks rows (aligned, cases)
    display_px = sum(44 + 22 * d.count("<mjx-mtr") for d in displays)
    text = re.sub(r"<(mjx-assistive-mml|math)\b.*?</\1>", "", inline, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    cjk = len(CJK_CHAR.findall(text))
    # a CJK character is one em, other characters about half; an inline glyph about 0.7 em
    ems = cjk + 0.52 * (len(text.strip()) - cjk) + 0.5 * glyphs
    lines = html.count("<li") + html.count("<p") + html.count("<tr") + html.count("<dt")
    # a heading inside the block (the tags page's heading-and-list blocks): its line and its margins
    headings = len(re.findall(r"<h[2-4]\b", html)) * 56
    out = {}
    for key, (width, line) in LAYOUTS.items():
        per_line = width / 16
        rows = ems / per_line + 0.5 * max(1, lines)
        pictures = sum(h * min(1, width / w) for w, h in sized) + (images - len(sized)) * width * 0.62
        height = rows * line + 16 + display_px + pictures + headings
        out[key] = int(height)
    return out


PHONE_TABLE_EM = 21.0  # a 375 px phone's article column, in em of the 16 px body font


def table_width_em(table: str) -> float:
    """Rough natural width of a table in em: per column the longest cell (CJK 1 em per character, other
    characters 0.55, an inline glyph 0.5, capped at 12 em since a cell wraps), plus cell padding."""
    widths: dict[int, float] = {}
    for row in re.findall(r"<tr\b.*?</tr>", table, re.S):
        for col, cell in enumerate(re.findall(r"<t[hd]\b.*?</t[hd]>", row, re.S)):
            glyphs = cell.count("<mjx-c ")
            text = re.sub(r"<(mjx-assistive-mml|math)\b.*?</\1>", "", cell, flags=re.S)
            text = re.sub(r"<[^>]+>", "", text).strip()
            cjk = len(CJK_CHAR.findall(text))
            em = min(12.0, cjk + 0.55 * (len(text) - cjk) + 0.5 * glyphs) + 1.6
            widths[col] = max(widths.get(col, 0.0), em)
    return sum(widths.values())


def mark_lazy_blocks(content: str) -> str:
    """Prepare the top-level blocks of a page for a cheap first render.

    * Blocks that hold no code, from the 16th on or once the blocks before them fill ``EAGER_PX`` on a
      phone and on a desktop (estimated by ``block_height``), get the class ``lazy-block``: CSS gives them
      ``content-visibility: auto``, so the browser skips their style and layout until they near the
      viewport (long math answers are thousands of MathJax nodes). Code blocks stay out because
      Material measures each one at load, and measuring inside a skipped block renders it alone.
    * Top-level tables are wrapped in a plain ``div.table-block``. Material moves every table into
      its scrolling wrapper at load; moving a direct child of the article restyles the whole article
      once more, moving it inside our div restyles only the table.

    The position is decided here, not with ``:nth-child``, so that no DOM change by Material shifts
    the blocks after it."""
    out, last = [], 0
    above = {key: 0 for key in LAYOUTS}  # estimated height of the blocks before this one
    for index, block in enumerate(top_level_blocks(content)):
        start, tag_text, tag = block["start"], block["tag_text"], block["tag"]
        if content[start:start + len(tag_text)] != tag_text:  # parser offsets must be exact
            raise PluginError(f"mark_lazy_blocks: offset mismatch at <{tag}> (block {index})")
        filled = all(above[key] >= EAGER_PX[key] for key in LAYOUTS)
        lazy = (index >= LAZY_FROM or filled) and tag in LAZY_TAGS and not block["pre"]
        if lazy or not filled:  # once the opening blocks fill EAGER_PX, only a skipped block needs its height
            h = block_height(content[start:block["end"]])
            if not filled:
                for key in LAYOUTS:
                    above[key] += h[key]
        size = ""
        if lazy:
            size = f' style="--lazy-m: {h["m"]}px; --lazy-d: {h["d"]}px"'
        if tag == "table":
            cls = "table-block lazy-block" if lazy else "table-block"
            table = content[start:block["end"]]
            if table_width_em(table) > PHONE_TABLE_EM:
                # wider than a phone: the block scrolls with a visible cue (CSS) and takes keyboard focus
                cls += " table-scroll"
                size += ' tabindex="0" role="group" aria-label="表格较宽，可左右滚动"'
            out += [content[last:start], f'<div class="{cls}"{size}>', table, "</div>"]
            last = block["end"]
        elif lazy:
            if re.search(r'\sclass="', tag_text):
                marked = re.sub(r'(\sclass=")', r"\1lazy-block ", tag_text, count=1)
            else:
                marked = f'<{tag} class="lazy-block"' + tag_text[len(tag) + 1:]
            if " style=" in marked:
                raise PluginError(f"mark_lazy_blocks: block {index} <{tag}> already has a style attribute")
            marked = marked[:-1] + size + ">" if not marked.endswith("/>") else marked
            out += [content[last:start], marked]
            last = start + len(tag_text)
    return "".join(out) + content[last:]


CJK_RANGE = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# a line break between two CJK characters, possibly across inline tags ("中文</strong>\n<em>中文")
CJK_BREAK = re.compile(rf"([{CJK_RANGE}])((?:</[a-z]+>)*)\n[ \t]*((?:<(?:strong|em|a|code|mark|span|sub|sup|del)\b[^>]*>)*)([{CJK_RANGE}])")
RAW = re.compile(r"<(pre|script|style|svg|textarea)\b.*?</\1>", re.S)


INLINE = r"(?:a|strong|em|mark|span|sub|sup|del|b|i)"
# a space written around an inline element between Chinese characters: "见 [下一题](…) 的推导"
CJK_SPACE_OPEN = re.compile(rf"([{CJK_RANGE}])[ \t]+((?:<{INLINE}\b[^>]*>)+)(?=[{CJK_RANGE}])")
CJK_SPACE_CLOSE = re.compile(rf"(?<=[{CJK_RANGE}])((?:</{INLINE}>)+)[ \t]+([{CJK_RANGE}])")


def _join(text: str) -> str:
    text = CJK_BREAK.sub(r"\1\2\3\4", text)
    text = CJK_SPACE_OPEN.sub(r"\1\2", text)
    return CJK_SPACE_CLOSE.sub(r"\1\2", text)


def join_cjk_lines(html: str) -> str:
    """Between two Chinese characters a space is wrong, but Markdown gives one for a source line break,
    and authors write one around a link or emphasis ("见 [下一题](…) 的"). Remove both outside code,
    scripts and SVG (the source keeps its wrapping and spacing)."""
    out, last = [], 0
    for m in RAW.finditer(html):
        out.append(_join(html[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_join(html[last:]))
    return "".join(out)


def on_page_content(content: str, page: Page, config, files):
    content = join_cjk_lines(content)
    # plots load as they approach the viewport and decode off the main thread
    content = IMG.sub('<img loading="lazy" decoding="async"', content)
    # question pages get the self-test switch in the HTML itself (site.js wires it), so it shifts nothing
    if FIRST_ANSWER.search(content) and "</h1>" in content:
        content = content.replace("</h1>", "</h1>\n" + QUIZ_TOGGLE, 1)
    # every answer heading carries its copy-link button (site.js copies the absolute URL)
    content = ANSWER_HEADING.sub(lambda m: m.group(1) + COPY_LINK + m.group(3), content)
    return mark_lazy_blocks(content)


# --- The whole page's markup (Material's templates included) as the Nu Html Checker and axe want it ---

def clean_markup(html: str) -> str:
    """Fix what Material's templates and Mermaid's SVG emit that is not valid HTML or trips axe:

    * ``autocomplete`` on checkbox toggles (only text-like inputs take it);
    * ``tabindex=""`` on pruned nav labels (an empty value is not an integer);
    * the table-of-contents label ``for="__toc"`` on pages without a table of contents;
    * ``name`` attributes on Mermaid's sequence-diagram shapes and ``<p>`` inside label spans;
    * empty header cells (``<th></th>``, a table's corner) become data cells.
    """
    html = re.sub(r'(<input [^>]*type="(?:checkbox|radio)"[^>]*?) autocomplete="off"', r"\1", html)
    html = html.replace(' tabindex=""', "")
    if 'id="__toc"' not in html:
        html = html.replace('<label class="md-nav__title" for="__toc">', '<label class="md-nav__title">')
    html = re.sub(r'(<(?:rect|line|text|g|path)\b[^>]*?) name="[^"]*"', r"\1", html)
    html = re.sub(r'(<span class="(?:nodeLabel|edgeLabel)[^"]*"[^>]*>)<p>(.*?)</p>', r'\1<span class="mermaid-p">\2</span>', html)
    html = re.sub(r"<th(\s[^>]*)?>\s*</th>", lambda m: f"<td{m.group(1) or ''}></td>", html)
    return unique_landmarks(html)


NESTED_NAV = re.compile(r'<nav class="md-nav" data-md-level="(\d+)" aria-labelledby="([^"]+)_label"([^>]*)>'
                        r'(\s*<label class="md-nav__title" for="\2">(.*?)</label>)', re.S)


def unique_landmarks(html: str) -> str:
    """Every navigation landmark gets its own name: a nested section's nav is named by its title (Material
    points it at an icon-only label), the breadcrumb is "当前位置", and the copy of the table of contents in
    the mobile drawer is told apart from the sidebar's."""
    def name(m):
        title = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(5))).strip()
        label = f' aria-label="{html_escape(title, quote=True)}"' if title else ""
        return f'<nav class="md-nav" data-md-level="{m.group(1)}"{label}{m.group(3)}>{m.group(4)}'

    html = NESTED_NAV.sub(name, html)
    html = re.sub(r'<nav class="md-path" aria-label="[^"]*"\s*>', '<nav class="md-path" aria-label="当前位置">', html)
    html = re.sub(r'<nav class="md-tags"\s*>', '<nav class="md-tags" aria-label="本页标签">', html)
    first = html.find('<nav class="md-nav md-nav--secondary" aria-label="目录">')
    if first >= 0 and html.count('<nav class="md-nav md-nav--secondary" aria-label="目录">') > 1:
        # the first copy sits in the primary (drawer) navigation, the second in the sidebar
        html = (html[:first] + '<nav class="md-nav md-nav--secondary" aria-label="本页目录（导航抽屉）">'
                + html[first + len('<nav class="md-nav md-nav--secondary" aria-label="目录">'):])
    return html


def on_page_context(context, page: Page, config, nav):
    if page.file.src_uri == "tags.md":
        # the tags page hides its table of contents (front matter); without entries it is not even in the
        # HTML, where it held a link per tag (1 100 elements) for nothing
        page.toc = get_toc([])
    return context


def lazy_article(html: str) -> str:
    """mark_lazy_blocks on the article of a finished page (for content written after on_page_content)."""
    start = html.find('<article class="md-content__inner md-typeset">')
    if start < 0:
        return html
    inner, end = html.index(">", start) + 1, html.index("</article>", start)
    return html[:inner] + mark_lazy_blocks(html[inner:end]) + html[end:]


def on_post_page(output: str, page: Page, config):
    if page.file.src_uri == "tags.md":  # Material's tags plugin writes this page's list after on_page_content
        output = lazy_article(output)
    return clean_markup(output)


def on_post_template(output: str, template_name: str, config):
    return clean_markup(output) if template_name.endswith(".html") else output
