"""The strict build and the properties of its output that need no browser."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import DOCS, ROOT, TEST_SITE_URL, html_pages, load_hook, page_url, parsed

SITE_HOST = urlparse(TEST_SITE_URL).netloc
RESOURCE_ATTRS = {
    "script": ["src"], "img": ["src", "srcset"], "source": ["src", "srcset"], "iframe": ["src"],
    "video": ["src", "poster"], "audio": ["src"], "embed": ["src"], "object": ["data"], "use": ["href", "xlink:href"],
}
URL_IN_CSS = re.compile(r"url\(\s*['\"]?(https?:)?//([^/'\")]+)", re.I)
IMPORT_IN_CSS = re.compile(r"@import\s+['\"](https?:)?//([^/'\"]+)", re.I)
EXTERNAL_IN_SOURCE = re.compile(r"(?:https?:)?//([a-z0-9.-]+\.[a-z]{2,})[/\"')]", re.I)


def third_party(url: str) -> str | None:
    url = url.strip()
    if url.startswith("//") or url.startswith("http://") or url.startswith("https://"):
        host = urlparse(url if not url.startswith("//") else "http:" + url).netloc
        if host and host != SITE_HOST:
            return host
    return None


def test_strict_build_succeeds(build):
    site, proc = build
    assert (site / "index.html").is_file()
    assert "WARNING" not in proc.stderr, proc.stderr[-3000:]


def test_no_third_party_assets_in_html(site):
    problems = []
    for path in html_pages(site) + [site / "404.html"]:
        soup = parsed(path)
        for tag, attrs in RESOURCE_ATTRS.items():
            for el in soup.find_all(tag):
                for attr in attrs:
                    for url in (el.get(attr) or "").split(","):
                        host = third_party(url.split(" ")[0])
                        if host:
                            problems.append(f"{path.relative_to(site)}: <{tag} {attr}> loads {url.strip()}")
        for el in soup.find_all("link"):
            rel = " ".join(el.get("rel") or [])
            if rel in ("canonical", "alternate", "author", "license") or "nofollow" in rel:
                continue
            host = third_party(el.get("href") or "")
            if host:
                problems.append(f"{path.relative_to(site)}: <link rel={rel}> loads {el.get('href')}")
        for style in soup.find_all("style"):
            for m in URL_IN_CSS.finditer(style.text):
                problems.append(f"{path.relative_to(site)}: inline style loads //{m.group(2)}")
    assert not problems, "\n".join(problems[:20])


def test_no_third_party_urls_in_stylesheets(site):
    problems = []
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for m in list(URL_IN_CSS.finditer(text)) + list(IMPORT_IN_CSS.finditer(text)):
            if m.group(2) != SITE_HOST:
                problems.append(f"{css.relative_to(site)}: loads //{m.group(2)}")
    assert not problems, "\n".join(problems)


def test_own_assets_and_config_name_no_third_party_host():
    """Our scripts, styles, templates and config may not point at a CDN (Material's bundle is checked in the browser)."""
    problems = []
    sources = [ROOT / "mkdocs.yml", *sorted((DOCS / "assets").rglob("*.*")), *sorted((ROOT / "overrides").rglob("*.*"))]
    for path in sources:
        if path.suffix not in (".yml", ".js", ".css", ".html", ".mjs"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("#", "//", "*", "/*", "{#")):
                continue
            for m in EXTERNAL_IN_SOURCE.finditer(line):
                if "SITE_URL" in line or "127.0.0.1" in m.group(1) or m.group(1) == "www.w3.org":
                    continue
                problems.append(f"{path.relative_to(ROOT)}:{n}: third-party host {m.group(1)}")
    assert not problems, "\n".join(problems)


def test_mathjax_is_self_hosted_and_mermaid_is_not_shipped(site):
    assert (site / "assets/vendor/mathjax/tex-chtml.js").is_file()
    fonts = list((site / "assets/vendor/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert len(fonts) > 10
    # diagrams are rendered at build (hooks/mermaid.py): no page needs Mermaid's 224+ KiB bundle
    assert not list(site.rglob("mermaid*.mjs")) and not list(site.rglob("mermaid*.js"))


def test_every_diagram_is_rendered_at_build_in_both_palettes(site):
    problems = []
    for path in html_pages(site):
        soup = parsed(path)
        for d in soup.select("article .mermaid-diagram"):
            where = f"{page_url(site, path)} diagram {d.get('data-diagram')}"
            light, dark = d.select(".mermaid-light > svg"), d.select(".mermaid-dark > svg")
            if d.get("data-rendered") != "build" or len(light) != 1 or len(dark) != 1:
                problems.append(f"{where}: not rendered in both palettes")
            if not d.get("aria-label") or not d.select("button.diagram-zoom"):
                problems.append(f"{where}: no accessible name or zoom button")
        ids = [el["id"] for el in soup.select("[id]")]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            problems.append(f"{page_url(site, path)}: repeated ids {dup[:5]}")
    assert not problems, "\n".join(problems[:20])


def search_index(site: Path) -> tuple[dict, list, dict]:
    """(manifest, documents, {term: postings}) of the built search index."""
    folder = site / "search"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    docs = []
    for k in range(-(-manifest["n"] // manifest["docChunk"])):
        docs += json.loads((folder / f"d{k}.json").read_text(encoding="utf-8"))
    postings = {}
    for k in range(manifest["shards"]):
        postings.update(json.loads((folder / f"t{k}.json").read_text(encoding="utf-8"))["p"])
    return manifest, docs, postings


def test_search_index_is_small_pieces_with_one_entry_per_answer(site):
    """No page fetches the index (the browser tests check that); here its shape: Material's lunr index is
    gone, every question, follow-up and notebook section has an entry with its page#id, and no piece a
    query fetches is large."""
    assert not (site / "search/search_index.json").exists(), "Material's lunr index should be removed"
    manifest, docs, postings = search_index(site)
    assert manifest["n"] == len(docs) == len(manifest["kinds"]) == len(manifest["lens"]) // 5
    located = {manifest["pages"][d[0]][0] + ("#" + d[1] if d[1] else "") for d in docs}
    for path in html_pages(site):
        url = page_url(site, path)
        if url == "tags/":
            assert url not in located
            continue
        soup = parsed(path)
        for h in soup.select("article h2[id], article h3[id]"):
            assert f"{url}#{h['id']}" in located, f"{url}#{h['id']} has no search entry"
    for piece in (site / "search").glob("*.json"):
        assert piece.stat().st_size < 96 * 1024, f"{piece.name} is {piece.stat().st_size} bytes: shard it finer"
    assert sum(len(v) // 2 for v in postings.values()) > 20 * manifest["n"]


def test_search_previews_are_readable_text(site):
    """A result shows the question's one-sentence answer as plain text: no TeX, no code, no markup."""
    manifest, docs, _ = search_index(site)
    by_loc = {manifest["pages"][d[0]][0] + "#" + d[1]: d for d in docs}
    problems = []
    for loc, (_page, _anchor, title, _parent, preview) in by_loc.items():
        for text in (title, preview):
            if re.search(r"\\[A-Za-z]{2,}|\$|```|</?(p|div|span|code|a|img|mjx-[a-z]+)\b", text):
                problems.append(f"{loc}: {text[:80]!r}")
    assert not problems, "\n".join(problems[:20])
    # the answer box is the preview of its question, formulas as text
    sqrt_dk = by_loc["attention/scaling/#attention-sqrt-dk-scaling"][4]
    assert "√" in sqrt_dk, sqrt_dk


def test_search_aliases_reach_pages_that_write_one_language(site):
    """hooks/search_aliases.yml: the TTFT answer also carries 首字延迟; page pairs such as "层归一化（LayerNorm）"
    are applied across the site."""
    manifest, docs, postings = search_index(site)
    ids = {manifest["pages"][d[0]][0] + "#" + d[1]: i for i, d in enumerate(docs)}

    def docs_with(term):
        out, doc = set(), 0
        plist = postings.get(term, [])
        for i in range(0, len(plist), 2):
            doc += plist[i]
            out.add(doc)
        return out

    assert ids["inference/memory/#ttft-tpot"] in docs_with("首字")
    assert ids["normalization/layernorm/#batchnorm-vs-layernorm"] in docs_with("layernorm")


def test_every_page_has_description_and_link_preview(site):
    problems = []
    for path in html_pages(site):
        soup = parsed(path)
        where = path.relative_to(site)
        desc = soup.find("meta", attrs={"name": "description"})
        if not desc or not desc.get("content"):
            problems.append(f"{where}: no <meta name=description>")
        for prop in ("og:title", "og:description", "og:url", "og:type"):
            if not soup.find("meta", attrs={"property": prop}):
                problems.append(f"{where}: no {prop}")
        og_url = soup.find("meta", attrs={"property": "og:url"})
        if og_url and not og_url["content"].startswith(TEST_SITE_URL):
            problems.append(f"{where}: og:url {og_url['content']} is not absolute under site_url")
        if not soup.find("meta", attrs={"name": "twitter:card"}):
            problems.append(f"{where}: no twitter:card")
    assert not problems, "\n".join(problems[:20])


def notebook_sources() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.py") if "assets" not in p.parts)


def test_notebook_pages_are_small_and_complete(site):
    problems = []
    sources = notebook_sources()
    assert sources, "no notebooks found"
    for src in sources:
        rel = src.relative_to(DOCS)
        page = site / rel.parent / rel.stem / "index.html"
        if not page.is_file():
            problems.append(f"{rel}: no page at {page.relative_to(site)}")
            continue
        size = page.stat().st_size
        if size > 150 * 1024:
            problems.append(f"{rel}: page is {size / 1024:.0f} KiB of HTML (limit 150 KiB)")
        html = page.read_text(encoding="utf-8")
        for noise in ("In [", "Copied!", "jp-Cell", "jupyter-wrapper"):
            if noise in html:
                problems.append(f"{rel}: page contains notebook UI noise {noise!r}")
        if not (site / rel.parent / f"{rel.stem}.fig1.svg").is_file():
            problems.append(f"{rel}: produced no figure")
        ipynb = site / rel.parent / f"{rel.stem}.ipynb"
        if not ipynb.is_file():
            problems.append(f"{rel}: no downloadable .ipynb")
        else:
            nb = json.loads(ipynb.read_text(encoding="utf-8"))
            if nb.get("nbformat") != 4 or not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code"):
                problems.append(f"{rel}: .ipynb is not an executed notebook")
        if f'{rel.stem}.ipynb' not in html:
            problems.append(f"{rel}: page has no download link")
    assert not problems, "\n".join(problems)


def test_notebook_search_entries_have_no_prompt_noise(site):
    manifest, docs, postings = search_index(site)
    noisy = [d for d in docs if "In [" in d[4] or "Copied!" in d[4] or ".ipynb" in d[4]]
    assert not noisy, noisy[:5]
    # the download footer ("下载 notebook（kv-cache.ipynb）…") is not indexed: no "kvcacheipynb"-like terms
    assert not [t for t in postings if t.endswith("ipynb") and t != "ipynb"], "the download footer is indexed"


def test_notebook_headings_have_ids_and_toc(site):
    for src in notebook_sources():
        rel = src.relative_to(DOCS)
        soup = parsed(site / rel.parent / rel.stem / "index.html")
        article = soup.select_one("article")
        heads = article.select("h2, h3")
        assert heads, f"{rel}: no section headings"
        for h in heads:
            assert h.get("id") and re.fullmatch(r"[a-z0-9-]+", h["id"]), f"{rel}: heading {h.text!r} has id {h.get('id')!r}"
        toc_links = {a["href"].split("#")[-1] for a in soup.select(".md-sidebar--secondary a.md-nav__link[href*='#']")}
        assert {h["id"] for h in article.select("h2")} <= toc_links, f"{rel}: table of contents misses headings"


def test_notebook_figures_are_deterministic_svg(site):
    for svg in site.rglob("*.fig*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith(("<?xml", "<svg")), svg
        assert "<dc:date>" not in text, f"{svg.name} embeds a date"


def test_every_page_shows_last_updated_date(site):
    """Dates come from git; pages never committed have none, so only committed pages are checked."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    checked = 0
    for src in tracked:
        rel = Path(src).relative_to("docs")
        if rel.suffix not in (".md", ".py") or rel.parts[0] == "assets":
            continue
        stem = rel.with_suffix("")
        out = site / (stem.parent if stem.name == "index" else stem) / "index.html"
        html = out.read_text(encoding="utf-8")
        assert "md-source-file" in html and re.search(r"\d{4}-\d{2}-\d{2}", html), f"{src}: no last-updated date"
        checked += 1
    if not checked:
        pytest.skip("no committed pages yet")


def test_site_works_under_a_sub_path(site):
    """Every internal URL in the HTML is relative, so the site can be served under /<repo>/."""
    problems = []
    for path in html_pages(site):
        soup = parsed(path)
        for el in soup.find_all(["a", "link", "script", "img"]):
            url = el.get("href") or el.get("src") or ""
            rel = " ".join(el.get("rel") or [])
            if url.startswith("/") and not url.startswith("//") and rel != "canonical":
                problems.append(f"{page_url(site, path)}: root-absolute URL {url}")
    assert not problems, "\n".join(problems[:20])


def test_lazy_blocks_are_marked_after_the_first_blocks_and_never_around_code():
    hook = load_hook("pages")
    head = "".join(f"<p>intro {i}<br>line</p>\n" for i in range(hook.LAZY_FROM - 1))
    head += "<table><tr><td>0</td></tr></table>\n"  # the last block that renders at once
    tail = ('<p>plain <em>text</em></p>\n<div class="admonition tip"><p>answer</p></div>\n'
            '<div class="highlight"><pre><code>x = 1</code></pre></div>\n'
            '<details class="note"><summary>code</summary><pre><code>y</code></pre></details>\n'
            "<table><tr><td>1</td></tr></table>\n<hr>\n<h2 id=\"q\">Q</h2>\n"
            '<p>a formula <mjx-container class="MathJax"><mjx-math><mjx-c class="mjx-c1D465"></mjx-c></mjx-math>'
            "</mjx-container> inside</p>\n")
    out = hook.mark_lazy_blocks(head + tail)
    assert out.count("lazy-block") == 4
    assert '<p class="lazy-block" style="--lazy-m: ' in out.split("<h2")[1]  # the formula's paragraph is one block
    assert out.startswith(head.split("<table>")[0])  # the first blocks are untouched
    assert '<div class="table-block"><table><tr><td>0</td></tr></table></div>' in out  # early: wrapped only
    assert re.search(r'<p class="lazy-block" style="--lazy-m: \d+px; --lazy-d: \d+px">plain <em>text</em></p>', out)
    assert re.search(r'<div class="lazy-block admonition tip" style="[^"]+">', out)
    assert '<div class="highlight"><pre>' in out and '<details class="note">' in out  # code stays rendered
    assert re.search(r'<div class="table-block lazy-block" style="[^"]+"><table><tr><td>1</td></tr></table></div>', out)
    assert '<h2 id="q">' in out and "<hr>" in out  # headings and rules are not blocks to skip
    # nothing else changes
    stripped = re.sub(r' style="--lazy-m: \d+px; --lazy-d: \d+px"', "", out)
    stripped = (stripped.replace('<div class="table-block lazy-block">', "").replace('<div class="table-block">', "")
                .replace("</table></div>", "</table>").replace(' class="lazy-block"', "").replace("lazy-block ", ""))
    assert stripped == head + tail


def test_blocks_render_at_once_only_until_they_fill_a_screen_and_a_half():
    """Tall opening blocks (long answers, formula lists) reach EAGER_PX before LAZY_FROM blocks: the
    blocks after them are skipped, on a phone's and a desktop's estimate both."""
    hook = load_hook("pages")
    para = "<p>" + "这是一段很长的回答，" * 40 + "</p>\n"
    h = hook.block_height(para.strip())
    eager = max(-(-hook.EAGER_PX[k] // h[k]) for k in hook.LAYOUTS)  # blocks that fill both estimates
    assert eager < hook.LAZY_FROM
    out = hook.mark_lazy_blocks(para * (eager + 3))
    blocks = out.split("\n")[:-1]
    assert ["lazy-block" in b for b in blocks] == [False] * eager + [True] * 3
    # a heading never becomes lazy, and it counts towards the height above the next block
    mixed = hook.mark_lazy_blocks(para * eager + '<h2 id="q">Q</h2>\n' + para)
    assert mixed.count("lazy-block") == 1 and '<h2 id="q">' in mixed


def test_skipped_blocks_reserve_their_estimated_height():
    """A block's reserved height grows with its text and counts a collapsed reference block as one line."""
    hook = load_hook("pages")
    short, long = hook.block_height("<p>短句。</p>"), hook.block_height("<p>" + "很长的一段话。" * 60 + "</p>")
    assert short["m"] < long["m"] and long["m"] > long["d"] > short["d"]
    assert hook.block_height('<details class="note"><summary>参考</summary><p>' + "文献" * 400 + "</p></details>")["m"] == 56
    figure = hook.block_height('<p><img src="a.svg" width="640" height="320"></p>')
    assert 150 < figure["m"] < 250 and 300 < figure["d"] < 400
    listing = '<ul><li><a href="x/">页面</a></li></ul>'
    grouped = hook.block_height(f'<div class="tag-listing"><h2 id="tag:x">x</h2>{listing}</div>')
    assert all(56 <= grouped[k] - hook.block_height(listing)[k] <= 60 for k in hook.LAYOUTS)  # a heading: 56 px


def test_built_pages_skip_far_blocks_only(site):
    html = (site / "llm" / "mla" / "index.html").read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    blocks = [el for el in article.find_all(recursive=False)]
    lazy = [el for el in blocks if "lazy-block" in (el.get("class") or [])]
    assert len(lazy) >= 20, "the longest page should skip most of its blocks until they near the viewport"
    assert not any(el.find("pre") for el in lazy)
    assert not any("lazy-block" in (el.get("class") or []) for el in blocks[:10])
    assert not article.select(".lazy-block .lazy-block")


def test_tags_page_skips_the_tag_groups_below_the_first_screen(site):
    """Each tag's heading and page list are one block (overrides/fragments/tags), so all but the first few
    of the 500+ groups are skipped at load, headings included; every tag still has its anchor."""
    article = BeautifulSoup((site / "tags" / "index.html").read_text(encoding="utf-8"),
                            "html.parser").select_one("article")
    groups = article.find_all("div", class_="tag-listing", recursive=False)
    assert len(groups) >= 300 and all(g.find("h2", id=re.compile("^tag:")) and g.find("ul") for g in groups)
    lazy = [g for g in groups if "lazy-block" in g["class"]]
    assert len(lazy) >= len(groups) - 20 and "lazy-block" not in groups[0]["class"]
    assert not article.find_all("h2", recursive=False), "a tag heading outside its group"


def test_figures_have_alt_text_and_text_readable_on_a_phone(site):
    """Every figure says what it shows (alt text from the cell's `#| alt:` line, not a file name), and its
    smallest text is at least 9 CSS px when a 375 px screen shrinks it to the article's width."""
    sys.path.insert(0, str(ROOT / "tools"))
    import figcheck

    problems = []
    for path in html_pages(site):
        soup = parsed(path)
        for img in soup.select("article img"):
            src = img.get("src", "")
            if not src.endswith(".svg") or ".fig" not in src:
                continue
            where = f"{page_url(site, path)} {src}"
            alt = (img.get("alt") or "").strip()
            if len(alt) < 8 or re.search(r"图 \d+$", alt):
                problems.append(f"{where}: alt text {alt!r} does not describe the figure (add `#| alt: …` to its cell)")
            svg = (path.parent / src).resolve()
            px, label = figcheck.smallest_text_on_phone(svg.read_text(encoding="utf-8"))
            if px < figcheck.MIN_PX:
                problems.append(f"{where}: smallest text {px:.1f} CSS px on a phone ({label[:30]!r}); "
                                f"at least {figcheck.MIN_PX:g} (larger fonts or a narrower figure)")
    assert not problems, f"{len(problems)} figure problems:\n" + "\n".join(sorted(set(problems)))


def test_topic_indexes_list_every_question_and_notebook_of_their_topic(site):
    """The lists on docs/<topic>/index.md are generated (hooks/pages.py, `<!-- bagu:questions -->`): each
    links every ## question of the topic's pages and every notebook, with the title the page has now."""
    problems = []
    for index in sorted(DOCS.glob("*/index.md")):
        topic = index.parent.name
        html = (site / topic / "index.html").read_text(encoding="utf-8")
        if "bagu:" in html:
            problems.append(f"docs/{topic}/index.md: a list marker was left in the page")
        soup = parsed(site / topic / "index.html")
        links = {a["href"].split("?")[0] for a in soup.select("article a[href]")}
        for page in sorted((site / topic).glob("*/index.html")):
            stem = page.parent.name
            doc = parsed(page)
            source = DOCS / topic / f"{stem}.py"
            if source.is_file():
                if f"{stem}/" not in links:
                    problems.append(f"docs/{topic}/index.md: notebook {stem}.py is not listed")
                continue
            for h2 in doc.select("article h2[id]"):
                if f"{stem}/#{h2['id']}" not in links:
                    problems.append(f"docs/{topic}/index.md: question {stem}.md#{h2['id']} is not listed")
    assert not problems, "\n".join(problems)


def test_the_repository_link_is_a_plain_link(site):
    """With REPO_URL set (the Pages workflow sets it) every page links the repository, without the
    data-md-component that makes Material's bundle query api.github.com."""
    from conftest import TEST_REPO_URL

    for path in html_pages(site)[:5] + [site / "index.html"]:
        soup = parsed(path)
        links = soup.select("a.md-source")
        assert links and all(a["href"] == TEST_REPO_URL for a in links), path
        assert not soup.select('[data-md-component="source"]'), f"{path}: repository facts would be fetched"


def test_subset_math_fonts_still_have_every_glyph_the_pages_draw(site):
    """hooks/typeset.py cuts the math fonts down to the characters the site draws. For every character
    element of every page, the font its variant class selects must still contain the glyph."""
    from fontTools.ttLib import TTFont

    hook = load_hook("typeset")
    css = (site / hook.CSS_URI).read_text(encoding="utf-8")
    pair_content, plain_content, family_of, urls = {}, {}, {}, {}
    for selector, body in hook.css_rules(css):
        if selector == "@font-face":
            m = hook.FONT_FACE.search(body)
            if m:
                urls[m.group(1)] = m.group(2)
            continue
        fam = hook.FAMILY.search(body)
        if fam and re.fullmatch(r"\.(TEX-[A-Z0-9]+|MJX-TEX)", selector):
            family_of[selector[1:]] = fam.group(1)
        content = hook.CONTENT.search(body)
        m = re.fullmatch(r"mjx-c\.(mjx-c[0-9A-F]+)(?:\.(TEX-[A-Z0-9]+))?::before", selector)
        if content and m:
            target = pair_content if m.group(2) else plain_content
            target[(m.group(1), m.group(2)) if m.group(2) else m.group(1)] = hook.css_string(content.group(1))
    cmaps = {}

    def cmap(family):
        url = urls[family]
        if url not in cmaps:
            cmaps[url] = set(TTFont(str((site / hook.CSS_URI).parent / url)).getBestCmap())
        return cmaps[url]

    problems = set()
    for path in html_pages(site):
        for glyph, variant in set(hook.PAIR.findall(path.read_text(encoding="utf-8"))):
            text = pair_content.get((glyph, variant)) or plain_content.get(glyph)
            if text is None:
                problems.add(f"{glyph} {variant}: no glyph rule in {hook.CSS_URI}")
                continue
            family = family_of[variant or "MJX-TEX"]
            missing = [ch for ch in text if ord(ch) not in cmap(family)]
            if missing:
                problems.add(f"{page_url(site, path)}: {glyph} {variant or ''} draws {missing} with {family}, "
                             "which the subset font lacks")
    assert not problems, "\n".join(sorted(problems)[:20])


def test_a_downloaded_notebook_runs_on_its_own(site, tmp_path):
    """The .ipynb a reader downloads carries the snippet modules it imports and the plot style: executed
    in an empty directory, without the repository on sys.path, every cell runs."""
    import nbformat
    from nbclient import NotebookClient

    for stem in ("normalization/bn-ln-axes", "llm/mla-absorption"):
        nb = nbformat.reads((site / f"{stem}.ipynb").read_text(encoding="utf-8"), as_version=4)
        assert nb.cells[0].id == "bundle" and "snippets/" in nb.cells[0].source
        work = tmp_path / stem.replace("/", "_")
        work.mkdir()
        env_path = os.environ.get("PYTHONPATH")
        os.environ.pop("PYTHONPATH", None)
        try:
            NotebookClient(nb, timeout=120, kernel_name="python3",
                           resources={"metadata": {"path": str(work)}}).execute()
        finally:
            if env_path is not None:
                os.environ["PYTHONPATH"] = env_path
        assert (work / "snippets").is_dir()
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, errors


def test_every_page_is_valid_html(site):
    """The Nu Html Checker (vnu-jar from npm, the W3C validator's engine; Java from tools/ensure-debian.sh)
    finds no error on any built page: no duplicate ids, no invalid nesting, no bad attributes."""
    import shutil
    import subprocess

    jar = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    java = shutil.which("java")
    assert jar.is_file(), "vnu-jar is missing: run `make setup` (npm ci)"
    assert java, "java is missing: run tools/ensure-debian.sh (default-jre-headless)"
    proc = subprocess.run([java, "-Xss8m", "-jar", str(jar), "--format", "gnu", "--skip-non-html", "--errors-only",
                           str(site)], capture_output=True, text=True, timeout=900)
    errors = [line.replace(str(site) + "/", "") for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 0 and not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors[:30])
