/* The review page (review/): the questions due, in Leitner order, filterable by topic and tag, with a
   flash-card round (reveal, mark, next: keys Space, 1, 2, →), progress per topic, export / import of the
   marks as a small JSON file, and the marks whose question no longer exists. Loaded by review.js only on
   this page; the question list comes from assets/review-index.json (hooks/cards.py). */
(function () {
  "use strict";
  var R = window.baguReview;
  var root = document.getElementById("review-app");
  if (!R || !root || root.getAttribute("data-state") === "ready") return;
  var FORMAT = "bagu-review";
  var MAX_IMPORT = 1024 * 1024;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (attrs[k] === true) node.setAttribute(k, "");
      else if (attrs[k] !== false && attrs[k] != null) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.append(c); });
    return node;
  }
  function kbd(key) { return el("kbd", {text: key, "aria-hidden": "true"}); }
  function dateOf(day) { return new Date(day * 86400000).toISOString().slice(0, 10); }

  var index = null;        // {topics, tags, pages, questions, redirects}
  var byId = {};           // id -> question
  var filter = {topic: "", tag: ""};
  var round = null;        // {queue, at, revealed, know, again}
  var ui = {};

  /* ---- The question list, ordered by the schedule ------------------------------------------ */
  function questions() {
    return index.questions.filter(function (q) {
      return (!filter.topic || String(q.topic) === filter.topic) && (!filter.tag || q.tags.indexOf(Number(filter.tag)) >= 0);
    });
  }
  function plan() {
    var marks = R.load(), day = R.today(), due = [], fresh = [], later = [];
    questions().forEach(function (q) {
      var m = marks[q.id];
      if (!m) fresh.push(q);
      else if (m.d <= day) due.push(q);
      else later.push(q);
    });
    // most overdue first, then the lower box (the less known), then nav order
    due.sort(function (a, b) {
      var ma = marks[a.id], mb = marks[b.id];
      return ma.d - mb.d || ma.b - mb.b || a.n - b.n;
    });
    later.sort(function (a, b) { return marks[a.id].d - marks[b.id].d || a.n - b.n; });
    return {due: due, fresh: fresh, later: later, marks: marks, day: day};
  }
  function link(q) { return new URL(index.pages[q.page][0] + "#" + q.id, R.base).href; }
  function topicName(q) { return index.topics[q.topic]; }

  /* ---- Rendering ----------------------------------------------------------------------------- */
  function renderSummary(p) {
    var parts = ["到期 " + p.due.length + " 题", "新题 " + p.fresh.length + " 题", "未到期 " + p.later.length + " 题"];
    if (p.later.length) {
      var first = p.marks[p.later[0].id].d - p.day;
      parts.push("最近一题 " + (first === 1 ? "明天" : first + " 天后") + "到期");
    }
    ui.summary.textContent = parts.join(" · ");
    var total = p.due.length + p.fresh.length;
    ui.start.textContent = total ? "开始复习（" + total + " 题）" : "没有要复习的题目";
    ui.start.disabled = !total;
  }
  function item(q, p, kind) {
    var m = p.marks[q.id];
    var meta = topicName(q) + " · " + (kind === "fresh" ? "新题" : kind === "due"
      ? (m.b === 0 ? "再看看" : "盒子 " + m.b) + (m.d < p.day ? " · 已过期 " + (p.day - m.d) + " 天" : " · 今天到期")
      : "盒子 " + m.b + " · " + dateOf(m.d) + " 到期");
    return el("li", {}, [el("a", {href: link(q), text: q.title}), el("span", {class: "review-list__meta", text: meta})]);
  }
  function renderLists(p) {
    ui.dueList.replaceChildren.apply(ui.dueList, p.due.map(function (q) { return item(q, p, "due"); }));
    ui.dueEmpty.hidden = p.due.length > 0;
    ui.dueList.hidden = !p.due.length;
    ui.freshList.replaceChildren.apply(ui.freshList, p.fresh.map(function (q) { return item(q, p, "fresh"); }));
    ui.freshCount.textContent = "新题（" + p.fresh.length + "）";
    ui.freshBox.hidden = !p.fresh.length;
    ui.laterList.replaceChildren.apply(ui.laterList, p.later.map(function (q) { return item(q, p, "later"); }));
    ui.laterCount.textContent = "未到期（" + p.later.length + "）";
    ui.laterBox.hidden = !p.later.length;
  }
  function renderProgress(p) {
    var marks = p.marks, rows = index.topics.map(function (name, t) {
      var qs = index.questions.filter(function (q) { return q.topic === t; });
      var know = 0, again = 0, due = 0;
      qs.forEach(function (q) {
        var m = marks[q.id];
        if (!m) return;
        if (m.b === 0) again++; else know++;
        if (m.d <= p.day) due++;
      });
      var bar = el("progress", {max: qs.length, value: know, "aria-label": name + "：会了 " + know + " / " + qs.length});
      return el("tr", {}, [
        el("th", {scope: "row", text: name}),
        el("td", {}, [bar, el("span", {class: "review-progress__n", text: " " + know + " / " + qs.length})]),
        el("td", {text: String(again)}), el("td", {text: String(qs.length - know - again)}), el("td", {text: String(due)})
      ]);
    });
    ui.progress.replaceChildren.apply(ui.progress, rows);
  }
  function renderMissing() {
    var marks = R.load();
    var gone = Object.keys(marks).filter(function (id) { return !byId[id]; }).sort();
    ui.missing.hidden = !gone.length;
    ui.missingList.replaceChildren.apply(ui.missingList, gone.map(function (id) {
      var m = marks[id];
      return el("li", {}, [el("code", {text: id}),
        el("span", {class: "review-list__meta", text: (m.b === 0 ? "再看看" : "会了") + " · 最后标记 " + new Date(m.t).toISOString().slice(0, 10)})]);
    }));
    return gone;
  }
  function renderNotice() {
    var text = R.notice();
    ui.notice.hidden = !text;
    if (ui.notice.textContent !== text) ui.notice.textContent = text;
  }
  function render() {
    var p = plan();
    renderSummary(p);
    renderLists(p);
    renderProgress(p);
    renderMissing();
    renderNotice();
    return p;
  }

  /* ---- The round: reveal, mark, next ------------------------------------------------------ */
  function showCard() {
    var q = round.queue[round.at];
    if (!q) {
      ui.cardMeta.textContent = "本轮完成";
      ui.cardQ.textContent = "会了 " + round.know + " 题，再看看 " + round.again + " 题。";
      ui.answer.hidden = true;
      ui.reveal.hidden = ui.know.hidden = ui.again.hidden = ui.skip.hidden = true;
      ui.stop.textContent = "";
      ui.stop.append("返回列表 ", kbd("Esc"));
      ui.cardQ.focus();
      render();
      return;
    }
    var m = R.load()[q.id];
    ui.cardMeta.textContent = "第 " + (round.at + 1) + " / " + round.queue.length + " 题 · " + topicName(q) + " · " +
      (m ? (m.b === 0 ? "再看看" : "盒子 " + m.b) : "新题");
    ui.cardQ.textContent = q.title;
    ui.answerText.textContent = q.answer || "（这道题没有一句话回答，请看完整答案）";
    ui.answerLink.href = link(q);
    round.revealed = false;
    ui.answer.hidden = true;
    ui.reveal.hidden = ui.skip.hidden = false;
    ui.know.hidden = ui.again.hidden = true;
    ui.reveal.setAttribute("aria-expanded", "false");
    ui.cardQ.focus({preventScroll: true});
  }
  function reveal() {
    if (!round || round.revealed || !round.queue[round.at]) return;
    round.revealed = true;
    ui.answer.hidden = false;
    ui.reveal.hidden = true;
    ui.reveal.setAttribute("aria-expanded", "true");
    ui.know.hidden = ui.again.hidden = false;
    ui.cardQ.focus({preventScroll: true});
  }
  function mark(kind) {
    var q = round && round.queue[round.at];
    if (!q || !round.revealed) return;
    R.setMark(q.id, kind);
    round[kind] += 1;
    round.at += 1;
    renderNotice();
    showCard();
  }
  function skip() {
    if (!round || !round.queue[round.at]) return;
    round.at += 1;
    showCard();
  }
  function start() {
    var p = plan();
    round = {queue: p.due.concat(p.fresh), at: 0, revealed: false, know: 0, again: 0};
    ui.stop.textContent = "";
    ui.stop.append("结束 ", kbd("Esc"));
    ui.card.hidden = false;
    ui.lists.hidden = true;
    root.classList.add("review-app--round");
    showCard();
    ui.card.scrollIntoView({block: "start"});
  }
  function stop() {
    if (!round) return;
    round = null;
    ui.card.hidden = true;
    ui.lists.hidden = false;
    root.classList.remove("review-app--round");
    render();
    ui.start.focus();
  }
  function onKey(ev) {
    if (!round || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var onControl = t && /^(BUTTON|A)$/.test(t.tagName);
    if ((ev.key === " " || ev.key === "Enter") && !onControl) { ev.preventDefault(); reveal(); }
    else if (ev.key === "1" || ev.key === "y") { ev.preventDefault(); mark("know"); }
    else if (ev.key === "2" || ev.key === "n") { ev.preventDefault(); mark("again"); }
    else if (ev.key === "ArrowRight" || ev.key === "j") { ev.preventDefault(); skip(); }
    else if (ev.key === "Escape") { ev.preventDefault(); stop(); }
  }

  /* ---- Export / import ----------------------------------------------------------------------- */
  function say(text, bad) {
    ui.io.className = "review-io__msg" + (bad ? " review-io__msg--error" : "");
    ui.io.textContent = text;
  }
  function exportMarks() {
    var marks = R.load();
    var data = {format: FORMAT, version: 1, exported: new Date().toISOString(), marks: marks};
    var blob = new Blob([JSON.stringify(data, null, 1)], {type: "application/json"});
    var a = el("a", {href: URL.createObjectURL(blob), download: "bagu-review-" + dateOf(R.today()) + ".json"});
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    say("已导出 " + Object.keys(marks).length + " 条记录。");
  }
  /* The marks of an exported file, or an Error saying what is wrong with it. */
  function parseImport(text) {
    var data;
    try { data = JSON.parse(text); } catch (e) { throw new Error("文件不是合法的 JSON（" + e.message + "）"); }
    if (!data || typeof data !== "object" || Array.isArray(data) || data.format !== FORMAT) {
      throw new Error("这不是八股笔记导出的复习记录（缺少 \"format\": \"" + FORMAT + "\"）");
    }
    if (data.version !== 1) throw new Error("记录的版本 " + JSON.stringify(data.version) + " 不受支持（只支持 1）");
    var marks = data.marks;
    if (!marks || typeof marks !== "object" || Array.isArray(marks)) throw new Error("记录里没有 marks 对象");
    var ids = Object.keys(marks);
    for (var i = 0; i < ids.length; i++) {
      if (!R.ID.test(ids[i])) throw new Error("第 " + (i + 1) + " 条的 id " + JSON.stringify(ids[i].slice(0, 60)) + " 不是本站的题目 id");
      if (!R.validMark(marks[ids[i]])) throw new Error("第 " + (i + 1) + " 条（" + ids[i] + "）的内容格式不对");
    }
    return marks;
  }
  function importFile(file) {
    if (!file) return;
    if (file.size > MAX_IMPORT) {
      say("导入失败：文件有 " + Math.round(file.size / 1024) + " KiB，复习记录不会超过 1 MiB。现有记录没有改动。", true);
      return;
    }
    file.text().then(function (text) {
      var incoming;
      try { incoming = parseImport(text); } catch (err) {
        say("导入失败：" + err.message + "。现有记录没有改动。", true);
        return;
      }
      var marks = R.load(), added = 0, newer = 0, kept = 0;
      Object.keys(incoming).forEach(function (id) {
        var mine = marks[id];
        if (!mine) { marks[id] = incoming[id]; added++; }
        else if (incoming[id].t > mine.t) { marks[id] = incoming[id]; newer++; }
        else kept++;
      });
      R.save(marks);
      var moved = R.migrate(index.redirects);
      render();
      say("已导入 " + (added + newer) + " 条记录（新增 " + added + "，更新 " + newer + "，保留本机较新的 " + kept + " 条" +
          (moved ? "，" + moved + " 条按重定向改到新 id" : "") + "）。");
    }, function () { say("导入失败：文件读不出来。现有记录没有改动。", true); });
  }
  function forgetMissing() {
    var marks = R.load();
    var gone = Object.keys(marks).filter(function (id) { return !byId[id]; });
    gone.forEach(function (id) { delete marks[id]; });
    R.save(marks);
    render();
    say("已删除 " + gone.length + " 条找不到题目的记录。");
    ui.exportBtn.focus();
  }

  /* ---- Building the page --------------------------------------------------------------------- */
  function options(select, first, names) {
    select.append(el("option", {value: "", text: first}));
    names.forEach(function (n) { select.append(el("option", {value: String(n[0]), text: n[1]})); });
  }
  function build() {
    ui.notice = el("p", {class: "review-notice", role: "alert", hidden: true});
    ui.topic = el("select", {id: "review-topic"});
    ui.tag = el("select", {id: "review-tag"});
    options(ui.topic, "全部专题", index.topics.map(function (t, i) { return [i, t]; }));
    var usedTags = {};
    index.questions.forEach(function (q) { q.tags.forEach(function (t) { usedTags[t] = (usedTags[t] || 0) + 1; }); });
    options(ui.tag, "全部标签", Object.keys(usedTags).map(Number).sort(function (a, b) {
      return index.tags[a].localeCompare(index.tags[b], "zh");
    }).map(function (t) { return [t, index.tags[t] + "（" + usedTags[t] + "）"]; }));
    [ui.topic, ui.tag].forEach(function (s) {
      s.addEventListener("change", function () { filter.topic = ui.topic.value; filter.tag = ui.tag.value; render(); });
    });
    ui.summary = el("p", {class: "review-summary", "aria-live": "polite"});
    ui.start = el("button", {type: "button", class: "md-button md-button--primary review-start"});
    ui.start.addEventListener("click", start);

    ui.cardMeta = el("p", {class: "review-card__meta"});
    ui.cardQ = el("h2", {class: "review-card__q", id: "review-card-q", tabindex: "-1"});
    ui.answerText = el("p", {class: "review-card__text"});
    ui.answerLink = el("a", {text: "看完整答案"});
    ui.answer = el("div", {class: "review-card__answer", id: "review-card-answer", hidden: true, "aria-live": "polite"},
      [el("p", {class: "review-card__label", text: "一句话回答"}), ui.answerText, el("p", {}, [ui.answerLink])]);
    ui.reveal = el("button", {type: "button", class: "md-button md-button--primary review-reveal", "aria-controls": "review-card-answer",
      "aria-expanded": "false"}, ["显示答案 ", kbd("空格")]);
    ui.know = el("button", {type: "button", class: "md-button md-button--primary review-know", hidden: true}, ["会了 ", kbd("1")]);
    ui.again = el("button", {type: "button", class: "md-button review-again", hidden: true}, ["再看看 ", kbd("2")]);
    ui.skip = el("button", {type: "button", class: "md-button review-skip"}, ["跳过 ", kbd("→")]);
    ui.stop = el("button", {type: "button", class: "md-button review-stop"}, ["结束 ", kbd("Esc")]);
    ui.reveal.addEventListener("click", reveal);
    ui.know.addEventListener("click", function () { mark("know"); });
    ui.again.addEventListener("click", function () { mark("again"); });
    ui.skip.addEventListener("click", skip);
    ui.stop.addEventListener("click", stop);
    ui.card = el("section", {class: "review-card", "aria-labelledby": "review-card-q", hidden: true}, [
      ui.cardMeta, ui.cardQ, ui.answer,
      el("div", {class: "review-card__actions"}, [ui.reveal, ui.know, ui.again, ui.skip, ui.stop]),
      el("p", {class: "review-card__keys", text: "键盘：空格键显示答案，1 会了，2 再看看，→ 跳过，Esc 结束。"})
    ]);

    ui.dueList = el("ol", {class: "review-list", id: "review-due"});
    ui.dueEmpty = el("p", {class: "review-empty", text: "现在没有到期的题目。"});
    ui.freshCount = el("summary");
    ui.freshList = el("ol", {class: "review-list", id: "review-fresh"});
    ui.freshBox = el("details", {class: "review-more"}, [ui.freshCount, ui.freshList]);
    ui.laterCount = el("summary");
    ui.laterList = el("ol", {class: "review-list", id: "review-later"});
    ui.laterBox = el("details", {class: "review-more"}, [ui.laterCount, ui.laterList]);
    ui.progress = el("tbody");
    var table = el("table", {}, [
      el("thead", {}, [el("tr", {}, ["专题", "会了", "再看看", "未学", "到期"].map(function (h) { return el("th", {scope: "col", text: h}); }))]),
      ui.progress]);
    ui.io = el("p", {class: "review-io__msg", role: "status"});
    ui.exportBtn = el("button", {type: "button", class: "md-button"}, ["导出记录"]);
    ui.importBtn = el("button", {type: "button", class: "md-button"}, ["导入记录"]);
    ui.file = el("input", {type: "file", accept: ".json,application/json", hidden: true, id: "review-import", "aria-label": "选择要导入的记录文件"});
    ui.exportBtn.addEventListener("click", exportMarks);
    ui.importBtn.addEventListener("click", function () { ui.file.click(); });
    ui.file.addEventListener("change", function () { importFile(ui.file.files[0]); ui.file.value = ""; });
    ui.missingList = el("ul", {class: "review-list", id: "review-missing-list"});
    var forget = el("button", {type: "button", class: "md-button"}, ["删除这些记录"]);
    forget.addEventListener("click", forgetMissing);
    ui.missing = el("section", {class: "review-missing", "aria-labelledby": "review-missing-h", hidden: true}, [
      el("h2", {id: "review-missing-h", text: "找不到的题目"}),
      el("p", {text: "这些记录的题目已经删除或改了 id，而且没有重定向；记录仍然保留，确认不再需要时可以删除。"}),
      ui.missingList, forget]);

    ui.lists = el("div", {class: "review-lists"}, [
      el("h2", {id: "review-due-h", text: "到期的题目"}), ui.dueEmpty, ui.dueList, ui.freshBox, ui.laterBox,
      el("h2", {id: "review-progress-h", text: "各专题进度"}),
      el("div", {class: "review-table table-scroll", role: "group", "aria-labelledby": "review-progress-h", tabindex: "0"}, [table]),
      el("h2", {id: "review-io-h", text: "导出与导入"}),
      el("p", {text: "标记只保存在这个浏览器里。换设备或清理浏览器数据之前，先导出成一个小 JSON 文件；导入时与本机记录合并，同一道题保留较新的标记。"}),
      el("div", {class: "review-io"}, [ui.exportBtn, ui.importBtn, ui.file]), ui.io,
      ui.missing]);

    root.replaceChildren(ui.notice,
      el("div", {class: "review-filters"}, [
        el("label", {class: "review-field", for: "review-topic"}, [el("span", {text: "专题"}), ui.topic]),
        el("label", {class: "review-field", for: "review-tag"}, [el("span", {text: "标签"}), ui.tag])]),
      ui.summary, el("div", {class: "review-start-row"}, [ui.start]), ui.card, ui.lists);
    document.addEventListener("keydown", onKey);
    R.onChange(function () { if (!round) render(); else renderNotice(); });
  }

  function fail(text) {
    root.setAttribute("data-state", "error");
    root.replaceChildren(el("p", {class: "review-notice", role: "alert", text: text}));
  }
  fetch(new URL("assets/review-index.json", R.base).href).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (data) {
    var pages = data.pages;
    index = {topics: data.topics, tags: data.tags, pages: pages, redirects: data.redirects || {},
      questions: data.questions.map(function (row, n) {
        return {id: row[0], page: row[1], title: row[2], answer: row[3], topic: pages[row[1]][2], tags: pages[row[1]][3], n: n};
      })};
    index.questions.forEach(function (q) { byId[q.id] = q; });
    R.load();
    R.migrate(index.redirects);
    build();
    render();
    root.setAttribute("data-state", "ready");
  }).catch(function (err) {
    fail("题目列表加载失败（" + err.message + "），请刷新页面重试。");
  });
})();
