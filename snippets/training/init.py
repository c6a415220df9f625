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
def _check_fans(fan_in, fan_out):
    for name, v in (("fan_in", fan_in), ("fan_out", fan_out)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


def lecun_normal(fan_in, fan_out, rng, gain=1.0):
    """LeCun：Var(W) = gain^2 / fan_in，只保前向方差。"""
    _check_fans(fan_in, fan_out)
    std = gain / np.sqrt(fan_in)
    return rng.standard_normal((fan_out, fan_in)) * std


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """Xavier/Glorot：Var(W) = gain^2 * 2 / (fan_in + fan_out)，折中前向与反向。"""
    _check_fans(fan_in, fan_out)
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.standard_normal((fan_out, fan_in)) * std


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """U(-a, a) 的方差是 a^2/3，令其等于 2/(fan_in+fan_out) 得 a = sqrt(6/(fan_in+fan_out))。"""
    _check_fans(fan_in, fan_out)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def kaiming_normal(fan_in, fan_out, rng, gain=np.sqrt(2.0)):
    """Kaiming/He（fan_in 模式）：Var(W) = gain^2 / fan_in，ReLU 时 gain^2 = 2。"""
    _check_fans(fan_in, fan_out)
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
    if not isinstance(fan_in, (int, np.integer)) or not isinstance(fan_out, (int, np.integer)) \
            or min(fan_in, fan_out) < 1:
        raise ValueError(f"fan_in and fan_out must be positive integers, got {fan_in!r}, {fan_out!r}")
    rows, cols = fan_out, fan_in
    big, small = max(rows, cols), min(rows, cols)
    M = rng.standard_normal((big, small))
    Q, R = np.linalg.qr(M)               # Q: (big, small)，列正交
    Q = Q * np.sign(np.diag(R))          # 每列乘 ±1，使 diag(R) > 0 的分解唯一
    if rows < cols:
        Q = Q.T                          # 行正交
    return gain * Q
# --8<-- [end:orthogonal]


# --8<-- [start:residual_init]
def residual_proj_std(n_layer, std=0.02):
    """GPT-2 式初始化中残差支路输出投影（注意力的 W_O、MLP 的第二个矩阵）的标准差：std / sqrt(2 * n_layer)。

    每个 block 往残差流里加两次（注意力、MLP），共 2L 次；各次贡献近似独立，方差相加，
    所以把每次的方差缩小 2L 倍后，初始化时残差流增加的总方差与层数 L 无关。
    """
    if not isinstance(n_layer, (int, np.integer)) or n_layer < 1:
        raise ValueError(f"n_layer must be a positive integer, got {n_layer!r}")
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    return std / np.sqrt(2 * n_layer)
# --8<-- [end:residual_init]


# --8<-- [start:jacobian]
def input_output_jacobian(x, weights, act, act_grad):
    """深度网络 h_l = act(W_l h_{l-1}) 在输入向量 x 处的输入-输出 Jacobian J = D_L W_L ... D_1 W_1，
    其中 D_l = diag(act_grad(z_l))，z_l = W_l h_{l-1}。动力学等距要求 J 的奇异值都集中在 1 附近。"""
    h, J = np.asarray(x, dtype=float), np.eye(len(x))
    for W in weights:
        z = W @ h
        J = act_grad(z)[:, None] * (W @ J)
        h = act(z)
    return J
# --8<-- [end:jacobian]


def forward_stats(x, weights, act):
    """逐层前向 h_l = act(W_l h_{l-1})，返回每层输出的标准差（notebook 与测试用）。"""
    stds = []
    h = x
    for W in weights:
        h = act(h @ W.T)
        stds.append(float(h.std()))
    return np.array(stds)
