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
    R = X - X.mean(axis=0, keepdims=True)
    return float(np.linalg.norm(R) / np.linalg.norm(X))
# --8<-- [end:residual]


# --8<-- [start:san]
def layer_norm(X, eps=1e-6):
    """LayerNorm over the feature axis, without affine parameters."""
    mu = X.mean(axis=-1, keepdims=True)
    return (X - mu) / np.sqrt(X.var(axis=-1, keepdims=True) + eps)


def san_forward(X0, depth, variant="attn", causal=False, seed=0):
    """Push X0 through `depth` randomly initialised layers; return [X_0, X_1, ..., X_depth].

    variant: "attn"      X <- SA(X)                       (pure self-attention network, SAN)
             "skip"      X <- X + SA(LN(X))               (Pre-LN residual branch)
             "skip+mlp"  X <- X + SA(LN(X)); X <- X + MLP(LN(X))
    Single-head SA with W_Q, W_K, W_V ~ N(0, 1/d); the ReLU MLP (width 4d) uses Kaiming init.
    """
    rng = np.random.default_rng(seed)
    X = np.array(X0, dtype=float)
    n, d = X.shape
    mask = causal_mask(n) if causal else None
    out = [X]
    for _ in range(depth):
        Wq, Wk, Wv = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))
        H = X if variant == "attn" else layer_norm(X)
        Y, _ = scaled_dot_product_attention(H @ Wq, H @ Wk, H @ Wv, mask=mask)
        X = Y if variant == "attn" else X + Y
        if variant == "skip+mlp":
            W1 = rng.standard_normal((d, 4 * d)) * np.sqrt(2.0 / d)
            W2 = rng.standard_normal((4 * d, d)) / np.sqrt(4 * d)
            X = X + np.maximum(layer_norm(X) @ W1, 0.0) @ W2
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
    r = np.asarray(r, dtype=float)
    delta = r * np.sqrt(T / (T - 1.0))
    b = np.exp(-delta)
    z = 1.0 + (T - 1.0) * b
    return np.log(z) + delta * (T - 1.0) * b / z
# --8<-- [end:entropy_bound]
