# %% [markdown]
# ---
# description: numpy 模拟 p 个 rank 的环形 all-reduce：结果等于求和、每个 rank 发送 2(p−1)/p 份缓冲区、reduce-scatter 加 all-gather 即 all-reduce，以及梯度累积的等价条件。
# tags: [分布式训练, 数据并行, all-reduce, 梯度累积, 动手验证]
# ---
# # 动手验证：ring all-reduce 的通信量与梯度累积
#
# 对应问题：[数据并行：DP 和 DDP 有什么区别？](distributed.md#data-parallel-ddp)、
# [ring all-reduce 每卡发送多少数据？](distributed.md#ring-all-reduce)、[梯度累积和大 batch 等价吗？](distributed.md#gradient-accumulation)
#
# ## 环形 all-reduce 等于逐元素求和 {#ring-equals-sum}
#
# 每个 rank 有一个长度 $n$ 的梯度向量，切成 $p$ 块。reduce-scatter 走 $p-1$ 步，每步每个 rank 把一块发给右邻居、
# 右邻居把它加到自己的同号块上；结束时每个 rank 持有一块完整的和。all-gather 再走 $p-1$ 步把各块传遍全环。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.distributed import (ring_all_reduce, ring_reduce_scatter, ring_all_gather,
                                           accumulate_gradients, lsq_grad_sum)

rng = np.random.default_rng(0)
n = 5040                                   # 能被下面所有 p 整除，每块等长
ps = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16]
sent_per_rank = []
for p in ps:
    bufs = [rng.normal(size=n) for _ in range(p)]
    out, sent = ring_all_reduce(bufs)
    total = np.sum(bufs, axis=0)
    assert all(np.allclose(o, total, rtol=1e-12, atol=1e-12) for o in out)
    assert np.all(sent == sent[0])                         # 每个 rank 的发送量相同：没有热点
    assert sent[0] == 2 * (p - 1) * n // p                 # 恰好 2(p-1)/p 份缓冲区
    sent_per_rank.append(sent[0] / n)
print("elements sent per rank / n:", {p: round(float(s), 3) for p, s in zip(ps, sent_per_rank)})

# %% [markdown]
# ## 发送量与卡数基本无关 {#bytes-vs-p}
#
# 对比“所有 rank 把梯度发给一个中心节点求和再广播回去”（参数服务器式）：中心节点要收 $(p-1)n$、发 $(p-1)n$，随 $p$ 线性增长；
# 环形算法每个 rank 只发 $2(p-1)/p\cdot n$，$p$ 再大也不超过 $2n$。

# %%
ps_arr = np.array(ps)
central = 2 * (ps_arr - 1)                                  # 中心节点的收发总量 / n
assert np.all(np.array(sent_per_rank) < 2) and np.isclose(sent_per_rank[-1], 2 * 15 / 16)
assert np.all(central[1:] > np.array(sent_per_rank)[1:])

grid = np.linspace(2, 16, 200)
fig, ax = plt.subplots()
ax.plot(ps_arr, sent_per_rank, "o", label="ring, measured (every rank)")
ax.plot(grid, 2 * (grid - 1) / grid, "-", label="2(p-1)/p")
ax.plot(ps_arr, central, "s--", label="central server (its traffic)")
ax.axhline(2, color="gray", ls=":")
ax.set_xlabel("number of ranks p")
ax.set_ylabel("data moved / buffer size")
ax.set_ylim(0, 10)
ax.legend()
#| alt: 横轴是 rank 数 p，纵轴是每个 rank 的通信量除以缓冲区大小；环形 all-reduce 的实测点落在 2(p−1)/p 曲线上并趋近 2，中心节点方案随 p 线性增长。
plt.show()

# %% [markdown]
# ## reduce-scatter + all-gather = all-reduce {#rs-plus-ag}
#
# ZeRO 和序列并行都把 all-reduce 拆成两半用：reduce-scatter 后每个 rank 只拿到和的 $1/p$，各发送 $(p-1)/p\cdot n$；
# all-gather 再各发送 $(p-1)/p\cdot n$。两半的通信量加起来正好等于一次 all-reduce。

# %%
p = 4
bufs = [rng.normal(size=16) for _ in range(p)]
pieces, owner, sent_rs = ring_reduce_scatter(bufs)
chunks = np.array_split(np.sum(bufs, axis=0), p)
for r in range(p):
    assert np.allclose(pieces[r], chunks[owner[r]])          # rank r 持有第 owner[r] 块的完整和
full, sent_ag = ring_all_gather(pieces, owner)
ref, sent_ar = ring_all_reduce(bufs)
assert all(np.allclose(f, g) for f, g in zip(full, ref))
assert np.all(sent_rs + sent_ag == sent_ar) and np.all(sent_rs == 12)
print("owner of each rank:", owner, "| sent: reduce-scatter", sent_rs[0], "+ all-gather", sent_ag[0], "=", sent_ar[0])

# %% [markdown]
# ## 梯度累积何时等价于大 batch {#grad-accumulation}
#
# loss 是“所有 token 的平均”时，累积 $k$ 个 micro-batch 的正确做法是把梯度之和加起来、最后除以**总 token 数**。
# 如果每个 micro-batch 先按自己的 token 数取平均、再对 $k$ 个平均取平均，token 数不等时结果就偏了：短序列的 token 被放大。
# 下面取 8 个长度差异很大的 micro-batch，比较两种归一化与一次性大 batch 的梯度。

# %%
w = rng.normal(size=4)
lengths = [5, 60, 12, 200, 33, 8, 90, 17]
micro = [(rng.normal(size=(k, 4)) + 0.5, rng.normal(size=k)) for k in lengths]
X, y = np.vstack([m[0] for m in micro]), np.concatenate([m[1] for m in micro])
g_sum, n_tok = lsq_grad_sum(w, X, y)
g_big = g_sum / n_tok
g_global = accumulate_gradients(w, micro, "global")
g_naive = accumulate_gradients(w, micro, "per_micro")
err_global = np.linalg.norm(g_global - g_big) / np.linalg.norm(g_big)
err_naive = np.linalg.norm(g_naive - g_big) / np.linalg.norm(g_big)
print(f"relative error vs one big batch: global-token normalisation {err_global:.1e}, per-micro mean {err_naive:.2f}")
assert err_global < 1e-12 and err_naive > 0.05

equal = [(rng.normal(size=(16, 4)), rng.normal(size=16)) for _ in range(8)]
assert np.allclose(accumulate_gradients(w, equal, "per_micro"), accumulate_gradients(w, equal, "global"))

# BatchNorm 的统计量按 micro-batch 算：4 个 micro-batch 的均值与大 batch 的均值不同，累积后也补不回来。
acts = rng.normal(size=(64, 8)) + np.linspace(0, 3, 64)[:, None]      # batch 内样本分布不均
micro_means = acts.reshape(4, 16, 8).mean(axis=1)
assert not np.allclose(micro_means, acts.mean(axis=0), atol=0.1)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 环形 all-reduce 的结果与逐元素求和一致，每个 rank 发送 $2(p-1)/p\cdot n$ 个元素，$p=16$ 时是 $1.875n$，上限 $2n$；
#   中心节点方案的瓶颈流量随 $p$ 线性增长。
# - reduce-scatter 与 all-gather 各占一半通信量，拼起来就是 all-reduce。
# - 梯度累积只有按总 token 数归一化时才与大 batch 逐位一致；micro-batch 长度不等时先各自平均会带来偏差；BatchNorm 的 batch 统计量永远只看一个 micro-batch。
