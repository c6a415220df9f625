"""Two clean builds of the same commit are byte-identical (cold notebook caches, SOURCE_DATE_EPOCH set)."""

import filecmp
import os
import subprocess
import sys

import pytest

from conftest import ROOT, TEST_SITE_URL

pytestmark = pytest.mark.faults  # slow: two cold builds; runs with the fault-injection builds


def tree_diff(a, b, rel=""):
    cmp = filecmp.dircmp(a, b)
    out = [f"{rel}{n}: only in one build" for n in cmp.left_only + cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    out += [f"{rel}{n}: differs" for n in mismatch + errors]
    for d in cmp.common_dirs:
        out += tree_diff(a / d, b / d, f"{rel}{d}/")
    return out


def test_two_clean_builds_are_byte_identical(tmp_path):
    epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    sites = []
    for name in ("a", "b"):
        env = dict(os.environ, SITE_URL=TEST_SITE_URL, NO_MKDOCS_2_WARNING="1",
                   SOURCE_DATE_EPOCH=epoch or "1700000000", BAGU_NB_CACHE=str(tmp_path / f"cache-{name}"))
        site = tmp_path / f"site-{name}"
        proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stderr.count("Executing notebook") > 0, "the build did not execute notebooks from cold"
        sites.append(site)
    diff = tree_diff(*sites)
    assert not diff, f"{len(diff)} files differ between two clean builds:\n" + "\n".join(diff[:30])
