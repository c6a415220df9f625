"""L2 正则与解耦权重衰减（weight decay）在 SGD / Adam 下的对比，L1 的近端步与次梯度步，哪些参数做衰减。

记号：学习率 lr（η），正则系数 lam（λ），损失梯度 g。
"""
import numpy as np


# --8<-- [start:sgd]
def sgd_l2_step(theta, g, lr, lam):
    """L2 正则：对 L + (lam/2)||theta||^2 求梯度，等于 g + lam * theta。"""
    return theta - lr * (g + lam * theta)


def sgd_decay_step(theta, g, lr, beta):
    """权重衰减：先把参数乘 (1 - beta)，再做普通 SGD。beta = lr * lam 时与上式逐位相同。"""
    return (1.0 - beta) * theta - lr * g
# --8<-- [end:sgd]


# --8<-- [start:sgd_momentum]
def sgd_momentum_step(theta, g, buf, lr, lam, mu=0.9, decoupled=False):
    """带动量的 SGD。L2 版（PyTorch SGD 的 weight_decay 就是这种）把 lam*theta 混进动量缓冲；
    解耦版（SGDW）在动量之外直接衰减。两者不再逐位相等；稳态下每步衰减 lr*lam 的解耦版
    只相当于 (1-mu)*lam 的 L2。返回 (theta, buf)。"""
    if not 0.0 <= mu < 1.0:
        raise ValueError(f"momentum mu must be in [0, 1), got {mu}")
    if not decoupled:
        g = g + lam * theta
    buf = mu * buf + g
    step = lr * buf
    if decoupled:
        step = step + lr * lam * theta    # 衰减不进动量，只作用于当前这一步
    return theta - step, buf
# --8<-- [end:sgd_momentum]


# --8<-- [start:adam]
def adam_step(theta, g, state, lr, lam=0.0, decoupled=False,
              b1=0.9, b2=0.999, eps=1e-8, decay_rate=None):
    """Adam（decoupled=False 时 lam 作为 L2 加进梯度）或 AdamW（decoupled=True）。

    AdamW 每步把参数乘 (1 - decay_rate * lam)。decay_rate=None 时取 lr，即 PyTorch AdamW 的做法
    （衰减量 lr*lam 随学习率变）；传入调度乘子 eta_t 则是 Loshchilov & Hutter 原文的写法，
    衰减与基础学习率 lr 无关。state = {"m": ..., "v": ..., "t": int}，原地更新。
    """
    if lr <= 0 or lam < 0:
        raise ValueError(f"need lr > 0 and lam >= 0, got lr={lr}, lam={lam}")
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
        raise ValueError(f"betas must be in [0, 1), got b1={b1}, b2={b2}")
    if decoupled:
        rate = lr if decay_rate is None else decay_rate
        theta = theta * (1.0 - rate * lam)        # AdamW：衰减不经过自适应缩放（PyTorch 的顺序）
    else:
        g = g + lam * theta                       # L2：衰减项也会被 1/sqrt(v) 缩放
    state["t"] += 1
    state["m"] = b1 * state["m"] + (1 - b1) * g
    state["v"] = b2 * state["v"] + (1 - b2) * g * g
    m_hat = state["m"] / (1 - b1 ** state["t"])
    v_hat = state["v"] / (1 - b2 ** state["t"])
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps)


def adam_state(theta):
    return {"m": np.zeros_like(theta), "v": np.zeros_like(theta), "t": 0}
# --8<-- [end:adam]


# --8<-- [start:l1]
def soft_threshold(z, t):
    """软阈值 S(z, t) = sign(z) * max(|z| - t, 0)：|z| <= t 的分量被精确置 0。"""
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def l1_prox_step(theta, g, lr, lam):
    """近端梯度（ISTA）：先对光滑部分走一步梯度，再对 lam*||theta||_1 取近端算子，即软阈值。"""
    return soft_threshold(theta - lr * g, lr * lam)


def l1_subgrad_step(theta, g, lr, lam):
    """次梯度下降：在 theta 上加 lam*sign(theta)。它只会让参数在 0 附近来回跳，几乎从不精确等于 0。"""
    return theta - lr * (g + lam * np.sign(theta))
# --8<-- [end:l1]


# --8<-- [start:decay_groups]
def split_decay_groups(params):
    """把参数按名字分成两组：二维及以上的张量（线性层、卷积核、嵌入）做权重衰减；
    一维的偏置、LayerNorm/RMSNorm 的增益和偏置不做。返回 (decay_names, no_decay_names)。"""
    decay, no_decay = [], []
    for name, p in params.items():
        (decay if np.ndim(p) >= 2 else no_decay).append(name)
    return decay, no_decay
# --8<-- [end:decay_groups]
