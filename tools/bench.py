"""`make bench`: build speed, page weight, Lighthouse scores, MathJax typeset time and search latency.

Every figure is the median of several runs (these machines are noisy) and build times are also given as
ratios to a build without notebooks. Nothing here is asserted: the tests check behaviour, this prints figures.

    python tools/bench.py [--runs N] [--skip-clean] [--skip-lighthouse]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM_FLAGS, chromium_path, launch, serve  # noqa: E402
from conftest import load_hook  # noqa: E402

EDIT_PAGE = ROOT / "docs" / "normalization" / "layernorm.md"


def median(xs):
    return statistics.median(xs)


def build(site: Path, env_extra=None, strict=True) -> tuple[float, str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **(env_extra or {}))
    cmd = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site), "--strict" if strict else "--no-strict"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stderr[-3000:]}")
    return dt, proc.stderr


def bench_builds(runs: int, skip_clean: bool) -> dict:
    out = {}
    cache = ROOT / ".cache" / "notebooks"
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        nonb = [build(site, {"BAGU_NOTEBOOKS": "skip"}, strict=False)[0] for _ in range(runs)]
        out["no_notebooks"] = median(nonb)
        if not skip_clean:
            clean = []
            backup = Path(tmp) / "nb-cache"
            if cache.exists():
                shutil.copytree(cache, backup)
            for _ in range(runs):
                shutil.rmtree(cache, ignore_errors=True)
                clean.append(build(site)[0])
            out["clean"] = median(clean)
        build(site)  # make sure the cache is warm
        original = EDIT_PAGE.read_text(encoding="utf-8")
        warm, executed = [], []
        try:
            for i in range(runs):
                EDIT_PAGE.write_text(original + f"\n<!-- bench edit {i} -->\n", encoding="utf-8")
                dt, log = build(site)
                warm.append(dt)
                executed.append(log.count("Executing notebook"))
        finally:
            EDIT_PAGE.write_text(original, encoding="utf-8")
        out["warm_one_page_edit"] = median(warm)
        out["notebooks_reexecuted_after_page_edit"] = max(executed)
        # a snippet edit re-executes exactly the notebooks that import it
        snippet = ROOT / "snippets" / "normalization" / "norms.py"
        s_orig = snippet.read_text(encoding="utf-8")
        try:
            snippet.write_text(s_orig + "\n# bench edit\n", encoding="utf-8")
            dt, log = build(site)
            out["notebooks_reexecuted_after_snippet_edit"] = log.count("Executing notebook")
            out["rebuild_after_snippet_edit"] = dt
        finally:
            snippet.write_text(s_orig, encoding="utf-8")
            build(site)
    return out


def pick_pages(site: Path) -> dict[str, str]:
    """Home, the heaviest Markdown page and the heaviest notebook page (HTML bytes)."""
    md, nb = [], []
    docs = ROOT / "docs"
    for src in docs.rglob("*"):
        if src.suffix not in (".md", ".py") or "assets" in src.parts or src.name in ("index.md", "tags.md"):
            continue
        rel = src.relative_to(docs).with_suffix("")
        html = site / rel / "index.html"
        if html.is_file():
            (nb if src.suffix == ".py" else md).append((html.stat().st_size, rel.as_posix() + "/"))
    return {"home": "", "heaviest markdown": max(md)[1], "heaviest notebook": max(nb)[1]}


def lighthouse(url: str) -> dict:
    binary = ROOT / "node_modules" / ".bin" / "lighthouse"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lh.json"
        flags = " ".join(CHROMIUM_FLAGS + [f"--user-data-dir={tmp}/profile"])
        proc = subprocess.run(
            [str(binary), url, "--quiet", "--output=json", f"--output-path={out}", f"--chrome-flags={flags}",
             "--only-categories=performance,accessibility,best-practices,seo"],
            env=dict(os.environ, CHROME_PATH=chromium_path()), capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(proc.stderr[-2000:])
        data = json.loads(out.read_text())
    cats = {k: round(v["score"] * 100) for k, v in data["categories"].items()}
    audits = data["audits"]
    cats["LCP s"] = audits["largest-contentful-paint"]["numericValue"] / 1000
    cats["TBT ms"] = audits["total-blocking-time"]["numericValue"]
    cats["transfer KiB"] = audits["total-byte-weight"]["numericValue"] / 1024
    return cats


def bench_lighthouse(site: Path, runs: int) -> dict:
    results = {}
    with serve(site, compress=True) as base:
        for label, path in pick_pages(site).items():
            rows = [lighthouse(base + path) for _ in range(runs)]
            results[f"{label} ({path or '/'})"] = {k: median([r[k] for r in rows]) for k in rows[0]}
    return results


def bench_browser(site: Path, runs: int) -> dict:
    """Build-time typeset time of the page with the most formulas (readers run no MathJax), and the
    search latency from keystroke to results."""
    counts = []
    for html in site.rglob("index.html"):
        counts.append((html.read_text(encoding="utf-8").count('class="arithmatex'), html))
    n, heaviest = max(counts)
    rel = heaviest.parent.relative_to(site).as_posix() + "/"
    out = {"formula page": rel, "formulas": n}
    hook = load_hook("typeset")
    items = t_items(hook, ROOT / "docs" / (rel.rstrip("/") + ".md"))
    typeset = []
    for _ in range(runs):
        t = hook.Typesetter()
        t.cache = {}
        t.ask({"items": [["x", False]]})  # start Node and MathJax outside the timing
        t0 = time.perf_counter()
        t.render(items)
        typeset.append((time.perf_counter() - t0) * 1000)
        t.close()
    out["typeset ms"] = median(typeset)
    out["build formulas"] = len(items)
    with serve(site, compress=True) as base, launch() as browser:
        latency, mathjax_requests = [], []
        ctx = browser.new_context(viewport={"width": 1280, "height": 860})
        page = ctx.new_page()
        page.on("request", lambda r: mathjax_requests.append(r.url) if "tex-chtml" in r.url else None)
        page.goto(base + rel, wait_until="load")
        page.wait_for_selector("body[data-math=done]", timeout=60000)
        out["client MathJax requests"] = len(mathjax_requests)
        ctx.close()
        ctx = browser.new_context(viewport={"width": 1280, "height": 860})
        page = ctx.new_page()
        page.goto(base, wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        box.type("归一化")  # warm the index
        page.wait_for_selector(".md-search-result__item")
        for query in ["矩阵吸收", "brevity penalty", "KV cache", "灾难性遗忘", "RoPE", "交叉熵"] * max(1, runs // 2):
            box.fill("")
            page.wait_for_timeout(100)
            box.fill(query[:-1])
            page.wait_for_timeout(150)
            t = page.evaluate("""(last) => new Promise(resolve => {
                const list = document.querySelector('.md-search-result__list');
                const input = document.querySelector('input.md-search__input');
                const start = performance.now();
                const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now() - start); });
                obs.observe(list, {childList: true, subtree: true});
                input.value += last;
                input.dispatchEvent(new KeyboardEvent('keyup', {key: last, bubbles: true}));
                input.dispatchEvent(new Event('input', {bubbles: true}));
                setTimeout(() => { obs.disconnect(); resolve(null); }, 3000);
            })""", query[-1])
            if t is not None:
                latency.append(t)
        ctx.close()
        out["search ms"] = median(latency) if latency else None
        out["search samples"] = len(latency)
    return out


def t_items(hook, src: Path) -> list:
    """The (tex, display) items of one page, as pymdownx.arithmatex hands them to the typesetter."""
    import markdown
    from mkdocs.config import load_config

    cfg = load_config(str(ROOT / "mkdocs.yml"))
    md = markdown.Markdown(extensions=cfg["markdown_extensions"], extension_configs=cfg["mdx_configs"])
    html = md.convert(src.read_text(encoding="utf-8").split("\n---", 1)[-1])
    return [hook.split(m.group(2)) for m in hook.MATH.finditer(html)]


def page_weight(site: Path) -> dict:
    sizes = {}
    for html in site.rglob("index.html"):
        sizes[html.parent.relative_to(site).as_posix() + "/"] = html.stat().st_size
    nb = {k: v for k, v in sizes.items() if (ROOT / "docs" / (k.rstrip("/") + ".py")).is_file()}
    return {"pages": len(sizes), "max HTML KiB": max(sizes.values()) / 1024,
            "max notebook HTML KiB": max(nb.values()) / 1024 if nb else 0,
            "median HTML KiB": median(list(sizes.values())) / 1024}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-clean", action="store_true", help="skip the clean (cold cache) builds")
    ap.add_argument("--skip-lighthouse", action="store_true")
    args = ap.parse_args()

    print(f"== Builds (median of {args.runs})")
    b = bench_builds(args.runs, args.skip_clean)
    base = b["no_notebooks"]
    print(f"  build without notebooks     {base:6.1f} s   1.00x")
    if "clean" in b:
        print(f"  clean build (cold cache)    {b['clean']:6.1f} s   {b['clean'] / base:.2f}x")
    print(f"  warm rebuild, 1 page edited {b['warm_one_page_edit']:6.1f} s   {b['warm_one_page_edit'] / base:.2f}x"
          f"   notebooks re-executed: {b['notebooks_reexecuted_after_page_edit']}")
    print(f"  rebuild, 1 snippet edited   {b['rebuild_after_snippet_edit']:6.1f} s   "
          f"notebooks re-executed: {b['notebooks_reexecuted_after_snippet_edit']} (those importing it)")

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build(site)
        w = page_weight(site)
        print("== Page weight (HTML only)")
        print(f"  {w['pages']} pages; median {w['median HTML KiB']:.0f} KiB, max {w['max HTML KiB']:.0f} KiB, "
              f"max notebook page {w['max notebook HTML KiB']:.0f} KiB")
        print(f"== Browser (median of {args.runs})")
        r = bench_browser(site, args.runs)
        print(f"  MathJax typeset at build, {r['formula page']} ({r['build formulas']} formulas): "
              f"{r['typeset ms']:.0f} ms; MathJax requests by the reader's browser: {r['client MathJax requests']}")
        print(f"  search, keystroke to results: {r['search ms']:.0f} ms ({r['search samples']} samples)")
        if not args.skip_lighthouse:
            print(f"== Lighthouse 12.2.3, mobile emulation, gzip like GitHub Pages (median of {args.runs})")
            lh = bench_lighthouse(site, args.runs)
            print(f"  {'page':44} perf  a11y  bp   seo   LCP s  TBT ms  transfer KiB")
            for page, s in lh.items():
                print(f"  {page:44} {s['performance']:4.0f} {s['accessibility']:5.0f} {s['best-practices']:4.0f}"
                      f" {s['seo']:5.0f} {s['LCP s']:6.2f} {s['TBT ms']:7.0f} {s['transfer KiB']:10.0f}")


if __name__ == "__main__":
    main()
