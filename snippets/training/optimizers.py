"""一阶优化器的更新规则（SGD、动量、Nesterov、AdaGrad、RMSProp、Adam、Lion、LARS/LAMB、Muon）及其状态显存。

记号：theta 参数，g 梯度，lr 学习率 η，state 每个优化器自己的状态字典（原地更新），t 步数（从 1 开始）。
解耦权重衰减（AdamW）见 snippets/training/optim.py 与 regularization 页。
"""
import numpy as np


def check_lr(lr):
    if not np.isfinite(lr) or lr < 0:
        raise ValueError(f"learning rate must be a finite number >= 0, got {lr}")


def check_beta(name, beta):
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {beta}")


# --8<-- [start:classic]
def sgd(theta, g, state, lr):
    check_lr(lr)
    return theta - lr * g


def heavy_ball(theta, g, state, lr, mu=0.9):
    """Polyak 动量：v ← μ v + g，θ ← θ − η v（PyTorch SGD(momentum=μ) 的写法）。"""
    check_lr(lr)
    check_beta("momentum mu", mu)
    state["v"] = mu * state.get("v", 0.0) + g
    return theta - lr * state["v"]


def nesterov(theta, grad_fn, state, lr, mu=0.9):
    """Nesterov（Sutskever 2013 的写法）：在“先按惯性走一步”的位置 θ + μ v 上求梯度。"""
    check_lr(lr)
    check_beta("momentum mu", mu)
    v = state.get("v", 0.0)
    state["v"] = mu * v - lr * grad_fn(theta + mu * v)
    return theta + state["v"]


def adagrad(theta, g, state, lr, eps=1e-10):
    """AdaGrad：累加全部历史的 g²，有效学习率 η/√(Σg²) 单调变小。"""
    check_lr(lr)
    state["s"] = state.get("s", 0.0) + g * g
    return theta - lr * g / (np.sqrt(state["s"]) + eps)


def rmsprop(theta, g, state, lr, beta2=0.99, eps=1e-8):
    """RMSProp：把 AdaGrad 的累加换成指数滑动平均，旧梯度被遗忘。"""
    check_lr(lr)
    check_beta("beta2", beta2)
    state["s"] = beta2 * state.get("s", 0.0) + (1 - beta2) * g * g
    return theta - lr * g / (np.sqrt(state["s"]) + eps)
# --8<-- [end:classic]


# --8<-- [start:adam]
def adam(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=True):
    """Adam。m、v 从 0 开始，前几步被拉向 0；除以 1 − β^t 做偏差修正。"""
    check_lr(lr)
    check_beta("beta1", beta1)
    check_beta("beta2", beta2)
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat, v_hat = state["m"], state["v"]
    if bias_correction:
        m_hat = m_hat / (1 - beta1 ** t)
        v_hat = v_hat / (1 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)
# --8<-- [end:adam]


# --8<-- [start:lion]
def lion(theta, g, state, lr, beta1=0.9, beta2=0.99, wd=0.0):
    """Lion：更新方向是 β1·m + (1−β1)·g 的符号，只存一个动量 m（用 β2 更新）。"""
    check_lr(lr)
    check_beta("beta1", beta1)
    check_beta("beta2", beta2)
    m = state.get("m", np.zeros_like(theta))
    update = np.sign(beta1 * m + (1 - beta1) * g)
    state["m"] = beta2 * m + (1 - beta2) * g
    return theta - lr * (update + wd * theta)
# --8<-- [end:lion]


# --8<-- [start:radam]
def radam_rectifier(t, beta2=0.999):
    """RAdam 的整流系数 r_t：ρ_t ≤ 4 时自适应学习率的方差无界，返回 0（该步退化为带动量的 SGD）。"""
    check_beta("beta2", beta2)
    t = np.asarray(t, dtype=float)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2 ** t / (1.0 - beta2 ** t)
    ok = rho_t > 4.0
    safe = np.where(ok, rho_t, 5.0)
    r = np.sqrt((safe - 4) * (safe - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe))
    return np.where(ok, r, 0.0)


def radam(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """RAdam（Liu et al. 2019）：r_t = 0 的前几步只用动量 m̂，之后把 Adam 的步长乘 r_t。"""
    check_lr(lr)
    check_beta("beta1", beta1)
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1 ** t)
    r = float(radam_rectifier(t, beta2))
    if r == 0.0:
        return theta - lr * m_hat
    return theta - lr * r * m_hat / (np.sqrt(state["v"] / (1 - beta2 ** t)) + eps)
# --8<-- [end:radam]


# --8<-- [start:layerwise]
def lars(theta, g, state, lr, mu=0.9, wd=0.0, trust=0.001, eps=1e-12):
    """LARS（You et al. 2017）：每层的局部学习率 = trust · ‖w‖ / (‖g‖ + wd·‖w‖)，再做动量 SGD。"""
    check_lr(lr)
    check_beta("momentum mu", mu)
    d = g + wd * theta
    local = trust * np.linalg.norm(theta) / (np.linalg.norm(g) + wd * np.linalg.norm(theta) + eps)
    state["v"] = mu * state.get("v", 0.0) + lr * local * d
    return theta - state["v"]


def lamb(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-6, wd=0.0):
    """LAMB（You et al. 2019）：先算 Adam 方向 r（含解耦衰减），再按层乘信任比 ‖w‖/‖r‖。"""
    check_lr(lr)
    check_beta("beta1", beta1)
    check_beta("beta2", beta2)
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
    r = (state["m"] / (1 - beta1 ** t)) / (np.sqrt(state["v"] / (1 - beta2 ** t)) + eps) + wd * theta
    w_norm, r_norm = np.linalg.norm(theta), np.linalg.norm(r)
    ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
    return theta - lr * ratio * r
# --8<-- [end:layerwise]


# --8<-- [start:muon]
NS_COEFFS = (3.4445, -4.7750, 2.0315)   # KellerJordan/Muon 的五次迭代系数


def newton_schulz(G, steps=5, coeffs=NS_COEFFS):
    """把矩阵 G = U S V^T 近似变成 U S' V^T，S' 的对角元接近 1（不做 SVD）。

    每步 X ← aX + b(XX^T)X + c(XX^T)^2 X，即对每个奇异值做 σ ← aσ + bσ³ + cσ⁵。
    先除以 Frobenius 范数，保证所有奇异值 ≤ 1，落在迭代的收敛区间里。
    """
    G = np.asarray(G, dtype=float)
    if G.ndim != 2:
        raise ValueError(f"Newton-Schulz needs a 2-D matrix, got shape {G.shape}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    a, b, c = coeffs
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    X = X / (np.linalg.norm(X) + 1e-7)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def muon_update(g, state, beta=0.95, nesterov=True, steps=5, scale="keller"):
    """Muon 的更新方向（乘学习率之前）：动量 → Newton–Schulz 正交化 → 按形状缩放。

    scale="keller"：乘 sqrt(max(1, rows/cols))（KellerJordan/Muon）；
    scale="moonlight"：乘 0.2·sqrt(max(rows, cols))，让更新的 RMS 约为 0.2、与 AdamW 相当（Moonlight）。
    """
    check_beta("momentum beta", beta)
    g = np.asarray(g, dtype=float)
    if g.ndim != 2:
        raise ValueError(f"Muon is for 2-D weight matrices, got shape {g.shape}; use AdamW for the rest")
    buf = state["buf"] = beta * state.get("buf", np.zeros_like(g)) + (1 - beta) * g
    u = newton_schulz((1 - beta) * g + beta * buf if nesterov else buf, steps)
    rows, cols = g.shape
    if scale == "keller":
        return u * max(1.0, rows / cols) ** 0.5
    if scale == "moonlight":
        return u * 0.2 * np.sqrt(max(rows, cols))
    raise ValueError(f"unknown scale {scale!r} (use 'keller' or 'moonlight')")
# --8<-- [end:muon]


# --8<-- [start:memory]
STATE_BYTES = {          # 混合精度训练中每个参数的 fp32 优化器状态（字节）
    "sgd": 0, "momentum": 4, "adagrad": 4, "rmsprop": 4, "lion": 4, "muon": 4, "adam": 8, "adamw": 8,
}


def bytes_per_param(optimizer, weights=2, grads=2, master=4, matrix_fraction=1.0):
    """bf16 权重 + bf16 梯度 + fp32 主权重 + fp32 优化器状态，每参数字节数。

    Muon 只用于二维隐藏层权重（占参数的 matrix_fraction），其余参数仍用 AdamW。
    """
    if optimizer not in STATE_BYTES:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {sorted(STATE_BYTES)}")
    if not 0.0 <= matrix_fraction <= 1.0:
        raise ValueError(f"matrix_fraction must be in [0, 1], got {matrix_fraction}")
    base = weights + grads + master
    if optimizer == "muon":
        return base + matrix_fraction * STATE_BYTES["muon"] + (1 - matrix_fraction) * STATE_BYTES["adamw"]
    return base + STATE_BYTES[optimizer]
# --8<-- [end:memory]


# --8<-- [start:batch]
def steps_and_examples(batch, b_noise, s_min):
    """McCandlish et al. 2018 的经验模型：S = S_min(1 + B_noise/B)，E = B·S = E_min(1 + B/B_noise)。"""
    _check_batch(batch)
    s = s_min * (1.0 + b_noise / np.asarray(batch, dtype=float))
    return s, np.asarray(batch, dtype=float) * s


def simple_noise_scale(per_example_grads):
    """B_simple = tr(Σ) / |G|²：逐样本梯度的总方差除以平均梯度的平方范数（行 = 样本）。"""
    g = np.asarray(per_example_grads, dtype=float)
    if g.ndim != 2 or g.shape[0] < 2:
        raise ValueError(f"need a (samples, params) array with >= 2 samples, got shape {g.shape}")
    mean = g.mean(axis=0)
    return g.var(axis=0, ddof=1).sum() / (mean @ mean)


def _check_batch(batch):
    if np.any(np.asarray(batch) <= 0):
        raise ValueError(f"batch size must be positive, got {batch}")
# --8<-- [end:batch]
