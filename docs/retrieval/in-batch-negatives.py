# %% [markdown]
# ---
# description: 用 numpy 验证三元组损失的 hinge 行为、批内负样本 InfoNCE 等于以对角线为目标的交叉熵，以及 logQ 校正消除批内负采样对热门样本的过度打压。
# tags:
#   - 对比学习
#   - 三元组损失
#   - 批内负样本
#   - DPR
#   - logQ
#   - 动手验证
# ---
# # 三元组损失与批内负样本（in-batch negatives）
#
# 对应问题：[排序/度量学习常用哪些基于相似度的损失？](contrastive.md#ranking-losses)，
# [DPR 的训练方式](embedding.md#dpr)，以及 [批内负样本为什么要做 logQ 校正？](embedding.md#logq-correction)
#
# 验证（$d_{ap}=\|f(a)-f(p)\|_2$、$d_{an}=\|f(a)-f(n)\|_2$ 是欧氏距离，FaceNet 形式用它们的平方）：
#
# 1. 三元组损失 $\max(0, d_{ap}^2-d_{an}^2+\alpha)$：差为 −4、α = 3 时损失为 0，差为 −2 时损失为 1；
# 2. 一个 batch 的 B 对 (query, positive) 组成 B×B 相似度矩阵，批内 InfoNCE 等于逐行“正样本 + 其余 B − 1 个负样本”的 InfoNCE 的平均，也就是以对角线为目标的交叉熵；
# 3. 编码器什么都没学到（相似度全相等）时损失等于 log B，这也是 InfoNCE 互信息下界 I ≥ log B − L 里 log B 的来源；
# 4. 批内负样本按流行度被采到，热门样本被当作负样本的次数远多于全量 softmax 的要求；logQ 校正把它拉回来。
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

#| alt: 折线图：横轴是距离差 d_ap² − d_an²，纵轴是 α = 3 的三元组损失；差小于 −3 时损失为 0，之后线性上升，两个标出的例子是差 −4 对应损失 0、差 −2 对应损失 1。
fig, ax = plt.subplots()
ax.plot(gaps, losses, label="alpha = 3")
ax.scatter([-4, -2], [0, 1], color="C1", zorder=3, label="gap -4 -> 0, gap -2 -> 1")
ax.set_xlabel("d_ap^2 - d_an^2")
ax.set_ylabel("triplet loss")
ax.set_title("A hinge on the distance gap")
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

#| alt: 16×16 的热力图：行是 batch 里的查询 i，列是段落 j，颜色是余弦相似度；对角线（配对的正样本）明显最亮，其余格子是批内负样本。
fig, ax = plt.subplots(figsize=(4.8, 4.0))
im = ax.imshow(S, cmap="viridis")
ax.set_xlabel("passage j")
ax.set_ylabel("query i")
ax.set_title("q_i . p_j: diagonal = positives")
ax.grid(False)
fig.colorbar(im, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# ## 损失随 batch 大小的变化 {#loss-vs-batch}
#
# 随机（未训练）编码器的损失贴着 log B；对齐良好的编码器远低于 log B。
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

#| alt: 折线图：横轴是 batch 大小 B（以 2 为底的对数刻度），纵轴是批内 InfoNCE；随机编码器的损失贴着虚线 log B，对齐良好的编码器远低于它。
fig, ax = plt.subplots()
ax.semilogx(Bs, np.log(Bs), "k--", label="log B")
ax.semilogx(Bs, rand_loss, "o-", label="random encoder")
ax.semilogx(Bs, good_loss, "s-", label="aligned encoder")
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size B")
ax.set_ylabel("in-batch InfoNCE")
ax.set_title("Loss vs batch size")
ax.legend()
plt.show()

# %% [markdown]
# ## logQ 校正：热门样本不再被过度打压 {#logq-demo}
#
# 语料有 N = 200 个候选，流行度服从 Zipf 分布 $Q_j\propto j^{-1.1}$；batch 里的 m = 64 个负样本按 Q 有放回地采样
# （批内负样本就是这样：别人的正样本越热门，越常出现在你的 batch 里）。为看清偏差，令查询对所有候选的得分都相同，
# 此时全量 softmax 给每个候选的梯度份额都是 1/N。统计每个候选在采样 softmax 里拿到的期望梯度份额，乘以 N 后与 1 比较：
# 不校正时份额正比于 Q_j，最热门的候选被推开的力度是全量 softmax 的几十倍；logit 减去 log Q_j 后回到 1 附近。

# %%
N_items, m, trials = 200, 64, 4000
Q = 1 / np.arange(1, N_items + 1) ** 1.1
Q /= Q.sum()
share = {"no correction": np.zeros(N_items), "logQ correction": np.zeros(N_items)}
for _ in range(trials):
    idx = rng.choice(N_items, size=m, p=Q)
    for name, logits in (("no correction", np.zeros(m)), ("logQ correction", -np.log(Q[idx]))):
        w = np.exp(logits - logits.max())
        np.add.at(share[name], idx, w / w.sum())
for name in share:
    share[name] = share[name] / trials * N_items      # expected share x N: full softmax gives exactly 1

ranks = np.arange(1, N_items + 1)
#| alt: 双对数坐标的折线图：横轴是候选的流行度排名，纵轴是期望梯度份额乘以 N；不做校正时热门候选的份额远高于 1、冷门候选远低于 1，logQ 校正后整条线贴着代表全量 softmax 的水平线 1。
fig, ax = plt.subplots()
ax.loglog(ranks, share["no correction"], label="no correction")
ax.loglog(ranks, share["logQ correction"], label="logQ correction")
ax.axhline(1, color="gray", ls="--", label="full softmax")
ax.set_xlabel("popularity rank of item j")
ax.set_ylabel("gradient share x N")
ax.set_title("In-batch negatives over-push popular items")
ax.legend()
plt.show()

assert share["no correction"][0] > 20                        # the most popular item: pushed > 20x too hard
assert share["no correction"][-1] < 0.2                      # the rarest: almost never a negative
assert np.allclose(share["no correction"][:50], N_items * Q[:50], rtol=0.1)    # uncorrected share = N * Q_j
assert np.max(np.abs(np.log(share["logQ correction"]))) < 0.25   # corrected: every item within ~25% of the full softmax
print(f"most popular item: {share['no correction'][0]:.1f}x without, {share['logQ correction'][0]:.2f}x with logQ")

# %% [markdown]
# ## 结论 {#in-batch-conclusion}
#
# - 三元组损失只在“负样本没有比正样本远出 α”时产生梯度，例如 −4 + 3 < 0 ⇒ 0。
# - 批内负样本把一个 batch 的 B 个正样本互相当负样本用，损失就是 B×B 相似度矩阵按行、以对角线为目标的交叉熵，不需要额外编码负样本。
# - 无信息时损失为 log B；若同一 batch 中有重复或语义相同的段落，它们会成为“假负例”，需要去重或屏蔽。
# - 批内负样本的采样分布是流行度 Q：不校正时热门样本被当成负样本的梯度是全量 softmax 的 N·Q_j 倍；logit 减去 log Q_j 后与全量 softmax 一致。
