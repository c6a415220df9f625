"""DPO 的闭式最优解与表格策略上的 DPO，以及 IPO、SimPO、ORPO、KTO 的损失（numpy 版）。"""
import numpy as np

from snippets.alignment.dpo import log_sigmoid


def _positive(name, x):
    if not x > 0:
        raise ValueError(f"{name} must be positive, got {x}")


def _same_shape(**arrays):
    arrs = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    shapes = {k: a.shape for k, a in arrs.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"inputs must have the same shape, got {shapes}")
    return list(arrs.values())


# --8<-- [start:optimum]
def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def kl_optimal_policy(logp_ref, reward, beta):
    """KL 正则目标 max E[r] - β KL(π‖π_ref) 的闭式解：π* ∝ π_ref · exp(r/β)，按最后一维归一化。"""
    _positive("beta", beta)
    logp_ref, reward = _same_shape(logp_ref=logp_ref, reward=reward)
    return np.exp(log_softmax(logp_ref + reward / beta))


def implicit_reward(logp, logp_ref, beta):
    """DPO 的隐式奖励 β log(π/π_ref)：与真实奖励只差一个每个 prompt 的常数 β log Z(x)。"""
    _positive("beta", beta)
    logp, logp_ref = _same_shape(logp=logp, logp_ref=logp_ref)
    return beta * (logp - logp_ref)
# --8<-- [end:optimum]


# --8<-- [start:dpo_tabular]
def dpo_tabular(theta, logp_ref, i, j, p, beta, weight=None):
    """一个 prompt、K 个回答的表格策略 π = softmax(θ)，在偏好对 (i, j) 上的 DPO 损失与对 θ 的解析梯度。

    p[k] = P(i_k ≻ j_k)：p=1 是确定的偏好，0<p<1 是总体（无穷数据）下的 BT 概率。
    h = β[(log π_i - log π_ref,i) - (log π_j - log π_ref,j)]，损失 -p log σ(h) - (1-p) log σ(-h)。
    ∂L/∂h = σ(h) - p（隐式奖励差的“误差”），∂h/∂θ = β(e_i - e_j)：softmax 的归一化项在差里消掉。
    """
    _positive("beta", beta)
    theta, logp_ref = _same_shape(theta=theta, logp_ref=logp_ref)
    i, j = np.asarray(i), np.asarray(j)
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), i.shape)
    w = np.ones(i.shape) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), i.shape)
    if i.shape != j.shape or np.any(i == j):
        raise ValueError("pairs need equal-length index arrays i, j with i != j")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("preference probabilities p must lie in [0, 1]")
    lp = log_softmax(theta)
    h = beta * ((lp[i] - logp_ref[i]) - (lp[j] - logp_ref[j]))
    loss = np.sum(w * -(p * log_sigmoid(h) + (1 - p) * log_sigmoid(-h))) / w.sum()
    dh = w * (np.exp(log_sigmoid(h)) - p) / w.sum()
    grad = np.zeros_like(theta)
    np.add.at(grad, i, beta * dh)
    np.add.at(grad, j, -beta * dh)
    return float(loss), grad
# --8<-- [end:dpo_tabular]


# --8<-- [start:variants]
def ipo_loss(pi_w, pi_l, ref_w, ref_l, tau=0.1):
    """IPO（Azar et al. 2023）：(h - 1/(2τ))^2，h 是“对数比之差”（DPO 里不乘 β 的那个量）。"""
    _positive("tau", tau)
    pi_w, pi_l, ref_w, ref_l = _same_shape(pi_w=pi_w, pi_l=pi_l, ref_w=ref_w, ref_l=ref_l)
    h = (pi_w - ref_w) - (pi_l - ref_l)
    return float(np.mean((h - 1.0 / (2 * tau)) ** 2))


def simpo_loss(logp_w, logp_l, len_w, len_l, beta=2.0, gamma=1.0):
    """SimPO（Meng et al. 2024）：-log σ(β/|y_w| log π(y_w) - β/|y_l| log π(y_l) - γ)，没有参考模型。"""
    _positive("beta", beta)
    if not gamma >= 0:
        raise ValueError(f"target margin gamma must be >= 0, got {gamma}")
    logp_w, logp_l, len_w, len_l = _same_shape(logp_w=logp_w, logp_l=logp_l, len_w=len_w, len_l=len_l)
    if np.any(len_w <= 0) or np.any(len_l <= 0):
        raise ValueError("response lengths must be positive token counts")
    z = beta * (logp_w / len_w - logp_l / len_l) - gamma
    return float(np.mean(-log_sigmoid(z)))


def _log1mexp(a):
    """log(1 - e^a)，a < 0，数值稳定。"""
    return np.where(a > -np.log(2), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def orpo_loss(logp_w, logp_l, len_w, len_l, lam=0.1):
    """ORPO（Hong et al. 2024）：L_SFT + λ · (-log σ(log odds(y_w) - log odds(y_l)))，没有参考模型。

    P(y|x) 取长度归一化的 exp(平均 token 对数概率)，odds = P/(1-P)；L_SFT 是 chosen 的平均 token 负对数似然。
    返回 (总损失, SFT 项, odds-ratio 项)。
    """
    _positive("lam", lam)
    logp_w, logp_l, len_w, len_l = _same_shape(logp_w=logp_w, logp_l=logp_l, len_w=len_w, len_l=len_l)
    if np.any(len_w <= 0) or np.any(len_l <= 0):
        raise ValueError("response lengths must be positive token counts")
    a_w, a_l = logp_w / len_w, logp_l / len_l
    if np.any(a_w >= 0) or np.any(a_l >= 0):
        raise ValueError("sequence log-probabilities must be negative (probabilities below 1)")
    log_odds = (a_w - _log1mexp(a_w)) - (a_l - _log1mexp(a_l))
    sft = float(np.mean(-a_w))
    ratio = float(np.mean(-log_sigmoid(log_odds)))
    return sft + lam * ratio, sft, ratio


def kto_loss(logratio, desirable, z0, beta=0.1, lam_d=1.0, lam_u=1.0):
    """KTO（Ethayarajh et al. 2024）：不成对的“好/坏”标签，损失 E[λ_y - v(x, y)]。

    r = log π/π_ref；v = λ_D σ(β(r - z0))（好样本）或 λ_U σ(β(z0 - r))（坏样本）；
    z0 是参考点（KL(π‖π_ref) 的批内估计，截断到 ≥ 0，不回传梯度）。
    """
    _positive("beta", beta)
    _positive("lam_d", lam_d)
    _positive("lam_u", lam_u)
    r = np.asarray(logratio, dtype=np.float64)
    d = np.asarray(desirable)
    if d.dtype != bool or d.shape != r.shape:
        raise ValueError(f"desirable must be a boolean array shaped like logratio {r.shape}, got {d.dtype} {d.shape}")
    z0 = max(float(z0), 0.0)
    v = np.where(d, lam_d * np.exp(log_sigmoid(beta * (r - z0))), lam_u * np.exp(log_sigmoid(beta * (z0 - r))))
    lam = np.where(d, lam_d, lam_u)
    return float(np.mean(lam - v))
# --8<-- [end:variants]
