"""奖励模型与偏好优化：BT 拟合、margin/软标签、Best-of-n 的 KL、DPO 的闭式最优解、IPO/SimPO/ORPO/KTO、迷你 PPO-RLHF。"""
import numpy as np
import pytest

from snippets.alignment.dpo import dpo_loss, reward_model_loss, log_sigmoid
from snippets.alignment.reward import (check_pairs, ranking_to_pairs, plackett_luce_logprob, bt_margin_loss, bt_soft_loss, fit_bradley_terry,
                                       best_of_n_kl_bound, best_of_n_policy, gao_bon, gao_rl)
from snippets.alignment.preference import (log_softmax, kl_optimal_policy, implicit_reward, dpo_tabular, ipo_loss,
                                           simpo_loss, orpo_loss, kto_loss)
from snippets.alignment.bandit import ppo_bandit


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---------- 偏好对与 BT 损失 ----------

def test_check_pairs_rejects_mismatched_prompts():
    check_pairs(["a", "b", "c"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="pair 1 compares answers to different prompts \\('b' vs 'x'\\)"):
        check_pairs(["a", "b", "c"], ["a", "x", "c"])
    with pytest.raises(ValueError, match="equal length"):
        check_pairs([1, 2], [1, 2, 3])


def test_ranking_to_pairs_counts():
    for K in range(4, 10):                           # InstructGPT：K = 4..9，C(K,2) = 6..36 对
        pairs = ranking_to_pairs(range(K))
        assert len(pairs) == K * (K - 1) // 2
        assert all(w < l for w, l in pairs)          # 排在前面的是 chosen
    assert len(ranking_to_pairs(range(4))) == 6 and len(ranking_to_pairs(range(9))) == 36
    with pytest.raises(ValueError, match="distinct"):
        ranking_to_pairs([0, 1, 1])


def test_margin_and_soft_label_reduce_to_bt():
    rng = np.random.default_rng(0)
    rw, rl = rng.normal(size=40), rng.normal(size=40)
    assert bt_margin_loss(rw, rl, 0.0) == pytest.approx(reward_model_loss(rw, rl))
    assert bt_soft_loss(rw, rl, 1.0) == pytest.approx(reward_model_loss(rw, rl))
    # margin 越大，同样的分差损失越大（要求拉得更开）
    assert bt_margin_loss(rw, rl, 1.0) > bt_margin_loss(rw, rl, 0.5) > bt_margin_loss(rw, rl, 0.0)
    # 平局（p=0.5）的软标签损失在分差为 0 时最小，值为 log 2
    d = np.linspace(-3, 3, 601)
    tie = [bt_soft_loss(x, 0.0, 0.5) for x in d]
    assert d[int(np.argmin(tie))] == pytest.approx(0.0, abs=1e-9) and min(tie) == pytest.approx(np.log(2))
    # 软标签 p 的最优分差是 logit(p)
    p = 0.8
    soft = [bt_soft_loss(x, 0.0, p) for x in d]
    assert d[int(np.argmin(soft))] == pytest.approx(np.log(p / (1 - p)), abs=0.01)
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        bt_soft_loss(0.0, 0.0, 1.2)
    with pytest.raises(ValueError, match="margin must be >= 0"):
        bt_margin_loss(0.0, 0.0, -1.0)


def test_bt_fit_recovers_rewards_up_to_shift():
    rng = np.random.default_rng(1)
    n, N = 12, 30_000
    r = rng.normal(size=n) + 5.0                     # 任意平移
    a, b = rng.integers(0, n, N), rng.integers(0, n, N)
    keep = a != b
    a, b = a[keep], b[keep]
    a_wins = rng.random(a.size) < sigmoid(r[a] - r[b])
    w, l = np.where(a_wins, a, b), np.where(a_wins, b, a)
    fit = fit_bradley_terry(n, w, l)
    assert fit.mean() == pytest.approx(0.0, abs=1e-12)
    assert np.max(np.abs(fit - (r - r.mean()))) < 0.08
    # 梯度为 0：极大似然的一阶条件（L2 很小）
    q = sigmoid(fit[l] - fit[w])
    g = np.zeros(n)
    np.add.at(g, w, -q)
    np.add.at(g, l, q)
    assert np.max(np.abs(g + 1e-4 * fit)) < 1e-8
    with pytest.raises(ValueError, match="compared with itself"):
        fit_bradley_terry(3, [0, 1], [0, 2])
    with pytest.raises(ValueError, match="indices must lie in"):
        fit_bradley_terry(3, [0, 3], [1, 2])


def test_plackett_luce_normalised_and_reduces_to_bt():
    import itertools
    from snippets.alignment.dpo import bt_prob
    rng = np.random.default_rng(12)
    r = rng.normal(size=4)
    total = sum(np.exp(plackett_luce_logprob(r, perm)) for perm in itertools.permutations(range(4)))
    assert total == pytest.approx(1.0)                          # 4! 种排序的概率之和为 1
    assert np.exp(plackett_luce_logprob(r[:2], [0, 1])) == pytest.approx(bt_prob(r[0], r[1]))   # K = 2 就是 BT
    assert plackett_luce_logprob(r + 7.0, [2, 0, 3, 1]) == pytest.approx(plackett_luce_logprob(r, [2, 0, 3, 1]))
    with pytest.raises(ValueError, match="permutation"):
        plackett_luce_logprob(r, [0, 1, 1, 2])


def test_bt_reward_gap_units():
    from snippets.alignment.dpo import bt_prob
    assert bt_prob(1.0, 0.0) == pytest.approx(0.7311, abs=1e-4)    # 分差 1 ↔ 73.1%
    # Elo：P = 1 / (1 + 10^{-(R_w - R_l)/400})，即 BT 的奖励 r = R·ln10/400
    assert bt_prob(400 * np.log(10) / 400, 0.0) == pytest.approx(1 / (1 + 10 ** -1))


# ---------- Best-of-n 与 Gao et al. 的函数形式 ----------

def test_best_of_n_kl_matches_closed_form_and_is_upper_bound():
    for n in (1, 2, 4, 16, 64):
        K = 20_000                                    # 近似连续：大量等概率、奖励互不相同的回答
        p = np.full(K, 1.0 / K)
        q = best_of_n_policy(p, np.arange(K, dtype=float), n)
        kl = np.sum(q[q > 0] * np.log(q[q > 0] / p[q > 0]))
        assert kl == pytest.approx(best_of_n_kl_bound(n), abs=2e-3)
    rng = np.random.default_rng(2)
    p = np.exp(log_softmax(rng.normal(0, 2, 12)))    # 离散、概率不等：KL 严格小于解析式
    q = best_of_n_policy(p, rng.normal(size=12), 8)
    assert q.sum() == pytest.approx(1.0)
    assert np.sum(q * np.log(q / p)) < best_of_n_kl_bound(8)
    assert best_of_n_kl_bound(1) == 0.0
    assert np.allclose(best_of_n_kl_bound([4, 16, 64, 256]), [0.636, 1.835, 3.175, 4.549], atol=1e-3)
    with pytest.raises(ValueError, match="distinct"):
        best_of_n_policy(np.ones(3) / 3, np.array([1.0, 1.0, 2.0]), 2)


def test_gao_functional_forms_peaks():
    a, b = 1.0, 0.25
    d = np.linspace(1e-6, 8, 200_001)
    assert d[np.argmax(gao_bon(d, a, b))] == pytest.approx(a / (2 * b), abs=1e-3)      # d* = α/(2β)
    a, b = 1.0, 0.5
    assert d[np.argmax(gao_rl(d, a, b))] == pytest.approx(np.exp(a / b - 1), abs=1e-3)  # d* = e^{α/β - 1}
    assert gao_rl(0.0, a, b) == 0.0


# ---------- DPO：闭式最优解、表格策略、梯度 ----------

def test_kl_optimal_policy_maximises_regularised_objective():
    rng = np.random.default_rng(3)
    K, beta = 7, 0.3
    lref, r = log_softmax(rng.normal(size=K)), rng.normal(size=K)
    ps = kl_optimal_policy(lref, r, beta)

    def J(p):
        return p @ r - beta * np.sum(p * (np.log(p) - lref))

    logZ = np.log(np.sum(np.exp(lref + r / beta)))
    assert J(ps) == pytest.approx(beta * logZ)
    for _ in range(50):                               # J(π) = β log Z - β KL(π‖π*) ≤ J(π*)
        p = np.exp(log_softmax(rng.normal(size=K)))
        assert J(p) == pytest.approx(beta * logZ - beta * np.sum(p * np.log(p / ps)))
        assert J(p) < J(ps)
    # 隐式奖励 = r - β log Z：只差一个常数
    assert np.allclose(implicit_reward(np.log(ps), lref, beta) - r, -beta * logZ)


def test_dpo_tabular_gradient_matches_finite_differences_and_pair_loss():
    rng = np.random.default_rng(4)
    K, beta = 6, 0.2
    lref, theta = log_softmax(rng.normal(size=K)), rng.normal(size=K)
    i, j = np.triu_indices(K, 1)
    p = rng.random(i.size)
    w = rng.random(i.size)
    L, g = dpo_tabular(theta, lref, i, j, p, beta, w)
    e = 1e-6
    num = np.array([(dpo_tabular(theta + e * np.eye(K)[k], lref, i, j, p, beta, w)[0]
                     - dpo_tabular(theta - e * np.eye(K)[k], lref, i, j, p, beta, w)[0]) / (2 * e) for k in range(K)])
    assert np.allclose(g, num, atol=1e-8)
    assert g.sum() == pytest.approx(0.0, abs=1e-12)    # 给所有 logits 加常数不改变策略
    # p = 1 时就是普通 DPO 损失（对数概率取 softmax）
    lp = log_softmax(theta)
    L1, _ = dpo_tabular(theta, lref, i, j, 1.0, beta)
    assert L1 == pytest.approx(dpo_loss(lp[i], lp[j], lref[i], lref[j], beta)[0])


def test_dpo_population_optimum_is_closed_form_policy():
    rng = np.random.default_rng(5)
    K, beta = 5, 0.5
    lref, r = log_softmax(rng.normal(size=K)), rng.normal(size=K)
    i, j = np.triu_indices(K, 1)
    p, w = sigmoid(r[i] - r[j]), np.exp(lref[i] + lref[j])
    theta = lref.copy()
    for _ in range(400):
        theta -= 20 * dpo_tabular(theta, lref, i, j, p, beta, w)[1]
    assert np.allclose(np.exp(log_softmax(theta)), kl_optimal_policy(lref, r, beta), atol=1e-6)


def test_dpo_tabular_validation():
    z = np.zeros(3)
    with pytest.raises(ValueError, match="beta must be positive"):
        dpo_tabular(z, z, [0], [1], 1.0, beta=0.0)
    with pytest.raises(ValueError, match="same shape"):
        dpo_tabular(z, np.zeros(4), [0], [1], 1.0, beta=0.1)
    with pytest.raises(ValueError, match="i != j"):
        dpo_tabular(z, z, [0, 1], [0, 2], 1.0, beta=0.1)
    with pytest.raises(ValueError, match="beta must be positive"):
        kl_optimal_policy(z, z, beta=-1.0)


# ---------- IPO / SimPO / ORPO / KTO ----------

def test_ipo_minimum_at_half_inverse_tau():
    tau = 0.25
    h = np.linspace(-2, 6, 8001)
    vals = np.array([ipo_loss(x, 0.0, 0.0, 0.0, tau) for x in h])
    assert h[np.argmin(vals)] == pytest.approx(1 / (2 * tau), abs=1e-3)
    assert ipo_loss(0.0, 0.0, 0.0, 0.0, tau) == pytest.approx(1 / (4 * tau ** 2))
    # 参考模型项与 DPO 相同：只看“对数比之差”
    assert ipo_loss(-3.0, -5.0, -2.0, -4.0, tau) == pytest.approx(ipo_loss(0.0, 0.0, 0.0, 0.0, tau))
    with pytest.raises(ValueError, match="tau must be positive"):
        ipo_loss(0.0, 0.0, 0.0, 0.0, tau=0.0)


def test_dpo_loss_has_no_finite_minimiser():
    h = np.linspace(0, 200, 11)
    vals = [dpo_loss(x, 0.0, 0.0, 0.0, 0.1)[0] for x in h]
    assert all(a > b for a, b in zip(vals, vals[1:]))   # 单调下降，最小值在无穷远


def test_simpo_is_length_normalised_and_matches_formula():
    rng = np.random.default_rng(6)
    lw, ll = -rng.uniform(10, 60, 20), -rng.uniform(10, 60, 20)
    nw, nl = rng.integers(5, 40, 20).astype(float), rng.integers(5, 40, 20).astype(float)
    beta, gamma = 2.0, 1.0
    ref = np.mean(-np.log(sigmoid(beta * (lw / nw - ll / nl) - gamma)))
    assert simpo_loss(lw, ll, nw, nl, beta, gamma) == pytest.approx(ref)
    # 把回答重复一遍（每个 token 的对数概率不变、长度翻倍）：SimPO 不变，求和的对数概率翻倍
    assert simpo_loss(2 * lw, ll, 2 * nw, nl, beta, gamma) == pytest.approx(simpo_loss(lw, ll, nw, nl, beta, gamma))
    # 差值正好等于 γ/β 时 margin 为 0，损失为 log 2
    assert simpo_loss(-10.0 + 0.5 * 10, -10.0, 10.0, 10.0, beta, gamma) == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match="lengths must be positive"):
        simpo_loss(-1.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        simpo_loss(-1.0, -1.0, 1.0, 1.0, gamma=-0.5)


def test_orpo_odds_ratio_term_and_total():
    lw, ll, nw, nl = np.array([-6.0, -20.0]), np.array([-9.0, -12.0]), np.array([6.0, 10.0]), np.array([6.0, 4.0])
    Pw, Pl = np.exp(lw / nw), np.exp(ll / nl)
    log_or = np.log(Pw / (1 - Pw)) - np.log(Pl / (1 - Pl))
    total, sft, ratio = orpo_loss(lw, ll, nw, nl, lam=0.1)
    assert sft == pytest.approx(np.mean(-lw / nw))
    assert ratio == pytest.approx(np.mean(-np.log(sigmoid(log_or))))
    assert total == pytest.approx(sft + 0.1 * ratio)
    # 两条回答概率相同：odds ratio = 1，比值项为 log 2
    assert orpo_loss(-3.0, -3.0, 3.0, 3.0)[2] == pytest.approx(np.log(2))
    # 接近 1 的概率也稳定（log(1-P) 用 log1mexp）
    assert np.isfinite(orpo_loss(-1e-9, -5.0, 1.0, 1.0)[0])
    with pytest.raises(ValueError, match="must be negative"):
        orpo_loss(0.0, -1.0, 1.0, 1.0)


def test_kto_value_is_bounded_and_reference_point():
    beta, z0 = 0.5, 0.3
    r = np.linspace(-40, 40, 2001)
    good = np.array([kto_loss(np.array([x]), np.array([True]), z0, beta) for x in r])
    bad = np.array([kto_loss(np.array([x]), np.array([False]), z0, beta) for x in r])
    assert np.all((good >= 0) & (good <= 1)) and np.all((bad >= 0) & (bad <= 1))   # 损失在 [0, λ] 内
    at = kto_loss(np.array([z0]), np.array([True]), z0, beta)
    assert at == pytest.approx(0.5)                                                  # r = z0 时 v = λ/2
    # 梯度在参考点最大，离参考点越远越小（两端饱和）
    g = np.abs(np.gradient(good, r))
    assert abs(r[np.argmax(g)] - z0) < 0.05 and g[0] < 1e-3 * g.max()
    # z0 < 0 被截断为 0
    assert kto_loss(np.array([1.0]), np.array([True]), -2.0, beta) == pytest.approx(
        kto_loss(np.array([1.0]), np.array([True]), 0.0, beta))
    # λ_D、λ_U 分别缩放好、坏样本
    assert kto_loss(np.array([0.0]), np.array([False]), 0.0, beta, lam_u=2.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="boolean array"):
        kto_loss(np.array([0.0, 1.0]), np.array([1, 0]), 0.0)


def test_variant_losses_reject_nonpositive_strength():
    with pytest.raises(ValueError, match="beta must be positive"):
        simpo_loss(-1.0, -2.0, 1.0, 1.0, beta=0.0)
    with pytest.raises(ValueError, match="lam must be positive"):
        orpo_loss(-1.0, -2.0, 1.0, 1.0, lam=-0.1)
    with pytest.raises(ValueError, match="beta must be positive"):
        kto_loss(np.zeros(1), np.array([True]), 0.0, beta=-1.0)
    with pytest.raises(ValueError, match="beta must be positive"):
        implicit_reward(np.zeros(2), np.zeros(2), 0.0)


# ---------- 迷你 PPO-RLHF ----------

def test_ppo_bandit_converges_to_kl_regularised_optimum():
    rng = np.random.default_rng(7)
    K, beta = 8, 0.5
    lref, r = log_softmax(rng.normal(size=K)), rng.normal(size=K)
    H = ppo_bandit(r, lref, beta=beta, iters=150, seed=0)
    ps = kl_optimal_policy(lref, r, beta)
    assert 0.5 * np.abs(H[-1] - ps).sum() < 0.03
    assert H[-1] @ r > np.exp(lref) @ r + 0.1                  # 奖励上升
    kl = np.sum(H[-1] * (np.log(H[-1]) - lref))
    kl_star = np.sum(ps * np.log(ps / np.exp(lref)))
    assert kl == pytest.approx(kl_star, abs=0.05)               # KL 停在最优解的 KL 附近


def test_ppo_bandit_validation():
    z = np.zeros(4)
    with pytest.raises(ValueError, match="equal length K"):
        ppo_bandit(z, np.zeros(3))
    with pytest.raises(ValueError, match="beta must be >= 0"):
        ppo_bandit(z, z, beta=-0.1)
    with pytest.raises(ValueError, match="not divisible"):
        ppo_bandit(z, z, batch=10, minibatches=4)
