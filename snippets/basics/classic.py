"""偏差–方差分解、交叉验证的切分方式、逻辑回归（梯度与牛顿法）与线性 SVM（对偶坐标下降）。"""
import numpy as np


def _as_xy(X, y):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"X must be 2-D and y 1-D, got shapes {X.shape} and {y.shape}")
    if len(X) == 0:
        raise ValueError("empty data: X has no rows")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels")
    return X, y


# --8<-- [start:bias_variance]
def poly_features(x, degree):
    """x ∈ [-1, 1] 上的 Legendre 多项式基 P_0..P_degree（比 x^k 的单项式基条件数好得多）。"""
    if int(degree) != degree or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}")
    x = np.asarray(x, dtype=float)
    return np.polynomial.legendre.legvander(x, int(degree))


def fit_poly(x, y, degree):
    """最小二乘拟合 degree 次多项式，返回 Legendre 系数。"""
    Phi, y = _as_xy(poly_features(x, degree), y)
    return np.linalg.lstsq(Phi, y, rcond=None)[0]


def bias_variance_decomposition(preds, f_true, noise_var):
    """preds[r, j] 是第 r 个训练集上训出的模型在测试点 x_j 的预测，f_true[j] = f(x_j)。

    对测试点取平均：bias² = mean_j (E_r f̂(x_j) - f(x_j))²，variance = mean_j Var_r f̂(x_j)，
    期望测试误差 E[(y - f̂)²] = bias² + variance + noise（noise = σ²，不可约）。
    """
    preds, f_true = np.asarray(preds, dtype=float), np.asarray(f_true, dtype=float)
    if preds.ndim != 2 or preds.shape[1] != f_true.shape[0] or preds.shape[0] < 2:
        raise ValueError(f"preds must be (R >= 2, m) with m = len(f_true), got {preds.shape} and {f_true.shape}")
    if noise_var < 0:
        raise ValueError(f"noise variance must be non-negative, got {noise_var!r}")
    mean_pred = preds.mean(axis=0)
    bias2 = float(np.mean((mean_pred - f_true) ** 2))
    variance = float(np.mean(preds.var(axis=0)))
    return {"bias2": bias2, "variance": variance, "noise": float(noise_var),
            "total": bias2 + variance + float(noise_var)}
# --8<-- [end:bias_variance]


# --8<-- [start:cv_splits]
def kfold_indices(n, k, rng=None):
    """k 折：打乱后切成 k 份（大小相差至多 1），每份轮流做验证集。返回 [(train_idx, val_idx), ...]。"""
    if int(k) != k or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    if k > n:
        raise ValueError(f"k = {k} folds need at least {k} samples, got n = {n}")
    idx = np.arange(n) if rng is None else rng.permutation(n)
    folds = np.array_split(idx, int(k))
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(int(k))]


def stratified_kfold_indices(y, k, rng=None):
    """分层 k 折：每个类别各自打乱后轮流发到 k 个折里，使每折的类别比例与全体一致。"""
    y = np.asarray(y)
    if int(k) != k or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    classes, counts = np.unique(y, return_counts=True)
    if len(y) == 0 or counts.min() < k:
        raise ValueError(f"every class needs at least k = {k} samples, smallest class has "
                         f"{0 if len(y) == 0 else counts.min()}")
    fold_of = np.empty(len(y), dtype=int)
    offset = 0
    for c in classes:
        members = np.flatnonzero(y == c)
        if rng is not None:
            members = rng.permutation(members)
        fold_of[members] = (np.arange(len(members)) + offset) % k   # 发牌：0,1,...,k-1,0,1,...
        offset += len(members)
    return [(np.flatnonzero(fold_of != i), np.flatnonzero(fold_of == i)) for i in range(int(k))]


def time_series_splits(n, n_splits, gap=0):
    """前向链式切分（expanding window）：验证集总在训练集之后，中间空出 gap 个样本防止标签泄漏。"""
    if int(n_splits) != n_splits or n_splits < 1 or gap < 0:
        raise ValueError(f"need n_splits >= 1 and gap >= 0, got {n_splits!r}, {gap!r}")
    test_size = n // (n_splits + 1)
    if test_size < 1 or n - n_splits * test_size - gap < 1:
        raise ValueError(f"n = {n} is too small for {n_splits} splits with gap {gap}")
    out = []
    for i in range(int(n_splits)):
        val_start = n - (n_splits - i) * test_size
        out.append((np.arange(0, val_start - gap), np.arange(val_start, val_start + test_size)))
    return out
# --8<-- [end:cv_splits]


# --8<-- [start:logistic]
def sigmoid(z):
    """数值稳定的 σ(z) = 1 / (1 + e^{-z})。"""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def logistic_loss_grad_hess(w, X, y, lam=0.0):
    """L(w) = -1/n Σ [y log p + (1-y) log(1-p)] + λ/2 ||w||²，p = σ(Xw)，y ∈ {0, 1}。

    梯度 X^T (p - y)/n + λw，Hessian X^T diag(p(1-p)) X / n + λI（半正定，所以是凸问题）。
    """
    z = X @ w
    p = sigmoid(z)
    n = len(y)
    # -[y log p + (1-y) log(1-p)] = log(1 + e^z) - y z，用 logaddexp 稳定地算
    loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * w @ w
    grad = X.T @ (p - y) / n + lam * w
    hess = (X * (p * (1 - p))[:, None]).T @ X / n + lam * np.eye(len(w))
    return loss, grad, hess


def fit_logistic(X, y, lam=1e-6, n_iter=50, tol=1e-10, sample_weight=None):
    """牛顿法（IRLS）拟合逻辑回归；X 不含截距列时请自己加一列 1。sample_weight 用于代价敏感的类别权重。"""
    X, y = _as_xy(X, y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError("logistic regression labels must be 0 or 1")
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if sw.shape != y.shape or np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative with one weight per sample")
    w = np.zeros(X.shape[1])
    for _ in range(n_iter):
        p = sigmoid(X @ w)
        g = X.T @ (sw * (p - y)) / sw.sum() + lam * w
        H = (X * (sw * p * (1 - p))[:, None]).T @ X / sw.sum() + lam * np.eye(len(w))
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < tol:
            break
    return w
# --8<-- [end:logistic]


# --8<-- [start:linear_svm]
def fit_linear_svm_dual(X, y, C=1.0, n_epochs=200, tol=1e-8, rng=None):
    """线性 SVM 的对偶坐标下降（Hsieh et al., 2008），y ∈ {-1, +1}，截距请作为常数特征放进 X。

    对偶问题：max_α Σα_i - 1/2 ||Σ α_i y_i x_i||²，0 ≤ α_i ≤ C；w = Σ α_i y_i x_i。
    α_i > 0 的样本就是支持向量，其余样本对解没有影响。返回 (w, α)。
    """
    X, y = _as_xy(X, y)
    if not np.isin(y, (-1, 1)).all():
        raise ValueError("SVM labels must be -1 or +1")
    if C <= 0:
        raise ValueError(f"C must be positive, got {C!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(y)
    alpha, w = np.zeros(n), np.zeros(X.shape[1])
    Qii = np.einsum("ij,ij->i", X, X)
    for _ in range(n_epochs):
        max_change = 0.0
        for i in rng.permutation(n):
            if Qii[i] == 0:
                continue
            G = y[i] * (w @ X[i]) - 1.0                       # 对偶目标（取负）对 α_i 的梯度
            new = min(max(alpha[i] - G / Qii[i], 0.0), C)      # 一维二次函数的解，再投影到 [0, C]
            if new != alpha[i]:
                w += (new - alpha[i]) * y[i] * X[i]
                max_change = max(max_change, abs(new - alpha[i]))
                alpha[i] = new
        if max_change < tol:
            break
    return w, alpha


def hinge_objective(w, X, y, C=1.0):
    """原问题：1/2 ||w||² + C Σ max(0, 1 - y_i w·x_i)。"""
    return 0.5 * w @ w + C * np.maximum(0.0, 1.0 - y * (X @ w)).sum()
# --8<-- [end:linear_svm]
