# %% [markdown]
# ---
# description: 用 numpy.float16 验证损失缩放救回下溢的小梯度、动态缩放器遇溢出减半且连续无溢出才翻倍、fp16 权重吞掉小更新而 fp32 主权重不会、bf16 无需缩放；再模拟 FP8 的 per-tensor 与 1×128 分块缩放。
# tags: [混合精度, 损失缩放, FP16, BF16, FP8, 动手验证]
# ---
# # 动手验证：损失缩放、fp32 主权重与 FP8 分块缩放
#
# 对应问题：[混合精度训练为什么要 fp32 主权重和 loss scaling？](mixed-precision.md#mixed-precision-loss-scaling)、
# [动态 loss scaling 怎么调整？](mixed-precision.md#dynamic-loss-scaling)、[FP8 训练怎么做？](mixed-precision.md#fp8-training)
#
# ## 小梯度在 fp16 里下溢，缩放后保留 {#underflow}
#
# fp16 最小的次正规数约 $5.96\times10^{-8}$，比它的一半还小的数舍入为 0。取一组跨越 $10^{-12}$ 到 $10^{-1}$ 的梯度（对数均匀分布），
# 看直接转 fp16 和先乘 $S=2^{16}$ 再转 fp16 时各丢掉多少。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.loss_scale import (DynamicLossScaler, fp16_backward, fp8_quantize, to_fp8,
                                          delayed_scale, FP8_FORMATS)
from snippets.inference.quant import to_bf16

rng = np.random.default_rng(0)
g = 10.0 ** rng.uniform(-12, -1, size=20000) * rng.choice([-1, 1], size=20000)
lost_plain = np.mean(fp16_backward(g, 1.0) == 0)
scaled = fp16_backward(g, 2.0**16)
lost_scaled = np.mean(scaled == 0)
print(f"gradients flushed to zero in fp16: no scaling {lost_plain:.1%}, S=2^16 {lost_scaled:.1%}")
tiny = np.abs(g) < 2.0**-25                      # 小于最小次正规数的一半：不缩放必然变 0
assert np.all(fp16_backward(g[tiny], 1.0) == 0)
assert lost_plain > 0.35 and lost_scaled < 0.01
# 缩放后再除回去，相对误差在正规数区间内约为 fp16 的半个 ulp（2^-11）
ok = np.abs(g) * 2**16 > 6.1e-5
rel = np.abs(scaled[ok].astype(np.float64) / 2**16 - g[ok]) / np.abs(g[ok])
assert rel.max() <= 2.0**-11 * 1.0001
# 同样的梯度在 bf16 里一个都不丢（指数位与 fp32 相同），但相对误差是 2^-8
b = to_bf16(g.astype(np.float32)).astype(np.float64)
assert np.all(b != 0) and (np.abs(b - g) / np.abs(g)).max() <= 2.0**-8 * 1.0001
print(f"bf16 without scaling: none lost, max relative error {(np.abs(b - g) / np.abs(g)).max():.2e}")

# %% [markdown]
# ## 动态损失缩放：溢出就减半，连续 N 步正常就翻倍 {#dynamic-scaler}
#
# 模拟 3000 步训练：梯度的最大幅值随训练缓慢漂移，偶尔出现一个尖峰。缩放器从 $2^{16}$ 开始；
# 为了在图上看清，把“翻倍间隔”设为 200 步（PyTorch 默认 2000）。溢出的步被跳过，不更新参数。

# %%
steps = 3000
smooth = 10.0 ** (-1.5 + 0.8 * np.sin(np.arange(steps) / 450.0))     # 梯度最大幅值的缓慢漂移
amax = smooth.copy()
amax[[700, 1800, 2400]] *= 300                                      # 几个尖峰
scaler = DynamicLossScaler(init_scale=2.0**16, growth_interval=200)
log_scale, skipped = [], []
for step in range(steps):
    grads = amax[step] * rng.uniform(-1, 1, size=256)
    grads[0] = amax[step]
    s_before = scaler.scale
    _, found_inf = scaler.unscale(fp16_backward(grads, scaler.scale))
    assert found_inf == (amax[step] * s_before > 65504 + 16)          # 溢出当且仅当 amax·S 超过 fp16 上限（含舍入余量）
    if not scaler.update(found_inf):
        skipped.append(step)
    log_scale.append(np.log2(s_before))
log_scale = np.array(log_scale)
limit = np.log2(65504 / amax)
print(f"skipped {len(skipped)} of {steps} steps ({len(skipped) / steps:.1%}); final scale 2^{log_scale[-1]:.0f}")
assert len(skipped) / steps < 0.02
assert np.all(np.diff(log_scale) <= 1) and set(np.round(np.diff(log_scale), 6)) <= {-1.0, 0.0, 1.0}
ok_steps = np.setdiff1d(np.arange(steps), skipped)
assert np.all(log_scale[ok_steps] <= limit[ok_steps] + 1e-9)      # 被执行的步都没有溢出

fig, ax = plt.subplots()
ax.plot(np.log2(65504 / smooth), color="gray", lw=1, label="overflow limit log2(65504/amax)")
ax.step(np.arange(steps), log_scale, where="post", label="loss scale (log2)")
ax.plot(skipped, log_scale[skipped], "x", color="C1", label="skipped step (inf)")
ax.set_xlabel("training step")
ax.set_ylabel("log2 of scale")
ax.legend(loc="lower right")
#| alt: 横轴是训练步，纵轴是损失缩放因子的 log2；灰线是梯度平稳时不溢出的上限，阶梯线是缩放因子：从 2 的 16 次方开始每 200 步翻倍一次，碰到上限或梯度尖峰就减半，叉号是因溢出被跳过的步，读者应看出缩放因子始终贴着上限下方。
plt.show()

# %% [markdown]
# ## 为什么要 fp32 主权重 {#master-weights}
#
# 权重约为 1、每步更新量 $10^{-4}$：fp16 在 1 附近的间距是 $2^{-10}\approx9.8\times10^{-4}$，bf16 是 $2^{-7}$，
# 单步更新小于半个间距，加上去就被舍掉。1000 步后 fp16/bf16 权重纹丝不动，fp32 主权重走到 1.1。

# %%
n_steps, upd = 1000, 1e-4
w16, wb16, w32 = np.float16(1.0), np.float32(1.0), np.float32(1.0)
hist = np.zeros((n_steps + 1, 3))
hist[0] = 1.0
for k in range(1, n_steps + 1):
    w16 = np.float16(w16 + np.float16(upd))
    wb16 = to_bf16(np.float32(wb16 + np.float32(upd)))
    w32 = np.float32(w32 + np.float32(upd))
    hist[k] = [w16, wb16, w32]
print(f"after {n_steps} updates of {upd}: fp16 {float(w16)}, bf16 {float(wb16)}, fp32 {float(w32):.4f}")
assert w16 == 1.0 and wb16 == 1.0 and abs(w32 - 1.1) < 1e-4

fig, ax = plt.subplots()
ax.plot(hist[:, 2], label="fp32 master weight")
ax.plot(hist[:, 0], "--", label="fp16 weight")
ax.plot(hist[:, 1], ":", label="bf16 weight")
ax.set_xlabel("step (update 1e-4 per step)")
ax.set_ylabel("weight value")
ax.legend()
#| alt: 横轴是步数，纵轴是权重值；fp32 主权重从 1 线性增长到 1.1，fp16 与 bf16 权重始终停在 1，读者应看出小更新在低精度权重上被舍入吞掉。
plt.show()

# %% [markdown]
# ## FP8：per-tensor 缩放怕离群值，1×128 分块缩放不怕 {#fp8-block-scaling}
#
# 一个激活矩阵里只有一个通道放大 $a$ 倍（离群通道）。per-tensor 缩放让整个张量共用一个 scale = amax/448，
# 其余通道被压得很小，一旦倍数超过 E4M3 的动态范围（$448/2^{-6}\approx2.9\times10^4$）就掉进次正规区乃至变成 0；
# 1×128 分块（DeepSeek-V3 对激活的做法）每 128 个通道一个 scale，离群值只影响它所在的块。下面统计不含离群通道的那一半的相对误差。

# %%
base = rng.normal(size=(16, 256))
outlier = 10.0 ** np.arange(0, 6.5, 0.5)
err = {k: [] for k in ("E4M3 per-tensor", "E5M2 per-tensor", "E4M3 1x128 tiles")}
for a in outlier:
    x = base.copy()
    x[:, 3] *= a
    ref = np.abs(x[:, 128:]).mean()
    for key, q in (("E4M3 per-tensor", fp8_quantize(x, "e4m3")), ("E5M2 per-tensor", fp8_quantize(x, "e5m2")),
                   ("E4M3 1x128 tiles", fp8_quantize(x, "e4m3", block=(1, 128)))):
        err[key].append(np.abs(q - x)[:, 128:].mean() / ref)
err = {k: np.array(vv) for k, vv in err.items()}
print("relative error at outlier x1e5:", {k: round(float(vv[outlier == 1e5][0]), 3) for k, vv in err.items()})
tiles = err["E4M3 1x128 tiles"]
assert np.allclose(tiles, tiles[0])                                  # 与离群值无关
assert err["E4M3 per-tensor"][outlier == 1e5][0] > 10 * tiles[0]
assert np.all(err["E4M3 per-tensor"][outlier <= 100] < 1.2 * tiles[0])   # 适度的离群值 per-tensor 也扛得住
assert np.all(err["E5M2 per-tensor"] > 1.7 * tiles[0])               # E5M2 范围够，但少一位尾数，误差约翻倍

fig, ax = plt.subplots()
for (key, vv), style in zip(err.items(), ["o-", "s--", "^-"]):
    ax.loglog(outlier, vv, style, ms=4, label=key)
ax.axvline(448 / 2.0**-6, color="gray", ls=":", lw=1)
ax.set_xlabel("outlier channel magnitude (x median)")
ax.set_ylabel("relative error, other channels")
ax.legend(loc="upper left")
#| alt: 双对数坐标，横轴是离群通道的放大倍数，纵轴是其余通道的相对量化误差；E4M3 per-tensor 在倍数超过约 3×10^4（灰色虚线）后误差急剧上升到 1，E5M2 per-tensor 一直约 4.4%，E4M3 的 1×128 分块缩放始终约 2.2%。
plt.show()

# %% [markdown]
# ## delayed scaling 遇到突变会饱和 {#delayed-scaling}
#
# Transformer Engine 的 delayed scaling 用过去若干步 amax 的最大值来定本步的 scale（免去一次额外的归约）。
# 如果本步的激活突然比历史大 20 倍，超出部分就被截到 ±448；在线（current）缩放按本步 amax 计算，不会截断。

# %%
history = list(rng.uniform(0.8, 1.0, size=16))
x_now = rng.normal(size=4096) * 5.0                                     # 本步 amax ≈ 20
s_delayed = delayed_scale(history)
clipped = np.mean(np.abs(x_now / s_delayed) > FP8_FORMATS["e4m3"]["max"])
s_online = np.abs(x_now).max() / FP8_FORMATS["e4m3"]["max"]
clipped_online = np.mean(np.abs(x_now / s_online) > FP8_FORMATS["e4m3"]["max"] * (1 + 1e-12))
err_delayed = np.abs(to_fp8(x_now / s_delayed) * s_delayed - x_now).max()
print(f"delayed scale: {clipped:.1%} of values saturate, max error {err_delayed:.1f}; online scale: {clipped_online:.0%}")
assert clipped > 0.5 and clipped_online == 0 and err_delayed > 10

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 这组梯度不缩放时约 40% 在 fp16 里变成 0；乘 $2^{16}$ 后全部保住，除回去的相对误差不超过 $2^{-11}$。bf16 不丢，但精度只有 $2^{-8}$。
# - 动态缩放器在 3000 步里只跳过不到 2% 的步，被执行的步全部没有溢出。
# - 更新量小于权重间距的一半就会被低精度权重吞掉，fp32 主权重把它们累积起来。
# - E4M3 的 per-tensor 缩放在离群值超过约 $3\times10^4$ 倍后失效；1×128 分块缩放的误差与离群值无关，且比 E5M2 小一半左右。
