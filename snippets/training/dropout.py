"""Dropout：原始（vanilla）与反向（inverted）两种实现，以及反向 dropout 的反向传播。

参数约定：这里统一用 keep_prob（保留概率）；PyTorch 的 nn.Dropout(p) 里 p 是丢弃概率，
两者关系 keep_prob = 1 - p。
"""
import numpy as np


# --8<-- [start:vanilla]
def _check_keep_prob(keep_prob):
    if not 0.0 < keep_prob <= 1.0:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob} "
                         "(note: PyTorch's nn.Dropout(p) takes the drop probability p = 1 - keep_prob)")


def dropout_vanilla(h, keep_prob, rng, training=True):
    """原始 dropout（Hinton et al. 2012；Srivastava et al. 2014）：训练时只置零不缩放，测试时整体乘 keep_prob。"""
    _check_keep_prob(keep_prob)
    if not training:
        return h * keep_prob
    mask = rng.random(h.shape) < keep_prob
    return h * mask
# --8<-- [end:vanilla]


# --8<-- [start:inverted]
def dropout_inverted(h, keep_prob, rng, training=True, return_mask=False):
    """反向 dropout：训练时保留的单元除以 keep_prob，测试时原样输出。

    E[h'] = h 成立；但 E[h'^2] = h^2 / keep_prob，二阶矩（方差）训练时更大。
    return_mask=True 时同时返回掩码，反向传播要用同一个掩码。
    """
    _check_keep_prob(keep_prob)
    if not training or keep_prob == 1.0:
        mask = np.ones(np.shape(h), dtype=bool)
        return (h, mask) if return_mask else h
    mask = rng.random(h.shape) < keep_prob
    out = h * mask / keep_prob
    return (out, mask) if return_mask else out
# --8<-- [end:inverted]


# --8<-- [start:inverted_backward]
def dropout_inverted_backward(grad_out, mask, keep_prob):
    """反向传播：h' = h * mask / keep_prob 对 h 是逐元素线性的，所以
    dL/dh = dL/dh' * mask / keep_prob：梯度只流过前向时被保留的单元，并带同样的 1/keep_prob 缩放。"""
    _check_keep_prob(keep_prob)
    return grad_out * mask / keep_prob
# --8<-- [end:inverted_backward]
