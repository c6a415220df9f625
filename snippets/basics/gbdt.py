"""GBDT 分裂增益：XGBoost 式预排序精确扫描 vs LightGBM 式直方图扫描，缺失值的默认方向，以及 GOSS 采样。"""
import numpy as np


# --8<-- [start:split_gain]
def leaf_weight(G, H, lam=1.0, alpha=0.0):
    """二阶展开下叶子的最优输出（一步牛顿）：w* = -G / (H + lambda)；有 L1 时 G 先做软阈值 sign(G) max(|G| - alpha, 0)。"""
    if lam < 0 or alpha < 0:
        raise ValueError(f"regularisation must be non-negative, got lambda={lam!r}, alpha={alpha!r}")
    G_shrunk = np.sign(G) * np.maximum(np.abs(G) - alpha, 0.0)
    return -G_shrunk / (H + lam)


def split_gain(GL, HL, GR, HR, lam=1.0, gamma=0.0):
    """分裂增益 = 1/2 [G_L^2/(H_L+l) + G_R^2/(H_R+l) - (G_L+G_R)^2/(H_L+H_R+l)] - gamma。"""
    if lam < 0 or gamma < 0:
        raise ValueError(f"lambda and gamma must be non-negative, got lambda={lam!r}, gamma={gamma!r}")

    def score(G, H):
        return G * G / (H + lam)
    return 0.5 * (score(GL, HL) + score(GR, HR) - score(GL + GR, HL + HR)) - gamma
# --8<-- [end:split_gain]


def _check_gh(x, g, h):
    x, g, h = (np.asarray(a, dtype=float) for a in (x, g, h))
    if not x.shape == g.shape == h.shape or x.ndim != 1:
        raise ValueError(f"x, g, h must be 1-D arrays of one length, got {x.shape}, {g.shape}, {h.shape}")
    if len(x) < 2:
        raise ValueError("need at least two samples to split")
    if np.any(h < 0):
        raise ValueError("hessians must be non-negative")
    return x, g, h


# --8<-- [start:exact_split]
def best_split_exact(x, g, h, lam=1.0, gamma=0.0, min_child_weight=0.0):
    """预排序 + 线性扫描：枚举所有相邻不同取值之间的切点，O(n) 次增益计算（排序 O(n log n) 只做一次）。

    两个子节点的 hessian 和都要为正且不小于 min_child_weight（XGBoost 默认 1）；没有合法切点时返回 (-inf, None)。
    """
    x, g, h = _check_gh(x, g, h)
    order = np.argsort(x, kind="stable")
    xs, gs, hs = x[order], g[order], h[order]
    GL, HL = np.cumsum(gs)[:-1], np.cumsum(hs)[:-1]
    G, H = gs.sum(), hs.sum()
    HR = H - HL
    ok = (xs[:-1] < xs[1:]) & (HL > 0) & (HR > 0) & (HL >= min_child_weight) & (HR >= min_child_weight)
    if not ok.any():
        return float("-inf"), None
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(ok, split_gain(GL, HL, G - GL, HR, lam, gamma), -np.inf)
    i = int(np.argmax(gain))
    return float(gain[i]), float((xs[i] + xs[i + 1]) / 2)
# --8<-- [end:exact_split]


# --8<-- [start:hist_split]
def quantile_bin_edges(x, max_bin=255):
    """按分位数取至多 max_bin - 1 个切点（去重）；取值种类不多时每个取值一个桶。"""
    if int(max_bin) != max_bin or max_bin < 2:
        raise ValueError(f"max_bin must be an integer >= 2, got {max_bin!r}")
    uniq = np.unique(x)
    if len(uniq) <= max_bin:
        return (uniq[:-1] + uniq[1:]) / 2
    qs = np.quantile(x, np.linspace(0, 1, max_bin + 1)[1:-1])
    return np.unique(qs)


def build_histogram(bin_idx, g, h, n_bins):
    """一次遍历数据：每个桶累加梯度和、二阶导和。"""
    return (np.bincount(bin_idx, weights=g, minlength=n_bins),
            np.bincount(bin_idx, weights=h, minlength=n_bins))


def best_split_hist(hist_g, hist_h, lam=1.0, gamma=0.0, min_child_weight=0.0):
    """只在桶边界上找切点：代价 O(#bins)，与样本数无关。返回增益，以及左子树包含的最后一个桶的编号。

    子节点为空（hessian 和为 0）的切点不合法，否则 lambda = 0 时会算出 0/0；没有合法切点时返回 (-inf, None)。
    """
    hist_g, hist_h = np.asarray(hist_g, dtype=float), np.asarray(hist_h, dtype=float)
    GL, HL = np.cumsum(hist_g)[:-1], np.cumsum(hist_h)[:-1]
    G, H = hist_g.sum(), hist_h.sum()
    HR = H - HL
    ok = (HL > 0) & (HR > 0) & (HL >= min_child_weight) & (HR >= min_child_weight)
    if not ok.any():
        return float("-inf"), None
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(ok, split_gain(GL, HL, G - GL, HR, lam, gamma), -np.inf)
    b = int(np.argmax(gain))
    return float(gain[b]), b
# --8<-- [end:hist_split]


# --8<-- [start:missing_split]
def best_split_missing(x, g, h, lam=1.0, gamma=0.0):
    """稀疏感知分裂（XGBoost 的 sparsity-aware split finding）：x 里的 NaN 是缺失值。

    只在非缺失值上枚举切点；每个切点把缺失样本整体放左边、再整体放右边各算一次增益，取大的那边作默认方向。
    返回 (增益, 切点, 缺失值是否走左边)。
    """
    x, g, h = (np.asarray(a, dtype=float) for a in (x, g, h))
    miss = np.isnan(x)
    if (~miss).sum() < 2:
        raise ValueError("need at least two non-missing values to split")
    Gm, Hm = g[miss].sum(), h[miss].sum()
    order = np.argsort(x[~miss], kind="stable")
    xs, gs, hs = x[~miss][order], g[~miss][order], h[~miss][order]
    GL, HL = np.cumsum(gs)[:-1], np.cumsum(hs)[:-1]
    G, H = g.sum(), h.sum()
    distinct = xs[:-1] < xs[1:]
    best = (float("-inf"), None, None)
    for left in (True, False):                 # 缺失值走左 / 走右
        gl, hl = (GL + Gm, HL + Hm) if left else (GL, HL)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(distinct & (hl > 0) & (H - hl > 0),
                            split_gain(gl, hl, G - gl, H - hl, lam, gamma), -np.inf)
        i = int(np.argmax(gain))
        if gain[i] > best[0]:
            best = (float(gain[i]), float((xs[i] + xs[i + 1]) / 2), left)
    return best
# --8<-- [end:missing_split]


# --8<-- [start:goss]
def goss_sample(g, a=0.2, b=0.1, rng=None):
    """GOSS：保留 |g| 最大的 a·n 个样本，再从其余 (1-a)·n 个里随机抽 b·n 个（a、b 都是占全部样本的比例）。

    抽到的小梯度样本权重放大为 (其余样本数) / (抽到的个数)，即 (1-a)/b，使梯度和的估计无偏。
    与 LightGBM 的实现一样用取整后的个数算这个倍数，n 不能被整除时也无偏。
    """
    rng = np.random.default_rng() if rng is None else rng
    g = np.asarray(g, dtype=float)
    if not (0 < a and 0 < b and a + b <= 1):
        raise ValueError(f"need 0 < a, 0 < b and a + b <= 1, got a={a!r}, b={b!r}")
    n = len(g)
    top_n, rand_n = int(a * n), int(b * n)
    if rand_n < 1:
        raise ValueError(f"b * n = {b * n:g} < 1: no small-gradient sample would be drawn")
    order = np.argsort(-np.abs(g), kind="stable")
    top, rest = order[:top_n], order[top_n:]
    picked = rng.choice(rest, size=rand_n, replace=False)
    idx = np.concatenate([top, picked])
    w = np.concatenate([np.ones(top_n), np.full(rand_n, len(rest) / rand_n)])
    return idx, w
# --8<-- [end:goss]
