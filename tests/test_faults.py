"""Fault injection: copy the project, break one thing, and check the build (or the test that guards it)
fails with a message naming the file. Each case is one row of the fault table in the README."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TEST_SITE_URL

pytestmark = pytest.mark.faults


def grouped(name: str):
    """Tests that share one module-scoped fault build run on the same test worker (pytest-xdist)."""
    return pytest.mark.xdist_group(name)

NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "node_modules", "site", "__pycache__", ".pytest_cache", "*.pyc")


def ignore(folder: str, names: list[str]) -> set[str]:
    # the copy's builds read the project's own notebook cache (run() below): not copied
    skip = set(NOT_COPIED(folder, names))
    return skip | {"notebooks"} if Path(folder) == ROOT / ".cache" else skip


def copy_project(parent: Path) -> Path:
    """A copy of the project to break (caches included, so only what a fault touches is rebuilt)."""
    dst = parent / "proj"
    shutil.copytree(ROOT, dst, ignore=ignore)
    (dst / "node_modules").symlink_to(ROOT / "node_modules")
    return dst


@pytest.fixture
def project(site, tmp_path) -> Path:
    # `site`: the session build has run, so the notebook cache is warm (from a clean clone it is that build
    # which fills it) and a fault build re-executes only the notebooks its fault changed
    return copy_project(tmp_path)


def run(cmd, cwd: Path) -> subprocess.CompletedProcess:
    # the project's own notebook cache: it is keyed on content, so the copy re-executes only the notebooks
    # a fault changed (a cold copy re-executed all of them in every fault build)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # a pytest run inside is its own
    env.update(SITE_URL=TEST_SITE_URL, NO_MKDOCS_2_WARNING="1",
               BAGU_NB_CACHE=os.environ.get("BAGU_NB_CACHE") or str(ROOT / ".cache" / "notebooks"))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def build(root: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(root / "site")], root)


def edit(path: Path, old: str, new: str, count: int = 1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fault setup: {old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def append(path: Path, text: str):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


PAGE = "docs/normalization/layernorm.md"
NOTEBOOK = "docs/normalization/bn-ln-axes.py"


def assert_fails(proc, *needles):
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"fault was not caught:\n{out[-3000:]}"
    for needle in needles:
        assert re.search(needle, out), f"message does not mention {needle!r}:\n{out[-3000:]}"


@pytest.fixture(scope="module")
def link_faults(site, tmp_path_factory):
    """One build with four link faults at once: MkDocs validates every link and anchor and reports them
    all before it fails, so the four rows below share this build."""
    dst = faulty_copy(tmp_path_factory, "links")
    append(dst / PAGE, "\n见 [不存在的页面](nowhere.md)。\n\n见 [另一个问题](layernorm.md#no-such-answer)。\n\n"
                       "见 [实验](bn-ln-axes.py#no-such-section)。\n\n![图](missing-figure.svg)\n")
    return build(dst)


@grouped("links")
def test_broken_internal_link(link_faults):
    assert_fails(link_faults, r"normalization/layernorm\.md.*nowhere\.md")


@grouped("links")
def test_broken_anchor(link_faults):
    assert_fails(link_faults, r"normalization/layernorm\.md.*no-such-answer")


@grouped("links")
def test_broken_anchor_into_a_notebook_page(link_faults):
    assert_fails(link_faults, r"normalization/layernorm\.md.*no-such-section")


@grouped("links")
def test_missing_image(link_faults):
    assert_fails(link_faults, r"normalization/layernorm\.md.*missing-figure\.svg")


def test_missing_snippet_file(project):
    edit(project / PAGE, '--8<-- "normalization/norms.py:rms_norm"', '--8<-- "normalization/gone.py:rms_norm"')
    assert_fails(build(project), r"normalization/layernorm\.md", r"gone\.py")


def test_missing_snippet_section(project):
    edit(project / PAGE, '--8<-- "normalization/norms.py:rms_norm"', '--8<-- "normalization/norms.py:no_such_section"')
    assert_fails(build(project), r"normalization/layernorm\.md", r"no_such_section")


def test_notebook_cell_raises(project):
    append(project / NOTEBOOK, "\n# %%\nraise RuntimeError('injected failure')\n")
    assert_fails(build(project), r"docs/normalization/bn-ln-axes\.py:\d+", r"cell \d+", r"RuntimeError: injected failure")


def test_notebook_cell_kills_its_kernel(project):
    # a crash in native code or the out-of-memory killer looks the same: the kernel process is gone; the
    # build must name the cell, not wait for output that never comes
    append(project / NOTEBOOK, "\n# %%\nimport os\nos._exit(3)\n")
    assert_fails(build(project), r"docs/normalization/bn-ln-axes\.py:\d+: cell \d+: the kernel died while running it \(exit code 3\)")


def test_notebook_assertion_fails(project):
    edit(project / NOTEBOOK, "assert pre[-1] > 2 * pre[0]", "assert pre[-1] < 2 * pre[0]")
    assert_fails(build(project), r"docs/normalization/bn-ln-axes\.py:\d+", r"cell \d+", r"AssertionError")


def test_notebook_imports_a_snippet_that_no_longer_exists(project):
    (project / "snippets/normalization/norms.py").rename(project / "snippets/normalization/renamed.py")
    assert_fails(build(project), r"docs/normalization/[a-z-]+\.py:\d+: imports snippets\.normalization\.norms")


def test_published_id_removed_without_redirect(project):
    edit(project / PAGE, "{#weight-normalization}", "{#weight-norm}")
    proc = run([sys.executable, "tools/ids.py"], project)
    assert_fails(proc, r"docs/normalization/layernorm\.md", r"'weight-normalization' is gone")
    # declaring the redirect (and registering the new id) makes it pass, and the build serves the redirect
    text = (project / "redirects.yml").read_text(encoding="utf-8")
    entry = "anchors:\n  normalization/layernorm.md#weight-normalization: normalization/layernorm.md#weight-norm"
    (project / "redirects.yml").write_text(re.sub(r"(?m)^anchors:.*$", entry, text, count=1), encoding="utf-8")
    assert run([sys.executable, "tools/ids.py", "--update"], project).returncode == 0
    proc = build(project)
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = (project / "site/normalization/layernorm/index.html").read_text(encoding="utf-8")
    assert '"weight-normalization": "#weight-norm"' in html or '"weight-normalization":' in html


def test_page_missing_from_nav(project):
    (project / "docs/normalization/orphan.md").write_text(
        "---\ndescription: 一个没有放进导航的页面，用来检查构建会失败。\ntags: [测试]\n---\n# 孤儿页\n", encoding="utf-8")
    assert_fails(build(project), r"not included in the \"nav\"", r"normalization/orphan\.md")


def test_third_party_cdn_url_in_config(project):
    edit(project / "mkdocs.yml", "  - assets/javascripts/site.js",
         "  - assets/javascripts/site.js\n  - https://cdn.jsdelivr.net/npm/lodash@4/lodash.min.js")
    proc = run([sys.executable, "-m", "pytest", "-q", "-n", "0",
                "tests/test_build.py::test_no_third_party_assets_in_html",
                "tests/test_build.py::test_own_assets_and_config_name_no_third_party_host"], project)
    assert_fails(proc, r"mkdocs\.yml:\d+: third-party host cdn\.jsdelivr\.net", r"index\.html: <script src> loads https://cdn\.jsdelivr\.net")


def test_third_party_cdn_url_in_assets(project):
    append(project / "docs/assets/stylesheets/extra.css",
           "\n@import url('https://fonts.googleapis.com/css2?family=Noto+Sans+SC');\n")
    proc = run([sys.executable, "-m", "pytest", "-q", "-n", "0",
                "tests/test_build.py::test_no_third_party_urls_in_stylesheets",
                "tests/test_build.py::test_own_assets_and_config_name_no_third_party_host"], project)
    assert_fails(proc, r"extra\.css:\d+: third-party host fonts\.googleapis\.com", r"extra\.css: loads //fonts\.googleapis\.com")


def test_front_matter_yaml_error(project):
    edit(project / PAGE, "tags: [归一化,", "tags: [归一化: [,")
    assert_fails(build(project), r"docs/normalization/layernorm\.md:\d+: front matter is not valid YAML")


def test_notebook_output_shows_a_traceback_it_did_not_raise(project):
    append(project / NOTEBOOK, "\n# %%\nimport traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
                               "    traceback.print_exc()\n")
    assert_fails(build(project), r"docs/normalization/bn-ln-axes\.py:\d+: cell \d+ output contains a printed traceback")


def test_topic_list_names_a_page_of_another_topic(project):
    edit(project / "docs/normalization/index.md", "<!-- bagu:questions -->", "<!-- bagu:questions softmax.md -->")
    assert_fails(build(project), r"docs/normalization/index\.md: bagu:questions names \['softmax\.md'\]")


def test_invalid_mermaid_diagram(project):
    append(project / PAGE, "\n```mermaid\nflowchart TD\n  a[开始 --> \n```\n")
    assert_fails(build(project), r"docs/normalization/layernorm\.md:\d+: Mermaid cannot render this diagram")


# --- Faults the build reports together: one build per group, one test (README row) per fault -------------

SNIPPET = "snippets/normalization/norms.py"


def faulty_copy(tmp_path_factory, name: str) -> Path:
    return copy_project(tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def page_rule_faults(site, tmp_path_factory):
    """hooks/pages.py checks a page's headings, title, snippet includes and tags together and reports every
    problem of the page at once."""
    dst = faulty_copy(tmp_path_factory, "page-rules")
    text = (dst / PAGE).read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("# "))
    edit(dst / PAGE, title + "\n", "")
    edit(dst / PAGE, "tags: [归一化,", "tags: [归一化, transformer,")
    append(dst / PAGE, "\n## 重复的问题？ {#rmsnorm}\n\n正文。\n\n## 没有 id 的问题？\n\n正文。\n\n"
                       '```python\n--8<-- "normalization/norms.py:rms_norm"\n```\n')
    return build(dst)


@grouped("page-rules")
def test_duplicate_id(page_rule_faults):
    assert_fails(page_rule_faults, r"docs/normalization/layernorm\.md:\d+: duplicate id 'rmsnorm'")


@grouped("page-rules")
def test_question_heading_without_id(page_rule_faults):
    assert_fails(page_rule_faults, r"docs/normalization/layernorm\.md:\d+: heading without an explicit id")


@grouped("page-rules")
def test_page_without_a_title(page_rule_faults):
    assert_fails(page_rule_faults, r"docs/normalization/layernorm\.md:1: page has no '# ' title")


@grouped("page-rules")
def test_snippet_included_twice_in_a_page(page_rule_faults):
    assert_fails(page_rule_faults, r"docs/normalization/layernorm\.md:\d+: snippet \"normalization/norms\.py:rms_norm\" "
                 r"included twice \(first at line \d+\)")


@grouped("page-rules")
def test_tags_that_differ_only_in_case(page_rule_faults):
    assert_fails(page_rule_faults, r"docs/normalization/layernorm\.md:1: tag 'transformer' differs only in case "
                 r"or punctuation from 'Transformer'")


@pytest.fixture(scope="module")
def tex_faults(site, tmp_path_factory):
    """hooks/typeset.py reports every formula of a page that MathJax cannot parse."""
    dst = faulty_copy(tmp_path_factory, "tex")
    append(dst / PAGE, "\n$$\n\\frac{a}{b\n$$\n\n行内公式 $\\mathcal{E}[x] + \\expectation{x}$ 用了未定义的宏。\n"
                       "\n| 量 | 值 |\n|---|---|\n| 缩放 | $c=\\max|x_j|^{\\alpha}$ |\n")
    return build(dst)


@grouped("tex")
def test_invalid_tex(tex_faults):
    assert_fails(tex_faults, r"docs/normalization/layernorm\.md:\d+: invalid TeX \(Missing close brace\)")


@grouped("tex")
def test_unknown_tex_macro(tex_faults):
    assert_fails(tex_faults, r"docs/normalization/layernorm\.md:\d+: invalid TeX \(Undefined control sequence \\expectation\)")


@pytest.fixture(scope="module")
def snippet_section_faults(site, tmp_path_factory):
    """hooks/pages.py checks every snippet file's sections before the build starts and lists them all."""
    dst = faulty_copy(tmp_path_factory, "sections")
    edit(dst / SNIPPET, "# --8<-- [end:rms_norm]", "")
    append(dst / SNIPPET, "\n# --8<-- [end:ghost]\n")
    return build(dst)


@grouped("sections")
def test_snippet_section_never_closed(snippet_section_faults):
    assert_fails(snippet_section_faults, r"snippets/normalization/norms\.py:\d+: section 'rms_norm' opened but never closed")


@grouped("sections")
def test_snippet_section_closed_but_never_opened(snippet_section_faults):
    assert_fails(snippet_section_faults, r"snippets/normalization/norms\.py:\d+: section 'ghost' closed but never opened")


@grouped("tex")
def test_dollar_left_in_the_text(tex_faults):
    assert_fails(tex_faults, r"docs/normalization/layernorm\.md:\d+: a '\$' is left in the text next to the formula")
