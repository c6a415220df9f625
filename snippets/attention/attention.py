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
    Q, K, V = np.asarray(Q, dtype=float), np.asarray(K, dtype=float), np.asarray(V, dtype=float)
    if Q.ndim != 2 or K.ndim != 2 or V.ndim != 2:
        raise ValueError(f"Q, K, V must be 2-D, got shapes {Q.shape}, {K.shape}, {V.shape}")
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"query dim {Q.shape[1]} != key dim {K.shape[1]}")
    if K.shape[0] != V.shape[0]:
        raise ValueError(f"{K.shape[0]} keys but {V.shape[0]} values")
    if mask is not None and np.shape(mask) != (Q.shape[0], K.shape[0]):
        raise ValueError(f"mask shape {np.shape(mask)} != (queries, keys) = {(Q.shape[0], K.shape[0])}")
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
    if p.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one probability vector, got shape {p.shape}")
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


# --8<-- [start:additive]
def additive_scores(q, K, W_q, W_k, v):
    """Bahdanau-style additive attention logits e_j = v^T tanh(W_q q + W_k k_j).

    q (d_k,), K (m, d_k), W_q and W_k (d_a, d_k), v (d_a,); returns (m,) logits.
    tanh bounds every hidden unit in [-1, 1], so |e_j| <= ||v||_1 whatever d_k is.
    """
    q, K = np.asarray(q, dtype=float), np.asarray(K, dtype=float)
    if K.ndim != 2 or K.shape[1] != q.shape[0]:
        raise ValueError(f"keys of shape {K.shape} do not match a query of dim {q.shape[0]}")
    return np.tanh(W_q @ q + K @ W_k.T) @ v
# --8<-- [end:additive]


# --8<-- [start:soft_cap]
def soft_cap(z, cap):
    """Logit soft-capping (Gemma 2): cap * tanh(z / cap) keeps |z| < cap and is ~z for |z| << cap."""
    if cap <= 0:
        raise ValueError(f"cap must be > 0, got {cap}")
    return cap * np.tanh(np.asarray(z, dtype=float) / cap)
# --8<-- [end:soft_cap]


# --8<-- [start:sink]
def softmax_with_sink(z, sink_logit):
    """Softmax over [z_1, ..., z_n, s] with the sink's probability dropped (gpt-oss style).

    The n weights sum to 1 - p_sink < 1, so a head can put attention "nowhere".
    """
    z = np.asarray(z, dtype=float)
    full = softmax(np.concatenate([z, np.full(z.shape[:-1] + (1,), float(sink_logit))], axis=-1), axis=-1)
    return full[..., :-1]
# --8<-- [end:sink]
