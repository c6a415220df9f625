"""The PDF of the whole site (tools/pdf.py, `make pdf`), printed once from the test build (cached in
.cache/pdf/ while the site is unchanged) and read back with pypdf: every question is in it at its own
destination, no TeX is left raw, every internal link lands on a destination, the table of contents gives
the right page numbers and the bookmarks follow the nav."""

from __future__ import annotations

import html
import importlib.util
import re
import sys
import unicodedata

import pytest

from conftest import ROOT, TEST_SITE_URL, html_pages, page_url

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("pdf")]  # one printed PDF per module: one worker
pypdf = pytest.importorskip("pypdf", reason="pypdf is pinned in requirements.txt: run `make setup`")


def load_tool():
    spec = importlib.util.spec_from_file_location("pdf_tool", ROOT / "tools" / "pdf.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool():
    return load_tool()


@pytest.fixture(scope="module")
def printed(site, tool, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "bagu.pdf"
    figures = tool.build(site, out)
    reader = pypdf.PdfReader(str(out))
    dests = {str(k).lstrip("/"): reader.get_destination_page_number(v) for k, v in reader.named_destinations.items()}
    print(f"PDF: {figures['pages']} pages, {figures['bytes'] / 1024 / 1024:.1f} MiB, printed in {figures['seconds']} s")
    return {"reader": reader, "figures": figures, "dests": dests, "path": out, "text": tool.page_texts(reader)}


def page_text(printed, number: int) -> str:
    return printed["text"][number]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def loose(text: str) -> str:
    """A pattern for `text` as printed. The PDF's ToUnicode names one of the characters that share a glyph:
    some ideographs come out as CJK radicals ("⻅" for "见", U+2E80–U+2EFF, which NFKC leaves alone) and
    an en dash as a hyphen or figure dash. So an ideograph also matches a radical, a dash any dash."""
    def one(c):
        if "\u4e00" <= c <= "\u9fff":
            return f"[{re.escape(c)}\u2e80-\u2eff]"
        if c in "-\u2010\u2011\u2012\u2013\u2014\u2015":
            return "[-\u2010-\u2015]"
        return re.escape(c)
    return "".join(one(c) for c in text)


def test_the_pdf_has_every_page_in_nav_order_and_reports_its_figures(printed, tool):
    figures, dests = printed["figures"], printed["dests"]
    entries = [e for e in tool.nav_entries(ROOT / "mkdocs.yml") if e.url not in tool.SKIP_PAGES]
    assert figures["pages"] == len(printed["reader"].pages) > len(entries)
    assert figures["bytes"] == printed["path"].stat().st_size
    starts = [dests[e.anchor] for e in entries]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), "pages out of nav order"
    assert starts[0] > dests["pdf-toc"] > 0


def test_every_question_title_is_printed_at_its_destination(site, printed):
    problems, checked = [], 0
    for path in html_pages(site):
        url = page_url(site, path)
        if url == "review/":
            continue
        text = path.read_text(encoding="utf-8")
        for qid, title in re.findall(r'<h2 id="([^"]+)">(.*?)<a class="headerlink"', text, re.S):
            if not re.search(rf'<h2 id="{re.escape(qid)}">.*?</h2>\s*<div class="(?:lazy-block )?admonition tip"', text, re.S):
                continue
            # formulas are drawn as paths (no text in the PDF): the title's other pieces, in order
            pieces = re.split(r"<mjx-container\b.*?</mjx-container>", title, flags=re.S)
            pieces = [squeeze(html.unescape(re.sub(r"<[^>]+>", "", p))) for p in pieces]
            plain = "…".join(p for p in pieces if p)
            page = printed["dests"].get(qid)
            if page is None:
                problems.append(f"{url}#{qid}: no named destination")
                continue
            around = squeeze(page_text(printed, page) + page_text(printed, min(page + 1, len(printed["reader"].pages) - 1)))
            if not re.search(".{0,80}?".join(loose(p) for p in pieces if p), around):
                problems.append(f"{url}#{qid}: title {plain!r} not on PDF page {page + 1}")
            checked += 1
    assert checked > 150
    assert not problems, "\n".join(problems[:20])


# TeX commands as text (typeset formulas are paths); not \( or \[ alone, which the printed code has (regexes)
RAW_TEX = re.compile(r"\$\$|\\(?:frac|mathrm|mathbb|mathcal|sum|sqrt|begin|left|right|operatorname|text|cdot|alpha|theta|lambda)\b")


def test_no_raw_tex_is_left_in_the_pdf(printed):
    reader, problems = printed["reader"], []
    for number in range(len(reader.pages)):
        text = page_text(printed, number)
        m = RAW_TEX.search(text)
        if m:
            problems.append(f"page {number + 1}: …{text[max(0, m.start() - 40):m.end() + 40]!r}…")
    assert not problems, "\n".join(problems[:20])


def test_internal_links_resolve_and_external_links_leave_the_local_server(printed):
    reader, dests = printed["reader"], printed["dests"]
    internal, problems = 0, []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            action = annot.get("/A")
            dest = annot.get("/Dest")
            if action is not None and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if dest is not None:
                name = str(dest).lstrip("/") if not isinstance(dest, list) else None
                if name is not None and name not in dests:
                    problems.append(f"page {number + 1}: link to missing destination {name!r}")
                internal += 1
            elif action is not None and action.get("/S") == "/URI":
                uri = str(action.get("/URI"))
                host = re.match(r"https?://([^/]+)", uri)
                if not host or (host.group(1).startswith("127.0.0.1") and not uri.startswith(TEST_SITE_URL)):
                    problems.append(f"page {number + 1}: link {uri!r} points at the print server or nowhere")
                if "__bagu_pdf__" in uri:
                    problems.append(f"page {number + 1}: link {uri!r} into the print document by URL")
    assert internal > 1000
    assert not problems, "\n".join(problems[:20])


def test_answer_ids_are_named_destinations(site, printed, tool):
    """Every question and follow-up id of the question pages opens the PDF there (…pdf#nameddest=<id>)."""
    missing, checked = [], 0
    for e in tool.nav_entries(ROOT / "mkdocs.yml"):
        if not e.src.endswith(".md") or e.url in tool.SKIP_PAGES:
            continue
        html = (site / e.url / "index.html").read_text(encoding="utf-8")
        for qid in re.findall(r'<h[23] id="([a-z0-9-]+)">', html):
            checked += 1
            if qid not in printed["dests"]:
                missing.append(f"{e.url}#{qid}")
    assert checked > 500 and not missing, missing[:20]


def test_table_of_contents_gives_the_page_numbers(printed, tool):
    dests, reader = printed["dests"], printed["reader"]
    toc_first, body_first = dests["pdf-toc"], dests["pdf-home"]
    toc = "".join(page_text(printed, n) for n in range(toc_first, body_first))
    entries = [e for e in tool.nav_entries(ROOT / "mkdocs.yml") if e.url not in tool.SKIP_PAGES]
    checked = 0
    for e in entries[:: max(1, len(entries) // 25)]:
        number = dests[e.anchor] + 1
        title = loose(squeeze(e.title)[:12])
        assert re.search(title + r".*?" + rf"(?<!\d){number}(?!\d)", squeeze(toc)), (e.title, number)
        checked += 1
    assert checked >= 20
    # the footer numbers the pages as the contents do
    assert re.search(rf"(?<!\d){dests['pdf-home'] + 1}/{len(reader.pages)}", squeeze(page_text(printed, dests["pdf-home"])))


def test_bookmarks_follow_the_nav(printed):
    outline = printed["reader"].outline
    tops = [item["/Title"] for item in outline if not isinstance(item, list)]
    assert tops[:3] == ["首页", "基础", "训练技巧"], tops[:5]
    assert "工程与编程基础" in tops
