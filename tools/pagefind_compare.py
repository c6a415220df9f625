"""Measure Pagefind against the site's own search engine on the same built site, in the same browser.

    pip install 'pagefind[extended]'        # not a project dependency: only this comparison needs it
    python tools/pagefind_compare.py SITE_DIR [--pagefind CMD] [--runs 3]

What it does:

1. copies SITE_DIR to a scratch directory and indexes the copy with Pagefind (the extended build, which
   segments Chinese), with the article as the root, code, formulas and permalink marks left out and the tag
   index removed, so that Pagefind sees the text the own index sees;
2. runs every query of tests/search_queries.yml through Pagefind's browser API (`pagefind.search`, then
   `data()` of the top 10 pages) in headless Chromium and scores hit@1/hit@3 three ways: the page alone
   (the expected page among the top 3 pages), one link per page (each page's best heading by Pagefind's own
   location scores), and as Pagefind's UI lists them (each page followed by up to 3 headings); the own
   engine's figures come from tools/searchcheck.py on the same site;
3. weighs, gzip as served, what each engine fetches from opening search to the first results of
   bench's open query, and after the eight keystroke queries as well;
4. times both with the CPU throttled 4x (medians over --runs fresh pages): opening search to the first
   results (Pagefind: import, init, search and the top-5 `data()` calls a results list needs, no rendering;
   the own engine: click to rendered results, as `make bench` measures it) and the last keystroke of each of
   bench's eight queries.

The figures it printed are recorded in the README (section "Search"); this is how to reproduce them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from bench import CPU_THROTTLING, OPEN_QUERY, QUERIES, WATCH  # noqa: E402
from browser import COMPRESSIBLE, launch, serve  # noqa: E402
import searchcheck  # noqa: E402

ROOT_SELECTOR = "article.md-content__inner"
EXCLUDE = ["pre", "code", "mjx-container", ".headerlink", ".md-source-file", ".md-content__button"]

# Runs in the page: every query, its top k pages with their headings scored by Pagefind's own weights.
RANK = """async ([queries, k]) => {
  const pf = await import('./pagefind/pagefind.js');
  await pf.init();
  const out = [];
  for (const q of queries) {
    const r = await pf.search(q);
    const data = await Promise.all(r.results.slice(0, k).map((x) => x.data()));
    out.push({q, n: r.results.length, pages: data.map((d) => ({
      url: d.url,
      subs: d.sub_results.map((s) => ({url: s.url,
        score: (s.weighted_locations || []).reduce((a, w) => a + w.balanced_score, 0)}))}))});
  }
  return out;
}"""

# Runs in a freshly loaded page: from import to the first results list's data, then each query's last
# keystroke (its prefix searched first, as typing does).
TIME = """async ([first, queries]) => {
  const t0 = performance.now();
  const pf = await import('./pagefind/pagefind.js');
  await pf.init();
  const list = async (q) => { const r = await pf.search(q);
    return Promise.all(r.results.slice(0, 5).map((x) => x.data())); };
  const found = [(await list(first)).length];
  const open = performance.now() - t0;
  const keys = [];
  for (const q of queries) {
    await list(q.slice(0, -1));
    const t = performance.now();
    found.push((await list(q)).length);
    keys.push(performance.now() - t);
  }
  return {open, keys, found};
}"""


def norm(url: str) -> str:
    return unquote(url).lstrip("/")


def index(site: Path, work: Path, cmd: list[str]) -> Path:
    copy = work / "site"
    shutil.copytree(site, copy)
    # the tag index lists every heading's title: the own index leaves it out, so Pagefind's copy does too
    for page in (copy / "tags").rglob("*.html"):
        page.unlink()
    args = [*cmd, "--site", str(copy), "--root-selector", ROOT_SELECTOR, "--quiet"]
    for sel in EXCLUDE:
        args += ["--exclude-selectors", sel]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0 or not (copy / "pagefind" / "pagefind.js").is_file():
        sys.exit(f"pagefind failed ({' '.join(cmd)}): {proc.stderr or proc.stdout}\n"
                 "install it with: pip install 'pagefind[extended]'")
    return copy


def score(results: list[dict], expected: dict[str, str]) -> dict[str, tuple[int, int]]:
    tally = {"page": [0, 0], "one link per page": [0, 0], "as Pagefind's UI lists": [0, 0]}
    zero = 0
    for r, (q, want) in zip(results, expected.items()):
        zero += r["n"] == 0
        want_page = want.split("#")[0]
        pages = [norm(p["url"]) for p in r["pages"]]
        best = []
        ui = []
        for p in r["pages"]:
            subs = sorted(p["subs"], key=lambda s: -s["score"])
            best.append(norm(subs[0]["url"]) if subs else norm(p["url"]))
            ui += [norm(p["url"])] + [norm(s["url"]) for s in subs[:3]]
        for key, ranked, target in (("page", pages, want_page), ("one link per page", best, want),
                                    ("as Pagefind's UI lists", ui, want)):
            tally[key][0] += bool(ranked) and ranked[0] == target
            tally[key][1] += target in ranked[:3]
    return {**{k: tuple(v) for k, v in tally.items()}, "zero": zero}


def own_score(site: Path, expected: dict[str, str]) -> tuple[int, int, int]:
    results = searchcheck.rank_queries(site / "search", [(q, False) for q in expected])
    hit1 = hit3 = zero = 0
    for r, want in zip(results, expected.values()):
        locs = searchcheck.locations(r)
        zero += not locs
        hit1 += bool(locs) and locs[0] == want
        hit3 += want in locs[:3]
    return hit1, hit3, zero


def served(site: Path, url_path: str) -> int:
    """Bytes on the wire for one request, as tests/browser.serve sends it (gzip for text; Pagefind's own
    index files are gzip already and go as they are)."""
    path = site / norm(url_path.split("?")[0])
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return 0
    return len(gzip.compress(path.read_bytes(), mtime=0)) if path.suffix in COMPRESSIBLE else path.stat().st_size


def pagefind_weight(base: str, browser, site: Path) -> tuple[int, int]:
    """Bytes (gzip as served) Pagefind fetches up to the first results, and after the keystroke queries."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(base, wait_until="load")
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url) if "/pagefind/" in req.url else None)
    page.evaluate(RANK, [[OPEN_QUERY], 5])
    first = sum(served(site, u[len(base):]) for u in set(urls))
    page.evaluate(RANK, [QUERIES, 5])
    total = sum(served(site, u[len(base):]) for u in set(urls))
    ctx.close()
    return first, total


def own_weight(base: str, browser, site: Path) -> tuple[int, int]:
    """The same for the own engine, driven through its dialog as a reader does."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    page.goto(base, wait_until="load")
    urls: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    box = page.locator("input.md-search__input")
    box.click()
    box.fill(OPEN_QUERY)
    page.wait_for_function("q => document.querySelector('[data-bagu-search]').dataset.query === q",
                           arg=OPEN_QUERY)
    first = sum(served(site, u[len(base):]) for u in set(urls) if u.startswith(base))
    for q in QUERIES:
        box.fill(q)
        page.wait_for_function("q => document.querySelector('[data-bagu-search]').dataset.query === q", arg=q)
    total = sum(served(site, u[len(base):]) for u in set(urls) if u.startswith(base))
    ctx.close()
    return first, total


def throttled(browser, base: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": CPU_THROTTLING})
    page.goto(base, wait_until="load")
    return ctx, page


def pagefind_latency(base: str, browser, runs: int) -> tuple[float, float]:
    opened, keys = [], []
    for _ in range(runs):
        ctx, page = throttled(browser, base)
        r = page.evaluate(TIME, [OPEN_QUERY, QUERIES])
        if not all(r["found"]):
            sys.exit(f"Pagefind found nothing for one of {[OPEN_QUERY, *QUERIES]}: {r['found']}")
        opened.append(r["open"])
        keys += r["keys"]
        ctx.close()
    return statistics.median(opened), statistics.median(keys)


def own_latency(base: str, browser, runs: int) -> tuple[float, float]:
    """As `make bench` measures it (tools/bench.py: bench_search)."""
    opened, keys = [], []
    for _ in range(runs):
        ctx, page = throttled(browser, base)
        box = page.locator("input.md-search__input")
        page.evaluate(WATCH, OPEN_QUERY)
        box.click()
        page.keyboard.insert_text(OPEN_QUERY)
        opened.append(page.evaluate("() => window.__baguBench")["ms"])
        for q in QUERIES:
            box.fill(q[:-1])
            page.wait_for_function("q => document.querySelector('[data-bagu-search]').dataset.query === q",
                                   arg=q[:-1], timeout=15000)
            page.evaluate(WATCH, q)
            page.keyboard.type(q[-1])
            keys.append(page.evaluate("() => window.__baguBench")["ms"])
        ctx.close()
    return statistics.median(opened), statistics.median(keys)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("--queries", type=Path, default=ROOT / "tests" / "search_queries.yml")
    ap.add_argument("--pagefind", default=f"{sys.executable} -m pagefind",
                    help="command that runs Pagefind (default: this Python's `-m pagefind`)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not (args.site / "search" / "manifest.json").is_file():
        sys.exit(f"{args.site}: not a built site (no search/manifest.json); run make build first")
    expected = {str(q): want for q, want in yaml.safe_load(args.queries.read_text(encoding="utf-8")).items()}
    n = len(expected)
    with tempfile.TemporaryDirectory() as tmp:
        pf_site = index(args.site, Path(tmp), args.pagefind.split())
        pf_bytes = sum(p.stat().st_size for p in (pf_site / "pagefind").rglob("*") if p.is_file())
        with serve(pf_site, compress=True) as base, launch() as browser:
            page = browser.new_page()
            page.goto(base, wait_until="load")
            results = page.evaluate(RANK, [list(expected), 10])
            page.close()
            pf = score(results, expected)
            pf_w = pagefind_weight(base, browser, pf_site)
            pf_t = pagefind_latency(base, browser, args.runs)
            own_w = own_weight(base, browser, pf_site)
            own_t = own_latency(base, browser, args.runs)
    own = own_score(args.site, expected)
    own_bytes = sum(p.stat().st_size for p in (args.site / "search").rglob("*") if p.is_file())

    def pct(k):
        return f"{k}/{n} = {k / n:.1%}"

    print(f"{n} queries of {args.queries.name}, site {args.site}")
    print(f"{'':34} {'hit@1':>18} {'hit@3':>18} {'zero results':>13}")
    print(f"{'own engine (question links)':34} {pct(own[0]):>18} {pct(own[1]):>18} {own[2]:>13}")
    for key in ("page", "one link per page", "as Pagefind's UI lists"):
        h1, h3 = pf[key]
        label = "Pagefind, " + ("page only" if key == "page" else key)
        print(f"{label:34} {pct(h1):>18} {pct(h3):>18} {pf['zero']:>13}")
    print(f"index on disk: own {own_bytes / 2**20:.2f} MiB, Pagefind {pf_bytes / 2**20:.2f} MiB (raw)")
    print(f"fetched to first results of {OPEN_QUERY!r} (gzip): own {own_w[0] / 1024:.0f} KiB,"
          f" Pagefind {pf_w[0] / 1024:.0f} KiB; after {len(QUERIES)} more queries: own {own_w[1] / 1024:.0f} KiB,"
          f" Pagefind {pf_w[1] / 1024:.0f} KiB")
    print(f"{CPU_THROTTLING}x CPU, median of {args.runs}: open to first results own {own_t[0]:.0f} ms,"
          f" Pagefind {pf_t[0]:.0f} ms (no rendering); keystroke own {own_t[1]:.0f} ms, Pagefind {pf_t[1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
