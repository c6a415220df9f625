// Build the site's search index (hooks/search.py runs this with Node after the build).
//   stdin:  {"docs": [{page, anchor, title, parent, context, answer, meta, body, kind}], "pages": [[url, title]],
//            "aliases": [["ttft", "首字延迟", ...], ...], "cohesion": {bigram: share inside one word}}
//           formulas inside the texts are wrapped as \u0002TeX\u0003
//   argv[2]: output directory (site/search); writes manifest.json, v<c>.json (the Latin vocabulary by
//            first character), t<k>.json (term shards) and d<k>.json (document chunks)
//   stdout: one JSON line of figures (documents, terms, shards, bytes)
// The terms come from search-core.mjs, the module the browser uses for queries.
import {readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {FORMAT, terms, shardOf, isLatin, normalize, texToText, vocabKey} from "../docs/assets/javascripts/search-core.mjs";

const DOC_CHUNK = 64;            // documents per d<k>.json
const SHARD_BYTES = 48 * 1024;   // aim for term shards of about this much JSON (~12 KiB gzipped)
const PREVIEW = 110;             // characters of a preview

const input = JSON.parse(readFileSync(0, "utf8"));
const out = process.argv[2];
mkdirSync(out, {recursive: true});
for (const f of readdirSync(out)) if (/^(manifest|vocab|[td]\d+|v\w+)\.json$/.test(f)) rmSync(join(out, f));

const TEX = /\u0002([^\u0003]*)\u0003/g;
const readable = (text) => (text || "").replace(TEX, (_, tex) => texToText(tex)).replace(/\s+/g, " ").trim();
const withoutMath = (text) => (text || "").replace(TEX, " ");

// Aliases: a document that writes one member of a group gets the others in its "meta" field, so a reader
// finds it in either language. Members are matched in the prose, never inside formulas (ln is not LN).
const aliasGroups = input.aliases.map((g) => g.map((m) => normalize(m)));
function memberPattern(member) {
  const esc = member.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/ /g, "\\s*");
  return /^[a-z0-9]/.test(member) ? new RegExp(`(^|[^a-z0-9])${esc}($|[^a-z0-9])`) : new RegExp(esc);
}
const aliasPatterns = aliasGroups.map((g) => g.map(memberPattern));
// members missing from `text` of every group with a member present in it
function aliasesIn(text) {
  const norm = normalize(withoutMath(text));
  const add = [];
  aliasGroups.forEach((group, gi) => {
    const present = aliasPatterns[gi].map((re) => re.test(norm));
    if (present.some(Boolean)) group.forEach((m, mi) => { if (!present[mi]) add.push(m); });
  });
  return add.join(" ");
}

// A title or answer that names a thing one way gets the other names in the same field (so an English
// query meets a Chinese heading as a heading); aliases of the prose go to "meta".
function fieldsOf(doc) {
  const same = (text) => `${readable(text)} ${aliasesIn(text)}`;
  return [same(doc.title), same(doc.context), same(doc.answer), `${doc.meta || ""} ${aliasesIn(doc.body)}`,
    readable(doc.body)];
}

const postings = new Map();      // term -> [[doc, packed]]
const lens = [];
const sums = [0, 0, 0, 0, 0];
const kinds = [];
const docs = [];
input.docs.forEach((doc, id) => {
  const fields = fieldsOf(doc);
  const tf = new Map();
  const counted = [0, 0, 0, 0, 0];
  fields.forEach((text, f) => {
    for (const [term, weight] of terms(text, {unigrams: f === 0})) {
      // a heading names "FlashAttention-3", not "FlashAttention": the parts and splits of a Latin word
      // in a heading, breadcrumb or answer count as meta, so an exact word in a heading ranks first
      const g = weight < 1 && f <= 2 && isLatin(term) ? 3 : f;
      const counts = tf.get(term) || [0, 0, 0, 0, 0];
      counts[g]++;
      counted[g]++;
      tf.set(term, counts);
    }
  });
  lens.push(...counted);
  counted.forEach((c, f) => { sums[f] += c; });
  for (const [term, counts] of tf) {
    const packed = counts.reduce((acc, c, f) => acc | (Math.min(c, 15) << (4 * f)), 0);
    if (!postings.has(term)) postings.set(term, []);
    postings.get(term).push([id, packed]);
  }
  kinds.push(doc.kind);
  const preview = readable(doc.answer) || readable(doc.body);
  docs.push([doc.page, doc.anchor || "", readable(doc.title), doc.parent ?? -1,
    preview.length > PREVIEW ? preview.slice(0, PREVIEW - 1) + "…" : preview]);
});

// a row names its parent question by title (the breadcrumb of a follow-up), so showing a result never
// needs a second document chunk
for (const row of docs) row[3] = row[3] >= 0 ? docs[row[3]][2] : "";
const n = docs.length;
const encode = (list) => {
  const flat = [];
  let prev = 0;
  for (const [doc, packed] of list) { flat.push(doc - prev, packed); prev = doc; }
  return flat;
};
let bytes = 0;
const encoded = new Map();
for (const [term, list] of postings) {
  const flat = encode(list);
  encoded.set(term, flat);
  bytes += term.length + 6 + JSON.stringify(flat).length;
}
let shards = 1;
while (bytes / shards > SHARD_BYTES) shards *= 2;
// a shard: {"p": {term: postings}, "c": {bigram: cohesion}} (cohesion only where it is below 1)
const shardData = Array.from({length: shards}, () => ({p: {}, c: {}}));
for (const term of [...encoded.keys()].sort()) {
  const shard = shardData[shardOf(term, shards)];
  shard.p[term] = encoded.get(term);
  if (term in input.cohesion) shard.c[term] = input.cohesion[term];
}
shardData.forEach((data, k) => writeFileSync(join(out, `t${k}.json`), JSON.stringify(data)));

const chunks = Math.ceil(n / DOC_CHUNK);
for (let k = 0; k < chunks; k++) {
  writeFileSync(join(out, `d${k}.json`), JSON.stringify(docs.slice(k * DOC_CHUNK, (k + 1) * DOC_CHUNK)));
}
// the Latin vocabulary (for prefix completion and typo correction), one file per first character
const vocab = {};
for (const term of [...postings.keys()].sort()) {
  if (!isLatin(term) || term.length < 2) continue;
  const key = vocabKey(term);
  (vocab[key] ||= {})[term] = postings.get(term).length;
}
for (const [key, terms] of Object.entries(vocab)) writeFileSync(join(out, `v${key}.json`), JSON.stringify(terms));
const avg = sums.map((s) => Math.max(1, s / Math.max(1, n)));
const manifest = {format: FORMAT, n, shards, docChunk: DOC_CHUNK, avg: avg.map((a) => +a.toFixed(3)),
  lens, kinds: kinds.join(""), pages: input.pages, vocab: Object.keys(vocab).sort()};
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest));
process.stdout.write(JSON.stringify({documents: n, terms: postings.size, shards, chunks, bytes}) + "\n");
