"""Softmax 的朴素实现与数值稳定实现：减最大值、log-sum-exp、熵、温度。"""
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
    """
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)        # 整行都是 -inf 时避免 (-inf) - (-inf) = NaN
    e = np.exp(z - m)
    return e / e.sum(axis=axis, keepdims=True)
# --8<-- [end:softmax]


# --8<-- [start:log_softmax]
def logsumexp(z, axis=-1, keepdims=False):
    """LSE(z) = M + log(sum_j exp(z_j - M))，与 torch.logsumexp 同一思路。"""
    z = np.asarray(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
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
    """带温度的 softmax：softmax(z / T)。T < 1 更尖锐，T > 1 更平坦。"""
    return softmax(np.asarray(z, dtype=float) / T, axis=axis)
# --8<-- [end:entropy]
