"""概率校准：可靠性图的分桶统计、Platt scaling、保序回归（PAV）、负采样后的概率还原；
以及类别不平衡的两个工具：SMOTE 与 balanced 类别权重。ECE 复用 metrics/classification.py 的实现。"""
import numpy as np

from snippets.metrics.classification import expected_calibration_error  # noqa: F401  (re-exported)


def check_probabilities(p, name="probabilities"):
    """概率必须是有限值且落在 [0, 1] 里。"""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        raise ValueError(f"{name}: empty array")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"{name} must lie in [0, 1], got min {np.nanmin(p):g}, max {np.nanmax(p):g}")
    return p


def _check_labels(y, n):
    y = np.asarray(y, dtype=float)
    if y.shape != (n,):
        raise ValueError(f"need one label per prediction: {y.shape[0] if y.ndim else 0} labels for {n} predictions")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y


# --8<-- [start:reliability]
def reliability_curve(y, p, n_bins=10):
    """等宽分桶：每个非空桶返回 (平均预测概率, 实际正例率, 样本数)。画成可靠性图，完美校准的点落在对角线上。"""
    p = check_probabilities(p)
    y = _check_labels(y, len(p))
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    b = np.minimum((p * n_bins).astype(int), n_bins - 1)
    cnt = np.bincount(b, minlength=n_bins)
    keep = cnt > 0
    mean_p = np.bincount(b, weights=p, minlength=n_bins)[keep] / cnt[keep]
    frac_pos = np.bincount(b, weights=y, minlength=n_bins)[keep] / cnt[keep]
    return mean_p, frac_pos, cnt[keep]
# --8<-- [end:reliability]


# --8<-- [start:platt]
def fit_platt(f, y, n_iter=100):
    """Platt scaling：在留出的校准集上拟合 P(y=1 | f) = 1 / (1 + exp(A f + B))，f 是模型的分数（如 logit）。

    按 Platt（1999）把 0/1 目标平滑成 t+ = (N+ + 1)/(N+ + 2)、t- = 1/(N- + 2)，用带回溯的牛顿法最小化交叉熵。
    """
    f = np.asarray(f, dtype=float)
    y = _check_labels(y, len(f))
    if f.ndim != 1 or len(f) == 0 or not np.all(np.isfinite(f)):
        raise ValueError("scores must be a non-empty 1-D array of finite values")
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(A, B):
        z = -(A * f + B)                      # P = σ(z)
        return np.sum(np.logaddexp(0, z) - t * z)

    A, B = 0.0, np.log((n_neg + 1) / (n_pos + 1))
    for _ in range(n_iter):
        z = -(A * f + B)
        P = 1 / (1 + np.exp(-z))
        d = t - P                             # ∂loss/∂(A f + B)
        g = np.array([(d * f).sum(), d.sum()])
        h = P * (1 - P)
        H = np.array([[(h * f * f).sum(), (h * f).sum()], [(h * f).sum(), h.sum()]]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(H, g)
        lr, old = 1.0, loss(A, B)
        while lr > 1e-8 and loss(A - lr * step[0], B - lr * step[1]) > old:
            lr /= 2
        A, B = A - lr * step[0], B - lr * step[1]
        if np.abs(lr * step).max() < 1e-10:
            break
    return A, B


def apply_platt(f, A, B):
    return 1 / (1 + np.exp(A * np.asarray(f, dtype=float) + B))
# --8<-- [end:platt]


# --8<-- [start:isotonic]
def isotonic_pav(x, y, w=None):
    """保序回归（Pool Adjacent Violators）：求单调不减的 g 使 Σ w_i (y_i - g(x_i))² 最小。

    按 x 排序（相同的 x 先合并），从左到右扫，新块的均值比前一块小就合并，合并后继续向左检查。
    返回 (块的左端点 x, 块的取值)：g 在每个块上是常数（阶梯函数），用 predict_isotonic 查表。
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or w.shape != y.shape or len(x) == 0:
        raise ValueError(f"x, y, w must be non-empty 1-D arrays of one length, got {x.shape}, {y.shape}, {w.shape}")
    if np.any(w <= 0):
        raise ValueError("weights must be positive")
    ux, inv = np.unique(x, return_inverse=True)                 # 同一个 x 只能有一个拟合值
    wsum = np.bincount(inv, weights=w)
    ysum = np.bincount(inv, weights=w * y)
    starts, vals, wts = [], [], []
    for i in range(len(ux)):
        starts.append(ux[i])
        vals.append(ysum[i] / wsum[i])
        wts.append(wsum[i])
        while len(vals) > 1 and vals[-2] > vals[-1]:            # 违反单调：合并最后两块
            wv = wts[-2] + wts[-1]
            vals[-2] = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / wv
            wts[-2] = wv
            del starts[-1], vals[-1], wts[-1]
    return np.array(starts), np.array(vals)


def predict_isotonic(starts, vals, x):
    """阶梯函数：x 落在第几个块就取那个块的值；比最小的左端点还小时取第一块。"""
    i = np.searchsorted(starts, np.asarray(x, dtype=float), side="right") - 1
    return vals[np.clip(i, 0, len(vals) - 1)]
# --8<-- [end:isotonic]


# --8<-- [start:downsampling]
def negative_downsample(y, w, rng):
    """保留全部正样本，负样本每个以概率 w 保留。返回保留样本的布尔掩码。"""
    y = np.asarray(y)
    if not 0 < w <= 1:
        raise ValueError(f"negative sampling rate w must be in (0, 1], got {w!r}")
    return (y == 1) | (rng.random(len(y)) < w)


def downsampling_correction(p, w):
    """在负样本按比例 w 下采样的数据上训出的概率 p，还原成原始分布下的 q = p / (p + (1 - p)/w)。

    等价于 logit(q) = logit(p) + ln w：只是把 logit 平移 ln w，单调，不改变排序和 AUC。
    """
    p = check_probabilities(p)
    if not 0 < w <= 1:
        raise ValueError(f"negative sampling rate w must be in (0, 1], got {w!r}")
    return p / (p + (1 - p) / w)
# --8<-- [end:downsampling]


# --8<-- [start:imbalance]
def smote(X_min, n_new, k=5, rng=None):
    """SMOTE（Chawla et al., 2002）：随机取一个少数类样本 x_i，在它的 k 个少数类近邻里随机取一个 x_nn，
    在两点连线上随机取一点 x_i + λ (x_nn - x_i)，λ ~ U(0, 1)。返回 (新样本, 所用的 (i, nn) 下标对)。"""
    X_min = np.asarray(X_min, dtype=float)
    if X_min.ndim != 2 or len(X_min) == 0:
        raise ValueError(f"minority samples must be a non-empty 2-D array, got shape {X_min.shape}")
    if int(k) != k or not 1 <= k < len(X_min):
        raise ValueError(f"k must be an integer in [1, {len(X_min) - 1}] (k < number of minority samples), got {k!r}")
    if int(n_new) != n_new or n_new < 0:
        raise ValueError(f"n_new must be a non-negative integer, got {n_new!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    d2 = ((X_min[:, None, :] - X_min[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    knn = np.argsort(d2, axis=1)[:, :int(k)]
    i = rng.integers(0, len(X_min), size=int(n_new))
    nn = knn[i, rng.integers(0, int(k), size=int(n_new))]
    lam = rng.random((int(n_new), 1))
    return X_min[i] + lam * (X_min[nn] - X_min[i]), np.stack([i, nn], axis=1)


def balanced_class_weights(y):
    """sklearn 的 class_weight="balanced"：w_c = n / (K · n_c)，加权后每个类别的总权重都是 n / K。"""
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    if len(classes) == 0:
        raise ValueError("empty label array")
    return dict(zip(classes.tolist(), (counts.sum() / (len(classes) * counts)).tolist()))
# --8<-- [end:imbalance]
