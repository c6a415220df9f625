# %% [markdown]
# ---
# description: 验证单个注意力头的打分矩阵 QKᵀ 秩不超过头维 d_h，一个“软”的通用注意力模式在 d_h < n 时无法精确表达、近似误差随 d_h 下降，而“看自己”这类尖锐模式用很小的头维就能表达。
# tags:
#   - 注意力
#   - 多头注意力
#   - 低秩瓶颈
#   - 动手验证
# ---
# # 动手验证：注意力头的低秩瓶颈
#
# 对应问题：[什么是低秩瓶颈？](mha.md#low-rank-bottleneck)
#
# ## 打分矩阵的秩不超过 d_h {#logit-rank}
#
# n = 64 个 token，q、k 各为 d_h 维。QKᵀ 是 (n × d_h)(d_h × n)，秩 ≤ min(n, d_h)。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.mha import best_low_rank_attention, masked_softmax

rng = np.random.default_rng(0)
n = 64
for d_h in (4, 8, 16, 32, 64, 128):
    q, k = rng.normal(size=(n, d_h)), rng.normal(size=(n, d_h))
    r = np.linalg.matrix_rank(q @ k.T)
    print(f"d_h = {d_h:3d}: rank(Q K^T) = {r}")
    assert r == min(n, d_h)

# %% [markdown]
# ## 软的目标模式：d_h < n 时表达不了 {#soft-target}
#
# 目标注意力 P = softmax(Z)，Z 的元素独立取自 N(0, 2²)。softmax 对每行加常数不变，
# 所以能表达 P 的 logits 只有 log P + c·1ᵀ 这一族；按行中心化后的 log P 秩为 n − 1 = 63，
# 任何秩不超过 d_h 的 logits 都精确表达不了它（差一个行平移最多降 1 个秩）。
# 截断 SVD 给出秩 r 的中心化 logits（在 logits 的最小二乘意义下最佳），误差用每行的总变差距离（最大的一行）衡量；
# 它不是 softmax 之后的最优解，所以误差曲线只是大体单调。

# %%
P = masked_softmax(rng.normal(size=(n, n)) * 2.0)
S = np.log(P)
S_c = S - S.mean(axis=1, keepdims=True)
assert np.linalg.matrix_rank(S_c) == n - 1
ranks = np.arange(1, n)
tv = np.array([best_low_rank_attention(P, r)[1] for r in ranks])
for r in (1, 4, 8, 16, 32, 63):
    print(f"rank {r:2d}: worst-row total variation {tv[r - 1]:.3f}")
assert tv[-1] < 1e-10                        # rank n - 1 is enough
assert tv[7] > 0.5                           # d_h = 8 (h = 8 heads of a 64-wide model) is far off
assert tv[0] > tv[7] > tv[15] > tv[31] > tv[-1]
# the logits' least-squares residual falls monotonically (Eckart-Young); the TV of the softmax only roughly
sv = np.linalg.svd(S_c, compute_uv=False)
resid = np.sqrt(np.cumsum((sv ** 2)[::-1])[::-1])[1:]      # residual after keeping r = 1 .. n-1 directions
assert np.all(np.diff(resid) < 0)

# %% [markdown]
# ## 尖锐的模式：很小的头维就够 {#sharp-target}
#
# 低秩瓶颈说的是“任意”注意力矩阵。像“每个 token 只看自己”这样近似 one-hot 的模式，
# 靠 softmax 的指数放大，用 8 维的随机单位向量乘一个大尺度 β 就能表达：对角分数是 β，非对角是 β 乘一个约 ±1/√d_h 的余弦，差距随 β 放大。

# %%
d_h = 8
U = rng.normal(size=(n, d_h))
U /= np.linalg.norm(U, axis=1, keepdims=True)
for beta in (1.0, 10.0, 40.0):
    A = masked_softmax(beta * U @ U.T)
    print(f"beta = {beta:4.0f}: rank {np.linalg.matrix_rank(U @ U.T)}, mean self-weight {np.mean(np.diag(A)):.3f}")
A = masked_softmax(40.0 * U @ U.T)
assert np.all(np.argmax(A, axis=1) == np.arange(n)) and np.mean(np.diag(A)) > 0.9

#| alt: 横轴是 logits 的秩 r（1 到 63），纵轴是最差一行的总变差距离（0 到 1）：误差从接近 1 逐渐下降，到 r = 63 时为 0；竖虚线标出 d_h = 8（64 维模型分 8 个头）时误差仍约 0.74
fig, ax = plt.subplots()
ax.plot(ranks, tv, "o-", ms=3)
ax.axvline(8, color="gray", ls="--", lw=1)
ax.text(9.5, 0.8, "d_h = 8", fontsize=10)
ax.set_xlabel("rank of the logits (head dim d_h)")
ax.set_ylabel("worst-row total variation")
ax.set_title(f"best rank-r fit of a random {n}x{n} attention")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 单头打分矩阵 QKᵀ 的秩恰好是 min(n, d_h)：d_h < n 时一个头只能产生低秩 logits。
# - 一般的“软”注意力模式需要秩 n − 1 的 logits，头维越小近似越差；这就是 Bhojanapalli et al.（2020）说的低秩瓶颈。
# - 尖锐的、近似 one-hot 的模式不受这个限制：指数放大让 8 维的头也能只看自己。
