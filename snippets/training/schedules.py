"""学习率调度：线性 warmup + 余弦衰减 / WSD（warmup-stable-decay）/ 线性衰减到 0 / 常数。

记号：step s ∈ [0, total]，warmup 步数 W，峰值学习率 peak，最低学习率 peak · min_ratio。
"""
import numpy as np

KINDS = ("cosine", "wsd", "linear", "constant")


def _check(total, warmup, peak, min_ratio, decay_frac):
    if total <= 0:
        raise ValueError(f"total steps must be positive, got {total}")
    if not 0 <= warmup <= total:
        raise ValueError(f"warmup steps ({warmup}) must be in [0, total steps = {total}]")
    if not np.isfinite(peak) or peak < 0:
        raise ValueError(f"peak learning rate must be a finite number >= 0, got {peak}")
    if not 0.0 <= min_ratio <= 1.0:
        raise ValueError(f"min_ratio must be in [0, 1], got {min_ratio}")
    if not 0.0 < decay_frac <= 1.0:
        raise ValueError(f"decay_frac must be in (0, 1], got {decay_frac}")


# --8<-- [start:schedule]
def lr_at(step, total, peak, warmup=0, kind="cosine", min_ratio=0.1, decay_frac=0.1):
    """第 step 步的学习率（step 可以是数组）。

    - warmup：0 → peak 线性增长，第 W 步到达峰值；
    - cosine：W → total 按半个余弦从 peak 降到 peak·min_ratio；
    - wsd：保持 peak，最后 decay_frac·total 步线性降到 peak·min_ratio（MiniCPM 用 10% 左右）；
    - linear：W → total 线性降到 peak·min_ratio（min_ratio=0 即“线性衰减到 0”）；
    - constant：warmup 之后不变。
    """
    _check(total, warmup, peak, min_ratio, decay_frac)
    if kind not in KINDS:
        raise ValueError(f"unknown schedule {kind!r}; choose one of {KINDS}")
    s = np.asarray(step, dtype=float)
    if np.any((s < 0) | (s > total)):
        raise ValueError(f"step must be in [0, {total}], got {step}")
    lo = peak * min_ratio
    warm = peak * s / warmup if warmup > 0 else np.full_like(s, peak)
    p = np.clip((s - warmup) / max(total - warmup, 1), 0.0, 1.0)       # 衰减阶段的进度
    if kind == "cosine":
        after = lo + (peak - lo) * 0.5 * (1 + np.cos(np.pi * p))
    elif kind == "linear":
        after = peak - (peak - lo) * p
    elif kind == "wsd":
        start = total * (1 - decay_frac)
        q = np.clip((s - max(start, warmup)) / max(total - max(start, warmup), 1), 0.0, 1.0)
        after = peak - (peak - lo) * q
    else:
        after = np.full_like(s, peak)
    out = np.where(s < warmup, warm, after)
    return float(out) if out.ndim == 0 else out
# --8<-- [end:schedule]
