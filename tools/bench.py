"""`make bench`: the figures the project's budgets are measured by, and PASS/FAIL against each budget.

    python tools/bench.py [--runs N] [--skip-clean] [--skip-lighthouse] [--factor F] [--site DIR]

* Builds (median of N runs, as ratios to the build without notebooks): without notebooks
  (`BAGU_NOTEBOOKS=skip`), clean with every cache cold (`BAGU_CACHE` and `BAGU_NB_CACHE` in a fresh
  directory: notebooks, formulas and diagrams), warm after one Markdown page edit, after one snippet edit
  (with the notebooks it re-executed). The project's caches are never written: warm builds run on a copy.
* Page weight: every page's first-visit transfer (gzip bytes of every response a fresh page load fetches in
  headless Chromium, served gzipped as GitHub Pages does); the 10 heaviest, the median and the max.
* Formulas: the build-time MathJax typeset time of the page with the most formulas.
* Lighthouse 12.2.3, mobile: home, the heaviest Markdown page, the heaviest notebook page, the tags page.
* Search with 4x CPU throttling: from clicking the search input of a freshly loaded page to the results of
  a typed query, and from a keystroke to its results once the index is loaded.
* `--factor 3`: the build and search figures again on a scratch copy with all content tripled
  (tools/triple.py), which must build strict, printed beside the 1x ones.
* `--site DIR`: measure an already built site (page weight, Lighthouse, search) and skip the builds (the
  suite below still runs on its clean clone unless `--skip-suite`).
* The test suite (`make test`'s command) on a clean clone of HEAD, as CI runs it: every cache cold, the
  clone's own tests against the clone's own build (`--skip-suite` leaves it out: it takes `--runs` times
  10-15 minutes). Uncommitted changes are not in the clone; the bench says so.

Every figure is a median of runs (these machines are noisy). Nothing here is asserted by the tests: the
summary only compares the figures with the budgets below.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from browser import CHROMIUM_FLAGS, chromium_path, launch, serve  # noqa: E402
from conftest import load_hook  # noqa: E402
import triple  # noqa: E402
import weight  # noqa: E402

EDIT_PAGE = Path("docs/normalization/layernorm.md")
EDIT_SNIPPET = Path("snippets/normalization/norms.py")
CACHES = ("notebooks", "mathjax", "mermaid")

BUDGET_CLEAN_S = 180
BUDGET_WARM_RATIO = 1.5
BUDGET_PAGE_KIB = weight.BUDGET_KIB
BUDGET_MEDIAN_KIB = weight.MEDIAN_KIB
BUDGET_LIGHTHOUSE = {"performance": 98, "accessibility": 100, "best-practices": 100, "seo": 100}
BUDGET_SEARCH_OPEN_MS = 300
BUDGET_SEARCH_KEY_MS = 50
CPU_THROTTLING = 4
# typed after the index is loaded: the last character is the measured keystroke
QUERIES = ["矩阵吸收", "brevity penalty", "KV cache", "灾难性遗忘", "RoPE", "交叉熵", "梯度裁剪", "LayerNorm"]
OPEN_QUERY = "归一化"


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------------------------- builds

def build(root: Path, site: Path, cache: Path | None, env_extra=None, strict=True) -> tuple[float, str]:
    """One `mkdocs build` of the project at `root`; `cache` is where every build cache lives."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env.pop("BAGU_NOTEBOOKS", None)
    env.update(env_extra or {})
    if cache is not None:
        env["BAGU_CACHE"] = str(cache)
        env["BAGU_NB_CACHE"] = str(cache / "notebooks")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site), "--strict" if strict else "--no-strict"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"build of {root} failed:\n{proc.stderr[-3000:]}")
    return dt, proc.stderr


def executed(log: str) -> int:
    return log.count("Executed notebook")


def seed_cache(root: Path, dest: Path) -> Path:
    """A copy of the caches a build at `root` would use (the environment's, else `root/.cache`)."""
    default = Path(os.environ.get("BAGU_CACHE") or root / ".cache")
    sources = {name: default / name for name in CACHES}
    if os.environ.get("BAGU_NB_CACHE"):
        sources["notebooks"] = Path(os.environ["BAGU_NB_CACHE"])
    dest.mkdir(parents=True, exist_ok=True)
    for name, src in sources.items():
        if src.is_dir():
            shutil.copytree(src, dest / name, dirs_exist_ok=True)
    return dest


def importers(root: Path, snippet: Path) -> int:
    """How many notebooks of `root` import `snippet`, transitively (what a snippet edit must re-execute)."""
    spec = importlib.util.spec_from_file_location(f"notebooks_hook_{abs(hash(root))}", root / "hooks" / "notebooks.py")
    hook = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hook  # dataclasses look their module up
    spec.loader.exec_module(hook)
    target = (root / snippet).resolve()
    return sum(1 for nb in (root / "docs").rglob("*.py")
               if "assets" not in nb.parts and target in [d.resolve() for d in hook.snippet_dependencies(nb)])


def edited_builds(path: Path, edit: str, root: Path, site: Path, cache: Path, runs: int) -> tuple[float, int]:
    """Median time of `runs` builds, each after appending a different `edit` to `path` (restored after), and
    the most notebooks one of them re-executed."""
    original = path.read_text(encoding="utf-8")
    times, counts = [], []
    try:
        for i in range(runs):
            path.write_text(original + edit.format(i), encoding="utf-8")
            dt, log = build(root, site, cache)
            times.append(dt)
            counts.append(executed(log))
    finally:
        path.write_text(original, encoding="utf-8")
    return median(times), max(counts)


def bench_builds(root: Path, runs: int, skip_clean: bool, tmp: Path) -> tuple[dict, Path]:
    """Build figures of the project at `root`; returns them and a strict build of its unedited content."""
    out = {}
    site, scratch = tmp / "site", tmp / "site-edited"  # the unedited build is measured next
    warm_cache = None
    if not skip_clean:
        clean, count = [], []
        for i in range(runs):
            cache = tmp / f"cold-{i}"
            dt, log = build(root, site, cache)
            clean.append(dt)
            count.append(executed(log))
            if warm_cache is not None:
                shutil.rmtree(warm_cache)
            warm_cache = cache
        out["clean"] = median(clean)
        out["clean_executed"] = max(count)
    if warm_cache is None:
        warm_cache = seed_cache(root, tmp / "warm")
        build(root, site, warm_cache)  # fill what the project's caches lack
    # formulas and diagrams warm, as in the other warm builds (skipped notebooks leave dangling links)
    nonb = [build(root, scratch, warm_cache, {"BAGU_NOTEBOOKS": "skip"}, strict=False)[0] for _ in range(runs)]
    out["no_notebooks"] = median(nonb)
    out["warm"], out["warm_executed"] = edited_builds(root / EDIT_PAGE, "\n<!-- bench edit {} -->\n", root, scratch,
                                                      warm_cache, runs)
    out["snippet"], out["snippet_executed"] = edited_builds(root / EDIT_SNIPPET, "\n# bench edit {}\n", root, scratch,
                                                            warm_cache, runs)
    out["snippet_importers"] = importers(root, EDIT_SNIPPET)
    shutil.rmtree(scratch, ignore_errors=True)
    return out, site


def print_builds(results: dict[str, dict]) -> None:
    """One column per content size: time, ratio to that size's build without notebooks, [notebooks executed];
    the larger sizes also as a ratio to the 1x time."""
    cols = list(results)
    head = "".join(f"{c:>22}" + ("  vs 1x" if c != cols[0] else "") for c in cols)
    print(f"  {'':42}{head}")

    def row(label, key, count=None):
        cells = []
        for c in cols:
            b = results[c]
            vs1 = ""
            if c != cols[0]:
                first = results[cols[0]].get(key)
                vs1 = f"  {b[key] / first:4.2f}x" if b.get(key) is not None and first else f"{'-':>7}"
            if b.get(key) is None:
                cells.append(f"{'-':>22}{vs1}")
                continue
            note = f"[{b[count]}]" if count else ""
            cells.append(f"{b[key]:7.1f} s {b[key] / b['no_notebooks']:5.2f}x {note:>6}{vs1}")
        print(f"  {label:42}" + "".join(cells))

    row("build without notebooks", "no_notebooks")
    row("clean build, every cache cold", "clean", "clean_executed")
    row("warm rebuild, 1 Markdown page edited", "warm", "warm_executed")
    row("rebuild, 1 snippet edited", "snippet", "snippet_executed")
    print(f"  (edited: {EDIT_PAGE}, {EDIT_SNIPPET}; notebooks importing that snippet: "
          + ", ".join(f"{results[c]['snippet_importers']} at {c}" for c in cols) + ")")


# ----------------------------------------------------------------------------------------- page weight

def pages_of(site: Path) -> list[str]:
    """Site-relative URLs of the site's pages (redirect stubs left out), as tools/weight.py lists them."""
    return list(weight.site_weights(site))


def measure_weights(site: Path) -> dict[str, dict]:
    """{url: {"total", "requests", "by kind", "mathjax"}}: bytes on the wire (gzip bodies) of a first visit."""
    rows = {}
    with serve(site, compress=True) as base, launch() as browser:
        for url in pages_of(site):
            ctx = browser.new_context(viewport={"width": 412, "height": 823}, device_scale_factor=2,
                                      is_mobile=True, has_touch=True)
            page = ctx.new_page()
            sizes, kinds = {}, {}

            def finished(req, sizes=sizes, kinds=kinds):
                try:
                    sizes[req.url] = req.sizes()["responseBodySize"]
                    kinds[req.url] = req.resource_type
                except Exception:  # a request that failed or was aborted transfers nothing measurable
                    pass

            page.on("requestfinished", finished)
            page.goto(base + url, wait_until="load")
            try:
                page.wait_for_load_state("networkidle", timeout=10000)
            except Exception:
                pass
            page.wait_for_timeout(200)
            ctx.close()
            by = {}
            for u, n in sizes.items():
                by[kinds[u]] = by.get(kinds[u], 0) + n
            rows[url] = {"total": sum(sizes.values()), "requests": len(sizes), "by": by,
                         "mathjax": sum(1 for u in sizes if "mathjax" in u.lower() and u.endswith(".js"))}
    return rows


def print_weights(rows: dict[str, dict], site: Path) -> dict:
    totals = sorted(r["total"] for r in rows.values())
    estimate = weight.site_weights(site)
    order = sorted(rows.items(), key=lambda kv: -kv[1]["total"])
    print(f"  {'page':52} {'KiB':>6} {'req':>4} {'html':>5} {'css':>5} {'js':>5} {'font':>5} {'img':>5}"
          f" {'est.':>6}")
    for url, r in order[:10]:
        by = {k: v / 1024 for k, v in r["by"].items()}
        print(f"  {url or '/':52} {r['total'] / 1024:6.1f} {r['requests']:4} {by.get('document', 0):5.0f}"
              f" {by.get('stylesheet', 0):5.0f} {by.get('script', 0):5.0f} {by.get('font', 0):5.0f}"
              f" {by.get('image', 0):5.0f} {estimate.get(url, {}).get('total', 0) / 1024:6.0f}")
    med, top = median(totals) / 1024, totals[-1] / 1024
    over = [u for u, r in rows.items() if r["total"] > BUDGET_PAGE_KIB * 1024]
    mathjax = [u for u, r in rows.items() if r["mathjax"]]
    print(f"  {len(rows)} pages: median {med:.1f} KiB, max {top:.1f} KiB (budget {BUDGET_PAGE_KIB} KiB per page,"
          f" median {BUDGET_MEDIAN_KIB}); {len(over)} over budget; pages fetching MathJax: {len(mathjax)}")
    print("  (est. = tools/weight.py's figure from the built files)")
    return {"median": med, "max": top, "over": over, "mathjax": mathjax}


def heaviest(rows: dict[str, dict], root: Path) -> dict[str, str]:
    """Home, the heaviest Markdown page, the heaviest notebook page and the tags page."""
    docs = root / "docs"
    md = [(r["total"], u) for u, r in rows.items() if u and (docs / (u.rstrip("/") + ".md")).is_file()
          and u != "tags/"]
    nb = [(r["total"], u) for u, r in rows.items() if u and (docs / (u.rstrip("/") + ".py")).is_file()]
    pages = {"home": ""}
    if md:
        pages["heaviest Markdown page"] = max(md)[1]
    if nb:
        pages["heaviest notebook page"] = max(nb)[1]
    if "tags/" in rows:
        pages["tags page"] = "tags/"
    return pages


# -------------------------------------------------------------------------------------------- formulas

def bench_typeset(site: Path, runs: int) -> dict:
    """Build-time MathJax typeset time of the page with the most formulas (readers' browsers run none)."""
    counts = [(html.read_text(encoding="utf-8").count('class="arithmatex'), html) for html in site.rglob("index.html")]
    n, html = max(counts)
    rel = html.parent.relative_to(site).as_posix() + "/"
    src = ROOT / "docs" / (rel.rstrip("/") + ".md")
    if not src.is_file():
        return {"page": rel, "formulas": n, "ms": None}
    hook = load_hook("typeset")
    items = formula_items(hook, src)
    times = []
    for _ in range(runs):
        t = hook.Typesetter()
        t.cache = {}
        t.ask({"items": [["x", False]]})  # start Node and MathJax outside the timing
        t0 = time.perf_counter()
        t.render(items)
        times.append((time.perf_counter() - t0) * 1000)
        t.close()
    return {"page": rel, "formulas": len(items), "ms": median(times)}


def formula_items(hook, src: Path) -> list:
    """The (tex, display) items of one page, as pymdownx.arithmatex hands them to the typesetter."""
    import markdown
    from mkdocs.config import load_config

    cfg = load_config(str(ROOT / "mkdocs.yml"))
    md = markdown.Markdown(extensions=cfg["markdown_extensions"], extension_configs=cfg["mdx_configs"])
    html = md.convert(src.read_text(encoding="utf-8").split("\n---", 1)[-1])
    return [hook.split(m.group(2)) for m in hook.MATH.finditer(html)]


# ------------------------------------------------------------------------------------------ lighthouse

def lighthouse(url: str) -> dict:
    binary = ROOT / "node_modules" / ".bin" / "lighthouse"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lh.json"
        flags = " ".join(CHROMIUM_FLAGS + [f"--user-data-dir={tmp}/profile"])
        proc = subprocess.run(
            [str(binary), url, "--quiet", "--output=json", f"--output-path={out}", f"--chrome-flags={flags}",
             "--form-factor=mobile", "--only-categories=performance,accessibility,best-practices,seo"],
            env=dict(os.environ, CHROME_PATH=chromium_path()), capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(proc.stderr[-2000:])
        data = json.loads(out.read_text())
    cats = {k: round((v["score"] or 0) * 100) for k, v in data["categories"].items()}
    audits = data["audits"]
    cats["LCP s"] = audits["largest-contentful-paint"]["numericValue"] / 1000
    cats["TBT ms"] = audits["total-blocking-time"]["numericValue"]
    cats["transfer KiB"] = audits["total-byte-weight"]["numericValue"] / 1024
    return cats


def bench_lighthouse(site: Path, pages: dict[str, str], runs: int) -> dict:
    results = {}
    with serve(site, compress=True) as base:
        for label, path in pages.items():
            rows = [lighthouse(base + path) for _ in range(runs)]
            results[f"{label} ({path or '/'})"] = {k: median([r[k] for r in rows]) for k in rows[0]}
    return results


def print_lighthouse(lh: dict) -> None:
    print(f"  {'page':58} perf  a11y   bp  seo   LCP s  TBT ms  transfer KiB")
    for page, s in lh.items():
        print(f"  {page:58} {s['performance']:4.0f} {s['accessibility']:5.0f} {s['best-practices']:4.0f}"
              f" {s['seo']:4.0f} {s['LCP s']:7.2f} {s['TBT ms']:7.0f} {s['transfer KiB']:13.0f}")


# -------------------------------------------------------------------------------------------- search

# Resolves with the time from the first event of the next interaction (pointerdown, keydown, beforeinput or
# input, by its timeStamp) to the moment the dialog shows results for `q` (search.mjs sets data-query after
# filling #bagu-search-list).
WATCH = """(q) => {
  const root = document.querySelector('[data-bagu-search]');
  let start = null;
  const first = (ev) => { if (start === null || ev.timeStamp < start) start = ev.timeStamp; };
  const types = ['pointerdown', 'mousedown', 'keydown', 'beforeinput', 'input'];
  types.forEach((t) => document.addEventListener(t, first, {capture: true}));
  window.__baguBench = new Promise((resolve) => {
    const done = () => {
      if (root.dataset.query !== q) return false;
      const end = performance.now();
      obs.disconnect();
      types.forEach((t) => document.removeEventListener(t, first, {capture: true}));
      resolve({ms: start === null ? null : end - start,
               results: document.querySelectorAll('#bagu-search-list li').length});
      return true;
    };
    const obs = new MutationObserver(done);
    obs.observe(root, {attributes: true, attributeFilter: ['data-query']});
  });
}"""


def bench_search(site: Path, runs: int) -> dict:
    opened, keys, empty = [], [], []
    with serve(site, compress=True) as base, launch() as browser:
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1280, "height": 860})
            page = ctx.new_page()
            cdp = ctx.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_THROTTLING})
            page.goto(base, wait_until="load")
            box = page.locator("input.md-search__input")
            page.evaluate(WATCH, OPEN_QUERY)
            box.click()
            # typed at once, as a reader who clicks and types: fill() would first run its actionability
            # checks, which under the 4x throttle put 200-330 ms between the click and the first input
            # event, time the harness spends, not the page
            page.keyboard.insert_text(OPEN_QUERY)
            r = page.evaluate("() => window.__baguBench")
            opened.append(r["ms"])
            if not r["results"]:
                empty.append(OPEN_QUERY)
            for query in QUERIES:
                box.fill(query[:-1])
                page.wait_for_function("q => document.querySelector('[data-bagu-search]').dataset.query === q",
                                       arg=query[:-1], timeout=15000)
                page.evaluate(WATCH, query)
                page.keyboard.type(query[-1])
                r = page.evaluate("() => window.__baguBench")
                keys.append(r["ms"])
                if not r["results"]:
                    empty.append(query)
            ctx.close()
    return {"open": median(opened), "key": median(keys), "key_max": max(keys), "samples": len(keys),
            "empty": sorted(set(empty))}


# ------------------------------------------------------------------------------------------------ suite

BUDGET_SUITE_MIN = 20
SUITE_ENV_DROP = ("BAGU_TEST_SITE", "BAGU_CACHE", "BAGU_NB_CACHE", "BAGU_NOTEBOOKS", "PYTEST_ADDOPTS")


def bench_suite(runs: int, tmp: Path) -> dict:
    """`make test` (python -m pytest) on `runs` fresh clones of HEAD: wall time of each, and whether it passed."""
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if dirty:
        print("  (uncommitted changes are not measured: the suite runs on a clone of HEAD)")
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ENV_DROP}
    minutes, failures = [], []
    for i in range(runs):
        clone = tmp / f"suite-{i}"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (clone / "node_modules").symlink_to(ROOT / "node_modules")   # what `make setup` installs, as CI has it
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=clone, env=env, capture_output=True, text=True)
        minutes.append((time.monotonic() - start) / 60)
        tail = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)][-1:]
        print(f"  run {i + 1}: {minutes[-1]:.1f} min, exit {proc.returncode}: {tail[0].strip('= ') if tail else ''}",
              flush=True)
        if proc.returncode:
            failures.append(i + 1)
            print("\n".join(proc.stdout.splitlines()[-30:]))
        shutil.rmtree(clone, ignore_errors=True)
    return {"median": median(minutes), "failures": failures}


# ------------------------------------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (the median is printed); default 3")
    ap.add_argument("--skip-clean", action="store_true", help="skip the clean (every cache cold) builds")
    ap.add_argument("--skip-lighthouse", action="store_true")
    ap.add_argument("--factor", type=int, default=1,
                    help="also measure builds and search on a copy with all content times FACTOR (tools/triple.py)")
    ap.add_argument("--site", type=Path, help="measure this built site; no builds")
    ap.add_argument("--skip-suite", action="store_true", help="skip the test suite on clean clones")
    args = ap.parse_args()
    checks = []  # (budget, figure, pass)

    with tempfile.TemporaryDirectory(prefix="bagu-bench-") as tmp:
        tmp = Path(tmp)
        sites = {}
        if args.site:
            sites["1x"] = args.site.resolve()
        else:
            builds = {}
            roots = {"1x": ROOT}
            if args.factor > 1:
                roots[f"{args.factor}x"] = triple.triple(tmp / f"x{args.factor}", args.factor)
            for label, root in roots.items():
                print(f"== Builds at {label} content (median of {args.runs}) ...", flush=True)
                (tmp / label).mkdir()
                builds[label], sites[label] = bench_builds(root, args.runs, args.skip_clean, tmp / label)
            print(f"== Builds (median of {args.runs}; ratio to the build without notebooks; [notebooks executed])")
            print_builds(builds)
            for label, b in builds.items():
                if "clean" in b:
                    checks.append((f"clean build at {label} <= {BUDGET_CLEAN_S / 60:.0f} min",
                                   f"{b['clean']:.0f} s", b["clean"] <= BUDGET_CLEAN_S))
                ratio = b["warm"] / b["no_notebooks"]
                checks.append((f"warm rebuild at {label} <= {BUDGET_WARM_RATIO}x no-notebook build",
                               f"{ratio:.2f}x", ratio <= BUDGET_WARM_RATIO))
        site = sites["1x"]

        print("== Page weight: first visit, gzip bytes fetched by headless Chromium (mobile viewport)", flush=True)
        rows = measure_weights(site)
        w = print_weights(rows, site)
        checks.append((f"every page <= {BUDGET_PAGE_KIB} KiB gzip", f"max {w['max']:.0f} KiB",
                       not w["over"]))
        checks.append((f"median page <= {BUDGET_MEDIAN_KIB} KiB gzip", f"{w['median']:.0f} KiB",
                       w["median"] <= BUDGET_MEDIAN_KIB))
        checks.append(("no page fetches MathJax", f"{len(w['mathjax'])} pages", not w["mathjax"]))

        t = bench_typeset(site, args.runs)
        if t["ms"] is not None:
            print(f"== Formulas: MathJax typeset at build of {t['page']} ({t['formulas']} formulas, the most of any"
                  f" page): {t['ms']:.0f} ms (median of {args.runs})")

        if not args.skip_lighthouse:
            print(f"== Lighthouse 12.2.3, mobile, gzip like GitHub Pages (median of {args.runs})", flush=True)
            lh = bench_lighthouse(site, heaviest(rows, ROOT), args.runs)
            print_lighthouse(lh)
            want = "/".join(str(v) for v in BUDGET_LIGHTHOUSE.values())
            for page, s in lh.items():
                got = [s[k] for k in BUDGET_LIGHTHOUSE]
                checks.append((f"Lighthouse {page.split(' (')[0]} >= {want}", "/".join(f"{g:.0f}" for g in got),
                               all(g >= b for g, b in zip(got, BUDGET_LIGHTHOUSE.values()))))

        print(f"== Search, {CPU_THROTTLING}x CPU throttling (median of {args.runs} page loads; "
              f"{len(QUERIES)} keystrokes each)", flush=True)
        for label, s in sites.items():
            r = bench_search(s, args.runs)
            print(f"  {label}: open search to first results ({OPEN_QUERY!r}) {r['open']:6.0f} ms;"
                  f" keystroke to results {r['key']:5.0f} ms (max {r['key_max']:.0f}, {r['samples']} samples)"
                  + (f"; no results for {r['empty']}" if r["empty"] else ""))
            checks.append((f"search at {label}: open to results <= {BUDGET_SEARCH_OPEN_MS} ms",
                           f"{r['open']:.0f} ms", r["open"] <= BUDGET_SEARCH_OPEN_MS))
            checks.append((f"search at {label}: keystroke to results <= {BUDGET_SEARCH_KEY_MS} ms",
                           f"{r['key']:.0f} ms", r["key"] <= BUDGET_SEARCH_KEY_MS))

        if not args.skip_suite:
            print(f"== Test suite on a clean clone of HEAD, every cache cold (median of {args.runs})", flush=True)
            r = bench_suite(args.runs, tmp)
            print(f"  median {r['median']:.1f} min")
            checks.append((f"make test <= {BUDGET_SUITE_MIN} min (clean clone)", f"{r['median']:.1f} min",
                           r["median"] <= BUDGET_SUITE_MIN and not r["failures"]))

    print("== Budgets")
    width = max(len(c[0]) for c in checks)
    for budget, figure, ok in checks:
        print(f"  {budget:{width}}  {figure:>14}  {'PASS' if ok else 'FAIL'}")
    failed = sum(1 for c in checks if not c[2])
    print(f"  {len(checks) - failed} PASS, {failed} FAIL")


if __name__ == "__main__":
    main()
