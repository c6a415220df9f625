# %% [markdown]
# ---
# description: 用 numpy 验证三元组损失的 hinge 行为，以及批内负样本 InfoNCE 等于以对角线为目标的交叉熵，并画出 B×B 相似度矩阵。
# tags:
#   - 对比学习
#   - 三元组损失
#   - 批内负样本
#   - DPR
#   - 动手验证
# ---
# # 三元组损失与批内负样本（in-batch negatives）
#
# 对应问题：[排序/度量学习常用哪些基于相似度的损失？](contrastive.md#ranking-losses)，
# 以及 [DPR 的训练方式](embedding.md#dpr)
#
# 验证：
#
# 1. 三元组损失 $\max(0, d_{ap}^2-d_{an}^2+\alpha)$：差为 $-4$、$\alpha=3$ 时损失为 0，差为 $-2$ 时损失为 1；
# 2. 一个 batch 的 $B$ 对 (query, positive) 组成 $B\times B$ 相似度矩阵，批内 InfoNCE 等于逐行“正样本 + 其余 $B-1$ 个负样本”的 InfoNCE 的平均，也就是以对角线为目标的交叉熵；
# 3. 编码器什么都没学到（相似度全相等）时损失等于 $\log B$，这也是 InfoNCE 互信息下界 $I\ge\log B-L$ 里 $\log B$ 的来源。
#
# ## 三元组损失 {#triplet-checks}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.retrieval.losses import cross_entropy, in_batch_infonce, infonce, triplet_loss

rng = np.random.default_rng(0)


def triplet_from_gap(gap, alpha):
    """构造 d_ap^2 = 1、d_an^2 = 1 - gap 的三元组，返回损失。"""
    a = np.zeros((1, 2))
    p = np.array([[1.0, 0.0]])
    n = np.array([[0.0, np.sqrt(1.0 - gap)]])
    return triplet_loss(a, p, n, margin=alpha)


assert np.isclose(triplet_from_gap(-4.0, 3.0), 0.0)   # 已满足间隔要求，不参与优化
assert np.isclose(triplet_from_gap(-2.0, 3.0), 1.0)   # 差 1 才满足间隔
gaps = np.linspace(-6, 1, 200)
losses = [triplet_from_gap(g, 3.0) for g in gaps]
assert np.allclose(losses, np.maximum(0, gaps + 3.0))

fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(gaps, losses, label="max(0, d_ap^2 - d_an^2 + alpha), alpha=3")
ax.scatter([-4, -2], [0, 1], color="C3", zorder=3, label="examples: gap -4 -> 0, gap -2 -> 1")
ax.set_xlabel("d_ap^2 - d_an^2")
ax.set_ylabel("triplet loss")
ax.set_title("Triplet loss is a hinge on the distance gap")
ax.legend()
plt.show()

# %% [markdown]
# ## 批内负样本：B×B 相似度矩阵 {#in-batch-matrix}
#
# 造一个“半训练好”的编码器：正样本 = 查询 + 噪声，全部 L2 归一化。

# %%
B, d, tau = 16, 32, 0.05


def normalize(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


q = normalize(rng.normal(size=(B, d)))
p = normalize(q + 0.3 * rng.normal(size=(B, d)))
S = q @ p.T                                   # 余弦相似度

rowwise = np.mean([infonce(S[i, i], np.delete(S[i], i), tau) for i in range(B)])
as_ce = cross_entropy(S / tau, np.arange(B)).mean()
assert np.isclose(in_batch_infonce(q, p, tau), rowwise)
assert np.isclose(in_batch_infonce(q, p, tau), as_ce)
top1 = np.mean(np.argmax(S, axis=1) == np.arange(B))
assert top1 >= 0.8                              # 这个编码器大多能把正样本排在第一
print(f"in-batch InfoNCE = {rowwise:.4f} (== CE with diagonal targets), log B = {np.log(B):.4f}, top-1 = {top1:.2f}")

fig, ax = plt.subplots(figsize=(5, 4.4))
im = ax.imshow(S, cmap="viridis")
ax.set_xlabel("passage j in the batch")
ax.set_ylabel("query i in the batch")
ax.set_title("Cosine similarity q_i . p_j: diagonal = positives")
fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# ## 损失随 batch 大小的变化 {#loss-vs-batch}
#
# 随机（未训练）编码器的损失贴着 $\log B$；对齐良好的编码器远低于 $\log B$。
# batch 越大，每个查询见到的负样本越多，任务越难，这是 DPR、SimCLR、CLIP 都偏爱大 batch 的原因。

# %%
Bs = np.array([2, 4, 8, 16, 32, 64, 128, 256])
rand_loss, good_loss = [], []
for b in Bs:
    qb = normalize(rng.normal(size=(b, 64)))
    rand_loss.append(in_batch_infonce(qb, normalize(rng.normal(size=(b, 64))), tau=1.0))
    good_loss.append(in_batch_infonce(qb, normalize(qb + 1.5 * rng.normal(size=(b, 64)) / 8), tau=0.05))
rand_loss, good_loss = np.array(rand_loss), np.array(good_loss)

const = normalize(np.ones((32, 4)))
assert np.isclose(in_batch_infonce(const, const, tau=0.1), np.log(32))   # 相似度全相等 -> log B
assert np.all(np.abs(rand_loss - np.log(Bs)) < 0.2)
assert np.all(good_loss < np.log(Bs))

fig, ax = plt.subplots(figsize=(6.4, 3.8))
ax.semilogx(Bs, np.log(Bs), "k--", label="log B")
ax.semilogx(Bs, rand_loss, "o-", label="random encoder (tau=1)")
ax.semilogx(Bs, good_loss, "s-", label="aligned encoder (tau=0.05)")
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size B (log scale)")
ax.set_ylabel("in-batch InfoNCE")
ax.set_title("In-batch InfoNCE vs batch size")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#in-batch-conclusion}
#
# - 三元组损失只在“负样本没有比正样本远出 $\alpha$”时产生梯度，例如 $-4+3<0\Rightarrow0$。
# - 批内负样本把一个 batch 的 $B$ 个正样本互相当负样本用，损失就是 $B\times B$ 相似度矩阵按行、以对角线为目标的交叉熵，不需要额外编码负样本。
# - 无信息时损失为 $\log B$；若同一 batch 中有重复或语义相同的段落，它们会成为“假负例”，需要去重或屏蔽。
