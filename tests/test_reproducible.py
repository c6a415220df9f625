"""A build from every cache cold and a build from the caches are byte-identical, with SOURCE_DATE_EPOCH and
the deployed configuration the same: a cache can never change what a reader gets.

One of the two builds is the test session's own. Where the session build ran from the project's caches
(a developer's machine), this test makes a cold build: every notebook is then executed a second time,
independently of the execution the cache holds. Where the session build itself was cold (a clean clone,
as in CI: it executed every notebook), a second cold build would only repeat it, so the test rebuilds
from a copy of the caches that session build wrote, and compares the two."""

import filecmp
import os
import shutil

import pytest

from conftest import DOCS, mkdocs_build

pytestmark = pytest.mark.faults  # slow: one more build; runs with the fault-injection builds


def tree_diff(a, b, rel=""):
    cmp = filecmp.dircmp(a, b)
    out = [f"{rel}{n}: only in one build" for n in cmp.left_only + cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    out += [f"{rel}{n}: differs" for n in mismatch + errors]
    for d in cmp.common_dirs:
        out += tree_diff(a / d, b / d, f"{rel}{d}/")
    return out


EXECUTED = "Executed notebook"  # hooks/notebooks.py logs this line for each notebook it runs (not for a cache hit)


def notebook_count() -> int:
    return len(list(DOCS.rglob("*.py")))


def session_build_was_cold(stderr: str) -> bool:
    """True when the session build executed every notebook (none came from the cache)."""
    return notebook_count() > 0 and stderr.count(EXECUTED) >= notebook_count()


def test_the_cold_check_counts_executions():
    line = f"INFO - {EXECUTED} x.py in 1 s\n"
    assert session_build_was_cold(line * notebook_count())
    assert not session_build_was_cold(line * (notebook_count() - 1))
    assert not session_build_was_cold("")


def test_a_cold_build_and_a_cached_build_are_byte_identical(build, tmp_path):
    from conftest import ROOT, load_hook

    site, proc = build  # with BAGU_TEST_SITE no session build ran: its log says so, and a cold build is made
    fresh, cache = tmp_path / "site", tmp_path / "cache"
    from_caches = session_build_was_cold(proc.stderr)
    if from_caches:
        # the session build was the cold one: rebuild from a copy of the caches it wrote (the fault builds
        # add notebook entries meanwhile, each written to a temporary file and renamed: those are left out)
        shutil.copytree(load_hook("cachefile").cache_dir(""), cache, ignore=shutil.ignore_patterns("pdf", "*.tmp"))
        if os.environ.get("BAGU_NB_CACHE"):
            shutil.rmtree(cache / "notebooks", ignore_errors=True)
            shutil.copytree(os.environ["BAGU_NB_CACHE"], cache / "notebooks", ignore=shutil.ignore_patterns("*.tmp"))
    again = mkdocs_build(ROOT, fresh, {"BAGU_CACHE": str(cache), "BAGU_NB_CACHE": str(cache / "notebooks")})
    if from_caches:
        assert again.stderr.count(EXECUTED) == 0, "the cached build executed notebooks"
        kind = "the cold session build and a build from its caches"
    else:
        assert again.stderr.count(EXECUTED) > 0, "the build did not execute notebooks from cold"
        kind = "a cold build and the session build (from the caches)"
    diff = tree_diff(site, fresh)
    assert not diff, f"{len(diff)} files differ between {kind}:\n" + "\n".join(diff[:30])
