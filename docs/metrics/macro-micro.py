# %% [markdown]
# ---
# description: 在不平衡的三分类混淆矩阵上计算宏平均、微平均与加权平均，验证单标签下微平均 F1 等于准确率、两种宏 F1 定义数值不同，以及多标签时这个等式不再成立。
# tags:
#   - 评测指标
#   - F1
#   - 宏平均
#   - 微平均
#   - 动手验证
# ---
# # 宏平均与微平均
#
# 对应问题：[宏平均和微平均有什么区别？](classification.md#macro-micro-average)，追问 [多标签任务怎么平均？](classification.md#multilabel-averaging)
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

#| alt: 横向条形图：自上而下依次是三个类别各自的 F1（0.840、0.435、0.556）、两种 macro-F1（0.610 与 0.625）、weighted-F1（0.729）、micro-F1 与准确率（都是 0.750）；等权看各类的宏平均被两个小类拉低，微平均等于准确率。
fig, ax = plt.subplots(figsize=(4.8, 3.6))
labels = ["F1 class 0", "F1 class 1", "F1 class 2", "macro (mean F1)", "macro (HM of P, R)",
          "weighted", "micro", "accuracy"]
vals = list(m["per_class_f1"]) + [m["macro_f1"], m["macro_f1_of_avgs"], m["weighted_f1"], m["micro_f1"], m["accuracy"]]
colors = ["C0"] * 3 + ["C1", "C1", "C2", "C3", "C3"]
y_pos = np.arange(len(vals))[::-1]
ax.barh(y_pos, vals, color=colors)
for yp, v in zip(y_pos, vals):
    ax.text(v + 0.01, yp, f"{v:.3f}", va="center", fontsize=10)
ax.set_yticks(y_pos)
ax.set_yticklabels(labels)
ax.set_xlim(0, 1.05)
ax.set_xlabel("score")
ax.set_title("Macro vs micro averaging")
ax.grid(axis="y", visible=False)
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

# %% [markdown]
# ## 多标签：micro-F1 不再等于准确率 {#multilabel}
#
# 多标签任务里一个样本可以同时属于多个类，一个错误的标签只算一个 FP（或 FN），不会同时在另一个类上记一个 FN，
# 所以 $\sum_c FP_c=\sum_c FN_c$ 不再成立，micro-P、micro-R 和“准确率”各不相同。
# 这里比较四个数：micro-F1、macro-F1、samples-F1（每个样本算一个 F1 再平均），以及子集准确率（整行标签全对才算对）。

# %%
from snippets.metrics.classification import multilabel_averages

N_ml, C_ml = 2000, 5
Y = rng.uniform(size=(N_ml, C_ml)) < np.array([0.5, 0.3, 0.2, 0.1, 0.05])     # label frequencies differ
flip = rng.uniform(size=(N_ml, C_ml)) < 0.1                                   # 10% of the labels are wrong
Y_hat = Y ^ flip
ml = multilabel_averages(Y, Y_hat)
print({k: round(v, 3) for k, v in ml.items()})
assert ml["subset_accuracy"] < ml["micro_f1"]          # one wrong label out of five fails the whole row
assert abs(ml["subset_accuracy"] - 0.9 ** C_ml) < 0.03  # ~ P(all five labels right) = 0.9^5
assert ml["macro_f1"] < ml["micro_f1"]                 # rare labels have low F1 and weigh equally in macro
