"""FID：两个高斯之间的 Fréchet 距离（2-Wasserstein 距离的平方）；以及 CMMD 用的高斯核 MMD。"""
import numpy as np


# --8<-- [start:fid]
def sqrtm_psd(A):
    """对称半正定矩阵的平方根（特征分解，负特征值截成 0）。"""
    w, V = np.linalg.eigh((A + A.T) / 2)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def frechet_distance(mu1, S1, mu2, S2):
    """||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^{1/2})。

    (S1 S2)^{1/2} 一般不对称；它的迹等于 tr((S1^{1/2} S2 S1^{1/2})^{1/2})，后者是对称矩阵，可以用 eigh。
    """
    r = sqrtm_psd(S1)
    covmean_trace = np.trace(sqrtm_psd(r @ S2 @ r))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * covmean_trace)


def fid_from_features(X, Y):
    """X、Y 的形状为（样本数，特征维），例如 Inception-v3 pool3 的 2048 维特征。"""
    X, Y = np.atleast_2d(X), np.atleast_2d(Y)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"feature sizes differ: {X.shape[1]} vs {Y.shape[1]}")
    if min(len(X), len(Y)) < 2:
        raise ValueError("each set needs at least 2 samples to estimate a covariance")
    return frechet_distance(X.mean(0), np.cov(X, rowvar=False), Y.mean(0), np.cov(Y, rowvar=False))
# --8<-- [end:fid]


# --8<-- [start:mmd]
def mmd2_rbf(X, Y, sigma=10.0, scale=1.0):
    """高斯核 MMD^2 的有偏（V 统计量）估计：mean k(X,X) + mean k(Y,Y) - 2 mean k(X,Y)，k = exp(-||a-b||^2 / (2 sigma^2))。

    CMMD（Jayasumana et al. 2024）在 CLIP 图像向量上用它，sigma = 10、scale = 1000。不假设任何分布形状。
    """
    X, Y = np.atleast_2d(X).astype(float), np.atleast_2d(Y).astype(float)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"feature sizes differ: {X.shape[1]} vs {Y.shape[1]}")
    if sigma <= 0:
        raise ValueError(f"kernel bandwidth must be positive, got {sigma}")

    def k_mean(A, B):
        d2 = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T
        return np.mean(np.exp(-np.maximum(d2, 0) / (2 * sigma**2)))

    return float(scale * (k_mean(X, X) + k_mean(Y, Y) - 2 * k_mean(X, Y)))
# --8<-- [end:mmd]
