"""GRPO：组内标准化优势、k3 KL 估计与逐 token 的裁剪目标（numpy 版）。"""
import numpy as np


# --8<-- [start:group_advantage]
def group_advantages(rewards, eps=1e-6, ddof=0, scale=True):
    """rewards 形状 (B, G)：每个 prompt 采样 G 条回答。

    A_i = (r_i - mean(r)) / (std(r) + eps)。ddof=0 为总体标准差；
    PyTorch 的 Tensor.std 默认 ddof=1。scale=False 即 Dr. GRPO 的“只减均值”。
    """
    r = np.asarray(rewards, dtype=np.float64)
    adv = r - r.mean(axis=-1, keepdims=True)
    if scale:
        adv = adv / (r.std(axis=-1, ddof=ddof, keepdims=True) + eps)
    return adv
# --8<-- [end:group_advantage]


# --8<-- [start:k3_kl]
def k3_kl(logp, logp_ref):
    """逐 token 的 KL(π_θ‖π_ref) 估计（Schulman 的 k3）：ρ - log ρ - 1，ρ = π_ref/π_θ。

    在 y ~ π_θ 下无偏（E[ρ] = 1），且恒 ≥ 0。
    """
    d = np.asarray(logp_ref) - np.asarray(logp)
    return np.expm1(d) - d
# --8<-- [end:k3_kl]


# --8<-- [start:grpo_objective]
def grpo_objective(logp, logp_old, logp_ref, adv, mask, clip_eps=0.2, beta=0.04,
                   agg="sample"):
    """GRPO 目标（要最大化；训练时 loss = -objective）。

    logp / logp_old / logp_ref: (N, T) 逐 token 对数概率，N = B*G 条回答；
    adv: (N,) 每条回答的优势，广播到它的所有 token；mask: (N, T) response token 为 1。
    agg="sample": DeepSeekMath 写法，先在每条回答内对 token 取平均（1/|o_i|），再对回答取平均（1/G）；
    agg="token":  DAPO 写法，对 batch 内全部 token 取平均（1/Σ|o_i|）。
    """
    logp, logp_old, mask = map(np.asarray, (logp, logp_old, mask))
    ratio = np.exp(logp - logp_old)                        # 逐 token 重要性比 ρ_{i,t}
    a = np.asarray(adv, dtype=np.float64)[:, None]
    surr = np.minimum(ratio * a, np.clip(ratio, 1 - clip_eps, 1 + clip_eps) * a)
    per_token = surr - beta * k3_kl(logp, logp_ref)        # KL 直接进目标，不进奖励
    if agg == "sample":
        return float(np.mean((per_token * mask).sum(-1) / mask.sum(-1)))
    if agg == "token":
        return float((per_token * mask).sum() / mask.sum())
    raise ValueError(agg)
# --8<-- [end:grpo_objective]
