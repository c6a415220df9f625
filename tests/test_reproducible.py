"""A clean build is byte-identical to the test session's build of the same commit: every cache (executed
notebooks, typeset formulas, rendered diagrams) cold, SOURCE_DATE_EPOCH and the deployed configuration the
same. The session build itself ran with the project's caches, so this compares fresh results with cached
ones, and in CI (a clean clone) two independent executions of every notebook."""

import filecmp

import pytest

from conftest import mkdocs_build

pytestmark = pytest.mark.faults  # slow: one cold build; runs with the fault-injection builds


def tree_diff(a, b, rel=""):
    cmp = filecmp.dircmp(a, b)
    out = [f"{rel}{n}: only in one build" for n in cmp.left_only + cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    out += [f"{rel}{n}: differs" for n in mismatch + errors]
    for d in cmp.common_dirs:
        out += tree_diff(a / d, b / d, f"{rel}{d}/")
    return out


def test_a_clean_build_is_byte_identical_to_the_session_build(site, tmp_path):
    from conftest import ROOT

    fresh = tmp_path / "site"
    proc = mkdocs_build(ROOT, fresh, {"BAGU_CACHE": str(tmp_path / "cache"), "BAGU_NB_CACHE": str(tmp_path / "cache" / "notebooks")})
    assert proc.stderr.count("Executed notebook") > 0, "the build did not execute notebooks from cold"
    diff = tree_diff(site, fresh)
    assert not diff, f"{len(diff)} files differ between a cold build and the session build:\n" + "\n".join(diff[:30])
