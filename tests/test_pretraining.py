"""预训练页 snippet 的性质测试：Chinchilla 计算最优配比、过训练、重复数据、MinHash/LSH 与 n-gram 污染检查。"""
import numpy as np
import pytest

from snippets.training.dedup import (estimate_jaccard, jaccard, lsh_bands, lsh_candidates, make_hashes,
                                     minhash, ngram_overlap, ngram_set, s_curve, s_curve_threshold, shingles)
from snippets.training.scaling import (BESIROGLU, CHINCHILLA, R_D_STAR, chinchilla_loss, compute_optimal,
                                       compute_optimal_numeric, effective_tokens, inference_breakeven_tokens,
                                       isoflop_curve, overtrain_cost, tokens_to_reach)


# ---------------------------------------------------------------- Chinchilla
@pytest.mark.parametrize("fit", [CHINCHILLA, BESIROGLU])
@pytest.mark.parametrize("compute", [1e20, 1e22, 5.76e23, 1e25])
def test_closed_form_optimum_matches_numeric_search(fit, compute):
    n, d = compute_optimal(compute, fit)
    n_num, d_num = compute_optimal_numeric(compute, fit)
    assert np.isclose(6 * n * d, compute)
    assert np.isclose(n_num, n, rtol=1e-5) and np.isclose(d_num, d, rtol=1e-5)
    # first-order condition on the iso-FLOP curve: alpha*A/N^alpha = beta*B/D^beta
    lhs = fit["alpha"] * fit["A"] / n ** fit["alpha"]
    rhs = fit["beta"] * fit["B"] / d ** fit["beta"]
    assert np.isclose(lhs, rhs, rtol=1e-9)
    # and it is a minimum: moving along the curve either way costs loss
    for k in (0.8, 1.25):
        assert isoflop_curve(compute, np.array([k * n]), fit)[0] > chinchilla_loss(n, d, fit)


def test_optimal_exponents_and_tokens_per_parameter():
    cs = np.logspace(20, 26, 7)
    for fit in (CHINCHILLA, BESIROGLU):
        n, _ = compute_optimal(cs, fit)
        slope = np.polyfit(np.log(cs), np.log(n), 1)[0]
        assert np.isclose(slope, fit["beta"] / (fit["alpha"] + fit["beta"]), atol=1e-9)
    n, d = compute_optimal(1e23, BESIROGLU)
    assert 15 < d / n < 25                    # the "20 tokens per parameter" regime
    n, d = compute_optimal(1e23, CHINCHILLA)
    assert 70 < d / n < 90                    # the rounded published fit is far from 20


def test_tokens_to_reach_inverts_the_loss():
    for n in (1e9, 7e9, 7e10):
        d = 2e12
        target = chinchilla_loss(n, d)
        assert np.isclose(tokens_to_reach(target, n), d, rtol=1e-9)
    # a model too small for the target can never reach it
    assert np.isinf(tokens_to_reach(1.9, 1e8))


def test_overtraining_costs_compute_and_saves_inference():
    ratio, per_token = overtrain_cost(1e23, 1.0)
    assert np.isclose(ratio, 1.0) and per_token == 1.0
    costs = [overtrain_cost(1e23, s)[0] for s in (0.9, 0.7, 0.5, 0.3)]
    assert all(a < b for a, b in zip(costs, costs[1:]))
    be = inference_breakeven_tokens(1e23, 0.5, BESIROGLU)
    n_opt, _ = compute_optimal(1e23, BESIROGLU)
    extra = (overtrain_cost(1e23, 0.5, BESIROGLU)[0] - 1) * 1e23
    assert np.isclose(be * 2 * n_opt * 0.5, extra)     # saved inference FLOPs pay back the extra training


def test_effective_tokens_from_repetition():
    u = 1e11
    assert effective_tokens(u, 1) == u
    assert np.isclose(effective_tokens(u, 1e9), u * (1 + R_D_STAR))         # saturation
    # the first repetitions are worth almost as much as fresh data
    assert effective_tokens(u, 2) / (2 * u) > 0.98
    e = effective_tokens(u, np.arange(1, 60))
    assert np.all(np.diff(e) > 0) and np.all(np.diff(np.diff(e)) < 0)        # increasing, concave


@pytest.mark.parametrize("call, match", [
    (lambda: compute_optimal(-1e23), "compute budget must be positive"),
    (lambda: compute_optimal_numeric(0.0), "compute budget must be positive"),
    (lambda: chinchilla_loss(-5, 1e9), "n_params must be positive"),
    (lambda: overtrain_cost(1e23, 1.5), r"shrink must be in \(0, 1\]"),
    (lambda: effective_tokens(1e9, 0.5), "epochs must be >= 1"),
])
def test_scaling_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- MinHash / LSH
def _docs(seed=0, n_docs=40, words=120):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(500)]
    base = [list(rng.choice(vocab, words)) for _ in range(n_docs)]
    return rng, vocab, base


def test_minhash_estimates_jaccard_without_bias():
    rng, vocab, base = _docs()
    hashes = make_hashes(512, seed=3)
    errs = []
    for words in base:
        other = list(words)
        for i in rng.choice(len(other), 10, replace=False):
            other[i] = rng.choice(vocab)
        a, b = shingles(" ".join(words)), shingles(" ".join(other))
        j = jaccard(a, b)
        est = estimate_jaccard(minhash(a, hashes), minhash(b, hashes))
        errs.append((est - j) / np.sqrt(max(j * (1 - j), 1e-3) / 512))
    errs = np.array(errs)
    assert abs(errs.mean()) < 0.6 and 0.5 < errs.std() < 1.5       # standardized error ~ N(0, 1)


def test_minhash_extremes():
    hashes = make_hashes(64)
    a = shingles("the quick brown fox jumps over the lazy dog again and again")
    assert estimate_jaccard(minhash(a, hashes), minhash(a, hashes)) == 1.0
    b = shingles("completely different words share no five gram with that sentence at all")
    assert estimate_jaccard(minhash(a, hashes), minhash(b, hashes)) == 0.0
    # MinHash of a set does not depend on the order of its elements
    assert np.array_equal(minhash(a[::-1], hashes), minhash(a, hashes))


def test_s_curve_properties():
    for b, r in [(14, 8), (20, 5), (450, 20)]:
        s = np.linspace(0, 1, 101)
        p = s_curve(s, b, r)
        assert p[0] == 0 and p[-1] == 1 and np.all(np.diff(p) >= 0)
        # at the threshold (1/b)^(1/r) the probability is 1 - (1 - 1/b)^b, about 1 - 1/e
        assert np.isclose(s_curve(s_curve_threshold(b, r), b, r), 1 - (1 - 1 / b) ** b)
    # one band of all k rows is "all k minhashes agree"; k bands of one row is "any agrees"
    assert np.isclose(s_curve(0.8, 1, 10), 0.8 ** 10) and np.isclose(s_curve(0.3, 10, 1), 1 - 0.7 ** 10)


def test_lsh_candidates_match_brute_force_band_comparison():
    rng, vocab, base = _docs(seed=1, n_docs=30)
    docs = [" ".join(w) for w in base]
    docs += [" ".join(base[i][:-2] + ["x1", "x2"]) for i in range(5)]    # near copies of the first five
    hashes = make_hashes(60, seed=0)
    sigs = np.array([minhash(shingles(d), hashes) for d in docs])
    bands = 12
    rows = lsh_bands(60, bands)
    brute = {(i, j) for i in range(len(docs)) for j in range(i + 1, len(docs))
             if np.any(np.all((sigs[i] == sigs[j]).reshape(bands, rows), axis=1))}
    cand = lsh_candidates(sigs, bands)
    assert cand == brute
    assert {(i, 30 + i) for i in range(5)} <= cand


def test_ngram_overlap_flags_copied_test_items():
    train = ["the capital of france is paris and the capital of italy is rome as every atlas says"]
    grams = ngram_set(train, n=13)
    leaked = "The capital of France is Paris and the capital of Italy is Rome as every atlas says"
    clean = "a completely unrelated question about the boiling point of water at sea level in degrees"
    assert ngram_overlap(leaked, grams, n=13) == 1.0
    assert ngram_overlap(clean, grams, n=13) == 0.0
    assert ngram_overlap("too short to have a thirteen gram", grams) == 0.0


@pytest.mark.parametrize("call, match", [
    (lambda: make_hashes(0), "number of permutations must be >= 1"),
    (lambda: lsh_bands(112, 10), "10 bands do not divide a signature of length 112"),
    (lambda: lsh_bands(112, 0), "bands must be >= 1"),
    (lambda: shingles("a b c", n=0), "n-gram size must be >= 1"),
    (lambda: minhash(shingles("too short"), make_hashes(8)), "empty shingle set"),
])
def test_dedup_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
