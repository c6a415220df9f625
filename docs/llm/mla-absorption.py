# %% [markdown]
# ---
# description: 用 numpy 验证 MLA 的矩阵吸收：不带 RoPE 时 q·k 可改写为潜向量上的双线性型，插入 RoPE 后吸收失效；对比 MHA/GQA/MQA/MLA 的缓存量、吸收式与显式还原在 prefill/decode 的计算量，以及 DSA 索引器多存的字节。
# tags:
#   - MLA
#   - DeepSeek
#   - KV cache
#   - 矩阵吸收
#   - 动手验证
# ---
# # MLA 的矩阵吸收与 KV cache 大小
#
# 对应问题：[MLA 是什么？](mla.md#mla)、[为什么 RoPE 要解耦？](mla.md#mla-decoupled-rope)、
# [prefill 和 decode 都做矩阵吸收吗？](mla.md#mla-absorb-prefill-decode)、[DSA 能省 KV cache 吗？](mla.md#dsa-kv-cache)
#
# ## 实验设置 {#mla-nb-setup}
#
# 小尺寸的一层 MLA（实现见 `snippets/llm/mla.py`），以及 DeepSeek-V2/V3 的真实维度
# $n_h=128,\ d_h=128,\ d_c=512,\ d_h^R=64$。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.mla import absorb, init_mla, kv_cache_elements, mla_decode_step, mla_reference
from snippets.llm.rope import rope_freqs, rope_matrix

rng = np.random.default_rng(0)

# %% [markdown]
# ## 吸收恒等式 {#mla-nb-identity}
#
# 单个头：$q^\top k=(W^{UQ}c^Q)^\top(W^{UK}c^{KV})=c^{Q\top}\,(W^{UQ\top}W^{UK})\,c^{KV}$。
# 中间矩阵与位置无关，可以提前算好；于是缓存 $c^{KV}$ 就够了，不必还原 $k$。

# %%
d_cq, d_c, d_h = 48, 32, 16
W_UQ = rng.standard_normal((d_h, d_cq)) / np.sqrt(d_cq)
W_UK = rng.standard_normal((d_h, d_c)) / np.sqrt(d_c)
M = W_UQ.T @ W_UK                                    # 吸收后的 d_cq × d_c 矩阵
c_q = rng.standard_normal((20, d_cq))
c_kv = rng.standard_normal((20, d_c))
full = (c_q @ W_UQ.T) @ (c_kv @ W_UK.T).T           # 先还原 q、k 再点积
absorbed = c_q @ M @ c_kv.T                          # 只用潜向量
assert np.allclose(full, absorbed)

# %% [markdown]
# ## 插入 RoPE 后吸收失效 {#mla-nb-rope-breaks}
#
# 若把 RoPE 直接加在 $k^C$、$q^C$ 上，中间矩阵变成 $W^{UQ\top}R_{j-t}W^{UK}$，随位置对 $(t,j)$ 变化。
# 下图固定查询位置 $t=40$，比较“真实分数”与“用 $t=j$ 时那个固定矩阵去吸收”的误差：
# 只有 $j=t$ 处误差为 0。

# %%
theta = rope_freqs(d_h)
t = 40
q_rot = rope_matrix(t, theta) @ (W_UQ @ c_q[0])
true = np.array([q_rot @ (rope_matrix(j, theta) @ (W_UK @ c_kv[0])) for j in range(t + 1)])
fixed = c_q[0] @ M @ c_kv[0]                         # 假装仍能用固定矩阵吸收
err = np.abs(true - fixed)
assert err[t] < 1e-10 and np.median(err[:t]) > 1e-3
mids = [W_UQ.T @ rope_matrix(j - tt, theta) @ W_UK for tt, j in [(5, 2), (9, 2)]]
assert not np.allclose(mids[0], mids[1])             # 中间矩阵依赖相对位置

#| alt: 折线图：查询位置固定为 40，横轴是 key 的位置；把 RoPE 加在压缩后的 key 上以后，用固定矩阵“吸收”算出的分数只有在 j 等于 40 时误差为 0，其余位置都有明显误差
fig, ax = plt.subplots()
ax.plot(range(t + 1), err, marker=".")
ax.set_xlabel("key position j (query at t = 40)")
ax.set_ylabel("|true - absorbed score|")
plt.show()

# %% [markdown]
# ## 整层 MLA：只缓存潜向量的吸收式解码等于参考实现 {#mla-nb-decode}
#
# 解耦 RoPE 后，逐 token 解码只往缓存追加 $c_t^{KV}$ 和共享的 $k_t^R$；
# 输出与显式还原每头 K、V 的参考实现逐位一致。

# %%
p = init_mla(rng, d=64, n_h=4, d_h=16, d_c=24, d_cq=32, d_r=8)
H = rng.standard_normal((16, 64))
ref = mla_reference(H, p)
A, B = absorb(p)
cache = {"c_kv": [], "k_r": []}
dec = np.array([mla_decode_step(H[i], i, cache, p, A, B) for i in range(len(H))])
assert np.allclose(dec, ref, atol=1e-10)
per_token = len(cache["c_kv"][0]) + len(cache["k_r"][0])
full_kv = 2 * p["n_h"] * p["d_h"]
print(f"cached per token: {per_token} numbers (MHA would cache {full_kv})")
assert per_token == p["d_c"] + p["d_r"] < full_kv

# %% [markdown]
# ## 每 token 每层的缓存量 {#mla-nb-cache-size}

# %%
kinds = ["MHA", "GQA", "MQA", "MLA"]
sizes = {k: kv_cache_elements(k) for k in kinds}
assert [sizes[k] for k in kinds] == [2 * 128 * 128, 2 * 8 * 128, 2 * 128, 512 + 64]
assert sizes["MLA"] / sizes["MQA"] == 2.25
print({k: v for k, v in sizes.items()}, f"MHA/MLA = {sizes['MHA'] / sizes['MLA']:.1f}x")
# DeepSeek-V3 共 61 层、BF16：每 token 的总缓存
per_tok_kib = {k: v * 61 * 2 / 1024 for k, v in sizes.items()}
assert np.isclose(per_tok_kib["MLA"], 68.625) and np.isclose(per_tok_kib["MHA"], 3904.0)

#| alt: 对数纵轴柱状图：n_h = d_h = 128 时每 token 每层的缓存元素数，MHA 32768、GQA-8 2048、MQA 256、MLA 576，MLA 只比 MQA 多一点
fig, ax = plt.subplots()
labels = ["MHA", "GQA-8", "MQA", "MLA"]
bars = ax.bar(labels, [sizes[k] for k in kinds], color=["C0", "C1", "C2", "C3"])
ax.bar_label(bars, labels=[f"{sizes[k]:,}" for k in kinds], fontsize=10)
ax.set_yscale("log")
ax.set_ylim(100, 1e5)
ax.set_ylabel("cached numbers / token / layer")
plt.show()

# %% [markdown]
# ## 吸收还是不吸收：prefill 与 decode 的计算量 {#mla-nb-flops}
#
# 只缓存 $c^{KV}$ 时有两种算法。**不吸收**：先把 $n_{kv}$ 个潜向量升维成每头的 $k^C$、$v^C$（与 query 个数无关的一次性开销），
# 再做 192 维打分、128 维加权；**吸收**：每个 query 先乘 $W^{UK}$ 进潜空间，做 576 维打分、512 维加权，没有升维开销，
# 但每个 query 的点积更长。于是 query 少（decode）时吸收划算，query 多（prefill）时不吸收划算。

# %%
from snippets.llm.mla import mla_attention_flops

n_kv = 4096
n_q = np.unique(np.logspace(0, np.log10(n_kv), 60).astype(int))
naive = np.array([mla_attention_flops(q, n_kv, "naive") for q in n_q])
absorbed = np.array([mla_attention_flops(q, n_kv, "absorb") for q in n_q])
every = np.arange(1, n_kv + 1)
cross = every[np.argmax(mla_attention_flops(every, n_kv, "naive") < mla_attention_flops(every, n_kv, "absorb"))]
print(f"context {n_kv}: absorbed is cheaper for up to {cross - 1} queries per step")
print(f"decode (1 query): naive / absorbed = {naive[0] / absorbed[0]:.0f}x")
print(f"prefill ({n_kv} queries): absorbed / naive = {absorbed[-1] / naive[-1]:.1f}x")
assert naive[0] > 50 * absorbed[0] and absorbed[-1] > naive[-1]
d_c_, d_h_ = 512, 128                # 闭式解：n_q* = n_kv d_c d_h / (d_c d_h + n_kv (d_c - d_h)) ≈ 163.8
assert cross == int(np.ceil(n_kv * d_c_ * d_h_ / (d_c_ * d_h_ + n_kv * (d_c_ - d_h_))))

#| alt: 双对数折线图：横轴是一步里共享同一缓存的 query 数，纵轴是一层注意力的 GFLOP；吸收式随 query 数线性增长，不吸收的做法在 query 很少时被一次性升维开销主导，两条线在约 160 个 query 处相交
fig, ax = plt.subplots()
ax.loglog(n_q, naive / 1e9, label="naive: up-project K, V")
ax.loglog(n_q, absorbed / 1e9, ls="--", label="absorbed into q and W^O")
ax.axvline(cross, color="gray", ls=":", lw=1)
ax.set_xlabel("queries per step (context 4096)")
ax.set_ylabel("GFLOP per layer")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## DSA 多存多少：索引器 key 的缓存 {#mla-nb-dsa-cache}
#
# DeepSeek-V3.2-Exp 的闪电索引器给每个 token 每层多存一个 128 维的 FP8 key，外加每 128 个数一个 fp32 scale；
# MLA 本身的 $c^{KV}$（512）与 $k^R$（64）按 BF16 存。

# %%
index_head_dim, block = 128, 128
indexer_bytes = index_head_dim * 1 + (index_head_dim // block) * 4      # FP8 key + fp32 scale
mla_bytes = (512 + 64) * 2                                               # BF16 c^KV + k^R
print(f"per token per layer: MLA {mla_bytes} B, indexer key {indexer_bytes} B (+{indexer_bytes / mla_bytes:.1%})")
assert indexer_bytes == 132 and mla_bytes == 1152
assert 0.11 < indexer_bytes / mla_bytes < 0.12

# %% [markdown]
# ## 结论 {#mla-nb-conclusion}
#
# - 不带 RoPE 时 $q^\top k=c^{Q\top}(W^{UQ\top}W^{UK})c^{KV}$ 精确成立，这就是矩阵吸收；
# - RoPE 夹在两个矩阵中间会让“吸收矩阵”随相对位置变化，所以 MLA 另开 64 维解耦 RoPE 分量；
# - 每 token 每层缓存：MHA 32768、GQA-8 2048、MQA 256、MLA 576（= 2.25 个 MQA，约为 MHA 的 1/57）；
# - 4096 长的上下文里，一步少于约 160 个 query 时吸收式更省（decode 省两个数量级），prefill 时显式还原 K、V 更省；
# - DSA 的索引器 key 让每 token 每层的缓存多约 11.5%，稀疏注意力省的是读取与计算，不是存储。
