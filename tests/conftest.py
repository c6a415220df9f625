"""Shared fixtures: one strict build of the site per test session."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# The test build is the deployed configuration: canonical URLs under a sub-path, as on GitHub Pages
# (/<repo>/), and a repository link, as the Pages workflow sets REPO_URL.
TEST_SITE_URL = "http://127.0.0.1:8000/bagu/"
PREFIX = "/bagu/"
TEST_REPO_URL = "https://github.com/bagu-notes/bagu"


def load_hook(name: str):
    """Import ``hooks/<name>.py`` (MkDocs loads hooks by path, so they are not a package)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"{name}_hook", ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def source_date_epoch() -> str:
    """The last commit's time, as `make` exports it: builds of one commit then have the same dates."""
    out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True).stdout
    return out.strip() or "1700000000"


def mkdocs_build(root: Path, site_dir: Path, env_extra: dict | None = None, check: bool = True):
    env = dict(os.environ, SITE_URL=TEST_SITE_URL, REPO_URL=TEST_REPO_URL, NO_MKDOCS_2_WARNING="1",
               SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH") or source_date_epoch(), **(env_extra or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=root, env=env, capture_output=True, text=True,
    )
    return require_success(proc) if check else proc


def require_success(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    if proc.returncode != 0:
        raise AssertionError(f"mkdocs build --strict failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


@pytest.fixture(autouse=True)
def _fresh_module_rng(request):
    """A test module's shared `rng` (np.random.default_rng) is replaced before each of its tests by one
    seeded from the test's name: with xdist a module's tests are spread over the workers differently from
    run to run, so a shared generator gave a test whatever numbers the tests before it in that worker had
    left, and a statistical assertion could fail at random. Now each test sees the same numbers every run."""
    module = request.module
    old = getattr(module, "rng", None)
    if old is not None and type(old).__name__ == "Generator" and type(old).__module__.startswith("numpy"):
        import zlib

        import numpy as np

        module.rng = np.random.default_rng(zlib.crc32(request.node.originalname.encode()))
    yield


@pytest.fixture(scope="session")
def build(tmp_path_factory, request):
    reuse = os.environ.get("BAGU_TEST_SITE")
    if reuse:
        # iterating on tests: a site built earlier with the test configuration (SITE_URL, REPO_URL as above)
        site = Path(reuse).resolve()
        if not (site / "index.html").is_file():
            raise pytest.UsageError(f"BAGU_TEST_SITE={reuse}: no built site there (no index.html)")
        return site, subprocess.CompletedProcess([], 0, "", "(BAGU_TEST_SITE: build not run)")
    if not hasattr(request.config, "workerinput"):  # not a pytest-xdist worker
        site = tmp_path_factory.mktemp("site")
        return site, mkdocs_build(ROOT, site)
    # `make test` runs on every core (pytest-xdist): the first worker to get here builds the site, the others
    # wait for that build and share it (and the notebook cache it warmed, which the fault builds use)
    shared = tmp_path_factory.getbasetemp().parent
    site, record = shared / "site", shared / "site-build.json"
    with open(shared / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            proc = mkdocs_build(ROOT, site, check=False)
            record.write_text(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}),
                              encoding="utf-8")
    done = json.loads(record.read_text(encoding="utf-8"))
    return site, require_success(subprocess.CompletedProcess([], done["returncode"], done["stdout"], done["stderr"]))


@pytest.fixture(scope="session")
def site(build) -> Path:
    return build[0]


@functools.lru_cache(maxsize=None)
def parsed(path: Path):
    """The parsed HTML of one built file, parsed once per test process (lxml; the tests only read it)."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def html_pages(site: Path) -> list[Path]:
    """Every content page of the built site (not redirects, not the 404 page)."""
    pages = []
    for path in sorted(site.rglob("index.html")):
        text = path.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in text:
            continue
        pages.append(path)
    return pages


def page_url(site: Path, path: Path) -> str:
    rel = path.relative_to(site).parent.as_posix()
    return "" if rel == "." else rel + "/"


# --- the built site served under the deployed sub-path, and one Chromium, per browser test module --------

@pytest.fixture(scope="module")
def base(site):
    from browser import serve

    with serve(site, PREFIX) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from browser import launch

    with launch() as b:
        yield b


# The longest tests start first, so that on a few cores they run beside the many short ones instead of
# after them (pytest-xdist hands tests out in collection order). Order only: every test still runs.
LONG_FIRST = [
    "tests/test_reading.py::",
    "tests/test_pdf.py::",
    "tests/test_reproducible.py::",
    "tests/test_faults.py::",
    "tests/test_search.py::test_search_finds_the_expected_answer_in_the_top_three",
]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        return next((i for i, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)), len(LONG_FIRST))

    items.sort(key=rank)  # stable: the collection order within each rank
