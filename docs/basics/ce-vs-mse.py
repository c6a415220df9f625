# %% [markdown]
# ---
# description: 比较 sigmoid 输出上交叉熵与 MSE 对 logit 的梯度，验证 MSE 在自信预测错误时梯度消失、对 logit 非凸，交叉熵梯度恒为 p - y，以及 focal loss 如何压低易分样本的损失。
# tags:
#   - 基础
#   - 损失函数
#   - 交叉熵
#   - MSE
#   - focal loss
#   - 动手验证
# ---
# # 分类为什么用交叉熵而不是 MSE
#
# 对应问题：[分类为什么用交叉熵而不用 MSE？](losses.md#classification-loss-ce-vs-mse)
#
# 二分类，标签 $y=1$，logit 为 $z$，$p=\sigma(z)$：
#
# - 交叉熵：$L_{CE}=-\log\sigma(z)$，$\partial L_{CE}/\partial z=p-y$；
# - MSE：$L_{MSE}=\tfrac12(p-y)^2$，$\partial L_{MSE}/\partial z=(p-y)\,p(1-p)$。
#
# ## 损失与梯度 {#loss-and-gradient}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.losses import bce_grad, bce_loss, mse_grad, mse_loss, sigmoid

z = np.linspace(-12, 12, 2001)
y = 1.0
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
ax1.plot(z, bce_loss(z, y), label="CE = -log sigmoid(z)")
ax1.plot(z, mse_loss(z, y), label="MSE = (sigmoid(z) - 1)^2 / 2")
ax1.set_ylabel("loss")
ax1.set_ylim(0, 4)
ax1.legend()
ax1.set_title("Label y = 1")
ax2.semilogy(z, np.abs(bce_grad(z, y)), label="|dCE/dz| = 1 - p")
ax2.semilogy(z, np.abs(mse_grad(z, y)), label="|dMSE/dz| = (1 - p)^2 p")
ax2.axvline(-10, color="gray", ls=":")
ax2.set_xlabel("logit z")
ax2.set_ylabel("|gradient|")
ax2.legend(loc="lower left")
#| alt: 标签 y=1 时两种损失与梯度随 logit z 的变化：上图交叉熵在 z 很负时线性增大，MSE 在左侧是一片接近 0.5 的平台；下图（对数纵轴）CE 梯度在 z=-10 处约为 1，MSE 梯度约 4.5e-5
plt.show()

# %%
g_ce, g_mse = bce_grad(np.array([-10.0]), 1.0)[0], mse_grad(np.array([-10.0]), 1.0)[0]
print(f"z = -10:  |g_CE| = {abs(g_ce):.5f},  |g_MSE| = {abs(g_mse):.2e}")
assert abs(g_ce) > 0.99 and abs(g_mse) < 1e-4
# 凸性：CE 对 z 的二阶导 p(1-p) >= 0；MSE 的二阶导在 z < 0 的一段为负（非凸）
d2_ce = np.gradient(np.gradient(bce_loss(z, y), z), z)
d2_mse = np.gradient(np.gradient(mse_loss(z, y), z), z)
assert d2_ce.min() > -1e-6
assert d2_mse.min() < -1e-2
# MSE 梯度在整条曲线上最多 4/27 ≈ 0.148（在 p = 1/3 处取到）
assert np.isclose(np.abs(mse_grad(z, y)).max(), 4 / 27, rtol=1e-3)

# %% [markdown]
# ## 从“自信地错”出发训练逻辑回归 {#training}
#
# 一维数据，初始化 $w=-8$（几乎所有样本都被高置信度地分错），同样的学习率做全批量梯度下降。

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=400)
t = (x + 0.3 * rng.normal(size=400) > 0).astype(float)

def train(kind, steps=500, lr=1.0):
    w, b = -8.0, 0.0
    acc, ws = [], []
    for _ in range(steps):
        p = sigmoid(w * x + b)
        d = p - t if kind == "ce" else (p - t) * p * (1 - p)   # dL/dz
        w -= lr * np.mean(d * x)
        b -= lr * np.mean(d)
        acc.append(np.mean((p > 0.5) == t))
        ws.append(w)
    return np.array(acc), np.array(ws)

acc_ce, w_ce = train("ce")
acc_mse, w_mse = train("mse")
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
ax1.plot(acc_ce, label="cross-entropy")
ax1.plot(acc_mse, label="MSE")
ax1.set_ylabel("training accuracy")
ax1.set_title("Same data and step size, w0 = -8")
ax1.legend()
ax2.plot(w_ce, label="cross-entropy")
ax2.plot(w_mse, label="MSE")
ax2.set_xlabel("gradient step")
ax2.set_ylabel("weight w")
ax2.legend()
#| alt: 从 w=-8 开始训练一维逻辑回归：上图交叉熵的训练准确率几十步内从约 0.09 升到 0.9 以上，MSE 在 500 步里一直停在约 0.09；下图交叉熵的权重很快变为正值，MSE 的权重几乎停在 -8
plt.show()

# %%
assert acc_ce[50] > 0.85                   # CE 几十步就翻过来
assert acc_mse[200] < 0.5                  # MSE 在饱和平台上几乎不动
assert abs(w_mse[200] + 8) < abs(w_ce[4] + 8)      # MSE 200 步挪动的距离不如 CE 前 5 步
print(f"step 50: acc CE = {acc_ce[50]:.2f}, acc MSE = {acc_mse[50]:.2f}; step 200 acc MSE = {acc_mse[200]:.2f}")


# %% [markdown]
# ## focal loss：压低易分样本 {#focal-loss}
#
# $\mathrm{FL}(p_t)=-\alpha_t(1-p_t)^\gamma\log p_t$，$p_t$ 是分给真实类别的概率。下面画不加 $\alpha_t$ 时各 $\gamma$ 的曲线，
# 并核对 Lin et al.（2017）的两个数：$\gamma=2$ 时，$p_t=0.9$ 的样本损失约为交叉熵的 1/100，$p_t\approx0.968$ 时约为 1/1000。

# %%
from snippets.basics.losses import focal_loss

pt = np.linspace(0.01, 0.999, 400)
zt = np.log(pt / (1 - pt))                    # 正样本（y = 1）的 logit，使 sigmoid(zt) = pt
ones = np.ones_like(zt)
fig, ax = plt.subplots()
for gamma in (0, 0.5, 1, 2, 5):
    ax.plot(pt, focal_loss(zt, ones, gamma=gamma, alpha=None), label=f"gamma = {gamma}")
ax.set_xlabel("p_t (probability of the true class)")
ax.set_ylabel("loss")
ax.set_ylim(0, 5)
ax.legend()
#| alt: 不同 gamma 下 focal loss 随 p_t 的曲线：gamma=0 就是交叉熵 -log p_t，gamma 越大，p_t 接近 1 的易分样本的损失越快被压到 0，p_t 很小的难样本损失变化不大
plt.show()

ce_ = bce_loss(zt, 1.0)
fl2 = focal_loss(zt, ones, gamma=2.0, alpha=None)
for target, factor in ((0.9, 100), (0.968, 1000)):
    zz = np.array([np.log(target / (1 - target))])
    r = bce_loss(zz, 1.0)[0] / focal_loss(zz, np.ones(1), gamma=2.0, alpha=None)[0]
    print(f"p_t = {target}: CE / FL(gamma=2) = {r:.0f}")
    assert abs(r / factor - 1) < 0.03
# 难样本（p_t 小）几乎不受影响：p_t = 0.1 时只缩小到 0.81 倍
i = np.argmin(np.abs(pt - 0.1))
assert abs(fl2[i] / ce_[i] - 0.81) < 0.01
