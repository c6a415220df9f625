"""旋转位置编码（RoPE）与长度外推的频率缩放：PI、NTK-aware、YaRN。"""
import numpy as np


# --8<-- [start:freqs]
def rope_freqs(d, base=10000.0):
    """第 j 对维度的角频率 θ_j = base^(-2(j-1)/d)，j = 1, …, d/2（数组下标是 j-1）。"""
    if d <= 0 or d % 2:
        raise ValueError(f"RoPE needs an even head dim, got d = {d}")
    if base <= 1:
        raise ValueError(f"base must be > 1, got {base}")
    return base ** (-np.arange(0, d, 2) / d)
# --8<-- [end:freqs]


# --8<-- [start:apply]
def apply_rope(x, pos, theta):
    """把 x 的第 j 对相邻两维看成一个复数，旋转角度 pos·θ_j。

    x: (..., T, d) 或 (d,)；pos: (T,) 或标量；theta: (d/2,)。
    逐元素实现，等价于左乘分块对角矩阵 R_pos，但不构造 d×d 矩阵。
    """
    x = np.asarray(x, dtype=float)
    if x.shape[-1] != 2 * len(theta):
        raise ValueError(f"last dim {x.shape[-1]} != 2 * {len(theta)} frequencies")
    ang = np.multiply.outer(np.asarray(pos, dtype=float), theta)  # (T, d/2)
    cos, sin = np.cos(ang), np.sin(ang)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = np.empty(x.shape, dtype=float)
    out[..., 0::2] = x1 * cos - x2 * sin
    out[..., 1::2] = x1 * sin + x2 * cos
    return out
# --8<-- [end:apply]


def rope_matrix(m, theta):
    """显式的 d×d 分块对角旋转矩阵 R_m（仅用于验证，实际实现用 apply_rope）。"""
    d = 2 * len(theta)
    R = np.zeros((d, d))
    for k, t in enumerate(theta):
        c, s = np.cos(m * t), np.sin(m * t)
        R[2 * k:2 * k + 2, 2 * k:2 * k + 2] = [[c, -s], [s, c]]
    return R


# --8<-- [start:scaling]
def pi_freqs(theta, s):
    """位置插值（PI）：位置 m -> m/s，等价于所有频率除以 s。"""
    if s < 1:
        raise ValueError(f"scale factor s = L'/L must be >= 1, got {s}")
    return theta / s


def ntk_aware_base(base, s, d):
    """NTK-aware：只改底数，base' = base·s^(d/(d-2))。
    最高频（j=1）不变，最低频（j=d/2）恰好缩小 s 倍。"""
    if s < 1:
        raise ValueError(f"scale factor s must be >= 1, got {s}")
    if d <= 2 or d % 2:
        raise ValueError(f"NTK-aware scaling needs an even head dim > 2, got d = {d}")
    return base * s ** (d / (d - 2))


def yarn_freqs(theta, s, train_len, alpha=1.0, beta=32.0):
    """YaRN 的 NTK-by-parts：按训练长度内转过的圈数 rho 分段处理每个频率。
    rho < alpha：完全插值 θ/s；rho > beta：保持 θ；中间线性过渡。"""
    if s < 1:
        raise ValueError(f"scale factor s must be >= 1, got {s}")
    if not 0 <= alpha < beta:
        raise ValueError(f"need 0 <= alpha < beta, got alpha = {alpha}, beta = {beta}")
    rho = train_len * theta / (2 * np.pi)         # 训练窗口内的旋转圈数
    ramp = np.clip((rho - alpha) / (beta - alpha), 0.0, 1.0)
    return (1 - ramp) * theta / s + ramp * theta


def yarn_mscale(s):
    """YaRN 的注意力温度：logits 乘以 mscale²，
    其中 mscale = sqrt(1/t) = 0.1·ln s + 1。"""
    if s <= 0:
        raise ValueError(f"scale factor must be > 0, got {s}")
    return 0.1 * np.log(s) + 1.0 if s > 1 else 1.0
# --8<-- [end:scaling]
