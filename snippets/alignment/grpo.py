"""GRPO：组内标准化优势、k3 KL 估计与逐 token 的裁剪目标（numpy 版）。"""
import numpy as np


# --8<-- [start:group_advantage]
def group_advantages(rewards, eps=1e-6, ddof=0, scale=True):
    """rewards 形状 (B, G)：每个 prompt 采样 G 条回答。

    A_i = (r_i - mean(r)) / (std(r) + eps)。ddof=0 为总体标准差；
    PyTorch 的 Tensor.std 默认 ddof=1。scale=False 即 Dr. GRPO 的“只减均值”。
    """
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 2 or r.shape[-1] < 2:
        raise ValueError(f"rewards must have shape (B, G) with G >= 2 samples per prompt, got {r.shape}")
    adv = r - r.mean(axis=-1, keepdims=True)
    if scale:
        adv = adv / (r.std(axis=-1, ddof=ddof, keepdims=True) + eps)
    return adv
# --8<-- [end:group_advantage]


# --8<-- [start:k3_kl]
def k3_kl(logp, logp_ref):
    """逐 token 的 KL(π_θ‖π_ref) 估计（Schulman 的 k3）：u - log u - 1，u = π_ref/π_θ。

    在 y ~ π_θ 下无偏（E[u] = 1），且恒 ≥ 0。
    """
    d = np.asarray(logp_ref) - np.asarray(logp)           # log u
    return np.expm1(d) - d
# --8<-- [end:k3_kl]


# --8<-- [start:kl_estimators]
def kl_estimators(logp, logp_ref):
    """y ~ π_θ 时 KL(π_θ‖π_ref) 的三个单样本估计（Schulman 2020），返回 (k1, k2, k3)。

    k1 = log(π_θ/π_ref)          无偏，可以为负，方差大；
    k2 = (log(π_θ/π_ref))^2 / 2  有偏（两分布接近时偏差是高阶小量），恒 ≥ 0，方差小；
    k3 = u - log u - 1           无偏，恒 ≥ 0，u = π_ref/π_θ。
    """
    k1 = np.asarray(logp, dtype=np.float64) - np.asarray(logp_ref, dtype=np.float64)
    return k1, 0.5 * k1 ** 2, np.expm1(-k1) + k1
# --8<-- [end:kl_estimators]


# --8<-- [start:grpo_objective]
def grpo_objective(logp, logp_old, logp_ref, adv, mask, clip_eps=0.2, beta=0.04,
                   agg="sample"):
    """GRPO 目标（要最大化；训练时 loss = -objective）。

    logp / logp_old / logp_ref: (N, T) 逐 token 对数概率，N = B*G 条回答；
    adv: (N,) 每条回答的优势，广播到它的所有 token；mask: (N, T) response token 为 1。
    agg="sample": DeepSeekMath 写法，先在每条回答内对 token 取平均（1/|o_i|），再对回答取平均（1/G）；
    agg="token":  DAPO 写法，对 batch 内全部 token 取平均（1/Σ|o_i|）。
    """
    if agg not in ("sample", "token"):
        raise ValueError(f"agg must be 'sample' (1/|o_i| then 1/G) or 'token' (1/sum|o_i|), got {agg!r}")
    logp, logp_old, mask = map(np.asarray, (logp, logp_old, mask))
    if logp.shape != logp_old.shape or logp.shape != mask.shape:
        raise ValueError(f"logp {logp.shape}, logp_old {logp_old.shape} and mask {mask.shape} must match")
    if np.any(mask.sum(-1) == 0):
        raise ValueError("every response needs at least one token with mask = 1")
    ratio = np.exp(logp - logp_old)                        # 逐 token 重要性比 ρ_{i,t}
    a = np.asarray(adv, dtype=np.float64)[:, None]
    surr = np.minimum(ratio * a, np.clip(ratio, 1 - clip_eps, 1 + clip_eps) * a)
    per_token = surr - beta * k3_kl(logp, logp_ref)        # KL 直接进目标，不进奖励
    if agg == "sample":
        return float(np.mean((per_token * mask).sum(-1) / mask.sum(-1)))
    return float((per_token * mask).sum() / mask.sum())
# --8<-- [end:grpo_objective]
