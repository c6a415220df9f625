# %% [markdown]
# ---
# description: 检验“因果注意力矩阵必然满秩所以表达力更强”的论证：行列式确实为正，但数值上常常病态；堆叠多层纯注意力时因果注意力同样坍缩到秩 1，只是更慢。
# tags:
#   - Decoder-only
#   - 秩坍缩
#   - 注意力
#   - 动手验证
# ---
# # 因果注意力的“满秩”与秩坍缩
#
# 对应问题：[为什么现在的大模型大多是 Decoder-only？](decoder-only.md#why-decoder-only)
#
# ## 实验设置 {#rank-nb-setup}
#
# 注意力矩阵 $P=\mathrm{softmax}(QK^\top/\sqrt{d_k}\cdot\sigma+M)$，$n=64$、$d_k=8$；$\sigma$ 控制 logits 的尺度，
# $M$ 是因果掩码（双向时为 0）。有效秩用奇异值分布的熵：$\operatorname{erank}(P)=\exp\big(-\sum_i p_i\log p_i\big)$，$p_i=s_i/\sum_j s_j$。

# %%
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)


def softmax(S):
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


def attn_matrix(X_q, X_k, causal):
    n, dk = X_q.shape
    S = X_q @ X_k.T / np.sqrt(dk)
    if causal:
        S = S + np.triu(np.full((n, n), -np.inf), 1)
    return softmax(S)


def erank(P):
    s = np.linalg.svd(P, compute_uv=False)
    p = s / s.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


n, dk = 64, 8

# %% [markdown]
# ## 行列式论证本身成立 {#rank-nb-det}
#
# 因果 $P$ 是下三角阵、对角元为正，$\det P=\prod_i P_{ii}>0$。

# %%
Q, K = rng.standard_normal((n, dk)), rng.standard_normal((n, dk))
P = attn_matrix(0.5 * Q, K, causal=True)
sign, logdet = np.linalg.slogdet(P)
assert sign == 1.0 and np.isclose(logdet, np.log(np.diag(P)).sum(), rtol=1e-6)
print(f"log det P = {logdet:.1f}  (det = e^{logdet:.0f}: positive but astronomically small)")

# %% [markdown]
# ## 但“满秩”不等于“条件好” {#rank-nb-conditioning}
#
# logits 很小时，双向 $P$ 接近均匀矩阵 $\tfrac1n\mathbf 1\mathbf 1^\top$（有效秩接近 1），因果 $P$ 仍保持三角结构，
# 这正是“双向注意力容易低秩”的直觉；logits 变大后情况反过来：因果 $P$ 的条件数冲到 $10^{15}$ 以上，
# 在浮点意义下已经奇异，而双向 $P$ 反倒条件较好。

# %%
scales = np.logspace(-2, 0.5, 11)
stats = {c: {"cond": [], "erank": []} for c in ("bidirectional", "causal")}
for sc in scales:
    for causal, name in [(False, "bidirectional"), (True, "causal")]:
        conds, eranks = [], []
        for _ in range(10):
            Q, K = rng.standard_normal((n, dk)), rng.standard_normal((n, dk))
            P = attn_matrix(sc * Q, K, causal)
            conds.append(np.linalg.cond(P))
            eranks.append(erank(P))
        stats[name]["cond"].append(np.median(conds))
        stats[name]["erank"].append(np.median(eranks))

bi, ca = stats["bidirectional"], stats["causal"]
assert bi["erank"][0] < 2 < 10 < ca["erank"][0]          # 小 logits：双向近似秩 1，因果不会
assert ca["cond"][-1] > 1e12 > bi["cond"][-1]             # 大 logits：因果数值上近奇异
Q, K = rng.standard_normal((n, dk)), rng.standard_normal((n, dk))
assert np.linalg.matrix_rank(attn_matrix(3 * Q, K, causal=True)) < n

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, st in stats.items():
    axes[0].plot(scales, st["erank"], "o-", label=name)
    axes[1].plot(scales, st["cond"], "o-", label=name)
axes[0].set_ylabel("effective rank of P")
axes[1].set_ylabel("condition number of P")
axes[1].set_yscale("log")
for ax in axes:
    ax.set_xscale("log")
    ax.set_xlabel("logit scale sigma")
    ax.legend()
fig.suptitle(f"Single attention matrix, n = {n}, d_k = {dk}")
plt.show()

# %% [markdown]
# ## 多层堆叠：因果注意力也会坍缩 {#rank-nb-depth}
#
# 纯注意力层 $X\leftarrow P(X)\,XW_V$（无残差、无 MLP），测相对残差 $\|X-\mathbf 1\bar x^\top\|_F/\|X\|_F$。
# 每层后把 $X$ 整体缩放回固定范数（不影响相对残差，只保持 logits 尺度）。残差分支系数取 0.5。

# %%
def depth_run(causal, skip, seed, n=32, d=16, L=30):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n, d))
    out = []
    for _ in range(L + 1):
        out.append(np.linalg.norm(X - X.mean(axis=0)) / np.linalg.norm(X))
        W_Q, W_K, W_V = (r.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))
        Y = 0.5 * attn_matrix(X @ W_Q, X @ W_K, causal) @ X @ W_V
        X = X + Y if skip else Y
        X = X / np.linalg.norm(X) * np.sqrt(n * d)
    return np.array(out)


variants = {(c, s): np.median([depth_run(c, s, seed) for seed in range(5)], axis=0)
            for c in (False, True) for s in (False, True)}
res_bi, res_ca = variants[(False, False)][-1], variants[(True, False)][-1]
print(f"relative residual at depth 30: bidirectional {res_bi:.1e}, causal {res_ca:.1e}")
assert res_bi < 1e-10                      # 双向：坍缩到机器精度
assert res_ca < 1e-4 and res_ca > 100 * res_bi   # 因果：同样坍缩，只是更慢
assert min(variants[(False, True)][-1], variants[(True, True)][-1]) > 1e-2  # 有残差时不坍缩

fig, ax = plt.subplots(figsize=(7, 3.8))
names = {(False, False): "bidirectional", (True, False): "causal",
         (False, True): "bidirectional + skip", (True, True): "causal + skip"}
for key, curve in variants.items():
    ax.plot(np.maximum(curve, 1e-17), label=names[key], ls="--" if key[1] else "-")
ax.set_yscale("log")
ax.set_xlabel("depth (pure attention layers)")
ax.set_ylabel("relative distance to rank 1")
ax.set_title("Rank collapse with depth, median of 5 seeds")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 结论 {#rank-nb-conclusion}
#
# - 因果注意力矩阵确实满秩（$\det P=\prod_i P_{ii}>0$），但数值上可能极度病态，“满秩 ⇒ 表达力更强”只是启发式；
# - logits 很小时双向 $P$ 的有效秩接近 1，这是支持 decoder-only 的直觉来源；
# - 堆叠纯注意力层时因果注意力同样收敛到秩 1，只是比双向慢；真正阻止坍缩的是残差连接（与 MLP）。
