"""Scaled dot-product attention in numpy: forward, causal mask, row entropy, softmax Jacobian and backward."""
import numpy as np


# --8<-- [start:softmax]
def softmax(z, axis=-1):
    """Numerically stable softmax: subtract the row max before exp (shift invariance)."""
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)          # a fully masked row stays all -inf -> nan, not a crash
    e = np.exp(z - m)
    return e / np.sum(e, axis=axis, keepdims=True)
# --8<-- [end:softmax]


# --8<-- [start:causal_mask]
def causal_mask(n):
    """Boolean (n, n) mask: True where query i may attend to key j, i.e. j <= i."""
    return np.tril(np.ones((n, n), dtype=bool))
# --8<-- [end:causal_mask]


# --8<-- [start:sdpa]
def scaled_dot_product_attention(Q, K, V, mask=None, scale=None):
    """softmax(Q K^T / sqrt(d_k) + M) V for Q (n, d_k), K (m, d_k), V (m, d_v).

    mask: boolean (n, m), True = keep; masked logits are set to -inf before the softmax.
    Returns the output (n, d_v) and the attention matrix A (n, m), whose rows sum to 1.
    """
    d_k = Q.shape[-1]
    scale = 1.0 / np.sqrt(d_k) if scale is None else scale
    S = (Q @ K.T) * scale
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    A = softmax(S, axis=-1)
    return A @ V, A
# --8<-- [end:sdpa]


# --8<-- [start:entropy]
def row_entropy(A, eps=1e-300):
    """Shannon entropy (nats) of every row of a row-stochastic matrix; 0 log 0 := 0."""
    A = np.asarray(A, dtype=float)
    return -np.sum(np.where(A > 0, A * np.log(np.maximum(A, eps)), 0.0), axis=-1)


def mean_attention_entropy(A):
    """Attention entropy as in Zhai et al. (2023): the average of the row entropies."""
    return float(np.mean(row_entropy(A)))
# --8<-- [end:entropy]


# --8<-- [start:softmax_jacobian]
def softmax_jacobian(p):
    """J[i, j] = d p_i / d z_j = p_i (delta_ij - p_j) = diag(p) - p p^T."""
    p = np.asarray(p, dtype=float)
    return np.diag(p) - np.outer(p, p)


def softmax_backward(A, dA):
    """Row-wise vector-Jacobian product: dS = A * (dA - sum_j A_ij dA_ij).

    Every row of dS sums to 0, because J 1 = 0 (softmax ignores a common shift).
    """
    return A * (dA - np.sum(A * dA, axis=-1, keepdims=True))
# --8<-- [end:softmax_jacobian]


# --8<-- [start:attention_backward]
def self_attention(X, Wq, Wk, Wv, causal=False):
    """One single-head self-attention layer O = softmax(X Wq (X Wk)^T / sqrt(d_k)) X Wv."""
    Q, K, V = X @ Wq, X @ Wk, X @ Wv
    mask = causal_mask(X.shape[0]) if causal else None
    O, A = scaled_dot_product_attention(Q, K, V, mask=mask)
    return O, (X, Q, K, V, A)


def self_attention_grads(dO, cache, Wq, Wk, Wv):
    """Analytic backward pass of self_attention given dL/dO; returns dWq, dWk, dWv, dX."""
    X, Q, K, V, A = cache
    s = 1.0 / np.sqrt(Q.shape[-1])
    dA = dO @ V.T
    dV = A.T @ dO
    dS = softmax_backward(A, dA) * s          # gradient w.r.t. the unscaled Q K^T
    dQ = dS @ K
    dK = dS.T @ Q
    dWq, dWk, dWv = X.T @ dQ, X.T @ dK, X.T @ dV
    dX = dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T
    return dWq, dWk, dWv, dX
# --8<-- [end:attention_backward]
