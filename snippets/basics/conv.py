"""二维“卷积”的两种定义：数学上的真卷积（核翻转）与深度学习框架里的互相关。"""
import numpy as np


# --8<-- [start:conv2d]
def cross_correlate2d(x, k):
    """深度学习框架（如 PyTorch 的 conv2d）的做法：y[i,j] = sum_{m,n} k[m,n] x[i+m-c, j+n-c]，零填充、same 输出。"""
    x, k = np.asarray(x, dtype=float), np.asarray(k, dtype=float)
    if x.ndim != 2 or k.ndim != 2:
        raise ValueError(f"x and k must be 2-D, got shapes {x.shape} and {k.shape}")
    kh, kw = k.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"kernel shape {k.shape} has no centre pixel: use odd sizes")
    ph, pw = kh // 2, kw // 2
    xp = np.pad(x, ((ph, ph), (pw, pw)))
    y = np.zeros_like(x)
    for m in range(kh):
        for n in range(kw):
            y += k[m, n] * xp[m:m + x.shape[0], n:n + x.shape[1]]
    return y


def convolve2d(x, k):
    """数学上的卷积：先把核旋转 180 度再做互相关，y[i,j] = sum k[m,n] x[i-m, j-n]。"""
    return cross_correlate2d(x, np.flip(np.asarray(k, dtype=float)))
# --8<-- [end:conv2d]
