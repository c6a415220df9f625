# %% [markdown]
# ---
# description: 在不平衡的三分类混淆矩阵上计算宏平均、微平均与加权平均，验证单标签多分类下微平均 F1 等于准确率，以及两种宏 F1 定义数值不同。
# tags:
#   - 评测指标
#   - F1
#   - 宏平均
#   - 微平均
#   - 动手验证
# ---
# # 宏平均与微平均
#
# 对应问题：[宏平均和微平均有什么区别？](classification.md#macro-micro-average)
#
# ## 一个不平衡的三分类例子 {#example}
#
# 混淆矩阵按 sklearn 的约定：行是真实类别，列是预测类别。类别 0 有 55 个样本，类别 1、2 各 15 和 10 个。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.metrics.classification import confusion_matrix, macro_micro

cm = np.array([[50, 2, 3],
               [10, 5, 0],
               [4, 1, 5]])
m = macro_micro(cm)
for k in ["macro_p", "macro_r", "macro_f1", "macro_f1_of_avgs", "weighted_f1", "micro_f1", "accuracy"]:
    print(f"{k:18s} {m[k]:.4f}")

fig, ax = plt.subplots(figsize=(8, 3.8))
labels = ["F1 class 0", "F1 class 1", "F1 class 2", "macro-F1\n(mean of F1)", "macro-F1\n(HM of macro P,R)",
          "weighted-F1", "micro-F1", "accuracy"]
vals = list(m["per_class_f1"]) + [m["macro_f1"], m["macro_f1_of_avgs"], m["weighted_f1"], m["micro_f1"], m["accuracy"]]
colors = ["C0"] * 3 + ["C1", "C1", "C2", "C3", "C3"]
ax.bar(range(len(vals)), vals, color=colors)
for i, v in enumerate(vals):
    ax.text(i, v + 0.01, f"{v:.3f}", ha="center", fontsize=8)
ax.set_xticks(range(len(vals)))
ax.set_xticklabels(labels, fontsize=8)
ax.set_ylim(0, 1)
ax.set_title("Macro averages weight classes equally; micro = accuracy (single-label)")
fig.tight_layout()
plt.show()

# %%
assert np.isclose(m["micro_f1"], m["accuracy"])
assert np.isclose(m["micro_p"], m["micro_r"])          # sum FP = sum FN = N - sum TP
assert abs(m["macro_f1"] - 0.610) < 5e-4 and abs(m["macro_f1_of_avgs"] - 0.625) < 5e-4
assert m["macro_f1"] < m["weighted_f1"] < m["micro_f1"]   # 大类表现好、小类差时的典型排序

# %% [markdown]
# ## 随机数据上再验证 {#random}

# %%
rng = np.random.default_rng(0)
diffs = []
for _ in range(500):
    C = int(rng.integers(2, 6))
    y = rng.choice(C, size=300, p=rng.dirichlet(np.ones(C)))
    yhat = np.where(rng.uniform(size=300) < 0.6, y, rng.integers(0, C, size=300))
    mm = macro_micro(confusion_matrix(y, yhat, C))
    assert np.isclose(mm["micro_f1"], np.mean(y == yhat))
    diffs.append(mm["macro_f1_of_avgs"] - mm["macro_f1"])
diffs = np.array(diffs)
print(f"HM-of-averages minus mean-of-F1: min {diffs.min():.4f}, max {diffs.max():.4f}")
assert diffs.min() >= -1e-12      # 调和平均的那种定义总是不小于 sklearn 的定义（Opitz & Burst 2019）
