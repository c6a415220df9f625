# %% [markdown]
# ---
# description: 用 numpy 实现 HNSW，在 5000 个 64 维向量上验证层高服从 P(l≥j)=M^{-j}、recall@10 随 efSearch 上升而距离计算次数只占暴力搜索的几个百分点，以及每个向量的邻居槽位字节数与 4d + 2M·4 的公式。
# tags:
#   - 向量检索
#   - ANN
#   - HNSW
#   - 动手验证
# ---
# # HNSW：层高分布、efSearch 与内存
#
# 对应问题：[HNSW 的原理是什么？M、efConstruction、efSearch 怎么影响效果？](vector-search.md#hnsw)、
# [为什么 HNSW 要分层？复杂度是多少？](vector-search.md#hnsw-layers)
#
# ## 建图 {#build}
#
# 数据与 [IVF-PQ notebook](ivf-pq.py#data) 同分布：$N=5000$ 个 64 维向量（16 维高斯混合经随机线性映射），200 个查询。
# 参数 $M=8$（第 0 层每点最多 $2M=16$ 条边，其余层最多 8 条）、efConstruction = 40。
# 纯 Python 建图比 hnswlib / FAISS 慢几个数量级，所以这里的 $N$ 只取 5000；关心的是比例和趋势。

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

from snippets.retrieval.ann import HNSW, bytes_per_vector, clustered_vectors, exact_knn, knn_recall

N, D, K, M = 5000, 64, 10, 8
X, sample = clustered_vectors(N, d=D)
Q = sample(200, 99)
truth = exact_knn(X, Q, K)
index = HNSW(M=M, ef_construction=40, seed=0).build(X)
print("top layer:", index.top, " nodes per layer:", [len(g) for g in index.graph])

# %% [markdown]
# ## 层高分布 {#levels}
#
# 每个点的最高层 $l=\lfloor -\ln U\cdot m_L\rfloor$，$m_L=1/\ln M$，所以 $P(l\ge j)=M^{-j}$：第 1 层约有 $1/8$ 的点，
# 第 2 层约 $1/64$。每往上一层点数缩小 $M$ 倍，层数约为 $\log_M N$，这就是跳表式的“先大步、后小步”。

# %%
for j in range(1, index.top + 1):
    frac = (index.levels >= j).mean()
    print(f"level >= {j}: {frac:.4f}   (M^-{j} = {M ** -j:.4f})")
    assert abs(frac - M ** -j) < 4 * math.sqrt(M ** -j / N)      # within 4 standard errors
assert abs(index.top - math.log(N, M)) <= 1.5                  # about log_M N layers
deg0 = np.array([len(v) for v in index.graph[0].values()])
assert deg0.max() <= 2 * M
print(f"layer-0 degree: mean {deg0.mean():.1f}, max {deg0.max()} (cap 2M = {2 * M})")

# %% [markdown]
# ## recall@10 与 efSearch {#ef-search}
#
# efSearch 是第 0 层束搜索保留的候选数（必须 $\ge k$）。它越大，搜索越接近穷举：recall 上升，距离计算次数也上升。
# 下面把代价记成“每个查询算了多少次距离”，暴力搜索是 $N=5000$ 次。

# %%
efs = [10, 16, 24, 40, 64, 100, 160]
rec, cost = [], []
for ef in efs:
    found, c = index.search(Q, K, ef=ef)
    rec.append(knn_recall(found, truth))
    cost.append(c)
print("recall@10:", {e: round(r, 3) for e, r in zip(efs, rec)})
print("distances per query:", {e: round(c) for e, c in zip(efs, cost)})

assert all(b >= a - 0.01 for a, b in zip(rec, rec[1:]))        # monotone up to sampling noise
assert rec[-1] >= 0.95 and rec[0] < rec[-1]
assert all(b > a for a, b in zip(cost, cost[1:]))              # every extra candidate costs distances
assert cost[-1] < 0.1 * N                                      # still under 10% of brute force

#| alt: 折线图：横轴是每个查询的距离计算次数（对数坐标），纵轴是 recall@10；HNSW 的 7 个点对应 efSearch 从 10 到 160，距离计算从约一百次增加到几百次，recall 从约 0.9 升到接近 1；右边单独一个点是暴力搜索，5000 次距离、recall 为 1
fig, ax = plt.subplots()
ax.semilogx(cost, rec, "o-", label="HNSW, efSearch 10 ... 160")
for e, c, r in zip(efs, cost, rec):
    if e in (10, 40, 160):
        ax.annotate(f"ef={e}", (c, r), textcoords="offset points", xytext=(6, -12), fontsize=10)
ax.semilogx([N], [1.0], "k*", ms=10, label="brute force")
ticks = [100, 200, 500, 1000, 2000, 5000]
ax.set_xticks(ticks)
ax.set_xticklabels([str(t) for t in ticks])
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.set_xlabel("distance computations per query")
ax.set_ylabel("recall@10")
ax.set_ylim(min(rec) - 0.05, 1.02)
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 每个向量的内存 {#memory}
#
# FAISS 与 hnswlib 按容量预留邻居槽位（4 字节的 int32）：第 0 层每点 $2M$ 个，每多一层再加 $M$ 个。
# 期望层数 $\mathbb E[l]=\sum_{j\ge1}M^{-j}=1/(M-1)$，所以每个向量平均
# $4d + 4\cdot 2M + 4M/(M-1)$ 字节；FAISS wiki 的 $4d + 2M\cdot 4$ 忽略了上层那一项（这里约 4.6 字节）。

# %%
link_bytes = index.allocated_link_bytes() / N
expected = 4 * 2 * M + 4 * M * index.levels.mean()
print(f"link bytes per vector: {link_bytes:.2f} (2M*4 = {8 * M}, upper layers add {link_bytes - 8 * M:.2f}; "
      f"4M/(M-1) = {4 * M / (M - 1):.2f})")
assert np.isclose(link_bytes, expected)
assert abs((link_bytes - 8 * M) - 4 * M / (M - 1)) < 1.0
total = 4 * D + link_bytes
formula = bytes_per_vector("hnsw_flat", d=D, M=M)
assert abs(total - formula) / formula < 0.02                   # the wiki formula is within 2% here
print(f"per vector: {total:.1f} B measured vs 4d + 2M*4 = {formula} B (float32 vectors alone: {4 * D} B)")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 层高是几何分布：每层的点数约为下一层的 $1/M$，一共约 $\log_M N$ 层，搜索从顶层大步下降，到第 0 层再细搜。
# - efSearch 是查询时的召回—延迟旋钮：从 10 加到 160，recall@10 升到 0.95 以上，距离计算仍不到暴力搜索的 10%。
# - HNSW 不压缩向量，还要为每个点存 $2M$ 个邻居：$M=8$、$d=64$ 时每个向量约 324 字节，比原向量多 26%；高维时（$d=768$、$M=32$）多约 8%。
