/* Site behaviour on top of Material: the zoom view of diagrams and figures, copy-link buttons on every
   answer, the "隐藏答案" self-test mode, search loaded on first use, anchor redirects, and MathJax loaded
   only for a formula left untypeset (none in a normal build).
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

  /* ---- Palette: the one color-scheme meta (overrides/main.html) follows the reader's toggle ---- */
  function dark() { return document.body.getAttribute("data-md-color-scheme") === "slate"; }
  new MutationObserver(function () {
    var meta = document.querySelector('meta[name="color-scheme"]');
    var scheme = dark() ? "dark" : "light";
    if (meta && meta.content !== scheme) meta.content = scheme;
  }).observe(document.body, {attributes: true, attributeFilter: ["data-md-color-scheme"]});

  /* ---- Zoom view: diagrams (rendered at build, hooks/mermaid.py) and notebook figures at their natural
     size, scrollable, for text a phone shrinks below reading size ---------------------------------- */
  var zoom = null;
  function zoomDialog() {
    if (zoom) return zoom;
    zoom = document.createElement("dialog");
    zoom.className = "bagu-zoom";
    zoom.setAttribute("aria-label", "放大查看");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "bagu-zoom__close md-button";
    close.textContent = "关闭";
    close.addEventListener("click", function () { zoom.close(); });
    var body = document.createElement("div");
    body.className = "bagu-zoom__body";
    body.tabIndex = 0;
    zoom.append(close, body);
    zoom.addEventListener("click", function (ev) { if (ev.target === zoom) zoom.close(); });
    document.body.appendChild(zoom);
    return zoom;
  }
  function openZoom(node, label) {
    var dialog = zoomDialog();
    var body = dialog.querySelector(".bagu-zoom__body");
    body.replaceChildren(node);
    body.setAttribute("aria-label", label || "放大的图");
    dialog.showModal();
    body.focus();
  }
  function zoomables() {
    document.querySelectorAll(".md-typeset .mermaid-diagram[data-diagram] .diagram-zoom:not([data-bound])").forEach(function (btn) {
      btn.setAttribute("data-bound", "1");
      btn.addEventListener("click", function () {
        var figure = btn.closest(".mermaid-diagram");
        var svg = figure.querySelector(dark() ? ".mermaid-dark svg" : ".mermaid-light svg");
        var copy = svg.cloneNode(true);
        var box = (svg.getAttribute("viewBox") || "").split(/\s+/).map(Number);
        copy.removeAttribute("style");
        copy.setAttribute("width", String(Math.ceil(box[2] || svg.getBoundingClientRect().width)));
        copy.setAttribute("height", String(Math.ceil(box[3] || svg.getBoundingClientRect().height)));
        // ids must stay unique in the document: the copy's are suffixed (its styles use the svg's own id)
        copy.querySelectorAll("[id]").forEach(function (el) { el.id += "-zoom"; });
        copy.id += "-zoom";
        var style = copy.querySelector("style");
        if (style) style.textContent = style.textContent.split("#" + svg.id).join("#" + copy.id);
        copy.querySelectorAll("[marker-end],[marker-start]").forEach(function (el) {
          ["marker-end", "marker-start"].forEach(function (a) {
            var v = el.getAttribute(a);
            if (v) el.setAttribute(a, v.replace(/#([^)]+)\)/, "#$1-zoom)"));
          });
        });
        openZoom(copy, figure.getAttribute("aria-label"));
      });
    });
    document.querySelectorAll(".md-typeset img.nb-figure:not([data-bound])").forEach(function (img) {
      img.setAttribute("data-bound", "1");
      img.setAttribute("tabindex", "0");
      img.setAttribute("role", "button");
      img.setAttribute("aria-haspopup", "dialog");
      img.title = "点击放大";
      function open() {
        var big = document.createElement("img");
        big.src = img.currentSrc || img.src;
        big.alt = img.alt;
        big.className = "bagu-zoom__img";
        big.width = img.naturalWidth || img.width;
        openZoom(big, img.alt);
      }
      img.addEventListener("click", open);
      img.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); }
      });
    });
  }

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
  /* One polite live region for the site's own announcements (screen readers hear "已复制……"). */
  function announce(text) {
    var live = document.getElementById("bagu-live");
    if (!live) {
      live = document.createElement("div");
      live.id = "bagu-live";
      live.className = "md-visually-hidden";
      live.setAttribute("aria-live", "polite");
      live.setAttribute("role", "status");
      document.body.appendChild(live);
    }
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
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
          var note = btn.nextElementSibling && btn.nextElementSibling.classList.contains("copy-done") ? btn.nextElementSibling : null;
          if (!note) {
            note = document.createElement("span");
            note.className = "copy-done";
            note.setAttribute("aria-hidden", "true");  // the live region speaks; this is for the eyes
            btn.after(note);
          }
          note.textContent = "已复制链接";
          announce("已复制本题链接");
          setTimeout(function () {
            btn.classList.remove("copied"); btn.title = "复制本题链接";
            if (note.parentNode) note.remove();
          }, 2000);
        }, function () { announce("复制失败，请手动复制地址栏中的链接"); });
      });
    });
  }

  /* ---- Self-test mode ---------------------------------------------------------------------
     The mode (kept in localStorage) hides each answer under its question; the boot script in
     overrides/main.html sets html.quiz-on before the first render, so the table of contents and the tag
     pills, which would give the answers' key terms away, are hidden by CSS from the start. A shared link
     to one answer (#id) opens with that answer revealed and scrolled into view; the "#" link of a heading
     does not reveal its own answer. "展开本页答案" reveals every answer of this page only. */
  var QUIZ_KEY = "bagu.quiz";
  var quizMemory = null;  // the mode while the browser refuses storage (private mode, quota full)
  function quizOn() {
    if (quizMemory !== null) return quizMemory;
    try { return localStorage.getItem(QUIZ_KEY) === "1"; } catch (e) { return false; }
  }
  function setQuiz(on) {
    try { localStorage.setItem(QUIZ_KEY, on ? "1" : "0"); quizMemory = null; } catch (e) { quizMemory = on; announce("浏览器不允许保存设置，本次浏览有效"); }
    document.documentElement.classList.toggle("quiz-on", on);
  }
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
  function revealTarget(id, scroll) {
    var hit = false;
    sections().forEach(function (item) { if (holds(item, id)) { setRevealed(item, true); hit = true; } });
    var el = id && document.getElementById(id);
    if (hit && el && scroll) el.scrollIntoView({block: "start"});
    return hit;
  }
  function applyQuiz() {
    // the switch is in the HTML of every question page (hooks/pages.py)
    var toggle = document.querySelector(".quiz-toggle");
    if (!toggle) return;
    var on = quizOn();
    document.documentElement.classList.toggle("quiz-on", on);
    var items = sections(on);
    var all = document.querySelector(".quiz-all");
    if (!toggle.dataset.bound) {
      toggle.dataset.bound = "1";
      toggle.addEventListener("click", function () { setQuiz(!quizOn()); applyQuiz(); });
      if (all) {
        all.addEventListener("click", function () {
          var list = sections();
          var open = list.some(function (item) { return item.answer.hidden; });
          list.forEach(function (item) { setRevealed(item, open); });
          all.textContent = open ? "收起本页答案" : "展开本页答案";
          all.setAttribute("aria-pressed", String(open));
        });
      }
    }
    if (toggle.getAttribute("aria-pressed") !== String(on)) toggle.setAttribute("aria-pressed", String(on));
    if (all) { all.hidden = !on; all.textContent = "展开本页答案"; all.setAttribute("aria-pressed", "false"); }
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
    if (on && target) revealTarget(target, true);
  }

  /* Following a link to one answer (table of contents, another page's link: a new #fragment) reveals
     that answer and scrolls to it; a heading's own "#" permalink only changes the address. */
  var ownPermalink = null;
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a.headerlink");
    ownPermalink = a ? a.getAttribute("href").slice(1) : null;
  }, true);
  window.addEventListener("hashchange", function () {
    var target = decodeURIComponent(location.hash.slice(1));
    var skip = ownPermalink === target;
    ownPermalink = null;
    if (!target || !quizOn() || skip) return;
    revealTarget(target, true);
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
      // the two modules and the index manifest load in parallel, not one after the other
      var searchBase = new URL("../search/", assets);
      var manifest = fetch(new URL("manifest.json", searchBase), {credentials: "same-origin"});
      manifest.catch(function () {});  // checked and reported by search.mjs
      searchMounted = Promise.all([
        import(new URL("javascripts/search.mjs", assets).href),
        import(new URL("javascripts/search-core.mjs", assets).href),
      ]).then(function (mods) {
        return mods[0].mount(root, {searchBase: searchBase, siteBase: new URL("../", assets), toggle: toggle, manifest: manifest});
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
    // on a wide screen the input sits in the header: focusing or typing in it opens the results panel
    ["focus", "input"].forEach(function (type) {
      input.addEventListener(type, function () {
        if (!toggle.checked) { toggle.checked = true; toggle.dispatchEvent(new Event("change")); }
        openSearch(false);
      });
    });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey || toggle.checked) return;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (ev.key === "/" || ev.key === "s" || ev.key === "f") { ev.preventDefault(); openSearch(true); }
    });
  }

  /* Material wraps each code block's copy button in a <nav>: dozens of unnamed navigation landmarks per
     page. They are button groups, not navigation. */
  function codeToolbars(root) {
    (root || document).querySelectorAll("nav.md-code__nav:not([role])").forEach(function (nav) {
      nav.setAttribute("role", "none");
    });
  }
  var article = document.querySelector(".md-content article");
  if (article && "MutationObserver" in window) {
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        if (records[i].addedNodes.length) { codeToolbars(article); return; }
      }
    }).observe(article, {childList: true, subtree: true});
  }

  function onPage() {
    codeToolbars();
    bindSearch();
    anchorRedirect();
    copyLinks();
    applyQuiz();
    typeset();
    zoomables();
  }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(onPage);
  } else {
    document.addEventListener("DOMContentLoaded", onPage);
  }
})();
