"""对比学习 / 排序损失：InfoNCE、批内负样本 InfoNCE、三元组损失（numpy 实现）。"""
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
    return -log_softmax(logits, axis=1)[np.arange(len(target)), target]
# --8<-- [end:log_softmax]


# --8<-- [start:infonce]
def infonce(s_pos, s_neg, tau=0.07):
    """单个查询的 InfoNCE。

    s_pos: 查询与正样本的相似度（标量）；s_neg: 与 K 个负样本的相似度 (K,)。
    logit = 相似度 / tau，正样本放在第 0 位，等价于目标为 0 的 (K+1) 类交叉熵。
    """
    logits = np.concatenate([[s_pos], np.asarray(s_neg, dtype=float)]) / tau
    return -log_softmax(logits)[0]


def infonce_grad(s_pos, s_neg, tau=0.07):
    """InfoNCE 对各相似度的梯度：正样本 -(1-p_0)/tau，负样本 p_k/tau。"""
    logits = np.concatenate([[s_pos], np.asarray(s_neg, dtype=float)]) / tau
    p = np.exp(log_softmax(logits))
    g = p / tau
    g[0] -= 1.0 / tau
    return g
# --8<-- [end:infonce]


# --8<-- [start:in_batch]
def in_batch_infonce(q, p, tau=0.05, symmetric=False):
    """批内负样本 InfoNCE（DPR / SimCSE / CLIP 风格）。

    q, p: (B, d)，第 i 个查询的正样本是 p[i]，其余 B-1 个 p[j] 充当负样本。
    相似度矩阵 S = q p^T / tau，损失 = 以对角线为目标的交叉熵的均值；
    symmetric=True 时再加上按列（p -> q）的方向取平均，即 CLIP 的对称损失。
    """
    S = np.asarray(q, dtype=float) @ np.asarray(p, dtype=float).T / tau
    target = np.arange(S.shape[0])
    loss = cross_entropy(S, target).mean()
    if symmetric:
        loss = 0.5 * (loss + cross_entropy(S.T, target).mean())
    return loss
# --8<-- [end:in_batch]


# --8<-- [start:triplet]
def triplet_loss(a, p, n, margin=1.0, squared=True):
    """三元组损失 max(0, d(a,p) - d(a,n) + margin)，对 batch 求和。

    a, p, n: (N, d) 的 anchor / positive / negative 向量。
    squared=True 用平方欧氏距离（FaceNet），False 用欧氏距离（SBERT，margin=1）。
    """
    a, p, n = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (a, p, n))
    d_ap = np.sum((a - p) ** 2, axis=1)
    d_an = np.sum((a - n) ** 2, axis=1)
    if not squared:
        d_ap, d_an = np.sqrt(d_ap), np.sqrt(d_an)
    return np.maximum(0.0, d_ap - d_an + margin).sum()
# --8<-- [end:triplet]
