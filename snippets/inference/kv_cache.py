"""显存估算：参数量、KV cache、训练显存（混合精度 Adam）与激活值。"""
import numpy as np

GB = 10**9      # 厂商与论文常用的十进制 GB
GiB = 2**30     # 本站显存一律用二进制 GiB（nvidia-smi 显示的 MiB 也是二进制）


# --8<-- [start:param_count]
def transformer_params(n_layers, d_model, vocab_size=0, d_ff=None, glu=False, tied=True):
    """Decoder-only Transformer 的参数量（忽略 LayerNorm 与 bias）。

    每层：注意力 4d^2（Q、K、V、O 各 d x d），FFN 2*d*d_ff（GLU 类为 3*d*d_ff）。
    d_ff 缺省取 4d，此时每层 12d^2。
    """
    d_ff = 4 * d_model if d_ff is None else d_ff
    attn = 4 * d_model * d_model
    ffn = (3 if glu else 2) * d_model * d_ff
    emb = vocab_size * d_model * (1 if tied else 2)
    return n_layers * (attn + ffn) + emb
# --8<-- [end:param_count]


# --8<-- [start:kv_cache]
def _check_positive(**kw):
    for name, v in kw.items():
        if v <= 0:
            raise ValueError(f"{name} must be positive, got {v}")


def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_elem=2):
    """MHA / GQA / MQA 的 KV cache 字节数。

    2（K 和 V）x 层数 x KV 头数 x 每头维度 x 序列长度 x batch x 每元素字节数。
    MHA: n_kv_heads = n_heads；GQA: n_kv_heads = 组数；MQA: n_kv_heads = 1。
    """
    _check_positive(n_layers=n_layers, n_kv_heads=n_kv_heads, head_dim=head_dim,
                    seq_len=seq_len, batch=batch, bytes_per_elem=bytes_per_elem)
    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_elem


def mla_cache_bytes(n_layers, d_latent, d_rope, seq_len, batch=1, bytes_per_elem=2):
    """MLA（DeepSeek-V2/V3）每个 token 每层只缓存 c^KV（d_latent 维）与共享的 k^R（d_rope 维）。"""
    _check_positive(n_layers=n_layers, d_latent=d_latent, seq_len=seq_len, batch=batch,
                    bytes_per_elem=bytes_per_elem)
    return n_layers * (d_latent + d_rope) * seq_len * batch * bytes_per_elem
# --8<-- [end:kv_cache]


# --8<-- [start:train_memory]
def training_memory_bytes(n_params):
    """混合精度 + Adam 的模型状态（ZeRO 论文的口径），不含激活值与临时缓冲。"""
    return {
        "fp16/bf16 weights": 2 * n_params,
        "fp16/bf16 grads": 2 * n_params,
        "fp32 master weights": 4 * n_params,
        "fp32 Adam m": 4 * n_params,
        "fp32 Adam v": 4 * n_params,
    }   # 合计 16 字节/参数


def activation_bytes_per_layer(seq_len, batch, d_model, n_heads, recompute="none"):
    """Korthikanti et al. (2022) 的每层激活值字节数（fp16，无张量/序列并行）。

    none:      34*s*b*d + 5*a*s^2*b
    selective: 34*s*b*d            （只重算注意力里 s^2 大小的张量）
    full:      2*s*b*d             （只存每层输入）
    """
    s, b, d, a = seq_len, batch, d_model, n_heads
    if recompute == "none":
        return 34 * s * b * d + 5 * a * s * s * b
    if recompute == "selective":
        return 34 * s * b * d
    if recompute == "full":
        return 2 * s * b * d
    raise ValueError(f"recompute must be 'none', 'selective' or 'full', got {recompute!r}")
# --8<-- [end:train_memory]


# --8<-- [start:roofline]
def arithmetic_intensity(n_tokens, n_params, bytes_per_param=2, extra_bytes=0):
    """一次前向的算术强度（FLOP/Byte）：2*N*n 次浮点运算 / 读一遍权重（+ 额外字节，如 KV cache）。"""
    flops = 2.0 * n_params * n_tokens
    return flops / (n_params * bytes_per_param + extra_bytes)


def decode_intensity(batch, ctx, n_params, n_layers, n_heads, n_kv_heads, head_dim, bytes_per_elem=2):
    """batch 条序列各解码 1 个 token、每条有 ctx 个历史 token 时的算术强度（FLOP/Byte）。

    FLOPs：线性层 2N 加注意力 4·L·ctx·n_h·d_h（q·K 与 p·V），每条序列各一份；
    字节：权重读一遍（所有序列共享）+ 每条序列读自己的 KV cache。
    """
    _check_positive(batch=batch, n_params=n_params, n_layers=n_layers, n_heads=n_heads,
                    n_kv_heads=n_kv_heads, head_dim=head_dim, bytes_per_elem=bytes_per_elem)
    if ctx < 0:
        raise ValueError(f"context length must be >= 0, got {ctx}")
    if n_heads % n_kv_heads:
        raise ValueError(f"{n_kv_heads} KV heads do not divide {n_heads} query heads")
    flops = batch * (2.0 * n_params + 4.0 * n_layers * ctx * n_heads * head_dim)
    kv = 2.0 * n_layers * n_kv_heads * head_dim * ctx * bytes_per_elem
    return flops / (n_params * bytes_per_elem + batch * kv)


def attainable_flops(intensity, peak_flops, mem_bw):
    """Roofline：可达算力 = min(峰值算力, 带宽 x 算术强度)。"""
    return np.minimum(peak_flops, mem_bw * np.asarray(intensity, dtype=float))
# --8<-- [end:roofline]
