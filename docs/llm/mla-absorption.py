# %% [markdown]
# ---
# description: 用 numpy 验证 MLA 的矩阵吸收：不带 RoPE 时 q·k 可改写为潜向量上的双线性型，插入 RoPE 后吸收失效；并对比 MHA/GQA/MQA/MLA 每 token 每层的缓存量。
# tags:
#   - MLA
#   - DeepSeek
#   - KV cache
#   - 矩阵吸收
#   - 动手验证
# ---
# # MLA 的矩阵吸收与 KV cache 大小
#
# 对应问题：[MLA 是什么？](mla.md#mla)
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

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(range(t + 1), err, marker=".")
ax.set_xlabel("key position j (query position t = 40)")
ax.set_ylabel("|true score - absorbed score|")
ax.set_title("RoPE on the compressed key breaks matrix absorption")
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

fig, ax = plt.subplots(figsize=(6, 3.5))
labels = ["MHA", "GQA-8", "MQA", "MLA"]
bars = ax.bar(labels, [sizes[k] for k in kinds], color=["C0", "C1", "C2", "C3"])
ax.bar_label(bars, labels=[f"{sizes[k]:,}" for k in kinds])
ax.set_yscale("log")
ax.set_ylabel("cached elements per token per layer")
ax.set_title("KV cache with n_h = d_h = 128, d_c = 512, d_R = 64")
plt.show()

# %% [markdown]
# ## 结论 {#mla-nb-conclusion}
#
# - 不带 RoPE 时 $q^\top k=c^{Q\top}(W^{UQ\top}W^{UK})c^{KV}$ 精确成立，这就是矩阵吸收；
# - RoPE 夹在两个矩阵中间会让“吸收矩阵”随相对位置变化，所以 MLA 另开 64 维解耦 RoPE 分量；
# - 每 token 每层缓存：MHA 32768、GQA-8 2048、MQA 256、MLA 576（= 2.25 个 MQA，约为 MHA 的 1/57）。
