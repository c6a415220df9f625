# %% [markdown]
# ---
# description: 验证 SGD 下 L2 正则与权重衰减在 β=ηλ 时逐步等价、加动量后不再逐位相等；Adam 下 L2 的衰减被 1/√v 缩放而 AdamW 对所有参数一视同仁，以及 PyTorch AdamW 的衰减量随学习率变化。
# tags:
#   - 权重衰减
#   - L2 正则
#   - AdamW
#   - 优化器
#   - 动手验证
# ---
# # L2 正则与权重衰减：SGD 等价，Adam 不等价
#
# 对应问题：[L2 正则与权重衰减是一回事吗？](regularization.md#regularization-weight-decay)
#
# ## SGD：β = ηλ 时逐步相同 {#sgd}
#
# 线性回归 $L(\theta)=\frac1{2m}\|X\theta-y\|^2$。L2 版对 $L+\frac\lambda2\|\theta\|^2$ 做梯度下降；
# 衰减版每步先乘 $1-\beta$ 再沿 $\nabla L$ 走一步。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.optim import (adam_state, adam_step, sgd_decay_step, sgd_l2_step,
                                     sgd_momentum_step)

rng = np.random.default_rng(0)
m, d = 200, 20
X = rng.standard_normal((m, d))
y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(m)
grad = lambda th: X.T @ (X @ th - y) / m
lr, lam, mu, steps = 0.05, 0.1, 0.9, 800
ridge = lambda l: np.linalg.solve(X.T @ X / m + l * np.eye(d), X.T @ y / m)


def run(step_fn):
    th, buf, out = th0.copy(), np.zeros(d), [th0.copy()]
    for _ in range(steps):
        th, buf = step_fn(th, buf)
        out.append(th)
    return np.array(out)


th0 = rng.standard_normal(d)
traj = {
    "SGD + L2": run(lambda t, b: (sgd_l2_step(t, grad(t), lr, lam), b)),
    "SGD + decay": run(lambda t, b: (sgd_decay_step(t, grad(t), lr, lr * lam), b)),
    "momentum + L2": run(lambda t, b: sgd_momentum_step(t, grad(t), b, lr, lam, mu)),
    "SGDW, decay lr*lam": run(
        lambda t, b: sgd_momentum_step(t, grad(t), b, lr, lam, mu, decoupled=True)),
    "SGDW, lr*lam/(1-mu)": run(
        lambda t, b: sgd_momentum_step(t, grad(t), b, lr, lam / (1 - mu), mu, decoupled=True)),
}

#| alt: 参数范数随训练步数变化的五条曲线：纯 SGD 下 L2 与 β=ηλ 的权重衰减两条完全重合；带动量时 L2 与每步衰减 ηλ 的 SGDW 收敛到不同的范数，把 SGDW 的衰减放大 1/(1-μ) 后终点与 L2 相同但前期轨迹不同
fig, ax = plt.subplots(figsize=(4.8, 3.8))
for (k, v), st in zip(traj.items(), ["-", "--", "-", "-", ":"]):
    ax.plot(np.linalg.norm(v[:300], axis=1), st, lw=2, label=k)
ax.set_xlabel("step")
ax.set_ylabel("||theta||")
ax.legend(loc="upper right")
plt.show()

# %%
a, b = traj["SGD + L2"], traj["SGD + decay"]
c = traj["momentum + L2"]
e1, e2 = traj["SGDW, decay lr*lam"], traj["SGDW, lr*lam/(1-mu)"]
print("plain SGD, max |L2 - decay| over the whole run:", np.abs(a - b).max())
print("momentum, max |L2 - SGDW(lam/(1-mu))| over the run:", np.abs(c - e2).max(),
      " at the end:", np.abs(c[-1] - e2[-1]).max())
assert np.allclose(a, b, rtol=1e-12, atol=1e-12)      # 同一条轨迹，只差浮点舍入
assert np.allclose(a[-1], ridge(lam), atol=1e-6)      # 收敛到岭回归解
# 动量下：L2 收敛到 ridge(lam)；解耦衰减每步 lr*lam 时等效正则只有 (1-mu)*lam
assert np.allclose(c[-1], ridge(lam), atol=1e-6)
assert np.allclose(e1[-1], ridge((1 - mu) * lam), atol=1e-6)
# 把解耦衰减放大 1/(1-mu) 后终点相同，但中间轨迹不同
assert np.allclose(e2[-1], c[-1], atol=1e-6) and not np.allclose(e2, c)

# %% [markdown]
# ## Adam：L2 与 AdamW 从第一步就不同 {#adam}
#
# Adam + L2 把 $\lambda\theta$ 加进梯度，再除以 $\sqrt{\hat v}$；AdamW 把衰减 $\eta\lambda\theta$ 放在自适应缩放之外。
# 为了看清差别，构造一个“梯度只有噪声”的设置：参数 $i$ 的梯度是 $s_i\xi$，$s_i$ 从 $10^{-3}$ 到 $10$，
# 看 5000 步后参数的均方根。

# %%
th = rng.standard_normal(8)
g = rng.standard_normal(8) * np.logspace(-2, 2, 8)
one_l2 = adam_step(th, g, adam_state(th), lr=1e-2, lam=0.1, decoupled=False)
one_w = adam_step(th, g, adam_state(th), lr=1e-2, lam=0.1, decoupled=True)
print("after one step, max |Adam+L2 - AdamW| =", np.abs(one_l2 - one_w).max())
assert not np.allclose(one_l2, one_w)

scales, reps = np.logspace(-3, 1, 9), 100
s = np.repeat(scales, reps)
rms = {}
for label, dec in [("Adam + L2", False), ("AdamW", True)]:
    noise = np.random.default_rng(1)
    w = np.ones_like(s)
    st = adam_state(w)
    for _ in range(5000):
        w = adam_step(w, s * noise.standard_normal(s.shape), st, lr=1e-2, lam=0.1, decoupled=dec)
    rms[label] = np.sqrt((w.reshape(len(scales), reps) ** 2).mean(axis=1))

#| alt: 双对数坐标，横轴是参数梯度的尺度 s_i，纵轴是 5000 步后参数的均方根：AdamW 的点几乎是一条约 0.2 的水平线，Adam + L2 的点随 s_i 单调上升，梯度越大的参数越不被衰减
fig, ax = plt.subplots()
for label, v in rms.items():
    ax.loglog(scales, v, "o-", label=label)
ax.set_xlabel("gradient scale s_i")
ax.set_ylabel("param RMS, 5000 steps")
ax.legend(loc="upper left")
plt.show()

# %%
for label, v in rms.items():
    print(f"{label:10s}", np.round(v, 3))
spread_w = rms["AdamW"].max() / rms["AdamW"].min()
spread_l2 = rms["Adam + L2"].max() / rms["Adam + L2"].min()
assert spread_w < 1.5        # AdamW：所有参数衰减到同一尺度，与梯度大小无关
assert spread_l2 > 20        # Adam+L2：梯度越大的参数，实际受到的衰减越弱
assert np.all(np.diff(rms["Adam + L2"]) > 0)

# %% [markdown]
# ## PyTorch AdamW 的衰减量是 lr·λ {#adamw-torch-decay}
#
# PyTorch `AdamW` 每步先做 $\theta\leftarrow(1-\eta\lambda)\theta$（$\eta$ 是 `lr`），所以同一个 `weight_decay`
# 在学习率减半时衰减也减半。Loshchilov & Hutter 原文的衰减只乘调度乘子 $\eta_t$，与基础学习率无关。
# 在“只有衰减、没有损失梯度”的极端情形下对比一步：

# %%
th1 = np.linspace(-1, 1, 5)
zero = np.zeros_like(th1)
for lr_ in (1e-3, 1e-4):
    torch_form = adam_step(th1, zero, adam_state(th1), lr=lr_, lam=0.1, decoupled=True)
    paper_form = adam_step(th1, zero, adam_state(th1), lr=lr_, lam=0.1, decoupled=True, decay_rate=1.0)
    print(f"lr={lr_:g}: PyTorch-style shrink factor {torch_form[-1] / th1[-1]:.6f}, "
          f"paper-style (eta_t = 1) {paper_form[-1] / th1[-1]:.6f}")
    assert np.allclose(torch_form, (1 - lr_ * 0.1) * th1)
    assert np.allclose(paper_form, (1 - 0.1) * th1)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 纯 SGD：$\theta\leftarrow\theta-\eta(g+\lambda\theta)=(1-\eta\lambda)\theta-\eta g$，L2 与权重衰减在 $\beta=\eta\lambda$ 时完全相同。
# - 加动量 $\mu$ 后，L2 项进入动量缓冲，被放大约 $1/(1-\mu)$ 倍：每步衰减 $\eta\lambda$ 的解耦版本只相当于
#   $(1-\mu)\lambda$ 的 L2；把衰减调到 $\eta\lambda/(1-\mu)$ 后终点相同，但轨迹仍不同。
# - Adam 中 L2 的梯度 $\lambda\theta$ 被 $1/\sqrt{\hat v}$ 缩放：历史梯度大的参数几乎不衰减，梯度小的参数被过度衰减；
#   AdamW 把衰减与自适应缩放解耦，衰减强度对所有参数一致（Loshchilov & Hutter 2019）。
# - PyTorch `AdamW` 的每步衰减是 `lr * weight_decay`，随学习率变化；原文的衰减只随调度乘子变化。

