"""Content rules checked on the sources: stable ids, notes coverage, Chinese copywriting, front matter."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import autocorrect_py
import pytest
import yaml

from conftest import DOCS, ROOT

sys.path.insert(0, str(ROOT / "tools"))
import ids as idreg  # noqa: E402

NOTES = ROOT.parent / "shared" / "seed" / "notes.md"
COVERAGE = ROOT / "tests" / "notes_coverage.yml"


def md_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "assets" not in p.parts)


def test_published_ids_are_never_lost():
    registry = json.loads(idreg.REGISTRY.read_text(encoding="utf-8"))
    problems = idreg.check(registry, idreg.current_ids(), *idreg.load_redirects())
    assert not problems, "\n".join(problems)


def test_id_registry_check_catches_a_removed_id():
    registry = {"a.md": ["one", "two"]}
    assert idreg.check(registry, {"a.md": ["one", "two"]}, {}, {}) == []
    problems = idreg.check(registry, {"a.md": ["one"]}, {}, {})
    assert problems and "'two' is gone" in problems[0]
    assert idreg.check(registry, {"a.md": ["one"], "b.md": ["two"]}, {}, {"a.md#two": "b.md#two"}) == [
        "docs/b.md: ids not registered yet: two (run `make ids` and commit tests/published_ids.json)"]
    assert "page removed" in idreg.check(registry, {}, {}, {})[0]
    assert idreg.check(registry, {"c.md": ["one", "two"]}, {"a.md": "c.md"}, {}) == [
        "docs/c.md: ids not registered yet: one, two (run `make ids` and commit tests/published_ids.json)"]


def test_every_page_has_front_matter_description_and_tags():
    problems = []
    for path in md_pages():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        if not text.startswith("---\n"):
            problems.append(f"{rel}:1: no YAML front matter")
            continue
        try:
            meta = yaml.safe_load(text.split("\n---", 1)[0][4:]) or {}
        except yaml.YAMLError as exc:
            problems.append(f"{rel}: front matter is not valid YAML: {exc}")
            continue
        desc = meta.get("description")
        if not desc or len(str(desc)) < 20:
            problems.append(f"{rel}:1: description missing or shorter than 20 characters")
        if path.name != "tags.md" and not meta.get("tags"):
            problems.append(f"{rel}:1: no tags")
    assert not problems, "\n".join(problems)


def strip_for_lint(text: str) -> str:
    """Mask what the copywriting lint must not touch, keeping line numbers.

    Front matter, fenced code and display math become blank lines; inline math and code become a run
    of "x" (so the CJK-Latin spacing rule still applies around them); link targets, attribute lists
    and HTML tags are dropped.
    """
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))

    def word(m):
        return "x" * len(m.group(0))

    text = re.sub(r"\A---\n.*?\n---\n", blank, text, flags=re.S)
    text = re.sub(r"^(\s*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", blank, text, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", blank, text, flags=re.S)
    text = re.sub(r"(?<![\\$])\$[^$\n]+?\$", word, text)
    text = re.sub(r"`[^`\n]+`", word, text)
    text = re.sub(r"(?<=\])\([^)\s]*\)", "", text)
    text = re.sub(r"\{[#.:][^}]*\}", "", text)
    text = re.sub(r"<[^>\n]+>", "", text)
    return text


def test_chinese_copywriting_lint():
    problems = []
    for path in md_pages():
        text = strip_for_lint(path.read_text(encoding="utf-8"))
        result = autocorrect_py.lint_for(text, str(path))
        for line in result.lines:
            old, new = line.old.strip(), line.new.strip()
            problems.append(f"{path.relative_to(ROOT)}:{line.line}: {old!r} -> {new!r}")
    assert not problems, f"{len(problems)} copywriting problems:\n" + "\n".join(problems[:40])


def test_copywriting_lint_catches_missing_space_and_halfwidth_comma():
    assert autocorrect_py.lint_for("使用LayerNorm做归一化,效果好", "x.md").lines


def notes_headings() -> list[tuple[int, str]]:
    out, fence = [], False
    for n, line in enumerate(NOTES.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            fence = not fence
        elif not fence and re.match(r"^#{1,3} ", line):
            out.append((n, line.lstrip("#").strip()))
    return out


@pytest.mark.skipif(not NOTES.is_file(), reason="the seed notes are not present")
def test_every_notes_section_is_carried_over():
    """tests/notes_coverage.yml maps each heading of the notes to the page#id that now answers it."""
    coverage = yaml.safe_load(COVERAGE.read_text(encoding="utf-8"))
    current = idreg.current_ids()
    headings = notes_headings()
    assert len(headings) == 53
    problems = []
    for line, title in headings:
        target = coverage.get(line)
        if not target:
            problems.append(f"notes.md:{line}: {title!r} is not mapped in tests/notes_coverage.yml")
            continue
        page, _, anchor = target.partition("#")
        if page not in current:
            problems.append(f"notes.md:{line}: {title!r} -> {target}: page does not exist")
        elif anchor and anchor not in current[page]:
            problems.append(f"notes.md:{line}: {title!r} -> {target}: id not on that page")
    assert not problems, "\n".join(problems)


def test_no_bitmap_or_missing_figure_references():
    problems = []
    for path in md_pages():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", line):
                if target.startswith("http") or target.lower().endswith((".png", ".jpg", ".jpeg", ".gif")):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: image {target} (use Mermaid, a table, LaTeX or a notebook SVG)")
                if "figs/" in target:
                    problems.append(f"{path.relative_to(ROOT)}:{n}: reference to the notes' missing figure {target}")
    assert not problems, "\n".join(problems)


def test_no_pasted_blog_phrasing():
    phrases = ["本文", "如下图所示", "公式（42）", "公式(42)", "Section 2.2", "在您的代码中", "如上图所示"]
    problems = []
    for path in md_pages():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for phrase in phrases:
                if phrase in line:
                    problems.append(f"{path.relative_to(ROOT)}:{n}: {phrase!r}")
    assert not problems, "\n".join(problems)
