"""拼接相邻 g 个 token（序列 l -> l/g，宽度 d -> g·d）时的 FLOPs、参数量与最优合并因子 g。"""
import numpy as np


def _check_positive(**kw):
    for name, value in kw.items():
        if np.any(np.asarray(value) <= 0):
            raise ValueError(f"{name} must be > 0, got {value}")


# --8<-- [start:cost]
def layer_flops(l, d):
    """一层 Transformer 前向 FLOPs（batch=1，FFN 宽 4d，乘加算 2 次）：
    投影 QKVO 8ld² + FFN 16ld² + 注意力 QKᵀ 与 AV 共 4l²d。"""
    return 24 * l * d**2 + 4 * l**2 * d


def layer_params(d):
    """一层参数量：注意力 4d²+4d，FFN 8d²+5d，两个 LayerNorm 4d。"""
    return 12 * d**2 + 13 * d


def merged_flops(l, d, g):
    """拼接 g 个相邻 token 后：layer_flops(l/g, g·d) = 24ld²g + 4l²d/g。"""
    if np.any(np.asarray(g) <= 0):
        raise ValueError(f"merge factor g must be > 0, got {g}")
    return layer_flops(l / g, g * d)


def optimal_merge(l, d):
    """由 AM-GM：24ld²g + 4l²d/g ≥ 2·sqrt(96·l³d³)，取等于 g* = sqrt(l/(6d))。"""
    if l <= 0 or d <= 0:
        raise ValueError(f"sequence length and width must be > 0, got l = {l}, d = {d}")
    return np.sqrt(l / (6 * d))
# --8<-- [end:cost]


optimal_k = optimal_merge      # older name, kept for existing callers


def layer_flops_by_shapes(l, d):
    """按每个矩阵乘法的形状逐项累加（(m×n)@(n×p) 计 2mnp），用来核对闭式公式。"""
    _check_positive(l=l, d=d)
    mm = lambda m, n, p: 2 * m * n * p
    proj = 4 * mm(l, d, d)                  # Q, K, V, O
    attn = mm(l, d, l) + mm(l, l, d)        # QKᵀ, AV（所有头合计）
    ffn = mm(l, d, 4 * d) + mm(l, 4 * d, d)
    return proj + attn + ffn


def layer_params_by_shapes(d):
    shapes = [(d, d), (d,)] * 4 + [(d, 4 * d), (4 * d,), (4 * d, d), (d,)] + [(d,)] * 4
    return sum(int(np.prod(s)) for s in shapes)


def score_elements(l, n_head, g=1, keep="heads"):
    """注意力分数张量 (n_head', l/g, l/g) 的元素数。
    keep="heads"：头数不变（头维随宽度放大 g 倍）；keep="head_dim"：头维不变，头数变为 g·n_head。"""
    if keep not in ("heads", "head_dim"):
        raise ValueError(f"keep must be 'heads' or 'head_dim', got {keep!r}")
    _check_positive(l=l, n_head=n_head, g=g)
    heads = n_head if keep == "heads" else g * n_head
    return heads * (l / g) ** 2
