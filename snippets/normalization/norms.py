"""Normalization layers in numpy: BatchNorm, LayerNorm, RMSNorm (forward pass, training-mode statistics)."""

import numpy as np


# --8<-- [start:batch_norm]
def batch_norm(x, gamma=None, beta=None, eps=1e-5):
    """BatchNorm for (N, C) or (N, C, H, W): one mean/var per channel over every axis but C."""
    axes = (0,) if x.ndim == 2 else (0,) + tuple(range(2, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)            # shape (1, C) or (1, C, 1, 1)
    var = x.var(axis=axes, keepdims=True)            # biased variance, as in training mode
    x_hat = (x - mu) / np.sqrt(var + eps)
    shape = [1, x.shape[1]] + [1] * (x.ndim - 2)
    gamma = np.ones(shape) if gamma is None else np.reshape(gamma, shape)
    beta = np.zeros(shape) if beta is None else np.reshape(beta, shape)
    return gamma * x_hat + beta
# --8<-- [end:batch_norm]


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


# --8<-- [start:rms_norm]
def rms_norm(x, gamma=None, eps=1e-6):
    """RMSNorm (Zhang & Sennrich 2019): no mean subtraction and no bias."""
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)   # root MEAN square
    gamma = np.ones(x.shape[-1]) if gamma is None else gamma
    return gamma * x / rms
# --8<-- [end:rms_norm]
