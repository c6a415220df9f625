"""Registry of published answer ids (tests/published_ids.json).

An id, once published, is a public URL (page#id). `check()` reports every registered id that no longer
exists and has no redirect in redirects.yml, and every current id that is not registered yet.
`python tools/ids.py --update` (make ids) adds the current ids; it never removes one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
from pages import EXPLICIT_ID, headings  # noqa: E402

DOCS = ROOT / "docs"
REGISTRY = ROOT / "tests" / "published_ids.json"
REDIRECTS = ROOT / "redirects.yml"


def page_markdown(path: Path) -> str:
    if path.suffix == ".py":
        nb = jupytext.read(path, fmt="py:percent")
        return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def current_ids(docs: Path = DOCS) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(docs.rglob("*")):
        if path.suffix not in (".md", ".py") or "assets" in path.relative_to(docs).parts:
            continue
        ids = []
        for _line, _level, text in headings(page_markdown(path)):
            m = EXPLICIT_ID.search(text)
            if m:
                ids.append(m.group(1))
        out[path.relative_to(docs).as_posix()] = ids
    return out


def load_redirects(path: Path = REDIRECTS) -> tuple[dict, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data = data or {}
    return data.get("pages") or {}, data.get("anchors") or {}


def check(registry: dict, current: dict, pages: dict, anchors: dict) -> list[str]:
    problems = []
    for page, ids in sorted(registry.items()):
        for anchor in ids:
            if anchor in current.get(page, []) or f"{page}#{anchor}" in anchors:
                continue
            moved = pages.get(page)
            if moved and (anchor in current.get(moved.split("#")[0], []) or f"{moved.split('#')[0]}#{anchor}" in anchors):
                continue
            if page not in current and not moved:
                problems.append(f"docs/{page}: page removed, but {page}#{anchor} was published; declare a page redirect in redirects.yml")
            else:
                problems.append(f"docs/{page}: published id {anchor!r} is gone; add '{page}#{anchor}: new/page.md#new-id' under anchors in redirects.yml")
    for page, ids in sorted(current.items()):
        new = [a for a in ids if a not in registry.get(page, [])]
        if new:
            problems.append(f"docs/{page}: ids not registered yet: {', '.join(new)} (run `make ids` and commit tests/published_ids.json)")
    return problems


def main() -> int:
    registry = json.loads(REGISTRY.read_text(encoding="utf-8")) if REGISTRY.is_file() else {}
    current = current_ids()
    if "--update" in sys.argv:
        merged = {page: list(ids) for page, ids in registry.items()}
        for page, ids in current.items():
            merged.setdefault(page, [])
            merged[page] += [a for a in ids if a not in merged[page]]
        REGISTRY.write_text(json.dumps(dict(sorted(merged.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{REGISTRY.relative_to(ROOT)}: {sum(map(len, merged.values()))} ids on {len(merged)} pages")
    problems = check(json.loads(REGISTRY.read_text(encoding="utf-8")) if REGISTRY.is_file() else {}, current, *load_redirects())
    print("\n".join(problems) or "ids: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
