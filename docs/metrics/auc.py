# %% [markdown]
# ---
# description: 用三种方法计算 AUC（正负样本两两比较、Mann-Whitney 秩和、ROC 梯形面积）并验证在有大量同分时完全一致，再比较类别不平衡下 ROC 与 PR 曲线。
# tags:
#   - 评测指标
#   - AUC
#   - ROC
#   - PR 曲线
#   - 动手验证
# ---
# # AUC 的三种算法与类别不平衡
#
# 对应问题：[F1、AUC 是什么？AUC 的几何意义与快速计算](classification.md#f1-auc)
#
# ## 三种算法 {#three-ways}

# %%

import numpy as np
import matplotlib.pyplot as plt

from snippets.metrics.auc import (auc_pairwise, auc_rank, auc_trapezoid, average_precision,
                                  pr_curve, roc_curve)

rng = np.random.default_rng(0)
n = 400
y = rng.integers(0, 2, size=n)
s = np.round(rng.normal(size=n) + 1.0 * y, 1)     # 保留 1 位小数：制造大量同分
print("number of distinct scores:", len(np.unique(s)), "of", n)

fpr, tpr, thr = roc_curve(y, s)
a_pair, a_rank, a_trap = auc_pairwise(y, s), auc_rank(y, s), auc_trapezoid(fpr, tpr)
print(f"pairwise {a_pair:.12f}\nrank-sum {a_rank:.12f}\ntrapezoid {a_trap:.12f}")
assert abs(a_pair - a_rank) < 1e-12 and abs(a_pair - a_trap) < 1e-12

fig, ax = plt.subplots(figsize=(4.8, 4.6))
ax.plot(fpr, tpr, lw=2, label=f"ROC, AUC = {a_trap:.3f}")
ax.fill_between(fpr, tpr, alpha=0.2)
ax.plot([0, 1], [0, 1], "k--", lw=1, label="random (AUC = 0.5)")
ax.set_xlabel("FPR = FP / N")
ax.set_ylabel("TPR = TP / P (recall)")
ax.set_title("Ties give diagonal segments (credit 1/2)")
ax.legend(loc="lower right")
ax.set_aspect("equal")
plt.show()

# %% [markdown]
# ## 复杂度 {#complexity}
#
# 两两比较是 $O(n_+ n_-)$，秩和只需一次排序，$O(n\log n)$。

# %%
y_big = rng.integers(0, 2, size=6000)
s_big = rng.normal(size=6000) + 0.5 * y_big
a1 = auc_pairwise(y_big, s_big)
a2 = auc_rank(y_big, s_big)
n_pos, n_neg = int(y_big.sum()), int((1 - y_big).sum())
# operation counts, not wall-clock times: the page must be identical at every build
print(f"pairwise: {n_pos * n_neg:,} comparisons; rank-sum: one sort of {len(y_big):,} scores "
      f"(~{len(y_big) * np.log2(len(y_big)):,.0f} comparisons)")
assert abs(a1 - a2) < 1e-12
# 单调变换不改变 AUC；分数取反得到 1 - AUC
assert np.isclose(auc_rank(y_big, np.exp(2 * s_big)), a2)
assert np.isclose(auc_rank(y_big, -s_big), 1 - a2)

# %% [markdown]
# ## 类别不平衡：ROC 几乎不变，PR 大幅下降 {#imbalance}
#
# 同一个打分器（正样本得分 $\mathcal N(1.5,1)$，负样本 $\mathcal N(0,1)$），正例占比分别为 50% 和 1%。

# %%
def make(n_pos, n_neg):
    yy = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    ss = np.r_[rng.normal(1.5, 1, n_pos), rng.normal(0, 1, n_neg)]
    return yy, ss

settings = {"balanced (50% positive)": make(5000, 5000), "imbalanced (1% positive)": make(1000, 99000)}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
res = {}
for name, (yy, ss) in settings.items():
    f, t, _ = roc_curve(yy, ss)
    r, p = pr_curve(yy, ss)
    res[name] = (auc_rank(yy, ss), average_precision(yy, ss), yy.mean())
    ax1.plot(f, t, label=f"{name}: AUC={res[name][0]:.3f}")
    ax2.plot(r, p, label=f"{name}: AP={res[name][1]:.3f}")
ax1.plot([0, 1], [0, 1], "k--", lw=1)
ax1.set_xlabel("FPR")
ax1.set_ylabel("TPR")
ax1.set_title("ROC")
ax1.legend(fontsize=8, loc="lower right")
ax2.set_xlabel("recall")
ax2.set_ylabel("precision")
ax2.set_title("Precision-Recall")
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
(auc_b, ap_b, _), (auc_i, ap_i, prev_i) = res.values()
print(f"AUC {auc_b:.3f} vs {auc_i:.3f};  AP {ap_b:.3f} vs {ap_i:.3f}")
assert abs(auc_b - auc_i) < 0.02          # ROC-AUC 与类别比例无关
assert ap_i < ap_b - 0.4                  # PR 曲线对不平衡敏感
assert ap_i > prev_i                      # 但仍高于随机基线（正例比例）
