"""The notebook cache re-executes exactly what an edit can affect (hooks/notebooks.py)."""

from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from conftest import DOCS, ROOT, load_hook

nbhook = load_hook("notebooks")


def key(path: Path) -> str:
    return nbhook.cache_key(path, path.read_text(encoding="utf-8"), "python3", False)


def notebooks():
    return sorted(p for p in DOCS.rglob("*.py") if "assets" not in p.parts)


def test_every_notebook_imports_only_existing_snippets():
    deps = {nb: nbhook.snippet_dependencies(nb) for nb in notebooks()}
    assert sum(map(len, deps.values())) >= 20, "notebooks should exercise the tested snippets"
    for nb, files in deps.items():
        for f in files:
            assert f.is_file() and f.is_relative_to(ROOT / "snippets"), (nb, f)


def test_a_snippet_edit_changes_the_key_of_exactly_its_importers(tmp_path, monkeypatch):
    snippet = ROOT / "snippets" / "normalization" / "norms.py"
    before = {nb: key(nb) for nb in notebooks()}
    importers = {nb for nb in before if snippet in nbhook.snippet_dependencies(nb)}
    assert importers, "some notebook imports snippets/normalization/norms.py"
    original = snippet.read_bytes()
    try:
        snippet.write_bytes(original + b"\n# edited\n")
        after = {nb: key(nb) for nb in notebooks()}
    finally:
        snippet.write_bytes(original)
    changed = {nb for nb in before if before[nb] != after[nb]}
    assert changed == importers


def test_a_markdown_edit_changes_no_notebook_key():
    page = DOCS / "normalization" / "layernorm.md"
    before = {nb: key(nb) for nb in notebooks()}
    original = page.read_bytes()
    try:
        page.write_bytes(original + b"\n<!-- edit -->\n")
        assert {nb: key(nb) for nb in notebooks()} == before
    finally:
        page.write_bytes(original)


def test_transitive_snippet_imports_are_followed(tmp_path, monkeypatch):
    (tmp_path / "snippets" / "t").mkdir(parents=True)
    (tmp_path / "snippets" / "t" / "a.py").write_text("from snippets.t.b import f\n")
    (tmp_path / "snippets" / "t" / "b.py").write_text("def f():\n    return 1\n")
    nb = tmp_path / "nb.py"
    nb.write_text("# %%\nfrom snippets.t import a\n")
    monkeypatch.setattr(nbhook, "ROOT", tmp_path)
    deps = nbhook.snippet_dependencies(nb)
    assert [d.name for d in deps] == ["a.py", "b.py"]


def test_a_missing_snippet_is_a_build_error_with_file_and_line(tmp_path, monkeypatch):
    nb = tmp_path / "nb.py"
    nb.write_text("# %%\nimport numpy\n\nfrom snippets.nowhere.gone import f\n")
    monkeypatch.setattr(nbhook, "ROOT", tmp_path)
    with pytest.raises(PluginError, match=r"nb\.py:4: imports snippets\.nowhere\.gone"):
        nbhook.snippet_dependencies(nb)


def test_split_stream_messages_are_merged_so_builds_are_identical():
    import nbformat

    split = [nbformat.v4.new_output("stream", name="stdout", text="{4096: 11008}"),
             nbformat.v4.new_output("stream", name="stdout", text="\n"),
             nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
             nbformat.v4.new_output("stream", name="stdout", text="done\n")]
    merged = nbhook.coalesce_streams(split)
    assert [(o["name"], o["text"]) for o in merged] == [("stdout", "{4096: 11008}\n"), ("stderr", "warning\n"), ("stdout", "done\n")]
