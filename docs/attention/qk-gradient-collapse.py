# %% [markdown]
# ---
# description: 用解析反向传播验证 token 表示坍缩为秩 1（X = 1xᵀ）时 W_Q、W_K 的梯度恰为 0 而 W_V 不为 0，并测量梯度随 token 相似度和网络深度的衰减。
# tags:
#   - 注意力
#   - 秩坍缩
#   - 梯度消失
#   - 动手验证
# ---
# # 秩坍缩为什么让 W_Q、W_K 的梯度消失
#
# 对应问题：[注意力的秩坍缩与熵坍缩](collapse.md#rank-collapse-kills-qk-gradients)
#
# ## 实验设置 {#setup}
#
# 单头自注意力 $O=\operatorname{softmax}(XW_Q(XW_K)^\top/\sqrt d)\,XW_V$，损失 $L=\langle R,O\rangle$（R 随机，
# 相当于任意上游梯度 $\partial L/\partial O=R$）。梯度用 `self_attention_grads` 的解析反向传播计算，先用有限差分核对。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.attention import self_attention, self_attention_grads
from snippets.attention.collapse import layer_norm, san_forward

rng = np.random.default_rng(0)
n, d = 16, 8
Wq, Wk, Wv = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))
R = rng.standard_normal((n, d))


def grads(X):
    _, cache = self_attention(X, Wq, Wk, Wv)
    return self_attention_grads(R, cache, Wq, Wk, Wv)


# finite-difference check of the analytic backward on a random input
Z = rng.standard_normal((n, d))
dWq = grads(Z)[0]
h, (i, j) = 1e-6, (2, 5)
E = np.zeros((d, d))
E[i, j] = h
Lp = np.sum(R * self_attention(Z, Wq + E, Wk, Wv)[0])
Lm = np.sum(R * self_attention(Z, Wq - E, Wk, Wv)[0])
assert abs((Lp - Lm) / (2 * h) - dWq[i, j]) < 1e-6

# %% [markdown]
# ## 完全坍缩的输入 {#collapsed-input}

# %%
x = rng.standard_normal(d)
X_col = np.ones((n, 1)) * x[None, :]          # X = 1 x^T
g_col = grads(X_col)
g_rnd = grads(Z)
names = ["dL/dW_Q", "dL/dW_K", "dL/dW_V"]
for nm, a, b in zip(names, g_col, g_rnd):
    print(f"{nm}:  max|.| collapsed X = {np.abs(a).max():.1e}   random X = {np.abs(b).max():.2f}")

_, cache = self_attention(X_col, Wq, Wk, Wv)
assert np.allclose(cache[-1], 1 / n)                     # attention is exactly uniform
assert np.abs(g_col[0]).max() < 1e-12 and np.abs(g_col[1]).max() < 1e-12
assert np.abs(g_col[2]).max() > 1e-2                     # W_V still receives gradient
assert min(np.abs(g).max() for g in g_rnd[:3]) > 1e-2

# Uniform attention by itself is NOT enough: with W_Q = 0 every row is uniform, but the tokens
# still differ, and dL/dW_Q stays non-zero. It is the collapsed X that forces X^T G X = 0.
_, cache0 = self_attention(Z, np.zeros((d, d)), Wk, Wv)
assert np.allclose(cache0[-1], 1 / n)
g_unif = self_attention_grads(R, cache0, np.zeros((d, d)), Wk, Wv)
print(f"uniform attention, random X: max|dL/dW_Q| = {np.abs(g_unif[0]).max():.2f}")
assert np.abs(g_unif[0]).max() > 1e-2

# %% [markdown]
# ## 从随机到坍缩：α 扫描 {#alpha-sweep}
#
# 令 $X_\alpha=(1-\alpha)\mathbf 1x^\top+\alpha Z$，α 从 1（随机 token）扫到 $10^{-6}$（几乎完全相同）。
# 推导预测：W_V 的梯度保持 O(1)，W_Q、W_K 的梯度按 $\alpha^2$ 衰减（$G=\partial L/\partial S$ 与 $X^\top G X$ 各贡献一个 α）。

# %%
alphas = np.logspace(-6, 0, 25)
norms = np.array([[np.linalg.norm(g) for g in grads((1 - a) * X_col + a * Z)[:3]] for a in alphas])
small = alphas < 1e-2
slopes = [np.polyfit(np.log(alphas[small]), np.log(norms[small, k]), 1)[0] for k in range(3)]
print("fitted log-log slopes (alpha < 1e-2):  W_Q %.3f  W_K %.3f  W_V %.3f" % tuple(slopes))
assert abs(slopes[0] - 2) < 0.1 and abs(slopes[1] - 2) < 0.1
assert abs(slopes[2]) < 0.1

#| alt: 双对数坐标下，随 α 从 1 减到 1e-6（token 越来越相同），W_Q 与 W_K 的梯度范数沿斜率 2 的直线下降约 12 个数量级，W_V 的梯度范数保持水平
fig, ax = plt.subplots()
for k, (nm, st) in enumerate(zip(["W_Q", "W_K", "W_V"], ["o-", "s--", "^-"])):
    ax.loglog(alphas, norms[:, k], st, ms=3, label=f"grad of {nm}")
ax.loglog(alphas, norms[-1, 0] * alphas**2, "k:", lw=1, label="slope 2")
ax.set_xlabel("alpha (0 = identical tokens)")
ax.set_ylabel("||gradient||_F")
ax.legend()
plt.show()

# %% [markdown]
# ## 随深度的变化 {#depth}
#
# 把随机输入送过 L 层随机初始化的纯注意力网络（或带残差的网络），在第 L 层的输出上再接一层新的注意力，
# 测量这一层 $\|\partial L/\partial W_Q\|_F/\|\partial L/\partial W_V\|_F$。纯注意力网络里 token 迅速对齐，比值随之消失。

# %%
depth_max = 8
depths = np.arange(depth_max + 1)
ratio = {}
for variant in ("attn", "skip"):
    vals = []
    for XL in san_forward(Z, depth_max, variant, seed=1):
        XL = XL / np.linalg.norm(XL) * np.linalg.norm(Z)     # compare at equal overall scale
        if variant == "skip":
            XL = layer_norm(XL)                               # Pre-LN: the layer sees LN(X)
        gq, _, gv, _ = grads(XL)
        vals.append(np.linalg.norm(gq) / np.linalg.norm(gv))
    ratio[variant] = np.array(vals)
print("||dW_Q|| / ||dW_V|| vs depth, pure attention:", np.array2string(ratio["attn"], precision=2))
print("||dW_Q|| / ||dW_V|| vs depth, with skip     :", np.array2string(ratio["skip"], precision=2))
assert ratio["attn"][-1] < 1e-6 * ratio["attn"][0]
assert ratio["skip"][-1] > 0.1 * ratio["skip"][0]

#| alt: 对数纵轴：纯注意力网络下方每多一层，新一层 W_Q 与 W_V 的梯度之比迅速下降，3 层后低于 1e-12、5 层起恰为 0（画在 1e-20）；带残差时比值一直在 0.3 到 0.8 之间
fig, ax = plt.subplots()
ax.semilogy(depths, np.maximum(ratio["attn"], 1e-20), "o-", label="pure attention (0 drawn at 1e-20)")
ax.semilogy(depths, ratio["skip"], "s-", label="with skip (Pre-LN)")
ax.set_xlabel("layers below the measured one")
ax.set_ylabel("grad W_Q / grad W_V")
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 输入完全坍缩（$X=\mathbf 1x^\top$）时注意力恰为均匀分布，$\partial L/\partial W_Q=\partial L/\partial W_K=0$
#   （数值上恰为 0 或 1e-16 量级），$\partial L/\partial W_V$ 不为 0：模型只能学“平均后的值”，学不会“看哪里”。
# - 只有注意力均匀并不够：$W_Q=0$ 时注意力同样均匀，但 token 各不相同，$\partial L/\partial W_Q$ 仍不为 0。
# - token 越接近对齐，Q/K 梯度按 $\alpha^2$ 衰减；纯注意力网络越深，token 越对齐，Q/K 梯度相对 V 梯度越小。
#   这就是 Noci et al. (2022) 所说“秩坍缩导致初始化时 Q/K 梯度消失”，残差连接能保住它。
