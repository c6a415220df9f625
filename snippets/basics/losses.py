"""分类损失：交叉熵与 MSE 对 logit 的梯度、label smoothing、focal loss，交叉熵、熵与 KL 散度，KL 的 k1/k2/k3 估计。"""
import numpy as np

from snippets.basics.softmax import log_softmax


# --8<-- [start:binary_grads]
def sigmoid(z):
    """数值稳定的 sigmoid（两侧分别计算，避免 exp 上溢）。"""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


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
def softmax_cross_entropy(z, y):
    """多分类交叉熵，输入 logits：L = -sum_k y_k log softmax(z)_k（y 是 one-hot 或软标签）。"""
    y = np.asarray(y, dtype=float)
    if np.any(y < 0):
        raise ValueError("target probabilities must be non-negative")
    return -np.sum(y * log_softmax(z), axis=-1)


def softmax_ce_grad(z, y):
    """dL/dz = softmax(z) * sum(y) - y；y 的和为 1（one-hot 或概率分布）时就是 p - y。"""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    p = np.exp(log_softmax(z))
    return p * y.sum(axis=-1, keepdims=True) - y


def softmax_mse_grad(z, y):
    """多分类 MSE：L = 1/2 ||softmax(z) - y||^2，dL/dz = J^T (p - y)，J = diag(p) - p p^T。"""
    z = np.asarray(z, dtype=float)
    p = np.exp(z - z.max())
    p /= p.sum()
    J = np.diag(p) - np.outer(p, p)
    return J.T @ (p - y)
# --8<-- [end:softmax_grads]


# --8<-- [start:label_smoothing]
def smooth_labels(y, eps=0.1):
    """label smoothing：目标从 one-hot y 变成 (1 - eps) y + eps / K（K 为类别数）。"""
    y = np.asarray(y, dtype=float)
    if not 0 <= eps < 1:
        raise ValueError(f"eps must be in [0, 1), got {eps!r}")
    if not np.allclose(y.sum(axis=-1), 1) or np.any(y < 0):
        raise ValueError("labels must be one-hot (or probability) rows that sum to 1")
    K = y.shape[-1]
    return (1 - eps) * y + eps / K
# --8<-- [end:label_smoothing]


# --8<-- [start:focal_loss]
def focal_loss(z, y, gamma=2.0, alpha=0.25):
    """二分类 focal loss（Lin et al., 2017），输入 logit z、标签 y ∈ {0, 1}：

    FL = -alpha_t (1 - p_t)^gamma log p_t，p_t = p（y=1）或 1 - p（y=0），alpha_t = alpha（y=1）或 1 - alpha（y=0）。
    gamma = 0、alpha = None 时就是 BCE；alpha=None 表示不加类别权重（alpha_t = 1）。
    """
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma!r}")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1] or None, got {alpha!r}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("focal_loss expects binary labels 0 or 1")
    sign = 2 * y - 1                                  # y=1 -> +1, y=0 -> -1
    log_pt = -np.logaddexp(0.0, -sign * z)            # log sigmoid(±z)，数值稳定
    pt = np.exp(log_pt)
    alpha_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1 - alpha)
    return -alpha_t * (1 - pt) ** gamma * log_pt
# --8<-- [end:focal_loss]


# --8<-- [start:ce_kl]
def _check_probs(*arrays):
    for a in arrays:
        if np.any(np.asarray(a) < 0):
            raise ValueError("probabilities must be non-negative")


def _xlogy(x, y):
    """x * log(y)，约定 0 * log(0) = 0。"""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return np.where(x > 0, x * np.log(np.where(x > 0, y, 1.0)), 0.0)


def entropy(p, axis=-1):
    """熵：H(P) = -sum P log P"""
    _check_probs(p)
    return -np.sum(_xlogy(p, p), axis=axis)


def cross_entropy(p, q, axis=-1):
    """H(P, Q) = -sum P log Q：用按 Q 设计的编码去编码来自 P 的数据的平均码长。"""
    _check_probs(p, q)
    with np.errstate(divide="ignore"):       # P > 0 而 Q = 0 时结果是 inf，这是正确答案
        return -np.sum(_xlogy(p, q), axis=axis)


def kl_divergence(p, q, axis=-1):
    """KL 散度：KL(P || Q) = sum P log(P / Q) = H(P, Q) - H(P) >= 0"""
    _check_probs(p, q)
    with np.errstate(divide="ignore"):
        return np.sum(_xlogy(p, p) - _xlogy(p, q), axis=axis)
# --8<-- [end:ce_kl]


# --8<-- [start:perplexity]
def perplexity(token_logprobs):
    """PPL = exp(-mean log p(x_t | x_<t))：平均交叉熵（nat）取指数，等价于“平均在多少个 token 里等概率地猜”。"""
    lp = np.asarray(token_logprobs, dtype=float)
    if lp.size == 0:
        raise ValueError("perplexity of an empty sequence is undefined")
    if np.any(lp > 0):
        raise ValueError("log-probabilities must be <= 0")
    return float(np.exp(-lp.mean()))
# --8<-- [end:perplexity]


# --8<-- [start:kl_estimators]
def kl_estimators(logq, logp):
    """样本 x ~ q 上 KL(q || p) 的三个单样本估计（Schulman, 2020），r = p(x) / q(x)：

    k1 = -log r            无偏，但可以为负，方差大
    k2 = (log r)^2 / 2     有偏（两个分布接近时偏差是高阶小量），恒 >= 0
    k3 = (r - 1) - log r   无偏（因为 E_q[r] = 1），恒 >= 0，分布接近时方差小
    RLHF 里 q 是当前策略 pi_theta（采样分布），p 是参考模型 pi_ref。
    """
    logq, logp = np.asarray(logq, dtype=float), np.asarray(logp, dtype=float)
    if logq.shape != logp.shape:
        raise ValueError(f"logq has shape {logq.shape} but logp has shape {logp.shape}")
    log_r = logp - logq
    return -log_r, 0.5 * log_r ** 2, np.expm1(log_r) - log_r
# --8<-- [end:kl_estimators]
