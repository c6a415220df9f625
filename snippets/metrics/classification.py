"""Precision / Recall / F-beta，多分类的宏平均与微平均。"""
import numpy as np


# --8<-- [start:fbeta]
def precision_recall_fbeta(tp, fp, fn, beta=1.0):
    """P = TP/(TP+FP)，R = TP/(TP+FN)，F_beta = (1+b^2) P R / (b^2 P + R)。分母为 0 时记 0。"""
    tp, fp, fn = (np.asarray(v, dtype=float) for v in (tp, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        r = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        b2 = beta * beta
        f = np.where(b2 * p + r > 0, (1 + b2) * p * r / (b2 * p + r), 0.0)
    return p, r, f
# --8<-- [end:fbeta]


# --8<-- [start:macro_micro]
def confusion_matrix(y_true, y_pred, n_classes):
    """cm[i, j] = 真实类 i 被预测成 j 的样本数（行 = 真实，列 = 预测，与 sklearn 相同）。"""
    cm = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def macro_micro(cm):
    """由混淆矩阵算各种平均。"""
    cm = np.asarray(cm)
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp          # 预测为 c 但不是 c
    fn = cm.sum(axis=1) - tp          # 是 c 但没预测成 c
    support = cm.sum(axis=1)
    p, r, f = precision_recall_fbeta(tp, fp, fn)
    macro_p, macro_r = p.mean(), r.mean()
    micro_p, micro_r, micro_f = precision_recall_fbeta(tp.sum(), fp.sum(), fn.sum())
    return {
        "per_class_f1": f,
        "macro_p": macro_p,
        "macro_r": macro_r,
        "macro_f1": f.mean(),                                              # sklearn 的定义
        "macro_f1_of_avgs": 2 * macro_p * macro_r / (macro_p + macro_r),   # 另一种定义
        "weighted_f1": float(np.sum(f * support) / support.sum()),
        "micro_p": float(micro_p),
        "micro_r": float(micro_r),
        "micro_f1": float(micro_f),
        "accuracy": tp.sum() / cm.sum(),
    }
# --8<-- [end:macro_micro]
