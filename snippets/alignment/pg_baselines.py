"""GRPO 之后的几种无 critic 策略梯度：RLOO 留一基线、REINFORCE++ 全局标准化、GSPO 序列级重要性比、
DAPO 的非对称裁剪与超长惩罚，以及一个能算出精确梯度的 softmax 玩具策略（用来量偏差和方差）。"""
import numpy as np

from snippets.alignment.grpo import group_advantages


def _check_groups(rewards):
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 2 or r.shape[-1] < 2:
        raise ValueError(f"rewards must have shape (B, G) with group size G >= 2, got {r.shape}")
    return r


# --8<-- [start:rloo]
def rloo_advantages(rewards):
    """RLOO：第 i 条的基线是同组其余 G-1 条的平均奖励，A_i = r_i - (Σ_j r_j - r_i)/(G-1)。

    基线不含 r_i 本身，和 y_i 独立，所以策略梯度无偏；只减组均值（含自己）恰好等于它乘 (G-1)/G。
    """
    r = _check_groups(rewards)
    G = r.shape[-1]
    return r - (r.sum(-1, keepdims=True) - r) / (G - 1)
# --8<-- [end:rloo]


# --8<-- [start:reinforce_pp]
def reinforce_pp_advantages(rewards, group_baseline=True, eps=1e-8):
    """REINFORCE++ 的结果奖励部分：（可选）先减组均值（“w/ baseline”变体），再在整个 batch 上做一次标准化。

    与 GRPO 的区别是分母：GRPO 除以每组自己的标准差，这里除以全局 batch 的标准差（所有组共用一个数）。
    逐 token 的 KL 惩罚在论文里折进奖励（A_t = r - β Σ_{s≥t} KL_s），此处只演示归一化。
    """
    r = _check_groups(rewards)
    a = r - r.mean(-1, keepdims=True) if group_baseline else r
    return (a - a.mean()) / (a.std() + eps)
# --8<-- [end:reinforce_pp]


# --8<-- [start:gspo]
def gspo_sequence_ratio(logp, logp_old, mask):
    """GSPO 的序列级重要性比 s_i = (π_θ(y_i)/π_old(y_i))^{1/|y_i|} = exp(逐 token 对数比的平均)。

    长度归一化让不同长度的回答落在同一个数量级，才能用同一个裁剪区间。
    """
    logp, logp_old, mask = (np.asarray(v, dtype=np.float64) for v in (logp, logp_old, mask))
    if logp.shape != logp_old.shape or logp.shape != mask.shape:
        raise ValueError(f"logp {logp.shape}, logp_old {logp_old.shape} and mask {mask.shape} must match")
    lengths = mask.sum(-1)
    if np.any(lengths == 0):
        raise ValueError("every response needs at least one token with mask = 1")
    return np.exp(((logp - logp_old) * mask).sum(-1) / lengths)


def gspo_objective(logp, logp_old, adv, mask, eps_low=3e-4, eps_high=4e-4):
    """GSPO 目标（要最大化）：每条回答一个比值、一次裁剪，再对回答取平均。"""
    s = gspo_sequence_ratio(logp, logp_old, mask)
    a = np.asarray(adv, dtype=np.float64)
    return float(np.mean(np.minimum(s * a, np.clip(s, 1 - eps_low, 1 + eps_high) * a)))
# --8<-- [end:gspo]


# --8<-- [start:dapo]
def clip_higher(ratio, adv, eps_low=0.2, eps_high=0.28):
    """DAPO 的 Clip-Higher：下界 1-ε_low、上界 1+ε_high 分开设，逐 token 的 min(ρA, clip(ρ)A)。"""
    if eps_low < 0 or eps_high < 0:
        raise ValueError(f"clip ranges must be non-negative, got eps_low={eps_low}, eps_high={eps_high}")
    ratio, adv = np.asarray(ratio, dtype=np.float64), np.asarray(adv, dtype=np.float64)
    return np.minimum(ratio * adv, np.clip(ratio, 1 - eps_low, 1 + eps_high) * adv)


def overlong_penalty(length, max_len, cache):
    """DAPO 的软超长惩罚：长度不超过 L_max - L_cache 时为 0，进入最后 L_cache 个 token 后线性降到 -1，超过 L_max 为 -1。"""
    if not 0 < cache <= max_len:
        raise ValueError(f"the soft-penalty cache {cache} must be in (0, max_len = {max_len}]")
    length = np.asarray(length, dtype=np.float64)
    if np.any(length < 0):
        raise ValueError("response lengths must be non-negative")
    safe = max_len - cache
    return np.where(length <= safe, 0.0, np.where(length <= max_len, (safe - length) / cache, -1.0))
# --8<-- [end:dapo]


# --8<-- [start:toy_policy]
def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def exact_gradient(theta, reward):
    """玩具策略：P 道题，每题 K 个候选答案，π(·|q) = softmax(θ_q)，J = (1/P) Σ_q Σ_a π(a|q) r(q,a)。

    ∂J/∂θ_{q,a} = π(a|q)·(r(q,a) - Σ_b π(b|q) r(q,b)) / P。theta, reward: (P, K)。
    """
    pi = softmax(theta)
    return pi * (reward - (pi * reward).sum(-1, keepdims=True)) / theta.shape[0]


def pg_estimates(theta, reward, G, n_rep, rng, method):
    """每道题采 G 个答案，用 method 的优势构造 n_rep 个独立的梯度估计，返回形状 (n_rep, P, K)。

    ĝ_q = (1/(P·G)) Σ_i A_i ∇_θ log π(a_i|q)，其中 ∇_{θ_q} log π(a|q) = e_a - π(·|q)。
    method: "reinforce"（A_i = r_i）、"rloo"、"mean"（只减组均值）、"grpo"（减均值再除以组内标准差）。
    """
    if G < 2:
        raise ValueError(f"group size G = {G}: a group baseline needs at least 2 samples per prompt")
    if method not in ("reinforce", "rloo", "mean", "grpo"):
        raise ValueError(f"unknown estimator {method!r}")
    P, K = theta.shape
    pi = softmax(theta)
    cdf = np.cumsum(pi, -1)
    u = rng.random((n_rep, P, G, 1))
    a = np.minimum((u > cdf[None, :, None, :]).sum(-1), K - 1)            # (n_rep, P, G) 采到的答案
    r = np.take_along_axis(np.broadcast_to(reward, (n_rep, P, K)), a, -1)  # (n_rep, P, G)
    flat = r.reshape(-1, G)
    if method == "reinforce":
        adv = flat
    elif method == "rloo":
        adv = rloo_advantages(flat)
    else:
        adv = group_advantages(flat, eps=1e-12, scale=(method == "grpo"))
    adv = adv.reshape(n_rep, P, G)
    onehot_sum = np.zeros((n_rep, P, K))
    for g in range(G):                                     # Σ_i A_i e_{a_i}
        onehot_sum += (a[..., g, None] == np.arange(K)) * adv[..., g, None]
    grad = onehot_sum - adv.sum(-1, keepdims=True) * pi[None]              # - (Σ_i A_i) π
    return grad / (P * G)
# --8<-- [end:toy_policy]


# --8<-- [start:grpo_scale]
def grpo_expected_scale(p, G):
    """0/1 奖励时 GRPO（总体标准差）对一道题的期望梯度恰好是精确梯度乘 c(p) = E[√(q̂(1-q̂))] / (p(1-p))，

    q̂ = k/G 是组内正确率，k ~ Binomial(G, p)。方向在题内不变，只改每道题的权重；G 大时 c ≈ 1/√(p(1-p))。
    """
    from math import lgamma
    p = np.asarray(p, dtype=np.float64)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("the per-prompt success probability must be in (0, 1)")
    if G < 2:
        raise ValueError(f"group size G = {G}: a group baseline needs at least 2 samples per prompt")
    k = np.arange(G + 1)
    log_comb = np.array([lgamma(G + 1) - lgamma(j + 1) - lgamma(G - j + 1) for j in range(G + 1)])
    pmf = np.exp(log_comb + k * np.log(p[..., None]) + (G - k) * np.log1p(-p[..., None]))   # Binomial(G, p)
    qh = k / G
    return (pmf * np.sqrt(qh * (1 - qh))).sum(-1) / (p * (1 - p))
# --8<-- [end:grpo_scale]
