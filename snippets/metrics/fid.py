"""FID：两个高斯之间的 Fréchet 距离（2-Wasserstein 距离的平方）。"""
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
    return frechet_distance(X.mean(0), np.cov(X, rowvar=False), Y.mean(0), np.cov(Y, rowvar=False))
# --8<-- [end:fid]
