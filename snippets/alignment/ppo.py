"""PPO 的裁剪代理目标与 GAE（numpy 版）。"""
import numpy as np


# --8<-- [start:ppo_clip]
def ppo_clip_objective(ratio, adv, clip_eps=0.2):
    """L^CLIP = E[min(ρ A, clip(ρ, 1-ε, 1+ε) A)]，要最大化。"""
    ratio, adv = np.asarray(ratio, dtype=np.float64), np.asarray(adv, dtype=np.float64)
    return float(np.mean(np.minimum(ratio * adv, np.clip(ratio, 1 - clip_eps, 1 + clip_eps) * adv)))
# --8<-- [end:ppo_clip]


# --8<-- [start:gae]
def gae(rewards, values, gamma=1.0, lam=0.95):
    """广义优势估计：Â_t = Σ_l (γλ)^l δ_{t+l}，δ_t = r_t + γ V_{t+1} - V_t。

    rewards: (T,)；values: (T+1,)，最后一项是终止状态的价值（回合结束时为 0）。
    逆序递推 Â_t = δ_t + γλ Â_{t+1}，O(T)。
    """
    r = np.asarray(rewards, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    delta = r + gamma * v[1:] - v[:-1]
    adv = np.zeros_like(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = delta[t] + gamma * lam * running
        adv[t] = running
    return adv
# --8<-- [end:gae]
