"""Rank collapse and entropy collapse: residual-to-rank-1 measure, a toy self-attention network, entropy bound."""
import numpy as np

from snippets.attention.attention import causal_mask, scaled_dot_product_attention


# --8<-- [start:residual]
def rank1_residual(X):
    """Relative distance of X (n, d) to the nearest matrix with identical rows, 1 x^T.

    In the Frobenius norm the best x is the column mean, so
    res(X) = ||X - 1 mean(X)^T||_F / ||X||_F; it is 0 exactly when all tokens are equal.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or not np.any(X):
        raise ValueError("rank1_residual needs a non-zero (tokens, features) matrix")
    R = X - X.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(R) / np.linalg.norm(X))
# --8<-- [end:residual]


# --8<-- [start:san]
VARIANTS = ("attn", "ln", "attn+mlp", "skip", "skip+mlp")


def layer_norm(X, eps=1e-6):
    """LayerNorm over the feature axis, without affine parameters."""
    mu = X.mean(axis=-1, keepdims=True)
    return (X - mu) / np.sqrt(X.var(axis=-1, keepdims=True) + eps)


def san_forward(X0, depth, variant="attn", causal=False, seed=0):
    """Push X0 through `depth` randomly initialised layers; return [X_0, X_1, ..., X_depth].

    variant: "attn"      X <- SA(X)                       (pure self-attention network, SAN)
             "ln"        X <- SA(LN(X))                   (LayerNorm, but no skip connection)
             "attn+mlp"  X <- MLP(SA(X))                  (MLP, but no skip connection)
             "skip"      X <- X + SA(LN(X))               (Pre-LN residual branch)
             "skip+mlp"  X <- X + SA(LN(X)); X <- X + MLP(LN(X))
    Single-head SA with W_Q, W_K, W_V ~ N(0, 1/d); the ReLU MLP (width 4d) uses Kaiming init.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: use one of {', '.join(VARIANTS)}")
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    rng = np.random.default_rng(seed)
    X = np.array(X0, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X0 must be (tokens, features), got shape {X.shape}")
    n, d = X.shape
    mask = causal_mask(n) if causal else None
    skip = variant.startswith("skip")
    out = [X]
    for _ in range(depth):
        Wq, Wk, Wv = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))
        H = X if variant in ("attn", "attn+mlp") else layer_norm(X)
        Y, _ = scaled_dot_product_attention(H @ Wq, H @ Wk, H @ Wv, mask=mask)
        X = X + Y if skip else Y
        if variant.endswith("mlp"):
            W1 = rng.standard_normal((d, 4 * d)) * np.sqrt(2.0 / d)
            W2 = rng.standard_normal((4 * d, d)) / np.sqrt(4 * d)
            if skip:
                X = X + np.maximum(layer_norm(X) @ W1, 0.0) @ W2
            else:
                X = np.maximum(X @ W1, 0.0) @ W2
        out.append(X)
    return out


def san_residuals(X0, depth, variant="attn", causal=False, seed=0):
    """rank1_residual of every layer's output (depth + 1 values, the input first)."""
    return np.array([rank1_residual(X) for X in san_forward(X0, depth, variant, causal, seed)])
# --8<-- [end:san]


# --8<-- [start:entropy_bound]
def entropy_lower_bound(r, T):
    """Zhai et al. (2023), Thm 3.1: a softmax row over T logits with ||z||_2 <= r has entropy
    >= log(1 + (T-1) b) + Delta (T-1) b / (1 + (T-1) b), b = exp(-Delta), Delta = r sqrt(T/(T-1)).

    For attention logits z_i = x_i^T W X^T one can take r = ||W||_2 ||X X^T||_2.
    The bound is attained by one logit at the top and T-1 equal logits Delta below it.
    """
    if T < 2:
        raise ValueError(f"the bound needs at least 2 keys, got T = {T}")
    r = np.asarray(r, dtype=float)
    if np.any(r < 0):
        raise ValueError("r is a norm bound and must be >= 0")
    delta = r * np.sqrt(T / (T - 1.0))
    b = np.exp(-delta)
    z = 1.0 + (T - 1.0) * b
    return np.log(z) + delta * (T - 1.0) * b / z
# --8<-- [end:entropy_bound]


# --8<-- [start:conditioning]
def effective_rank(P):
    """exp(entropy of the normalised singular values): 1 for a rank-1 matrix, n for the identity."""
    s = np.linalg.svd(np.asarray(P, dtype=float), compute_uv=False)
    s = s[s > 0] / s.sum()
    return float(np.exp(-(s * np.log(s)).sum()))


def uniform_causal_attention(n):
    """Causal attention with all logits equal: row i averages the first i tokens, P_ij = 1/i for j <= i."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return np.tril(np.ones((n, n))) / np.arange(1, n + 1)[:, None]
# --8<-- [end:conditioning]


# --8<-- [start:z_loss]
def cross_entropy_with_z_loss(logits, target, coef=1e-4):
    """Cross-entropy of one row of output logits plus the z-loss coef * (log Z)^2, Z = sum_i exp(z_i).

    Returns (cross_entropy, z_loss). Adding a constant to every logit leaves the cross-entropy unchanged
    but moves log Z, so only the z-loss pins the overall offset of the logits.
    """
    z = np.asarray(logits, dtype=float)
    if z.ndim != 1 or not 0 <= target < z.size:
        raise ValueError(f"need one row of logits and a target index in [0, {z.size}), got {target}")
    m = z.max()
    log_z = m + np.log(np.exp(z - m).sum())
    return float(log_z - z[target]), float(coef * log_z**2)
# --8<-- [end:z_loss]
