# %% [markdown]
# ---
# description: 数值验证拼接相邻 g 个 token 后单层 FLOPs 24ld²g + 4l²d/g 的最小点正是 g* = √(l/(6d))，且只有 l > 6d 时 g* > 1，合并才省计算。
# tags:
#   - Token Merging
#   - FLOPs
#   - 长上下文
#   - 动手验证
# ---
# # Token merging 的最优合并数
#
# 对应问题：[Token Merging：把相邻 token 拼接起来能省多少计算？](long-context.md#token-merging)
#
# ## 实验设置 {#tm-nb-setup}
#
# 单层前向 FLOPs $F(l,d)=24ld^2+4l^2d$（$l$ 为序列长度、$d$ 为模型宽度）；把相邻 $g$ 个 token 拼成一个后，
# 序列变为 $l/g$、宽度变为 $gd$：$F_g=24ld^2g+4l^2d/g$。实现见 `snippets/llm/token_merging.py`。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.token_merging import (layer_flops, layer_flops_by_shapes, merged_flops, optimal_merge,
                                        score_elements)

# %% [markdown]
# ## 闭式公式与逐个矩阵乘法计数一致 {#tm-nb-formula}

# %%
for l, d in [(512, 256), (8192, 4096), (100_000, 1024)]:
    assert layer_flops(l, d) == layer_flops_by_shapes(l, d)
    assert np.isclose(merged_flops(l, d, 4), layer_flops(l / 4, 4 * d))

# %% [markdown]
# ## 数值 argmin 与 AM-GM 给出的 $g^*$ {#tm-nb-argmin}

# %%
d = 1024
gs = np.linspace(0.05, 20, 400_001)
rows = []
for l in [2048, 6144, 32768, 100_000, 400_000]:
    g_num = gs[np.argmin(merged_flops(l, d, gs))]
    g_star = optimal_merge(l, d)
    rows.append((l, g_num, g_star))
    assert np.isclose(g_num, g_star, rtol=1e-3)
    assert (g_star > 1) == (l > 6 * d)
    # AM-GM 下界在 g* 处取到
    assert np.isclose(merged_flops(l, d, g_star), 2 * np.sqrt(96.0 * l**3 * d**3))
for l, g_num, g_star in rows:
    print(f"l = {l:>7}: numeric argmin g = {g_num:.4f}, sqrt(l/(6d)) = {g_star:.4f}")
# 页面上的两个数：d=1024、l=1e5 与 d=4096、l=131072 时的 g* 和 FLOPs 比例
for l_, d_, g_, ratio_ in [(100_000, 1024, 4.03, 0.47), (131_072, 4096, 2.31, 0.73)]:
    g_opt = optimal_merge(l_, d_)
    assert abs(g_opt - g_) < 0.01
    assert abs(merged_flops(l_, d_, g_opt) / layer_flops(l_, d_) - ratio_) < 0.01
# l < 6d 时，任何 g ≥ 1 的合并都不省 FLOPs（整数 g 中 g=1 最优）
l = 2048
assert np.all(merged_flops(l, d, np.arange(2, 9)) > layer_flops(l, d))

#| alt: 横轴为合并因子 g，纵轴为相对 g=1 的单层 FLOPs（对数）：l=2048 的曲线在 g>1 时一路上升，l 越长曲线的最低点越靠右、越低，l=400000 时最低点约在 g=8，黑点标出各曲线的 g* = √(l/6d)
fig, ax = plt.subplots()
gg = np.linspace(0.25, 12, 500)
for l in [2048, 32768, 100_000, 400_000]:
    y = merged_flops(l, d, gg) / layer_flops(l, d)
    ax.plot(gg, y, label=f"l = {l:,}")
    ax.plot(optimal_merge(l, d), merged_flops(l, d, optimal_merge(l, d)) / layer_flops(l, d), "k.")
ax.axvline(1, color="gray", ls=":")
ax.set_yscale("log")
ax.set_xlabel("tokens merged g")
ax.set_ylabel("FLOPs / FLOPs at g = 1")
ax.set_title(f"d = {d}, 6d = {6 * d}")
ax.set_ylim(0.15, 80)
ax.legend(loc="upper center", ncol=2)
plt.show()

# %% [markdown]
# ## 注意力分数张量缩小多少？ {#tm-nb-memory}
#
# 分数张量形状为 $(\text{heads},\ l/g,\ l/g)$。头数不变时缩小 $g^2$ 倍；若保持头维不变（头数随宽度变成 $g$ 倍），
# 只缩小 $g$ 倍。“显存降低 $g$ 倍”只在后一种设定下成立。

# %%
l, h = 32768, 32
g_int = np.arange(1, 9)
fixed_heads = np.array([score_elements(l, h, g, "heads") for g in g_int])
fixed_hdim = np.array([score_elements(l, h, g, "head_dim") for g in g_int])
assert np.allclose(fixed_heads[0] / fixed_heads, g_int**2)
assert np.allclose(fixed_hdim[0] / fixed_hdim, g_int)

#| alt: 横轴为合并因子 g（1 到 8），注意力分数张量缩小的倍数：头数不变时按 g² 增长到 64 倍，头维不变时按 g 增长到 8 倍
fig, ax = plt.subplots()
ax.plot(g_int, fixed_heads[0] / fixed_heads, "o-", label="same heads: g^2")
ax.plot(g_int, fixed_hdim[0] / fixed_hdim, "s-", label="same head dim: g")
ax.set_xlabel("tokens merged g")
ax.set_ylabel("score tensor shrinks by")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#tm-nb-conclusion}
#
# - $24ld^2g+4l^2d/g$ 的数值最小点与 $\sqrt{l/(6d)}$ 吻合（相对误差 < 1e-3），证明用的是 AM-GM 不等式；
# - $l<6d$ 时 $g^*<1$：合并只会增加 FLOPs（$d=1024$ 时需 $l>6144$，$d=4096$ 时需 $l>24576$）；
# - 分数张量的缩减是 $g^2$ 倍（头数不变）或 $g$ 倍（头维不变），取决于宽度放大后头怎么分。
