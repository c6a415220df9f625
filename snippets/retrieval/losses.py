"""对比学习 / 排序损失：InfoNCE、批内负样本 InfoNCE（可选 logQ 校正）、InfoNCE 的互信息下界、三元组损失（numpy 实现）。"""
import numpy as np


# --8<-- [start:log_softmax]
def log_softmax(z, axis=-1):
    """数值稳定的 log-softmax：z - LSE(z)。"""
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=axis, keepdims=True)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def cross_entropy(logits, target):
    """多分类交叉熵：logits 形状 (N, C)，target 形状 (N,)，返回逐样本损失。"""
    logits = np.atleast_2d(logits)
    target = np.asarray(target).reshape(-1)
    if len(target) != logits.shape[0]:
        raise ValueError(f"{logits.shape[0]} rows of logits but {len(target)} targets")
    return -log_softmax(logits, axis=1)[np.arange(len(target)), target]


def _check_tau(tau):
    """温度必须为正：tau <= 0 时 s / tau 无意义或把排序反过来。"""
    if not tau > 0:
        raise ValueError(f"temperature must be positive, got {tau}")
# --8<-- [end:log_softmax]


# --8<-- [start:infonce]
def infonce(s_pos, s_neg, tau=0.07):
    """单个查询的 InfoNCE。

    s_pos: 查询与正样本的相似度（标量）；s_neg: 与 K 个负样本的相似度 (K,)。
    logit = 相似度 / tau，正样本放在第 0 位，等价于目标为 0 的 (K+1) 类交叉熵。
    """
    _check_tau(tau)
    logits = np.concatenate([[s_pos], np.asarray(s_neg, dtype=float)]) / tau
    return -log_softmax(logits)[0]


def infonce_grad(s_pos, s_neg, tau=0.07):
    """InfoNCE 对各相似度的梯度：正样本 -(1-p_0)/tau，负样本 p_k/tau。"""
    _check_tau(tau)
    logits = np.concatenate([[s_pos], np.asarray(s_neg, dtype=float)]) / tau
    p = np.exp(log_softmax(logits))
    g = p / tau
    g[0] -= 1.0 / tau
    return g
# --8<-- [end:infonce]


# --8<-- [start:in_batch]
def in_batch_infonce(q, p, tau=0.05, symmetric=False, log_q=None):
    """批内负样本 InfoNCE（DPR / SimCSE / CLIP 风格）。

    q, p: (B, d)，第 i 个查询的正样本是 p[i]，其余 B-1 个 p[j] 充当负样本。
    相似度矩阵 S = q p^T / tau，损失 = 以对角线为目标的交叉熵的均值；
    symmetric=True 时再加上按列（p -> q）的方向取平均，即 CLIP 的对称损失。
    log_q: (B,)，第 j 个候选被采进 batch 的概率的对数；给出时按 Yi et al. 2019 把第 j 列的 logit 减去 log_q[j]（logQ 校正）。
    """
    q, p = np.atleast_2d(np.asarray(q, dtype=float)), np.atleast_2d(np.asarray(p, dtype=float))
    if q.shape != p.shape:
        raise ValueError(f"queries {q.shape} and positives {p.shape} must have the same shape (B, d)")
    _check_tau(tau)
    S = q @ p.T / tau
    if log_q is not None:
        log_q = np.asarray(log_q, dtype=float)
        if log_q.shape != (S.shape[1],):
            raise ValueError(f"log_q must have one entry per candidate ({S.shape[1]}), got shape {log_q.shape}")
        S = S - log_q[None, :]
    target = np.arange(S.shape[0])
    loss = cross_entropy(S, target).mean()
    if symmetric:
        loss = 0.5 * (loss + cross_entropy(S.T, target).mean())
    return loss
# --8<-- [end:in_batch]


# --8<-- [start:mi_bound]
def infonce_mi_lower_bound(critic):
    """InfoNCE 的互信息估计 log B - L：critic[i, j] = f(x_i, y_j)，对角线是配对样本，B 为 batch 大小。

    因为 L >= 0，估计值永远 <= log B（B = K + 1，K 个负样本）：真实互信息再大也测不出来。
    """
    critic = np.atleast_2d(np.asarray(critic, dtype=float))
    B = critic.shape[0]
    if critic.shape != (B, B) or B < 2:
        raise ValueError(f"critic must be a square (B, B) matrix with B >= 2, got {critic.shape}")
    return float(np.log(B) - cross_entropy(critic, np.arange(B)).mean())
# --8<-- [end:mi_bound]


# --8<-- [start:triplet]
def triplet_loss(a, p, n, margin=1.0, squared=True):
    """三元组损失 max(0, D(a,p) - D(a,n) + margin)，对 batch 求和，d = ||f(a) - f(x)||_2 为欧氏距离。

    a, p, n: (N, d) 的 anchor / positive / negative 向量。
    squared=True 取 D = d^2（FaceNet），False 取 D = d（SBERT，margin = 1）。
    """
    a, p, n = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (a, p, n))
    if not a.shape == p.shape == n.shape:
        raise ValueError(f"anchor {a.shape}, positive {p.shape} and negative {n.shape} must have the same shape")
    if margin < 0:
        raise ValueError(f"margin must be non-negative, got {margin}")
    d_ap = np.sum((a - p) ** 2, axis=1)
    d_an = np.sum((a - n) ** 2, axis=1)
    if not squared:
        d_ap, d_an = np.sqrt(d_ap), np.sqrt(d_an)
    return np.maximum(0.0, d_ap - d_an + margin).sum()
# --8<-- [end:triplet]
