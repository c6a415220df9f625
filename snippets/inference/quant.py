"""线性（仿射）量化与浮点格式模拟：int8 非对称量化、分组量化、bf16 舍入、FP8/FP4 块缩放、NF4。"""
import numpy as np


# --8<-- [start:asym_quant]
def qrange(n_bits=8):
    """有符号 n 位整数的范围，int8 为 [-128, 127]。"""
    if not isinstance(n_bits, (int, np.integer)) or not 2 <= n_bits <= 16:
        raise ValueError(f"n_bits must be an integer in [2, 16], got {n_bits!r}")
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
    if group_size <= 0 or x.size % group_size:
        raise ValueError(f"group size {group_size} does not divide {x.size} elements")
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
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1                     # 保留部分的最低位，用于“平局取偶”
    bits = (bits + 0x7FFF + lsb) & 0xFFFF0000
    out = bits.astype(np.uint32).view(np.float32)
    # NaN 的尾数可能只在低 16 位：进位会把它变成 inf，所以单独保留为 NaN
    return np.where(np.isnan(x), np.float32(np.nan), out)


def bf16_truncate(x):
    """直接截断低 16 位（向零舍入），用来和正确舍入对比。"""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return (bits & np.uint32(0xFFFF0000)).view(np.float32)
# --8<-- [end:bf16]


# --8<-- [start:minifloat]
# 指数位、尾数位、特殊值约定。E4M3（OCP FP8）只有全 1 编码是 NaN、没有 inf；
# E5M2 与 IEEE 一样保留最高指数给 inf/NaN；E2M1（FP4）没有 inf 和 NaN。
MINIFLOATS = {"e4m3": (4, 3, "nan_only"), "e5m2": (5, 2, "ieee"), "e2m1": (2, 1, "none")}


def minifloat_grid(fmt):
    """格式 fmt 的全部非负有限值，升序（相邻编码就是相邻的数）。"""
    if fmt not in MINIFLOATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {sorted(MINIFLOATS)}")
    e_bits, m_bits, special = MINIFLOATS[fmt]
    bias, e_max, m_max = 2 ** (e_bits - 1) - 1, 2 ** e_bits - 1, 2 ** m_bits - 1
    vals = []
    for e in range(e_max + 1):
        for m in range(m_max + 1):
            if (special == "ieee" and e == e_max) or (special == "nan_only" and (e, m) == (e_max, m_max)):
                continue
            if e == 0:                                   # 次正规数：没有隐含的 1
                vals.append(m / 2 ** m_bits * 2.0 ** (1 - bias))
            else:
                vals.append((1 + m / 2 ** m_bits) * 2.0 ** (e - bias))
    return np.array(vals)


def round_to_grid(x, grid):
    """最近舍入到 grid（平局取尾数为偶的那个），超出范围饱和到 ±max。"""
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), grid[-1])
    hi = np.clip(np.searchsorted(grid, a), 1, len(grid) - 1)
    lo = hi - 1
    d_lo, d_hi = a - grid[lo], grid[hi] - a
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (hi % 2 == 0))   # 下标的奇偶就是尾数最低位
    return np.sign(x) * np.where(pick_hi, grid[hi], grid[lo])
# --8<-- [end:minifloat]


# --8<-- [start:block_scaled]
def block_quantize(x, block, fmt="e4m3", scale_fmt="fp32"):
    """块缩放量化再反量化。x: 二维数组；block=(行, 列)，如激活 (1, 128)、权重 (128, 128)。

    每块一个 scale = 块内 max|x| / 格式最大值。scale_fmt：
    "fp32" 原样存；"e8m0" 向上取到 2 的整数次幂（MX 格式、DeepSeek 的 UE8M0）；
    "e4m3" 是 NVFP4 的两级缩放：整张量一个 fp32 scale，每块 scale 再存成 E4M3。
    """
    x = np.asarray(x, dtype=np.float64)
    br, bc = block
    if x.ndim != 2 or x.shape[0] % br or x.shape[1] % bc:
        raise ValueError(f"block {block} does not tile an array of shape {x.shape}")
    if scale_fmt not in ("fp32", "e8m0", "e4m3"):
        raise ValueError(f"unknown scale format {scale_fmt!r}")
    grid = minifloat_grid(fmt)
    tiles = x.reshape(x.shape[0] // br, br, x.shape[1] // bc, bc)
    amax = np.abs(tiles).max(axis=(1, 3), keepdims=True)
    scale = np.where(amax > 0, amax / grid[-1], 1.0)
    if scale_fmt == "e8m0":
        scale = 2.0 ** np.ceil(np.log2(scale))
    elif scale_fmt == "e4m3":
        e4m3 = minifloat_grid("e4m3")
        s_tensor = scale.max() / e4m3[-1] if scale.max() > 0 else 1.0
        scale = np.maximum(round_to_grid(scale / s_tensor, e4m3), e4m3[1]) * s_tensor
    return (round_to_grid(tiles / scale, grid) * scale).reshape(x.shape)
# --8<-- [end:block_scaled]


# --8<-- [start:nf4]
from statistics import NormalDist


def nf4_codebook():
    """QLoRA 的 NF4：标准正态的分位点，负半轴 7 个、正半轴 8 个，加上精确的 0，缩放到 [-1, 1]。"""
    ppf = NormalDist().inv_cdf
    offset = 0.5 * ((1 - 1 / 30) + (1 - 1 / 32))         # 两端分位点取在 15、16 等分的中间
    pos = [ppf(p) for p in np.linspace(offset, 0.5, 9)[:-1]]
    neg = [-ppf(p) for p in np.linspace(offset, 0.5, 8)[:-1]]
    v = np.sort(np.array(pos + neg + [0.0]))
    return v / np.abs(v).max()


def nf4_quantize(x, block=64):
    """每 block 个数一组做 absmax 缩放，再取最近的 NF4 码字；返回反量化结果。"""
    x = np.asarray(x, dtype=np.float64)
    if block <= 0 or x.size % block:
        raise ValueError(f"block size {block} does not divide {x.size} elements")
    code = nf4_codebook()
    g = x.reshape(-1, block)
    absmax = np.abs(g).max(axis=1, keepdims=True)
    absmax = np.where(absmax > 0, absmax, 1.0)
    idx = np.abs(g[..., None] / absmax[..., None] - code).argmin(axis=-1)
    return (code[idx] * absmax).reshape(x.shape)
# --8<-- [end:nf4]
