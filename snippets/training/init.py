"""权重初始化：LeCun / Xavier(Glorot) / Kaiming(He) 方差缩放与（半）正交初始化。

约定：全连接层 y = W x，W 的形状为 (fan_out, fan_in)。
"""
import numpy as np

# --8<-- [start:gain]
# 激活函数的增益 gain：Var(W) 在“线性激活”方差公式的基础上乘 gain**2
GAINS = {
    "linear": 1.0,
    "tanh": 5.0 / 3.0,       # PyTorch 的经验值（tanh 在 0 处斜率为 1，5/3 补偿饱和）
    "relu": np.sqrt(2.0),    # ReLU 把二阶矩减半，乘 2 补回
    "sigmoid": 1.0,          # PyTorch calculate_gain('sigmoid') 也是 1
    "sigmoid_taylor": 4.0,   # 按 0 点斜率 1/4 做泰勒近似得到的 4（方差 ×16），见正文
}
# --8<-- [end:gain]


# --8<-- [start:variance_scaling]
def lecun_normal(fan_in, fan_out, rng, gain=1.0):
    """LeCun：Var(W) = gain^2 / fan_in，只保前向方差。"""
    std = gain / np.sqrt(fan_in)
    return rng.standard_normal((fan_out, fan_in)) * std


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """Xavier/Glorot：Var(W) = gain^2 * 2 / (fan_in + fan_out)，折中前向与反向。"""
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.standard_normal((fan_out, fan_in)) * std


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """U(-a, a) 的方差是 a^2/3，令其等于 2/(fan_in+fan_out) 得 a = sqrt(6/(fan_in+fan_out))。"""
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def kaiming_normal(fan_in, fan_out, rng, gain=np.sqrt(2.0)):
    """Kaiming/He（fan_in 模式）：Var(W) = gain^2 / fan_in，ReLU 时 gain^2 = 2。"""
    std = gain / np.sqrt(fan_in)
    return rng.standard_normal((fan_out, fan_in)) * std
# --8<-- [end:variance_scaling]


# --8<-- [start:orthogonal]
def orthogonal(fan_in, fan_out, rng, gain=1.0):
    """（半）正交初始化：对高斯矩阵做 QR，并用 R 对角元的符号修正 Q。

    - fan_out >= fan_in：列正交，W.T @ W = I（对输入保范数）；
    - fan_out <  fan_in：行正交，W @ W.T = I（把输入正交投影到 fan_out 维）。
    符号修正让 Q 服从正交群上的均匀（Haar）分布；不修正时 Q 的分布有偏。
    """
    rows, cols = fan_out, fan_in
    big, small = max(rows, cols), min(rows, cols)
    M = rng.standard_normal((big, small))
    Q, R = np.linalg.qr(M)               # Q: (big, small)，列正交
    Q = Q * np.sign(np.diag(R))          # 每列乘 ±1，使 diag(R) > 0 的分解唯一
    if rows < cols:
        Q = Q.T                          # 行正交
    return gain * Q
# --8<-- [end:orthogonal]


def forward_stats(x, weights, act):
    """逐层前向 h_l = act(W_l h_{l-1})，返回每层输出的标准差（notebook 与测试用）。"""
    stds = []
    h = x
    for W in weights:
        h = act(h @ W.T)
        stds.append(float(h.std()))
    return np.array(stds)
