"""一个 prompt、K 个候选回答的迷你 RLHF：PPO（裁剪目标）+ 奖励里的 KL 惩罚（numpy 版）。"""
import numpy as np

from snippets.alignment.preference import log_softmax


# --8<-- [start:ppo_bandit]
def ppo_bandit(reward, logp_ref, beta=0.1, iters=200, batch=64, epochs=4, minibatches=4,
               lr=0.5, clip_eps=0.2, vf_lr=0.5, seed=0):
    """actor 是 K 个 logits 的 softmax（从 reference 初始化），reward 是冻结的 RM 分数，critic 是一个标量 V。

    每轮：从 π_old 采样 batch 个回答 → 奖励 R = r(y) - β(log π_old(y) - log π_ref(y))
    → 优势 A = R - V → epochs 遍、每遍 minibatches 个小批量的裁剪更新 → 用均方误差更新 V。
    返回每轮开始时的策略概率，形状 (iters + 1, K)。
    """
    reward = np.asarray(reward, dtype=np.float64)
    logp_ref = np.asarray(logp_ref, dtype=np.float64)
    if reward.ndim != 1 or reward.shape != logp_ref.shape:
        raise ValueError(f"reward and logp_ref must be 1-D of equal length K, got {reward.shape}, {logp_ref.shape}")
    if not beta >= 0:
        raise ValueError(f"KL coefficient beta must be >= 0, got {beta}")
    if not 0 < clip_eps < 1:
        raise ValueError(f"clip_eps must be in (0, 1), got {clip_eps}")
    if batch % minibatches:
        raise ValueError(f"batch {batch} is not divisible into {minibatches} minibatches")
    rng = np.random.default_rng(seed)
    K = len(reward)
    theta, v = logp_ref.copy(), 0.0
    history = [np.exp(log_softmax(theta))]
    for _ in range(iters):
        logp_old = log_softmax(theta)
        y = rng.choice(K, size=batch, p=np.exp(logp_old))              # rollout
        R = reward[y] - beta * (logp_old[y] - logp_ref[y])             # 打分：RM 分数 - β·KL
        A = R - v                                                      # 优势（单步，GAE 退化为 R - V）
        for _ in range(epochs):
            for mb in np.array_split(rng.permutation(batch), minibatches):
                lp = log_softmax(theta)
                ratio = np.exp(lp[y[mb]] - logp_old[y[mb]])
                a = A[mb]
                # min(ρA, clip(ρ)A) 只在“未被裁剪”时对 θ 有梯度：∂ρ/∂θ = ρ (e_y - π_θ)
                active = ((a > 0) & (ratio < 1 + clip_eps)) | ((a < 0) & (ratio > 1 - clip_eps))
                coef = active * a * ratio / len(mb)
                grad = np.bincount(y[mb], weights=coef, minlength=K) - coef.sum() * np.exp(lp)
                theta = theta + lr * grad                              # 梯度上升
        v = v + vf_lr * np.mean(R - v)                                 # critic：最小化 (V - R)^2
        history.append(np.exp(log_softmax(theta)))
    return np.array(history)
# --8<-- [end:ppo_bandit]
