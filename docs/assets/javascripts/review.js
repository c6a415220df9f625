/* Review marks (复习): in the self-test mode (site.js) each answer gets "会了 / 再看看" buttons; the marks
   live in this browser only (localStorage "bagu.review"), keyed by the question's id, and schedule the
   question in Leitner boxes. Nothing is sent anywhere. On the review page (review/) this file loads
   review-page.js and review-page.css, which list what is due. If the browser refuses storage (private
   mode, quota full) the marks are kept for this visit only and the reader is told so. */
(function () {
  "use strict";
  var script = document.currentScript;
  var KEY = "bagu.review";
  var INTERVALS = [0, 1, 3, 7, 14, 30];     // days until due, by box; box 0 is "再看看": due again now
  var ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
  var memory = null;                         // the marks while storage is unusable
  var problem = "";                          // "", "blocked" or "full"
  var listeners = [];

  function today(now) {
    var d = now === undefined ? new Date() : new Date(now);
    return Math.floor((d.getTime() - d.getTimezoneOffset() * 60000) / 86400000);
  }
  function validMark(m) {
    return Boolean(m) && typeof m === "object" && Number.isInteger(m.b) && m.b >= 0 && m.b < INTERVALS.length &&
      Number.isInteger(m.d) && m.d >= 0 && m.d < 200000 && Number.isFinite(m.t) && m.t >= 0;
  }
  function clean(marks) {
    var out = {};
    if (marks && typeof marks === "object" && !Array.isArray(marks)) {
      Object.keys(marks).forEach(function (id) { if (ID.test(id) && validMark(marks[id])) out[id] = marks[id]; });
    }
    return out;
  }
  function load() {
    if (memory) return memory;
    var raw = null;
    try { raw = localStorage.getItem(KEY); } catch (e) { problem = "blocked"; return (memory = {}); }
    try { raw = raw ? JSON.parse(raw) : null; } catch (e) { raw = null; }
    return clean(raw && raw.v === 1 ? raw.marks : null);
  }
  function save(marks) {
    try {
      localStorage.setItem(KEY, JSON.stringify({v: 1, marks: marks}));
      memory = null;
      problem = "";
    } catch (e) {
      memory = marks;
      problem = e && (e.name === "QuotaExceededError" || e.code === 22) ? "full" : "blocked";
    }
    listeners.forEach(function (fn) { fn(); });
    return !problem;
  }
  function notice() {
    if (problem === "full") return "浏览器的存储空间已满，复习标记只在本次浏览中有效；可在复习页导出保存。";
    if (problem === "blocked") return "浏览器不允许本站保存数据（例如隐私模式），复习标记只在本次浏览中有效；可在复习页导出保存。";
    return "";
  }
  /* A new mark: "会了" moves a due (or new) question up one box, "再看看" puts it back in box 0. */
  function next(mark, kind, now) {
    var day = today(now);
    var box;
    if (kind === "again") box = 0;
    else if (mark && mark.d > day) box = mark.b;  // not due yet: marking again does not skip a box
    else box = Math.min((mark ? mark.b : 0) + 1, INTERVALS.length - 1);
    return {b: box, d: day + INTERVALS[box], t: now === undefined ? Date.now() : now};
  }
  function setMark(id, kind) {
    var marks = load();
    marks[id] = next(marks[id], kind);
    save(marks);
    return marks[id];
  }
  /* Renamed ids: the mark moves to the new id (the newer of two marks wins). */
  function migrate(map) {
    var marks = load(), moved = 0;
    Object.keys(map).forEach(function (old) {
      var now = map[old];
      if (!marks[old] || !ID.test(now)) return;
      if (!marks[now] || marks[now].t < marks[old].t) marks[now] = marks[old];
      delete marks[old];
      moved++;
    });
    if (moved) save(marks);
    return moved;
  }
  function describe(mark) {
    if (!mark) return "";
    var days = mark.d - today();
    var when = days <= 0 ? "今天再复习" : days === 1 ? "明天再复习" : days + " 天后再复习";
    return (mark.b === 0 ? "再看看" : "会了") + "，" + when;
  }

  var api = window.baguReview = {
    KEY: KEY, INTERVALS: INTERVALS, ID: ID,
    today: today, load: load, save: save, clean: clean, validMark: validMark, next: next, setMark: setMark,
    migrate: migrate, describe: describe, notice: notice,
    onChange: function (fn) { listeners.push(fn); },
    base: new URL("../../", script.src)      // the site root (this file is assets/javascripts/review.js)
  };

  /* ---- Marks beside the answers, in the self-test mode ------------------------------------ */
  function refresh(bar) {
    var mark = load()[bar.getAttribute("data-review-id")];
    bar.querySelectorAll("button").forEach(function (btn) {
      var on = Boolean(mark) && (btn.getAttribute("data-mark") === "again") === (mark.b === 0);
      btn.setAttribute("aria-pressed", String(on));
    });
    var state = bar.querySelector(".review-mark__state");
    var text = describe(mark);
    if (problem) text += (text ? "。" : "") + "标记只在本次浏览中有效";
    if (state.textContent !== text) state.textContent = text;
  }
  function bars() {
    if (!document.documentElement.classList.contains("quiz-on")) return;
    var review = new URL("review/", api.base).href;
    document.querySelectorAll(".md-content article .quiz-answer:not([data-review])").forEach(function (answer) {
      var heading = answer.previousElementSibling, tip = answer.firstElementChild;
      answer.setAttribute("data-review", "");
      if (!heading || !heading.id || !tip || !tip.matches(".admonition.tip")) return;
      var bar = document.createElement("div");
      bar.className = "review-mark";
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", "复习标记");
      bar.setAttribute("data-review-id", heading.id);
      bar.setAttribute("data-search-exclude", "");
      [["know", "会了"], ["again", "再看看"]].forEach(function (k) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "review-mark__btn";
        btn.setAttribute("data-mark", k[0]);
        btn.textContent = k[1];
        btn.addEventListener("click", function () { setMark(heading.id, k[0]); refresh(bar); });
        bar.appendChild(btn);
      });
      var state = document.createElement("span");
      state.className = "review-mark__state";
      state.setAttribute("role", "status");
      var link = document.createElement("a");
      link.className = "review-mark__link";
      link.href = review;
      link.textContent = "去复习";
      bar.append(state, link);
      tip.after(bar);
      refresh(bar);
    });
  }
  function onPage() {
    var data = document.getElementById("review-redirects");
    if (data) {
      var map = {}, byNew = JSON.parse(data.textContent);
      Object.keys(byNew).forEach(function (now) { byNew[now].forEach(function (old) { map[old] = now; }); });
      migrate(map);
    }
    bars();
    if (document.getElementById("review-app") && !document.getElementById("review-page-js")) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = new URL("../stylesheets/review-page.css", script.src).href;
      document.head.appendChild(css);
      var s = document.createElement("script");
      s.id = "review-page-js";
      s.src = new URL("review-page.js", script.src).href;
      document.head.appendChild(s);
    }
  }
  new MutationObserver(bars).observe(document.documentElement, {attributes: true, attributeFilter: ["class"]});
  window.addEventListener("storage", function (ev) {
    if (ev.key !== KEY) return;
    document.querySelectorAll(".review-mark").forEach(refresh);
    listeners.forEach(function (fn) { fn(); });
  });
  /* Printing opens the collapsed references; they close again afterwards. */
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; d.setAttribute("data-print-opened", ""); });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-print-opened]").forEach(function (d) { d.open = false; d.removeAttribute("data-print-opened"); });
  });
  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(onPage);
  else document.addEventListener("DOMContentLoaded", onPage);
})();
