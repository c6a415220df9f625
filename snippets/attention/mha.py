"""Multi-head attention in numpy: head split and merge, causal and padding masks, KV-cache decoding,
MQA / GQA, cross-attention, and the parameter / FLOP / cache-size counts of one Transformer layer."""
# --8<-- [start:heads]
import numpy as np


def split_heads(x, n_heads):
    """(B, L, n_heads * d_h) -> (B, n_heads, L, d_h): every head gets its own slice of the width."""
    B, L, width = x.shape
    if n_heads < 1 or width % n_heads:
        raise ValueError(f"{n_heads} heads do not divide the width {width}")
    return x.reshape(B, L, n_heads, width // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(B, h, L, d_h) -> (B, L, h * d_h): concatenate the heads back along the feature axis."""
    B, h, L, d_h = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, L, h * d_h)


def repeat_kv(x, n_rep):
    """(B, h_kv, S, d_h) -> (B, h_kv * n_rep, S, d_h), like torch.repeat_interleave(x, n_rep, dim=1):
    KV head j serves the query heads j * n_rep, ..., (j + 1) * n_rep - 1."""
    return x if n_rep == 1 else np.repeat(x, n_rep, axis=1)
# --8<-- [end:heads]


# --8<-- [start:masks]
def causal_keep_mask(n_q, n_k=None):
    """Boolean (n_q, n_k), True = may attend. The n_q queries are the LAST n_q of n_k positions,
    so query i (absolute position n_k - n_q + i) sees keys 0 .. n_k - n_q + i."""
    n_k = n_q if n_k is None else n_k
    if n_k < n_q:
        raise ValueError(f"{n_q} queries cannot be the last positions of only {n_k} keys")
    return np.arange(n_k)[None, :] <= np.arange(n_k - n_q, n_k)[:, None]


def padding_keep_mask(lengths, n_k):
    """Boolean (B, 1, 1, n_k): True for the first lengths[b] keys (real tokens), False for right padding."""
    lengths = np.asarray(lengths)
    if np.any(lengths < 0) or np.any(lengths > n_k):
        raise ValueError(f"lengths {lengths.tolist()} must lie in [0, {n_k}]")
    return (np.arange(n_k)[None, :] < lengths[:, None])[:, None, None, :]


def to_additive(keep, neg=-np.inf, dtype=np.float64):
    """Boolean keep-mask -> additive mask: 0 where kept, `neg` (-inf or a large finite negative) elsewhere."""
    return np.where(keep, 0.0, neg).astype(dtype)


def masked_softmax(scores, keep=None, fully_masked="zero"):
    """Row softmax over the last axis with a boolean keep-mask (broadcastable to scores).

    A row whose keys are all masked is 0/0 in exact arithmetic: fully_masked="nan" returns what a plain
    softmax of an all -inf row gives (NaN); "zero" returns all-zero weights, so that query's output is 0.
    """
    if fully_masked not in ("zero", "nan"):
        raise ValueError(f"fully_masked must be 'zero' or 'nan', got {fully_masked!r}")
    s = scores if keep is None else np.where(keep, scores, -np.inf)
    m = np.max(s, axis=-1, keepdims=True)
    empty = ~np.isfinite(m)                      # every key of this row is masked
    e = np.exp(s - np.where(empty, 0.0, m))      # exp(-inf) = 0 at masked keys
    z = np.sum(e, axis=-1, keepdims=True)
    if fully_masked == "nan":
        with np.errstate(invalid="ignore"):
            return e / z                         # 0 / 0 -> NaN on empty rows
    return np.where(empty, 0.0, e / np.where(empty, 1.0, z))
# --8<-- [end:masks]


# --8<-- [start:attend]
def check_mask(keep, target):
    """A keep-mask must broadcast to target = (B, h, L_q, L_k) and name every key (last axis = L_k)."""
    shape = np.shape(keep)
    ok = (len(shape) <= 4 and len(shape) >= 1 and shape[-1] == target[-1]
          and all(s in (1, t) for s, t in zip(shape[::-1], target[::-1])))
    if not ok:
        raise ValueError(f"mask shape {shape} does not broadcast to (B, h, L_q, L_k) = {target}")


def attend(q, k, v, keep=None, fully_masked="zero"):
    """Scaled dot-product attention for all heads at once, with grouped KV heads.

    q (B, h, L_q, d_h); k, v (B, h_kv, L_k, d_h) with h_kv dividing h (h_kv = h: MHA, 1: MQA).
    keep: boolean mask broadcastable to (B, h, L_q, L_k), True = may attend.
    Returns the per-head outputs (B, h, L_q, d_h) and the weights (B, h, L_q, L_k).
    """
    B, h, L_q, d_h = q.shape
    if k.shape != v.shape or k.ndim != 4 or k.shape[0] != B or k.shape[3] != d_h:
        raise ValueError(f"keys {k.shape} / values {v.shape} do not match queries {q.shape}")
    h_kv, L_k = k.shape[1], k.shape[2]
    if h % h_kv:
        raise ValueError(f"{h_kv} KV heads do not divide {h} query heads")
    k, v = repeat_kv(k, h // h_kv), repeat_kv(v, h // h_kv)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d_h)          # (B, h, L_q, L_k)
    if keep is not None:
        check_mask(keep, (B, h, L_q, L_k))
    A = masked_softmax(scores, keep, fully_masked)
    return A @ v, A
# --8<-- [end:attend]


# --8<-- [start:params]
def init_attention(rng, d_model, n_heads, n_kv_heads=None, layer=0):
    """Random weights of one attention layer: W_Q (d, h d_h), W_K and W_V (d, h_kv d_h), W_O (h d_h, d)."""
    n_kv = n_heads if n_kv_heads is None else n_kv_heads
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"{n_heads} heads do not divide d_model = {d_model}")
    if n_kv < 1 or n_heads % n_kv:
        raise ValueError(f"{n_kv} KV heads do not divide {n_heads} query heads")
    d_h = d_model // n_heads
    s = 1.0 / np.sqrt(d_model)
    return {"Wq": rng.normal(0, s, (d_model, n_heads * d_h)),
            "Wk": rng.normal(0, s, (d_model, n_kv * d_h)),
            "Wv": rng.normal(0, s, (d_model, n_kv * d_h)),
            "Wo": rng.normal(0, s, (n_heads * d_h, d_model)),
            "n_heads": n_heads, "n_kv_heads": n_kv, "head_dim": d_h, "layer": layer}
# --8<-- [end:params]


# --8<-- [start:mha]
def multi_head_attention(x, p, keep=None, context=None, fully_masked="zero"):
    """MHA / GQA / MQA layer. x (B, L, d) gives the queries; K and V come from `context` (B, S, d)
    for cross-attention, or from x itself for self-attention. Returns (B, L, d) and the weights."""
    kv_in = x if context is None else context
    q = split_heads(x @ p["Wq"], p["n_heads"])          # (B, h,    L, d_h)
    k = split_heads(kv_in @ p["Wk"], p["n_kv_heads"])   # (B, h_kv, S, d_h)
    v = split_heads(kv_in @ p["Wv"], p["n_kv_heads"])
    o, A = attend(q, k, v, keep, fully_masked)
    return merge_heads(o) @ p["Wo"], A                  # concat heads, then W_O mixes them
# --8<-- [end:mha]


def mha_per_head_loop(x, p, keep2d=None, context=None):
    """Reference: loop over batch and heads with the single-head 2-D attention, concatenate, apply W_O.
    keep2d: None or boolean (B, L, S). Query head i uses KV head i // (h / h_kv)."""
    from snippets.attention.attention import scaled_dot_product_attention
    kv_in = x if context is None else context
    h, h_kv, d_h = p["n_heads"], p["n_kv_heads"], p["head_dim"]
    out = []
    for b in range(x.shape[0]):
        Q, K, V = x[b] @ p["Wq"], kv_in[b] @ p["Wk"], kv_in[b] @ p["Wv"]
        heads = []
        for i in range(h):
            j = i // (h // h_kv)
            o, _ = scaled_dot_product_attention(Q[:, i * d_h:(i + 1) * d_h], K[:, j * d_h:(j + 1) * d_h],
                                                V[:, j * d_h:(j + 1) * d_h],
                                                mask=None if keep2d is None else keep2d[b])
            heads.append(o)
        out.append(np.concatenate(heads, axis=1) @ p["Wo"])
    return np.stack(out)


# --8<-- [start:kv_cache]
class KVCache:
    """K and V of one layer, each (B, h_kv, t, d_h); decoding appends one position per step."""

    def __init__(self, layer, n_kv_heads, head_dim, batch=1, dtype=np.float64):
        self.layer, self.n_kv_heads, self.head_dim = layer, n_kv_heads, head_dim
        self.k = np.zeros((batch, n_kv_heads, 0, head_dim), dtype=dtype)
        self.v = np.zeros_like(self.k)

    def __len__(self):
        return self.k.shape[2]

    def nbytes(self):
        return self.k.nbytes + self.v.nbytes

    def append(self, k, v):
        want = (self.k.shape[0], self.n_kv_heads, self.head_dim)
        if k.shape != v.shape or (k.shape[0], k.shape[1], k.shape[3]) != want:
            raise ValueError(f"new K {k.shape} / V {v.shape} do not fit a cache of "
                             f"(batch, KV heads, head dim) = {want}")
        self.k = np.concatenate([self.k, k.astype(self.k.dtype)], axis=2)
        self.v = np.concatenate([self.v, v.astype(self.v.dtype)], axis=2)
        return self.k, self.v


def decode_step(x_new, p, cache):
    """Feed T new positions x_new (B, T, d) (T = prompt length for prefill, 1 per decoding step):
    append their K, V to the cache and let only the new queries attend to every cached key."""
    if cache.layer != p["layer"]:
        raise ValueError(f"KV cache belongs to layer {cache.layer}, not to layer {p['layer']}")
    if (cache.n_kv_heads, cache.head_dim) != (p["n_kv_heads"], p["head_dim"]):
        raise ValueError(f"cache has {cache.n_kv_heads} KV heads of dim {cache.head_dim}, the layer "
                         f"has {p['n_kv_heads']} of dim {p['head_dim']}")
    q = split_heads(x_new @ p["Wq"], p["n_heads"])       # (B, h,    T, d_h)
    k = split_heads(x_new @ p["Wk"], p["n_kv_heads"])    # (B, h_kv, T, d_h)
    v = split_heads(x_new @ p["Wv"], p["n_kv_heads"])
    K, V = cache.append(k, v)                            # (B, h_kv, t, d_h), t = old length + T
    keep = causal_keep_mask(x_new.shape[1], len(cache))  # new queries are the last T positions
    o, _ = attend(q, K, V, keep)
    return merge_heads(o) @ p["Wo"]                      # (B, T, d)
# --8<-- [end:kv_cache]


# --8<-- [start:cross]
def encoder_kv(memory, p):
    """Cross-attention K, V from the encoder output memory (B, S, d): computed once per input."""
    return split_heads(memory @ p["Wk"], p["n_kv_heads"]), split_heads(memory @ p["Wv"], p["n_kv_heads"])


def cross_attention_step(x_new, p, enc_k, enc_v, enc_keep=None):
    """Decoder queries x_new (B, T, d) against the cached encoder K, V; no causal mask, only the
    encoder's padding mask (B, 1, 1, S)."""
    q = split_heads(x_new @ p["Wq"], p["n_heads"])
    o, _ = attend(q, enc_k, enc_v, enc_keep)
    return merge_heads(o) @ p["Wo"]
# --8<-- [end:cross]


# --8<-- [start:cost]
FFN_MATRICES = {"relu": 2, "gelu": 2, "swiglu": 3, "geglu": 3}


def layer_params(d_model, n_heads, n_kv_heads=None, d_ff=None, ffn="relu"):
    """Weights of one decoder layer (no biases, no norms).

    attention: W_Q and W_O are d x d, W_K and W_V are d x (h_kv d_h) -> (2 + 2 h_kv / h) d^2 (4 d^2 for MHA);
    FFN: 2 d d_ff for a two-matrix FFN (8 d^2 at d_ff = 4d), 3 d d_ff for SwiGLU / GeGLU.
    """
    n_kv = n_heads if n_kv_heads is None else n_kv_heads
    if n_heads < 1 or d_model % n_heads:
        raise ValueError(f"{n_heads} heads do not divide d_model = {d_model}")
    if n_kv < 1 or n_heads % n_kv:
        raise ValueError(f"{n_kv} KV heads do not divide {n_heads} query heads")
    if ffn not in FFN_MATRICES:
        raise ValueError(f"unknown FFN type {ffn!r}; expected one of {sorted(FFN_MATRICES)}")
    d_ff = 4 * d_model if d_ff is None else d_ff
    d_h = d_model // n_heads
    attn = 2 * d_model * d_model + 2 * d_model * n_kv * d_h
    return {"attention": attn, "ffn": FFN_MATRICES[ffn] * d_model * d_ff}


def model_params(n_layers, d_model, n_heads, vocab_size, n_kv_heads=None, d_ff=None, ffn="relu",
                 tied=False, norm_weights_per_layer=0):
    """Whole decoder-only model: layers + input embedding (+ separate output head unless tied)
    + norm gains (norm_weights_per_layer vectors of size d per layer, plus one final norm if > 0)."""
    per = layer_params(d_model, n_heads, n_kv_heads, d_ff, ffn)
    out = {"attention": n_layers * per["attention"], "ffn": n_layers * per["ffn"],
           "embedding": vocab_size * d_model * (1 if tied else 2),
           "norms": (n_layers * norm_weights_per_layer + 1) * d_model if norm_weights_per_layer else 0}
    out["total"] = sum(out.values())
    return out


def forward_flops_per_token(n_layers, d_model, n_heads, vocab_size, context_len, n_kv_heads=None,
                            d_ff=None, ffn="relu"):
    """Forward FLOPs of ONE token that attends to `context_len` keys (multiply-add = 2 FLOPs).

    Every weight matrix costs 2 FLOPs per parameter; the scores q k^T and the weighted sum A v each cost
    2 * context_len * d per layer (h heads x d_h = d), so attention scores add 4 * L_ctx * d per layer.
    """
    per = layer_params(d_model, n_heads, n_kv_heads, d_ff, ffn)
    return {"attention_proj": 2 * n_layers * per["attention"], "ffn": 2 * n_layers * per["ffn"],
            "lm_head": 2 * vocab_size * d_model, "attention_scores": 4 * n_layers * context_len * d_model}


def score_flops_crossover(d_model, n_heads, n_kv_heads=None, d_ff=None, ffn="relu"):
    """Context length at which the per-layer score FLOPs 4 L d equal the weight FLOPs 2 (attn + FFN):
    L* = (attn + ffn) / (2 d), i.e. 6 d for the 12 d^2 MHA + 4d-FFN layer."""
    per = layer_params(d_model, n_heads, n_kv_heads, d_ff, ffn)
    return (per["attention"] + per["ffn"]) / (2 * d_model)


def kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_elem=2):
    """2 (K and V) x layers x KV heads x head dim x bytes: what each extra token of context costs."""
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_elem
# --8<-- [end:cost]


# --8<-- [start:low_rank]
def best_low_rank_attention(P, r):
    """Best rank-r logits for a target attention matrix P (n x n, positive rows summing to 1), in the
    least-squares sense on row-centred log P (softmax ignores a per-row shift, so centring is free).
    Returns the attention matrix softmax(S_r) and the largest total-variation distance of a row."""
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    if P.ndim != 2 or P.shape[1] != n or np.any(P <= 0) or not np.allclose(P.sum(axis=1), 1):
        raise ValueError("P must be a square matrix of positive rows that sum to 1")
    if not 0 <= r <= n:
        raise ValueError(f"rank r = {r} must lie in [0, {n}]")
    S = np.log(P)
    S = S - S.mean(axis=1, keepdims=True)
    U, s, Vt = np.linalg.svd(S)
    S_r = (U[:, :r] * s[:r]) @ Vt[:r]
    A = masked_softmax(S_r)
    return A, float(0.5 * np.abs(A - P).sum(axis=1).max())
# --8<-- [end:low_rank]
