"""推理模型与 GRPO 之后的算法（alignment/reasoning.md、alignment/grpo.md#grpo-variants）：
pass@k 估计、Best-of-N 与多数投票、RLOO / GRPO 基线的偏差、REINFORCE++、GSPO、DAPO。"""
import itertools
import math

import numpy as np
import pytest

from snippets.alignment.grpo import group_advantages
from snippets.alignment.passk import pass_at_k, pass_at_k_naive, pass_at_k_true, sharpen
from snippets.alignment.pg_baselines import (clip_higher, exact_gradient, grpo_expected_scale, gspo_objective,
                                             gspo_sequence_ratio, overlong_penalty, pg_estimates,
                                             reinforce_pp_advantages, rloo_advantages, softmax)
from snippets.alignment.test_time import (best_of_n_accuracy, majority_vote_accuracy, majority_vote_binomial,
                                          oracle_pass_at_n, simulate_best_of_n, simulate_majority_vote)


# ---------------------------------------------------------------- pass@k
def test_pass_at_k_matches_brute_force_over_subsets():
    correct = [1, 0, 0, 1, 0, 0, 0]                          # n = 7, c = 2
    n, c = len(correct), sum(correct)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(range(n), k))
        brute = np.mean([any(correct[i] for i in s) for s in subsets])
        assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize("p", [0.02, 0.3, 0.8])
def test_pass_at_k_is_unbiased_and_naive_underestimates(p):
    n = 20
    cs = np.arange(n + 1)
    pmf = np.array([math.comb(n, c) * p ** c * (1 - p) ** (n - c) for c in cs])
    for k in (1, 2, 5, 10, 20):
        truth = 1 - (1 - p) ** k
        unbiased = np.sum(pmf * pass_at_k(np.full(n + 1, n), cs, k))
        naive = np.sum(pmf * pass_at_k_naive(np.full(n + 1, n), cs, k))
        assert unbiased == pytest.approx(truth, abs=1e-12)
        if k == 1:
            assert naive == pytest.approx(truth, abs=1e-12)       # k = 1 时两者相同
        else:
            assert naive < truth                                   # 1-(1-x)^k 是凹函数：Jensen


def test_pass_at_k_edge_cases_and_validation():
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 6, 5) == 1.0                             # n - c < k：必含正确
    with pytest.raises(ValueError, match="exceeds the number of samples"):
        pass_at_k(5, 1, 6)
    with pytest.raises(ValueError, match="non-negative"):
        pass_at_k(5, -1, 2)
    with pytest.raises(ValueError, match="correct count"):
        pass_at_k(5, 6, 2)
    with pytest.raises(ValueError, match="k must be >= 1"):
        pass_at_k(5, 1, 0)
    with pytest.raises(TypeError, match="integer"):
        pass_at_k(5.0, 1, 2)


def test_sharpening_raises_pass1_but_can_lower_pass_at_large_k():
    # 题 1：正确答案是众数；题 2：正确答案是少数。锐化后题 1 更稳，题 2 几乎再也采不到正确答案
    probs = np.array([[0.6, 0.3, 0.1], [0.2, 0.8, 0.0 + 1e-12]])
    probs /= probs.sum(1, keepdims=True)
    sharp = sharpen(probs, 4.0)
    p_base, p_sharp = probs[:, 0], sharp[:, 0]
    assert p_sharp[0] > p_base[0] and p_sharp[1] < p_base[1]
    base_curve, sharp_curve = pass_at_k_true(p_base, [1, 64]), pass_at_k_true(p_sharp, [1, 64])
    assert sharp_curve[0] > base_curve[0]
    assert sharp_curve[1] < base_curve[1]
    assert np.allclose(sharpen(probs, 1.0), probs)
    with pytest.raises(ValueError, match="beta"):
        sharpen(probs, 0.0)


# ---------------------------------------------------------------- Best-of-N 与多数投票
def test_best_of_n_limits():
    p, tpr, fpr = 0.3, 0.9, 0.1
    assert best_of_n_accuracy(p, 1, tpr, fpr) == pytest.approx(p)          # N = 1：就是随机一条
    precision = p * tpr / (p * tpr + (1 - p) * fpr)
    assert best_of_n_accuracy(p, 10_000, tpr, fpr) == pytest.approx(precision)
    for n in (1, 4, 64):
        assert best_of_n_accuracy(p, n, 1.0, 0.0) == pytest.approx(oracle_pass_at_n(p, n))
        assert best_of_n_accuracy(p, n, 0.7, 0.7) == pytest.approx(p)        # 与正确性无关的验证器没用
    accs = [best_of_n_accuracy(p, n, tpr, fpr) for n in range(1, 200)]
    assert np.all(np.diff(accs) >= -1e-15) and accs[-1] < oracle_pass_at_n(p, 199)


def test_best_of_n_simulation_matches_closed_form():
    rng = np.random.default_rng(0)
    for p, n, tpr, fpr in [(0.2, 8, 0.9, 0.2), (0.5, 3, 0.6, 0.3), (0.05, 32, 0.95, 0.05)]:
        acc = best_of_n_accuracy(p, n, tpr, fpr)
        sim = simulate_best_of_n(p, n, tpr, fpr, 40_000, rng)
        assert abs(sim - acc) < 4 * math.sqrt(acc * (1 - acc) / 40_000)


def test_majority_vote_binomial_and_multinomial():
    for p in (0.3, 0.5, 0.7):
        for n in (1, 2, 5, 10):
            assert majority_vote_accuracy(p, n, 1) == pytest.approx(majority_vote_binomial(p, n), abs=1e-12)
    assert majority_vote_accuracy(0.5, 6, 1) == pytest.approx(0.5)          # 对称
    # 正确答案只要是众数就行：p = 0.4 < 0.5，但 3 个错误答案各 0.2，投票越多越准
    accs = [majority_vote_accuracy(0.4, n, 3) for n in (1, 5, 15, 31)]
    assert accs[0] == pytest.approx(0.4) and np.all(np.diff(accs) > 0) and accs[-1] > 0.8
    rng = np.random.default_rng(1)
    acc = majority_vote_accuracy(0.35, 9, 2)
    sim = simulate_majority_vote(0.35, 9, 2, 40_000, rng)
    assert abs(sim - acc) < 4 * math.sqrt(acc * (1 - acc) / 40_000)


def test_test_time_validation():
    with pytest.raises(ValueError, match="tpr must be a probability"):
        best_of_n_accuracy(0.5, 4, 1.2, 0.1)
    with pytest.raises(ValueError, match="fpr must be a probability"):
        best_of_n_accuracy(0.5, 4, 0.9, -0.1)
    with pytest.raises(ValueError, match="positive integer"):
        best_of_n_accuracy(0.5, 0, 0.9, 0.1)
    with pytest.raises(ValueError, match="wrong answers m"):
        majority_vote_accuracy(0.5, 4, 0)


# ---------------------------------------------------------------- 基线的偏差（精确枚举）
def _exact_expectation(theta, reward, G, advantage):
    """枚举一道题 G 个答案的全部 K^G 种结果，返回梯度估计的精确期望（只对第一道题）。"""
    pi = softmax(theta)[0]
    K = len(pi)
    total = np.zeros(K)
    for combo in itertools.product(range(K), repeat=G):
        prob = np.prod(pi[list(combo)])
        r = reward[0, list(combo)][None, :]
        adv = advantage(r)[0]
        g = sum(a * (np.eye(K)[c] - pi) for a, c in zip(adv, combo)) / G
        total += prob * g
    return total


def test_rloo_unbiased_group_mean_shrinks_grpo_rescales_exactly():
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(1, 4))
    reward = np.array([[1.0, 0.0, 1.0, 0.0]])
    exact = exact_gradient(theta, reward)[0]                   # P = 1
    p = float((softmax(theta) * reward).sum())
    for G in (2, 3, 4):
        rloo = _exact_expectation(theta, reward, G, rloo_advantages)
        mean = _exact_expectation(theta, reward, G, lambda r: group_advantages(r, eps=0, scale=False))
        grpo = _exact_expectation(theta, reward, G, lambda r: group_advantages(r, eps=1e-300))
        assert np.allclose(rloo, exact, atol=1e-12)
        assert np.allclose(mean, exact * (G - 1) / G, atol=1e-12)
        assert np.allclose(grpo, exact * grpo_expected_scale(p, G), atol=1e-9)


def test_group_mean_advantage_is_scaled_rloo_sample_by_sample():
    r = np.random.default_rng(3).normal(size=(5, 6))
    assert np.allclose(group_advantages(r, scale=False), rloo_advantages(r) * 5 / 6)


def test_baselines_are_shift_invariant_reinforce_is_not():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=(3, 5))
    reward = (rng.random((3, 5)) < 0.5).astype(float)
    for method in ("rloo", "mean", "grpo"):
        a = pg_estimates(theta, reward, 4, 200, np.random.default_rng(7), method)
        b = pg_estimates(theta, reward + 3.0, 4, 200, np.random.default_rng(7), method)
        assert np.allclose(a, b)
    a = pg_estimates(theta, reward, 4, 2000, np.random.default_rng(7), "reinforce")
    b = pg_estimates(theta, reward + 3.0, 4, 2000, np.random.default_rng(7), "reinforce")
    assert b.var(0).sum() > 3 * a.var(0).sum()


def test_pg_estimates_monte_carlo_unbiased():
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(3, 5))
    reward = (rng.random((3, 5)) < 0.5).astype(float)
    reward[:, 0], reward[:, 1] = 1.0, 0.0
    exact = exact_gradient(theta, reward)
    est = pg_estimates(theta, reward, 4, 40_000, rng, "rloo")
    z = np.abs(est.mean(0) - exact) / (est.std(0) / np.sqrt(len(est)) + 1e-15)
    assert z.max() < 5


def test_group_size_validation():
    with pytest.raises(ValueError, match="G >= 2"):
        rloo_advantages(np.ones((3, 1)))
    with pytest.raises(ValueError, match="G >= 2"):
        reinforce_pp_advantages(np.ones((3, 1)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        pg_estimates(np.zeros((2, 3)), np.zeros((2, 3)), 1, 10, np.random.default_rng(0), "rloo")
    with pytest.raises(ValueError, match="at least 2 samples"):
        grpo_expected_scale(0.5, 1)
    with pytest.raises(ValueError, match="unknown estimator"):
        pg_estimates(np.zeros((2, 3)), np.zeros((2, 3)), 2, 10, np.random.default_rng(0), "ppo")


# ---------------------------------------------------------------- REINFORCE++、GSPO、DAPO
def test_reinforce_pp_global_normalisation():
    r = np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    a = reinforce_pp_advantages(r)
    assert a.mean() == pytest.approx(0, abs=1e-12) and a.std() == pytest.approx(1, abs=1e-6)
    assert np.allclose(a[2], 0)                                 # 全对的组：减组均值后为 0
    centred = r - r.mean(1, keepdims=True)
    assert np.allclose(a, centred / centred.std(), atol=1e-6)  # 所有组共用一个全局分母
    # 每组的总权重 Σ|A_i|：全局分母时正比于 q(1-q)，GRPO 的组内分母时正比于 √(q(1-q))
    q = np.array([0.25, 0.5])
    g = group_advantages(r)
    w_rpp, w_grpo = np.abs(a[:2]).sum(1), np.abs(g[:2]).sum(1)
    assert w_rpp[0] / w_rpp[1] == pytest.approx(q[0] * (1 - q[0]) / (q[1] * (1 - q[1])))
    assert w_grpo[0] / w_grpo[1] == pytest.approx(np.sqrt(q[0] * (1 - q[0]) / (q[1] * (1 - q[1]))), rel=1e-5)


def test_gspo_ratio_is_length_normalised_sequence_ratio():
    rng = np.random.default_rng(0)
    logp_old = -rng.random((3, 6))
    logp = logp_old + rng.normal(scale=0.01, size=(3, 6))
    mask = np.array([[1] * 6, [1] * 3 + [0] * 3, [1] + [0] * 5])
    s = gspo_sequence_ratio(logp, logp_old, mask)
    for i in range(3):
        L = mask[i].sum()
        seq_ratio = np.exp((logp[i, :L] - logp_old[i, :L]).sum())
        assert s[i] == pytest.approx(seq_ratio ** (1 / L))
    assert gspo_sequence_ratio(logp_old, logp_old, mask) == pytest.approx(np.ones(3))
    adv = np.array([1.0, -1.0, 0.5])
    assert gspo_objective(logp_old, logp_old, adv, mask) == pytest.approx(adv.mean())
    with pytest.raises(ValueError, match="at least one token"):
        gspo_sequence_ratio(logp, logp_old, np.zeros((3, 6)))


def test_clip_higher_bounds_and_low_probability_token():
    ratio = np.linspace(0.5, 1.6, 12)
    up = clip_higher(ratio, 1.0)
    assert np.allclose(up, np.minimum(ratio, 1.28))            # 正优势：上界 1 + 0.28
    down = clip_higher(ratio, -1.0)
    assert np.allclose(down, -np.maximum(ratio, 0.8))          # 负优势：下界 1 - 0.2
    # 概率 0.01 的 token 一步最多涨到 0.012（ε = 0.2）或 0.0128（ε_high = 0.28）
    assert 0.01 * (1 + 0.2) == pytest.approx(0.012) and 0.01 * (1 + 0.28) == pytest.approx(0.0128)
    with pytest.raises(ValueError, match="non-negative"):
        clip_higher(ratio, 1.0, eps_high=-0.1)


def test_overlong_penalty_piecewise():
    L = np.array([0, 16384, 16385, 18432, 20480, 30000])
    pen = overlong_penalty(L, max_len=20480, cache=4096)
    assert np.allclose(pen, [0, 0, -1 / 4096, -0.5, -1, -1])
    assert np.all(np.diff(overlong_penalty(np.arange(0, 25000, 7), 20480, 4096)) <= 0)
    with pytest.raises(ValueError, match="cache"):
        overlong_penalty(100, max_len=1000, cache=2000)
    with pytest.raises(ValueError, match="non-negative"):
        overlong_penalty(-1, 1000, 100)
