"""分类损失：交叉熵与 MSE 对 logit 的梯度，交叉熵、熵与 KL 散度。"""
import numpy as np


def sigmoid(z):
    """数值稳定的 sigmoid（两侧分别计算，避免 exp 上溢）。"""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


# --8<-- [start:binary_grads]
def bce_loss(z, y):
    """二分类交叉熵，输入是 logit z：log(1 + e^z) - y z（softplus 写法，数值稳定）。"""
    z = np.asarray(z, dtype=float)
    return np.logaddexp(0.0, z) - y * z


def bce_grad(z, y):
    """dL/dz = sigmoid(z) - y：与 sigmoid 的饱和无关。"""
    return sigmoid(z) - y


def mse_loss(z, y):
    """经过 sigmoid 后的平方损失 1/2 (sigmoid(z) - y)^2。"""
    return 0.5 * (sigmoid(z) - y) ** 2


def mse_grad(z, y):
    """dL/dz = (sigmoid(z) - y) * sigmoid'(z)：多乘了一个 sigma(1 - sigma) <= 1/4，两端饱和时趋于 0。"""
    s = sigmoid(z)
    return (s - y) * s * (1.0 - s)
# --8<-- [end:binary_grads]


# --8<-- [start:softmax_grads]
def softmax_ce_grad(z, y):
    """多分类：L = -sum y log softmax(z)，dL/dz = softmax(z) - y（y 是 one-hot 或软标签）。"""
    z = np.asarray(z, dtype=float)
    p = np.exp(z - z.max())
    p /= p.sum()
    return p - y


def softmax_mse_grad(z, y):
    """多分类 MSE：L = 1/2 ||softmax(z) - y||^2，dL/dz = J^T (p - y)，J = diag(p) - p p^T。"""
    z = np.asarray(z, dtype=float)
    p = np.exp(z - z.max())
    p /= p.sum()
    J = np.diag(p) - np.outer(p, p)
    return J.T @ (p - y)
# --8<-- [end:softmax_grads]


# --8<-- [start:ce_kl]
def _xlogy(x, y):
    """x * log(y)，约定 0 * log(0) = 0。"""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


def entropy(p, axis=-1):
    """熵：H(P) = -sum P log P"""
    return -np.sum(_xlogy(p, p), axis=axis)


def cross_entropy(p, q, axis=-1):
    """H(P, Q) = -sum P log Q：用按 Q 设计的编码去编码来自 P 的数据的平均码长。"""
    return -np.sum(_xlogy(p, q), axis=axis)


def kl_divergence(p, q, axis=-1):
    """KL 散度：KL(P || Q) = sum P log(P / Q) = H(P, Q) - H(P) >= 0"""
    return np.sum(_xlogy(p, p) - _xlogy(p, q), axis=axis)
# --8<-- [end:ce_kl]
