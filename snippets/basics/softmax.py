"""Softmax 的朴素实现与数值稳定实现：减最大值、log-sum-exp、熵、温度、雅可比，以及分块的 online softmax。"""
import numpy as np


# --8<-- [start:softmax_naive]
def softmax_naive(z, axis=-1):
    """教科书写法：exp 之后直接归一化。logits 稍大就会上溢成 inf，得到 inf/inf = NaN。"""
    z = np.asarray(z)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
# --8<-- [end:softmax_naive]


# --8<-- [start:softmax]
def softmax(z, axis=-1):
    """稳定版：分子分母同除 e^M（M 为最大值），数学上完全等价。

    减完之后最大的指数是 e^0 = 1，不会上溢；分母 >= 1，不会出现 0/0。
    整行都是 -inf（全被 mask）时 softmax 没有定义，结果是 NaN，与 PyTorch 相同。
    """
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)        # 整行 -inf 时不做 (-inf) - (-inf)
    e = np.exp(z - m)
    return e / e.sum(axis=axis, keepdims=True)
# --8<-- [end:softmax]


# --8<-- [start:log_softmax]
def logsumexp(z, axis=-1, keepdims=False):
    """LSE(z) = M + log(sum_j exp(z_j - M))，与 torch.logsumexp 同一思路；整行 -inf 时返回 -inf。"""
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):        # log(0) = -inf 正是整行 -inf 时的正确答案
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z, axis=-1):
    """log softmax(z)_i = z_i - LSE(z)：不经过 exp 再 log，小概率也不会变成 log(0) = -inf。"""
    z = np.asarray(z)
    return z - logsumexp(z, axis=axis, keepdims=True)
# --8<-- [end:log_softmax]


# --8<-- [start:entropy]
def entropy(p, axis=-1):
    """H(p) = -sum p log p（自然对数），约定 0 log 0 = 0。"""
    p = np.asarray(p, dtype=float)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=axis)


def softmax_temperature(z, T, axis=-1):
    """带温度的 softmax：softmax(z / T)。T < 1 更尖锐，T > 1 更平坦；T 必须为正。"""
    if not T > 0:
        raise ValueError(f"temperature must be positive, got T={T!r} (T<0 reverses the ranking, T=0 is argmax)")
    return softmax(np.asarray(z, dtype=float) / T, axis=axis)
# --8<-- [end:entropy]


# --8<-- [start:jacobian]
def softmax_jacobian(z):
    """J = diag(p) - p p^T，J[i, j] = dp_i / dz_j = p_i (delta_ij - p_j)。J 对称，J @ 1 = 0。"""
    z = np.asarray(z, dtype=float)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one vector of logits, got shape {z.shape}")
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


def softmax_backward(p, grad_p):
    """反向传播不必造出 n x n 的 J：dL/dz = J^T g = p * (g - <g, p>)，O(n)。"""
    p, grad_p = np.asarray(p, dtype=float), np.asarray(grad_p, dtype=float)
    if p.shape != grad_p.shape:
        raise ValueError(f"p has shape {p.shape} but the upstream gradient has shape {grad_p.shape}")
    return p * (grad_p - np.sum(grad_p * p, axis=-1, keepdims=True))
# --8<-- [end:jacobian]


# --8<-- [start:online_softmax]
def online_softmax_weighted_sum(z, V, block=4):
    """分块计算 o = sum_j softmax(z)_j V[j] 与 LSE(z)，每次只看一块 logits（FlashAttention 的做法）。

    维护三样东西：到目前为止的最大值 m、分母 l = sum e^{z_j - m}、未归一化的输出 acc = sum e^{z_j - m} V[j]。
    新块让最大值从 m 变成 m' 时，旧的 l 和 acc 都要乘 e^{m - m'} 对齐到新最大值；最后 o = acc / l。
    全部 logits 都是 -inf（整行被 mask）时返回零向量与 LSE = -inf（FlashAttention 同样输出 0）。
    """
    z = np.asarray(z, dtype=float)
    V = np.asarray(V, dtype=float)
    if z.ndim != 1:
        raise ValueError(f"z must be one row of logits, got shape {z.shape}")
    if V.ndim != 2 or V.shape[0] != z.shape[0]:
        raise ValueError(f"V must have one row per logit: z has {z.shape[0]} logits, V has shape {V.shape}")
    if int(block) != block or block < 1:
        raise ValueError(f"block size must be a positive integer, got {block!r}")
    m, ell = -np.inf, 0.0
    acc = np.zeros(V.shape[1])
    for start in range(0, len(z), int(block)):
        zb, Vb = z[start:start + block], V[start:start + block]
        m_new = max(m, float(zb.max()))
        if m_new == -np.inf:                 # 这一块也全被 mask：什么都不加
            continue
        scale = np.exp(m - m_new)            # <= 1；m 还是 -inf 时为 0
        e = np.exp(zb - m_new)
        ell = ell * scale + e.sum()
        acc = acc * scale + e @ Vb           # 输出累加器也要重标定，漏掉这一步结果就错了
        m = m_new
    if ell == 0.0:
        return acc, -np.inf
    return acc / ell, m + np.log(ell)
# --8<-- [end:online_softmax]
