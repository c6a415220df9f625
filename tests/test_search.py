"""Search: the shared core (tokenizer, TeX to text, ranking) in Node, and the dialog in Chromium.

The dialog's ``data-state`` ("loading", "ready", "error") and ``data-query`` (the query whose results are
shown) are what the browser tests wait for: they never sleep and never read results of another query.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from conftest import PREFIX, ROOT

CORE = ROOT / "docs" / "assets" / "javascripts" / "search-core.mjs"
QUERY_FILE = ROOT / "tests" / "search_queries.yml"


class _UniqueKeys(yaml.SafeLoader):
    """A YAML loader that refuses a repeated key (a repeated query would silently replace the first)."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"query {key!r} is listed twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


QUERIES = yaml.load(QUERY_FILE.read_text(encoding="utf-8"), Loader=_UniqueKeys)
KNOWN_MISSES_FILE = ROOT / "tests" / "search_known_misses.yml"
KNOWN_MISSES = yaml.load(KNOWN_MISSES_FILE.read_text(encoding="utf-8"), Loader=_UniqueKeys) or {}
DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 375, "height": 740}


def core(calls: list) -> list:
    """Evaluate [function name, *args] calls against search-core.mjs in Node."""
    script = (f"import * as c from {json.dumps(CORE.as_uri())};\n"
              f"const calls = {json.dumps(calls, ensure_ascii=False)};\n"
              "console.log(JSON.stringify(calls.map(([f, ...a]) => c[f](...a))));\n")
    proc = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def words(text: str, **kw) -> list[str]:
    return [t for t, _w in core([["terms", text, kw]])[0]]


# --- the query set --------------------------------------------------------------------------------------

def test_query_set_is_large_and_points_at_existing_answers():
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    import ids

    current = ids.current_ids()
    assert len(QUERIES) >= 200
    problems = []
    for query, target in QUERIES.items():
        page, _, anchor = str(target).partition("/#")
        source = f"{page}.md" if f"{page}.md" in current else f"{page}/index.md" if page else "index.md"
        if source not in current and f"{page}.py" in current:
            source = f"{page}.py"
        if source not in current or anchor not in current[source]:
            problems.append(f"query {query!r}: {target} is not a page#id of the site")
    assert not problems, "\n".join(problems)


def test_a_repeated_query_is_refused():
    with pytest.raises(yaml.constructor.ConstructorError, match="listed twice"):
        yaml.load("a: x/#y\nb: x/#z\na: x/#w\n", Loader=_UniqueKeys)


# --- the core, in Node ----------------------------------------------------------------------------------

def test_latin_and_cjk_split_with_or_without_a_space():
    for query in ("ppo裁剪", "PPO 裁剪", "ＰＰＯ裁剪"):
        assert words(query) == ["ppo", "裁剪"], query
    assert words("swiglu激活") == ["swiglu", "激活"]
    assert words("rmsnorm公式") == ["rmsnorm", "公式"]


def test_cjk_runs_become_bigrams_without_question_words():
    assert words("层归一化") == ["层归", "归一", "一化"]
    # question words and particles never become terms, on either side
    assert words("为什么要除以根号dk") == ["要除", "除以", "以根", "根号", "dk"]
    assert words("BN 和 LN 的区别是什么") == ["bn", "ln", "区别"]
    assert words("秩") == ["秩"]
    assert words("秩坍缩", unigrams=True)[:3] == ["秩", "坍", "缩"]


def test_latin_words_yield_parts_joins_and_greek_names():
    assert words("UTF-8") == ["utf8", "utf", "8"]
    assert words("KV cache") == ["kv", "cache", "kvcache"]
    assert words("FlashAttention-2") == ["flashattention2", "flashattention", "2", "flash", "attention"]
    assert words("RMSNorm") == ["rmsnorm", "rms", "norm"]
    assert words("v2") == ["v2", "v", "2"]
    assert words("Qwen3") == ["qwen3", "qwen", "3"]
    assert words("γ") == ["γ", "gamma"]
    assert words("the Adam and SGD") == ["adam", "sgd"]


def test_intent_words_at_the_end_of_a_run_weigh_a_quarter():
    weights = dict(core([["terms", "moe原理"]])[0])
    assert weights == {"moe": 1, "原理": 0.25}
    weights = dict(core([["terms", "对比学习"]])[0])
    assert weights["对比"] == pytest.approx(1 / 3)


def test_tex_becomes_readable_text():
    cases = {
        r"\sqrt{d_k}": "√dₖ",
        r"\frac{QK^\top}{\sqrt{d_k}}": "QKᵀ/√dₖ",
        r"\frac{a+b}{2}": "(a+b)/2",
        r"p=\mathrm{softmax}(z/T)": "p=softmax(z/T)",
        r"\mathbb{E}[x^2]": "E[x²]",
        r"\alpha\le\beta": "α≤β",
        r"W^\top W=I_n": "WᵀW=Iₙ",
    }
    got = core([["texToText", tex] for tex in cases])
    assert dict(zip(cases, got)) == cases


def test_edit_distance_counts_a_transposition_once():
    assert core([["editDistance", "xaiver", "xavier", 2], ["editDistance", "layernrom", "layernorm", 2],
                 ["editDistance", "adam", "lion", 1]]) == [1, 1, 2]


def test_plan_completes_prefixes_and_corrects_typos():
    vocab = {"rmsnorm": 5, "layernorm": 9, "chinchilla": 2, "rms": 1}
    typed, typo = core([["plan", "rms", vocab], ["plan", "chinchila 比例", vocab]])
    assert [a[0] for a in typed[0]["alts"]] == ["rms", "rmsnorm"]
    assert ["chinchilla", 0.6] in [g for g in typo if g["alts"][0][0] == "chinchila"][0]["alts"] or \
        ["chinchilla", 0.8] in [g for g in typo if g["alts"][0][0] == "chinchila"][0]["alts"]
    # a finished word (query ends with a space) is not completed
    done = core([["plan", "rms ", vocab]])[0]
    assert [a[0] for a in done[0]["alts"]] == ["rms"]


def test_punctuation_and_huge_queries_plan_safely():
    empty, huge = core([["plan", "？！。，…!!??", {}], ["plan", "梯度" * 400, {}]])
    assert empty == []
    assert len(huge) <= 200


# --- the dialog, in Chromium ----------------------------------------------------------------------------

def open_search(page):
    toggle = page.locator("label.md-header__button[for='__search']")
    if toggle.is_visible():
        toggle.click()
    else:
        page.locator("input.md-search__input").click()


def run_query(page, query: str) -> list[str]:
    """Type a query and return the result links (page/#id) once the dialog shows results for it."""
    page.locator("input.md-search__input").fill(query)
    page.wait_for_function("q => document.querySelector('[data-bagu-search]').dataset.query === q",
                           arg=query, timeout=15000)
    hrefs = page.evaluate("() => [...document.querySelectorAll('#bagu-search-list a')].map(a => a.href)")
    return [h.split(PREFIX, 1)[-1] for h in hrefs]


@pytest.mark.browser
def test_search_finds_the_expected_answer_in_the_top_three(base, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(base, wait_until="load")
    open_search(page)
    misses, empty, fixed = [], [], []
    for query, expected in QUERIES.items():
        links = run_query(page, str(query))
        if not links:
            empty.append(str(query))
        found = expected in links[:3]
        if not found and query not in KNOWN_MISSES:
            misses.append(f"query {query!r}: expected {expected}, top 3 were {links[:3]}")
        if found and query in KNOWN_MISSES:
            fixed.append(str(query))
    page.close()
    assert not empty, f"{len(empty)} queries returned nothing: {empty}"
    assert not misses, f"{len(misses)}/{len(QUERIES)} queries missed:\n" + "\n".join(misses)
    assert not fixed, f"found now, delete from {KNOWN_MISSES_FILE.name}: {fixed}"


def test_known_misses_are_queries_of_the_set_with_the_same_answer():
    """The known-miss list names queries of the set (same expected answer), so it cannot hide a new one."""
    stale = {q: a for q, a in KNOWN_MISSES.items() if QUERIES.get(q) != a}
    assert not stale, f"{KNOWN_MISSES_FILE.name}: not in {QUERY_FILE.name} with this answer: {stale}"
    assert len(KNOWN_MISSES) <= 0.03 * len(QUERIES), "more than 3 % of the queries miss: fix the search, not the list"


@pytest.mark.browser
def test_no_search_byte_is_fetched_until_search_opens(base, browser):
    page = browser.new_page(viewport=MOBILE)
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(base + "llm/mla/", wait_until="load")
    page.wait_for_load_state("networkidle")
    assert not [u for u in fetched if "/search/" in u or "search" in u.rsplit("/", 1)[-1]], fetched
    open_search(page)
    page.wait_for_selector("[data-bagu-search][data-state=ready]", state="attached")
    assert any(u.endswith("/search/manifest.json") for u in fetched)
    links = run_query(page, "矩阵吸收")
    assert links and links[0].startswith("llm/mla/#")
    shards = [u for u in fetched if re.search(r"/search/t\d+\.json$", u)]
    manifest = json.loads(page.evaluate("u => fetch(u).then(r => r.text())", base + "search/manifest.json"))
    assert 0 < len(shards) < manifest["shards"], "a query fetches only the shards of its terms"
    page.close()


@pytest.mark.browser
def test_a_query_typed_while_the_index_loads_runs_when_it_is_ready(base, browser):
    page = browser.new_page(viewport=DESKTOP)
    release = []
    page.route("**/search/manifest.json", lambda route: release.append(route))
    page.goto(base, wait_until="load")
    open_search(page)
    page.locator("input.md-search__input").fill("层归一化")
    page.wait_for_function("() => document.querySelector('[data-bagu-search]').dataset.state === 'loading'")
    assert "正在加载" in page.locator("#bagu-search-status").inner_text()
    assert page.locator("#bagu-search-list a").count() == 0
    for _ in range(200):  # the held request reaches the route handler asynchronously
        if release:
            break
        page.wait_for_timeout(25)
    assert release, "the manifest request was not made"
    release[0].continue_()
    page.wait_for_function("() => document.querySelector('[data-bagu-search]').dataset.query === '层归一化'")
    first = page.locator("#bagu-search-list a").first.get_attribute("href")
    assert "normalization/layernorm/#" in first
    page.close()


@pytest.mark.browser
def test_bad_queries_neither_fail_nor_inject_markup(base, browser):
    page = browser.new_page(viewport=MOBILE)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (errors.append("dialog opened: " + d.message), d.dismiss()))
    page.goto(base, wait_until="load")
    open_search(page)
    assert run_query(page, "？！。，……!!") == []
    assert "请输入" in page.locator("#bagu-search-status").inner_text()
    long_query = ("softmax 温度 " * 60)[:500]
    page.locator("input.md-search__input").fill(long_query)
    page.wait_for_function("() => document.querySelector('[data-bagu-search]').dataset.query.length >= 490",
                           timeout=5000)
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>softmax'
    links = run_query(page, hostile)
    assert links, "the word softmax in a hostile query still finds answers"
    assert page.locator("#bagu-search-list img, #bagu-search-list script").count() == 0
    assert not errors, errors
    page.close()


@pytest.mark.browser
def test_typing_in_the_header_search_box_shows_the_results_on_a_wide_screen(base, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(base + "normalization/layernorm/", wait_until="load")
    page.locator("input.md-search__input").click()
    links = run_query(page, "rmsnorm公式")
    assert links
    # Material draws the results panel (opacity 0 -> 1) only while the search toggle is checked
    assert page.evaluate("document.getElementById('__search').checked"), "results computed but the panel is closed"
    page.wait_for_function("() => getComputedStyle(document.querySelector('.md-search__output')).opacity === '1'")
    page.close()


@pytest.mark.browser
def test_keyboard_opens_search_and_walks_the_results(base, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(base + "basics/softmax/", wait_until="load")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "query"
    assert page.evaluate("document.getElementById('__search').checked")
    links = run_query(page, "rmsnorm")
    assert links
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#bagu-search-list') !== null")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == "query"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/normalization/layernorm/#rmsnorm$"))
    page.close()


@pytest.mark.browser
def test_results_show_the_one_sentence_answer_as_plain_text(base, browser):
    page = browser.new_page(viewport=MOBILE)
    page.goto(base, wait_until="load")
    open_search(page)
    run_query(page, "根号dk")
    first = page.locator("#bagu-search-list .md-search-result__article").first
    text = first.inner_text()
    assert "√" in text and "\\" not in text and "mjx" not in text, text
    assert first.locator("mark").count() >= 1
    page.close()


def test_bilingual_pairs_are_terms_not_remarks():
    """Only "中文（English）" pairs that name one thing become site-wide aliases: a clause, a Chinese word that
    is half of a mixed term, a citation or a short remark in brackets would add its English to every page."""
    from conftest import load_hook

    pairs = load_hook("search").page_pairs([
        "学习率预热（warmup）用于开头。", "层归一化（LayerNorm）和 FP8 训练（FP8 training）", "critic 的损失（value loss）",
        "和微调（fine-tuning）", "为什么不拼接（concat）", "初始化（Zhang et al. 2019）", "整块可见（full）",
        "困惑度（perplexity）", "GQA（分组查询注意力）"])
    assert sorted(map(tuple, pairs)) == sorted([("学习率预热", "warmup"), ("层归一化", "LayerNorm"),
                                                ("困惑度", "perplexity"), ("分组查询注意力", "GQA")])


def test_jieba_segmentation_is_cached_between_builds_and_checked(tmp_path, monkeypatch):
    """hooks/search.py keeps jieba's words of each CJK run in <cache>/search/segments.json: a second build
    reads them without loading jieba, an entry that does not add up to its run or a cache of another
    segmenter (jieba version, user dictionary) is recomputed, and the file keeps only the runs asked for."""
    import sys

    from conftest import load_hook

    hook = load_hook("search")
    monkeypatch.setenv("BAGU_CACHE", str(tmp_path))
    runs = ["温度越高", "注意力机制", "温度越高"]
    first = hook.segment(runs)
    assert set(first) == {"温度越高", "注意力机制"} and all(sum(v) == len(k) for k, v in first.items())
    cache = tmp_path / "search" / hook.SEGMENTS
    assert json.loads(cache.read_text(encoding="utf-8"))["version"] == hook.segmenter_key()

    monkeypatch.setitem(sys.modules, "jieba", None)  # `import jieba` now fails: the cache must answer
    assert hook.segment(runs) == first
    assert hook.segment(["温度越高"]) == {"温度越高": first["温度越高"]}
    assert set(json.loads(cache.read_text(encoding="utf-8"))["entries"]) == {"温度越高"}
    monkeypatch.delitem(sys.modules, "jieba")

    data = json.loads(cache.read_text(encoding="utf-8"))
    data["entries"]["温度越高"] = "1.1"  # two characters short: not used
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert hook.segment(["温度越高"]) == {"温度越高": first["温度越高"]}
    data["version"] = "another segmenter"
    data["entries"]["温度越高"] = "4"
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert hook.segment(["温度越高"]) == {"温度越高": first["温度越高"]}
    cache.write_text("{not json", encoding="utf-8")
    assert hook.segment(["温度越高"]) == {"温度越高": first["温度越高"]}


def test_the_engine_comparison_scores_pages_headings_and_the_ui_list():
    """tools/pagefind_compare.py: the three ways it scores Pagefind's results, on hand-made results (the
    figures in the README rest on them; Pagefind itself is not installed for the tests)."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import pagefind_compare as pc

    def page(url, *subs):
        return {"url": url, "subs": [{"url": u, "score": s} for u, s in subs]}

    expected = {"a": "x/y/#q", "b": "x/z/#r", "c": "x/y/#q"}
    results = [
        # the page first; its best-scored heading is the answer, listed second in page order
        {"n": 2, "pages": [page("/x/y/", ("/x/y/#title", 1.0), ("/x/y/#q", 5.0)), page("/x/z/")]},
        # the answer's page third, its heading not the page's best
        {"n": 3, "pages": [page("/x/y/"), page("/x/w/"), page("/x/z/", ("/x/z/#r", 1.0), ("/x/z/#s", 2.0))]},
        {"n": 0, "pages": []},
    ]
    got = pc.score(results, expected)
    assert got["page"] == (1, 2)
    assert got["one link per page"] == (1, 1)  # query b: x/z/#s outranks the answer on its page
    assert got["as Pagefind's UI lists"] == (0, 1)  # page link, then its headings: x/y/, x/y/#q, x/y/#title
    assert got["zero"] == 1
    assert pc.norm("/llm/mla/#%E7%9F%A9%E9%98%B5") == "llm/mla/#矩阵"
