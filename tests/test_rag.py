"""RAG 与向量检索 snippet 的性质测试：BM25 与公式一致、RRF 只看名次、分块覆盖与切断比例、
ANN 索引在参数取满时退化为精确检索、PQ 的查表距离等于到重建向量的距离、各索引的字节数公式。"""
import math

import numpy as np
import pytest

from snippets.retrieval.ann import (HNSW, IVFPQ, IVFFlat, ProductQuantizer, bytes_per_vector, exact_knn,
                                    kmeans, knn_recall, sq_dists)
from snippets.retrieval.bm25 import (bm25_idf, bm25_index, bm25_scores, linear_fuse, minmax, rrf_fuse,
                                     tokenize, top_k)
from snippets.retrieval.rag import (ToyEncoder, answer_relevance, assemble_context, context_precision,
                                    planted_facts_document, synthetic_faq,
                                    expand_to_parents, fixed_size_chunks, parent_child_chunks,
                                    recursive_split, split_fraction, supported_fraction)

rng = np.random.default_rng(0)

# ---------------------------------------------------------------------------------------------- BM25

DOCS = [tokenize(t) for t in [
    "the cat sat on the mat",
    "the dog sat on the log with another dog",
    "cats and dogs are pets",
    "a very long document about the stock market and the bond market and nothing else at all",
]]


def test_tokenize_splits_latin_words_and_single_cjk_characters():
    assert tokenize("RAG 检索增强, BM25!") == ["rag", "检", "索", "增", "强", "bm25"]


def test_bm25_matches_the_formula_by_hand():
    k1, b = 1.5, 0.6
    idx = bm25_index(DOCS, k1, b)
    N, avgdl = len(DOCS), np.mean([len(d) for d in DOCS])
    q = ["dog", "sat"]
    expected = []
    for d in DOCS:
        s = 0.0
        for t in q:
            n_t = sum(t in doc for doc in DOCS)
            f = d.count(t)
            idf = math.log(1 + (N - n_t + 0.5) / (n_t + 0.5))
            s += idf * f * (k1 + 1) / (f + k1 * (1 - b + b * len(d) / avgdl))
        expected.append(s)
    assert np.allclose(bm25_scores(idx, q), expected)
    assert top_k(bm25_scores(idx, q), 1)[0] == 1          # the doc that has "dog" twice


def test_bm25_tf_saturates_at_idf_times_k1_plus_1():
    docs = [["x"] * f + ["y"] * (50 - f) for f in range(1, 50)] + [["z"] * 50]
    idx = bm25_index(docs, k1=1.2, b=0.75)
    s = bm25_scores(idx, ["x"])[:-1]
    assert np.all(np.diff(s) > 0)                           # more occurrences, higher score ...
    cap = bm25_idf(idx["df"]["x"], idx["N"]) * (1.2 + 1)
    assert s.max() < cap                                    # ... but never above IDF * (k1 + 1)


def test_bm25_b_zero_ignores_length_and_k1_zero_is_binary():
    short, long_ = ["apple", "pie"], ["apple", "pie"] + ["filler"] * 40
    idx0 = bm25_index([short, long_, ["other"]], k1=1.2, b=0.0)
    s0 = bm25_scores(idx0, ["apple"])
    assert np.isclose(s0[0], s0[1])                         # b = 0: no length normalisation
    idx1 = bm25_index([short, long_, ["other"]], k1=1.2, b=1.0)
    s1 = bm25_scores(idx1, ["apple"])
    assert s1[0] > s1[1]                                    # b = 1: the long document is penalised
    idxk = bm25_index([["a", "a", "a", "b"], ["a", "b"], ["c"]], k1=0.0, b=0.75)
    sk = bm25_scores(idxk, ["a"])
    assert np.isclose(sk[0], sk[1]) and np.isclose(sk[0], bm25_idf(2, 3))


def test_bm25_idf_is_positive_and_decreasing_in_document_frequency():
    vals = [bm25_idf(n, 100) for n in range(1, 101)]
    assert all(v > 0 for v in vals) and all(a > b for a, b in zip(vals, vals[1:]))


def test_bm25_rejects_bad_input():
    with pytest.raises(ValueError, match="empty corpus"):
        bm25_index([])
    with pytest.raises(ValueError, match="b must be in"):
        bm25_index(DOCS, b=1.5)
    with pytest.raises(ValueError, match="k1 must be"):
        bm25_index(DOCS, k1=-1)
    with pytest.raises(ValueError, match="query has no tokens"):
        bm25_scores(bm25_index(DOCS), tokenize("  ,.  "))


def test_top_k_orders_by_score_then_index_and_checks_k():
    s = np.array([0.5, 2.0, 2.0, -1.0, 0.5])
    assert list(top_k(s, 5)) == [1, 2, 0, 4, 3]
    with pytest.raises(ValueError, match="between 1 and the corpus size 5"):
        top_k(s, 6)
    with pytest.raises(ValueError, match="between 1"):
        top_k(s, 0)

# ----------------------------------------------------------------------------------------------- RRF


def test_rrf_equals_the_sum_of_reciprocal_ranks():
    a, b = ["d1", "d2", "d3"], ["d3", "d4", "d1", "d5"]
    ids, scores = rrf_fuse([a, b], k=60)
    brute = {}
    for r in (a, b):
        for i, d in enumerate(r, 1):
            brute[d] = brute.get(d, 0) + 1 / (60 + i)
    assert dict(zip(ids, scores)) == pytest.approx(brute)
    assert scores == sorted(scores, reverse=True)


def test_rrf_rewards_agreement_and_k_controls_how_much():
    one_list_top = ["solo"] + [f"x{i}" for i in range(5)]
    both_second = ["y", "both"]
    ids, _ = rrf_fuse([one_list_top, both_second, ["z", "both"]], k=60)
    assert ids.index("both") < ids.index("solo")           # 2/62 > 1/61: two second places beat one first
    ids0, s0 = rrf_fuse([["solo", "w"], ["v", "u", "both"], ["t", "s", "both"]], k=0)
    assert ids0[0] == "solo"                                # k = 0: 1/1 > 2/3, the single top wins


def test_rrf_constant_sets_how_much_first_place_beats_tenth():
    ratio = {}
    for k in (0, 60):
        _, (s1,) = rrf_fuse([["a"]], k=k)
        _, s10 = rrf_fuse([[f"x{i}" for i in range(9)] + ["b"]], k=k)
        ratio[k] = s1 / s10[-1]
    assert ratio[0] == pytest.approx(10) and ratio[60] == pytest.approx(70 / 61)   # 10x vs 1.15x


def test_rrf_depends_only_on_ranks():
    s1, s2 = rng.normal(size=30), rng.normal(size=30)
    r = lambda s: list(np.argsort(-s))
    base, _ = rrf_fuse([r(s1), r(s2)])
    warped, _ = rrf_fuse([r(np.exp(3 * s1)), r(s2 * 1000 - 7)])   # monotone transforms of each list
    assert base == warped


def test_rrf_and_linear_fusion_reject_bad_input():
    with pytest.raises(ValueError, match="at least one ranking"):
        rrf_fuse([])
    with pytest.raises(ValueError, match="lists a document twice"):
        rrf_fuse([["a", "b", "a"]])
    with pytest.raises(ValueError, match="k must be >= 0"):
        rrf_fuse([["a"]], k=-1)
    with pytest.raises(ValueError, match="2 score lists but 1 weights"):
        linear_fuse([np.ones(3), np.ones(3)], [1.0])
    with pytest.raises(ValueError, match="different lengths"):
        linear_fuse([np.ones(3), np.ones(4)], [0.5, 0.5])


def test_minmax_linear_fusion_is_a_convex_mix_in_unit_range():
    s1, s2 = rng.normal(size=20) * 10 + 3, rng.normal(size=20) * 0.01
    m = minmax(s1)
    assert m.min() == 0 and m.max() == 1
    f = linear_fuse([s1, s2], [0.3, 0.7])
    assert np.all(f >= 0) and np.all(f <= 1 + 1e-12)
    assert np.allclose(linear_fuse([s1, s2], [1.0, 0.0]), minmax(s1))

# ------------------------------------------------------------------------------------------ chunking


@pytest.mark.parametrize("n,size,overlap", [(100, 10, 0), (101, 10, 3), (7, 10, 2), (64, 16, 15)])
def test_fixed_chunks_cover_the_document_with_the_requested_overlap(n, size, overlap):
    spans = fixed_size_chunks(n, size, overlap)
    covered = np.zeros(n, bool)
    for s, e in spans:
        assert 0 <= s < e <= n and e - s <= size
        covered[s:e] = True
    assert covered.all() and spans[-1][1] == n and spans[0][0] == 0
    for (s1, e1), (s2, _) in zip(spans, spans[1:]):
        assert s2 - s1 == size - overlap and e1 - s2 == overlap


def test_split_fraction_matches_enumerating_every_position():
    for size in (8, 13, 32):
        for overlap in (0, 2, 5, 7):
            for L in (1, 3, 6, 8):
                if overlap >= size:
                    continue
                n = 2000
                spans = fixed_size_chunks(n, size, overlap)
                starts = range(0, n - 4 * size)                 # away from the ragged end
                split = [not any(s <= p and p + L <= e for s, e in spans) for p in starts]
                assert np.isclose(np.mean(split), split_fraction(L, size, overlap), atol=2e-3), (size, overlap, L)
    assert split_fraction(9, 8, 0) == 1.0                       # a fact longer than a chunk never fits
    assert split_fraction(5, 16, 4) == 0.0                      # overlap >= L - 1 guarantees a whole copy


def test_fixed_chunks_reject_bad_parameters():
    with pytest.raises(ValueError, match="overlap 10 must be >= 0 and smaller than the chunk size 10"):
        fixed_size_chunks(100, 10, 10)
    with pytest.raises(ValueError, match="chunk size must be >= 1"):
        fixed_size_chunks(100, 0)
    with pytest.raises(ValueError, match="document is empty"):
        fixed_size_chunks(0, 10)


def test_recursive_split_is_lossless_bounded_and_prefers_paragraphs():
    text = ("First paragraph is short.\n\nSecond paragraph has a few sentences. It goes on. "
            "And on for a while longer than the limit allows, so it must be cut at sentences.\n\n"
            "Third.\n" + "x" * 95)
    for max_chars in (20, 40, 80, 200):
        chunks = recursive_split(text, max_chars)
        assert "".join(chunks) == text
        assert all(0 < len(c) <= max_chars for c in chunks)
    chunks = recursive_split(text, 140)
    assert chunks[0].endswith("\n\n")                          # the first cut falls on a paragraph break
    with pytest.raises(ValueError, match="max_chars must be >= 1"):
        recursive_split(text, 0)


def test_parent_child_chunks_nest_and_expand():
    parents, children, parent_of = parent_child_chunks(1000, 128, 32)
    assert len(children) == sum(math.ceil((e - s) / 32) for s, e in parents)
    for (cs, ce), p in zip(children, parent_of):
        ps, pe = parents[p]
        assert ps <= cs < ce <= pe
    assert expand_to_parents([0, 1, 5, 2, 9], parent_of, 2) == [0, 1]
    with pytest.raises(ValueError, match="child size 64 is larger than the parent size 32"):
        parent_child_chunks(100, 32, 64)

# ------------------------------------------------------------------------------------ toy dense + RAG


def test_toy_encoder_knows_synonyms_but_confuses_look_alike_codes():
    enc = ToyEncoder([("car", "automobile"), ("banana",), ("engine",)], stopwords=["the"], dim=64)
    v = enc.embed([["car"], ["automobile"], ["banana"], ["sku4821"], ["sku4812"], ["zq"]])
    assert v[0] @ v[1] > 0.8 > 0.5 > abs(v[0] @ v[2])          # synonyms close, unrelated words far
    assert v[3] @ v[4] > 0.3 > abs(v[3] @ v[5])                # look-alike codes share character 3-grams
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    docs = [["the", "car", "engine"], ["the", "banana"], ["the", "the", "the"]]
    s = enc.index(docs).scores(["automobile"])
    assert s.argmax() == 0
    with pytest.raises(ValueError, match="'car' is in two synonym groups"):
        ToyEncoder([("car",), ("car", "auto")])
    with pytest.raises(ValueError, match="query has no tokens"):
        enc.scores([])
    with pytest.raises(ValueError, match="empty corpus"):
        enc.index([])


def test_assemble_context_respects_budget_and_numbers_citations():
    chunks = ["a b c", "d e", "f g h i", "j"]
    ctx, cite = assemble_context(chunks, [2, 0, 2, 1, 3], budget_tokens=7)
    assert cite == {1: 2, 2: 0}                 # [2] is used once; "d e" would exceed 7 tokens ...
    assert ctx.splitlines() == ["[1] f g h i", "[2] a b c"]
    _, cite = assemble_context(chunks, [2, 1, 3], budget_tokens=7)
    assert cite == {1: 2, 2: 1, 3: 3}           # ... but a later, shorter chunk still fits
    with pytest.raises(ValueError, match="token budget must be >= 1"):
        assemble_context(chunks, [0], 0)


def test_ragas_style_metrics():
    assert context_precision([0, 0, 1, 1, 0]) == pytest.approx((1 / 3 + 2 / 4) / 2)
    assert context_precision([1, 1, 0, 0, 0]) == 1.0 > context_precision([0, 0, 0, 1, 1])
    assert context_precision([0, 0]) == 0.0
    assert supported_fraction([1, 1, 0, 1], "statements") == 0.75
    assert answer_relevance([1.0, 0.0], [[2.0, 0.0], [0.0, 3.0]]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no retrieved contexts"):
        context_precision([])
    with pytest.raises(ValueError, match="no claims to check"):
        supported_fraction([], "claims")

# ----------------------------------------------------------------------------------------------- ANN


def blobs(n, d=16, centers=8, seed=1):
    r = np.random.default_rng(seed)
    C = r.normal(size=(centers, d)) * 4
    return C[r.integers(centers, size=n)] + r.normal(size=(n, d))


def test_exact_knn_matches_full_sort_and_checks_k():
    X, Q = blobs(300), blobs(20, seed=2)
    full = np.argsort(sq_dists(Q, X), axis=1, kind="stable")[:, :7]
    assert np.array_equal(exact_knn(X, Q, 7), full)
    assert knn_recall(full, full) == 1.0
    with pytest.raises(ValueError, match="k = 301 must be between 1 and the number of indexed vectors 300"):
        exact_knn(X, Q, 301)


def test_kmeans_recovers_separated_blobs_and_checks_cluster_count():
    r = np.random.default_rng(3)
    C = np.array([[0, 0], [20, 0], [0, 20]], float)
    X = np.concatenate([c + r.normal(size=(100, 2)) for c in C])
    found = kmeans(X, 3, seed=0)
    assert np.max(np.min(sq_dists(C, found), axis=1)) < 1.0
    with pytest.raises(ValueError, match="cannot make 400 clusters from 300 training vectors"):
        kmeans(X, 400)


def test_ivf_is_exact_when_every_list_is_probed():
    X, Q = blobs(600), blobs(30, seed=4)
    ivf = IVFFlat(nlist=12).train(X).add(X)
    got, cost = ivf.search(Q, 10, nprobe=12)
    assert knn_recall(got, exact_knn(X, Q, 10)) == 1.0 and cost == 12 + 600
    r1, _ = ivf.search(Q, 10, nprobe=1)
    assert knn_recall(r1, exact_knn(X, Q, 10)) < 1.0
    with pytest.raises(ValueError, match="nprobe = 13 must be between 1 and nlist = 12"):
        ivf.search(Q, 10, nprobe=13)


def test_pq_adc_equals_distance_to_the_reconstruction():
    X = blobs(800, d=16)
    pq = ProductQuantizer(16, m=4, nbits=6).train(X)
    codes = pq.encode(X)
    assert codes.shape == (800, 4) and codes.dtype == np.uint8 and codes.max() < 64
    q = blobs(1, d=16, seed=9)[0]
    assert np.allclose(pq.adc(pq.distance_table(q), codes), sq_dists(q, pq.decode(codes))[0])
    err = ((X - pq.decode(codes)) ** 2).sum(1).mean()
    assert err < 0.5 * ((X - X.mean(0)) ** 2).sum(1).mean()


def test_pq_rejects_a_sub_vector_count_that_does_not_divide_the_dimension():
    with pytest.raises(ValueError, match="m = 5 to divide the dimension d = 16"):
        ProductQuantizer(16, 5)
    with pytest.raises(ValueError, match="nbits must be in 1..8"):
        ProductQuantizer(16, 4, nbits=9)
    with pytest.raises(ValueError, match="cannot make 256 clusters from 100 training vectors"):
        ProductQuantizer(16, 4).train(blobs(100))


def test_ivfpq_with_full_probe_and_refine_is_exact():
    X, Q = blobs(500, d=16), blobs(20, d=16, seed=5)
    idx = IVFPQ(16, nlist=8, m=4, nbits=5).train(X).add(X)
    got, _ = idx.search(Q, 5, nprobe=8, refine=500)
    assert knn_recall(got, exact_knn(X, Q, 5)) == 1.0
    # the precomputed-table search ranks exactly like a plain per-list ADC (table from q - centroid)
    q = Q[0]
    ids = np.concatenate(idx.ivf.lists)
    d = np.concatenate([idx.pq.adc(idx.pq.distance_table(q - idx.ivf.centroids[c]), idx.codes[c])
                        for c in range(8)])
    naive = ids[np.argsort(d, kind="stable")[:5]]
    fast, _ = idx.search(q[None], 5, nprobe=8)
    assert np.array_equal(fast[0], naive)
    with pytest.raises(ValueError, match="refine = 3 must be 0 or >= k = 5"):
        idx.search(Q, 5, nprobe=8, refine=3)


def test_hnsw_degrees_levels_memory_and_exactness_with_wide_beam():
    X, Q = blobs(400, d=8), blobs(20, d=8, seed=6)
    h = HNSW(M=6, ef_construction=24, seed=0).build(X)
    assert all(len(v) <= 12 for v in h.graph[0].values())              # Mmax0 = 2M
    assert all(len(v) <= 6 for g in h.graph[1:] for v in g.values())   # Mmax = M elsewhere
    assert len(h.graph[0]) == 400 and all(len(g) == (h.levels >= j).sum() for j, g in enumerate(h.graph))
    assert h.allocated_link_bytes() == 4 * (400 * 12 + h.levels.sum() * 6)
    got, _ = h.search(Q, 5, ef=400)
    assert knn_recall(got, exact_knn(X, Q, 5)) == 1.0
    with pytest.raises(ValueError, match="efSearch = 3 must be >= k = 5"):
        h.search(Q, 5, ef=3)
    with pytest.raises(ValueError, match="efConstruction = 4 must be >= M = 6"):
        HNSW(M=6, ef_construction=4)


def test_hnsw_level_distribution_is_geometric_in_one_over_M():
    M, n = 4, 20000
    u = 1.0 - np.random.default_rng(0).random(n)
    levels = np.floor(-np.log(u) / math.log(M))
    for j in (1, 2, 3):
        assert abs((levels >= j).mean() - M ** -j) < 4 * math.sqrt(M ** -j / n)
    assert abs(levels.mean() - 1 / (M - 1)) < 0.02                     # E[level] = sum_j M^-j


def test_bytes_per_vector_formulas():
    assert bytes_per_vector("flat", d=768) == 3072
    assert bytes_per_vector("ivf_flat", d=768) == 3080
    assert bytes_per_vector("pq", m=96) == 96
    assert bytes_per_vector("pq", m=96, nbits=4) == 48
    assert bytes_per_vector("ivf_pq", m=64) == 72
    assert bytes_per_vector("hnsw_flat", d=768, M=32) == 3072 + 256
    with pytest.raises(ValueError, match="unknown index type 'lsh'"):
        bytes_per_vector("lsh", d=8)


# ------------------------------------------------------------------------------------ synthetic data

def test_synthetic_faq_labels_are_consistent():
    data = synthetic_faq(seed=0)
    docs, queries, relevant, qtype = data["docs"], data["queries"], data["relevant"], data["qtype"]
    assert len(docs) == 180 and len(queries) == len(relevant) == 120
    skus = [w for d in docs for w in d.split() if w.startswith("sku")]
    assert len(skus) == len(set(skus)) == 180                       # one unique product code per document
    for q, rel, t in zip(queries, relevant, qtype):
        assert rel                                                  # every query has a relevant document
        if t == "id":
            (i,) = rel
            assert q.split()[0] in docs[i].split()                  # the code names exactly that document
    assert synthetic_faq(seed=0)["docs"] == docs                    # deterministic


def test_planted_facts_sit_where_they_say():
    tokens, facts, queries, filler, names = planted_facts_document(seed=0, n_tokens=3000, n_facts=20)
    assert len(tokens) == 3000 and not set(names) & set(filler)
    ends = -1
    for (p, length, name, number), q in zip(facts, queries):
        assert p > ends                                             # facts do not overlap
        ends = p + length - 1
        assert tokens[p:p + 6] == ["the", "access", "code", "for", "vault", name]
        assert tokens[p + length - 2:p + length] == ["is", number]
        assert tokens.count(name) == 1 and q[-1] == name
