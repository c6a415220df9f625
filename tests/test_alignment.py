"""对齐与 RL：Bradley–Terry、DPO、GRPO、PPO/GAE 的性质测试。"""
import numpy as np
import pytest

from snippets.alignment.dpo import bt_prob, reward_model_loss, dpo_loss, dpo_grad_weight, sequence_logprob, log_sigmoid
from snippets.alignment.grpo import group_advantages, k3_kl, grpo_objective
from snippets.alignment.ppo import ppo_clip_objective, gae


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
