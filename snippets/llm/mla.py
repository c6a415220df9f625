"""DeepSeek MLA（Multi-head Latent Attention）：参考实现、只缓存潜向量的吸收式解码。"""
import numpy as np

from snippets.llm.rope import rope_freqs


def init_mla(rng, d=64, n_h=4, d_h=16, d_c=24, d_cq=32, d_r=8, base=10000.0):
    """随机初始化一层 MLA 的权重（形状按论文：W 作用在列向量上，out×in）。"""
    def w(o, i):
        return rng.standard_normal((o, i)) / np.sqrt(i)
    return dict(
        n_h=n_h, d_h=d_h, d_c=d_c, d_r=d_r, theta=rope_freqs(d_r, base),
        W_DQ=w(d_cq, d), W_UQ=w(n_h * d_h, d_cq), W_QR=w(n_h * d_r, d_cq),
        W_DKV=w(d_c, d), W_UK=w(n_h * d_h, d_c), W_UV=w(n_h * d_h, d_c),
        W_KR=w(d_r, d), W_O=w(d, n_h * d_h),
    )


# --8<-- [start:reference]
from snippets.llm.rope import apply_rope      # RoPE 的实现见长上下文专题


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def mla_reference(H, p):
    """训练 / prefill 视角：显式还原每个头的 K、V，再做因果注意力。H: (T, d)。"""
    T, n_h, d_h, d_r = H.shape[0], p["n_h"], p["d_h"], p["d_r"]
    pos = np.arange(T)
    c_q = H @ p["W_DQ"].T                                      # (T, d_cq)
    q_c = (c_q @ p["W_UQ"].T).reshape(T, n_h, d_h)
    q_r = (c_q @ p["W_QR"].T).reshape(T, n_h, d_r).transpose(1, 0, 2)
    q_r = apply_rope(q_r, pos, p["theta"]).transpose(1, 0, 2)  # 每头不同的 q^R
    c_kv = H @ p["W_DKV"].T                                    # (T, d_c)  <- 缓存
    k_c = (c_kv @ p["W_UK"].T).reshape(T, n_h, d_h)
    v_c = (c_kv @ p["W_UV"].T).reshape(T, n_h, d_h)
    k_r = apply_rope(H @ p["W_KR"].T, pos, p["theta"])         # (T, d_r)  <- 缓存
    s = np.einsum("thk,jhk->htj", q_c, k_c) + np.einsum("thr,jr->htj", q_r, k_r)
    s = s / np.sqrt(d_h + d_r) + np.triu(np.full((T, T), -np.inf), 1)
    o = np.einsum("htj,jhk->thk", _softmax(s), v_c)             # (T, n_h, d_h)
    return o.reshape(T, n_h * d_h) @ p["W_O"].T                 # (T, d)
# --8<-- [end:reference]


# --8<-- [start:absorb]
def absorb(p):
    """矩阵吸收：W^UK 并入 query 侧，W^UV 并入 W^O。
    每个头一对矩阵，推理前算一次。"""
    n_h, d_h, d_c = p["n_h"], p["d_h"], p["d_c"]
    W_UQ = p["W_UQ"].reshape(n_h, d_h, -1)                     # (n_h, d_h, d_cq)
    W_UK = p["W_UK"].reshape(n_h, d_h, d_c)
    W_UV = p["W_UV"].reshape(n_h, d_h, d_c)
    W_O = p["W_O"].reshape(-1, n_h, d_h)                       # (d, n_h, d_h)
    A = np.einsum("hkq,hkc->hqc", W_UQ, W_UK)  # W_UQ(i)^T W_UK(i): (n_h, d_cq, d_c)
    B = np.einsum("dhk,hkc->hdc", W_O, W_UV)   # W_O(i) W_UV(i):    (n_h, d, d_c)
    return A, B


def mla_decode_step(h_t, t, cache, p, A, B):
    """生成第 t 个位置：只往缓存追加 c_t^KV 与 k_t^R，
    注意力全程在 d_c 维潜空间里做。"""
    cache["c_kv"].append(p["W_DKV"] @ h_t)                          # d_c 个数
    cache["k_r"].append(apply_rope(p["W_KR"] @ h_t, t, p["theta"]))  # d_r 个数
    C, K_r = np.array(cache["c_kv"]), np.array(cache["k_r"])  # (t+1, d_c), (t+1, d_r)
    c_q = p["W_DQ"] @ h_t
    q_lat = np.einsum("q,hqc->hc", c_q, A)           # 吸收后的 query：(n_h, d_c)
    q_r = apply_rope((p["W_QR"] @ c_q).reshape(p["n_h"], p["d_r"]), t, p["theta"])
    s = (q_lat @ C.T + q_r @ K_r.T) / np.sqrt(p["d_h"] + p["d_r"])  # (n_h, t+1)
    ctx = _softmax(s) @ C                            # (n_h, d_c)，仍在潜空间
    return np.einsum("hdc,hc->d", B, ctx)            # W^O 已吸收 W^UV
# --8<-- [end:absorb]


# --8<-- [start:cache-size]
def kv_cache_elements(kind, n_h=128, d_h=128, groups=8, d_c=512, d_r=64):
    """每个 token、每层需要缓存的元素个数（默认取 DeepSeek-V2/V3 的维度）。"""
    sizes = {"MHA": 2 * n_h * d_h, "GQA": 2 * groups * d_h,
             "MQA": 2 * d_h, "MLA": d_c + d_r}
    if kind not in sizes:
        raise ValueError(f"unknown attention kind {kind!r}; expected one of {sorted(sizes)}")
    return sizes[kind]
# --8<-- [end:cache-size]


# --8<-- [start:flops]
def mla_attention_flops(n_q, n_kv, mode, n_h=128, d_h=128, d_c=512, d_r=64):
    """一层 MLA 注意力的矩阵乘 FLOPs（乘加算 2），n_q 个 query 看 n_kv 个缓存的潜向量。

    只算两种做法不同的部分（q^C、k^R、W^O 等两边相同的投影不计）：
    naive：把 n_kv 个 c^KV 升维成每头的 k^C、v^C，再做 192 维打分、128 维加权；
    absorb：q 乘 W^UK 进潜空间，576 维打分、512 维加权，最后乘 W^UV 回到每头 128 维。
    """
    if mode == "naive":
        up = 2 * n_kv * d_c * (2 * n_h * d_h)                  # k^C 与 v^C
        return up + 2 * n_q * n_kv * n_h * (d_h + d_r) + 2 * n_q * n_kv * n_h * d_h
    if mode == "absorb":
        proj = 2 * n_q * n_h * d_h * d_c * 2                   # W^UK 吸收进 q，W^UV 作用在输出
        return proj + 2 * n_q * n_kv * n_h * (d_c + d_r) + 2 * n_q * n_kv * n_h * d_c
    raise ValueError(f"mode must be 'naive' or 'absorb', got {mode!r}")
# --8<-- [end:flops]
