# %% [markdown]
# ---
# description: 检验“因果注意力矩阵必然满秩所以表达力更强”的论证：行列式确实为正，但行列式大小说明不了条件好坏，要看条件数；logits 变大后因果注意力矩阵数值上近奇异；堆叠多层纯注意力时因果注意力同样坍缩到秩 1，只是更慢。
# tags:
#   - Decoder-only
#   - 秩坍缩
#   - 注意力
#   - 条件数
#   - 动手验证
# ---
# # 因果注意力的“满秩”、条件数与秩坍缩
#
# 对应问题：[因果注意力矩阵“必然满秩”，所以表达力更强吗？](decoder-only.md#full-rank-argument)
#
# ## 实验设置 {#rank-nb-setup}
#
# 注意力矩阵 $P=\mathrm{softmax}(\sigma\,QK^\top/\sqrt{d_k}+M)$，$n=64$、$d_k=8$，$Q$、$K$ 的元素取标准正态，
# 于是 logits 的标准差约为 $\sigma$；$M$ 是因果掩码（双向时为 0）。
# 有效秩用奇异值分布的熵：$\operatorname{erank}(P)=\exp\big(-\sum_i p_i\log p_i\big)$，$p_i=s_i/\sum_j s_j$；
# 条件数 $\kappa_2(P)=s_{\max}/s_{\min}$。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.attention import causal_mask, scaled_dot_product_attention
from snippets.attention.collapse import effective_rank, san_residuals, uniform_causal_attention

rng = np.random.default_rng(0)
n, dk = 64, 8


def attn_matrix(sigma, causal):
    """One random attention matrix whose logits have standard deviation about sigma."""
    Q, K = rng.standard_normal((n, dk)), rng.standard_normal((n, dk))
    mask = causal_mask(n) if causal else None
    _, P = scaled_dot_product_attention(sigma * Q, K, np.eye(n, dk), mask=mask)
    return P


# %% [markdown]
# ## 行列式论证本身成立 {#rank-nb-det}
#
# 因果 $P$ 是下三角阵、对角元为正，$\det P=\prod_i P_{ii}>0$。

# %%
P = attn_matrix(0.5, causal=True)
sign, logdet = np.linalg.slogdet(P)
assert sign == 1.0 and np.isclose(logdet, np.log(np.diag(P)).sum(), rtol=1e-6)
print(f"log det P = {logdet:.1f}: positive, but e^{logdet:.0f} is astronomically small")

# %% [markdown]
# ## 行列式小不等于病态 {#rank-nb-det-vs-cond}
#
# 所有 logits 相等时，因果注意力第 $i$ 行对前 $i$ 个 token 求平均：$P_{ij}=1/i$（$j\le i$）。
# 它的行列式是 $1/64!\approx e^{-205}$，却是一个条件很好的矩阵。行列式随尺度按 $c^n$ 变化
# （把矩阵乘 0.1，行列式就乘 $10^{-64}$），条件数不变，所以判断“是否接近奇异”要看条件数。

# %%
U = uniform_causal_attention(n)
sign_u, logdet_u = np.linalg.slogdet(U)
cond_u = np.linalg.cond(U)
print(f"uniform causal P, n = {n}: log det = {logdet_u:.1f}, condition number = {cond_u:.0f}")
assert sign_u == 1 and round(logdet_u) == -205
assert 150 < cond_u < 250
assert np.isclose(np.linalg.cond(0.1 * U), cond_u)
assert np.isclose(np.linalg.slogdet(0.1 * U)[1], logdet_u + n * np.log(0.1))

# %% [markdown]
# ## 满秩也可能数值上近奇异 {#rank-nb-conditioning}
#
# logits 很小时，双向 $P$ 接近均匀矩阵 $\tfrac1n\mathbf 1\mathbf 1^\top$（有效秩接近 1），因果 $P$ 仍保持三角结构，
# 条件数也印证这一点（双向约 $10^{9}$，因果约 200）。这正是“双向注意力容易低秩”的直觉。
# logits 变大后情况反过来：因果 $P$ 的条件数冲到 $10^{15}$ 以上，在浮点意义下已经奇异，而双向 $P$ 反倒条件较好。

# %%
scales = np.logspace(-2, 0.5, 11)
stats = {c: {"cond": [], "erank": []} for c in ("bidirectional", "causal")}
for sc in scales:
    for causal, name in [(False, "bidirectional"), (True, "causal")]:
        conds, eranks = [], []
        for _ in range(10):
            P = attn_matrix(sc, causal)
            conds.append(np.linalg.cond(P))
            eranks.append(effective_rank(P))
        stats[name]["cond"].append(np.median(conds))
        stats[name]["erank"].append(np.median(eranks))
bi, ca = stats["bidirectional"], stats["causal"]
for i in (0, 4, 8, 10):
    print(f"sigma = {scales[i]:.3f}: erank bi {bi['erank'][i]:5.1f} causal {ca['erank'][i]:5.1f}   "
          f"cond bi {bi['cond'][i]:.1e} causal {ca['cond'][i]:.1e}")

i1 = int(np.argmin(np.abs(scales - 1.0)))
assert bi["erank"][0] < 2 < 10 < ca["erank"][0]          # 小 logits：双向近似秩 1，因果不会
assert bi["cond"][0] > 1e8 and ca["cond"][0] < 1e3        # 同样看条件数
assert ca["cond"][-1] > 1e12 > bi["cond"][-1]             # 大 logits：因果数值上近奇异
assert ca["cond"][i1] > 1e12 and bi["cond"][i1] < 1e5     # logits 标准差为 1 时已经如此
assert np.linalg.matrix_rank(attn_matrix(3.0, causal=True)) < n

#| alt: 上下两幅图，横轴为 logits 尺度 σ（对数）：上图有效秩，σ 小时双向约为 1、因果约为 20；下图条件数（对数），σ 小时双向接近秩 1、条件数高达 1e9 而因果只有约 200，σ 增大后反过来，因果升到 1e17 以上、双向降到 1e4 左右
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
for name, st in stats.items():
    axes[0].plot(scales, st["erank"], "o-", label=name)
    axes[1].plot(scales, st["cond"], "o-", label=name)
axes[0].set_ylabel("effective rank")
axes[1].set_ylabel("condition number")
axes[1].set_yscale("log")
axes[1].set_xscale("log")
axes[1].set_xlabel("logit scale sigma")
axes[0].set_title(f"one attention matrix, n = {n}")
axes[0].legend()
plt.show()

# %% [markdown]
# ## 多层堆叠：因果注意力也会坍缩 {#rank-nb-depth}
#
# 与[秩坍缩 notebook](../attention/rank-collapse.py) 相同的设置（$n=32$、$d=16$、随机初始化、5 个种子取中位数），
# 度量相对 Frobenius 残差 $\|X-\mathbf 1\bar x^\top\|_F/\|X\|_F$。

# %%
X0s = [np.random.default_rng(100 + s).standard_normal((32, 16)) for s in range(5)]
variants = {}
for causal in (False, True):
    for variant in ("attn", "skip"):
        runs = [san_residuals(X0, 30, variant, causal, seed=s) for s, X0 in enumerate(X0s)]
        variants[(causal, variant)] = np.median(runs, axis=0)
res_bi, res_ca = variants[(False, "attn")][-1], variants[(True, "attn")][-1]
print(f"relative residual at depth 30: bidirectional {res_bi:.1e}, causal {res_ca:.1e}")
assert res_bi < 1e-10                      # 双向：坍缩到机器精度
assert res_ca < 1e-4 and res_ca > 100 * res_bi   # 因果：同样坍缩，只是更慢
assert min(variants[(False, "skip")][-1], variants[(True, "skip")][-1]) > 1e-2  # 有残差时不坍缩

#| alt: 对数纵轴：纯双向注意力几层内坍缩到 1e-16，纯因果注意力按固定比例下降到约 1e-8，带残差的两条虚线 30 层后仍在 0.3 左右
fig, ax = plt.subplots()
names = {(False, "attn"): "bidirectional", (True, "attn"): "causal",
         (False, "skip"): "bidirectional + skip", (True, "skip"): "causal + skip"}
for key, curve in variants.items():
    ax.plot(np.maximum(curve, 1e-17), label=names[key], ls="--" if key[1] == "skip" else "-")
ax.set_yscale("log")
ax.set_xlabel("depth L")
ax.set_ylabel("distance to rank 1")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 结论 {#rank-nb-conclusion}
#
# - 因果注意力矩阵确实满秩（$\det P=\prod_i P_{ii}>0$），但行列式大小不说明条件好坏：均匀的因果 $P$ 行列式约 $e^{-205}$，条件数却只有约 191；
# - logits 标准差到 1 左右时，随机的因果 $P$ 条件数已超过 $10^{12}$，数值上近奇异，“满秩 ⇒ 表达力更强”只是启发式；
# - logits 很小时双向 $P$ 的有效秩接近 1，这是支持 decoder-only 的直觉来源；
# - 堆叠纯注意力层时因果注意力同样收敛到秩 1，只是比双向慢；真正阻止坍缩的是残差连接。
