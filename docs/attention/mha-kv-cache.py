# %% [markdown]
# ---
# description: 用 numpy 验证多头注意力的向量化写法等于逐头循环，因果与 padding 掩码的效果与全掩码行的 NaN，KV cache 增量解码逐步等于完整重算，GQA 在组数等于头数时就是 MHA、一组时就是 MQA，并按 Llama-2 的配置算每 token 的 KV cache。
# tags:
#   - 注意力
#   - Transformer
#   - 多头注意力
#   - KV cache
#   - GQA
#   - 动手验证
# ---
# # 动手验证：手写 MHA、掩码、KV cache 与 GQA / MQA
#
# 对应问题：[手写多头注意力](mha.md#mha-implementation)、[掩码怎么写](mha.md#attention-masks)、
# [KV cache 增量解码](mha.md#kv-cache-decoding)、[MQA 与 GQA](mha.md#mqa-gqa)
#
# ## 实验设置 {#setup}
#
# 一个玩具层：模型宽度 d = 64，h = 8 个查询头，每头 d_h = 8；batch 为 3，序列长 12。
# 三个样本的真实长度分别是 12、9、5（右侧 padding）。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.mha import (
    KVCache, causal_keep_mask, decode_step, init_attention, kv_cache_bytes_per_token, masked_softmax,
    mha_per_head_loop, model_params, multi_head_attention, padding_keep_mask, split_heads, merge_heads, to_additive,
)

rng = np.random.default_rng(0)
B, L, d, h = 3, 12, 64, 8
lengths = [12, 9, 5]
x = rng.normal(size=(B, L, d))

# %% [markdown]
# ## 向量化 MHA 等于逐头循环 {#vectorised-equals-loop}
#
# 逐头循环用的是单头的二维注意力：对每个样本、每个头取出 W_Q、W_K、W_V 对应的那一段列，单独做缩放点积，
# 再把各头输出按列拼接、乘 W_O。向量化写法一次 reshape 成 (B, h, L, d_h) 做完所有头。
# 对 MHA（8 个 KV 头）、GQA（2 个 KV 头）和 MQA（1 个 KV 头）都应相等。

# %%
keep = causal_keep_mask(L)[None, None] & padding_keep_mask(lengths, L)     # (B, 1, L, L)
keep2d = np.broadcast_to(keep[:, 0], (B, L, L))
for n_kv in (8, 2, 1):
    p = init_attention(rng, d, h, n_kv)
    y, A = multi_head_attention(x, p, keep)
    gap = np.max(np.abs(y - mha_per_head_loop(x, p, keep2d)))
    print(f"h_kv = {n_kv}: output {y.shape}, weights {A.shape}, max |vectorised - loop| = {gap:.1e}")
    assert gap < 1e-12
    assert np.allclose(A.sum(axis=-1), 1.0)

# %% [markdown]
# ## padding 的 key 权重恰好为 0 {#padding-zero-weight}
#
# 第三个样本只有 5 个真实 token，第 5 到 11 个 key 的注意力权重应恰好为 0（不是很小，而是 0），
# 改写这些 padding 位置的输入也不会改变真实 token 的输出。

# %%
p = init_attention(rng, d, h)
y, A = multi_head_attention(x, p, keep)
assert np.all(A[2, :, :, 5:] == 0.0)
x_noisy = x.copy()
x_noisy[2, 5:] = rng.normal(size=(L - 5, d)) * 1e3
y_noisy, _ = multi_head_attention(x_noisy, p, keep)
print("max change of real-token outputs when padding is scrambled:", np.abs(y_noisy[2, :5] - y[2, :5]).max())
assert np.allclose(y_noisy[2, :5], y[2, :5], atol=1e-12)

# %% [markdown]
# ## 全掩码行：NaN、均匀分布还是 0 {#fully-masked-row}
#
# 左侧 padding 再加因果掩码时，padding 位置的 query 能看到的 key 全是 padding，整行都被屏蔽。
# 用 −∞ 做加性掩码，这一行的 softmax 是 0/0 = NaN；用 float32 的最小值代替 −∞，这一行变成对被屏蔽 key 的均匀分布（有限但没有意义）；
# 显式把空行的权重置 0，输出就是 0。两个 float32 最小值相加会上溢成 −∞，所以合并掩码应先对布尔掩码取“与”，最后只转换一次。

# %%
left_pad = (np.arange(6)[None, :] >= np.array([2])[:, None])[:, None, None, :]   # 2 pads on the left
keep_left = causal_keep_mask(6)[None, None] & left_pad
scores = rng.normal(size=(1, 1, 6, 6))
with np.errstate(invalid="ignore"):
    w_nan = masked_softmax(scores, keep_left, fully_masked="nan")
w_zero = masked_softmax(scores, keep_left)
fmin = np.finfo(np.float32).min
w_fmin = masked_softmax((scores + to_additive(keep_left, neg=fmin, dtype=np.float32)).astype(np.float32))
print("row 0 with -inf      :", w_nan[0, 0, 0])
print("row 0 with float32min:", np.round(w_fmin[0, 0, 0], 3))
print("row 0 zeroed         :", w_zero[0, 0, 0])
assert np.all(np.isnan(w_nan[0, 0, :2])) and not np.any(np.isnan(w_nan[0, 0, 2:]))
assert np.allclose(w_fmin[0, 0, 0], 1 / 6) and np.all(w_zero[0, 0, :2] == 0)
assert np.allclose(w_zero[0, 0, 2:], w_nan[0, 0, 2:])          # real rows are identical
with np.errstate(over="ignore"):
    assert np.isneginf(np.float32(fmin) + np.float32(fmin))     # summed finite masks overflow to -inf

# %% [markdown]
# ## KV cache 增量解码等于完整重算 {#kv-cache-equals-full}
#
# 先用前 4 个 token 做一次 prefill，再逐个喂入后面的 token。每一步只算新 token 的 q、k、v，
# 把 k、v 追加进缓存，新 query 与缓存里全部 key 做注意力。每一步的输出都应等于对整个前缀做带因果掩码的完整计算。
# GQA（2 个 KV 头）时缓存的形状是 (B, 2, t, 8)，而不是 (B, 8, t, 8)。

# %%
p = init_attention(rng, d, h, n_kv_heads=2, layer=0)
full, _ = multi_head_attention(x, p, causal_keep_mask(L))
cache = KVCache(layer=0, n_kv_heads=2, head_dim=d // h, batch=B)
gaps = [np.abs(decode_step(x[:, :4], p, cache) - full[:, :4]).max()]
print(f"prefill 4 tokens: cache K {cache.k.shape}")
for t in range(4, L):
    y_t = decode_step(x[:, t:t + 1], p, cache)
    gaps.append(np.abs(y_t[:, 0] - full[:, t]).max())
    if t in (4, L - 1):
        print(f"step t={t}: query (B, h, 1, d_h) = {(B, h, 1, d // h)}, cache K {cache.k.shape}, "
              f"scores {(B, h, 1, len(cache))}")
print("max |incremental - full| per step:", np.array(gaps).max())
assert max(gaps) < 1e-12
assert cache.k.shape == (B, 2, L, d // h)

# %% [markdown]
# ## GQA：组数等于头数就是 MHA，一组就是 MQA {#gqa-limits}
#
# 用同一组权重构造三种模型：h_kv = 8 的 GQA 与“每个头各有 K、V”的 MHA 逐元素相同；
# h_kv = 1 的 GQA 与“所有头共用一个 K、V 头”的 MQA 手写版本相同（einsum 直接让 8 个 query 头对同一个 K 打分）。

# %%
p_mha = init_attention(rng, d, h)
y_gqa8, _ = multi_head_attention(x, dict(p_mha, n_kv_heads=8), keep)
y_mha = mha_per_head_loop(x, p_mha, keep2d)
p_mqa = dict(p_mha, Wk=p_mha["Wk"][:, :8], Wv=p_mha["Wv"][:, :8], n_kv_heads=1)
y_gqa1, _ = multi_head_attention(x, p_mqa, keep)
q = split_heads(x @ p_mqa["Wq"], h)
k1, v1 = x @ p_mqa["Wk"], x @ p_mqa["Wv"]                                    # one K, V head
w = masked_softmax(np.einsum("bhqd,bkd->bhqk", q, k1) / np.sqrt(d // h), keep)
y_mqa = merge_heads(np.einsum("bhqk,bkd->bhqd", w, v1)) @ p_mqa["Wo"]
print("GQA(8) vs MHA:", np.abs(y_gqa8 - y_mha).max(), " GQA(1) vs MQA:", np.abs(y_gqa1 - y_mqa).max())
assert np.allclose(y_gqa8, y_mha, atol=1e-12) and np.allclose(y_gqa1, y_mqa, atol=1e-12)

# %% [markdown]
# ## 每 token 的 KV cache：MHA、GQA、MQA {#cache-bytes}
#
# 先确认公式与真实数组一致：一层、2 个 KV 头、每头 8 维、float16 的缓存，存 12 个 token 后的字节数应为
# 12 × 2 × 1 × 2 × 8 × 2。再代入 Llama-2-70B 的形状（80 层、64 个查询头、每头 128 维，官方用 8 个 KV 头）：
# 同一形状改成 MHA（64 个 KV 头）或 MQA（1 个 KV 头），每 token 的缓存相差 64 倍。

# %%
c16 = KVCache(0, 2, 8, batch=1, dtype=np.float16)
c16.append(np.zeros((1, 2, 12, 8)), np.zeros((1, 2, 12, 8)))
assert c16.nbytes() == 12 * kv_cache_bytes_per_token(1, 2, 8, bytes_per_elem=2)

n_layers, d_h = 80, 128
per_token = {name: kv_cache_bytes_per_token(n_layers, n_kv, d_h) for name, n_kv in
             (("MHA (64 KV heads)", 64), ("GQA (8 KV heads)", 8), ("MQA (1 KV head)", 1))}
for name, b in per_token.items():
    print(f"{name:18s}: {b / 2**10:7.0f} KiB per token, {b * 4096 / 2**30:6.2f} GiB at 4096 tokens")
assert per_token["GQA (8 KV heads)"] == 320 * 2**10
assert per_token["MHA (64 KV heads)"] == 8 * per_token["GQA (8 KV heads)"] == 64 * per_token["MQA (1 KV head)"]
llama2_7b = kv_cache_bytes_per_token(32, 32, 128)
assert llama2_7b == 512 * 2**10                      # Llama-2-7B (MHA): 512 KiB per token in bf16

# %% [markdown]
# 按同一配置（d = 8192、SwiGLU 隐层 28672、词表 32000）数出的权重约 690 亿参数，bf16 约 128 GiB。batch 为 1 时，MHA 形状的缓存在约 5.3 万个 token 处就追上了权重，
# GQA 要到约 42 万个 token。

# %%
n_params = model_params(80, 8192, 64, 32000, n_kv_heads=8, d_ff=28672, ffn="swiglu", norm_weights_per_layer=2)
weights_bytes = 2 * n_params["total"]      # bf16
print(f"Llama-2-70B shape: {n_params['total'] / 1e9:.2f} B parameters, {weights_bytes / 2**30:.1f} GiB in bf16")
ctx = np.logspace(np.log10(512), np.log10(131072), 60)
cross = {name: weights_bytes / b for name, b in per_token.items()}
print({k: f"{v:,.0f} tokens" for k, v in cross.items()})
assert 5.0e4 < cross["MHA (64 KV heads)"] < 5.5e4 and 4.0e5 < cross["GQA (8 KV heads)"] < 4.4e5

#| alt: 双对数坐标，横轴是上下文长度（512 到 128K token），纵轴是 batch 为 1 时 KV cache 的 GiB 数：MHA、GQA、MQA 三条平行直线依次低 8 倍和 8 倍，虚线是 bf16 权重约 128 GiB，MHA 线在约 5 万 token 处越过权重线
fig, ax = plt.subplots()
for name, b in per_token.items():
    ax.loglog(ctx, ctx * b / 2**30, label=name)
ax.axhline(weights_bytes / 2**30, color="k", ls="--", lw=1, label="bf16 weights")
ax.set_xlabel("context length (tokens)")
ax.set_ylabel("KV cache, batch 1 (GiB)")
ax.set_title("Llama-2-70B shape, bf16")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 拆头只是 reshape，向量化写法与逐头循环的差在 1e-12 以内，MHA、GQA、MQA 都一样。
# - 布尔掩码把 padding key 的权重变成恰好 0；全掩码行用 −∞ 会得到 NaN，用有限最小值得到无意义的均匀分布，显式置 0 最干净。
# - KV cache 增量解码每一步都等于完整重算；每步只有新 token 的 q，缓存按 (B, h_kv, t, d_h) 增长。
# - 每 token 的缓存是 2·层数·h_kv·d_h·字节数：Llama-2-70B 的 GQA 为 320 KiB，同形状的 MHA 是它的 8 倍、MQA 是它的 1/8。
