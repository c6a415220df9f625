"""预训练的 scaling law：Chinchilla 参数化损失、计算最优配比、过训练的额外算力、重复数据的有效 token 数。

记号：N 参数量，D 训练 token 数，C 训练 FLOPs（C ≈ 6ND），L 每 token 交叉熵（nats）。
"""
import numpy as np

# Hoffmann et al. 2022（arXiv:2203.15556）正文给出的 Approach 3 拟合值
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
# Besiroglu et al. 2024（arXiv:2404.10102）用同一函数形式对重建数据的再拟合
BESIROGLU = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}


def _positive(name, value):
    if not np.all(np.asarray(value, dtype=float) > 0):
        raise ValueError(f"{name} must be positive, got {value}")


# --8<-- [start:chinchilla]
def chinchilla_loss(n_params, n_tokens, fit=CHINCHILLA):
    """L(N, D) = E + A / N^alpha + B / D^beta。"""
    _positive("n_params", n_params)
    _positive("n_tokens", n_tokens)
    return fit["E"] + fit["A"] / np.power(n_params, fit["alpha"]) + fit["B"] / np.power(n_tokens, fit["beta"])


def compute_optimal(compute, fit=CHINCHILLA):
    """在 C = 6ND 约束下最小化 L(N, D) 的闭式解，返回 (N_opt, D_opt)。

    代入 D = C / (6N) 后对 log N 求导置零：alpha*A/N^alpha = beta*B/D^beta，解得
    N_opt = G * (C/6)^(beta/(alpha+beta))，G = (alpha*A / (beta*B))^(1/(alpha+beta))。
    """
    _positive("compute budget", compute)
    a, b = fit["alpha"], fit["beta"]
    g = (a * fit["A"] / (b * fit["B"])) ** (1.0 / (a + b))
    n_opt = g * np.power(np.asarray(compute, dtype=float) / 6.0, b / (a + b))
    return n_opt, np.asarray(compute, dtype=float) / (6.0 * n_opt)
# --8<-- [end:chinchilla]


def compute_optimal_numeric(compute, fit=CHINCHILLA, lo=1e6, hi=1e14, iters=200):
    """同一问题的数值解：在 log N 上做黄金分割搜索（L 沿 iso-FLOP 曲线是 log N 的单峰函数）。"""
    _positive("compute budget", compute)
    f = lambda logn: chinchilla_loss(np.exp(logn), compute / (6.0 * np.exp(logn)), fit)
    a, b = np.log(lo), np.log(hi)
    r = (np.sqrt(5.0) - 1) / 2
    for _ in range(iters):
        c, d = b - r * (b - a), a + r * (b - a)
        if f(c) < f(d):
            b = d
        else:
            a = c
    n = float(np.exp((a + b) / 2))
    return n, compute / (6.0 * n)


def isoflop_curve(compute, n_grid, fit=CHINCHILLA):
    """固定 C，沿一组 N 取 D = C/(6N) 时的损失：iso-FLOP 曲线。"""
    _positive("compute budget", compute)
    n_grid = np.asarray(n_grid, dtype=float)
    return chinchilla_loss(n_grid, compute / (6.0 * n_grid), fit)


# --8<-- [start:overtrain]
def tokens_to_reach(loss, n_params, fit=CHINCHILLA):
    """参数量固定为 N 时达到目标损失所需的 token 数；N 太小、永远达不到时返回 inf。"""
    _positive("n_params", n_params)
    gap = loss - fit["E"] - fit["A"] / np.power(n_params, fit["alpha"])
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(gap > 0, np.power(fit["B"] / np.where(gap > 0, gap, 1.0), 1.0 / fit["beta"]), np.inf)
    return d


def overtrain_cost(compute, shrink, fit=CHINCHILLA):
    """把模型缩小为计算最优的 shrink 倍（0 < shrink <= 1）并训练到同样的损失。

    返回 (训练算力 / 计算最优算力, 每 token 推理算力之比 = shrink)。推理一次前向约 2N FLOPs。
    """
    if not 0 < shrink <= 1:
        raise ValueError(f"shrink must be in (0, 1], got {shrink}")
    n_opt, d_opt = compute_optimal(compute, fit)
    target = chinchilla_loss(n_opt, d_opt, fit)
    n = shrink * n_opt
    d = tokens_to_reach(target, n, fit)
    return 6.0 * n * d / compute, shrink
# --8<-- [end:overtrain]


def inference_breakeven_tokens(compute, shrink, fit=CHINCHILLA):
    """小模型多花的训练算力要靠多少推理 token 才能省回来（每 token 推理 2N FLOPs）。"""
    ratio, _ = overtrain_cost(compute, shrink, fit)
    n_opt, _ = compute_optimal(compute, fit)
    extra_train = (ratio - 1.0) * compute
    saved_per_token = 2.0 * n_opt * (1.0 - shrink)
    return np.inf if saved_per_token == 0 else extra_train / saved_per_token


# --8<-- [start:repetition]
R_D_STAR = 15.387756   # Muennighoff et al. 2023 拟合的重复数据衰减常数（huggingface/datablations）


def effective_tokens(unique_tokens, epochs, r_star=R_D_STAR):
    """重复 epochs 遍 U 个唯一 token 的“有效数据量” D' = U + U * R* * (1 - exp(-R/R*))，R = epochs - 1。"""
    _positive("unique_tokens", unique_tokens)
    if np.any(np.asarray(epochs) < 1):
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    r = np.asarray(epochs, dtype=float) - 1.0
    return unique_tokens * (1.0 + r_star * (1.0 - np.exp(-r / r_star)))
# --8<-- [end:repetition]
