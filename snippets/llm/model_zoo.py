"""从公开 config 重建参数量（总参数 / 激活参数）与每 token 的 KV cache 字节数，
以及线性注意力的并行形式与 O(1) 状态的递推形式。配置字段名沿用 Hugging Face config.json。"""
import numpy as np

# 各模型公开配置里与参数量有关的字段（来源见 docs/llm/model-zoo.md 的参考块）。
CONFIGS = {
    "Llama-2-7B": dict(
        attention="gqa", num_hidden_layers=32, hidden_size=4096, num_attention_heads=32,
        num_key_value_heads=32, head_dim=128, intermediate_size=11008, vocab_size=32000,
        tie_word_embeddings=False),
    "Llama-2-70B": dict(
        attention="gqa", num_hidden_layers=80, hidden_size=8192, num_attention_heads=64,
        num_key_value_heads=8, head_dim=128, intermediate_size=28672, vocab_size=32000,
        tie_word_embeddings=False),
    "Llama-3-8B": dict(
        attention="gqa", num_hidden_layers=32, hidden_size=4096, num_attention_heads=32,
        num_key_value_heads=8, head_dim=128, intermediate_size=14336, vocab_size=128256,
        tie_word_embeddings=False),
    "Llama-3.1-405B": dict(
        attention="gqa", num_hidden_layers=126, hidden_size=16384, num_attention_heads=128,
        num_key_value_heads=8, head_dim=128, intermediate_size=53248, vocab_size=128256,
        tie_word_embeddings=False),
    "Llama-4-Maverick": dict(
        attention="gqa", num_hidden_layers=48, hidden_size=5120, num_attention_heads=40,
        num_key_value_heads=8, head_dim=128, intermediate_size_mlp=16384, vocab_size=202048,
        num_local_experts=128, num_experts_per_tok=1, n_shared_experts=1, moe_intermediate_size=8192,
        interleave_moe_layer_step=2, tie_word_embeddings=False),
    "Qwen2.5-72B": dict(
        attention="gqa", num_hidden_layers=80, hidden_size=8192, num_attention_heads=64,
        num_key_value_heads=8, head_dim=128, intermediate_size=29568, vocab_size=152064,
        qkv_bias=True, tie_word_embeddings=False),
    "Qwen3-235B-A22B": dict(
        attention="gqa", num_hidden_layers=94, hidden_size=4096, num_attention_heads=64,
        num_key_value_heads=4, head_dim=128, vocab_size=151936, num_local_experts=128,
        num_experts_per_tok=8, moe_intermediate_size=1536, qk_norm=True, tie_word_embeddings=False),
    "DeepSeek-V3": dict(
        attention="mla", num_hidden_layers=61, hidden_size=7168, num_attention_heads=128,
        q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
        intermediate_size=18432, first_k_dense_replace=3, num_local_experts=256, n_shared_experts=1,
        num_experts_per_tok=8, moe_intermediate_size=2048, vocab_size=129280, tie_word_embeddings=False),
    "Kimi-K2": dict(
        attention="mla", num_hidden_layers=61, hidden_size=7168, num_attention_heads=64,
        q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
        intermediate_size=18432, first_k_dense_replace=1, num_local_experts=384, n_shared_experts=1,
        num_experts_per_tok=8, moe_intermediate_size=2048, vocab_size=163840, tie_word_embeddings=False),
    "GLM-4.5": dict(
        attention="gqa", num_hidden_layers=92, hidden_size=5120, num_attention_heads=96,
        num_key_value_heads=8, head_dim=128, intermediate_size=12288, first_k_dense_replace=3,
        num_local_experts=160, n_shared_experts=1, num_experts_per_tok=8, moe_intermediate_size=1536,
        vocab_size=151552, qkv_bias=True, qk_norm=True, tie_word_embeddings=False),
    "gpt-oss-120b": dict(
        attention="gqa", num_hidden_layers=36, hidden_size=2880, num_attention_heads=64,
        num_key_value_heads=8, head_dim=64, num_local_experts=128, num_experts_per_tok=4,
        moe_intermediate_size=2880, vocab_size=201088, qkv_bias=True, o_bias=True, expert_bias=True,
        router_bias=True, attention_sinks=True, sliding_window=128, tie_word_embeddings=False),
    "gpt-oss-20b": dict(
        attention="gqa", num_hidden_layers=24, hidden_size=2880, num_attention_heads=64,
        num_key_value_heads=8, head_dim=64, num_local_experts=32, num_experts_per_tok=4,
        moe_intermediate_size=2880, vocab_size=201088, qkv_bias=True, o_bias=True, expert_bias=True,
        router_bias=True, attention_sinks=True, sliding_window=128, tie_word_embeddings=False),
}

REQUIRED = ("attention", "num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size")
MLA_KEYS = ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")


# --8<-- [start:params]
def _require(cfg, keys):
    missing = [k for k in keys if k not in cfg]
    if missing:
        raise ValueError(f"config is missing required keys: {', '.join(missing)}")


def attention_params(cfg):
    """一层注意力（含 q/k 的 RMSNorm 与偏置，不含层前的 RMSNorm）。"""
    d, h = cfg["hidden_size"], cfg["num_attention_heads"]
    if cfg["attention"] == "gqa":
        _require(cfg, ("num_key_value_heads", "head_dim"))
        hd, kv = cfg["head_dim"], cfg["num_key_value_heads"]
        if h % kv:
            raise ValueError(f"{kv} KV heads do not divide {h} query heads")
        qkv_out = (h + 2 * kv) * hd
        n = d * qkv_out + h * hd * d
        n += qkv_out if cfg.get("qkv_bias") else 0
        n += d if cfg.get("o_bias") else 0
        n += 2 * hd if cfg.get("qk_norm") else 0
        n += h if cfg.get("attention_sinks") else 0
        return n
    if cfg["attention"] == "mla":
        _require(cfg, MLA_KEYS)
        r_kv, nope, rope, v = (cfg[k] for k in MLA_KEYS)
        r_q = cfg.get("q_lora_rank")
        q = d * h * (nope + rope) if r_q is None else d * r_q + r_q + r_q * h * (nope + rope)
        kv = d * (r_kv + rope) + r_kv + r_kv * h * (nope + v)
        return q + kv + h * v * d
    raise ValueError(f"unknown attention type {cfg['attention']!r} (expected 'gqa' or 'mla')")


def param_count(cfg):
    """返回各部分参数量与 total / active。FFN 一律是 SwiGLU（3 个矩阵）。
    active = 每个 token 实际参与计算的参数：注意力、稠密 FFN、共享专家、top-k 个路由专家、路由器、
    输出层；输入 embedding 只是查表，单独列出（各家报告口径不同，见 model-zoo 页面）。"""
    _require(cfg, REQUIRED)
    L, d, V = cfg["num_hidden_layers"], cfg["hidden_size"], cfg["vocab_size"]
    attn = L * (attention_params(cfg) + 2 * d)              # + 每层两个 RMSNorm
    E = cfg.get("num_local_experts", 0)
    if E:
        _require(cfg, ("num_experts_per_tok", "moe_intermediate_size"))
        k, f = cfg["num_experts_per_tok"], cfg["moe_intermediate_size"]
        if not 1 <= k <= E:
            raise ValueError(f"num_experts_per_tok = {k} must be between 1 and {E} experts")
        expert = 3 * d * f + (2 * f + d if cfg.get("expert_bias") else 0)
        step = cfg.get("interleave_moe_layer_step", 1)
        first_dense = cfg.get("first_k_dense_replace", 0)
        moe_layers = len([i for i in range(first_dense, L) if (i + 1) % step == 0])
        dense_layers = L - moe_layers
        dense_ff = cfg.get("intermediate_size_mlp", cfg.get("intermediate_size", 0))
        if dense_layers and not dense_ff:
            raise ValueError("config is missing required keys: intermediate_size (dense FFN layers)")
        shared = cfg.get("n_shared_experts", 0)
        router = d * E + (E if cfg.get("router_bias") else 0)
        ffn_dense = dense_layers * 3 * d * dense_ff
        ffn_total = ffn_dense + moe_layers * ((E + shared) * expert + router)
        ffn_active = ffn_dense + moe_layers * ((k + shared) * expert + router)
    else:
        _require(cfg, ("intermediate_size",))
        ffn_total = ffn_active = L * 3 * d * cfg["intermediate_size"]
    emb = V * d
    head = 0 if cfg.get("tie_word_embeddings") else V * d
    body = attn + d                                         # + 最后的 RMSNorm
    return dict(attention=attn, ffn_total=ffn_total, ffn_active=ffn_active, embedding=emb, lm_head=head,
                total=body + ffn_total + emb + head,
                active=body + ffn_active + head)


def mtp_module_params(cfg):
    """DeepSeek-V3 式 MTP 模块（不含与主模型共享的 embedding 和输出层）：
    一个完整的 Transformer 层（注意力 + MoE）+ 投影 M_k（d × 2d）+ 两个输入 RMSNorm + 输出前的 RMSNorm。"""
    one_layer = dict(cfg, num_hidden_layers=1, first_k_dense_replace=0, vocab_size=0)
    block = param_count(one_layer)
    d = cfg["hidden_size"]
    return block["attention"] + block["ffn_total"] + 2 * d * d + 3 * d


# 公布的激活参数用的是哪种口径（与重建结果对比得出，口径名见 active_by_convention）
ACTIVE_CONVENTION = {
    "Llama-4-Maverick": "with_embedding", "Qwen3-235B-A22B": "with_embedding",
    "DeepSeek-V3": "no_input_embedding", "Kimi-K2": "no_input_embedding",
    "gpt-oss-120b": "no_input_embedding", "gpt-oss-20b": "no_input_embedding",
    "GLM-4.5": "no_embedding_no_head",
}


def active_by_convention(p, convention):
    """三种常见口径：含全部 embedding / 不含输入 embedding / 既不含输入 embedding 也不含输出层。"""
    options = {"with_embedding": p["active"] + p["embedding"], "no_input_embedding": p["active"],
               "no_embedding_no_head": p["active"] - p["lm_head"]}
    if convention not in options:
        raise ValueError(f"unknown convention {convention!r}; expected one of {sorted(options)}")
    return options[convention]
# --8<-- [end:params]


# --8<-- [start:kv_cache]
def kv_cache_bytes_per_token(cfg, bytes_per_value=2):
    """每个 token、全部层的 KV cache 字节数（BF16 为 2 字节）。
    GQA：2 · L · n_kv · head_dim；MLA：L · (kv_lora_rank + qk_rope_head_dim)（潜向量 + 共享 RoPE key）。
    只统计需要长期保存的全局层：带滑窗的层只存最近 sliding_window 个 token，长序列下不随长度增长。"""
    _require(cfg, ("attention", "num_hidden_layers"))
    L = cfg["num_hidden_layers"]
    if cfg["attention"] == "mla":
        _require(cfg, ("kv_lora_rank", "qk_rope_head_dim"))
        per_layer = cfg["kv_lora_rank"] + cfg["qk_rope_head_dim"]
    elif cfg["attention"] == "gqa":
        _require(cfg, ("num_key_value_heads", "head_dim"))
        per_layer = 2 * cfg["num_key_value_heads"] * cfg["head_dim"]
    else:
        raise ValueError(f"unknown attention type {cfg['attention']!r} (expected 'gqa' or 'mla')")
    global_layers = L // 2 if cfg.get("sliding_window") else L    # gpt-oss：偶数层带窗口
    return global_layers * per_layer * bytes_per_value


def kv_cache_bytes(cfg, n_tokens, bytes_per_value=2):
    """长度为 n_tokens 的一条序列的 KV cache 总字节数（滑窗层最多存 sliding_window 个 token）。"""
    if n_tokens < 0:
        raise ValueError(f"n_tokens must be non-negative, got {n_tokens}")
    total = kv_cache_bytes_per_token(cfg, bytes_per_value) * n_tokens
    if cfg.get("sliding_window"):
        local_layers = cfg["num_hidden_layers"] - cfg["num_hidden_layers"] // 2
        per_layer = 2 * cfg["num_key_value_heads"] * cfg["head_dim"] * bytes_per_value
        total += local_layers * per_layer * min(n_tokens, cfg["sliding_window"])
    return total
# --8<-- [end:kv_cache]


# --8<-- [start:linear_attention]
def linear_attention_parallel(Q, K, V, phi=lambda x: np.maximum(x, 0) + 1e-6):
    """因果线性注意力的“并行”写法：o_t = Σ_{s≤t} φ(q_t)ᵀφ(k_s) v_s / Σ_{s≤t} φ(q_t)ᵀφ(k_s)，要 T×T 矩阵。"""
    A = np.tril(phi(Q) @ phi(K).T)
    return (A @ V) / A.sum(axis=1, keepdims=True)


def linear_attention_recurrent(Q, K, V, phi=lambda x: np.maximum(x, 0) + 1e-6):
    """同一个量的递推写法：状态 S_t = S_{t-1} + φ(k_t) v_tᵀ（d×d_v），z_t = z_{t-1} + φ(k_t)，
    o_t = S_tᵀφ(q_t) / z_tᵀφ(q_t)。每步 O(d·d_v)，状态大小与序列长度无关。"""
    T, d = Q.shape
    S, z = np.zeros((d, V.shape[1])), np.zeros(d)
    out = np.empty((T, V.shape[1]))
    for t in range(T):
        k = phi(K[t])
        S += np.outer(k, V[t])
        z += k
        q = phi(Q[t])
        out[t] = S.T @ q / (z @ q)
    return out
# --8<-- [end:linear_attention]
