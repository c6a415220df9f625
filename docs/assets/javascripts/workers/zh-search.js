/* Search worker wrapper: segments Chinese queries into words before Material's lunr worker sees them.
   The index text is segmented by jieba at build time (words separated by U+200B); the reader's query
   ("层归一化", "矩阵吸收") arrives as one unbroken run of characters, so here it is split into words with
   the browser's Intl.Segmenter. Loaded instead of Material's worker by overrides/main.html. */
(function () {
  "use strict";
  var segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("zh", {granularity: "word"}) : null;
  var HAN = /[\u3400-\u9fff\uf900-\ufaff]/;

  function segment(query) {
    if (!segmenter || !HAN.test(query)) return query;
    return query.split(/(\s+|"[^"]*")/).map(function (part) {
      if (!HAN.test(part) || part.charAt(0) === '"') return part;
      var words = [];
      for (var s of segmenter.segment(part)) if (s.segment.trim()) words.push(s.segment);
      return words.join(" ");
    }).join("");
  }

  self.addEventListener("message", function (ev) {
    var msg = ev.data;
    if (msg && typeof msg.data === "string") msg.data = segment(msg.data);
  });

  var material = new URL(self.location.href).searchParams.get("material");
  importScripts(material);
})();
