// The search dialog (overrides/partials/search.html). site.js imports this module the first time a reader
// opens search, so no search byte is fetched before that. It then fetches the manifest and the Latin
// vocabulary, and for each query only the term shards and document chunks it needs (cached).
// The dialog's data-state is "loading", "ready" or "error"; data-query is the query whose results are
// shown, so a test (or a reader typing early) never sees results of another query: a query typed while
// the index loads runs as soon as it is ready.
import {plan, rank, shardOf, normalize, vocabKeys, MAX_QUERY} from "./search-core.mjs";

const LIMIT = 10;

// `response`: a fetch of `url` already under way (site.js starts the manifest's beside this module's)
function fetchJSON(url, response) {
  return (response || fetch(url, {credentials: "same-origin"})).then((r) => {
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  });
}

// Parts of the query to mark in titles and previews: Latin words and CJK runs, question words removed.
function marks(query) {
  return normalize(query).slice(0, MAX_QUERY)
    .replace(/为什么|是什么|什么|怎么|如何|哪些|有什么|区别|的|吗|呢|和|与/g, " ")
    .match(/[\u3400-\u9fff]+|[a-z0-9\u0370-\u03ff]+/g)?.filter((w) => w.length >= 2 || /[\u3400-\u9fff]/.test(w))
    .sort((a, b) => b.length - a.length) || [];
}

function highlighted(text, words) {
  const frag = document.createDocumentFragment();
  const lower = text.toLowerCase();
  let i = 0;
  while (i < text.length) {
    let hit = null;
    for (const w of words) {
      const at = lower.indexOf(w, i);
      if (at >= 0 && (!hit || at < hit[0] || (at === hit[0] && w.length > hit[1]))) hit = [at, w.length];
    }
    if (!hit) break;
    if (hit[0] > i) frag.append(text.slice(i, hit[0]));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(hit[0], hit[0] + hit[1]);
    frag.append(mark);
    i = hit[0] + hit[1];
  }
  frag.append(text.slice(i));
  return frag;
}

export function mount(root, {searchBase, siteBase, toggle, manifest: early}) {
  const input = root.querySelector("input[name=query]");
  const status = root.querySelector(".md-search-result__meta");
  const list = root.querySelector(".md-search-result__list");
  const shards = new Map();   // shard number -> Promise of {term: postings}
  const chunks = new Map();   // doc chunk number -> Promise of docs
  const vocabs = new Map();   // first character -> Promise of {term: df}
  let manifest = null;
  let seq = 0;

  const setStatus = (text) => { if (status.textContent !== text) status.textContent = text; };
  const shard = (k) => {
    if (!shards.has(k)) shards.set(k, fetchJSON(new URL(`t${k}.json`, searchBase)));
    return shards.get(k);
  };
  const chunk = (k) => {
    if (!chunks.has(k)) chunks.set(k, fetchJSON(new URL(`d${k}.json`, searchBase)));
    return chunks.get(k);
  };

  root.dataset.state = "loading";
  setStatus("正在加载搜索索引…");
  const vocabFor = (query) => Promise.all(vocabKeys(query).filter((k) => manifest.vocab.includes(k)).map((k) => {
    if (!vocabs.has(k)) vocabs.set(k, fetchJSON(new URL(`v${k}.json`, searchBase)));
    return vocabs.get(k);
  })).then((parts) => Object.assign({}, ...parts));
  const ready = fetchJSON(new URL("manifest.json", searchBase), early)
    .then((m) => { manifest = m; root.dataset.state = "ready"; })
    .catch((err) => {
      root.dataset.state = "error";
      setStatus("搜索索引加载失败，请刷新页面重试");
      console.error("search:", err);
      throw err;
    });

  function render(query, ranked, docs) {
    const words = marks(query);
    list.replaceChildren();
    for (const [id] of ranked) {
      const [page, anchor, title, parent, preview] = docs.get(id);
      const [url, pageTitle] = manifest.pages[page];
      const li = document.createElement("li");
      li.className = "md-search-result__item";
      const a = document.createElement("a");
      a.className = "md-search-result__link";
      a.href = new URL(url + (anchor ? `#${anchor}` : ""), siteBase).href;
      const article = document.createElement("article");
      article.className = "md-search-result__article md-typeset";
      const crumb = document.createElement("div");
      crumb.className = "bagu-search-crumb";
      crumb.textContent = anchor ? [pageTitle, parent].filter(Boolean).join(" › ") : "页面";
      const h = document.createElement(manifest.kinds[id] === "q" || !anchor ? "h1" : "h2");
      h.append(highlighted(title, words));
      article.append(crumb, h);
      if (preview) {
        const p = document.createElement("p");
        p.append(highlighted(preview, words));
        article.append(p);
      }
      a.append(article);
      a.addEventListener("click", () => { toggle.checked = false; toggle.dispatchEvent(new Event("change")); });
      li.append(a);
      list.append(li);
    }
    setStatus(ranked.length ? `找到 ${ranked.length} 个结果` : "没有找到符合条件的结果");
    root.dataset.query = query;
  }

  async function run(query) {
    const mine = ++seq;
    if (root.dataset.state !== "ready") {
      try { await ready; } catch (e) { return; }
      if (mine !== seq) return;
    }
    let vocab;
    try { vocab = await vocabFor(query); } catch (err) { if (mine === seq) setStatus("搜索索引加载失败，请刷新页面重试"); return; }
    if (mine !== seq) return;
    const groups = plan(query, vocab);
    if (!groups.length) {
      list.replaceChildren();
      setStatus(query.trim() ? "请输入要搜索的中文或英文词语" : "输入关键词开始搜索");
      root.dataset.query = query;
      return;
    }
    const needed = new Set();
    for (const g of groups) for (const [term] of g.alts) needed.add(shardOf(term, manifest.shards));
    const loaded = new Map();
    try {
      await Promise.all([...needed].map((k) => shard(k).then((data) => loaded.set(k, data))));
    } catch (err) {
      if (mine === seq) setStatus("搜索索引加载失败，请刷新页面重试");
      return;
    }
    if (mine !== seq) return;
    const lookup = (term) => {
      const shard = loaded.get(shardOf(term, manifest.shards));
      return [shard.p[term], shard.c[term]];
    };
    const ranked = rank(groups, lookup, manifest, LIMIT);
    const ids = new Set();
    for (const [id] of ranked) ids.add(id);
    const docs = new Map();
    const need = new Set([...ids].map((id) => Math.floor(id / manifest.docChunk)));
    await Promise.all([...need].map((k) => chunk(k).then((rows) => rows.forEach((row, j) => {
      docs.set(k * manifest.docChunk + j, row);
    }))));
    if (mine !== seq) return;
    render(query, ranked, docs);
  }

  input.addEventListener("input", () => run(input.value));
  root.querySelector("form").addEventListener("reset", () => setTimeout(() => { run(""); input.focus(); }, 0));
  root.querySelector("form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const first = list.querySelector("a");
    if (first && root.dataset.query === input.value) first.click();
  });
  root.addEventListener("keydown", (ev) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      const next = ev.key === "ArrowDown" ? at + 1 : at - 1;
      if (next < 0) input.focus();
      else if (links.length) links[Math.min(next, links.length - 1)].focus();
    } else if (ev.key === "Escape") {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
      input.blur();
    }
  });
  run(input.value);
  return {run, ready};
}
