# %% [markdown]
# ---
# description: 数值验证拼接相邻 k 个 token 后单层 FLOPs 24ld²k + 4l²d/k 的最小点正是 k* = √(l/(6d))，且只有 l > 6d 时 k* > 1，合并才省计算。
# tags:
#   - Token Merging
#   - FLOPs
#   - 长上下文
#   - 动手验证
# ---
# # Token merging 的最优合并数
#
# 对应问题：[Token Merging：拼接相邻 token 能省多少计算？](long-context.md#token-merging)
#
# ## 实验设置 {#tm-nb-setup}
#
# 单层前向 FLOPs $F(l,d)=24ld^2+4l^2d$；把相邻 $k$ 个 token 拼成一个后，序列变为 $l/k$、宽度变为 $kd$：
# $F_k=24ld^2k+4l^2d/k$。实现见 `snippets/llm/token_merging.py`。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.token_merging import (layer_flops, layer_flops_by_shapes, merged_flops, optimal_k,
                                        score_elements)

# %% [markdown]
# ## 闭式公式与逐个矩阵乘法计数一致 {#tm-nb-formula}

# %%
for l, d in [(512, 256), (8192, 4096), (100_000, 1024)]:
    assert layer_flops(l, d) == layer_flops_by_shapes(l, d)
    assert np.isclose(merged_flops(l, d, 4), layer_flops(l / 4, 4 * d))

# %% [markdown]
# ## 数值 argmin 与 AM-GM 给出的 $k^*$ {#tm-nb-argmin}

# %%
d = 1024
ks = np.linspace(0.05, 20, 400_001)
rows = []
for l in [2048, 6144, 32768, 100_000, 400_000]:
    k_num = ks[np.argmin(merged_flops(l, d, ks))]
    k_star = optimal_k(l, d)
    rows.append((l, k_num, k_star))
    assert np.isclose(k_num, k_star, rtol=1e-3)
    assert (k_star > 1) == (l > 6 * d)
    # AM-GM 下界在 k* 处取到
    assert np.isclose(merged_flops(l, d, k_star), 2 * np.sqrt(96.0 * l**3 * d**3))
for l, k_num, k_star in rows:
    print(f"l = {l:>7}: numeric argmin k = {k_num:.4f}, sqrt(l/(6d)) = {k_star:.4f}")
# l < 6d 时，任何 k ≥ 1 的合并都不省 FLOPs（整数 k 中 k=1 最优）
l = 2048
assert np.all(merged_flops(l, d, np.arange(2, 9)) > layer_flops(l, d))

fig, ax = plt.subplots(figsize=(7, 3.8))
kk = np.linspace(0.25, 12, 500)
for l in [2048, 32768, 100_000, 400_000]:
    y = merged_flops(l, d, kk) / layer_flops(l, d)
    ax.plot(kk, y, label=f"l = {l:,}")
    ax.plot(optimal_k(l, d), merged_flops(l, d, optimal_k(l, d)) / layer_flops(l, d), "k.")
ax.axvline(1, color="gray", ls=":")
ax.set_yscale("log")
ax.set_xlabel("tokens merged k")
ax.set_ylabel("FLOPs relative to k = 1")
ax.set_title(f"Per-layer FLOPs after merging k tokens (d = {d}, 6d = {6 * d})")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 注意力分数张量缩小多少？ {#tm-nb-memory}
#
# 分数张量形状为 $(\text{heads},\ l/k,\ l/k)$。头数不变时缩小 $k^2$ 倍；若保持头维不变（头数随宽度变成 $k$ 倍），
# 只缩小 $k$ 倍。常说的“显存降低 $k$ 倍”对应的是后一种设定。

# %%
l, h = 32768, 32
kk_int = np.arange(1, 9)
fixed_heads = np.array([score_elements(l, h, k, "heads") for k in kk_int])
fixed_hdim = np.array([score_elements(l, h, k, "head_dim") for k in kk_int])
assert np.allclose(fixed_heads[0] / fixed_heads, kk_int**2)
assert np.allclose(fixed_hdim[0] / fixed_hdim, kk_int)

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(kk_int, fixed_heads[0] / fixed_heads, "o-", label="same number of heads: k^2")
ax.plot(kk_int, fixed_hdim[0] / fixed_hdim, "s-", label="same head dim (k x heads): k")
ax.set_xlabel("tokens merged k")
ax.set_ylabel("reduction of score-tensor size")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#tm-nb-conclusion}
#
# - $24ld^2k+4l^2d/k$ 的数值最小点与 $\sqrt{l/(6d)}$ 吻合（相对误差 < 1e-3），证明用的是 AM-GM 而非柯西不等式；
# - $l<6d$ 时 $k^*<1$：合并只会增加 FLOPs（$d=1024$ 时需 $l>6144$，$d=4096$ 时需 $l>24576$）；
# - 分数张量的缩减是 $k^2$ 倍（头数不变）或 $k$ 倍（头维不变），取决于宽度放大后头怎么分。
