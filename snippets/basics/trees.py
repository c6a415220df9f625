"""决策树的分裂准则（信息增益、增益率、Gini），numpy 的 CART 回归树、随机森林（bootstrap + 特征子采样 + OOB），
以及 AdaBoost（决策树桩）。"""
import numpy as np


# --8<-- [start:criteria]
def entropy(labels):
    """H(D) = -Σ_k p_k log2 p_k（单位 bit）。"""
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    if counts.sum() == 0:
        raise ValueError("entropy of an empty set is undefined")
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def gini(labels):
    """Gini(D) = 1 - Σ_k p_k²：随机抽两个样本类别不同的概率。"""
    _, counts = np.unique(np.asarray(labels), return_counts=True)
    if counts.sum() == 0:
        raise ValueError("Gini impurity of an empty set is undefined")
    p = counts / counts.sum()
    return float(1.0 - (p * p).sum())


def _groups(feature, labels):
    feature, labels = np.asarray(feature), np.asarray(labels)
    if feature.shape != labels.shape or feature.ndim != 1:
        raise ValueError(f"feature {feature.shape} and labels {labels.shape} must be 1-D of the same length")
    if len(labels) == 0:
        raise ValueError("empty data: nothing to split")
    values = np.unique(feature)
    return [labels[feature == v] for v in values], len(labels)


def information_gain(feature, labels):
    """ID3：按特征的每个取值分组（多路分裂），IG = H(D) - Σ_v |D_v|/|D| H(D_v)。"""
    groups, n = _groups(feature, labels)
    return entropy(labels) - sum(len(g) / n * entropy(g) for g in groups)


def split_information(feature, labels):
    """C4.5 的分裂信息 SplitInfo = -Σ_v |D_v|/|D| log2(|D_v|/|D|)：特征本身取值分布的熵。"""
    groups, n = _groups(feature, labels)
    frac = np.array([len(g) / n for g in groups])
    return float(-(frac * np.log2(frac)).sum())


def gain_ratio(feature, labels):
    """C4.5：增益率 = IG / SplitInfo；只有一个取值（SplitInfo = 0）时该特征不能分裂，记 0。"""
    si = split_information(feature, labels)
    return 0.0 if si == 0 else information_gain(feature, labels) / si


def gini_decrease(feature, labels):
    """按特征取值多路分裂后 Gini 的下降量 Gini(D) - Σ_v |D_v|/|D| Gini(D_v)。"""
    groups, n = _groups(feature, labels)
    return gini(labels) - sum(len(g) / n * gini(g) for g in groups)
# --8<-- [end:criteria]


def _check_tree_args(X, y, max_depth, min_samples_leaf):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"X must be 2-D and y 1-D, got shapes {X.shape} and {y.shape}")
    if len(X) == 0:
        raise ValueError("empty data: X has no rows")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} targets")
    if max_depth is not None and (int(max_depth) != max_depth or max_depth < 1):
        raise ValueError(f"max_depth must be a positive integer or None, got {max_depth!r}")
    if int(min_samples_leaf) != min_samples_leaf or min_samples_leaf < 1:
        raise ValueError(f"min_samples_leaf must be a positive integer, got {min_samples_leaf!r}")
    return X, y


# --8<-- [start:cart]
def best_mse_split(Xn, y, min_samples_leaf=1):
    """在节点的样本 Xn (m, k) 上为 k 个候选特征同时找最优 CART 回归切点：最小化左右两边的平方误差和（SSE）。

    每列排序后用前缀和，每个候选切点 O(1)：SSE = Σy² - (Σy)²/m。
    返回 (SSE 下降量, 第几列, 阈值)；没有合法切点时返回 (0, None, None)。
    """
    m_all = len(y)
    order = np.argsort(Xn, axis=0, kind="stable")
    xs = np.take_along_axis(Xn, order, axis=0)
    ys = y[order]                                           # (m, k)：按每列排序后的 y
    cs, cs2 = np.cumsum(ys, axis=0), np.cumsum(ys * ys, axis=0)
    m = np.arange(1, m_all)[:, None]                        # 左边的样本数
    sse_left = cs2[:-1] - cs[:-1] ** 2 / m
    sse_right = (cs2[-1] - cs2[:-1]) - (cs[-1] - cs[:-1]) ** 2 / (m_all - m)
    ok = (xs[:-1] < xs[1:]) & (m >= min_samples_leaf) & (m_all - m >= min_samples_leaf)
    if not ok.any():
        return 0.0, None, None
    total = cs2[-1, 0] - cs[-1, 0] ** 2 / m_all
    gain = np.where(ok, total - sse_left - sse_right, -np.inf)
    i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
    return float(gain[i, j]), int(j), float((xs[i, j] + xs[i + 1, j]) / 2)


def fit_regression_tree(X, y, max_depth=None, min_samples_leaf=1, max_features=None, rng=None):
    """CART 回归树（贪心、二叉、MSE 准则）。max_features：每个节点随机抽几个特征找切点（随机森林的做法）。

    树存成数组：feature[i] = -1 表示叶子，value[i] 是节点内 y 的均值（叶子的预测）。
    """
    X, y = _check_tree_args(X, y, max_depth, min_samples_leaf)
    d = X.shape[1]
    k = d if max_features is None else int(max_features)
    if not 1 <= k <= d:
        raise ValueError(f"max_features must be in [1, {d}], got {max_features!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    feature, threshold, left, right, value = [], [], [], [], []
    stack = [(np.arange(len(y)), 0, None, None)]            # (样本下标, 深度, 父节点, 是否左孩子)
    while stack:
        idx, depth, parent, is_left = stack.pop()
        node = len(value)
        for arr, init in ((feature, -1), (threshold, 0.0), (left, -1), (right, -1)):
            arr.append(init)
        value.append(float(y[idx].mean()))
        if parent is not None:
            (left if is_left else right)[parent] = node
        if (max_depth is not None and depth >= max_depth) or len(idx) < 2 * min_samples_leaf:
            continue
        cand = np.sort(rng.choice(d, size=k, replace=False)) if k < d else np.arange(d)
        gain, col, thr = best_mse_split(X[np.ix_(idx, cand)], y[idx], min_samples_leaf)
        if col is None or gain <= 1e-12:                    # 增益必须为正才分裂
            continue
        j = cand[col]
        feature[node], threshold[node] = int(j), thr
        go_left = X[idx, j] <= thr
        stack.append((idx[~go_left], depth + 1, node, False))
        stack.append((idx[go_left], depth + 1, node, True))
    return {"feature": np.array(feature), "threshold": np.array(threshold),
            "left": np.array(left), "right": np.array(right), "value": np.array(value)}


def predict_tree(tree, X):
    """所有样本一起往下走，直到都落在叶子上。"""
    X = np.asarray(X, dtype=float)
    node = np.zeros(len(X), dtype=int)
    while True:
        f = tree["feature"][node]
        inner = f >= 0
        if not inner.any():
            return tree["value"][node]
        go_left = X[inner, f[inner]] <= tree["threshold"][node[inner]]
        node[inner] = np.where(go_left, tree["left"][node[inner]], tree["right"][node[inner]])
# --8<-- [end:cart]


# --8<-- [start:forest]
def fit_forest(X, y, n_trees, max_depth=None, min_samples_leaf=1, max_features=None, bootstrap=True, rng=None):
    """随机森林（回归）= 对 bootstrap 样本各训一棵深树，每个节点只看随机的 max_features 个特征。

    max_features=None 且 bootstrap=True 就是 bagging。返回树的列表和每棵树的“袋内”样本计数（算 OOB 用）。
    """
    X, y = _check_tree_args(X, y, max_depth, min_samples_leaf)
    if int(n_trees) != n_trees or n_trees < 1:
        raise ValueError(f"n_trees must be a positive integer, got {n_trees!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(y)
    trees, in_bag = [], np.zeros((int(n_trees), n), dtype=int)
    for b in range(int(n_trees)):
        idx = rng.integers(0, n, size=n) if bootstrap else np.arange(n)
        np.add.at(in_bag[b], idx, 1)
        trees.append(fit_regression_tree(X[idx], y[idx], max_depth, min_samples_leaf, max_features, rng))
    return trees, in_bag


def predict_forest(trees, X):
    """森林的预测是各棵树预测的平均。"""
    return np.mean([predict_tree(t, X) for t in trees], axis=0)


def oob_predict(trees, in_bag, X):
    """OOB（袋外）预测：样本 i 只用没抽到它的那些树来预测；一棵树都没有时为 NaN。"""
    preds = np.array([predict_tree(t, X) for t in trees])          # (B, n)
    out = in_bag == 0
    cnt = out.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (preds * out).sum(axis=0) / cnt, np.nan)


def averaged_variance(sigma2, rho, B):
    """B 个方差都为 σ²、两两相关系数为 ρ 的量取平均后的方差：ρσ² + (1-ρ)σ²/B。"""
    if int(B) != B or B < 1:
        raise ValueError(f"B must be a positive integer, got {B!r}")
    return rho * sigma2 + (1 - rho) * sigma2 / B
# --8<-- [end:forest]


# --8<-- [start:adaboost]
def _best_stump(X, y, w):
    """加权错误率最小的决策树桩：(特征, 阈值, 方向)，预测 = 方向 × sign(x_j - 阈值)。"""
    best = (np.inf, 0, 0.0, 1)
    for j in range(X.shape[1]):
        xs = np.unique(X[:, j])
        thrs = np.r_[xs[0] - 1, (xs[:-1] + xs[1:]) / 2]
        pred = np.where(X[:, j][None, :] > thrs[:, None], 1, -1)     # (阈值数, n)
        err = ((pred != y) * w).sum(axis=1)
        for s, e in ((1, err), (-1, 1 - err)):
            i = int(np.argmin(e))
            if e[i] < best[0]:
                best = (float(e[i]), j, float(thrs[i]), s)
    return best


def adaboost_stumps(X, y, n_rounds):
    """离散 AdaBoost：y ∈ {-1, +1}。每轮 α_t = ½ ln((1-ε_t)/ε_t)，样本权重乘 e^{-α_t y h_t(x)} 再归一化。

    返回每轮的 (特征, 阈值, 方向, α)、加权错误率 ε_t 与归一化因子 Z_t = 2√(ε_t(1-ε_t))。
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or len(X) != len(y) or len(y) == 0:
        raise ValueError(f"X must be 2-D with one row per label, got {X.shape} and {y.shape}")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError("AdaBoost labels must be -1 or +1")
    if int(n_rounds) != n_rounds or n_rounds < 1:
        raise ValueError(f"n_rounds must be a positive integer, got {n_rounds!r}")
    w = np.full(len(y), 1.0 / len(y))
    stumps, eps, Z = [], [], []
    for _ in range(int(n_rounds)):
        e, j, thr, s = _best_stump(X, y, w)
        e = min(max(e, 1e-12), 1 - 1e-12)
        alpha = 0.5 * np.log((1 - e) / e)
        h = s * np.where(X[:, j] > thr, 1, -1)
        w = w * np.exp(-alpha * y * h)
        Z.append(w.sum())
        w /= w.sum()
        stumps.append((j, thr, s, alpha))
        eps.append(e)
    return stumps, np.array(eps), np.array(Z)


def adaboost_score(stumps, X):
    """F(x) = Σ_t α_t h_t(x)；分类结果是 sign(F)。"""
    X = np.asarray(X, dtype=float)
    return sum(a * s * np.where(X[:, j] > thr, 1, -1) for j, thr, s, a in stumps)
# --8<-- [end:adaboost]
