"""GBDT 分裂增益：XGBoost 式预排序精确扫描 vs LightGBM 式直方图扫描，以及 GOSS 采样。"""
import numpy as np


# --8<-- [start:split_gain]
def leaf_weight(G, H, lam=1.0):
    """二阶泰勒展开下叶子的最优输出 w* = -G / (H + lambda)。"""
    return -G / (H + lam)


def split_gain(GL, HL, GR, HR, lam=1.0, gamma=0.0):
    """分裂增益 = 1/2 [G_L^2/(H_L+l) + G_R^2/(H_R+l) - (G_L+G_R)^2/(H_L+H_R+l)] - gamma。"""
    def score(G, H):
        return G * G / (H + lam)
    return 0.5 * (score(GL, HL) + score(GR, HR) - score(GL + GR, HL + HR)) - gamma
# --8<-- [end:split_gain]


# --8<-- [start:exact_split]
def best_split_exact(x, g, h, lam=1.0, gamma=0.0):
    """预排序 + 线性扫描：枚举所有相邻不同取值之间的切点，O(n) 次增益计算（排序 O(n log n) 只做一次）。"""
    order = np.argsort(x, kind="stable")
    xs, gs, hs = x[order], g[order], h[order]
    GL, HL = np.cumsum(gs)[:-1], np.cumsum(hs)[:-1]
    G, H = gs.sum(), hs.sum()
    gain = split_gain(GL, HL, G - GL, H - HL, lam, gamma)
    gain = np.where(xs[:-1] < xs[1:], gain, -np.inf)   # 相同取值之间不能切
    i = int(np.argmax(gain))
    return float(gain[i]), float((xs[i] + xs[i + 1]) / 2)
# --8<-- [end:exact_split]


# --8<-- [start:hist_split]
def quantile_bin_edges(x, max_bin=255):
    """按分位数取至多 max_bin - 1 个切点（去重）；取值种类不多时每个取值一个桶。"""
    uniq = np.unique(x)
    if len(uniq) <= max_bin:
        return (uniq[:-1] + uniq[1:]) / 2
    qs = np.quantile(x, np.linspace(0, 1, max_bin + 1)[1:-1])
    return np.unique(qs)


def build_histogram(bin_idx, g, h, n_bins):
    """一次遍历数据：每个桶累加梯度和、二阶导和。"""
    return (np.bincount(bin_idx, weights=g, minlength=n_bins),
            np.bincount(bin_idx, weights=h, minlength=n_bins))


def best_split_hist(hist_g, hist_h, lam=1.0, gamma=0.0):
    """只在桶边界上找切点：代价 O(#bins)，与样本数无关。返回增益，以及左子树包含的最后一个桶的编号。"""
    GL, HL = np.cumsum(hist_g)[:-1], np.cumsum(hist_h)[:-1]
    G, H = hist_g.sum(), hist_h.sum()
    gain = split_gain(GL, HL, G - GL, H - HL, lam, gamma)
    b = int(np.argmax(gain))
    return float(gain[b]), b
# --8<-- [end:hist_split]


# --8<-- [start:goss]
def goss_sample(g, a=0.2, b=0.1, rng=None):
    """GOSS：保留 |g| 最大的 a 比例样本，其余样本中随机抽 b 比例并把权重放大 (1-a)/b。"""
    rng = np.random.default_rng() if rng is None else rng
    n = len(g)
    top_n, rand_n = int(a * n), int(b * n)
    order = np.argsort(-np.abs(g))
    top, rest = order[:top_n], order[top_n:]
    picked = rng.choice(rest, size=rand_n, replace=False)
    idx = np.concatenate([top, picked])
    w = np.concatenate([np.ones(top_n), np.full(rand_n, (1 - a) / b)])
    return idx, w
# --8<-- [end:goss]
