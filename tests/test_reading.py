"""What a reader sees, on every page, at 375 px and 1280 px, in the light and the dark palette.

Each page is loaded in headless Chromium with its skipped blocks rendered, and checked for:

* diagrams: the smallest label at its displayed size is at least 11 CSS px, or the zoom view (natural
  size) reaches 11 px;
* figures: no wider than the article column, alt text, zoomable;
* anything that scrolls sideways (formulas, tables) can be reached with the keyboard and shows a cue;
* no stray space between two Chinese characters; the one-sentence answer at body-text size;
* axe-core (WCAG 2.1 AA and best practices): no violation;
* clean rendering: every formula typeset at build (no MathJax error, no raw TeX left in the text, no
  glyph without its font rule, MathJax never fetched), nothing wider than the screen, no console error,
  no request to another host.

Pages are split between two worker processes (the machine has two cores); each failure names the page,
the width, the palette and the element.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
from pathlib import Path

import pytest

from browser import Watch, launch
from conftest import ROOT, html_pages, page_url

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [375, 1280]  # the first is PHONE
FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# the dark palette, as the palette switch applies it: the body takes the scheme, primary and accent colours
# of the dark option (the page's own palette form); nothing is stored, so the next page loads light
TO_DARK = """() => {
  const option = document.querySelector("input[data-md-color-scheme=slate]");
  for (const key of ["scheme", "primary", "accent"]) {
    document.body.setAttribute(`data-md-color-${key}`, option.getAttribute(`data-md-color-${key}`));
  }
}"""
MIN_DIAGRAM_PX = 11.0
WORKERS = 2

MEASURE = r"""() => {
  const out = {diagrams: [], figures: [], scroll: [], spaces: [], answers: [], column: 0};
  const article = document.querySelector("article");
  if (!article) return out;
  out.column = article.clientWidth;
  const label = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).slice(0, 3).join(".") : "");
  for (const d of article.querySelectorAll(".mermaid-diagram")) {
    const svg = [...d.querySelectorAll("svg")].find((s) => s.getBoundingClientRect().width > 0);
    if (!svg) { out.diagrams.push([d.dataset.diagram, null, null, false]); continue; }
    const box = svg.viewBox.baseVal;
    const scale = svg.getBoundingClientRect().width / (box && box.width ? box.width : svg.getBoundingClientRect().width);
    let min = Infinity;
    for (const el of svg.querySelectorAll("text, tspan, foreignObject span, foreignObject div")) {
      if (!el.textContent.trim() || el.children.length && el.tagName !== "text") continue;
      min = Math.min(min, parseFloat(getComputedStyle(el).fontSize));
    }
    out.diagrams.push([d.dataset.diagram, min * scale, min, Boolean(d.querySelector("button.diagram-zoom"))]);
  }
  for (const img of article.querySelectorAll("img.nb-figure")) {
    out.figures.push([img.getAttribute("src"), img.getBoundingClientRect().width, img.getAttribute("alt") || "",
                      img.getAttribute("role"), img.tabIndex]);
  }
  const candidates = article.querySelectorAll("div.arithmatex, span.arithmatex, .table-block, .md-typeset__scrollwrap, pre, code, table, .tabbed-content, .mermaid-diagram");
  for (const el of candidates) {
    const cs = getComputedStyle(el);
    if (!["auto", "scroll"].includes(cs.overflowX) || el.scrollWidth <= el.clientWidth + 1) continue;
    const focusable = el.tabIndex >= 0 || Boolean(el.querySelector("a[href], button, [tabindex='0']"));
    const cue = el.matches(".math-scroll-m, .math-scroll-d, .table-scroll, pre, code, pre *");
    if (!focusable || !cue) out.scroll.push([label(el), focusable, cue, el.scrollWidth - el.clientWidth]);
  }
  // the text a reader sees, formulas and code as a Latin placeholder, white space collapsed as CSS does
  const seen = (el) => {
    let text = "";
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === 3) text += child.nodeValue;
        else if (child.nodeType === 1) {
          if (child.matches("mjx-container, code, svg, .copy-link, .headerlink")) text += "x";
          else if (child.matches("br, ul, ol, li, p, div, table, dl, pre")) { text += "\u2029"; walk(child); text += "\u2029"; }
          else walk(child);
        }
      }
    };
    walk(el);
    return text.replace(/[ \t\n]+/g, " ");  // a block boundary (\u2029) is a line break, never a space
  };
  for (const el of article.querySelectorAll("p, li, td, th, h1, h2, h3, h4, dd, dt, .admonition-title")) {
    if (el.closest("pre, code, svg, .mermaid-diagram")) continue;
    // a title in book-title marks keeps its own spacing (GB 18030-2022《信息技术 中文编码字符集》)
    const text = seen(el).replace(/《[^》]*》/g, "《》");
    const m = text.match(/[\u4e00-\u9fff] [\u4e00-\u9fff]/);
    if (m) out.spaces.push([label(el), text.slice(Math.max(0, m.index - 12), m.index + 14)]);
  }
  const body = article.querySelector(":scope > p");
  const bodySize = body ? parseFloat(getComputedStyle(body).fontSize) : 16;
  for (const p of article.querySelectorAll(".admonition.tip > p:not(.admonition-title)")) {
    const size = parseFloat(getComputedStyle(p).fontSize);
    if (size < bodySize - 0.5) out.answers.push([label(p.parentElement), size, bodySize]);
  }
  // clean rendering: MathJax errors, TeX left in the text, glyphs without a font rule, page overflow
  out.merror = [...document.querySelectorAll("mjx-merror")].slice(0, 3).map((e) => e.textContent);
  const copy = article.cloneNode(true);
  copy.querySelectorAll("pre, code, mjx-container, script, .mermaid-diagram").forEach((e) => e.remove());
  const raw = copy.textContent.match(/\\\(|\\\[|\$\$|\\frac|\\mathrm|\\sum/);
  out.raw = raw ? copy.textContent.slice(Math.max(0, raw.index - 40), raw.index + 40) : null;
  out.blank = [...document.querySelectorAll("mjx-c")].filter((e) => getComputedStyle(e, "::before").content === "none").length;
  out.overflow = document.documentElement.scrollWidth - window.innerWidth;
  out.wide = out.overflow > 1 ? [...article.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 3).map(label) : [];
  return out;
}"""

# axe-core, WCAG 2.1 A/AA and best practices. MathJax's visual glyphs (mjx-math, aria-hidden) are left
# out: thousands of nodes with no text of their own; the assistive MathML next to them is checked. axe
# walks the whole document before it applies an exclusion (on a formula-heavy page the glyphs are 40 % of
# the nodes), so once the page is measured each glyph tree is replaced by an empty box of its size (same
# layout, same scroll widths) and axe runs on the rest. At
# 375 px every rule runs in the light palette, and the rules whose outcome depends on colours run again on
# the same loaded page switched to dark (the DOM is the same, only the colours differ). At 1280 px the
# article is the same markup with the same colours in a wider column (and larger type, which only eases
# the contrast thresholds): there every rule runs on what only a wide screen shows (tabs, sidebars,
# header, footer), the colour rules on it again in dark, and the rule that depends on the width
# (regions that scroll sideways must take keyboard focus) on the whole page. Each page loads once per width.
# The wide-screen chrome is the same template on every page of a section (its tab, its part of the nav,
# the page's table of contents in the same classes), so its rules run on a sample (`chrome_sample`): every
# page outside a section, and in each section its index page and its largest page (the longest table of
# contents); every other page at 1280 px gets the width rule only. The 375 px run checks every page whole.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
WIDTH_RULES = ["scrollable-region-focusable"]
CHROME = [".md-header", ".md-tabs", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer"]
PHONE = 375
# every formula's glyphs -> an empty inline box of the same size (rectangles read before any change: one layout)
GLYPHS_TO_BOXES = """() => {
  const maths = [...document.querySelectorAll("mjx-math")];
  const boxes = maths.map((m) => { const r = m.getBoundingClientRect(); const cs = getComputedStyle(m);
    return [r.width, r.height, cs.verticalAlign, cs.display]; });
  maths.forEach((m, i) => {
    const [w, h, align, display] = boxes[i];
    const box = document.createElement("mjx-math");
    box.setAttribute("aria-hidden", "true");
    box.style.cssText = `display:${display === "block" ? "block" : "inline-block"};width:${w}px;height:${h}px;vertical-align:${align};margin:0;padding:0`;
    m.replaceWith(box);
  });
  return maths.length;
}"""
AXE_RUN = """([rules, only]) => axe.run({
      include: only ? only.filter((s) => document.querySelector(s)).map((s) => [s]) : [["html"]],
      exclude: [["mjx-math"]]}, Object.assign(
    rules ? {runOnly: {type: "rule", values: rules}} : {runOnly: {type: "tag", values: %s}},
    {resultTypes: ["violations"]})
  ).then((r) => r.violations.map((v) => ({id: v.id, nodes: v.nodes.map((n) => ({
    target: n.target.join(" "), html: n.html.slice(0, 300),
    math: (() => { try { const e = document.querySelector(n.target.join(" ")); return Boolean(e && e.querySelector(".arithmatex")); }
                   catch (err) { return false; } })(),
    why: (n.any.concat(n.all, n.none)[0] || {}).message || ""}))})))""" % json.dumps(AXE_TAGS)


def false_positive(rule: str, node: dict) -> bool:
    """axe reads no text in MathJax's assistive MathML, so a header cell holding only a formula looks
    empty to it; screen readers read the MathML."""
    return rule == "empty-table-header" and node["math"]


def chrome_sample(site: Path, urls: list[str]) -> set[str]:
    """The pages whose wide-screen chrome is checked (see the axe comment above): each page outside a
    section, and per section (first path segment) its index page and its largest page."""
    sections: dict[str, list[str]] = {}
    sample = set()
    for url in urls:
        parts = url.strip("/").split("/")
        if len(parts) < 2:
            sample.add(url)  # the home page, a section's index, the tags and review pages
        else:
            sections.setdefault(parts[0], []).append(url)
    for members in sections.values():
        sample.add(max(members, key=lambda u: ((site / u / "index.html").stat().st_size, u)))
    return sample


def load_and_check(page, address: str, url: str, width: int, axe: str, chrome: bool = True):
    """Load one URL in the light palette, measure it and run the axe rules; then switch the same page to the
    dark palette and run the colour rules (at 1280 px on the wide-screen chrome, and only if `chrome`: else
    the width rule alone, see the axe comment above). Returns (measurements, [(where, violation), ...])."""
    where = f"{url or '/'} @{width}px"
    page.emulate_media(color_scheme="light")
    page.goto(address, wait_until="load")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    # body[data-math] is set by site.js once formulas are in place (typeset at build: at once)
    page.wait_for_selector("body[data-math=done]", state="attached", timeout=30000)
    # every block rendered, and no colour transition: the dark palette is checked in its final colours
    page.add_style_tag(content=".lazy-block { content-visibility: visible !important; }"
                               " *, *::before, *::after { transition: none !important; }")
    page.evaluate(FRAMES)
    m = page.evaluate(MEASURE)
    page.evaluate(GLYPHS_TO_BOXES)
    page.evaluate(FRAMES)
    page.add_script_tag(content=axe)
    only = None if width == PHONE else CHROME  # see the axe comment above
    if only and not chrome:  # a wide page outside the chrome sample: the width rule alone
        return m, [(f"{where} light", v) for v in page.evaluate(AXE_RUN, [WIDTH_RULES, None])]
    violations = [(f"{where} light", v) for v in page.evaluate(AXE_RUN, [None, only])]
    if only:
        violations += [(f"{where} light", v) for v in page.evaluate(AXE_RUN, [WIDTH_RULES, None])]
    page.emulate_media(color_scheme="dark")
    page.evaluate(TO_DARK)
    page.evaluate(FRAMES)
    violations += [(f"{where} dark", v) for v in page.evaluate(AXE_RUN, [COLOUR_RULES, only])]
    return m, violations


def check_pages(base: str, urls: list[str], chrome: set[str]) -> list[str]:
    """Run in a worker process: every check on every URL at both widths; each page is loaded once per width
    in the light palette (layout and every axe rule), then switched to the dark palette in place, as the
    reader's system setting does, for the colour rules (at 1280 px the chrome's rules on `chrome` only)."""
    problems = []
    axe = AXE.read_text(encoding="utf-8")
    with launch() as browser:
        for width in WIDTHS:
            ctx = browser.new_context(viewport={"width": width, "height": 800}, color_scheme="light")
            page = ctx.new_page()
            watch = Watch(page)
            for url in urls:
                where = f"{url or '/'} @{width}px light"
                for attempt in (1, 2):
                    watch.reset()
                    try:
                        m, violations = load_and_check(page, base + url, url, width, axe, url in chrome)
                        break
                    except Exception as exc:  # noqa: BLE001
                        # a renderer that crashed (memory on a loaded machine) takes the page with it: a fresh
                        # page, one more try, then the URL is reported
                        page.close()
                        page = ctx.new_page()
                        watch = Watch(page)
                        if attempt == 2:
                            problems.append(f"{where}: could not be checked: {str(exc).splitlines()[0]}")
                else:
                    continue
                for key, displayed, natural, zoom in m["diagrams"]:
                    if displayed is None:
                        problems.append(f"{where}: diagram {key} shows no SVG")
                    elif displayed < MIN_DIAGRAM_PX and not (zoom and natural >= MIN_DIAGRAM_PX):
                        problems.append(f"{where}: diagram {key}: smallest label {displayed:.1f} px "
                                        f"(natural {natural:.1f} px, zoom view: {zoom})")
                for src, shown, alt, role, tab in m["figures"]:
                    if shown > m["column"] + 1:
                        problems.append(f"{where}: figure {src} is {shown:.0f} px wide in a {m['column']} px column")
                    if len(alt) < 8 or role != "button" or tab < 0:
                        problems.append(f"{where}: figure {src}: alt {alt[:20]!r}, role {role}, tabindex {tab}")
                for el, focusable, cue, hidden in m["scroll"]:
                    problems.append(f"{where}: {el} hides {hidden} px sideways "
                                    f"({'' if focusable else 'no keyboard focus'}{'' if cue else ', no cue'})")
                for el, text in m["spaces"]:
                    problems.append(f"{where}: {el}: a space between Chinese characters: …{text}…")
                for el, size, body in m["answers"]:
                    problems.append(f"{where}: {el}: one-sentence answer at {size} px, body text {body} px")
                if m["merror"]:
                    problems.append(f"{where}: MathJax error(s): {m['merror']}")
                if m["raw"]:
                    problems.append(f"{where}: raw TeX left in the article: ...{m['raw']}...")
                if m["blank"]:
                    problems.append(f"{where}: {m['blank']} formula glyph(s) without a glyph rule (blank in the formula)")
                if m["overflow"] > 1:
                    problems.append(f"{where}: page overflows a {width} px screen by {m['overflow']} px ({m['wide']})")
                if watch.errors:
                    problems.append(f"{where}: console errors: {watch.errors[:3]}")
                if watch.foreign:
                    problems.append(f"{where}: requests to other hosts: {watch.foreign[:3]}")
                if watch.mathjax:
                    problems.append(f"{where}: fetched MathJax in the browser, so a formula was not typeset at build")
                for at, v in violations:
                    nodes = [n for n in v["nodes"] if not false_positive(v["id"], n)]
                    for n in nodes[:3]:
                        problems.append(f"{at}: axe {v['id']}: {n['target']}: {n['why'][:160]}")
            ctx.close()
    return problems


def test_every_page_is_readable_and_accessible_at_both_widths_in_both_palettes(site, base):
    urls = [page_url(site, p) for p in html_pages(site)]
    assert AXE.is_file(), "axe-core is missing: run `make setup` (npm ci)"
    chrome = chrome_sample(site, urls)
    chunks = [urls[i::WORKERS] for i in range(WORKERS)]
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no threads or browser inherited
    with concurrent.futures.ProcessPoolExecutor(max_workers=WORKERS, mp_context=spawn) as pool:
        results = list(pool.map(check_pages, [base] * WORKERS, chunks, [chrome] * WORKERS))
    problems = sorted(p for chunk in results for p in chunk)
    assert not problems, f"{len(problems)} reading problems:\n" + "\n".join(problems[:80])
