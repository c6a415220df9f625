# %% [markdown]
# ---
# description: 统计首元素作枢轴的快速排序与 introsort 在有序与随机输入上的递归深度和比较次数，验证最坏 O(n) 栈深、平均 O(log n)、“只递归短的一段”的空间保证，以及 introsort 的 O(n log n) 最坏时间。
# tags:
#   - 排序
#   - 快速排序
#   - introsort
#   - 复杂度
#   - 动手验证
# ---
# # 快速排序的递归深度与比较次数
#
# 对应问题：[常见排序算法的时间、空间复杂度与稳定性](systems.md#sorting-complexity)，
# 追问：[快排的最坏情况怎么触发，introsort 怎么解决？](systems.md#introsort)
#
# 快速排序的额外空间来自递归栈。本 notebook 用带计数器的实现（首元素作枢轴）测量：
#
# - 已排序输入：每次划分只剥掉枢轴，递归深度 $=n-1$，比较次数 $=n(n-1)/2$；
# - 随机输入：深度 $O(\log n)$，平均比较次数 $2(n+1)H_n-4n\approx1.39\,n\log_2 n$；
# - 只对较短的一段递归、较长的一段用循环：栈深度 $\le\log_2 n$，但最坏时间仍是 $O(n^2)$；
# - introsort：划分层数超过 $2\lfloor\log_2 n\rfloor$ 后改用堆排序，有序输入上比较次数也只有 $O(n\log n)$。
#
# ## 测量 {#quicksort-measure}

# %%
import math
import random

import numpy as np
import matplotlib.pyplot as plt

from snippets.engineering.sorting import introsort, merge_sort, quicksort

rnd = random.Random(0)
ns = [16, 32, 64, 128, 256, 512]
trials = 20
sorted_depth, sorted_cmp, safe_depth = [], [], []
rand_depth, rand_cmp = [], []
intro_cmp = []
for n in ns:
    xs = list(range(n))
    out, d, c = quicksort(xs)
    assert out == xs and d == n - 1 and c == n * (n - 1) // 2
    sorted_depth.append(d)
    sorted_cmp.append(c)
    _, d_safe, c_safe = quicksort(xs, smaller_first=True)
    assert d_safe <= math.log2(n) and c_safe == n * (n - 1) // 2   # 栈浅了，时间没变
    safe_depth.append(d_safe)
    out_i, c_intro, heapsorts = introsort(xs)
    assert out_i == xs and c_intro <= 5 * n * math.log2(n)
    intro_cmp.append(c_intro)
    ds, cs = [], []
    for _ in range(trials):
        ys = xs[:]
        rnd.shuffle(ys)
        out, d, c = quicksort(ys)
        assert out == xs
        ds.append(d)
        cs.append(c)
    rand_depth.append(np.mean(ds))
    rand_cmp.append(np.mean(cs))

rand_depth, rand_cmp = np.array(rand_depth), np.array(rand_cmp)
H = np.array([sum(1 / k for k in range(1, n + 1)) for n in ns])
expected_cmp = 2 * (np.array(ns) + 1) * H - 4 * np.array(ns)
assert np.all(np.abs(rand_cmp / expected_cmp - 1) < 0.1)
assert np.all(rand_depth < 4 * np.log2(ns))        # 随机输入深度是 O(log n)
assert rand_depth[-1] < sorted_depth[-1] / 10
print("n      sorted depth  random depth(mean)  smaller-first depth")
for n, a, b, c in zip(ns, sorted_depth, rand_depth, safe_depth):
    print(f"{n:<6d} {a:<13d} {b:<19.1f} {c}")

# %% [markdown]
# ## introsort 在最坏输入上 {#introsort-worst-case}
#
# 同一个首元素枢轴、同样的有序输入，introsort 在划分 $2\lfloor\log_2 n\rfloor$ 层后把剩下的子区间交给堆排序。

# %%
n_big = 4096
out_big, cmp_big, heaps_big = introsort(range(n_big))
assert out_big == list(range(n_big)) and heaps_big == 1
ratio = cmp_big / (n_big * math.log2(n_big))
assert 3.5 < ratio < 4.0                                   # 约 3.8 n log2 n
assert n_big * (n_big - 1) // 2 == 8_386_560 > 40 * cmp_big  # 朴素快排的比较次数
print(f"introsort on sorted n={n_big}: {cmp_big} comparisons = {ratio:.2f} n log2 n, heapsort calls: {heaps_big}; "
      f"naive quicksort: {n_big * (n_big - 1) // 2}")
intro_cmp = np.array(intro_cmp)
assert np.all(intro_cmp <= np.array(sorted_cmp)) and intro_cmp[-1] * 5 < sorted_cmp[-1]

# %% [markdown]
# ## 图：深度与比较次数 {#quicksort-plots}

# %%
#| alt: 上下两张双对数图，横轴都是元素个数 n（16 到 512）。上图是最大递归深度：有序输入上朴素快排的深度是 n−1、随 n 线性上升；随机输入的平均深度在 log2 n 虚线之上、与它平行增长；有序输入上“只递归短的一段”的深度始终是 1，因为短的一段总是空的。下图是比较次数：有序输入的朴素快排按 n(n−1)/2 增长，随机输入贴合 2(n+1)H_n−4n 的虚线，introsort 在有序输入上的比较次数与随机输入同量级，远低于朴素快排。
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
ax1.loglog(ns, sorted_depth, "o-", label="sorted: n - 1")
ax1.loglog(ns, rand_depth, "s-", label="random (mean)")
ax1.loglog(ns, np.maximum(safe_depth, 1), "^-", label="smaller part first")
ax1.loglog(ns, np.log2(ns), "k--", lw=1, label="log2 n")
ax1.set_ylabel("max depth")
ax1.set_ylim(0.5, 3e4)
ax1.legend(loc="upper left", ncol=2, columnspacing=1.0, handlelength=1.5)

ax2.loglog(ns, sorted_cmp, "o-", label="sorted")
ax2.loglog(ns, rand_cmp, "s-", label="random (mean)")
ax2.loglog(ns, intro_cmp, "D-", color="C4", label="introsort, sorted")
ax2.loglog(ns, expected_cmp, "k--", lw=1, label="2(n+1)H - 4n")
ax2.set_xscale("log", base=2)
ax2.set_xlabel("n")
ax2.set_ylabel("comparisons")
ax2.set_ylim(5, 3e7)
ax2.legend(loc="upper left", ncol=2, columnspacing=1.0, handlelength=1.5)
plt.show()

# %% [markdown]
# ## 稳定性 {#stability-check}
#
# 归并排序在相等时先取左半边的元素，因此稳定；快速排序的长距离交换会打乱相等元素的相对次序。

# %%
pairs = [(rnd.randrange(4), i) for i in range(40)]
assert merge_sort(pairs, key=lambda t: t[0]) == sorted(pairs, key=lambda t: t[0])


class Key:
    """只按 k 比较、但携带原始下标的元素，用来观察快速排序是否保持相等元素的次序。"""

    def __init__(self, k, i):
        self.k, self.i = k, i

    def __lt__(self, other):
        return self.k < other.k


qs, _, _ = quicksort([Key(k, i) for k, i in pairs])
order_preserved = all(a.i < b.i for a, b in zip(qs, qs[1:]) if a.k == b.k)
assert [x.k for x in qs] == sorted(k for k, _ in pairs)
assert not order_preserved                        # 这个输入上快速排序不稳定
print("merge sort stable: True; quicksort kept equal keys in order:", order_preserved)

# %% [markdown]
# ## 结论 {#quicksort-conclusion}
#
# - 首元素作枢轴时，有序输入让快速排序退化：深度 $n-1$（栈空间 $O(n)$），比较 $n(n-1)/2$ 次（时间 $O(n^2)$）。
# - 随机输入的深度只有 $O(\log n)$，比较次数贴合 $2(n+1)H_n-4n$。
# - “只递归较短的一段”把栈深度压到 $\log_2 n$ 以内，但不改善最坏时间；要避免最坏时间需随机/三数取中选枢轴，或像 introsort 那样在深度过大时改用堆排序。
# - introsort 在 4096 个有序元素上只比较约 $3.8\,n\log_2 n$ 次（触发一次堆排序），朴素快排要 $n(n-1)/2\approx839$ 万次。
