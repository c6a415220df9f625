// Search core shared by the browser (search.mjs) and the build (hooks/search_index.mjs): the same code
// cuts the index and the queries into terms, so they always agree.
//
// Terms. Text is NFKC-normalised and lower-cased, then split into runs of CJK and of Latin letters,
// digits and Greek; Latin/CJK boundaries always split ("ppo裁剪" is "ppo" + "裁剪").
//  * A CJK run loses its question words and particles (为什么, 怎么, 什么, 的, 吗 …: they never decide a
//    ranking), and what is left becomes overlapping character bigrams ("层归一化" -> 层归 归一 一化), so no
//    dictionary is needed on either side. Single characters are indexed for titles only.
//  * A Latin word yields itself; a word with inner punctuation also yields its parts and its joined form
//    ("UTF-8" -> utf, 8, utf8), a model name its letters and its number ("qwen3" -> qwen3, qwen, 3).
// Ranking: a heading bonus (title, and half for the breadcrumb) plus BM25F over the one-sentence answer,
// tags and aliases, and body; times the square of the share of the query a document covers, times a
// factor for the kind of section.

export const FORMAT = 1;
// title: the heading; context: the page title and, for a section, the question it belongs to (its
// breadcrumb); answer: the one-sentence answer; meta: tags, aliases and what the section holds; body.
export const FIELDS = ["title", "context", "answer", "meta", "body"];
export const FIELD_WEIGHT = [0, 0, 2.5, 1.5, 1];    // title and context are scored apart (TITLE_BONUS)
export const FIELD_B = [0.75, 0.75, 0.5, 0.5, 0.6];
export const CONTEXT_SHARE = 0.5;                   // a breadcrumb word counts half a heading word
export const TITLE_BONUS = 3;
export const K1 = 1.2;
export const MAX_QUERY = 200; // characters of a query that are read
// question (##), follow-up question (###), sub-section, page top, notebook section, topic index
export const KIND_FACTOR = {q: 1, f: 1, s: 0.95, p: 0.7, n: 0.55, i: 0.4};

const STOP_CJK = ["为什么", "是什么", "什么是", "怎么样", "怎么办", "怎么做", "怎么", "怎样", "什么", "如何",
  "哪些", "哪个", "哪里", "多少", "有没有", "是不是", "是否", "有哪些", "有什么", "请问", "一下", "关于",
  "的", "吗", "呢", "吧", "啊", "和", "与", "及", "或", "跟"];
const STOP_LATIN = new Set(["a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "is", "are", "vs",
  "what", "why", "how", "does", "do", "with", "between"]);
const STOP_RE = new RegExp(STOP_CJK.sort((a, b) => b.length - a.length).join("|"), "g");
const RUN = /([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff]+)|([a-z0-9\u0370-\u03ff]+(?:[._+\-'’][a-z0-9\u0370-\u03ff]+)*)/g;
const MODEL_NAME = /^([a-z]{3,})(\d+)$/;
const VERSION = /^(v)(\d+)$/;                      // "v2" also reads as "2" ("FlashAttention-2")
const CAMEL = /(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/;

export function normalize(text) {
  return String(text).normalize("NFKC").toLowerCase();
}

// Greek letters are also indexed by name, so "gamma" finds "γ".
const GREEK_NAMES = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
  "η": "eta", "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi",
  "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega"};
// Words that say what the reader wants to know about a subject (原理, 区别, 公式 …): at the end of a CJK
// run they count a quarter as much as the subject itself.
export const INTENT = new Set(["原理", "区别", "作用", "计算", "公式", "推导", "实现", "代码", "优点", "缺点",
  "方法", "流程", "过程", "介绍", "理解", "含义", "意义", "解释", "例子", "举例", "面试", "对比", "比较",
  "问题", "思路", "步骤", "用法", "场景", "本质", "直观", "概念", "定义", "总结", "影响", "解决", "办法", "处理",
  "缓解", "避免", "选择", "大小", "多大", "好处", "为啥", "干嘛", "啥是"]);

/**
 * Terms of a text with their query weights: [[term, weight], ...] in order, duplicates kept (they are
 * the index's term frequencies). A CJK run of L characters weighs 1 in all (each of its L-1 bigrams
 * 1/(L-1)), like one Latin word; parts, joined forms and adjacent-word joins weigh less.
 */
export function terms(text, {unigrams = false} = {}) {
  const out = [];
  let prevWord = null, prevEnd = -1;
  const cased = String(text).normalize("NFKC");
  const norm = cased.toLowerCase();
  const sameLength = cased.length === norm.length;
  for (const m of norm.matchAll(RUN)) {
    if (m[1]) {
      prevWord = null;
      for (const run of m[1].replace(STOP_RE, " ").split(" ")) {
        if (!run) continue;
        if (run.length === 1 || unigrams) for (const ch of run) out.push([ch, run.length === 1 ? 1 : 0.3]);
        for (let i = 0; i + 1 < run.length; i++) {
          const bigram = run.slice(i, i + 2);
          // an intent word ends a run ("moe原理", "训练流程"); inside one it is a word ("对比学习")
          const intent = i + 2 === run.length && INTENT.has(bigram);
          out.push([bigram, (intent ? 0.25 : 1) / (run.length - 1)]);
        }
      }
      continue;
    }
    const word = m[2];
    const parts = word.split(/[._+\-'’]/).filter(Boolean);
    const joined = parts.join("");
    if (parts.length === 1) {
      if (STOP_LATIN.has(word)) { prevWord = null; continue; }
      out.push([word, 1]);
      if (GREEK_NAMES[word]) out.push([GREEK_NAMES[word], 1]);
      const name = MODEL_NAME.exec(word) || VERSION.exec(word);
      if (name) out.push([name[1], 0.3], [name[2], 0.3]);
    } else {
      out.push([joined, 1]);
      for (const p of parts) if (!STOP_LATIN.has(p)) out.push([p, 0.5]);
    }
    // "FlashAttention" is also "flash" + "attention", "RMSNorm" also "rms" + "norm" (parts of 3+ letters)
    if (sameLength) {
      for (const part of cased.slice(m.index, m.index + word.length).split(/[._+\-'’]/)) {
        const camel = part.split(CAMEL).filter((c) => c.length >= 3);
        if (camel.length > 1) for (const c of camel) out.push([c.toLowerCase(), 0.5]);
      }
    }
    // "kv cache" is also "kvcache", "flash attention" also "flashattention": adjacent words, one space apart
    if (prevWord && /^ +$/.test(norm.slice(prevEnd, m.index)) && prevWord.length <= 10 && joined.length <= 12) {
      out.push([prevWord + joined, 1]);
    }
    prevWord = joined;
    prevEnd = m.index + word.length;
  }
  return out;
}

/** FNV-1a over UTF-16 code units: which shard holds a term. */
export function shardOf(term, shards) {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    h ^= term.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}

export const isLatin = (term) => /^[a-z0-9\u0370-\u03ff]+$/.test(term);

/** Which vocabulary file holds a Latin term: its first character (digits and Greek share "_"). */
export const vocabKey = (term) => (/^[a-z]/.test(term) ? term[0] : "_");

/** The vocabulary files a query needs: those of its Latin words' first characters. */
export function vocabKeys(query) {
  return [...new Set((normalize(query).slice(0, MAX_QUERY).match(/[a-z0-9\u0370-\u03ff]+/g) || []).map(vocabKey))];
}

/** Edit distance with adjacent transpositions (optimal string alignment), giving up past `max`. */
export function editDistance(a, b, max) {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows = [Array.from({length: b.length + 1}, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(rows[i - 1][j] + 1, cur[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      cur[j] = d;
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    rows.push(cur);
  }
  return rows[a.length][b.length];
}

const has = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * Plan a query: groups of alternative terms, each group with a weight. A Latin term the index lacks is
 * completed as a prefix (the reader may still be typing) or corrected to a word within one edit (two
 * for words of seven letters or more). `vocab` is {term: df} for the Latin terms of the index.
 */
export function plan(query, vocab) {
  const text = normalize(query).slice(0, MAX_QUERY);
  const typing = !/\s$/.test(text);
  const seen = new Map();
  for (const [term, weight] of terms(text)) seen.set(term, Math.max(weight, seen.get(term) || 0));
  // the word being typed: the query's last Latin word, and its join with the word before it
  const words = [...text.matchAll(/[a-z0-9\u0370-\u03ff]+/g)].map((m) => m[0]);
  const endsLatin = /[a-z0-9\u0370-\u03ff]$/.test(text);
  const partial = typing && endsLatin && words.length ? new Set([words[words.length - 1],
    words.length > 1 ? words[words.length - 2] + words[words.length - 1] : ""]) : new Set();
  const groups = [];
  for (const [term, weight] of seen) {
    const alts = [[term, 1]];
    if (isLatin(term) && vocab) {
      const known = has(vocab, term);
      if (partial.has(term) && term.length >= 2) {
        const more = Object.keys(vocab).filter((v) => v !== term && v.startsWith(term))
          .sort((a, b) => vocab[b] - vocab[a]).slice(0, 6);
        for (const v of more) alts.push([v, known ? 0.5 : 0.8]);
      }
      if (!known && alts.length === 1 && term.length >= 4 && !/^\d+$/.test(term)) {
        const max = term.length >= 7 ? 2 : 1;
        const near = Object.keys(vocab)
          .map((v) => [v, editDistance(term, v, max)]).filter(([, d]) => d <= max)
          .sort((a, b) => a[1] - b[1] || vocab[b[0]] - vocab[a[0]]).slice(0, 3);
        for (const [v, d] of near) alts.push([v, d === 1 ? 0.8 : 0.6]);
      }
    }
    groups.push({weight, alts});
  }
  return groups;
}

/**
 * Rank documents. `lookup(term)` returns [postings, cohesion]: the posting list [doc, packed tf, doc,
 * packed tf, ...] (doc ids delta-encoded; packed tf = 4 bits per field, FIELDS order) or undefined, and for a CJK bigram
 * how often it is a word rather than two pieces of neighbouring words (0..1; "温度" 1, "度越" 0), which
 * scales its weight. `index` has n, lens (5 per doc), avg (5), kinds (one letter per doc). Every group a
 * document matches adds its score; the total is multiplied by the square of the query weight the document
 * covers and by its kind's factor. Returns [[doc, score], ...] best first.
 */
export function rank(groups, lookup, index, limit = 20) {
  const {n, lens, avg, kinds} = index;
  const scores = new Map();
  let total = 0;
  for (const group of groups) {
    const best = new Map();
    let weight = group.weight;
    for (const [term, altWeight] of group.alts) {
      const [list, cohesion = 1] = lookup(term);
      if (altWeight === 1) weight *= 0.2 + 0.8 * cohesion;
      if (!list) continue;
      const df = list.length / 2;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      let doc = 0;
      for (let i = 0; i < list.length; i += 2) {
        doc += list[i];
        const packed = list[i + 1];
        let tf = 0;
        for (let f = 2; f < 5; f++) {
          const raw = (packed >> (4 * f)) & 15;
          if (raw) tf += FIELD_WEIGHT[f] * raw / (1 - FIELD_B[f] + FIELD_B[f] * lens[5 * doc + f] / avg[f]);
        }
        // headings count on their own (present or not): a long body must not drown a heading that names
        // the subject, and a word repeated in a heading is not more relevant
        let t = 0;
        if (packed & 15) t += 1 / (1 - FIELD_B[0] + FIELD_B[0] * lens[5 * doc] / avg[0]);
        if (packed & 240) t += CONTEXT_SHARE / (1 - FIELD_B[1] + FIELD_B[1] * lens[5 * doc + 1] / avg[1]);
        const s = idf * altWeight * (TITLE_BONUS * t / (0.5 + t) + tf * (K1 + 1) / (K1 + tf));
        if (s > (best.get(doc) || 0)) best.set(doc, s);
      }
    }
    total += weight;
    for (const [doc, s] of best) {
      const acc = scores.get(doc) || [0, 0];
      acc[0] += weight * s;
      acc[1] += weight;
      scores.set(doc, acc);
    }
  }
  const out = [];
  for (const [doc, [s, covered]] of scores) {
    const share = total ? covered / total : 0;
    out.push([doc, s * share * share * (KIND_FACTOR[kinds[doc]] || 0.5)]);
  }
  out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return out.slice(0, limit);
}

// --- TeX to readable text (previews and indexing) -------------------------------------------------

const GREEK = {alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
  eta: "η", theta: "θ", vartheta: "θ", iota: "ι", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ",
  pi: "π", rho: "ρ", sigma: "σ", tau: "τ", upsilon: "υ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ",
  omega: "ω", Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Xi: "Ξ", Pi: "Π", Sigma: "Σ", Phi: "Φ",
  Psi: "Ψ", Omega: "Ω", ell: "ℓ"};
const SYMBOL = {cdot: "·", times: "×", div: "÷", pm: "±", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠",
  neq: "≠", approx: "≈", sim: "∼", propto: "∝", infty: "∞", to: "→", rightarrow: "→", leftarrow: "←",
  Rightarrow: "⇒", mapsto: "↦", in: "∈", notin: "∉", subset: "⊂", subseteq: "⊆", cup: "∪", cap: "∩",
  odot: "⊙", otimes: "⊗", oplus: "⊕", partial: "∂", nabla: "∇", sum: "Σ", prod: "Π", int: "∫",
  forall: "∀", exists: "∃", ldots: "…", cdots: "…", dots: "…", top: "ᵀ", prime: "′", circ: "∘",
  langle: "⟨", rangle: "⟩", lVert: "‖", rVert: "‖", Vert: "‖", mid: "|", vert: "|", lfloor: "⌊",
  rfloor: "⌋", lceil: "⌈", rceil: "⌉", star: "⋆", ast: "∗", neg: "¬", land: "∧", lor: "∨", emptyset: "∅",
  log: "log", ln: "ln", exp: "exp", max: "max", min: "min", arg: "arg", sin: "sin", cos: "cos",
  tanh: "tanh", det: "det", lim: "lim", sup: "sup", inf: "inf", Pr: "Pr", operatorname: "", mathrm: "",
  mathbf: "", mathit: "", mathsf: "", mathtt: "", boldsymbol: "", text: "", textrm: "", textbf: "",
  mathcal: "", mathbb: "", displaystyle: "", left: "", right: "", big: "", Big: "", bigl: "", bigr: "",
  Bigl: "", Bigr: "", bigg: "", Bigg: "", quad: " ", qquad: " ", ",": " ", ";": " ", ":": " ", "!": "",
  " ": " ", "{": "{", "}": "}", "%": "%", "_": "_", "#": "#", "&": "&", "|": "‖", limits: "", nolimits: ""};
const SUP = {"0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸",
  "9": "⁹", "+": "⁺", "-": "⁻", "n": "ⁿ", "i": "ⁱ", "T": "ᵀ", "(": "⁽", ")": "⁾"};
const SUB = {"0": "₀", "1": "₁", "2": "₂", "3": "₃", "4": "₄", "5": "₅", "6": "₆", "7": "₇", "8": "₈",
  "9": "₉", "+": "₊", "-": "₋", "i": "ᵢ", "j": "ⱼ", "k": "ₖ", "t": "ₜ", "n": "ₙ", "m": "ₘ", "(": "₍", ")": "₎"};
const ACCENT = {hat: "\u0302", widehat: "\u0302", tilde: "\u0303", widetilde: "\u0303", bar: "\u0304",
  overline: "\u0304", vec: "\u20d7", dot: "\u0307"};

// an argument that reads as one symbol needs no parentheses: "√dₖ", "a/b", but "(a+b)/2"
const wrap = (x) => (/^[A-Za-z0-9.\u0370-\u03ff\u2070-\u209f√ᵀ′]+$/.test(x) ? x : `(${x})`);

/** A readable, plain-text rendering of a TeX formula ("\\sqrt{d_k}" -> "√dₖ"). */
export function texToText(tex) {
  let i = 0;
  const s = String(tex);
  function group() {            // the next argument: {...} or one token
    while (s[i] === " ") i++;
    if (s[i] === "{") {
      i++;
      const out = seq("}");
      i++;
      return out;
    }
    return atom();
  }
  function script(map, mark) {
    const g = group();
    const chars = [...g];
    if (chars.length === 1 && (g === "ᵀ" || g === "′" || g === "∗" || g === "⋆")) return g;
    if (chars.length && chars.every((c) => map[c])) return chars.map((c) => map[c]).join("");
    return chars.length === 1 ? mark + g : `${mark}(${g})`;
  }
  function atom() {
    const c = s[i];
    if (c === undefined) return "";
    if (c === "\\") {
      const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i));
      i += m[0].length;
      const name = m[1];
      if (name === "frac" || name === "dfrac" || name === "tfrac") {
        const a = group(), b = group();
        return `${wrap(a)}/${wrap(b)}`;
      }
      if (name === "sqrt") {
        if (s[i] === "[") { const end = s.indexOf("]", i); i = end + 1; }
        return `√${wrap(group())}`;
      }
      if (name === "text" || name === "textrm" || name === "textbf" || name === "mbox") {
        while (s[i] === " ") i++;
        if (s[i] !== "{") return atom();
        let depth = 0, j = i;
        for (; j < s.length; j++) {
          if (s[j] === "{") depth++;
          else if (s[j] === "}" && --depth === 0) break;
        }
        const raw = s.slice(i + 1, j);
        i = j + 1;
        return raw;
      }
      if (name in ACCENT) return group() + ACCENT[name];
      if (name === "mathbb" || name === "mathcal" || name === "mathrm" || name === "mathbf"
          || name === "operatorname" || name === "boldsymbol" || name === "mathit" || name === "mathsf") return group();
      if (name in GREEK) return GREEK[name];
      if (name in SYMBOL) return SYMBOL[name];
      if (name === "begin" || name === "end") { group(); return " "; }
      if (name === "\\") return " ";   // a line break of an aligned block
      return name;
    }
    i++;
    if (c === "^") return script(SUP, "^");
    if (c === "_") return script(SUB, "_");
    if (c === "{") { const out = seq("}"); i++; return out; }
    if (c === "&" || c === "~") return " ";
    if (c === " " || c === "\n") return "";   // spaces in math are not typeset
    return c;
  }
  function seq(end) {
    let out = "";
    while (i < s.length && s[i] !== end) out += atom();
    return out;
  }
  return seq(undefined).replace(/\\\\/g, " ").replace(/\s+/g, " ").trim();
}
