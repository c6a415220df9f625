"""Take the site along: link-preview cards, robots.txt, the review mode (复习) and the print stylesheet.

The browser tests serve the built site under /bagu/ (as on GitHub Pages) and wait for states, never for
fixed times; the review schedule is tested with Playwright's clock (days pass without waiting).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re

import pytest

from browser import Watch
from conftest import ROOT, TEST_SITE_URL, html_pages, load_hook, page_url, parsed

MOBILE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / ".cache" / "screenshots" / "take-away"
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LAYERNORM = "normalization/layernorm/"


# --- Build output -------------------------------------------------------------------------------------

def test_every_page_has_a_link_preview_card_of_the_declared_size(site):
    from PIL import Image

    problems, sizes = [], []
    for path in html_pages(site):
        url = page_url(site, path)
        soup = parsed(path)
        meta = {m.get("property") or m.get("name"): m.get("content") for m in soup.find_all("meta")}
        image = meta.get("og:image")
        if not image:
            problems.append(f"{url or '/'}: no og:image")
            continue
        if not image.startswith(TEST_SITE_URL) or meta.get("twitter:image") != image:
            problems.append(f"{url or '/'}: og:image {image} not absolute under site_url, or twitter:image differs")
        if meta.get("twitter:card") != "summary_large_image" or not meta.get("og:image:alt"):
            problems.append(f"{url or '/'}: twitter:card {meta.get('twitter:card')}, alt {meta.get('og:image:alt')!r}")
        expected_type = "website" if url == "" else "article"
        if meta.get("og:type") != expected_type:
            problems.append(f"{url or '/'}: og:type {meta.get('og:type')} (expected {expected_type})")
        file = site / image[len(TEST_SITE_URL):]
        if not file.is_file():
            problems.append(f"{url or '/'}: card {file} missing")
            continue
        data = file.read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            declared = (int(meta.get("og:image:width") or 0), int(meta.get("og:image:height") or 0))
            if img.format != "PNG" or img.size != declared or declared != (1200, 630):
                problems.append(f"{url or '/'}: card is {img.format} {img.size}, declared {declared}")
        if len(data) > 100 * 1024:
            problems.append(f"{url or '/'}: card is {len(data)} bytes (> 100 KiB)")
        sizes.append(len(data))
    assert not problems, "\n".join(problems[:30])
    assert len(sizes) == len(html_pages(site))
    print(f"cards: {len(sizes)}, {min(sizes)}..{max(sizes)} bytes")


def test_cards_are_deterministic_cached_and_in_the_cjk_font(tmp_path, monkeypatch):
    cards = load_hook("cards")
    cards.on_config({})
    assert "NotoSansCJK" in cards._fonts["bold"][0]
    monkeypatch.setattr(cards, "CACHE", tmp_path)
    fields = ("为什么 attention 要除以 √d_k？", "八股笔记 · 注意力与 Transformer", "八股笔记", "12 道题")
    first = cards.draw_card(*fields)
    assert first == cards.draw_card(*fields)                     # same input, same bytes
    assert first != cards.draw_card("另一个标题", *fields[1:])
    assert first.startswith(b"\x89PNG") and b"tIME" not in first   # no timestamp chunk
    assert cards.card_bytes(fields) == first and len(list(tmp_path.glob("*.png"))) == 1
    cached = next(tmp_path.glob("*.png"))
    cached.write_bytes(b"cached")                                  # the second build reads the cache
    assert cards.card_bytes(fields) == b"cached"
    # a long title wraps to three lines and ends in an ellipsis rather than running off the card
    _font, size, lines = cards.fit_title("很长的标题" * 20, 1032)
    assert size == 44 and len(lines) == 3 and lines[-1].endswith("…")
    # closing punctuation never starts a line
    face = cards.font("bold", 72)
    for line in cards.wrap("归一化为什么能让训练更容易？以及它和残差连接的关系是什么？", face, 500)[1:]:
        assert line[0] not in cards.NO_LINE_START, line


def test_robots_txt_sits_beside_the_sitemap_and_names_it(site):
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert (site / "sitemap.xml").is_file()
    assert "User-agent: *" in robots and f"Sitemap: {TEST_SITE_URL}sitemap.xml" in robots


QUESTION = re.compile(r'<h2 id="([^"]+)">.*?</h2>\s*<div class="(?:lazy-block )?admonition tip"', re.S)


def test_review_index_lists_every_question_in_nav_order_as_plain_text(site):
    index = json.loads((site / "assets/review-index.json").read_text(encoding="utf-8"))
    ids = [q[0] for q in index["questions"]]
    # every h2 that opens with the one-sentence answer, on any page
    expected = {qid for path in html_pages(site) for qid in QUESTION.findall(path.read_text(encoding="utf-8"))}
    assert set(ids) == expected and len(ids) == len(set(ids)) > 150
    assert index["pages"][index["questions"][0][1]][0] == "basics/softmax/"     # nav order
    for qid, _page, title, answer in index["questions"]:
        assert title and answer, qid
        assert not re.search(r"\\[A-Za-z]+|\$|<[a-z]", title + answer), (qid, title, answer)
    assert len(json.dumps(index, ensure_ascii=False).encode()) < 200 * 1024
    # the id renames of redirects.yml whose new id is a question (a page move keeps its ids: none)
    renamed = load_hook("cards").id_redirects()
    assert index["redirects"] == {old: new for old, new in renamed.items() if new in set(ids)}


def test_renamed_ids_are_mapped_for_the_review_page_and_the_pages_they_moved_to(tmp_path, monkeypatch):
    cards = load_hook("cards")
    redirects = tmp_path / "redirects.yml"
    redirects.write_text("pages: {}\nanchors:\n  a.md#old-id: b.md#new-id\n  a.md#same: a.md#same\n", encoding="utf-8")
    monkeypatch.setattr(cards, "REDIRECTS", redirects)
    assert cards.id_redirects() == {"old-id": "new-id"}
    assert cards.redirects_into("b.md", {"old-id": "new-id", "x": "y"}, {"new-id", "z"}) == {"new-id": ["old-id"]}


# --- The browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def index(site):
    return json.loads((site / "assets/review-index.json").read_text(encoding="utf-8"))


def layernorm_questions(index) -> list[str]:
    pages = [i for i, p in enumerate(index["pages"]) if p[0] == LAYERNORM]
    return [q[0] for q in index["questions"] if q[1] in pages]


def new_context(browser, **kw):
    kw.setdefault("viewport", DESKTOP)
    ctx = browser.new_context(timezone_id="Asia/Shanghai", accept_downloads=True, **kw)
    ctx.clock.set_fixed_time(T0)
    return ctx


def stored(page) -> dict:
    raw = page.evaluate("() => localStorage.getItem('bagu.review')")
    return json.loads(raw)["marks"] if raw else {}


def seed(page, marks: dict):
    page.evaluate("(m) => localStorage.setItem('bagu.review', JSON.stringify({v: 1, marks: m}))", marks)


def day(when: dt.datetime) -> int:
    """The reader's local day number (Asia/Shanghai, UTC+8), as review.js counts it."""
    return int((when.timestamp() + 8 * 3600) // 86400)


def quiz_on(page):
    page.locator(".quiz-toggle").click()
    page.wait_for_selector("html.quiz-on .review-mark", state="attached")   # hidden with its answer


def open_review(page, base):
    page.goto(base + "review/", wait_until="load")
    page.wait_for_selector("#review-app[data-state=ready]")


def due_ids(page) -> list[str]:
    return page.eval_on_selector_all("#review-due a", "els => els.map(a => a.hash.slice(1))")


@pytest.mark.browser
def test_marking_an_answer_in_the_self_test_mode_survives_a_reload(base, browser, index):
    ctx = new_context(browser)
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + LAYERNORM, wait_until="load")
    assert page.locator(".review-mark").count() == 0          # only in the self-test mode
    quiz_on(page)
    first = layernorm_questions(index)[0]
    bar = page.locator(f'.review-mark[data-review-id="{first}"]')
    assert not bar.is_visible()                                 # hidden with its answer
    page.locator(f"#{first} .quiz-reveal").click()
    bar.locator("[data-mark=know]").click()
    assert bar.locator("[data-mark=know]").get_attribute("aria-pressed") == "true"
    assert bar.locator("[data-mark=again]").get_attribute("aria-pressed") == "false"
    assert "明天再复习" in bar.locator(".review-mark__state").inner_text()
    assert stored(page)[first] == {"b": 1, "d": day(T0) + 1, "t": int(T0.timestamp() * 1000)}
    page.reload(wait_until="load")
    page.wait_for_selector(f'.review-mark[data-review-id="{first}"]', state="attached")
    assert page.locator(f'.review-mark[data-review-id="{first}"] [data-mark=know]').get_attribute("aria-pressed") == "true"
    # marking again before it is due keeps the box (no skipping ahead by double clicks)
    page.locator(f"#{first} .quiz-reveal").click()
    page.locator(f'.review-mark[data-review-id="{first}"] [data-mark=know]').click()
    assert stored(page)[first]["b"] == 1
    # nothing was fetched for it: no index, no review page script
    assert not [u for u in watch.urls if "review-index" in u or "review-page" in u]
    assert not watch.errors and not watch.foreign
    ctx.close()


@pytest.mark.browser
def test_review_page_lists_the_due_questions_in_schedule_order(base, browser, index):
    ctx = new_context(browser)
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + LAYERNORM, wait_until="load")
    quiz_on(page)
    q1, q2, q3 = layernorm_questions(index)[:3]
    for qid, kind in ((q1, "know"), (q2, "again"), (q3, "know")):
        page.locator(f"#{qid} .quiz-reveal").click()
        page.locator(f'.review-mark[data-review-id="{qid}"] [data-mark={kind}]').click()
    open_review(page, base)
    assert due_ids(page) == [q2]                       # 再看看: due again at once; 会了: tomorrow
    assert "到期 1 题" in page.locator(".review-summary").inner_text()
    assert page.locator("#review-later li").count() == 2
    # a day later: the overdue one first, then the two that fell due today, in nav order
    ctx.clock.set_fixed_time(T0 + dt.timedelta(days=1))
    open_review(page, base)
    assert due_ids(page) == [q2, q1, q3]
    # filter by topic and by tag
    topic = index["pages"][[q[1] for q in index["questions"] if q[0] == q1][0]][2]
    page.select_option("#review-topic", str(topic))
    assert due_ids(page) == [q2, q1, q3]
    other = next(i for i, t in enumerate(index["topics"]) if i != topic)
    page.select_option("#review-topic", str(other))
    assert due_ids(page) == [] and page.locator(".review-empty").is_visible()
    page.select_option("#review-topic", "")
    tag = page.eval_on_selector("#review-tag", "s => [...s.options].find(o => o.text.startsWith('LayerNorm')).value")
    page.select_option("#review-tag", tag)
    assert set(due_ids(page)) <= {q1, q2, q3} and due_ids(page)
    # progress per topic
    row = page.locator(".review-table tbody tr").nth(topic)
    cells = row.locator("td").all_inner_texts()
    assert cells[0].strip().startswith("2 /") and cells[1] == "1" and cells[3] == "3", cells
    assert not watch.errors and not watch.foreign
    ctx.close()


@pytest.mark.browser
def test_a_review_round_runs_from_the_keyboard(base, browser, index):
    ctx = new_context(browser)
    page = ctx.new_page()
    open_review(page, base)
    page.locator(".review-start").focus()
    page.keyboard.press("Enter")
    card = page.locator(".review-card")
    card.wait_for(state="visible")
    first, second = index["questions"][0], index["questions"][1]
    assert page.locator(".review-card__q").inner_text() == first[2]
    assert page.evaluate("document.activeElement.id") == "review-card-q"
    page.keyboard.press("1")                                 # marking needs the answer shown first
    assert not stored(page)
    page.keyboard.press("Space")
    page.locator(".review-card__answer").wait_for(state="visible")
    assert page.locator(".review-card__text").inner_text() == first[3]
    page.keyboard.press("1")
    page.wait_for_function("q => document.querySelector('.review-card__q').textContent === q", arg=second[2])
    assert page.locator(".review-card__answer").is_hidden()
    page.keyboard.press("Space")
    page.keyboard.press("2")
    page.keyboard.press("ArrowRight")                        # skip the third
    assert "第 4 /" in page.locator(".review-card__meta").inner_text()
    page.keyboard.press("Escape")
    page.locator(".review-lists").wait_for(state="visible")
    marks = stored(page)
    assert marks[first[0]]["b"] == 1 and marks[second[0]]["b"] == 0 and index["questions"][2][0] not in marks
    assert due_ids(page) == [second[0]]
    ctx.close()


@pytest.mark.browser
def test_export_then_import_restores_the_marks(base, browser, index, tmp_path):
    ctx = new_context(browser)
    page = ctx.new_page()
    open_review(page, base)
    ids = [q[0] for q in index["questions"][:5]]
    marks = {ids[0]: {"b": 2, "d": day(T0) + 3, "t": 1}, ids[1]: {"b": 0, "d": day(T0), "t": 2},
             ids[4]: {"b": 5, "d": day(T0) + 30, "t": 3}}
    seed(page, marks)
    open_review(page, base)
    with page.expect_download() as info:
        page.get_by_role("button", name="导出记录").click()
    download = info.value
    assert re.fullmatch(r"bagu-review-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    file = tmp_path / download.suggested_filename
    download.save_as(file)
    data = json.loads(file.read_text(encoding="utf-8"))
    assert data["format"] == "bagu-review" and data["version"] == 1 and data["marks"] == marks
    assert file.stat().st_size < 4096
    page.evaluate("() => localStorage.removeItem('bagu.review')")
    open_review(page, base)
    assert stored(page) == {} and due_ids(page) == []
    page.set_input_files("#review-import", str(file))
    page.wait_for_selector(".review-io__msg:not(:empty)")
    assert "已导入 3 条" in page.locator(".review-io__msg").inner_text()
    assert stored(page) == marks
    assert due_ids(page) == [ids[1]]
    # importing the same file again changes nothing (the local marks are as new)
    page.set_input_files("#review-import", str(file))
    page.wait_for_function("() => document.querySelector('.review-io__msg').textContent.includes('保留本机较新的 3 条')")
    assert stored(page) == marks
    ctx.close()


BAD_IMPORTS = {
    "corrupted": ('{"format": "bagu-review", "version": 1, "marks": {', "不是合法的 JSON"),
    "foreign": ('{"bookmarks": [1, 2, 3]}', "不是八股笔记导出的复习记录"),
    "array": ("[1, 2]", "不是八股笔记导出的复习记录"),
    "version": ('{"format": "bagu-review", "version": 7, "marks": {}}', "版本 7 不受支持"),
    "bad-id": ('{"format": "bagu-review", "version": 1, "marks": {"<script>": {"b": 1, "d": 1, "t": 1}}}', "不是本站的题目 id"),
    "bad-mark": ('{"format": "bagu-review", "version": 1, "marks": {"softmax-overflow": {"b": 99, "d": 1, "t": 1}}}', "格式不对"),
}


@pytest.mark.browser
def test_a_corrupted_or_foreign_import_is_refused_and_changes_nothing(base, browser, index, tmp_path):
    ctx = new_context(browser)
    page = ctx.new_page()
    open_review(page, base)
    seed(page, {index["questions"][0][0]: {"b": 1, "d": day(T0), "t": 5}})
    open_review(page, base)
    before = page.evaluate("() => localStorage.getItem('bagu.review')")
    for name, (content, reason) in BAD_IMPORTS.items():
        file = tmp_path / f"{name}.json"
        file.write_text(content, encoding="utf-8")
        page.evaluate("() => { document.querySelector('.review-io__msg').textContent = ''; }")
        page.set_input_files("#review-import", str(file))
        page.wait_for_selector(".review-io__msg--error:not(:empty)")
        text = page.locator(".review-io__msg").inner_text()
        assert text.startswith("导入失败") and reason in text and "现有记录没有改动" in text, (name, text)
        assert page.evaluate("() => localStorage.getItem('bagu.review')") == before, name
    assert due_ids(page) == [index["questions"][0][0]]
    ctx.close()


@pytest.mark.browser
def test_a_redirected_id_keeps_its_mark_and_a_lost_id_is_shown(base, browser, index):
    """A renamed question (redirects.yml anchors): the review page moves its mark to the new id; the page
    it moved to (carrying #review-redirects) shows the mark beside the answer. An id with no question and
    no redirect stays listed as lost, with its mark, until the reader deletes it."""
    target = layernorm_questions(index)[1]
    ctx = new_context(browser)
    page = ctx.new_page()

    def with_redirect(route):
        data = route.fetch().json()
        data["redirects"]["old-question-id"] = target
        route.fulfill(json=data)

    page.route("**/assets/review-index.json", with_redirect)
    open_review(page, base)
    seed(page, {"old-question-id": {"b": 3, "d": day(T0) - 1, "t": 7}, "question-that-is-gone": {"b": 2, "d": day(T0), "t": 8}})
    open_review(page, base)
    marks = stored(page)
    assert "old-question-id" not in marks and marks[target] == {"b": 3, "d": day(T0) - 1, "t": 7}
    assert target in due_ids(page)
    missing = page.locator(".review-missing")
    assert missing.is_visible()
    assert page.locator("#review-missing-list li").all_inner_texts()[0].startswith("question-that-is-gone")
    page.get_by_role("button", name="删除这些记录").click()
    missing.wait_for(state="hidden")
    assert set(stored(page)) == {target}

    # the page the id moved to carries the map and shows the old mark beside the answer
    def page_with_map(route):
        body = route.fetch().text().replace("</body>", '<script type="application/json" id="review-redirects">'
                                            + json.dumps({target: ["older-id"]}) + "</script></body>")
        route.fulfill(body=body, content_type="text/html; charset=utf-8")

    seed(page, {"older-id": {"b": 0, "d": day(T0), "t": 9}})
    page.route(f"**/{LAYERNORM}", page_with_map)
    page.goto(base + LAYERNORM, wait_until="load")
    quiz_on(page)
    again = page.locator(f'.review-mark[data-review-id="{target}"] [data-mark=again]')
    assert again.get_attribute("aria-pressed") == "true"
    assert set(stored(page)) == {target}
    ctx.close()


STORAGE = {
    "blocked": """Object.defineProperty(window, "localStorage", {configurable: true,
        get() { throw new DOMException("The operation is insecure.", "SecurityError"); }});""",
    "full": """Storage.prototype.setItem = function () {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError"); };""",
}


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["blocked", "full"])
def test_without_storage_the_site_works_and_says_marks_are_not_kept(base, browser, index, mode):
    ctx = new_context(browser)
    ctx.add_init_script(STORAGE[mode])
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + LAYERNORM, wait_until="load")
    page.locator(".quiz-toggle").click()                       # the self-test mode still switches on
    page.wait_for_selector("html.quiz-on .review-mark", state="attached")
    first = layernorm_questions(index)[0]
    page.locator(f"#{first} .quiz-reveal").click()
    page.locator(f'.review-mark[data-review-id="{first}"] [data-mark=know]').click()
    state = page.locator(f'.review-mark[data-review-id="{first}"] .review-mark__state').inner_text()
    assert "本次浏览中有效" in state, state
    open_review(page, base)
    page.locator(".review-start").click()
    page.keyboard.press("Space")
    page.keyboard.press("1")
    notice = page.locator(".review-notice")
    notice.wait_for(state="visible")
    assert ("存储空间已满" if mode == "full" else "不允许本站保存数据") in notice.inner_text()
    page.keyboard.press("Escape")
    # the marks of this visit are still counted on the page
    assert "未到期 1 题" in page.locator(".review-summary").inner_text()
    ours = [e for e in watch.errors if "review" in e or "site.js" in e]
    assert not ours and not watch.foreign, watch.errors
    ctx.close()


@pytest.mark.browser
def test_review_controls_are_large_enough_to_tap_on_a_phone(base, browser):
    ctx = new_context(browser, viewport=MOBILE, has_touch=True, is_mobile=True)
    page = ctx.new_page()
    page.goto(base + LAYERNORM, wait_until="load")
    quiz_on(page)
    page.locator(".quiz-reveal").first.click()
    small = page.evaluate("""() => [...document.querySelectorAll('.review-mark button, .review-mark a')]
        .filter(e => e.offsetParent).map(e => e.getBoundingClientRect())
        .filter(r => r.width < 44 || r.height < 44).map(r => [r.width, r.height])""")
    assert not small, small
    open_review(page, base)
    page.locator(".review-start").click()
    page.keyboard.press("Space")
    small = page.evaluate("""() => [...document.querySelectorAll('#review-app button, #review-app select, #review-app summary')]
        .filter(e => e.offsetParent).map(e => [e.textContent.trim().slice(0, 10), e.getBoundingClientRect()])
        .filter(([t, r]) => r.width < 44 || r.height < 44).map(([t, r]) => [t, r.width, r.height])""")
    assert not small, small
    # the marking buttons sit in the bottom half of the screen, where a thumb reaches
    know = page.locator(".review-know").bounding_box()
    assert know["y"] > MOBILE["height"] / 2 and know["y"] + know["height"] <= MOBILE["height"], know
    ctx.close()


AXE_RUN = """() => axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"]
  }).then((r) => r.violations.map((v) => v.id + ": " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")))"""


def settled(page):
    """No CSS transition or animation running (Material fades the tabs and buttons in): colours are final."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


@pytest.mark.browser
@pytest.mark.parametrize("width,scheme", [(375, "light"), (375, "dark"), (1280, "light"), (1280, "dark")])
def test_review_page_is_accessible_at_both_widths_in_both_palettes(base, browser, index, width, scheme):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = new_context(browser, viewport={"width": width, "height": 800}, color_scheme=scheme,
                      has_touch=width < 500, is_mobile=width < 500)
    page = ctx.new_page()
    watch = Watch(page)
    open_review(page, base)
    seed(page, {index["questions"][0][0]: {"b": 0, "d": day(T0), "t": 1},
                index["questions"][3][0]: {"b": 2, "d": day(T0) + 3, "t": 2},
                "question-that-is-gone": {"b": 1, "d": day(T0), "t": 3}})
    open_review(page, base)
    page.locator(".review-more").first.evaluate("d => d.open = true")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    settled(page)
    page.add_script_tag(path=str(AXE))
    problems = page.evaluate(AXE_RUN)
    page.screenshot(path=str(SHOTS / f"review-{width}-{scheme}.png"))   # the first screen (the page is long)
    page.locator(".review-start").click()
    page.keyboard.press("Space")
    page.locator(".review-card__answer").wait_for(state="visible")
    settled(page)
    problems += page.evaluate(AXE_RUN)
    page.screenshot(path=str(SHOTS / f"review-round-{width}-{scheme}.png"))
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert not problems, problems
    assert overflow <= 1 and not watch.errors and not watch.foreign
    ctx.close()


@pytest.mark.browser
def test_printing_a_page_hides_controls_and_shows_every_answer(base, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = new_context(browser, viewport={"width": 900, "height": 1200})
    page = ctx.new_page()
    page.goto(base + LAYERNORM, wait_until="load")
    quiz_on(page)                                         # answers hidden on screen
    assert page.locator(".quiz-answer[hidden]").count() > 3
    closed = page.locator("details:not([open])").first
    hidden_ref = closed.locator(":scope > :not(summary)").first
    assert hidden_ref.is_hidden()
    page.emulate_media(media="print")
    for selector in (".copy-link", ".quiz-bar", ".quiz-toggle", ".quiz-reveal", ".review-mark", ".headerlink",
                     ".diagram-zoom", ".md-search", ".md-header", "label.md-header__button"):
        visible = [i for i in range(page.locator(selector).count()) if page.locator(selector).nth(i).is_visible()]
        assert not visible, f"{selector} is printed"
    assert page.locator(".quiz-answer").first.is_visible()
    assert hidden_ref.is_visible(), "a collapsed reference is not expanded in print"
    rules = page.evaluate("""() => ['div.arithmatex', '.mermaid-diagram', '.md-typeset table tr', 'img', '.admonition.tip']
        .map(s => [s, document.querySelector(s) && getComputedStyle(document.querySelector(s)).breakInside])""")
    assert all(v == "avoid" for s, v in rules if v is not None), rules
    page.screenshot(path=str(SHOTS / "print-layernorm.png"), full_page=False)
    # a notebook page: its download button is not printed
    page.goto(base + "normalization/bn-ln-axes/", wait_until="load")
    assert page.locator("a.md-button[download]").count() and not page.locator("a.md-button[download]").is_visible()
    ctx.close()


@pytest.mark.browser
def test_review_code_is_small_and_loads_nothing_on_other_pages(site, base, browser):
    core = (site / "assets/javascripts/review.js").read_bytes()
    assert len(gzip.compress(core)) < 4 * 1024, "review.js grew: keep the review page's code in review-page.js"
    ctx = new_context(browser)
    page = ctx.new_page()
    watch = Watch(page)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert not [u for u in watch.urls if "review-index" in u or "review-page" in u or "/cards/" in u]
    open_review(page, base)
    assert [u for u in watch.urls if u.endswith("review-index.json")]
    ctx.close()
