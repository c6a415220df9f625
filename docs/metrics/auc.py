# %% [markdown]
# ---
# description: 用三种方法计算 AUC（两两比较、秩和、ROC 梯形面积）并验证有大量同分时完全一致，比较类别不平衡下的 ROC 与 PR 曲线，再看 AUC 与校准无关、F1 最优阈值等于最优 F1 的一半。
# tags:
#   - 评测指标
#   - AUC
#   - ROC
#   - PR 曲线
#   - 校准
#   - 动手验证
# ---
# # AUC 的三种算法与类别不平衡
#
# 对应问题：[F1、AUC 是什么？AUC 的几何意义与快速计算](classification.md#f1-auc)，以及追问
# [AUC 高就说明概率准吗？](classification.md#auc-calibration)、[分类阈值怎么选？](classification.md#classification-threshold)
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

#| alt: ROC 曲线：横轴 FPR，纵轴 TPR，曲线下方着色的面积就是 AUC；分数只保留 1 位小数，同分的一组样本一起越过阈值，在曲线上留下斜线段；对角虚线是随机打分。
fig, ax = plt.subplots(figsize=(4.8, 4.6))
ax.plot(fpr, tpr, lw=2, label=f"ROC, AUC = {a_trap:.3f}")
ax.fill_between(fpr, tpr, alpha=0.2)
ax.plot([0, 1], [0, 1], "k--", lw=1, label="random (AUC = 0.5)")
ax.set_xlabel("FPR = FP / N")
ax.set_ylabel("TPR = TP / P (recall)")
ax.set_title("Ties give diagonal segments")
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

settings = {"50% pos": make(5000, 5000), "1% pos": make(1000, 99000)}
#| alt: 上下两幅图：上图是正例占 50% 与 1% 时同一打分器的 ROC 曲线，两条几乎重合、AUC 都约 0.85；下图是对应的 PR 曲线，正例占 1% 时整条曲线大幅下移，AP 从约 0.86 跌到约 0.1。
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6))
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
ax1.legend(loc="lower right")
ax2.set_xlabel("recall")
ax2.set_ylabel("precision")
ax2.set_title("Precision-Recall")
ax2.legend()
plt.show()

# %%
(auc_b, ap_b, _), (auc_i, ap_i, prev_i) = res.values()
print(f"AUC {auc_b:.3f} vs {auc_i:.3f};  AP {ap_b:.3f} vs {ap_i:.3f}")
assert abs(auc_b - auc_i) < 0.02          # ROC-AUC 与类别比例无关
assert ap_i < ap_b - 0.4                  # PR 曲线对不平衡敏感
assert ap_i > prev_i                      # 但仍高于随机基线（正例比例）

# %% [markdown]
# ## AUC 与校准无关 {#auc-ignores-calibration}
#
# 构造一组**校准良好**的概率：p ~ U(0, 1)，标签 y ~ Bernoulli(p)。再把它单调地扭曲成 p³：
# 排序完全不变，所以 AUC 一模一样；但 p³ 系统性地低估了正例概率，对数损失和 ECE（期望校准误差）都变差。
# 可靠性图（reliability diagram）把预测概率分桶，画出每桶的平均预测与实际正例率：校准良好时落在对角线上。

# %%
from snippets.metrics.classification import expected_calibration_error, precision_recall_fbeta

n_cal = 40000
p_cal = rng.uniform(size=n_cal)
y_cal = (rng.uniform(size=n_cal) < p_cal).astype(int)
p_bad = p_cal ** 3


def log_loss(y, p, eps=1e-12):
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def reliability(y, p, n_bins=10):
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    keep = [b for b in range(n_bins) if np.any(bins == b)]
    return np.array([p[bins == b].mean() for b in keep]), np.array([y[bins == b].mean() for b in keep])


auc_cal, auc_bad = auc_rank(y_cal, p_cal), auc_rank(y_cal, p_bad)
ece_cal, ece_bad = expected_calibration_error(y_cal, p_cal), expected_calibration_error(y_cal, p_bad)
print(f"AUC {auc_cal:.4f} vs {auc_bad:.4f}; log loss {log_loss(y_cal, p_cal):.3f} vs {log_loss(y_cal, p_bad):.3f}; "
      f"ECE {ece_cal:.3f} vs {ece_bad:.3f}")
assert auc_cal == auc_bad                                  # a monotone map keeps every pairwise order
assert log_loss(y_cal, p_bad) > log_loss(y_cal, p_cal) + 0.1
assert ece_bad > 10 * ece_cal

#| alt: 可靠性图：横轴是分桶后的平均预测概率，纵轴是桶内实际正例率；校准良好的 p 落在对角线上，单调扭曲后的 p³ 整体偏到对角线左上方，说明它低估了概率，而两者的 AUC 相同。
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
for name, pp in (("p (calibrated)", p_cal), ("p^3 (same AUC)", p_bad)):
    mp, fr = reliability(y_cal, pp)
    ax.plot(mp, fr, "o-", label=f"{name}: ECE={expected_calibration_error(y_cal, pp):.2f}")
ax.set_xlabel("mean predicted probability")
ax.set_ylabel("fraction of positives")
ax.set_title(f"Same AUC ({auc_cal:.3f}), different calibration")
ax.legend()
plt.show()

# %% [markdown]
# ## F1 最优阈值约等于最优 F1 的一半 {#f1-optimal-threshold}
#
# 对校准良好的概率，Lipton 等（2014）证明：使 F1 最大的阈值 t* 恰好是最优 F1 值 F* 的一半。
# 这说明“阈值取 0.5”一般不是 F1 最优的（除非 $F^*=1$）；正例越少，F* 越低，最优阈值也越低。
# 下面用 Beta 分布造两组校准良好的概率（正例占比不同），扫描所有阈值。

# %%
def f1_sweep(y, p):
    """Thresholds (distinct scores, high to low) and the F1 of predicting positive at score >= threshold."""
    thr = np.unique(p)[::-1]
    rec, prec = pr_curve(y, p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
    return thr, f1


sweeps = {}
for name, (a_, b_) in {"positive rate 50%": (2, 2), "positive rate 9%": (0.5, 5)}.items():
    pp = rng.beta(a_, b_, size=60000)
    yy = (rng.uniform(size=len(pp)) < pp).astype(int)
    thr, f1 = f1_sweep(yy, pp)
    sweeps[name] = (thr, f1, thr[np.argmax(f1)], f1.max(), yy, pp)
    print(f"{name}: best threshold {thr[np.argmax(f1)]:.3f}, best F1 {f1.max():.3f}, F1*/2 = {f1.max() / 2:.3f}")

#| alt: 折线图：横轴是分类阈值，纵轴是 F1；两条曲线对应正例占 50% 与 9% 的校准良好的概率，圆点标出各自 F1 最大的阈值，竖虚线标出最优 F1 的一半，两者几乎重合，而且都不在 0.5。
fig, ax = plt.subplots()
for name, (thr, f1, t_best, f_best, _, _) in sweeps.items():
    line, = ax.plot(thr, f1, label=name)
    ax.plot([t_best], [f_best], "o", color=line.get_color())
    ax.axvline(f_best / 2, color=line.get_color(), ls=":", lw=1.2)
ax.set_xlabel("threshold t")
ax.set_ylabel("F1")
ax.set_title("Best threshold = best F1 / 2 (dotted)")
ax.legend()
plt.show()

for name, (thr, f1, t_best, f_best, yy, pp) in sweeps.items():
    assert abs(t_best - f_best / 2) < 0.02, name
    pred = pp >= t_best                    # the confusion matrix at that threshold gives the same F1
    tp, fp, fn = np.sum(pred & (yy == 1)), np.sum(pred & (yy == 0)), np.sum(~pred & (yy == 1))
    assert np.isclose(precision_recall_fbeta(tp, fp, fn)[2], f_best)
t50, t9 = (v[2] for v in sweeps.values())
assert t9 < t50 < 0.5                      # neither optimum is the default 0.5; rarer positives -> lower threshold
