"""The reader's experience in headless Debian Chromium, on every page of the built site.

The site is served under /bagu/ (as on GitHub Pages) from 127.0.0.1; any request elsewhere fails.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from browser import Watch

pytestmark = pytest.mark.browser

MOBILE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def wait_rendered(page):
    """Wait for the state the checks read: web fonts loaded and, if MathJax had to run in the browser
    (it never should), its typesetting done. Diagrams are SVG at build (hooks/mermaid.py): nothing to wait."""
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_selector("body[data-math=done]", state="attached", timeout=30000)


# resolves with read() once its value has held for 3 frames (or after 600 frames)
STILL = """read => new Promise(resolve => {
    let last, still = 0, frames = 0;
    const tick = () => {
        const now = read();
        still = frames && now === last ? still + 1 : 0;
        last = now;
        if (still >= 3 || ++frames > 600) resolve(now); else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})"""
# the scroll position (an anchor jump, lazy blocks sizing) once it holds, after the fonts have loaded
SETTLE = f"() => document.fonts.ready.then(() => ({STILL})(() => window.scrollY))"


def settle(page):
    """Wait until fonts are loaded and the page has stopped scrolling and resizing (no fixed sleeps)."""
    page.evaluate(SETTLE)


# the element's place in the viewport once it holds
HOLD = f"""el => ({STILL})(() => {{ const r = el.getBoundingClientRect(); return r.top + "," + r.left; }})"""


def bring_into_view(locator):
    """Scroll `locator` into view and wait until it stops moving: skipped blocks above it that come near
    the viewport render at their real height, and on a busy machine that can happen after a click's
    hit test, moving the target out from under the pointer."""
    locator.scroll_into_view_if_needed()
    locator.evaluate(HOLD)


def test_topic_page_has_math_diagram_and_no_foreign_requests(base, browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    wait_rendered(page)
    assert page.locator("mjx-container").count() > 10
    assert page.locator("mjx-merror").count() == 0
    assert page.locator(".mermaid-diagram svg").count() >= 1
    assert not watch.foreign and not watch.errors
    ctx.close()


def test_answer_link_lands_below_the_sticky_header(base, browser):
    ctx = browser.new_context(viewport=MOBILE)
    page = ctx.new_page()
    page.goto(base + "normalization/layernorm/#pre-norm-vs-post-norm", wait_until="load")
    wait_rendered(page)
    page.goto(base + "normalization/layernorm/#pre-norm-vs-post-norm", wait_until="load")
    settle(page)
    header = page.locator(".md-header").bounding_box()
    heading = page.locator("#pre-norm-vs-post-norm").bounding_box()
    assert heading["y"] >= header["y"] + header["height"] - 1, (heading, header)
    assert heading["y"] < MOBILE["height"] / 2
    ctx.close()


def test_deep_answer_link_lands_below_the_sticky_header(base, browser):
    """The last answer of the longest page sits below dozens of blocks that skip rendering until near
    the viewport; opening its link must still show its heading right under the header."""
    ctx = browser.new_context(viewport=MOBILE)
    page = ctx.new_page()
    page.goto(base + "llm/mla/#kv-cache-reduction-methods", wait_until="load")
    settle(page)
    header = page.locator(".md-header").bounding_box()
    heading = page.locator("#kv-cache-reduction-methods").bounding_box()
    assert header["y"] + header["height"] - 1 <= heading["y"] < MOBILE["height"] / 2, (heading, header)
    ctx.close()


def test_self_test_mode_hides_reveals_and_remembers(base, browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    page.goto(base + "normalization/layernorm/", wait_until="load")
    toggle = page.locator(".quiz-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert page.locator(".quiz-answer[hidden]").count() == 0
    toggle.click()
    answers = page.locator(".quiz-answer")
    n = answers.count()
    assert n >= 5 and page.locator(".quiz-answer[hidden]").count() == n
    # keyboard: focus the first reveal button and press Enter, then Space to hide again
    reveal = page.locator(".quiz-reveal").first
    reveal.focus()
    page.keyboard.press("Enter")
    assert reveal.get_attribute("aria-expanded") == "true"
    assert page.locator(".quiz-answer[hidden]").count() == n - 1
    page.keyboard.press("Space")
    assert page.locator(".quiz-answer[hidden]").count() == n
    page.reload(wait_until="load")
    assert page.locator(".quiz-toggle").get_attribute("aria-pressed") == "true"
    assert page.locator(".quiz-answer[hidden]").count() == n
    # a shared link to one answer opens with that answer revealed
    page.goto(base + "normalization/layernorm/#rmsnorm", wait_until="load")
    assert page.locator("#answer-rmsnorm").is_visible()
    page.locator(".quiz-toggle").click()
    assert page.locator(".quiz-answer[hidden]").count() == 0
    ctx.close()


def quiz_page(browser, viewport=DESKTOP, **options):
    """A fresh context with self-test mode switched on (as the reader's earlier visit left it)."""
    ctx = browser.new_context(viewport=viewport, **options)
    ctx.add_init_script("try { localStorage.setItem('bagu.quiz', '1'); } catch (e) {}")
    return ctx, ctx.new_page()


def in_viewport(page, selector) -> bool:
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight && r.height > 0; }""", selector)


def test_self_test_table_of_contents_reveals_the_answer_and_brings_it_into_view(base, browser):
    ctx, page = quiz_page(browser)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    settle(page)
    assert page.locator("#answer-rmsnorm").is_hidden()
    page.locator(".md-sidebar--secondary a.md-nav__link[href='#rmsnorm']").click()
    page.wait_for_function("() => !document.getElementById('answer-rmsnorm').hidden")
    settle(page)
    assert in_viewport(page, "#rmsnorm") and in_viewport(page, "#answer-rmsnorm"), "the revealed answer is off screen"
    # the other answers stay hidden: one click reveals one answer
    assert page.locator("#answer-batchnorm").is_hidden()
    ctx.close()


def test_self_test_hides_the_key_terms_of_the_table_of_contents_and_the_tags(base, browser):
    for on in (False, True):
        ctx = browser.new_context(viewport=DESKTOP)
        ctx.add_init_script(f"try {{ localStorage.setItem('bagu.quiz', '{int(on)}'); }} catch (e) {{}}")
        page = ctx.new_page()
        page.goto(base + "normalization/layernorm/", wait_until="load")
        nested = page.locator(".md-sidebar--secondary .md-nav__list .md-nav__list a.md-nav__link")
        assert nested.count() > 0, "the page has follow-up questions in its table of contents"
        shown = [a.is_visible() for a in nested.all()]
        tags = page.locator("article .md-tags")
        if on:
            assert not any(shown), "self-test mode shows follow-up titles in the table of contents"
            assert tags.count() == 0 or tags.first.is_hidden(), "self-test mode shows the tag pills"
        else:
            assert all(shown) and tags.first.is_visible()
        ctx.close()


def test_self_test_reveal_all_opens_this_page_only_and_keeps_the_mode(base, browser):
    ctx, page = quiz_page(browser)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    every = page.locator(".quiz-all")
    assert every.is_visible() and every.inner_text() == "展开本页答案"
    assert page.locator(".quiz-toggle").get_attribute("aria-pressed") == "true"
    every.click()
    assert page.locator(".quiz-answer[hidden]").count() == 0
    assert every.get_attribute("aria-pressed") == "true" and every.inner_text() == "收起本页答案"
    assert page.locator(".quiz-toggle").get_attribute("aria-pressed") == "true", "revealing a page ended the mode"
    # the next page still quizzes
    page.goto(base + "attention/mha/", wait_until="load")
    assert page.locator(".quiz-toggle").get_attribute("aria-pressed") == "true"
    n = page.locator(".quiz-answer").count()
    assert n > 0 and page.locator(".quiz-answer[hidden]").count() == n
    ctx.close()


def test_a_headings_own_permalink_does_not_reveal_its_answer(base, browser):
    ctx, page = quiz_page(browser)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    page.locator("#batchnorm a.headerlink").click(force=True)
    page.wait_for_function("() => location.hash === '#batchnorm'")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.locator("#answer-batchnorm").is_hidden(), "the '#' link revealed the answer"
    # a deep link into the page from elsewhere does reveal it
    page.goto(base + "attention/mha/", wait_until="load")
    page.goto(base + "normalization/layernorm/#batchnorm", wait_until="load")
    assert page.locator("#answer-batchnorm").is_visible()
    ctx.close()


def test_question_controls_are_44_px_tap_targets_on_touch_screens(base, browser):
    ctx, page = quiz_page(browser, viewport=MOBILE, has_touch=True, is_mobile=True)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")
    small = []
    for selector in (".quiz-toggle", ".quiz-all", "#rmsnorm .quiz-reveal", "#rmsnorm .copy-link", "#rmsnorm a.headerlink"):
        box = page.locator(selector).first.bounding_box()
        assert box, f"{selector} is not displayed"
        if box["width"] < 44 or box["height"] < 44:
            small.append(f"{selector}: {box['width']:.0f} x {box['height']:.0f} px")
    assert not small, "tap targets under 44 x 44 px: " + "; ".join(small)
    ctx.close()


def test_copy_link_copies_the_absolute_answer_url_and_says_so(base, browser):
    ctx = browser.new_context(viewport=MOBILE)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    page.goto(base + "normalization/layernorm/", wait_until="load")
    button = page.locator("#rmsnorm .copy-link")
    bring_into_view(button)  # before the fake clock, which also holds requestAnimationFrame
    # the "copied" state lasts 2 s of the page's clock; the test runs that clock, so a busy machine that
    # polls late cannot miss it
    page.clock.install()
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    assert canonical.startswith("http") and canonical.endswith("/normalization/layernorm/")
    assert button.get_attribute("aria-label")
    button.click()
    page.wait_for_selector("#rmsnorm .copy-link.copied")
    assert page.evaluate("navigator.clipboard.readText()") == canonical + "#rmsnorm"
    note = page.locator("#rmsnorm .copy-done")
    assert note.is_visible() and note.inner_text() == "已复制链接"
    live = page.locator("#bagu-live")
    assert live.get_attribute("aria-live") == "polite" and live.get_attribute("role") == "status"
    page.clock.run_for(100)  # the live region is filled 50 ms later, so that it is announced as a change
    assert live.text_content() == "已复制本题链接"
    # the announcement region is for screen readers: present, not drawn
    box = live.bounding_box()
    assert box is None or (box["width"] <= 1 and box["height"] <= 1)
    page.clock.run_for(2500)  # the visible note goes away again
    assert note.count() == 0 and page.locator("#rmsnorm .copy-link.copied").count() == 0
    ctx.close()


def test_404_page_speaks_chinese_and_offers_search_and_every_topic(site, base, browser):
    ctx = browser.new_context(viewport=MOBILE)
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + "404.html", wait_until="load")
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    assert "找不到这个页面" in page.locator("article h1").inner_text()
    topics = page.locator("article ul a")
    hrefs = [a.get_attribute("href") for a in topics.all()]
    sections = page.evaluate("""() => [...document.querySelectorAll(
        '.md-nav--primary > .md-nav__list > .md-nav__item--nested')]
        .map(e => e.querySelector('.md-nav__link').textContent.trim())""")
    topics_in_nav = [t for t in sections if t != "首页"]  # the home page has its own button above
    assert len(hrefs) >= 10 and len(hrefs) == len(topics_in_nav), (hrefs, sections)
    for href in hrefs:
        assert href.startswith("/bagu/"), f"404 links must be absolute (the page is served at any depth): {href}"
        assert (site / href.removeprefix("/bagu/") / "index.html").is_file() or (site / href.removeprefix("/bagu/")).is_file(), href
    page.locator("article label[for='__search']").click()
    page.locator("input.md-search__input").fill("层归一化")
    page.wait_for_function("() => document.querySelector('[data-bagu-search]').dataset.query === '层归一化'")
    assert page.locator("#bagu-search-list a").count() > 0
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    ctx.close()


def contrast(png: bytes) -> float:
    """WCAG contrast ratio between an element's background (its most common luminance) and its ink."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float) / 255
    lin = np.where(img <= 0.03928, img / 12.92, ((img + 0.055) / 1.055) ** 2.4)
    lum = (lin @ np.array([0.2126, 0.7152, 0.0722])).ravel()
    hist, edges = np.histogram(lum, bins=50, range=(0, 1))
    bg = edges[np.argmax(hist)] + 0.01
    ink = np.percentile(lum, 0.5) if bg > 0.5 else np.percentile(lum, 99.5)
    hi, lo = max(bg, ink), min(bg, ink)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_plots_diagrams_and_formulas_are_readable_in_both_palettes(base, browser, scheme):
    ctx = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = ctx.new_page()
    checked = []
    for url, selector in [
        ("normalization/layernorm/", ".mermaid-diagram svg:visible"),
        ("normalization/layernorm/", "div.arithmatex mjx-container"),
        ("normalization/bn-ln-axes/", "img.nb-figure"),
    ]:
        page.goto(base + url, wait_until="load")
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == expected
        wait_rendered(page)
        el = page.locator(selector).first
        el.scroll_into_view_if_needed()
        settle(page)
        ratio = contrast(el.screenshot())
        checked.append((url, selector, round(ratio, 1)))
        assert ratio >= 3.0, f"{scheme}: {url} {selector}: contrast {ratio:.2f} < 3"
    ctx.close()


def test_palette_toggle_switches_diagrams_without_rendering(base, browser):
    """Both palettes of each diagram are in the page; the toggle only changes which one CSS shows."""
    ctx = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = ctx.new_page()
    page.goto(base + "normalization/layernorm/", wait_until="load")
    shown = "() => [...document.querySelectorAll('.mermaid-diagram > div')].filter(d => d.offsetParent).map(d => d.className)"
    assert set(page.evaluate(shown)) == {"mermaid-light"}
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert set(page.evaluate(shown)) == {"mermaid-dark"}
    ctx.close()


def test_palette_states_are_settled_before_the_first_render(base, browser):
    """overrides/main.html sets what Material's bundle would otherwise change while mounting (each
    change restyles the whole document): the html classes, one color-scheme meta that follows the
    palette, and a first-visit palette that matches the system preference."""
    for scheme, expected in (("light", "light"), ("dark", "dark")):
        ctx = browser.new_context(viewport=MOBILE, color_scheme=scheme)
        page = ctx.new_page()
        page.goto(base + "llm/mla/", wait_until="load")
        settle(page)
        state = page.evaluate("""() => ({
            cls: document.documentElement.className,
            metas: [...document.querySelectorAll('meta[name="color-scheme"]')].map(m => m.content),
            body: getComputedStyle(document.body).colorScheme,
            switching: document.body.hasAttribute('data-md-color-switching'),
            guards: Object.hasOwn(document.head, 'appendChild') || Object.hasOwn(HTMLBodyElement.prototype, 'setAttribute'),
        })""")
        assert set(state["cls"].split()) == {"js", "js-focus-visible"}, state
        assert state["metas"] == [expected] and state["body"] == expected, state
        assert not state["switching"] and not state["guards"], state
        # the reader's toggle still switches palette, meta and diagrams
        page.locator("label.md-header__button[for^='__palette']:visible").first.click()
        other = "dark" if expected == "light" else "light"
        page.wait_for_function("m => document.querySelector('meta[name=\"color-scheme\"]').content === m", arg=other)
        assert page.evaluate("getComputedStyle(document.body).colorScheme") == other
        ctx.close()


@pytest.mark.parametrize("path", ["llm/mla/", "training/init-variance/", "normalization/layernorm/"])
def test_loading_restyles_the_document_at_most_once(base, browser, path):
    """Main-thread blocking on a phone came from Material restyling the whole page again and again
    while it mounts (palette metas, class swaps, table re-wrapping, code blocks in skipped blocks).
    Count style recalculations that touch three quarters or more of the elements outside skipped
    lazy blocks: styling the page once is at most one (the parser may also style it in smaller
    chunks, none that large); a second is a whole-page restyle, a regression."""
    ctx = browser.new_context(viewport=MOBILE)
    page = ctx.new_page()
    page.goto("about:blank")
    browser.start_tracing(page=page, categories=["devtools.timeline"])
    page.goto(base + path, wait_until="load")
    settle(page)
    events = json.loads(browser.stop_tracing())["traceEvents"]
    rendered = page.evaluate("""() => document.getElementsByTagName('*').length - [...document.querySelectorAll('.lazy-block')]
        .reduce((n, b) => n + b.getElementsByTagName('*').length, 0)""")
    counts = [e["args"].get("elementCount") or 0 for e in events if e.get("name") == "UpdateLayoutTree"]
    full = [c for c in counts if c >= 0.75 * rendered]
    assert len(full) <= 1, f"{path}: {len(full)} style recalculations of >= 75% of {rendered} elements: {counts}"
    ctx.close()
