# %% [markdown]
# ---
# description: 把注意力 logits 的谱范数 σ 从 0 调大，测量 softmax(X W Xᵀ) 的平均行熵如何从 log n 坍缩到接近 0，并与 σReparam 论文的熵下界对照。
# tags:
#   - 注意力
#   - 熵坍缩
#   - entropy collapse
#   - σReparam
#   - 动手验证
# ---
# # 注意力熵坍缩：熵随 logits 谱范数的变化
#
# 对应问题：[注意力的秩坍缩与熵坍缩](collapse.md#attention-entropy-collapse)
#
# ## 实验设置 {#setup}
#
# 取 n = 64 个 token、维度 d = 32 的输入 X（每行归一化为单位长度），随机矩阵 W0 归一化到谱范数 1，
# 令 $W=\sigma W_0/\|W_0\|_2$，注意力 $A=\operatorname{softmax}(XWX^\top)$（按行）。
# 注意力熵按 Zhai et al. (2023) 的定义取各行熵的平均。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.attention import causal_mask, mean_attention_entropy, row_entropy, softmax
from snippets.attention.collapse import entropy_lower_bound

rng = np.random.default_rng(0)
n, d = 64, 32
X = rng.standard_normal((n, d))
X /= np.linalg.norm(X, axis=1, keepdims=True)
W0 = rng.standard_normal((d, d))
W0 /= np.linalg.norm(W0, 2)
sigma_x = np.linalg.norm(X @ X.T, 2)
mask = causal_mask(n)


def attention(sigma, causal=False):
    S = X @ (sigma * W0) @ X.T
    if causal:
        S = np.where(mask, S, -np.inf)
    return softmax(S, axis=-1)


sigmas = np.linspace(0, 100, 201)
H_bi = np.array([mean_attention_entropy(attention(s)) for s in sigmas])
H_ca = np.array([mean_attention_entropy(attention(s, causal=True)) for s in sigmas])
H_min_row = np.array([row_entropy(attention(s)).min() for s in sigmas])
bound = entropy_lower_bound(sigmas * sigma_x, n)   # r = ||W||_2 ||X X^T||_2 bounds every logit row
print(f"sigma_x = ||X X^T||_2 = {sigma_x:.2f};  log n = {np.log(n):.4f}")
for s in (0, 1, 5, 10, 20, 50, 100):
    i = int(np.argmin(np.abs(sigmas - s)))
    print(f"sigma={s:3d}  H_bidirectional={H_bi[i]:.4f}  H_causal={H_ca[i]:.4f}  bound={bound[i]:.2e}")

# %% [markdown]
# ## 断言 {#checks}

# %%
H = dict(zip(np.round(sigmas, 6), H_bi))
assert np.isclose(H[0.0], np.log(n), atol=1e-12)               # sigma = 0: uniform attention
assert np.isclose(H_ca[0], np.mean(np.log(np.arange(1, n + 1))))  # causal row i is uniform over i keys
assert np.all(np.diff(H_bi) <= 1e-12) and np.all(np.diff(H_ca) <= 1e-12)  # monotone in sigma
assert H[20.0] < H[1.0]
assert H[100.0] < 0.25 * np.log(n)                             # near-collapse at large sigma
assert np.all(H_min_row >= bound - 1e-12)                       # the Zhai et al. bound holds row-wise

# %%
#| alt: 横轴为谱范数 σ（0 到 100），平均行熵从 log 64 ≈ 4.16 单调下降到 1 以下，双向与因果两条曲线走势相同，最小行熵更低，灰色虚线是论文的最坏情况下界，始终在实测曲线之下
fig, ax = plt.subplots(figsize=(4.8, 3.6))
ax.plot(sigmas, H_bi, label="mean, bidirectional")
ax.plot(sigmas, H_ca, label="mean, causal")
ax.plot(sigmas, H_min_row, ":", label="min row, bidirectional")
ax.plot(sigmas, bound, "--", color="gray", label="lower bound (Zhai 2023)")
ax.axhline(np.log(n), color="k", lw=0.8)
ax.text(sigmas[-1], np.log(n), "log n", ha="right", va="bottom")
ax.set_ylim(0, 5.2)
ax.set_xlabel("sigma = ||W||_2")
ax.set_ylabel("row entropy (nats)")
ax.legend(loc="upper right", bbox_to_anchor=(1, 0.78))
plt.show()

# %% [markdown]
# ## 注意力矩阵长什么样 {#heatmaps}

# %%
#| alt: 三幅 64×64 注意力矩阵热图：σ=1 时几乎均匀（平均熵约 4.1），σ=20 时每行集中在少数 key，σ=100 时多数行只剩一个亮点，接近 one-hot
fig, axes = plt.subplots(1, 3, figsize=(4.8, 2.3), sharey=True)
for ax, s in zip(axes, (1, 20, 100)):
    A = attention(s)
    im = ax.imshow(A, cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"sigma={s}\nH={mean_attention_entropy(A):.2f}")
    ax.set_xticks([0, 63])
    ax.set_yticks([0, 63])
    ax.grid(False)
axes[1].set_xlabel("key j")
axes[0].set_ylabel("query i")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - σ = 0 时每行都是均匀分布，平均熵恰为 log n；σ 增大时熵单调下降（对单行有
#   $\frac{d}{d\beta}H(\operatorname{softmax}(\beta z))=-\beta\operatorname{Var}_p(z)\le0$），σ = 100 时大部分行已接近 one-hot。
# - 因果掩码不改变这一趋势：熵坍缩并不是 causal attention 特有的现象。
# - 论文的下界是最坏情况下的界，数值上远低于实测熵，但它说明只要 logits 的谱范数 σ·σ_x 受控，熵就不可能坍缩到 0，
#   这正是 σReparam 控制权重谱范数的出发点。
