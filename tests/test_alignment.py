"""对齐与 RL：Bradley–Terry、DPO、GRPO、PPO/GAE 的性质测试。"""
import numpy as np
import pytest

from snippets.alignment.dpo import bt_prob, reward_model_loss, dpo_loss, dpo_grad_weight, sequence_logprob, log_sigmoid
from snippets.alignment.grpo import group_advantages, k3_kl, kl_estimators, grpo_objective
from snippets.alignment.ppo import ppo_clip_objective, ppo_dual_clip_objective, gae


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


# ---------- Bradley–Terry ----------

def test_bt_equals_two_way_softmax_and_notes_example():
    assert bt_prob(1.33, -0.02) == pytest.approx(softmax([1.33, -0.02])[0])
    assert bt_prob(1.33, -0.02) == pytest.approx(0.7941, abs=1e-4)   # 不是笔记里假设的 0.9
    assert bt_prob(1.33, -0.02) + bt_prob(-0.02, 1.33) == pytest.approx(1.0)


def test_bt_shift_invariance_per_prompt():
    rng = np.random.default_rng(0)
    rw, rl = rng.normal(size=50), rng.normal(size=50)
    c = rng.normal(size=50) * 100                    # 每个 prompt 一个任意偏移
    assert np.allclose(bt_prob(rw + c, rl + c), bt_prob(rw, rl))
    assert reward_model_loss(rw + c, rl + c) == pytest.approx(reward_model_loss(rw, rl))
    assert not np.allclose(bt_prob(2 * rw, 2 * rl), bt_prob(rw, rl))  # 缩放会改变概率


def test_log_sigmoid_stable():
    assert np.isfinite(log_sigmoid(-1000.0)) and log_sigmoid(-1000.0) == pytest.approx(-1000.0)
    assert log_sigmoid(1000.0) == 0.0


# ---------- DPO ----------

def test_dpo_loss_matches_definition():
    rng = np.random.default_rng(0)
    pw, pl, rw, rl = rng.normal(-50, 5, (4, 32))
    beta = 0.1
    loss, margin = dpo_loss(pw, pl, rw, rl, beta)
    expected = -np.log(1 / (1 + np.exp(-beta * ((pw - rw) - (pl - rl)))))
    assert loss == pytest.approx(expected.mean())
    # 等于以隐式奖励 β log(π/π_ref) 为分数的 Bradley–Terry 损失
    assert loss == pytest.approx(reward_model_loss(beta * (pw - rw), beta * (pl - rl)))
    # 策略等于参考模型时，损失为 log 2
    assert dpo_loss(rw, rl, rw, rl, beta)[0] == pytest.approx(np.log(2))


def test_dpo_loss_can_drop_while_both_logprobs_drop():
    ref_w, ref_l = -40.0, -42.0
    before, _ = dpo_loss(ref_w, ref_l, ref_w, ref_l, 0.1)
    after, _ = dpo_loss(ref_w - 1.0, ref_l - 5.0, ref_w, ref_l, 0.1)   # 两者都下降，差距拉大
    assert after < before


def test_dpo_gradient_weight():
    beta = 0.5
    for m in (-3.0, 0.0, 2.0):
        # 数值求导：对 log π(y_w) 的偏导
        pw = 0.0
        eps = 1e-6
        f = lambda x: dpo_loss(x, 0.0, 0.0, m / beta, beta)[0]
        num = (f(pw + eps) - f(pw - eps)) / (2 * eps)
        margin = beta * (pw - (0.0 - m / beta))
        assert num == pytest.approx(-beta * dpo_grad_weight(margin), rel=1e-5)


def test_sequence_logprob_masks_prompt():
    tok = np.array([[-1.0, -2.0, -0.5, -0.25]])
    mask = np.array([[0, 0, 1, 1]])
    assert sequence_logprob(tok, mask)[0] == pytest.approx(-0.75)


# ---------- GRPO ----------

@pytest.mark.parametrize("k", range(1, 8))
def test_group_advantage_closed_form(k):
    G = 8
    r = np.array([1.0] * k + [0.0] * (G - k))
    A = group_advantages(r[None], eps=0.0)[0]
    q = k / G
    assert A.mean() == pytest.approx(0.0, abs=1e-12)
    assert A.std() == pytest.approx(1.0)
    assert A[0] == pytest.approx(np.sqrt((1 - q) / q))
    assert A[-1] == pytest.approx(-np.sqrt(q / (1 - q)))
    # 无偏标准差（PyTorch 默认）只差一个常数因子
    A1 = group_advantages(r[None], eps=0.0, ddof=1)[0]
    assert np.allclose(A1, A * np.sqrt((G - 1) / G))


def test_group_advantage_known_values_and_degenerate_group():
    vals = [group_advantages(np.array([[1.0] * k + [0.0] * (8 - k)]))[0, 0] for k in (1, 4, 7)]
    assert np.allclose(vals, [2.6458, 1.0, 0.3780], atol=1e-4)
    assert np.all(group_advantages(np.ones((3, 8))) == 0)          # 全对或全错：没有梯度信号
    assert np.all(group_advantages(np.zeros((1, 8))) == 0)


def test_group_advantage_invariances():
    rng = np.random.default_rng(0)
    r = rng.normal(size=(5, 16))
    A = group_advantages(r, eps=0.0)
    assert np.allclose(group_advantages(3 * r + 7, eps=0.0), A)   # 对奖励的仿射变换不变


def test_k3_unbiased_and_nonnegative():
    rng = np.random.default_rng(0)
    p = softmax(rng.normal(size=20))
    p_ref = softmax(rng.normal(size=20))
    exact = np.sum(p * np.log(p / p_ref))                          # KL(π_θ ‖ π_ref)
    y = rng.choice(20, size=400_000, p=p)                          # 从 π_θ 采样
    est = k3_kl(np.log(p[y]), np.log(p_ref[y]))
    assert np.all(est >= 0)
    assert est.mean() == pytest.approx(exact, rel=0.02)
    k1 = np.log(p[y]) - np.log(p_ref[y])                           # 朴素估计可以为负
    assert (k1 < 0).any()
    assert k1.mean() == pytest.approx(exact, rel=0.05)


def _toy_batch(rng, N=6, T=9):
    lens = rng.integers(3, T + 1, N)
    mask = (np.arange(T)[None] < lens[:, None]).astype(float)
    logp_old = -rng.uniform(0.1, 3.0, (N, T))
    return mask, logp_old


def test_grpo_objective_on_policy_equals_mean_advantage():
    rng = np.random.default_rng(0)
    mask, logp_old = _toy_batch(rng)
    adv = group_advantages(rng.normal(size=(1, 6)))[0]
    # π_θ = π_old = π_ref：比值为 1，KL 为 0，目标 = 优势的平均 = 0
    obj = grpo_objective(logp_old, logp_old, logp_old, adv, mask)
    assert obj == pytest.approx(adv.mean(), abs=1e-12) and obj == pytest.approx(0.0, abs=1e-9)


def test_grpo_aggregation_sample_vs_token():
    rng = np.random.default_rng(1)
    mask, logp_old = _toy_batch(rng)
    logp = logp_old + rng.normal(0, 0.05, logp_old.shape)
    adv = rng.normal(size=6)
    ratio = np.exp(logp - logp_old)
    surr = np.minimum(ratio * adv[:, None], np.clip(ratio, 0.8, 1.2) * adv[:, None])
    per_seq = (surr * mask).sum(1) / mask.sum(1)
    assert grpo_objective(logp, logp_old, logp_old, adv, mask, beta=0.0) == pytest.approx(per_seq.mean())
    assert grpo_objective(logp, logp_old, logp_old, adv, mask, beta=0.0, agg="token") == \
        pytest.approx((surr * mask).sum() / mask.sum())


def test_grpo_clip_kills_gradient_beyond_trust_region():
    rng = np.random.default_rng(2)
    mask = np.ones((1, 4))
    logp_old = -np.ones((1, 4))
    adv = np.array([1.0])
    logp = logp_old + np.log(1.5)                 # ρ = 1.5 > 1 + ε 且 A > 0：被裁剪
    f = lambda lp: grpo_objective(lp, logp_old, logp_old, adv, mask, beta=0.0)
    e = np.zeros((1, 4)); e[0, 0] = 1e-6
    assert (f(logp + e) - f(logp - e)) / 2e-6 == pytest.approx(0.0, abs=1e-9)
    logp = logp_old + np.log(1.1)                 # 信任域内：梯度非零
    assert abs((f(logp + e) - f(logp - e)) / 2e-6) > 0.1


# ---------- PPO / GAE ----------

def test_ppo_clip_pessimistic_bound():
    rng = np.random.default_rng(0)
    ratio, adv = np.exp(rng.normal(0, 0.3, 1000)), rng.normal(size=1000)
    assert ppo_clip_objective(ratio, adv) <= np.mean(ratio * adv) + 1e-12
    assert ppo_clip_objective(np.ones(10), adv[:10]) == pytest.approx(adv[:10].mean())


def test_gae_limits_and_brute_force():
    rng = np.random.default_rng(0)
    T = 12
    r, v = rng.normal(size=T), np.append(rng.normal(size=T), 0.0)
    gamma, lam = 0.97, 0.9
    delta = r + gamma * v[1:] - v[:-1]
    brute = np.array([sum((gamma * lam) ** l * delta[t + l] for l in range(T - t)) for t in range(T)])
    assert np.allclose(gae(r, v, gamma, lam), brute)
    assert np.allclose(gae(r, v, gamma, 0.0), delta)                       # λ=0：一步 TD 误差
    returns = np.array([sum(gamma ** l * r[t + l] for l in range(T - t)) for t in range(T)])
    assert np.allclose(gae(r, v, gamma, 1.0), returns - v[:-1])            # λ=1：蒙特卡洛回报减基线


# ---------- PPO：裁剪不等于信任域；dual clip ----------

def test_ppo_clip_unbounded_for_negative_advantage_dual_clip_bounds_it():
    adv = np.array([-1.0])
    vals = [ppo_clip_objective(np.array([r]), adv) for r in (1.5, 5.0, 50.0)]
    assert vals == pytest.approx([-1.5, -5.0, -50.0])        # A<0、ρ>1+ε：取未裁剪的 ρA，没有下界
    dual = [ppo_dual_clip_objective(np.array([r]), adv, c=3.0) for r in (1.5, 5.0, 50.0)]
    assert dual == pytest.approx([-1.5, -3.0, -3.0])          # 截在 c·A
    # A<0、ρ>1+ε 时标准目标对 ρ 的梯度是 A（非零），不是 0：裁剪并没有把 ρ 关在 [1-ε, 1+ε] 里
    e = 1e-6
    g = (ppo_clip_objective(np.array([5.0 + e]), adv) - ppo_clip_objective(np.array([5.0 - e]), adv)) / (2 * e)
    assert g == pytest.approx(-1.0)
    gd = (ppo_dual_clip_objective(np.array([5.0 + e]), adv) - ppo_dual_clip_objective(np.array([5.0 - e]), adv)) / (2 * e)
    assert gd == pytest.approx(0.0, abs=1e-9)                 # dual clip 在 ρ > c 后梯度为 0


def test_dual_clip_equals_ppo_for_positive_advantage_and_small_ratio():
    rng = np.random.default_rng(3)
    ratio, adv = np.exp(rng.normal(0, 0.5, 500)), rng.normal(size=500)
    keep = (adv >= 0) | (ratio <= 3.0)
    assert ppo_dual_clip_objective(ratio[keep], adv[keep]) == pytest.approx(ppo_clip_objective(ratio[keep], adv[keep]))
    assert ppo_dual_clip_objective(ratio, adv) >= ppo_clip_objective(ratio, adv)


def test_ppo_input_validation():
    with pytest.raises(ValueError, match="clip_eps"):
        ppo_clip_objective([1.0], [1.0], clip_eps=1.5)
    with pytest.raises(ValueError, match="positive"):
        ppo_clip_objective([0.0], [1.0])
    with pytest.raises(ValueError, match="c must be > 1"):
        ppo_dual_clip_objective([1.0], [-1.0], c=0.5)
    with pytest.raises(ValueError, match="T\\+1"):
        gae(np.zeros(4), np.zeros(4))


# ---------- k1 / k2 / k3 ----------

def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    return z - z.max() - np.log(np.exp(z - z.max()).sum())


def test_kl_estimators_values_and_bias():
    rng = np.random.default_rng(4)
    lp, lq = _log_softmax(rng.normal(size=30)), _log_softmax(rng.normal(size=30))
    p = np.exp(lp)
    exact = np.sum(p * (lp - lq))
    k1, k2, k3 = kl_estimators(lp, lq)                        # 每个可能的 y 上的值
    assert np.allclose(k3, k3_kl(lp, lq))
    assert np.sum(p * k1) == pytest.approx(exact)             # k1、k3 精确无偏
    assert np.sum(p * k3) == pytest.approx(exact)
    assert np.sum(p * k2) != pytest.approx(exact, rel=1e-3)   # k2 有偏
    assert (k1 < 0).any() and (k2 >= 0).all() and (k3 >= 0).all()
    # 两分布接近时 k2 的偏差是 KL 的高阶小量
    lq_close = _log_softmax(lp + 0.01 * rng.normal(size=30))
    ex_c = np.sum(p * (lp - lq_close))
    assert abs(np.sum(p * kl_estimators(lp, lq_close)[1]) - ex_c) < 0.05 * ex_c


def test_kl_estimator_as_loss_gradients():
    """把估计值当 loss 反传（采样分布不求导）：k1 的期望梯度为 0，k2 给反向 KL 的梯度，k3 给正向 KL 的梯度。"""
    rng = np.random.default_rng(5)
    z0, lq = rng.normal(size=12), _log_softmax(rng.normal(size=12))
    p0 = np.exp(_log_softmax(z0))                             # 采样分布（stop-gradient）

    def surrogate(z, which):
        return np.sum(p0 * kl_estimators(_log_softmax(z), lq)[which])

    def rev_kl(z):
        lp = _log_softmax(z)
        return np.sum(np.exp(lp) * (lp - lq))

    def fwd_kl(z):
        return np.sum(np.exp(lq) * (lq - _log_softmax(z)))

    def grad(f):
        e, g = 1e-6, np.zeros_like(z0)
        for i in range(len(z0)):
            d = np.zeros_like(z0); d[i] = e
            g[i] = (f(z0 + d) - f(z0 - d)) / (2 * e)
        return g

    assert np.allclose(grad(lambda z: surrogate(z, 0)), 0.0, atol=1e-8)
    assert np.allclose(grad(lambda z: surrogate(z, 1)), grad(rev_kl), atol=1e-7)
    assert np.allclose(grad(lambda z: surrogate(z, 2)), grad(fwd_kl), atol=1e-7)
    assert not np.allclose(grad(rev_kl), grad(fwd_kl), atol=1e-3)


def test_grpo_input_validation():
    with pytest.raises(ValueError, match="shape \\(B, G\\)"):
        group_advantages(np.ones(8))
    mask, logp_old = _toy_batch(np.random.default_rng(0))
    with pytest.raises(ValueError, match="agg must be"):
        grpo_objective(logp_old, logp_old, logp_old, np.zeros(6), mask, agg="mean")
    with pytest.raises(ValueError, match="must match"):
        grpo_objective(logp_old[:, :3], logp_old, logp_old, np.zeros(6), mask)
    with pytest.raises(ValueError, match="beta"):
        dpo_loss(0.0, 0.0, 0.0, 0.0, beta=0.0)


@pytest.mark.parametrize("G,p,expected", [(4, 0.9, 0.6562), (16, 0.9, 0.1853), (64, 0.9, 0.001179), (16, 0.5, 3.05e-5)])
def test_probability_group_has_no_signal(G, p, expected):
    """0/1 奖励、每条回答独立以概率 p 答对：一组 G 条全对或全错（优势全为 0）的概率 p^G + (1-p)^G。"""
    rng = np.random.default_rng(6)
    r = (rng.random((100_000, G)) < p).astype(float)
    dead = np.all(group_advantages(r) == 0, axis=1).mean()
    closed = p ** G + (1 - p) ** G
    assert closed == pytest.approx(expected, rel=2e-3)
    assert dead == pytest.approx(closed, abs=4 * np.sqrt(closed * (1 - closed) / 100_000) + 1e-5)


def test_dpo_beta_sets_the_required_logprob_gap():
    """把单个偏好对的损失压到 L 需要 margin m = -log(e^L - 1)；所需的对数概率差 = m / β。"""
    L = 0.1
    m = -np.log(np.expm1(L))
    assert m == pytest.approx(2.252, abs=1e-3)
    for beta, gap in ((0.1, 22.5), (0.5, 4.5)):
        assert m / beta == pytest.approx(gap, abs=0.05)
        assert dpo_loss(m / beta, 0.0, 0.0, 0.0, beta)[0] == pytest.approx(L)


def test_group_mean_baseline_includes_own_reward_shrinks_by_g_minus_1_over_g():
    rng = np.random.default_rng(7)
    for G in (2, 4, 16):
        r = rng.normal(size=(5, G))
        A = group_advantages(r, scale=False)
        loo = r - (r.sum(-1, keepdims=True) - r) / (G - 1)      # 基线只用其余 G-1 条
        assert np.allclose(A, (G - 1) / G * loo)


def test_probability_hard_question_gets_a_success():
    for G, expected in ((8, 0.3366), (64, 0.9625)):
        assert 1 - 0.95 ** G == pytest.approx(expected, abs=1e-4)


# ---------- GAE 与 λ-return、RLHF 的逐 token 奖励、critic 损失、显存 ----------

from snippets.alignment.ppo import (n_step_advantages, lambda_weighted_advantage, rlhf_token_rewards, value_loss,
                                    ppo_rlhf_memory_gb)


@pytest.mark.parametrize("gamma,lam", [(1.0, 0.95), (0.9, 0.5), (0.99, 0.0), (0.97, 1.0), (0.0, 0.7)])
def test_gae_recursion_equals_lambda_weighted_n_step_advantages(gamma, lam):
    rng = np.random.default_rng(8)
    T = 9
    r, v = rng.normal(size=T), np.append(rng.normal(size=T), 0.0)
    assert np.allclose(gae(r, v, gamma, lam), lambda_weighted_advantage(r, v, gamma, lam))


def test_n_step_advantages_endpoints():
    rng = np.random.default_rng(9)
    T, gamma = 6, 0.9
    r, v = rng.normal(size=T), np.append(rng.normal(size=T), 0.0)
    A = n_step_advantages(r, v, gamma)
    delta = r + gamma * v[1:] - v[:-1]
    assert np.allclose(A[:, 0], delta)                                     # n=1：TD 误差
    mc = np.array([sum(gamma ** l * r[t + l] for l in range(T - t)) for t in range(T)]) - v[:-1]
    assert np.allclose(A[:, -1], mc)                                       # n ≥ T-t：蒙特卡洛
    # GAE 权重 (1-λ)λ^{n-1} 加上尾部 λ^{m-1} 之和为 1：常数优势被原样保留
    assert np.allclose(lambda_weighted_advantage(np.zeros(T), np.zeros(T + 1) + 0.0, gamma, 0.8), 0.0)


def test_gae_rejects_bad_discount():
    with pytest.raises(ValueError, match="gamma must be in \\[0, 1\\]"):
        gae(np.zeros(3), np.zeros(4), gamma=1.5)
    with pytest.raises(ValueError, match="lam must be in \\[0, 1\\]"):
        gae(np.zeros(3), np.zeros(4), lam=-0.1)
    with pytest.raises(ValueError, match="lam must be in \\[0, 1\\]"):
        lambda_weighted_advantage(np.zeros(3), np.zeros(4), lam=2.0)
    with pytest.raises(ValueError, match="1-D"):
        gae(np.zeros((2, 3)), np.zeros(4))


def test_rlhf_token_rewards_score_on_last_token_and_kl_sum():
    rng = np.random.default_rng(10)
    B, T, beta = 3, 6, 0.05
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], dtype=float)
    lp, lr = -rng.uniform(0.1, 3, (B, T)), -rng.uniform(0.1, 3, (B, T))
    score = np.array([1.5, -0.5, 2.0])
    r = rlhf_token_rewards(score, lp, lr, mask, beta)
    # 整条回答的奖励和 = RM 分数 - β·Σ_t (log π - log π_ref)，padding 位置为 0
    assert np.allclose(r.sum(1), score - beta * ((lp - lr) * mask).sum(1))
    assert np.all(r[mask == 0] == 0)
    assert r[1, 2] == pytest.approx(score[1] - beta * (lp[1, 2] - lr[1, 2]))  # 分数在第 3 个 token 上
    assert np.allclose(rlhf_token_rewards(score, lp, lr, mask, 0.0).sum(1), score)


def test_rlhf_token_rewards_bad_shapes():
    m = np.ones((2, 4))
    with pytest.raises(ValueError, match="rm_score needs one scalar per sequence"):
        rlhf_token_rewards(np.zeros((2, 4)), m, m, m)
    with pytest.raises(ValueError, match="share one \\(B, T\\) shape"):
        rlhf_token_rewards(np.zeros(2), m, m[:, :3], m)
    with pytest.raises(ValueError, match="beta must be >= 0"):
        rlhf_token_rewards(np.zeros(2), m, m, m, beta=-0.1)
    with pytest.raises(ValueError, match="at least one response token"):
        rlhf_token_rewards(np.zeros(2), m, m, np.array([[1, 1, 0, 0], [0, 0, 0, 0]]))


def test_value_loss_clipping_is_pessimistic_and_stops_gradient():
    rng = np.random.default_rng(11)
    v_old, R = rng.normal(size=200), rng.normal(size=200)
    v_new = v_old + rng.normal(0, 0.5, 200)
    plain, clipped = value_loss(v_new, v_old, R), value_loss(v_new, v_old, R, clip_range=0.2)
    assert clipped >= plain                                    # max(·,·) 是上界
    assert value_loss(v_old, v_old, R, 0.2) == pytest.approx(value_loss(v_old, v_old, R))
    # V_old = 0、R = 1、c = 0.2：0.5·(V-R)^2 的梯度是 V-R
    f = lambda x: value_loss(np.array([x]), np.array([0.0]), np.array([1.0]), clip_range=0.2)
    e = 1e-6
    d = lambda x: (f(x + e) - f(x - e)) / (2 * e)
    assert d(0.1) == pytest.approx(-0.9)          # 还在 V_old ± c 之内：普通梯度
    assert d(-0.5) == pytest.approx(-1.5)         # 离开 R 超过 c：未裁剪项更大，照常往回拉
    assert d(0.5) == pytest.approx(0.0, abs=1e-9)  # 朝 R 走出 c 之外：取裁剪项（常数），不再推动
    assert d(1.5) == pytest.approx(0.0, abs=1e-9)  # 越过了 R 也一样：裁剪会挡住纠正过冲的梯度
    with pytest.raises(ValueError, match="same shape"):
        value_loss(np.zeros(3), np.zeros(2), np.zeros(3))


def test_ppo_rlhf_memory_seven_billion():
    m = ppo_rlhf_memory_gb(7e9)
    assert m["actor"] == pytest.approx(112.0) and m["critic"] == pytest.approx(112.0)
    assert m["reward"] == pytest.approx(14.0) and m["reference"] == pytest.approx(14.0)
    assert m["total"] == pytest.approx(252.0)
    small = ppo_rlhf_memory_gb(175e9, n_critic=6e9, n_rm=6e9)    # InstructGPT：175B 策略配 6B 的 RM 与 critic
    assert small["total"] == pytest.approx((175 * 16 + 6 * 16 + 6 * 2 + 175 * 2))
    with pytest.raises(ValueError, match="critic parameter count must be positive"):
        ppo_rlhf_memory_gb(7e9, n_critic=0)
