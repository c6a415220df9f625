# %% [markdown]
# ---
# description: 用 numpy 验证 BatchNorm 在 (N, H, W) 上按通道统计，LayerNorm 按样本统计且不是仿射变换，GroupNorm 介于 LN 与 IN 之间，RMSNorm 必须用均方根，以及 Pre-Norm 残差流范数随深度增长。
# tags: [归一化, BatchNorm, LayerNorm, RMSNorm, 动手验证]
# ---
# # 动手验证：BN、LN 的统计维度与 RMSNorm、Pre/Post-Norm
#
# 对应问题：[BatchNorm 和 LayerNorm 有什么区别？](layernorm.md#batchnorm-vs-layernorm)、
# [RMSNorm 是什么？](layernorm.md#rmsnorm)、[Pre-Norm 和 Post-Norm 有什么区别？](layernorm.md#pre-norm-vs-post-norm)
#
# ## BN 与 LN 在图像张量上归约哪些轴 {#reduced-axes}
#
# 取一个 (N, C, H, W) = (8, 4, 5, 5) 的随机张量，各通道的均值和尺度故意不同。
# BatchNorm 之后，**每个通道**在 (N, H, W) 上的均值为 0、方差为 1；LayerNorm（在 (C, H, W) 上）之后，**每个样本**的均值为 0。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.normalization.norms import (batch_norm, group_norm, layer_norm, layer_norm_jacobian,
                                         rms_norm)

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
# 常见的错误理解是“每个像素位置在 batch 上单独统计”，即统计量形状为 (C, H·W)。
# 下图对比两种统计量：真正的 BN 每个通道只有一个均值（每行一个常数），逐像素统计则每个位置都不同。

# %%
per_pixel_mean = x.mean(axis=0).reshape(C, H * W)          # the misconception: shape (C, H*W)
true_bn_mean = np.repeat(x.mean(axis=(0, 2, 3))[:, None], H * W, axis=1)
assert per_pixel_mean.shape == (C, H * W)
assert not np.allclose(per_pixel_mean, true_bn_mean)        # they are different statistics

#| alt: 上下两张热图，纵轴是 4 个通道、横轴是 25 个空间位置，颜色表示均值：上图是 BatchNorm2d 的统计量，每一行是同一种颜色（每个通道只有一个均值）；下图是错误的逐像素 batch 均值，同一行内每个位置颜色都不同
fig, axes = plt.subplots(2, 1, figsize=(4.5, 4.6), sharex=True, layout="constrained")
vmin, vmax = per_pixel_mean.min(), per_pixel_mean.max()
for ax, data, title in [(axes[0], true_bn_mean, "BatchNorm2d: one mean per channel"),
                        (axes[1], per_pixel_mean, "per-pixel batch mean (wrong)")]:
    im = ax.imshow(data, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    ax.set_title(title)
    ax.set_ylabel("channel c")
    ax.set_yticks(range(C))
    ax.grid(False)
axes[1].set_xlabel("spatial position (h*w)")
fig.colorbar(im, ax=axes, shrink=0.9, label="mean")
plt.show()

# %% [markdown]
# ## GroupNorm 与 LayerNorm 的 Jacobian {#groupnorm-jacobian}
#
# GroupNorm 把通道分成 G 组、每组在（组内通道 × 空间位置）上统计：G = 1 就是图像上的 LN，G = C 就是 InstanceNorm。
# LN 除以的 σ 本身依赖输入，所以 LN 不是 x 的仿射函数：它的 Jacobian（公式见[问题页](layernorm.md#layernorm-not-affine)）
# 随 x 变化，且把全 1 向量和 x 本身都映射为 0（平移、缩放不变），秩为 d − 2。

# %%
r_gn = np.random.default_rng(2)
xg = r_gn.normal(size=(2, 8, 3, 3)) * 2 + 1
assert np.allclose(group_norm(xg, 1), layer_norm(xg.reshape(2, -1)).reshape(xg.shape))
inst = (xg - xg.mean(axis=(2, 3), keepdims=True)) / np.sqrt(xg.var(axis=(2, 3), keepdims=True) + 1e-5)
assert np.allclose(group_norm(xg, 8), inst)

dj = 12
v1, v2 = r_gn.normal(size=dj), r_gn.normal(size=dj)
J1 = layer_norm_jacobian(v1)
print("rank of the LayerNorm Jacobian:", np.linalg.matrix_rank(J1), f"(d = {dj})")
assert np.linalg.matrix_rank(J1) == dj - 2
assert np.allclose(J1 @ np.ones(dj), 0) and np.allclose(J1 @ v1, 0)
assert not np.allclose(J1, layer_norm_jacobian(v2))        # 不同输入处 Jacobian 不同：不是仿射映射

# %% [markdown]
# ## RMSNorm：均方根而不是 L2 范数 {#rms-vs-l2}
#
# 除以 √(mean(x²)) 后，输出的均方根是 1；若误用 √(sum(x²))（L2 范数），
# 输出的均方根只有 1/√n。输入均值为 0 时，RMSNorm 与无仿射参数的 LayerNorm 相同。

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

#| alt: 双对数坐标，横轴为隐藏维度 n、纵轴为输出的均方根：正确的 RMSNorm（除以均方根）在所有 n 下都等于 1，误用平方和开根号（L2 归一化）时输出均方根沿 1/√n 下降，n=4096 时只有约 0.016
fig, ax = plt.subplots()
ax.loglog(dims, rms_of_rmsnorm, "o-", label="x / sqrt(mean(x^2))")
ax.loglog(dims, rms_of_l2, "s--", label="x / sqrt(sum(x^2))")
ax.loglog(dims, 1 / np.sqrt(dims), ":", color="gray", label="1 / sqrt(n)")
ax.set_xlabel("hidden size n")
ax.set_ylabel("RMS of the output")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## Pre-Norm 与 Post-Norm 的残差流范数 {#pre-post-norm}
#
# 用随机线性子层 F_l(x) = W_l x（W_l ~ N(0, 1/d)）堆 48 层，比较残差流的范数 ‖x_l‖：
# Post-Norm 每层之后都归一化，‖x_l‖ = √d 恒定；Pre-Norm 的主干是恒等的，范数随层数增长，所以需要 final Norm。

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

#| alt: 48 层随机线性子层堆叠时残差流范数随层数的变化：Post-Norm 每层之后都被钉在 √d=16，是一条水平线；Pre-Norm 的范数从约 16 几乎逐层单调增长到一百多
fig, ax = plt.subplots()
ax.plot(pre, label="Pre-Norm: x + F(Norm(x))")
ax.plot(post, label="Post-Norm: Norm(x + F(x))")
ax.axhline(np.sqrt(d), color="gray", ls=":", label="sqrt(d)")
ax.set_xlabel("layer l")
ax.set_ylabel("||x_l||")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - BN 的统计量形状是 (C,)：同一通道的所有样本、所有位置共享一组均值方差；LN 按样本统计，与 batch 无关。
# - GroupNorm 的两个极端是 LN（G = 1）与 InstanceNorm（G = C）；LN 的 Jacobian 随输入变化、秩为 d − 2，它不是仿射变换。
# - RMSNorm 必须除以**均方根**；输入零均值时它与 LayerNorm 一致。
# - Pre-Norm 的残差流范数随深度单调增长（上例从约 16 增长到一百多），Post-Norm 则被钉在 √d。
