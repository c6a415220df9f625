"""PCA（特征分解与 SVD 两种算法）、k-means（Lloyd 迭代与 k-means++ 初始化）、高斯混合模型的 EM。"""
import numpy as np


def _check_data(X):
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"data must be 2-D (n_samples, n_features), got shape {X.shape}")
    if len(X) == 0:
        raise ValueError("empty data: no samples")
    if not np.all(np.isfinite(X)):
        raise ValueError("data contains NaN or inf")
    return X


def _check_k(k, n, what="k"):
    if int(k) != k or k < 1:
        raise ValueError(f"{what} must be a positive integer, got {k!r}")
    if k > n:
        raise ValueError(f"{what} = {k} is larger than the number of points n = {n}")
    return int(k)


# --8<-- [start:pca]
def pca_eig(X, k):
    """协方差矩阵 S = X_c^T X_c / n 的特征分解，取最大的 k 个特征值对应的特征向量作主成分。

    返回 (主成分 (k, d)，全部特征值（降序），均值)。
    """
    X = _check_data(X)
    k = _check_k(k, X.shape[1], "number of components k")
    mu = X.mean(axis=0)
    Xc = X - mu
    S = Xc.T @ Xc / len(X)
    evals, evecs = np.linalg.eigh(S)                 # 升序
    order = np.argsort(evals)[::-1]
    return evecs[:, order[:k]].T, evals[order], mu


def pca_svd(X, k):
    """中心化后直接做 SVD：X_c = U Σ V^T，主成分是 V 的前 k 列，特征值 = σ_i² / n（不必显式算协方差）。"""
    X = _check_data(X)
    k = _check_k(k, X.shape[1], "number of components k")
    mu = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mu, full_matrices=False)
    return Vt[:k], s ** 2 / len(X), mu


def pca_reconstruct(X, components, mu):
    """投影到主子空间再映回原空间：x̂ = μ + W^T W (x - μ)，W 的行是单位正交的主成分。"""
    Z = (np.asarray(X, dtype=float) - mu) @ components.T
    return mu + Z @ components
# --8<-- [end:pca]


# --8<-- [start:kmeans]
def kmeanspp_init(X, k, rng):
    """k-means++ 播种：第一个中心均匀随机选，之后每个点以 D(x)² / Σ D² 的概率被选为下一个中心，
    D(x) 是 x 到已选中心的最近距离。"""
    X = _check_data(X)
    k = _check_k(k, len(X))
    centers = [X[rng.integers(len(X))]]
    d2 = ((X - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        if d2.sum() == 0:                           # 剩下的点都与某个中心重合
            centers.append(X[rng.integers(len(X))])
            continue
        c = X[rng.choice(len(X), p=d2 / d2.sum())]
        centers.append(c)
        d2 = np.minimum(d2, ((X - c) ** 2).sum(axis=1))
    return np.array(centers)


def kmeans_objective(X, centers):
    """J = Σ_i min_j ||x_i - c_j||²（簇内平方和，inertia）与每个点的最近中心。"""
    d2 = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    labels = d2.argmin(axis=1)
    return float(d2[np.arange(len(X)), labels].sum()), labels


def kmeans(X, k, init="k-means++", n_iter=100, rng=None):
    """Lloyd 算法：交替做“分配到最近中心”与“中心移到簇均值”。两步都不增大 J，所以 J 单调不增。

    init 为 "k-means++"、"random"（随机选 k 个不同的点）或一个 (k, d) 数组。
    返回 (中心, 标签, 每次迭代后的 J 序列，第一个值是初始中心的 J)。
    """
    X = _check_data(X)
    k = _check_k(k, len(X))
    rng = np.random.default_rng(0) if rng is None else rng
    if isinstance(init, str):
        if init == "k-means++":
            centers = kmeanspp_init(X, k, rng)
        elif init == "random":
            centers = X[rng.choice(len(X), size=k, replace=False)].copy()
        else:
            raise ValueError(f"init must be 'k-means++', 'random' or an array, got {init!r}")
    else:
        centers = np.array(init, dtype=float)
        if centers.shape != (k, X.shape[1]):
            raise ValueError(f"initial centers must have shape {(k, X.shape[1])}, got {centers.shape}")
    J, labels = kmeans_objective(X, centers)
    history = [J]
    for _ in range(n_iter):
        for j in range(k):                          # 更新步：空簇保留原来的中心
            members = labels == j
            if members.any():
                centers[j] = X[members].mean(axis=0)
        J, new_labels = kmeans_objective(X, centers)  # 分配步
        history.append(J)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centers, labels, np.array(history)
# --8<-- [end:kmeans]


# --8<-- [start:gmm]
def gmm_log_joint(X, weights, means, covs):
    """log π_j + log N(x_i | μ_j, Σ_j)，形状 (n, k)；用 Cholesky 分解算马氏距离和 log det。"""
    n, d = X.shape
    out = np.empty((n, len(weights)))
    for j, (pi, mu, S) in enumerate(zip(weights, means, covs)):
        L = np.linalg.cholesky(S)
        z = np.linalg.solve(L, (X - mu).T)          # L^{-1}(x - μ)
        logdet = 2 * np.log(np.diag(L)).sum()
        out[:, j] = np.log(pi) - 0.5 * (d * np.log(2 * np.pi) + logdet + (z * z).sum(axis=0))
    return out


def gmm_log_resp(X, weights, means, covs):
    """E 步：对 log π_j N(x_i | μ_j, Σ_j) 按行做 log-sum-exp 归一化，得到 log 责任 γ_ij 与对数似然 Σ_i log p(x_i)。"""
    logp = gmm_log_joint(X, weights, means, covs)
    m = logp.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logp - m).sum(axis=1))
    return logp - lse[:, None], float(lse.sum())


def gmm_em(X, k, n_iter=200, tol=1e-10, rng=None, init_means=None, reg=0.0):
    """高斯混合模型的 EM（全协方差）。M 步：N_j = Σ_i γ_ij，π_j = N_j / n，μ_j = Σ γ_ij x_i / N_j，
    Σ_j = Σ γ_ij (x_i - μ_j)(x_i - μ_j)^T / N_j。
    reg > 0 给协方差对角线加一个小量防止退化，但那样 M 步不再是精确的最大化，单调性不再严格成立。

    返回 (π, μ, Σ, 责任 γ, 每次 E 步算出的对数似然序列)。对数似然单调不减。
    """
    X = _check_data(X)
    n, d = X.shape
    k = _check_k(k, n)
    rng = np.random.default_rng(0) if rng is None else rng
    means = X[rng.choice(n, size=k, replace=False)].copy() if init_means is None else np.array(init_means, float)
    if means.shape != (k, d):
        raise ValueError(f"initial means must have shape {(k, d)}, got {means.shape}")
    covs = np.array([np.cov(X.T, bias=True).reshape(d, d) + reg * np.eye(d)] * k)
    weights = np.full(k, 1.0 / k)
    log_r, ll = gmm_log_resp(X, weights, means, covs)
    history = [ll]
    for _ in range(n_iter):
        r = np.exp(log_r)                               # M 步：用当前的责任做加权的最大似然
        Nk = r.sum(axis=0)
        weights = Nk / n
        means = (r.T @ X) / Nk[:, None]
        for j in range(k):
            D = X - means[j]
            covs[j] = (r[:, j, None] * D).T @ D / Nk[j] + reg * np.eye(d)
        log_r, ll = gmm_log_resp(X, weights, means, covs)   # E 步
        history.append(ll)
        if history[-1] - history[-2] < tol * abs(history[-1]):
            break
    return weights, means, covs, np.exp(log_r), np.array(history)
# --8<-- [end:gmm]
