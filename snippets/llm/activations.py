"""FFN 激活函数：ReLU、GELU、Swish/SiLU、GLU、SwiGLU，以及 LLaMA 的 FFN 隐层宽度。"""
import math

import numpy as np

_erf = np.vectorize(math.erf)


# --8<-- [start:activations]
def relu(x):
    return np.maximum(x, 0.0)


def gelu(x):
    """GELU(x) = x·Φ(x)，Φ 是标准正态分布的 CDF。"""
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def gelu_tanh(x):
    """GPT-2 / BERT 常用的 tanh 近似。"""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))   # 与 1/(1+e^{-x}) 相等，且不会溢出


def swish(x, beta=1.0):
    """Swish_β(x) = x·σ(βx)；β = 1 即 SiLU。"""
    return x * sigmoid(beta * x)
# --8<-- [end:activations]


# --8<-- [start:ffn]
def ffn_relu(x, W1, W2):
    """经典 FFN：max(0, xW1)W2，W1: d×4d，W2: 4d×d。"""
    return relu(x @ W1) @ W2


def glu(x, W, V, b=0.0, c=0.0):
    """GLU(x) = σ(xW+b) ⊙ (xV+c)，⊙ 是逐元素（Hadamard）乘积。"""
    return sigmoid(x @ W + b) * (x @ V + c)


def ffn_swiglu(x, W1, W3, W2):
    """LLaMA 的 FFN：(SiLU(xW1) ⊙ xW3) W2，三个矩阵，无 bias。"""
    return (swish(x @ W1) * (x @ W3)) @ W2


def llama_ffn_hidden(d, multiple_of=256, ffn_dim_multiplier=None):
    """LLaMA 的 FFN 隐层宽度：4d 的 2/3（参数量不变），
    Llama 2/3 可再乘 ffn_dim_multiplier，最后向上取整到 multiple_of 的倍数。"""
    if d <= 0 or multiple_of <= 0:
        raise ValueError(f"width d and multiple_of must be positive, got d={d}, multiple_of={multiple_of}")
    h = int(2 * (4 * d) / 3)
    if ffn_dim_multiplier is not None:
        h = int(ffn_dim_multiplier * h)
    return multiple_of * ((h + multiple_of - 1) // multiple_of)
# --8<-- [end:ffn]
