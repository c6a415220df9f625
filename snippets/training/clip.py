"""梯度裁剪：按全局范数裁剪与按值裁剪。"""
import numpy as np


# --8<-- [start:clip_grad_norm]
def clip_grad_norm(grads, max_norm, eps=1e-6):
    """把一组梯度看成一个长向量，若其 L2 范数超过 max_norm 就整体等比缩小。

    返回二元组：裁剪后的梯度列表，以及裁剪前的全局范数。方向不变，只改长度。
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    total = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    scale = min(1.0, max_norm / (total + eps))
    return [g * scale for g in grads], total
# --8<-- [end:clip_grad_norm]


# --8<-- [start:clip_grad_value]
def clip_grad_value(grads, clip_value):
    """逐元素截断到 [-clip_value, clip_value]；会改变梯度方向。"""
    if clip_value <= 0:
        raise ValueError(f"clip_value must be positive, got {clip_value}")
    return [np.clip(g, -clip_value, clip_value) for g in grads]
# --8<-- [end:clip_grad_value]
