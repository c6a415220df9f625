# %% [markdown]
# ---
# description: 用 numpy 验证 BatchNorm 在 (N, H, W) 上按通道统计、LayerNorm 按样本统计、RMSNorm 必须用均方根，以及 Pre-Norm 残差流范数随深度增长。
# tags: [归一化, BatchNorm, LayerNorm, RMSNorm, 动手验证]
# ---
# # 动手验证：BN、LN 的统计维度与 RMSNorm、Pre/Post-Norm
#
# 对应问题：[BatchNorm 和 LayerNorm 有什么区别？](layernorm.md#batchnorm-vs-layernorm)、
# [RMSNorm 是什么？](layernorm.md#rmsnorm)、[Pre-Norm 和 Post-Norm 有什么区别？](layernorm.md#pre-norm-vs-post-norm)
#
# ## BN 与 LN 在图像张量上归约哪些轴 {#reduced-axes}
#
# 取一个 $(N, C, H, W)=(8, 4, 5, 5)$ 的随机张量，各通道的均值和尺度故意不同。
# BatchNorm 之后，**每个通道**在 $(N,H,W)$ 上的均值为 0、方差为 1；LayerNorm（在 $(C,H,W)$ 上）之后，**每个样本**的均值为 0。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.normalization.norms import batch_norm, layer_norm, rms_norm

rng = np.random.default_rng(0)
N, C, H, W = 8, 4, 5, 5
x = rng.normal(loc=np.arange(C).reshape(1, C, 1, 1) * 3.0,
               scale=np.arange(1, C + 1).reshape(1, C, 1, 1), size=(N, C, H, W))

bn = batch_norm(x)
ln = layer_norm(x.reshape(N, -1)).reshape(x.shape)   # LN over (C, H, W) per sample

bn_mean = bn.mean(axis=(0, 2, 3))
bn_var = bn.var(axis=(0, 2, 3))
ln_mean = ln.mean(axis=(1, 2, 3))
print(f"BN: max |per-channel mean| = {np.abs(bn_mean).max():.1e}, per-channel var = {np.round(bn_var, 4)}")
print(f"LN: max |per-sample mean|  = {np.abs(ln_mean).max():.1e}")

assert np.allclose(bn_mean, 0, atol=1e-12) and np.allclose(bn_var, 1, atol=1e-4)
assert np.allclose(ln_mean, 0, atol=1e-12)
# BN's statistics have shape (C,): one mean per channel, shared by every sample and position.
assert x.mean(axis=(0, 2, 3)).shape == (C,)

# %% [markdown]
# 常见的错误理解是“每个像素位置在 batch 上单独统计”，即统计量形状为 $(C, H\cdot W)$。
# 下图对比两种统计量：真正的 BN 每个通道只有一个均值（每行一个常数），逐像素统计则每个位置都不同。

# %%
per_pixel_mean = x.mean(axis=0).reshape(C, H * W)          # the misconception: shape (C, H*W)
true_bn_mean = np.repeat(x.mean(axis=(0, 2, 3))[:, None], H * W, axis=1)
assert per_pixel_mean.shape == (C, H * W)
assert not np.allclose(per_pixel_mean, true_bn_mean)        # they are different statistics

fig, axes = plt.subplots(1, 2, figsize=(7.5, 2.6), sharey=True)
vmin, vmax = per_pixel_mean.min(), per_pixel_mean.max()
for ax, data, title in [(axes[0], true_bn_mean, "BatchNorm2d: one mean per channel"),
                        (axes[1], per_pixel_mean, "Per-pixel batch mean (wrong)")]:
    im = ax.imshow(data, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_title(title)
    ax.set_xlabel("spatial position (h*w)")
    ax.grid(False)
axes[0].set_ylabel("channel c")
fig.colorbar(im, ax=axes, shrink=0.9)
plt.show()

# %% [markdown]
# ## RMSNorm：均方根而不是 L2 范数 {#rms-vs-l2}
#
# 用 $\sqrt{\frac1n\sum x_i^2}$ 归一化后，输出的均方根是 1；若误用 $\sqrt{\sum x_i^2}$（L2 范数），
# 输出的均方根只有 $1/\sqrt n$。输入均值为 0 时，RMSNorm 与无仿射参数的 LayerNorm 相同。

# %%
dims = np.array([4, 16, 64, 256, 1024, 4096])
rms_of_rmsnorm, rms_of_l2 = [], []
for d in dims:
    v = rng.normal(size=(256, d)) * 5 + 2
    rms_of_rmsnorm.append(np.sqrt(np.mean(rms_norm(v, eps=0.0) ** 2, axis=-1)).mean())
    l2 = v / np.linalg.norm(v, axis=-1, keepdims=True)
    rms_of_l2.append(np.sqrt(np.mean(l2 ** 2, axis=-1)).mean())
rms_of_rmsnorm, rms_of_l2 = np.array(rms_of_rmsnorm), np.array(rms_of_l2)

assert np.allclose(rms_of_rmsnorm, 1.0, atol=1e-9)
assert np.allclose(rms_of_l2, 1 / np.sqrt(dims), rtol=1e-9)
z = rng.normal(size=(32, 64))
z -= z.mean(axis=-1, keepdims=True)
assert np.allclose(rms_norm(z, eps=1e-5), layer_norm(z, eps=1e-5))

fig, ax = plt.subplots()
ax.loglog(dims, rms_of_rmsnorm, "o-", label="RMSNorm: x / sqrt(mean(x^2))")
ax.loglog(dims, rms_of_l2, "s--", label="x / sqrt(sum(x^2)) = L2 normalisation")
ax.loglog(dims, 1 / np.sqrt(dims), ":", color="gray", label="1 / sqrt(n)")
ax.set_xlabel("hidden size n")
ax.set_ylabel("RMS of the output")
ax.legend()
plt.show()

# %% [markdown]
# ## Pre-Norm 与 Post-Norm 的残差流范数 {#pre-post-norm}
#
# 用随机线性子层 $F_l(x)=W_l x$（$W_l\sim\mathcal N(0, 1/d)$）堆 48 层，比较残差流 $\|x_l\|$：
# Post-Norm 每层之后都归一化，$\|x_l\|=\sqrt d$ 恒定；Pre-Norm 的主干是恒等的，范数随层数增长，所以需要 final Norm。

# %%
d, depth = 256, 48
Ws = rng.normal(scale=1 / np.sqrt(d), size=(depth, d, d))
x0 = rng.normal(size=d)
post, pre = [np.linalg.norm(x0)], [np.linalg.norm(x0)]
xp, xq = x0.copy(), x0.copy()
for W in Ws:
    xp = layer_norm(xp + W @ xp, eps=0.0)           # Post-Norm
    xq = xq + W @ layer_norm(xq, eps=0.0)           # Pre-Norm
    post.append(np.linalg.norm(xp))
    pre.append(np.linalg.norm(xq))
post, pre = np.array(post), np.array(pre)

assert np.allclose(post[1:], np.sqrt(d), rtol=1e-9)
assert pre[-1] > 2 * pre[0]
assert np.mean(np.diff(pre) > 0) > 0.8   # nearly every layer adds to the norm
print(f"Pre-Norm |x_0| = {pre[0]:.1f}, |x_48| = {pre[-1]:.1f}; Post-Norm |x_l| = {post[-1]:.1f} = sqrt(d)")

fig, ax = plt.subplots()
ax.plot(pre, label="Pre-Norm: x + F(Norm(x))")
ax.plot(post, label="Post-Norm: Norm(x + F(x))")
ax.axhline(np.sqrt(d), color="gray", ls=":", label="sqrt(d)")
ax.set_xlabel("layer l")
ax.set_ylabel("||x_l||")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - BN 的统计量形状是 $(C,)$：同一通道的所有样本、所有位置共享一组均值方差；LN 按样本统计，与 batch 无关。
# - RMSNorm 必须除以**均方根**；输入零均值时它与 LayerNorm 一致。
# - Pre-Norm 的残差流范数随深度单调增长（上例从约 16 增长到一百多），Post-Norm 则被钉在 $\sqrt d$。
