// Build-time MathJax 3 (CHTML): reads one JSON batch per line on stdin, writes one JSON line per batch.
//   request:  {"items": [["tex", display], ...]}  or  {"css": true}
//   response: {"html": ["<mjx-container ...>", ...], "errors": [null | "message", ...],
//              "widths": [width in em, ...]}  or  {"css": "..."}
// argv[2] is the MathJax es5 directory (from the PyPI package django-static-mathjax).
"use strict";
const path = require("path");
const readline = require("readline");

require(path.join(process.argv[2], "node-main.js")).init({
  loader: {load: ["input/tex", "output/chtml", "a11y/assistive-mml"]},
  tex: {packages: {"[-]": ["noundefined"]}},   // an unknown macro is an error, not red text
  chtml: {fontURL: "../vendor/mathjax/output/chtml/fonts/woff-v2", adaptiveCSS: false},
}).then((MathJax) => {
  const adaptor = MathJax.startup.adaptor;
  const rl = readline.createInterface({input: process.stdin, terminal: false});
  rl.on("line", (line) => {
    const req = JSON.parse(line);
    if (req.css) {
      process.stdout.write(JSON.stringify({css: adaptor.textContent(MathJax.chtmlStylesheet())}) + "\n");
      return;
    }
    const html = [], errors = [], widths = [];
    const doc = MathJax.startup.document;
    for (const [tex, display] of req.items) {
      let out, error = null, width = 0;
      try {
        MathJax.texReset();
        out = adaptor.outerHTML(MathJax.tex2chtml(tex, {display}));
        const m = out.match(/data-mjx-error="([^"]*)"/);
        if (m) error = m[1];
        // the formula's width in em, so the build knows which formulas overflow a phone's column (if
        // MathJax cannot measure one, about 0.6 em per glyph)
        try {
          MathJax.texReset();
          const item = new doc.options.MathItem(tex, doc.inputJax[0], display);
          item.setMetrics(16, 8, 1e6, 1e6, 1);
          item.compile(doc);
          width = doc.outputJax.getBBox(item, doc).w;
        } catch (measure) {
          width = 0.6 * (out.match(/<mjx-c /g) || []).length;
        }
      } catch (err) {
        out = out || "";
        error = error || String(err.message || err);
      }
      html.push(out);
      errors.push(error);
      widths.push(Math.round(width * 100) / 100);
    }
    process.stdout.write(JSON.stringify({html, errors, widths}) + "\n");
  });
}).catch((err) => {
  process.stderr.write("MathJax failed to start: " + err + "\n");
  process.exit(1);
});
