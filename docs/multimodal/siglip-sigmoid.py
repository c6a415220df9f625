# %% [markdown]
# ---
# description: 用 numpy 对比 sigmoid 与 softmax 对比损失：核对梯度，验证分块计算得到同一个 sigmoid 损失，并算出偏置 b = −10 为什么让初始损失不随 batch 爆炸。
# tags: [多模态, SigLIP, CLIP, sigmoid, InfoNCE, 动手验证]
# ---
# # 动手验证：SigLIP 的 sigmoid 损失与 InfoNCE
#
# 对应问题：[SigLIP 的 sigmoid 损失和 CLIP 的 softmax 损失有什么区别？](vision-language.md#siglip-sigmoid-loss)、
# [偏置 b 为什么初始化为 −10？](vision-language.md#siglip-bias-init)、[为什么省显存、省通信？](vision-language.md#siglip-chunked)
#
# 记号：$N$ 为 batch 中的图文对数，$u_i$、$v_j$ 为归一化后的图像、文本向量，$t'$ 为对数缩放（$t=e^{t'}$），
# SigLIP 的 logit 是 $\ell_{ij}=t\,u_i\!\cdot\!v_j+b$，标签 $z_{ij}=+1$（$i=j$）或 $-1$，损失
# $\mathcal L=-\frac1N\sum_{i,j}\log\sigma(z_{ij}\ell_{ij})$。
#
# ## 数值与梯度 {#values-and-gradients}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.multimodal.contrastive import clip_loss, siglip_loss, siglip_loss_chunked

rng = np.random.default_rng(0)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


n, d = 8, 6
u, v = unit(rng.normal(size=(n, d))), unit(rng.normal(size=(n, d)))
t_prime, b = np.log(10.0), -10.0
loss_s, g_u, g_v, g_t, g_b = siglip_loss(u, v, t_prime, b)
loss_c = clip_loss(u, v, t_prime)[0]
print(f"random embeddings, N = {n}: sigmoid loss {loss_s:.4f}, softmax (CLIP) loss {loss_c:.4f}")


def fd(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


err_u = np.abs(g_u - fd(lambda x: siglip_loss(x, v, t_prime, b)[0], u)).max()
err_v = np.abs(g_v - fd(lambda x: siglip_loss(u, x, t_prime, b)[0], v)).max()
err_b = abs(g_b - (siglip_loss(u, v, t_prime, b + 1e-6)[0] - siglip_loss(u, v, t_prime, b - 1e-6)[0]) / 2e-6)
err_t = abs(g_t - (siglip_loss(u, v, t_prime + 1e-6, b)[0] - siglip_loss(u, v, t_prime - 1e-6, b)[0]) / 2e-6)
print(f"max |analytic - finite difference|: u {err_u:.1e}, v {err_v:.1e}, t' {err_t:.1e}, b {err_b:.1e}")
assert max(err_u, err_v, err_t, err_b) < 1e-7

# %% [markdown]
# softmax 把每一行（每一列）的概率和钉在 1：对 logits 的梯度按行求和恒为 0，正样本得到的拉力等于所有负样本推力之和。
# sigmoid 的每个 $\ell_{ij}$ 各自是一个二分类，梯度 $-z_{ij}\sigma(-z_{ij}\ell_{ij})/N$ 互不牵制，按行求和一般不为 0。

# %%
s = np.exp(t_prime) * u @ v.T
p_rows = np.exp(s - s.max(1, keepdims=True))
p_rows /= p_rows.sum(1, keepdims=True)
g_softmax_rows = (p_rows - np.eye(n)) / n                  # 图 -> 文方向的 dL/dS
z = 2 * np.eye(n) - 1
g_sigmoid = -z / (1 + np.exp(z * (s + b))) / n
print("row sums, softmax:", np.round(g_softmax_rows.sum(1), 12)[:4], " sigmoid:", np.round(g_sigmoid.sum(1), 4)[:4])
assert np.allclose(g_softmax_rows.sum(1), 0)
assert not np.allclose(g_sigmoid.sum(1), 0)

# %% [markdown]
# ## 分块计算：sigmoid 损失可以逐块相加 {#chunked-loss}
#
# 把 $N=96$ 对样本分到 $D$ 个“设备”上，每个设备只存 $N/D$ 对。SigLIP 的做法：先算本地块（含正样本），
# 再把文本块在设备间轮转，每次只算“本地图像 × 邻居文本”这一块负样本。每块损失独立，直接相加。
# 作为对照，“每个设备只在本地 batch 上算 CLIP 损失再平均”丢掉了跨设备的负样本，得到的是另一个数。

# %%
N = 96
U, V = unit(rng.normal(size=(N, 16))), unit(rng.normal(size=(N, 16)))
U = unit(U + 0.8 * V)                                      # 让正样本对更相似一些
full = siglip_loss(U, V, t_prime, b)[0]
devices = [1, 2, 4, 8, 16, 32]
rows = []
for D in devices:
    chunked, largest = siglip_loss_chunked(U, V, t_prime, b, D)
    m = N // D
    local_clip = np.mean([clip_loss(U[k * m:(k + 1) * m], V[k * m:(k + 1) * m], t_prime)[0] for k in range(D)])
    rows.append((D, chunked, largest, local_clip))
    print(f"D = {D:2d}: chunked sigmoid {chunked:.12f} (largest block {largest:5d} logits), "
          f"mean of local CLIP losses {local_clip:.4f}")
global_clip = clip_loss(U, V, t_prime)[0]
print(f"full sigmoid {full:.12f}, global CLIP {global_clip:.4f}")
assert all(np.isclose(r[1], full, rtol=1e-12) for r in rows)
assert all(r[2] == (N // r[0]) ** 2 for r in rows)
assert all(abs(r[3] - global_clip) > 1e-3 for r in rows[1:])   # local negatives only: a different loss

# %% [markdown]
# ## 偏置 b：负样本远多于正样本 {#bias-and-imbalance}
#
# 训练开始时嵌入还不含信息，$u_i\cdot v_j\approx0$，所有 logit 约等于 $b$。每张图有 1 个正样本、$N-1$ 个负样本，于是
#
# $$\mathcal L_0(b)=\log(1+e^{-b})+(N-1)\log(1+e^{b}),\qquad \frac{\partial\mathcal L_0}{\partial b}=-\sigma(-b)+(N-1)\,\sigma(b).$$
#
# $b=0$ 时 $\mathcal L_0=N\log2$，随 batch 线性增长，对 $b$ 的梯度约为 $N/2$，第一步就要做大幅修正；
# 令梯度为 0 得 $\sigma(b^{*})=1/N$，即 $b^{*}=-\log(N-1)$：正样本的先验比例。$N=32768$ 时 $b^{*}\approx-10.4$，
# 论文的初值 $b=-10$ 就在这里。作为对照，InfoNCE 在同样的起点上损失是 $\log N$。
# 先用真实的随机向量（$d=1024$）检查“logit 约等于 $b$”这个近似在 $N=256$ 时已经很准。

# %%
U0, V0 = unit(rng.normal(size=(256, 1024))), unit(rng.normal(size=(256, 1024)))


def init_loss(b_, n_):
    return np.log1p(np.exp(-b_)) + (n_ - 1) * np.log1p(np.exp(b_))


for b_ in (0.0, -10.0):
    real = siglip_loss(U0, V0, t_prime, b_)[0]
    print(f"N = 256, b = {b_:5.1f}: loss with random vectors {real:.3f}, closed form {init_loss(b_, 256):.3f}")
    assert abs(real / init_loss(b_, 256) - 1) < 0.02

Ns = 2 ** np.arange(4, 21)
b_star = -np.log(Ns - 1)
grid = np.linspace(-16, 2, 18001)
for n_, bs in zip(Ns[::4], b_star[::4]):
    assert abs(grid[np.argmin(init_loss(grid, n_))] - bs) < 2e-3   # the closed-form optimum is the minimiser
print(f"b* at N = 32768: {-np.log(32767):.2f}")
assert -10.5 < -np.log(32767) < -10.3
assert np.isclose(init_loss(0.0, 32768), 32768 * np.log(2))
assert init_loss(-10.0, 32768) < 12                         # ~ 11.5 instead of ~ 22700
grad_b0 = -1 / (1 + np.exp(0.0)) + (Ns - 1) / (1 + np.exp(-0.0))
grad_b10 = -1 / (1 + np.exp(-10.0)) + (Ns - 1) / (1 + np.exp(10.0))
assert np.allclose(grad_b0, (Ns - 2) / 2)

#| alt: 上下两张双对数图，横轴是 batch 大小 N（16 到约一百万）：上图是训练开始时的损失，b=0 的 sigmoid 损失沿 N·log2 直线上升到十万量级，b=−10 的 sigmoid 损失在 N 约两万以内几乎恒为 10，InfoNCE 的 log N 缓慢增长；下图是对偏置 b 的梯度绝对值，b=0 时约为 N/2，b=−10 时小 batch 约为 1、在 N≈2.2 万附近降到接近 0、之后随 N 上升
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
axes[0].loglog(Ns, init_loss(0.0, Ns), "o-", ms=3, label="sigmoid, b = 0")
axes[0].loglog(Ns, init_loss(-10.0, Ns), "s-", ms=3, label="sigmoid, b = -10")
axes[0].loglog(Ns, np.log(Ns), "--", color="gray", label="softmax: log N")
axes[0].set_ylabel("initial loss")
axes[0].legend(loc="upper left")
axes[1].loglog(Ns, np.abs(grad_b0), "o-", ms=3, label="b = 0")
axes[1].loglog(Ns, np.abs(grad_b10), "s-", ms=3, label="b = -10")
axes[1].set_ylabel("|dL/db| at start")
axes[1].set_xlabel("batch size N")
axes[1].legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - sigmoid 损失的手写梯度（对 $u$、$v$、$t'$、$b$）与有限差分一致；softmax 的梯度每行和为 0，sigmoid 的不是：每个图文对是独立的二分类。
# - 按设备分块、轮转文本块算出的 sigmoid 损失与整块计算完全相同（相对误差 $10^{-12}$ 以内），任何时刻只需 $(N/D)^2$ 个 logits；只用本地负样本的 softmax 损失则是另一个数，要得到全局 softmax 损失必须跨设备汇总每行、每列的归一化项。
# - 训练开始时 logit 约等于 $b$：$b=0$ 的初始损失是 $N\log2$、对 $b$ 的梯度约 $N/2$，都随 batch 线性增长；最优常数 $b^{*}=-\log(N-1)$，32k batch 时约 −10.4，$b=-10$ 让初始损失停在 10 左右。
