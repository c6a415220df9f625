"""A scratch copy of the project with every topic page and notebook three times: the content size the site
is heading for, to measure build time, page weight and search at that size (`make bench`).

    python tools/triple.py DEST [--factor 3]

Each page `docs/<topic>/<name>.md` gets copies `<name>-x2.md`, `<name>-x3.md` whose ids are suffixed (ids are
unique site-wide) and whose same-page anchors follow; each notebook gets copies too (they are executed, as
the real ones would be). The nav lists every copy after its original. Caches are shared with the project
(`.cache` is copied), so a warm build of the copy re-executes only the copied notebooks.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".git", ".venv", "node_modules", "site", "__pycache__", ".pytest_cache", "*.pyc")
ID = re.compile(r"\{#([a-z0-9-]+)\}")
SAME_PAGE_LINK = re.compile(r"\]\(#([a-z0-9-]+)\)")


def copies(path: Path, factor: int) -> list[Path]:
    return [path.with_name(f"{path.stem}-x{k}{path.suffix}") for k in range(2, factor + 1)]


def copy_page(src: Path, dst: Path, k: int) -> None:
    text = src.read_text(encoding="utf-8")
    if src.suffix == ".md":
        text = ID.sub(lambda m: f"{{#{m.group(1)}-x{k}}}", text)
        text = SAME_PAGE_LINK.sub(lambda m: f"](#{m.group(1)}-x{k})", text)
    dst.write_text(text, encoding="utf-8")


def triple(dest: Path, factor: int = 3) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT, dest, ignore=IGNORE)
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    docs = dest / "docs"
    pages = [p for p in docs.glob("*/*") if p.suffix in (".md", ".py") and p.name != "index.md"]
    for page in pages:
        for k, copy in enumerate(copies(page, factor), start=2):
            copy_page(page, copy, k)
    nav_entry = re.compile(r"^(\s*- )([^:\n]+): ([a-z0-9_-]+/[a-z0-9_.-]+\.(?:md|py))\s*$")
    lines = []
    for line in (dest / "mkdocs.yml").read_text(encoding="utf-8").splitlines():
        lines.append(line)
        m = nav_entry.match(line)
        if m and not m.group(3).endswith("index.md"):
            src = Path(m.group(3))
            for k, copy in enumerate(copies(src, factor), start=2):
                lines.append(f"{m.group(1)}{m.group(2)}（副本 {k}）: {copy.as_posix()}")
    (dest / "mkdocs.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--factor", type=int, default=3)
    args = ap.parse_args(argv)
    out = triple(args.dest, args.factor)
    n = sum(1 for p in (out / "docs").rglob("*") if p.suffix in (".md", ".py") and "assets" not in p.parts)
    print(f"{out}: {n} pages and notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
