"""Normalization layers in numpy: BatchNorm (training step and eval), LayerNorm, RMSNorm, GroupNorm, DyT,
the LayerNorm Jacobian and spectral normalization by power iteration."""

import numpy as np


# --8<-- [start:batch_norm]
def _channel_axes(x):
    """Axes BatchNorm reduces over: every axis but the channel axis 1."""
    if x.ndim < 2:
        raise ValueError(f"BatchNorm expects (N, C) or (N, C, ...) input, got shape {x.shape}")
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, x, default):
    """Reshape a (C,) vector so it broadcasts against x of shape (N, C, ...)."""
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    return np.full(shape, default, dtype=float) if v is None else np.reshape(v, shape)


def batch_norm(x, gamma=None, beta=None, eps=1e-5):
    """BatchNorm for (N, C) or (N, C, H, W) in training mode: one mean/var per channel over every axis but C."""
    axes = _channel_axes(x)
    m = x.size // x.shape[1]                          # values per channel: N (dense) or N*H*W (conv)
    if m < 2:
        raise ValueError(f"BatchNorm in training needs more than 1 value per channel, got input of shape {x.shape}")
    mu = x.mean(axis=axes, keepdims=True)            # shape (1, C) or (1, C, 1, 1)
    var = x.var(axis=axes, keepdims=True)            # biased variance, as in training mode
    x_hat = (x - mu) / np.sqrt(var + eps)
    return _per_channel(gamma, x, 1.0) * x_hat + _per_channel(beta, x, 0.0)
# --8<-- [end:batch_norm]


# --8<-- [start:batch_norm_running]
def batch_norm_train_step(x, running_mean, running_var, gamma=None, beta=None, momentum=0.1, eps=1e-5):
    """One training-mode forward pass that also updates the running statistics (PyTorch convention).

    Normalizes with the batch's biased variance, but stores the unbiased one; the update is
    running = (1 - momentum) * running + momentum * batch_statistic. Returns (y, running_mean, running_var).
    """
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    y = batch_norm(x, gamma, beta, eps)
    axes = _channel_axes(x)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var_unbiased = x.var(axis=axes) * m / (m - 1)
    running_mean = (1 - momentum) * running_mean + momentum * mean
    running_var = (1 - momentum) * running_var + momentum * var_unbiased
    return y, running_mean, running_var


def batch_norm_eval(x, running_mean, running_var, gamma=None, beta=None, eps=1e-5):
    """Eval mode: a fixed per-channel affine map built from the running statistics (no batch dependence)."""
    _channel_axes(x)
    x_hat = (x - _per_channel(running_mean, x, 0.0)) / np.sqrt(_per_channel(running_var, x, 1.0) + eps)
    return _per_channel(gamma, x, 1.0) * x_hat + _per_channel(beta, x, 0.0)
# --8<-- [end:batch_norm_running]


# --8<-- [start:layer_norm]
def layer_norm(x, gamma=None, beta=None, eps=1e-5):
    """LayerNorm over the last axis (the hidden size d), as nn.LayerNorm(d)."""
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)              # biased, eps inside the sqrt
    x_hat = (x - mu) / np.sqrt(var + eps)
    d = x.shape[-1]
    gamma = np.ones(d) if gamma is None else gamma
    beta = np.zeros(d) if beta is None else beta
    return gamma * x_hat + beta
# --8<-- [end:layer_norm]


# --8<-- [start:layer_norm_jacobian]
def layer_norm_jacobian(x, eps=0.0):
    """Jacobian d LN(x) / d x of LayerNorm without affine parameters, for one vector x of length d.

    J = (I - 11^T/d - x_hat x_hat^T/d) / sigma: it depends on x, so LN is not an affine map of x;
    J @ 1 = 0 (shift invariance) and J @ x = 0 (scale invariance), hence rank d - 2.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 3:
        raise ValueError(f"layer_norm_jacobian expects one vector of length >= 3, got shape {x.shape}")
    d = x.size
    sigma = np.sqrt(x.var() + eps)
    x_hat = (x - x.mean()) / sigma
    return (np.eye(d) - np.ones((d, d)) / d - np.outer(x_hat, x_hat) / d) / sigma
# --8<-- [end:layer_norm_jacobian]


# --8<-- [start:rms_norm]
def rms_norm(x, gamma=None, eps=1e-6):
    """RMSNorm (Zhang & Sennrich 2019): no mean subtraction and no bias."""
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)   # root MEAN square
    gamma = np.ones(x.shape[-1]) if gamma is None else gamma
    return gamma * x / rms
# --8<-- [end:rms_norm]


# --8<-- [start:group_norm]
def group_norm(x, num_groups, gamma=None, beta=None, eps=1e-5):
    """GroupNorm (Wu & He 2018) for (N, C, ...): per sample, split the C channels into num_groups groups
    and normalize each group over its channels and all spatial positions.

    num_groups = 1 is LayerNorm over (C, H, W); num_groups = C is InstanceNorm.
    """
    if x.ndim < 2:
        raise ValueError(f"GroupNorm expects (N, C, ...) input, got shape {x.shape}")
    n, c = x.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"num_groups={num_groups} does not divide the {c} channels")
    g = x.reshape(n, num_groups, -1)                  # (N, G, C/G * H * W)
    mu = g.mean(axis=-1, keepdims=True)
    var = g.var(axis=-1, keepdims=True)
    y = ((g - mu) / np.sqrt(var + eps)).reshape(x.shape)
    return _per_channel(gamma, x, 1.0) * y + _per_channel(beta, x, 0.0)
# --8<-- [end:group_norm]


# --8<-- [start:dyt]
def dyt(x, alpha=0.5, gamma=None, beta=None):
    """Dynamic Tanh (Zhu et al. 2025): gamma * tanh(alpha * x) + beta, element-wise, with a learnable scalar
    alpha (0.5 is the paper's default initial value outside LLMs). No statistics over any axis."""
    d = x.shape[-1]
    gamma = np.ones(d) if gamma is None else gamma
    beta = np.zeros(d) if beta is None else beta
    return gamma * np.tanh(alpha * x) + beta
# --8<-- [end:dyt]


# --8<-- [start:spectral_norm]
def spectral_norm_estimate(W, rng, n_iter=20):
    """Largest singular value of W by power iteration (what spectral normalization divides W by).

    Training code keeps u between steps and runs a single iteration per step (Miyato et al. 2018).
    """
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1, got {n_iter}")
    u = rng.standard_normal(W.shape[0])
    for _ in range(n_iter):
        v = W.T @ u
        v /= np.linalg.norm(v)
        u = W @ v
        u /= np.linalg.norm(u)
    return float(u @ W @ v)
# --8<-- [end:spectral_norm]
