"""位置编码：正弦绝对位置编码、Shaw 相对位置表示、T5 相对位置分桶、ALiBi 斜率与偏置。"""
import math

import numpy as np


# --8<-- [start:sinusoidal]
def sinusoidal_pe(n_pos, d_model, base=10000.0):
    """原始 Transformer 的正弦位置编码，形状 (n_pos, d_model)。

    第 j 对维度（j = 1..d_model/2）频率 ω_j = base^(-2(j-1)/d_model)：
    PE[m, 2j-2] = sin(m ω_j)，PE[m, 2j-1] = cos(m ω_j)（数组下标从 0 开始）。
    """
    if d_model <= 0 or d_model % 2:
        raise ValueError(f"d_model must be even and > 0, got {d_model}")
    if n_pos < 1:
        raise ValueError(f"n_pos must be >= 1, got {n_pos}")
    omega = base ** (-np.arange(0, d_model, 2) / d_model)
    angle = np.arange(n_pos)[:, None] * omega[None, :]
    pe = np.empty((n_pos, d_model))
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle)
    return pe


def sinusoidal_shift(r, d_model, base=10000.0):
    """与位置无关的线性变换 M_r：PE[m + r] = M_r @ PE[m] 对所有 m 成立（分块旋转）。"""
    if d_model <= 0 or d_model % 2:
        raise ValueError(f"d_model must be even and > 0, got {d_model}")
    omega = base ** (-np.arange(0, d_model, 2) / d_model)
    M = np.zeros((d_model, d_model))
    for j, w in enumerate(omega):
        c, s = math.cos(r * w), math.sin(r * w)
        M[2 * j:2 * j + 2, 2 * j:2 * j + 2] = [[c, s], [-s, c]]   # (sin a, cos a) -> (sin(a+b), cos(a+b))
    return M
# --8<-- [end:sinusoidal]


# --8<-- [start:shaw]
def shaw_relative_index(n_q, n_k, clip):
    """Shaw et al. (2018)：查询 i、键 j 用第 clip(j - i, -D, D) + D 个相对位置向量（共 2D+1 个）。"""
    if clip < 1:
        raise ValueError(f"clipping distance D must be >= 1, got {clip}")
    rel = np.arange(n_k)[None, :] - np.arange(n_q)[:, None]
    return np.clip(rel, -clip, clip) + clip


def shaw_logits(Q, K, A_K, clip):
    """e_ij = q_i · (k_j + a^K_{clip(j-i)}) / sqrt(d)，A_K 形状 (2D+1, d)。"""
    Q, K, A_K = (np.asarray(a, dtype=float) for a in (Q, K, A_K))
    if A_K.shape != (2 * clip + 1, Q.shape[1]):
        raise ValueError(f"A_K must have shape {(2 * clip + 1, Q.shape[1])}, got {A_K.shape}")
    idx = shaw_relative_index(len(Q), len(K), clip)              # (n_q, n_k)
    rel = np.einsum("id,ijd->ij", Q, A_K[idx])                   # q_i · a_{ij}
    return (Q @ K.T + rel) / np.sqrt(Q.shape[1])
# --8<-- [end:shaw]


# --8<-- [start:t5_bucket]
def t5_relative_bucket(rel, bidirectional=True, num_buckets=32, max_distance=128):
    """T5 的相对位置分桶，rel = 键位置 - 查询位置。

    双向时一半桶给“键在后”、一半给“键在前”（因果时全部给过去）；每个方向的桶里，
    前一半是精确距离 0, 1, …，后一半按对数间隔覆盖到 max_distance，更远的距离共用最后一个桶。
    """
    if num_buckets < 4 or num_buckets % 2:
        raise ValueError(f"num_buckets must be even and >= 4, got {num_buckets}")
    rel = np.asarray(rel)
    n = -rel
    ret = np.zeros(rel.shape, dtype=int)
    if bidirectional:
        num_buckets //= 2
        ret += (n < 0) * num_buckets
        n = np.abs(n)
    else:
        n = np.maximum(n, 0)                                     # 因果：只看过去
    max_exact = num_buckets // 2
    if max_distance <= max_exact:
        raise ValueError(f"max_distance {max_distance} must exceed the {max_exact} exact buckets")
    safe = np.maximum(n, 1)                                      # 避免 log(0)；小距离走精确分支
    large = max_exact + (np.log(safe / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).astype(int)
    large = np.minimum(large, num_buckets - 1)
    return ret + np.where(n < max_exact, n, large)
# --8<-- [end:t5_bucket]


# --8<-- [start:alibi]
def alibi_slopes(n_heads):
    """ALiBi 每个头的斜率 a_h：头数 H 是 2 的幂时 a_h = 2^(-8h/H)，h = 1..H（公比 2^(-8/H) 的等比数列）。

    H 不是 2 的幂时（参考实现的做法）：取不超过 H 的最大 2 的幂 p 的 p 个斜率，
    再从 2p 个头的斜率里隔一个取一个补足。
    """
    if n_heads < 1:
        raise ValueError(f"n_heads must be >= 1, got {n_heads}")

    def power_of_two(h):
        return [2.0 ** (-8.0 * i / h) for i in range(1, h + 1)]

    p = 2 ** int(math.floor(math.log2(n_heads)))
    slopes = power_of_two(p)
    if p < n_heads:
        slopes += power_of_two(2 * p)[0::2][: n_heads - p]
    return np.array(slopes)


def alibi_bias(q_pos, k_pos, slopes):
    """加在注意力分数上的偏置 -a_h (i - j)，形状 (H, n_q, n_k)；键在查询之后的位置另由因果掩码屏蔽。"""
    dist = np.asarray(q_pos)[:, None] - np.asarray(k_pos)[None, :]
    return -np.asarray(slopes)[:, None, None] * dist[None, :, :]
# --8<-- [end:alibi]
