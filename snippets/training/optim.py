"""L2 正则与解耦权重衰减（weight decay）在 SGD / Adam 下的对比。

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
              b1=0.9, b2=0.999, eps=1e-8):
    """Adam（decoupled=False 时 lam 作为 L2 加进梯度）或 AdamW（decoupled=True）。

    state = {"m": ..., "v": ..., "t": int}，原地更新。
    """
    if decoupled:
        theta = theta * (1.0 - lr * lam)          # AdamW：衰减不经过自适应缩放（PyTorch 的顺序）
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
