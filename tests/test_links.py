"""Internal links of the built site, notebook pages included: every target file and every #fragment exists.

MkDocs validates Markdown links; this checks the final HTML, so links produced by templates, hooks and
notebook rendering (download links, figure files, anchors into notebook pages) are covered too.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse


from conftest import DOCS, html_pages, page_url, parsed

BASE = "http://site.invalid/"


def ids_of(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        soup = parsed(path)
        cache[path] = {el["id"] for el in soup.find_all(id=True)}
    return cache[path]


def resolve(site: Path, url: str) -> Path | None:
    path = site / unquote(urlparse(url).path[len(urlparse(BASE).path):])
    if url.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path


def test_every_internal_link_and_fragment_resolves(site):
    cache: dict = {}
    problems, checked = [], 0
    for page in html_pages(site):
        here = BASE + page_url(site, page)
        soup = parsed(page)
        for el in soup.select("a[href], img[src], link[href], script[src]"):
            ref = el.get("href") or el.get("src")
            if ref.startswith(("mailto:", "data:", "javascript:")) or re.match(r"^[a-z]+://", ref):
                continue
            absolute = urljoin(here, ref)
            target = resolve(site, absolute)
            checked += 1
            if not target.is_file():
                problems.append(f"{page_url(site, page)}: {ref} -> missing {target.relative_to(site)}")
                continue
            fragment = unquote(urlparse(absolute).fragment)
            if fragment and target.suffix == ".html" and not fragment.startswith(("__", ":~:")):
                if fragment not in ids_of(target, cache):
                    problems.append(f"{page_url(site, page)}: {ref} -> no id #{fragment} on {target.relative_to(site)}")
    assert checked > 1000
    assert not problems, f"{len(problems)} broken internal links:\n" + "\n".join(problems[:30])


def test_questions_and_notebooks_link_both_ways():
    """Each notebook links to a question page, and that page links back to the notebook."""
    problems = []
    for nb in sorted(p for p in DOCS.rglob("*.py") if "assets" not in p.parts):
        text = nb.read_text(encoding="utf-8")
        targets = set(re.findall(r"\]\(((?:\.\./[\w-]+/)?[\w-]+\.md)#[\w-]+\)", text))
        if not targets:
            problems.append(f"{nb.relative_to(DOCS)}: links to no question (page.md#id)")
            continue
        back = [t for t in targets if f"{nb.name})" in (nb.parent / t).read_text(encoding="utf-8")
                or f"{nb.name}#" in (nb.parent / t).read_text(encoding="utf-8")]
        if not back:
            problems.append(f"{nb.relative_to(DOCS)}: none of {sorted(targets)} links back to it")
    assert not problems, "\n".join(problems)
