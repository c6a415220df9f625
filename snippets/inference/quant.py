"""线性（仿射）量化与浮点格式模拟：int8 非对称量化、分组量化、bf16 位掩码。"""
import numpy as np


# --8<-- [start:asym_quant]
def qrange(n_bits=8):
    """有符号 n 位整数的范围，int8 为 [-128, 127]。"""
    return -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1


def asym_params(x, n_bits=8):
    """非对称量化参数：scale 为浮点，zero_point 为取整后的整数。

    区间先扩展到包含 0，保证实数 0 能被精确表示（padding、ReLU 输出都依赖这一点）。
    """
    qmin, qmax = qrange(n_bits)
    x_min = min(float(np.min(x)), 0.0)
    x_max = max(float(np.max(x)), 0.0)
    scale = (x_max - x_min) / (qmax - qmin)
    if scale == 0.0:                       # 全零张量
        scale = 1.0
    zero_point = int(np.clip(np.round(qmin - x_min / scale), qmin, qmax))
    return scale, zero_point


def quantize(x, scale, zero_point, n_bits=8):
    """q = clamp(round(x / scale) + z, q_min, q_max)。"""
    qmin, qmax = qrange(n_bits)
    q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero_point
    return np.clip(q, qmin, qmax).astype(np.int32)


def dequantize(q, scale, zero_point):
    """x_hat = scale * (q - z)。"""
    return scale * (np.asarray(q, dtype=np.float64) - zero_point)
# --8<-- [end:asym_quant]


# --8<-- [start:group_quant]
def quantize_per_group(x, group_size, n_bits=8):
    """把一维张量切成长度为 group_size 的组，每组单独求 scale / zero_point，返回反量化结果。"""
    x = np.asarray(x, dtype=np.float64)
    assert x.size % group_size == 0
    out = np.empty_like(x)
    for g in range(x.size // group_size):
        sl = slice(g * group_size, (g + 1) * group_size)
        s, z = asym_params(x[sl], n_bits)
        out[sl] = dequantize(quantize(x[sl], s, z, n_bits), s, z)
    return out


def absmax_quantize(x, n_bits=8):
    """对称（absmax）量化：z = 0，scale = max|x| / q_max，常用于权重。"""
    _, qmax = qrange(n_bits)
    scale = float(np.max(np.abs(x))) / qmax or 1.0
    q = np.clip(np.round(np.asarray(x) / scale), -qmax, qmax).astype(np.int32)
    return q, scale
# --8<-- [end:group_quant]


# --8<-- [start:bf16]
def to_bf16(x):
    """把 float32 舍入到 bf16（round-to-nearest-even），结果仍以 float32 存放。

    bf16 就是 float32 的高 16 位：1 符号 + 8 指数 + 7 尾数。
    """
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1                     # 保留部分的最低位，用于“平局取偶”
    bits = (bits + 0x7FFF + lsb) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32)


def bf16_truncate(x):
    """直接截断低 16 位（向零舍入），用来和正确舍入对比。"""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return (bits & np.uint32(0xFFFF0000)).view(np.float32)
# --8<-- [end:bf16]
