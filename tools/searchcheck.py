"""Run the search query set against a built site's index without a browser.

    python tools/searchcheck.py SITE_DIR [QUERY_FILE] [--show N] [--explain QUERY]

Ranks every query of tests/search_queries.yml with the same module the browser uses
(docs/assets/javascripts/search-core.mjs, in Node) and prints hit@1 / hit@3 and each miss with its top 3.
The browser test (tests/test_search.py) is the authority; this is the quick loop while writing pages.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "docs" / "assets" / "javascripts" / "search-core.mjs"

SCRIPT = r"""
import {readFileSync} from "node:fs";
import {plan, rank, shardOf, vocabKeys} from %(core)s;
const dir = %(dir)s;
const queries = JSON.parse(readFileSync(0, "utf8"));
const m = JSON.parse(readFileSync(dir + "/manifest.json"));
const vocabFiles = Object.fromEntries(m.vocab.map((k) => [k, JSON.parse(readFileSync(`${dir}/v${k}.json`))]));
// as the browser does: only the vocabulary files of the query's first characters
const vocabOf = (q) => Object.assign({}, ...vocabKeys(q).filter((k) => k in vocabFiles).map((k) => vocabFiles[k]));
const shards = {};
const shard = (t) => { const k = shardOf(t, m.shards); return shards[k] ??= JSON.parse(readFileSync(`${dir}/t${k}.json`)); };
const lookup = (t) => [shard(t).p[t], shard(t).c[t]];
const docs = [];
for (let k = 0; k * m.docChunk < m.n; k++) docs.push(...JSON.parse(readFileSync(`${dir}/d${k}.json`)));
const loc = (id) => m.pages[docs[id][0]][0] + (docs[id][1] ? "#" + docs[id][1] : "");
const out = queries.map(([q, explain]) => {
  const groups = plan(q, vocabOf(q));
  const ranked = rank(groups, lookup, m, 10);
  return {q, top: ranked.map(([id, s]) => [loc(id), +s.toFixed(3), docs[id][2]]),
          groups: explain ? groups.map((g) => [+g.weight.toFixed(3), g.alts.map((a) => a[0]), lookup(g.alts[0][0])[1] ?? 1]) : null};
});
process.stdout.write(JSON.stringify(out));
"""


def rank_queries(search_dir: Path, queries: list[tuple[str, bool]]) -> list[dict]:
    script = SCRIPT % {"core": json.dumps(CORE.as_uri()), "dir": json.dumps(str(search_dir))}
    proc = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(queries),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout)


def locations(result: dict) -> list[str]:
    """A ranked result's locations written as the query set writes them (`page/#id`)."""
    return [loc.replace("#", "/#", 1) if "#" in loc and "/#" not in loc else loc for loc, _, _ in result["top"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("queries", type=Path, nargs="?", default=ROOT / "tests" / "search_queries.yml")
    ap.add_argument("--explain", help="print the plan and the top 10 of one query")
    args = ap.parse_args()
    search_dir = args.site / "search"
    if args.explain:
        [r] = rank_queries(search_dir, [(args.explain, True)])
        print("groups (weight, alternatives, cohesion):", r["groups"])
        for loc, score, title in r["top"]:
            print(f"  {score:8.3f}  {loc}  {title}")
        return 0
    expected = yaml.safe_load(args.queries.read_text(encoding="utf-8"))
    results = rank_queries(search_dir, [(str(q), False) for q in expected])
    hit1 = hit3 = 0
    for r, (q, want) in zip(results, expected.items()):
        norm = locations(r)
        hit1 += bool(norm) and norm[0] == want
        if want in norm[:3]:
            hit3 += 1
        else:
            print(f"MISS {q!r}: expected {want}, top 3 {norm[:3]}")
    n = len(expected)
    print(f"hit@1 {hit1}/{n} = {hit1 / n:.1%}   hit@3 {hit3}/{n} = {hit3 / n:.1%}")
    return 0 if hit3 == n else 1


if __name__ == "__main__":
    sys.exit(main())
