"""ROC 曲线与 AUC 的三种算法（两两比较、秩和、梯形面积），以及 PR 曲线上的 AP。"""
import numpy as np


# --8<-- [start:roc_curve]
def roc_curve(y, s):
    """按分数从高到低扫阈值；同分样本作为一组一起越过阈值（产生一段斜线）。返回 fpr, tpr, thresholds。"""
    y, s = _check_binary(y, s)
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]   # 每组同分的最后一个位置
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    P, N = y.sum(), len(y) - y.sum()
    fpr = np.r_[0.0, fps / N]
    tpr = np.r_[0.0, tps / P]
    return fpr, tpr, np.r_[np.inf, s[last]]


def auc_trapezoid(fpr, tpr):
    """ROC 曲线下的梯形面积。"""
    fpr, tpr = np.asarray(fpr), np.asarray(tpr)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
# --8<-- [end:roc_curve]


# --8<-- [start:auc_pairwise]
def _check_binary(y, s):
    """y 只含 0/1、与 s 等长，且正负样本都至少有一个（否则 AUC 为 0/0，无定义）。"""
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError(f"labels {y.shape} and scores {s.shape} must be 1-D arrays of the same length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("AUC needs at least one positive and one negative sample")
    return y.astype(int), s


def auc_pairwise(y, s):
    """定义式：随机取一个正样本和一个负样本，正样本得分更高的概率（同分记 1/2）。O(n+ * n-)。"""
    y, s = _check_binary(y, s)
    sp, sn = s[y == 1][:, None], s[y == 0][None, :]
    return float(np.mean((sp > sn) + 0.5 * (sp == sn)))
# --8<-- [end:auc_pairwise]


# --8<-- [start:auc_rank]
def rank_average(s):
    """升序秩（从 1 开始），同分取平均秩。"""
    s = np.asarray(s, dtype=float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ss = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1     # 第 i..j 名（0 起）的平均秩
        i = j + 1
    return ranks


def auc_rank(y, s):
    """Mann-Whitney U：AUC = (正样本秩和 - n+(n+ + 1)/2) / (n+ n-)。排序主导，O(n log n)。"""
    y, s = _check_binary(y, s)
    r = rank_average(s)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    return float((r[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
# --8<-- [end:auc_rank]


# --8<-- [start:average_precision]
def pr_curve(y, s):
    """按分数从高到低扫阈值（同分一起），返回 recall, precision。"""
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tps = np.cumsum(y)[last]
    return tps / y.sum(), tps / (last + 1)


def average_precision(y, s):
    """AP = sum_k (R_k - R_{k-1}) P_k：PR 曲线的阶梯面积（不做梯形插值，插值会偏乐观）。"""
    recall, precision = pr_curve(y, s)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
# --8<-- [end:average_precision]


# --8<-- [start:gauc]
def gauc(groups, y, s, weights=None):
    """GAUC：按 groups（如用户 id）分组算 AUC，再按权重（默认每组样本数，即曝光数）加权平均。

    只有一个类别的组 AUC 无定义，直接跳过（也不计入权重）。auc_rank 见上文。
    """
    groups, y, s = np.asarray(groups), np.asarray(y), np.asarray(s, dtype=float)
    if not len(groups) == len(y) == len(s):
        raise ValueError(f"groups ({len(groups)}), labels ({len(y)}) and scores ({len(s)}) differ in length")
    num = den = 0.0
    for g in np.unique(groups):
        m = groups == g
        if 0 < y[m].sum() < m.sum():
            w = m.sum() if weights is None else weights[g]
            num += w * auc_rank(y[m], s[m])
            den += w
    if den == 0:
        raise ValueError("no group has both a positive and a negative sample")
    return num / den
# --8<-- [end:gauc]
