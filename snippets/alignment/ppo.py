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
def _check_discount(gamma, lam):
    for name, x in (("gamma", gamma), ("lam", lam)):
        if not 0.0 <= x <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {x}")


def gae(rewards, values, gamma=1.0, lam=0.95):
    """广义优势估计：Â_t = Σ_l (γλ)^l δ_{t+l}，δ_t = r_t + γ V_{t+1} - V_t。

    rewards: (T,)；values: (T+1,)，最后一项是终止状态的价值（回合结束时为 0）。
    逆序递推 Â_t = δ_t + γλ Â_{t+1}，O(T)。
    """
    r = np.asarray(rewards, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    _check_discount(gamma, lam)
    if r.ndim != 1:
        raise ValueError(f"rewards must be 1-D (one episode of T steps), got shape {r.shape}")
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


# --8<-- [start:lambda_return]
def n_step_advantages(rewards, values, gamma=1.0):
    """所有 n 步优势：A[t, n-1] = Σ_{l<n} γ^l r_{t+l} + γ^n V_{t+n} - V_t，n = 1..T-t。

    超过回合末尾的 n 取整条回报（终止价值 values[T]），所以 A[t, n-1] 对 n ≥ T-t 都等于蒙特卡洛优势。
    """
    r = np.asarray(rewards, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    T = len(r)
    if v.shape != (T + 1,):
        raise ValueError(f"values needs T+1 = {T + 1} entries (last = terminal value), got {v.shape}")
    A = np.empty((T, T))
    for t in range(T):
        ret = 0.0
        for n in range(1, T + 1):
            k = min(n, T - t)                      # 实际走的步数
            if n <= T - t:
                ret += gamma ** (n - 1) * r[t + n - 1]
            A[t, n - 1] = ret + gamma ** k * v[t + k] - v[t]
    return A


def lambda_weighted_advantage(rewards, values, gamma=1.0, lam=0.95):
    """显式加权：Â_t = (1-λ) Σ_{n≥1} λ^{n-1} A_t^{(n)}；回合末尾之后的权重全给蒙特卡洛优势。"""
    _check_discount(gamma, lam)
    A = n_step_advantages(rewards, values, gamma)
    T = A.shape[0]
    out = np.empty(T)
    for t in range(T):
        m = T - t                                  # 从 t 出发最多 m 步就结束
        w = (1 - lam) * lam ** np.arange(m - 1)    # n = 1..m-1
        out[t] = w @ A[t, : m - 1] + lam ** (m - 1) * A[t, m - 1]
    return out
# --8<-- [end:lambda_return]


# --8<-- [start:rlhf_rewards]
def rlhf_token_rewards(rm_score, logp, logp_ref, mask, beta=0.05):
    """RLHF 的逐 token 奖励：r_t = -β (log π_old - log π_ref) + [t = 最后一个有效 token] · RM 分数。

    rm_score: (B,)；logp、logp_ref、mask: (B, T)，mask=1 是 response 的 token（右侧 padding）。
    """
    s = np.asarray(rm_score, dtype=np.float64)
    lp, lr, m = (np.asarray(a, dtype=np.float64) for a in (logp, logp_ref, mask))
    if lp.ndim != 2 or lp.shape != lr.shape or lp.shape != m.shape:
        raise ValueError(f"logp, logp_ref and mask must share one (B, T) shape, got {lp.shape}, {lr.shape}, {m.shape}")
    if s.shape != (lp.shape[0],):
        raise ValueError(f"rm_score needs one scalar per sequence, shape ({lp.shape[0]},), got {s.shape}")
    if not beta >= 0:
        raise ValueError(f"KL coefficient beta must be >= 0, got {beta}")
    lengths = m.sum(axis=1).astype(int)
    if np.any(lengths == 0):
        raise ValueError("every sequence needs at least one response token (mask row of zeros)")
    r = -beta * (lp - lr) * m
    r[np.arange(len(s)), lengths - 1] += s         # 分数只加在最后一个 token 上
    return r
# --8<-- [end:rlhf_rewards]


# --8<-- [start:value_loss]
def value_loss(v_new, v_old, returns, clip_range=None):
    """critic 损失 0.5 · E[(V - R)^2]；clip_range 不为 None 时取 PPO 式裁剪：

    V_clip = V_old + clip(V - V_old, -c, c)，逐元素取 max((V-R)^2, (V_clip-R)^2)，也是悲观的上界。
    """
    v, vo, R = (np.asarray(a, dtype=np.float64) for a in (v_new, v_old, returns))
    if not (v.shape == vo.shape == R.shape):
        raise ValueError(f"v_new, v_old and returns must have the same shape, got {v.shape}, {vo.shape}, {R.shape}")
    loss = (v - R) ** 2
    if clip_range is not None:
        if not clip_range > 0:
            raise ValueError(f"clip_range must be positive, got {clip_range}")
        v_clip = vo + np.clip(v - vo, -clip_range, clip_range)
        loss = np.maximum(loss, (v_clip - R) ** 2)
    return 0.5 * float(np.mean(loss))
# --8<-- [end:value_loss]


# --8<-- [start:memory]
def ppo_rlhf_memory_gb(n_actor, n_critic=None, n_rm=None, n_ref=None, train_bytes=16, infer_bytes=2):
    """PPO-RLHF 四个模型的“模型状态”显存（GB = 1e9 字节，不含激活与 KV cache）。

    actor、critic 要训练：混合精度 Adam 每参数 train_bytes（ZeRO 口径 16 字节）；
    reward、reference 只做前向：每参数 infer_bytes（bf16 为 2 字节）。未给出的规模默认与 actor 相同。
    """
    sizes = {"actor": n_actor, "critic": n_critic, "reward": n_rm, "reference": n_ref}
    sizes = {k: (n_actor if n is None else n) for k, n in sizes.items()}
    for k, n in sizes.items():
        if not n > 0:
            raise ValueError(f"{k} parameter count must be positive, got {n}")
    per = {"actor": train_bytes, "critic": train_bytes, "reward": infer_bytes, "reference": infer_bytes}
    out = {k: sizes[k] * per[k] / 1e9 for k in sizes}
    out["total"] = sum(out.values())
    return out
# --8<-- [end:memory]
