"""PPO 的裁剪代理目标与 GAE（numpy 版）。"""
import numpy as np


# --8<-- [start:ppo_clip]
def _check_clip(ratio, clip_eps):
    if not 0 < clip_eps < 1:
        raise ValueError(f"clip_eps must be in (0, 1), got {clip_eps}")
    if np.any(ratio <= 0):
        raise ValueError("ratio = pi_theta / pi_old must be positive")


def ppo_clip_objective(ratio, adv, clip_eps=0.2):
    """L^CLIP = E[min(ρ A, clip(ρ, 1-ε, 1+ε) A)]，要最大化。"""
    ratio, adv = np.asarray(ratio, dtype=np.float64), np.asarray(adv, dtype=np.float64)
    _check_clip(ratio, clip_eps)
    return float(np.mean(np.minimum(ratio * adv, np.clip(ratio, 1 - clip_eps, 1 + clip_eps) * adv)))


def ppo_dual_clip_objective(ratio, adv, clip_eps=0.2, c=3.0):
    """Dual-clip PPO（Ye et al. 2020）：A < 0 时再取 max(·, c·A)，给目标一个下界。

    标准裁剪在 A < 0、ρ > 1+ε 时取的是未裁剪的 ρA，ρ 越大目标越负、没有下界；
    dual clip 把这一项截在 c·A（c > 1），A ≥ 0 时与标准 PPO 相同。
    """
    ratio, adv = np.asarray(ratio, dtype=np.float64), np.asarray(adv, dtype=np.float64)
    _check_clip(ratio, clip_eps)
    if not c > 1:
        raise ValueError(f"dual-clip constant c must be > 1, got {c}")
    surr = np.minimum(ratio * adv, np.clip(ratio, 1 - clip_eps, 1 + clip_eps) * adv)
    surr = np.where(adv < 0, np.maximum(surr, c * adv), surr)
    return float(np.mean(surr))
# --8<-- [end:ppo_clip]


# --8<-- [start:gae]
def gae(rewards, values, gamma=1.0, lam=0.95):
    """广义优势估计：Â_t = Σ_l (γλ)^l δ_{t+l}，δ_t = r_t + γ V_{t+1} - V_t。

    rewards: (T,)；values: (T+1,)，最后一项是终止状态的价值（回合结束时为 0）。
    逆序递推 Â_t = δ_t + γλ Â_{t+1}，O(T)。
    """
    r = np.asarray(rewards, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (len(r) + 1,):
        raise ValueError(f"values needs T+1 = {len(r) + 1} entries (last = terminal value), got {v.shape}")
    delta = r + gamma * v[1:] - v[:-1]
    adv = np.zeros_like(r)
    running = 0.0
    for t in range(len(r) - 1, -1, -1):
        running = delta[t] + gamma * lam * running
        adv[t] = running
    return adv
# --8<-- [end:gae]
