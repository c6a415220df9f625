# %% [markdown]
# ---
# description: 用多项分布精确计算 self-consistency（k 次采样多数投票）的准确率并与蒙特卡洛模拟对照；正确答案是众数时投票越多越准，某个错误答案概率更高时投票越多越错；在一个模拟数据集上把总收益拆成两类题目的得失。
# tags:
#   - 思维链
#   - Self-Consistency
#   - 多数投票
#   - 动手验证
# ---
# # Self-consistency：多数投票什么时候有用
#
# 对应问题：[Self-consistency 是什么？](prompting.md#self-consistency) ·
# [投票什么时候会帮倒忙？](prompting.md#self-consistency-when-hurts)
#
# 一道题采样一次得到的最终答案服从分布 $\mathbf p=(p_0,p_1,\dots)$，$p_0$ 是正确答案的概率。独立采样 k 次、取出现最多的答案
# （平票在并列者中随机选）。k 次采样的计数服从多项分布，枚举所有计数向量就得到精确的投票准确率。
#
# ## 精确公式与模拟 {#exact-vs-simulated}

# %%
import math

import numpy as np
import matplotlib.pyplot as plt
from snippets.agents.prompting import (binary_majority_exact, majority_vote_exact, majority_vote_limit,
                                       majority_vote_simulate)

rng = np.random.default_rng(0)
cases = {
    "correct is the mode: (0.4, 0.3, 0.3)": [0.4, 0.3, 0.3],
    "one wrong answer dominates: (0.4, 0.6)": [0.4, 0.6],
    "strong model: (0.6, 0.2, 0.2)": [0.6, 0.2, 0.2],
}
ks = np.arange(1, 42)
exact = {name: np.array([majority_vote_exact(p, int(k)) for k in ks]) for name, p in cases.items()}

n_trials = 20000
for name, p in cases.items():
    for k in (1, 2, 5, 10, 25):
        sim = majority_vote_simulate(p, k, n_trials, rng)
        e = exact[name][k - 1]
        assert abs(sim - e) < 4 * math.sqrt(e * (1 - e) / n_trials) + 1e-9, (name, k, sim, e)
# 只有一个错误答案时，多项分布的枚举退化成二项分布的闭式解
assert np.allclose(exact["one wrong answer dominates: (0.4, 0.6)"], [binary_majority_exact(0.4, int(k)) for k in ks])
for name in cases:
    print(f"{name:42s} k=1: {exact[name][0]:.3f}  k=5: {exact[name][4]:.3f}  k=41: {exact[name][-1]:.3f}")

# %% [markdown]
# ## 什么时候投票有帮助 {#when-voting-helps}
#
# 关键不是单次正确率是否超过 0.5，而是正确答案是不是**众数**：
# - 正确答案只有 0.4，但两个错误答案各 0.3、彼此分散，投票把 0.4 逐步放大（k = 41 时约 0.66，k 再大趋于 1）；
# - 正确率同样是 0.4，若错误答案集中在一个（0.6），投票反而把准确率压向 0；
# - 偶数 k 会出现平票，随机破平让曲线在奇偶之间锯齿状起伏，所以实践中常取奇数或看大 k 的趋势。

# %%
odd = ks[ks % 2 == 1]
helps, hurts = exact["correct is the mode: (0.4, 0.3, 0.3)"], exact["one wrong answer dominates: (0.4, 0.6)"]
assert np.all(np.diff(helps[odd - 1]) > 0) and np.all(np.diff(hurts[odd - 1]) < 0)
assert helps[40] > 0.6 and hurts[40] < 0.1            # 同样是单次 0.4，结局相反
assert majority_vote_limit([0.4, 0.3, 0.3]) == 1.0 and majority_vote_limit([0.4, 0.6]) == 0.0

#| alt: 横轴是采样次数 k（1 到 41），纵轴是多数投票的准确率：正确答案为众数的情形从 0.4 单调上升到约 0.66，强模型从 0.6 很快升到接近 1，错误答案占优的情形从 0.4 单调下降到 0.1 以下；奇偶 k 之间有小锯齿；读者应看出投票放大的是众数，而不是正确答案
fig, ax = plt.subplots(figsize=(4.8, 4.2))
for (name, acc), style in zip(exact.items(), ["o-", "s-", "^-"]):
    ax.plot(ks, acc, style, ms=3, lw=1.2, label=name.split(":")[0])
ax.axhline(0.4, color="gray", lw=0.8, ls=":")
ax.set(xlabel="samples k", ylabel="majority-vote accuracy", ylim=(0, 1.02), title="Self-consistency vs k")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22))
plt.show()

# %% [markdown]
# ## 数据集上的总收益 {#dataset-level}
#
# 真实数据集是很多题目的混合：每道题有自己的答案分布。模拟 300 道题（4 个候选答案，分布取自 Dirichlet），
# 比较单次采样（k = 1）与 k = 21 投票的平均准确率，并按“正确答案是不是众数”把题目分成两类。
# k 有限时，前两名答案概率接近的题目可能朝任一方向变化（例如 0.30 对 0.31 时，投票把三四名的票数挤掉，正确答案的胜率反而升到 0.3 以上），
# 但整体上收益来自第一类、损失来自第二类。

# %%
P = rng.dirichlet([1.2, 0.6, 0.6, 0.6], size=300)
acc1 = np.array([majority_vote_exact(p, 1) for p in P])
acc21 = np.array([majority_vote_exact(p, 21) for p in P])
mode_correct = P[:, 0] > P[:, 1:].max(axis=1)
gain = acc21 - acc1
print(f"k=1: {acc1.mean():.3f}  k=21: {acc21.mean():.3f}  "
      f"({mode_correct.mean():.0%} of questions have the correct answer as the mode)")
print(f"gain on mode-correct questions: {gain[mode_correct].sum() / 300:+.3f}, "
      f"loss on the others: {gain[~mode_correct].sum() / 300:+.3f}")
assert np.allclose(acc1, P[:, 0])                         # k = 1 就是单次正确率
exceptions = np.sum(np.sign(gain) != np.where(mode_correct, 1, -1))
print(f"questions whose gain has the 'wrong' sign at k=21: {exceptions} (near-ties among the top answers)")
assert gain[mode_correct].mean() > 0 > gain[~mode_correct].mean() and exceptions < 0.15 * len(P)
assert math.isclose(gain.mean(), (gain[mode_correct].sum() + gain[~mode_correct].sum()) / 300)
assert acc21.mean() > acc1.mean()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 精确公式（多项分布枚举）与 2 万次模拟在 4 个标准误之内一致；只有两个候选答案时它就是二项分布的尾概率。
# - 投票收敛到“众数是谁”：正确答案是众数时准确率随 k 趋于 1，某个错误答案更常见时趋于 0，与单次正确率是否过半无关。
# - 数据集上的提升是两类题目得失的净值：正确答案是众数的题目越多、错误答案越分散，self-consistency 越划算；它的成本随 k 线性增长。
