"""pass@k：无偏估计量、朴素估计量，以及“RL 锐化分布”对 pass@k 曲线的影响（RLVR 的 pass@k 边界之争）。"""
import numpy as np


def _check_counts(n, c, k):
    n, c, k = (np.asarray(v) for v in (n, c, k))
    for name, v in (("n", n), ("c", c), ("k", k)):
        if not np.issubdtype(v.dtype, np.integer):
            raise TypeError(f"{name} must be an integer count, got dtype {v.dtype}")
        if np.any(v < 0):
            raise ValueError(f"{name} must be a non-negative count, got {v.min()}")
    if np.any(k < 1):
        raise ValueError(f"k must be >= 1, got {k.min()}")
    if np.any(c > n):
        raise ValueError(f"correct count c = {c.max()} exceeds the number of samples n")
    if np.any(k > n):
        raise ValueError(f"k = {k.max()} exceeds the number of samples n = {n.min()}: pass@k needs n >= k")
    return n, c, k


# --8<-- [start:pass_at_k]
def pass_at_k(n, c, k):
    """无偏估计：n 条采样里 c 条正确时，pass@k ≈ 1 - C(n-c, k) / C(n, k)。

    C(n-c, k)/C(n, k) 是“从 n 条里不放回地抽 k 条、全都错误”的概率，写成连乘
    ∏_{i=n-c+1}^{n} (1 - k/i) 以免组合数溢出（Chen et al. 2021 的写法）。n、c、k 可以是数组（逐题）。
    """
    n, c, k = _check_counts(n, c, k)
    n, c, k = np.broadcast_arrays(n, c, k)
    out = np.ones(n.shape)
    for idx in np.ndindex(n.shape):
        ni, ci, ki = int(n[idx]), int(c[idx]), int(k[idx])
        if ni - ci >= ki:                                  # 否则 k 条里必有正确的，pass@k = 1
            i = np.arange(ni - ci + 1, ni + 1)
            out[idx] = 1.0 - np.prod(1.0 - ki / i)
    return out if out.shape else float(out)


def pass_at_k_naive(n, c, k):
    """朴素估计：先估 p̂ = c/n，再代入 1 - (1 - p̂)^k。1-(1-x)^k 对 x 是凹函数，所以它系统性低估。"""
    n, c, k = _check_counts(n, c, k)
    return 1.0 - (1.0 - c / n) ** k
# --8<-- [end:pass_at_k]


# --8<-- [start:pass_curve]
def pass_at_k_true(p, k):
    """已知每题单次正确率 p（数组）时的数据集 pass@k：对题目取平均的 1 - (1 - p)^k。"""
    p = np.asarray(p, dtype=np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("per-problem success probabilities must lie in [0, 1]")
    k = np.atleast_1d(np.asarray(k))
    if np.any(k < 1):
        raise ValueError(f"k must be >= 1, got {k.min()}")
    return np.array([np.mean(1.0 - (1.0 - p) ** kk) for kk in k])


def sharpen(probs, beta):
    """把每题的答案分布 π 变成 π^β / Σ π^β（β > 1 更尖锐，等价于把温度降到 1/β）。

    这是“RL 把概率集中到已有的高概率答案上”的玩具模型：众数答案被放大，稀有答案被压低。
    probs: (题数, 候选答案数)，每行和为 1。
    """
    probs = np.asarray(probs, dtype=np.float64)
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    if np.any(probs < 0) or not np.allclose(probs.sum(-1), 1.0):
        raise ValueError("each row of probs must be a probability distribution")
    logp = beta * np.log(np.clip(probs, 1e-300, None))
    logp -= logp.max(-1, keepdims=True)
    q = np.exp(logp)
    return q / q.sum(-1, keepdims=True)
# --8<-- [end:pass_curve]
