"""大模型评测 snippet 的性质测试：pass@k / pass^k 估计、Bradley–Terry 与 Elo、交换去偏、困惑度与 BPB、污染检测。"""
import math

import numpy as np
import pytest

from snippets.metrics.llm_eval import (agreement_score, answer_entropy, bootstrap_bt, fit_bradley_terry,
                                       fit_unigram, kendall_tau, min_k_prob, ngram_overlap, nll_stats,
                                       online_elo, pass_at_k, pass_at_k_naive, pass_hat_k, pass_hat_k_naive,
                                       swap_debias, to_elo_scale)

rng = np.random.default_rng(0)


# ---------- pass@k ----------
def test_pass_at_k_matches_combinatorial_definition():
    for n in (1, 5, 20, 200):
        for c in sorted({0, 1, n // 3, n // 2, n}):
            for k in sorted({kk for kk in (1, 2, n // 2, n) if 1 <= kk <= n}):
                exact = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert math.isclose(pass_at_k(n, c, k), exact, abs_tol=1e-12)
                assert math.isclose(pass_hat_k(n, c, k), math.comb(c, k) / math.comb(n, k), abs_tol=1e-12)


def test_pass_at_k_special_cases():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)          # k = 1 就是通过率 c/n
    assert pass_at_k(10, 0, 5) == 0.0 and pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(10, 8, 3) == 1.0                         # 只有 2 个失败样本，凑不满 3 个
    assert pass_hat_k(10, 3, 1) == pytest.approx(0.3) and pass_hat_k(10, 2, 3) == 0.0
    # 大 n 时组合数会溢出 float，乘积形式仍然稳定
    assert 0 < pass_at_k(2000, 3, 1000) < 1


def test_pass_at_k_unbiased_naive_biased_down():
    p, n, k, trials = 0.1, 20, 10, 200000
    c = rng.binomial(n, p, size=trials)
    truth = 1 - (1 - p) ** k
    unb = np.mean([pass_at_k(n, int(ci), k) for ci in c[:20000]])
    naive = np.mean([pass_at_k_naive(n, int(ci), k) for ci in c[:20000]])
    assert abs(unb - truth) < 0.01
    assert naive < truth - 0.05                    # 凹函数 + Jensen：插值估计偏低
    # 期望可以精确算：对 c ~ Bin(n, p) 求和
    pmf = [math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)]
    assert math.isclose(sum(w * pass_at_k(n, j, k) for j, w in enumerate(pmf)), truth, abs_tol=1e-12)
    assert sum(w * pass_at_k_naive(n, j, k) for j, w in enumerate(pmf)) < truth
    truth_hat = 0.6**3
    pmf6 = [math.comb(n, j) * 0.6**j * 0.4 ** (n - j) for j in range(n + 1)]
    assert math.isclose(sum(w * pass_hat_k(n, j, 3) for j, w in enumerate(pmf6)), truth_hat, abs_tol=1e-12)
    assert sum(w * pass_hat_k_naive(n, j, 3) for j, w in enumerate(pmf6)) > truth_hat   # 凸函数：偏高


@pytest.mark.parametrize("n, c, k, msg", [
    (10, 3, 11, "1 <= k <= n"),
    (10, 3, 0, "1 <= k <= n"),
    (10, 11, 2, "cannot exceed n"),
    (10, -1, 2, "non-negative"),
    (-5, 0, 1, "non-negative"),
    (10, 2.5, 1, "integer"),
])
def test_pass_at_k_rejects_bad_counts(n, c, k, msg):
    for f in (pass_at_k, pass_at_k_naive, pass_hat_k, pass_hat_k_naive):
        with pytest.raises(ValueError, match=msg):
            f(n, c, k)


# ---------- Bradley–Terry / Elo ----------
def _games(theta, n_games, bias=0.0, rng=rng):
    m = len(theta)
    i = rng.integers(0, m, n_games)
    j = (i + rng.integers(1, m, n_games)) % m
    p = 1 / (1 + np.exp(-(theta[i] - theta[j] + bias)))
    return np.stack([i, j], 1), (rng.random(n_games) < p).astype(float)


def test_bt_recovers_planted_strengths():
    theta = np.array([-1.5, -0.5, 0.0, 0.4, 1.2, 2.0])
    pairs, y = _games(theta, 30000)
    est, beta = fit_bradley_terry(pairs, y, 6)
    assert beta.size == 0 and abs(est.mean()) < 1e-12
    assert np.max(np.abs(est - (theta - theta.mean()))) < 0.08
    assert kendall_tau(est, theta) == 1.0


def test_bt_gradient_zero_at_optimum_and_covariate_recovers_bias():
    theta = np.array([0.0, 0.5, 1.0, -0.8])
    pairs, y = _games(theta, 40000, bias=0.7)
    est, beta = fit_bradley_terry(pairs, y, 4, covariates=np.ones(len(y)), l2=0.0)
    assert abs(beta[0] - 0.7) < 0.05
    assert np.max(np.abs(est - (theta - theta.mean()))) < 0.08
    # 一阶条件：每个选手的实际胜场 = 模型预测胜场
    p = 1 / (1 + np.exp(-(est[pairs[:, 0]] - est[pairs[:, 1]] + beta[0])))
    for a in range(4):
        sgn = (pairs[:, 0] == a).astype(float) - (pairs[:, 1] == a)
        assert abs(np.sum(sgn * (y - p))) < 1e-6


def test_bt_ties_count_half():
    pairs = np.array([[0, 1]] * 4)
    est, _ = fit_bradley_terry(pairs, [1, 0, 0.5, 0.5], 2, l2=0.0)
    assert np.allclose(est, 0.0, atol=1e-9)                   # 1 胜 1 负 2 平：两人一样强
    est, _ = fit_bradley_terry(pairs, [1, 1, 1, 0], 2, l2=0.0)
    assert math.isclose(est[0] - est[1], math.log(3), rel_tol=1e-8)   # 3:1 -> σ(Δ) = 0.75


def test_elo_scale_and_online_elo_order_dependence():
    assert np.allclose(to_elo_scale([0.0, math.log(10)]), [1000.0, 1400.0])
    theta = np.array([-1.0, 0.0, 1.0])
    pairs, y = _games(theta, 3000)
    fwd = online_elo(pairs, y, 3, k=32)
    rev = online_elo(pairs[::-1], y[::-1], 3, k=32)
    assert not np.allclose(fwd, rev)                  # 在线 Elo 依赖顺序
    assert math.isclose(fwd.sum(), 3000.0)            # 零和：总分守恒
    est1, _ = fit_bradley_terry(pairs, y, 3)
    est2, _ = fit_bradley_terry(pairs[::-1], y[::-1], 3)
    assert np.allclose(est1, est2)                    # MLE 与顺序无关


def test_swap_debias_removes_position_effect():
    assert np.allclose(swap_debias([1, 1, 0], [1, 0, 0]), [0.5, 1.0, 0.5])
    # 只有位置偏好、没有质量差：两个顺序都判“第一位赢”，去偏后是平局
    assert swap_debias(1.0, 1.0) == 0.5
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        swap_debias([1.2], [0])


def test_bootstrap_interval_covers_estimate():
    theta = np.array([0.0, 0.3, 1.0])
    pairs, y = _games(theta, 3000)
    est, _ = fit_bradley_terry(pairs, y, 3)
    lo, hi, boots = bootstrap_bt(pairs, y, 3, 50, np.random.default_rng(1))
    assert boots.shape == (50, 3) and np.all(lo <= est) and np.all(est <= hi)
    assert np.all(hi - lo < 0.3)


@pytest.mark.parametrize("pairs, y, msg", [
    ([[0, 0], [0, 1]], [1, 0], "against itself"),
    ([[0, 3]], [1], "out of range"),
    ([[0, 1]], [1.5], r"\[0, 1\]"),
    ([[0, 1]], [1, 0], "outcomes"),
    (np.zeros((0, 2), dtype=int), [], "n_games >= 1"),
])
def test_bt_rejects_bad_pairs(pairs, y, msg):
    with pytest.raises(ValueError, match=msg):
        fit_bradley_terry(pairs, y, 3)
    with pytest.raises(ValueError, match=msg):
        online_elo(pairs, y, 3)


def test_kendall_tau():
    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0 and kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    with pytest.raises(ValueError, match="same length"):
        kendall_tau([1, 2], [1, 2, 3])


# ---------- perplexity / BPB ----------
def test_nll_stats_uniform_and_retokenisation():
    V = 50
    ppl, bpb = nll_stats(np.full(12, -math.log(V)), 12)
    assert math.isclose(ppl, V) and math.isclose(bpb, math.log2(V))
    # 同一个分布：把每两个字符并成一个 token，总 NLL 不变 -> BPB 不变、每 token 困惑度平方
    lp = np.log(rng.uniform(0.05, 0.5, size=40))
    ppl1, bpb1 = nll_stats(lp, 40)
    ppl2, bpb2 = nll_stats(lp[0::2] + lp[1::2], 40)
    assert math.isclose(bpb1, bpb2) and math.isclose(ppl2, ppl1**2)
    with pytest.raises(ValueError, match="<= 0"):
        nll_stats([0.1], 1)
    with pytest.raises(ValueError, match="n_bytes"):
        nll_stats([-1.0], 0)


def test_fit_unigram():
    lp = fit_unigram(list("aab"), "abc", alpha=1.0)
    assert math.isclose(sum(math.exp(v) for v in lp.values()), 1.0)
    assert math.isclose(math.exp(lp["a"]), 3 / 6) and math.isclose(math.exp(lp["c"]), 1 / 6)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        fit_unigram(list("abz"), "abc")
    with pytest.raises(ValueError, match="alpha"):
        fit_unigram(list("ab"), "abc", alpha=0)


# ---------- contamination ----------
def test_ngram_overlap_and_min_k():
    train = "the quick brown fox jumps over the lazy dog".split()
    assert ngram_overlap("quick brown fox jumps".split(), train, 3) == 1.0
    assert ngram_overlap("quick brown cat jumps".split(), train, 3) == 0.0
    assert ngram_overlap("a b".split(), train, 1) == 0.0
    with pytest.raises(ValueError, match="fewer than n"):
        ngram_overlap(["a"], train, 3)
    lp = np.array([-0.1, -0.2, -8.0, -0.3, -6.0, -0.1, -0.2, -0.1, -0.3, -0.2])
    assert math.isclose(min_k_prob(lp, 0.2), -7.0)             # 最低的 2 个
    assert min_k_prob(lp, 1.0) == pytest.approx(lp.mean())
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        min_k_prob(lp, 0)


# ---------- sampling consistency ----------
def test_semantic_entropy_merges_paraphrases():
    samples = ["Paris", "paris", "Paris, France", "Lyon"]
    canon = lambda a: a.lower().split(",")[0].strip()          # noqa: E731
    assert math.isclose(answer_entropy(samples), math.log(4))
    assert math.isclose(answer_entropy(samples, canon), -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert agreement_score("Paris", samples, canon) == 0.75
    with pytest.raises(ValueError, match="at least one"):
        answer_entropy([])
