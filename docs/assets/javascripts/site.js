/* Site behaviour on top of Material: self-hosted MathJax and Mermaid loaded on demand,
   copy-link buttons on every answer, the "隐藏答案" self-test mode, and anchor redirects.
   Per-page work hangs on Material's document$ observable, so it would also follow instant navigation
   (off: see the README's performance notes). */
(function () {
  "use strict";
  var script = document.currentScript;
  var assets = new URL("../", script.src);          // .../assets/
  var vendor = function (path) { return new URL("vendor/" + path, assets).href; };

  /* ---- MathJax ------------------------------------------------------------------------------ */
  var mathjaxLoading = null;
  function loadMathJax() {
    if (!mathjaxLoading) {
      mathjaxLoading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = vendor("mathjax/tex-chtml.js");
        s.async = true;
        s.onload = function () { window.MathJax.startup.promise.then(resolve, reject); };
        s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    return mathjaxLoading;
  }
  function typeset() {
    // Formulas are typeset at build time (hooks/typeset.py); MathJax is only fetched for any left raw.
    var nodes = document.querySelectorAll(".arithmatex:not([data-ssr])");
    if (!nodes.length) {
      document.body.setAttribute("data-math", "done");
      return;
    }
    loadMathJax().then(function () {
      var MJ = window.MathJax;
      MJ.startup.output.clearCache();
      MJ.typesetClear();
      MJ.texReset();
      return MJ.typesetPromise();
    }).then(function () {
      document.body.setAttribute("data-math", "done");
    }).catch(function (err) { console.warn("MathJax:", err); });
  }

  /* ---- Mermaid ------------------------------------------------------------------------------ */
  var mermaidLoading = null;
  var diagramCount = 0;
  function dark() { return document.body.getAttribute("data-md-color-scheme") === "slate"; }
  function loadMermaid() {
    if (!mermaidLoading) {
      mermaidLoading = import(vendor("mermaid/mermaid.esm.min.mjs")).then(function (m) { return m.default; });
    }
    return mermaidLoading;
  }
  function renderDiagram(el) {
    if (!el.dataset.source) el.dataset.source = el.textContent;
    return loadMermaid().then(function (mermaid) {
      mermaid.initialize({startOnLoad: false, theme: dark() ? "dark" : "default", securityLevel: "strict",
                          fontFamily: getComputedStyle(document.body).fontFamily});
      return mermaid.render("mermaid-" + (++diagramCount), el.dataset.source);
    }).then(function (out) {
      el.innerHTML = out.svg;
      el.setAttribute("data-rendered", dark() ? "dark" : "light");
    }).catch(function (err) {
      el.setAttribute("data-rendered", "error");
      console.error("Mermaid:", err);
    });
  }
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { observer.unobserve(entry.target); renderDiagram(entry.target); }
    });
  }, {rootMargin: "600px 0px"}) : null;
  function diagrams() {
    document.querySelectorAll(".mermaid-diagram:not([data-rendered])").forEach(function (el) {
      if (observer) observer.observe(el); else renderDiagram(el);
    });
  }
  new MutationObserver(function () {
    var scheme = dark() ? "dark" : "light";
    // the one color-scheme meta (overrides/main.html) follows the palette, for the browser's own UI
    var meta = document.querySelector('meta[name="color-scheme"]');
    if (meta && meta.content !== scheme) meta.content = scheme;
    document.querySelectorAll(".mermaid-diagram[data-rendered]").forEach(function (el) {
      if (el.getAttribute("data-rendered") !== scheme) renderDiagram(el);
    });
  }).observe(document.body, {attributes: true, attributeFilter: ["data-md-color-scheme"]});

  /* ---- Copy link to an answer --------------------------------------------------------------- */
  function pageUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    return canonical ? canonical.href.split("#")[0] : location.href.split("#")[0];
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve) {
      var area = document.createElement("textarea");
      area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
      document.body.appendChild(area); area.select(); document.execCommand("copy"); area.remove(); resolve();
    });
  }
  function copyLinks() {
    // the buttons are in the HTML (hooks/pages.py); bind each once
    document.querySelectorAll(".md-content article .copy-link:not([data-bound])").forEach(function (btn) {
      var h = btn.closest("h2, h3");
      if (!h) return;
      btn.setAttribute("data-bound", "1");
      btn.addEventListener("click", function (ev) {
        ev.preventDefault(); ev.stopPropagation();
        var url = pageUrl() + "#" + h.id;
        copyText(url).then(function () {
          btn.classList.add("copied"); btn.title = "已复制：" + url;
          setTimeout(function () { btn.classList.remove("copied"); btn.title = "复制本题链接"; }, 1500);
        });
      });
    });
  }

  /* ---- Self-test mode ("隐藏答案") --------------------------------------------------------- */
  var QUIZ_KEY = "bagu.quiz";
  function quizOn() { try { return localStorage.getItem(QUIZ_KEY) === "1"; } catch (e) { return false; } }
  function sections(wrap) {
    var article = document.querySelector(".md-content article");
    if (!article) return [];
    if (!wrap && !article.querySelector(".quiz-answer")) return [];
    var out = [];
    article.querySelectorAll(":scope > h2[id]").forEach(function (h) {
      var answer = h.nextElementSibling && h.nextElementSibling.classList.contains("quiz-answer") ? h.nextElementSibling : null;
      if (!answer) {
        answer = document.createElement("div");
        answer.className = "quiz-answer";
        answer.id = "answer-" + h.id;
        var node = h.nextSibling;
        while (node && !(node.nodeType === 1 && (node.tagName === "H2" || node.tagName === "H1" || node.classList.contains("md-source-file")))) {
          var next = node.nextSibling; answer.appendChild(node); node = next;
        }
        h.after(answer);
      }
      out.push({heading: h, answer: answer});
    });
    return out;
  }
  function holds(item, id) {
    return Boolean(id) && (item.heading.id === id || Boolean(item.answer.querySelector('[id="' + CSS.escape(id) + '"]')));
  }
  function setRevealed(item, revealed) {
    item.answer.hidden = !revealed;
    var btn = item.heading.querySelector(".quiz-reveal");
    if (btn) { btn.setAttribute("aria-expanded", String(revealed)); btn.textContent = revealed ? "收起答案" : "显示答案"; }
  }
  function applyQuiz() {
    // the switch is in the HTML of every question page (hooks/pages.py)
    var toggle = document.querySelector(".quiz-toggle");
    if (!toggle) return;
    var on = quizOn();
    var items = sections(on);
    if (!toggle.dataset.bound) {
      toggle.dataset.bound = "1";
      toggle.addEventListener("click", function () {
        try { localStorage.setItem(QUIZ_KEY, quizOn() ? "0" : "1"); } catch (e) { /* private mode */ }
        applyQuiz();
      });
    }
    var label = on ? "显示全部答案" : "隐藏答案（自测）";
    if (toggle.getAttribute("aria-pressed") !== String(on)) toggle.setAttribute("aria-pressed", String(on));
    if (toggle.textContent !== label) toggle.textContent = label;
    var target = decodeURIComponent(location.hash.slice(1));
    items.forEach(function (item) {
      var btn = item.heading.querySelector(".quiz-reveal");
      if (on && !btn) {
        btn = document.createElement("button");
        btn.type = "button";
        btn.className = "quiz-reveal";
        btn.setAttribute("aria-controls", item.answer.id);
        btn.addEventListener("click", function (ev) {
          ev.preventDefault(); setRevealed(item, item.answer.hidden);
        });
        item.heading.appendChild(btn);
      } else if (!on && btn) {
        btn.remove();
      }
      setRevealed(item, !on || holds(item, target));
    });
  }

  /* Following a link to one answer (same page, new #fragment) reveals that answer. */
  window.addEventListener("hashchange", function () {
    var target = decodeURIComponent(location.hash.slice(1));
    if (!target || !quizOn()) return;
    sections().forEach(function (item) { if (holds(item, target)) setRevealed(item, true); });
  });

  /* ---- Anchor redirects (ids renamed after publication, see redirects.yml) ------------------ */
  function anchorRedirect() {
    var data = document.getElementById("anchor-redirects");
    var id = decodeURIComponent(location.hash.slice(1));
    if (!data || !id || document.getElementById(id)) return;
    var map = JSON.parse(data.textContent);
    if (map[id]) location.replace(new URL(map[id], location.href).href);
  }

  /* ---- Search (assets/javascripts/search.mjs, loaded the first time the reader opens search) ---- */
  var searchMounted = null;
  function openSearch(focus) {
    var root = document.querySelector("[data-bagu-search]");
    var toggle = document.getElementById("__search");
    if (!root || !toggle) return;
    if (!searchMounted) {
      searchMounted = import(new URL("javascripts/search.mjs", assets).href).then(function (m) {
        return m.mount(root, {searchBase: new URL("../search/", assets), siteBase: new URL("../", assets), toggle: toggle});
      }).catch(function (err) {
        searchMounted = null;
        root.dataset.state = "error";
        var status = root.querySelector(".md-search-result__meta");
        if (status) status.textContent = "搜索加载失败，请刷新页面重试";
        console.error("search:", err);
      });
    }
    if (focus) {
      if (!toggle.checked) { toggle.checked = true; toggle.dispatchEvent(new Event("change")); }
      root.querySelector("input[name=query]").focus();
    }
  }
  function bindSearch() {
    var root = document.querySelector("[data-bagu-search]");
    var toggle = document.getElementById("__search");
    if (!root || !toggle || root.dataset.bound) return;
    root.dataset.bound = "1";
    toggle.addEventListener("change", function () {
      if (toggle.checked) openSearch(true);
    });
    var input = root.querySelector("input[name=query]");
    ["focus", "input"].forEach(function (type) { input.addEventListener(type, function () { openSearch(false); }); });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey || toggle.checked) return;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (ev.key === "/" || ev.key === "s" || ev.key === "f") { ev.preventDefault(); openSearch(true); }
    });
  }

  function onPage() {
    bindSearch();
    anchorRedirect();
    copyLinks();
    applyQuiz();
    typeset();
    diagrams();
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(onPage);
  } else {
    document.addEventListener("DOMContentLoaded", onPage);
  }
})();
