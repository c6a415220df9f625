"""线性层上的 LoRA：前向、解析梯度、初始化方式与权重合并。

约定（与 LoRA 论文一致）：W0 形状 (d_out, d_in) 冻结；A 形状 (r, d_in)；B 形状 (d_out, r)；
h = W0 x + (alpha / r) * B A x。批量输入 X 形状 (n, d_in)，输出 H 形状 (n, d_out)。
"""
import numpy as np


# --8<-- [start:forward]
def lora_forward(X, W0, A, B, alpha):
    """H = X W0^T + s * (X A^T) B^T，s = alpha / r。旁路先降到 r 维再升回 d_out。"""
    s = alpha / A.shape[0]
    return X @ W0.T + s * (X @ A.T) @ B.T
# --8<-- [end:forward]


# --8<-- [start:grads]
def lora_grads(X, A, B, alpha, G):
    """给定上游梯度 G = dL/dH（形状 (n, d_out)），返回 (dL/dA, dL/dB)。

    dL/dB = s * G^T (X A^T)      —— 含因子 A：A != 0 时 B 就有梯度
    dL/dA = s * B^T G^T X        —— 含因子 B：B == 0 时 A 的梯度恰为 0
    """
    s = alpha / A.shape[0]
    dB = s * G.T @ (X @ A.T)
    dA = s * B.T @ G.T @ X
    return dA, dB
# --8<-- [end:grads]


# --8<-- [start:init]
def lora_init(d_in, d_out, r, rng, mode="B_zero", std=None):
    """mode 取值：
    - "B_zero"：LoRA 默认，A 高斯、B 全零；
    - "A_zero"：对称的另一种选择；
    - "both_zero"：A、B 全零；
    - "both_gauss"：A、B 都高斯。
    """
    std = 1.0 / np.sqrt(d_in) if std is None else std
    A = rng.standard_normal((r, d_in)) * std
    B = rng.standard_normal((d_out, r)) * std
    if mode == "B_zero":
        B[:] = 0.0
    elif mode == "A_zero":
        A[:] = 0.0
    elif mode == "both_zero":
        A[:] = 0.0
        B[:] = 0.0
    elif mode != "both_gauss":
        raise ValueError(mode)
    return A, B
# --8<-- [end:init]


# --8<-- [start:merge]
def lora_merge(W0, A, B, alpha):
    """推理前合并：W = W0 + (alpha/r) B A，之后与普通线性层完全相同，无额外延迟。"""
    return W0 + (alpha / A.shape[0]) * B @ A
# --8<-- [end:merge]
