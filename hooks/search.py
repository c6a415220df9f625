"""The site's search index: one document per question, follow-up and section, fetched only when a reader
opens search, in small pieces.

Material's lunr index (``search/search_index.json``, 1.3 MB) made every page download the whole site
before the reader touched search, and lunr could not match "ppo裁剪"-style queries. This hook:

* collects, from each page's HTML before formulas are typeset, one document per ``h1``-``h4`` section:
  its heading, its one-sentence answer (the ``一句话回答`` box), its prose (no code blocks, no notebook
  outputs, formulas kept as TeX), the page's tags, and its kind (question, follow-up, sub-section, page,
  notebook, topic index);
* gathers bilingual aliases: the groups in ``hooks/search_aliases.yml`` plus every "中文（English）" /
  "English（中文）" pair the pages write, so a page that writes only one of the two is found by both;
* writes ``search/manifest.json``, the Latin vocabulary by first character ``v<c>.json``, term shards
  ``t<k>.json`` and document chunks
  ``d<k>.json`` with ``hooks/search_index.mjs`` (Node), which cuts terms with the same module the browser
  uses for queries (``assets/javascripts/search-core.mjs``), and removes Material's unused lunr index.

Material's search plugin stays in ``mkdocs.yml`` only for the header's search button and dialog frame;
``overrides/partials/search.html`` replaces the dialog, ``assets/javascripts/search.mjs`` runs it.
"""

from __future__ import annotations

from html import unescape as html_unescape
import hashlib
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

HOOKS = Path(__file__).resolve().parent
sys.path.insert(0, str(HOOKS))
from cachefile import cache_dir, read_entries, write_entries  # noqa: E402
from pages import without_code  # noqa: E402

ALIASES = HOOKS / "search_aliases.yml"
TEX_OPEN, TEX_CLOSE = "\u0002", "\u0003"
SKIP_TAGS = {"pre", "script", "style", "svg", "button", "template", "nav"}
SKIP_CLASSES = {"headerlink", "mermaid-diagram", "md-source-file", "copy-link", "quiz-toggle", "nb-output", "md-button"}

_pages: list[list[str]] = []
_docs: list[dict] = []


class _Sections(HTMLParser):
    """Split a page's HTML into sections at h1-h4 headings; collect heading, answer box and prose."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: list[dict] = [{"level": 0, "anchor": "", "title": "", "answer": "", "body": ""}]
        self.stack: list[tuple[str, str]] = []  # (tag, role) of open elements
        self.skip = 0
        self.math = 0
        self.tip_title = ""
        self.in_answer = False

    def _role(self, tag, attrs):
        attrs = dict(attrs)
        cls = set((attrs.get("class") or "").split())
        section = self.sections[-1]
        if tag == "pre":
            section["code"] = True
        elif tag == "div" and "arithmatex" in cls:
            section["formula"] = True
        if self.skip or tag in SKIP_TAGS or cls & SKIP_CLASSES or "data-search-exclude" in attrs:
            return "skip"
        if "arithmatex" in cls:
            return "math"
        if tag == "div" and "admonition" in cls and "tip" in cls:
            return "tip"
        if tag == "p" and "admonition-title" in cls:
            return "tip-title"
        return ""

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr", "img", "input", "meta", "link", "wbr"):
            self._text(" ")
            return
        role = self._role(tag, attrs)
        if re.fullmatch(r"h[1-4]", tag) and not self.skip:
            level = int(tag[1])
            self.sections.append({"level": level, "anchor": (dict(attrs).get("id") or "") if level > 1 else "",
                                  "title": "", "answer": "", "body": ""})
            role = "heading"
        elif role == "tip":
            self.tip_title, self.in_answer = "", False
        self.stack.append((tag, role))
        if role == "skip":
            self.skip += 1
        elif role == "math":
            self.math += 1
            self._text(TEX_OPEN)

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, role = self.stack.pop()
            if role == "skip":
                self.skip -= 1
            elif role == "math":
                self.math -= 1
                self._text(TEX_CLOSE)
            elif role == "tip-title":
                # the first 一句话回答 box of a section is its answer; any other box is prose
                self.in_answer = self.tip_title.strip() == "一句话回答" and not self.sections[-1]["answer"]
            elif role == "tip":
                self.in_answer = False
            if open_tag == tag:
                break
        if tag in ("p", "li", "td", "th", "div", "h1", "h2", "h3", "h4", "dd", "dt"):
            self._text(" ")

    def _text(self, data):
        if self.skip:
            return
        section = self.sections[-1]
        roles = [r for _t, r in self.stack]
        if "heading" in roles:
            section["title"] += data
        elif "tip-title" in roles:
            self.tip_title += data
        elif "tip" in roles and self.in_answer:
            section["answer"] += data
        else:
            section["body"] += data

    def handle_data(self, data):
        if self.math:
            data = data.replace("\\(", "").replace("\\)", "").replace("\\[", "").replace("\\]", "")
        self._text(data)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page_kind(page: Page) -> str:
    src = page.file.src_uri
    if not src.endswith(".md"):
        return "n"
    if src == "index.md" or src.endswith("/index.md"):
        return "i"
    return ""


def collect(page: Page, html: str) -> list[dict]:
    """Search documents of one page (without the page index, which on_post_build assigns)."""
    parser = _Sections()
    parser.feed(without_code(html))  # code is not indexed (SKIP_TAGS)
    parser.close()
    kind = page_kind(page)
    tags = " ".join(str(t) for t in (page.meta.get("tags") or []))
    title = _clean(page.meta.get("title") or (page.title or ""))
    out: list[dict] = []
    parent_h2, parent_title = -1, ""
    head = parser.sections[0]
    for section in parser.sections[1:]:
        if section["level"] == 1:
            head = {**section, "body": head["body"] + " " + section["body"]}
            continue
        level = section["level"]
        heading = _clean(section["title"])
        question = bool(re.search(r"[？?]\s*$", heading))
        doc_kind = kind or ("q" if level == 2 else "f" if question else "s")
        # what a reader may type with the subject: the breadcrumb (page, and the question a section
        # belongs to), the tags, and what the section holds (a formula, code)
        meta = [tags] + (["公式"] if section.get("formula") else []) + (["代码 实现"] if section.get("code") else [])
        doc = {"anchor": section["anchor"], "title": heading,
               "context": " ".join([title] + ([parent_title] if level > 2 else [])),
               "answer": _clean(section["answer"]), "meta": " ".join(meta), "body": _clean(section["body"]),
               "kind": doc_kind, "parent": parent_h2 if level > 2 else -1}
        if level == 2:
            parent_h2, parent_title = len(out), heading
        out.append(doc)
    top = {"anchor": "", "title": _clean(head["title"]) or title, "context": "",
           "answer": _clean(html_unescape(page.meta.get("description") or "")), "meta": tags, "body": _clean(head["body"]),
           "kind": kind or "p", "parent": -1}
    # parents are indices within the page; the page top comes first
    for doc in out:
        if doc["parent"] >= 0:
            doc["parent"] += 1
    return [top, *out]


def load_aliases(path: Path = ALIASES) -> list[list[str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PluginError(f"{path.relative_to(HOOKS.parent)}:{mark.line + 1 if mark else 1}: "
                          f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    groups = []
    for number, group in enumerate(data, 1):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(m, str) and m.strip() for m in group):
            raise PluginError(f"{path.relative_to(HOOKS.parent)}: entry {number} must be a list of two or more "
                              f"terms, got {group!r}")
        groups.append([m.strip() for m in group])
    return groups


# the Chinese side starts at a boundary that is not "Latin word + space" ("FP8 训练（FP8 training）" pairs
# 训练 with nothing: the term is "FP8 训练")
PAIR_ZH_EN = re.compile(r"(?:^|(?<=[\s，。；：、“”*（(]))(?<![A-Za-z0-9] )([\u4e00-\u9fff]{2,8})[（(]([A-Za-z][A-Za-z0-9 .+\-/]{0,30}[A-Za-z0-9])[）)]")
PAIR_EN_ZH = re.compile(r"(?:^|(?<=[\s，。；：、“”*（(]))([A-Za-z][A-Za-z0-9.+\-]{0,30}[A-Za-z0-9])\s?[（(]([\u4e00-\u9fff]{2,8})[）)]")
# a Chinese side that starts with a function word is a clause, not a term ("的损失（value loss）")
CLAUSE_START = tuple("的和与在是用有为即把被对从及或只取去就让这那其该各每个也都又再而但并")


def is_term_pair(zh: str, en: str) -> bool:
    """Whether "中文（English）" names one thing twice, rather than adding a remark, an example or a citation."""
    if zh.startswith(CLAUSE_START) or re.search("为什么|怎么|什么", zh):
        return False
    if re.search(r"et al|\b(19|20)\d\d\b|\d\s|\s\d", en):
        return False
    # a short common word ("full", "bias", "empty") in brackets is a remark, not the term's English name
    return not re.fullmatch(r"[a-z]{1,5}", en)


def page_pairs(texts: list[str]) -> list[list[str]]:
    """"中文（English）" and "English（中文）" pairs the pages write where they name a question: in headings and
    one-sentence answers (in running prose the brackets hold remarks and examples as often as names)."""
    pairs = set()
    for text in texts:
        prose = re.sub(f"{TEX_OPEN}[^{TEX_CLOSE}]*{TEX_CLOSE}", " ", text)
        for zh, en in PAIR_ZH_EN.findall(prose):
            pairs.add((zh, en.strip()))
        for en, zh in PAIR_EN_ZH.findall(prose):
            pairs.add((zh, en.strip()))
    return [[zh, en] for zh, en in sorted(pairs) if is_term_pair(zh, en)]


CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
JIEBA_DICT = HOOKS / "jieba_user_dict.txt"


SEGMENTS = "segments.json"  # in cache_dir("search"): jieba's words of each CJK run, between builds


def segmenter_key() -> str:
    """What jieba's segmentation depends on: its version, the user dictionary, the mode (no HMM)."""
    from importlib.metadata import version

    h = hashlib.sha256(f"jieba {version('jieba')} HMM=False\n".encode())
    if JIEBA_DICT.is_file():
        h.update(JIEBA_DICT.read_bytes())
    return h.hexdigest()


def _lengths_fit(lengths, run: str) -> bool:
    """A cached entry is used only if its word lengths add up to its run."""
    return (isinstance(lengths, str) and bool(re.fullmatch(r"[1-9]\d*(?:\.[1-9]\d*)*", lengths))
            and sum(int(n) for n in lengths.split(".")) == len(run))


def segment(runs: list[str]) -> dict[str, list[int]]:
    """{run: word lengths} by jieba for each CJK run. Cached in .cache/search/segments.json keyed on
    segmenter_key(): loading jieba's dictionary and cutting every run was a tenth of a warm build, and
    most runs are the same from one build to the next. The file keeps only this build's runs."""
    path = cache_dir("search") / SEGMENTS
    key = segmenter_key()
    known: dict[str, str] = dict(read_entries(path, key))
    wanted = sorted(set(runs))
    missing = [run for run in wanted if not _lengths_fit(known.get(run), run)]
    if missing:
        import jieba

        jieba.setLogLevel(60)
        if JIEBA_DICT.is_file() and not getattr(segment, "_dict", False):
            jieba.load_userdict(str(JIEBA_DICT))
            segment._dict = True
        for run in missing:
            known[run] = ".".join(str(len(word)) for word in jieba.cut(run, HMM=False))
    if missing or len(known) != len(wanted):
        write_entries(path, key, {run: known[run] for run in wanted})
    return {run: [int(n) for n in known[run].split(".")] for run in wanted}


def bigram_cohesion(texts: list[str]) -> dict[str, float]:
    """For each CJK bigram of the prose, the share of its occurrences that lie inside one jieba word: "温度"
    is a word, "度越" in "温度越高" only joins two. Queries weigh a bigram by it (see search-core.mjs), so
    a long query's accidental bigrams do not decide the ranking. Only bigrams below 1 are returned."""
    runs = [run for text in texts
            for run in CJK_RUN.findall(re.sub(f"{TEX_OPEN}[^{TEX_CLOSE}]*{TEX_CLOSE}", " ", text))
            if len(run) >= 2]
    words = segment(runs)
    inside: dict[str, int] = {}
    total: dict[str, int] = {}
    for run in runs:
        word_of = []
        for number, length in enumerate(words[run]):
            word_of += [number] * length
        for i in range(len(run) - 1):
            bigram = run[i:i + 2]
            total[bigram] = total.get(bigram, 0) + 1
            if word_of[i] == word_of[i + 1]:
                inside[bigram] = inside.get(bigram, 0) + 1
    return {b: round(inside.get(b, 0) / n, 2) for b, n in total.items() if inside.get(b, 0) < n}


def on_config(config):
    """Material's search plugin stays for the header's search button and dialog frame, and still strips the
    data-search-* attributes from the pages; its lunr indexing (an HTML parse of every page, about a third
    of a warm build) is switched off, since this hook builds the index the site uses."""
    plugin = config.plugins.get("material/search")
    if plugin is None or not hasattr(plugin, "search_index"):
        raise PluginError("hooks/search.py expects Material's search plugin (plugins: - search) for the search dialog")
    plugin.search_index.add_entry_from_context = lambda page: None
    return config


def on_pre_build(config):
    _pages.clear()
    _docs.clear()


@event_priority(50)  # before hooks/typeset.py replaces the TeX
def on_page_content(content: str, page: Page, config, files):
    if page.meta.get("search", {}).get("exclude") or page.file.src_uri == "tags.md":
        return content
    index, base = len(_pages), len(_docs)
    _pages.append([page.url, _clean(page.title or "")])
    for doc in collect(page, content):
        doc["page"] = index
        if doc["parent"] >= 0:
            doc["parent"] += base
        _docs.append(doc)
    return content


def build_index(site_dir: Path, docs: list[dict], pages: list[list[str]], aliases: list[list[str]],
                cohesion: dict[str, float]) -> dict:
    node = shutil.which("node")
    if node is None:
        raise PluginError("Node.js is required to build the search index (install node, then `make setup`)")
    payload = json.dumps({"docs": docs, "pages": pages, "aliases": aliases, "cohesion": cohesion},
                         ensure_ascii=False)
    proc = subprocess.run([node, str(HOOKS / "search_index.mjs"), str(site_dir / "search")],
                          input=payload, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PluginError(f"hooks/search_index.mjs failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def on_post_build(config):
    site_dir = Path(config.site_dir)
    texts = [d[f] for d in _docs for f in ("title", "answer", "body")]
    aliases = load_aliases() + page_pairs([d[f] for d in _docs for f in ("title", "answer")])
    build_index(site_dir, _docs, _pages, aliases, bigram_cohesion(texts))
    for stale in ("search_index.json", "search_index.js"):
        (site_dir / "search" / stale).unlink(missing_ok=True)
