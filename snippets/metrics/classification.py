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


def multilabel_averages(Y, Y_hat):
    """多标签：Y、Y_hat 是 (N, C) 的 0/1 矩阵。返回 micro / macro / samples 三种 F1 与子集准确率（整行全对才算对）。"""
    Y, Y_hat = np.asarray(Y, dtype=bool), np.asarray(Y_hat, dtype=bool)
    if Y.shape != Y_hat.shape or Y.ndim != 2:
        raise ValueError(f"label matrices must both be (N, C), got {Y.shape} and {Y_hat.shape}")
    tp = (Y & Y_hat).sum(axis=0)
    fp = (~Y & Y_hat).sum(axis=0)
    fn = (Y & ~Y_hat).sum(axis=0)
    _, _, f_per_class = precision_recall_fbeta(tp, fp, fn)
    _, _, f_micro = precision_recall_fbeta(tp.sum(), fp.sum(), fn.sum())
    tp_s = (Y & Y_hat).sum(axis=1)          # per sample ("samples" average, as sklearn)
    fp_s = (~Y & Y_hat).sum(axis=1)
    fn_s = (Y & ~Y_hat).sum(axis=1)
    _, _, f_per_sample = precision_recall_fbeta(tp_s, fp_s, fn_s)
    return {"micro_f1": float(f_micro), "macro_f1": float(f_per_class.mean()),
            "samples_f1": float(f_per_sample.mean()), "subset_accuracy": float(np.all(Y == Y_hat, axis=1).mean())}
# --8<-- [end:macro_micro]


# --8<-- [start:calibration]
def expected_calibration_error(y, p, n_bins=10):
    """ECE：把预测概率按 [0, 1] 等宽分成 n_bins 个桶，各桶 |平均预测 - 实际正例率| 按样本数加权求和。

    AUC 只看排序，ECE 看概率本身准不准：对 p 做单调变换不改变 AUC，却会改变 ECE。
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if y.shape != p.shape or y.ndim != 1 or len(y) == 0:
        raise ValueError(f"labels {y.shape} and probabilities {p.shape} must be non-empty 1-D arrays of the same length")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)      # p = 1 goes into the last bin
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return float(ece)
# --8<-- [end:calibration]
