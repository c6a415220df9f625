# %% [markdown]
# ---
# description: 验证 int8 非对称量化的性质：最小值映射到 -128、最大值映射到 127、0 被精确表示、重建误差不超过半个 scale，以及离群值下分组量化的优势。
# tags:
#   - 量化
#   - INT8
#   - 零点
#   - 分组量化
#   - 离群值
#   - 动手验证
# ---
# # int8 非对称量化与反量化
#
# 对应问题：[INT8 量化与反量化怎么做？](compression.md#quantization-int8)
#
# ## 一个手算例子 {#worked-example}

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.quant import qrange, asym_params, quantize, dequantize, quantize_per_group, absmax_quantize

x = np.array([-0.6, 0.0, 0.45, 1.2])
s, z = asym_params(x)
q = quantize(x, s, z)
x_hat = dequantize(q, s, z)
print(f"scale = 1.8/255 = {s:.6f}, zero_point = round(-128 + 0.6/scale) = {z}")
for xi, qi, xh in zip(x, q, x_hat):
    print(f"x = {xi:+.4f} -> q = {qi:+4d} -> x_hat = {xh:+.5f}")
assert z == -43 and list(q) == [-128, -43, 21, 127]
assert x_hat[1] == 0.0                                  # 0 被精确表示
assert np.max(np.abs(x_hat - x)) <= s / 2

# %% [markdown]
# ## 随机张量上的性质 {#properties}

# %%
rng = np.random.default_rng(0)
qmin, qmax = qrange(8)
worst = 0.0
for trial in range(200):
    x = rng.normal(rng.uniform(-1, 1), rng.uniform(0.01, 5), 512)
    s, z = asym_params(x)
    q = quantize(x, s, z)
    assert q.min() >= qmin and q.max() <= qmax
    assert quantize(min(x.min(), 0), s, z) == qmin and quantize(max(x.max(), 0), s, z) == qmax
    assert dequantize(quantize(0.0, s, z), s, z) == 0.0
    worst = max(worst, np.max(np.abs(dequantize(q, s, z) - x)) / s)
assert worst <= 0.5 + 1e-9
print(f"max |x - x_hat| / scale over 200 tensors: {worst:.4f} (bound 0.5)")

# %% [markdown]
# ## 离群值：per-tensor 与 per-group {#outliers}
#
# 权重大多集中在 0 附近，一个离群值就能把整个张量的 scale 撑大，普通权重只分到寥寥几个量化格。
# 分组量化（每 128 个数一组，各自求 scale 和零点）把离群值的影响限制在它所在的组里。

# %%
base = rng.normal(0, 0.02, 4096)
outliers = np.logspace(-1.5, 1.5, 25)
err_tensor, err_group, err_absmax = [], [], []
for o in outliers:
    x = base.copy()
    x[1000] = o
    s, z = asym_params(x)
    err_tensor.append(np.sqrt(np.mean((dequantize(quantize(x, s, z), s, z) - x) ** 2)))
    err_group.append(np.sqrt(np.mean((quantize_per_group(x, 128) - x) ** 2)))
    qa, sa = absmax_quantize(x)
    err_absmax.append(np.sqrt(np.mean((qa * sa - x) ** 2)))

#| alt: 双对数折线图：横轴是单个离群值的大小，纵轴是 int8 重建的均方根误差；整张量共用一个 scale 时（非对称或对称 absmax）误差随离群值线性上升，直到普通权重全被舍入成 0；每 128 个一组时只有离群值所在的那一组变差，误差低一个数量级左右
fig, ax = plt.subplots()
ax.plot(outliers, err_tensor, marker="o", label="asymmetric, per-tensor")
ax.plot(outliers, err_absmax, marker="^", label="absmax, per-tensor")
ax.plot(outliers, err_group, marker="s", label="asymmetric, groups of 128")
ax.axvline(np.abs(base).max(), color="gray", ls=":", lw=1)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("outlier size (others ~ N(0, 0.02^2))")
ax.set_ylabel("RMS error")
ax.set_ylim(6e-5, 0.6)
ax.legend(loc="upper left")
plt.show()

assert err_tensor[-1] > 20 * err_tensor[0]
# 只有离群值所在的 1/32 组受影响，RMS 误差约小 sqrt(32) ≈ 5.7 倍
assert err_group[-1] < err_tensor[-1] / 4
print(f"outlier {outliers[-1]:.0f}: per-tensor RMS {err_tensor[-1]:.2e}, per-group RMS {err_group[-1]:.2e}")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 零点取整、结果截断后，$x_{\min}\to-128$、$x_{\max}\to127$、0 精确可表示，误差不超过 scale/2。
# - 离群值会让 per-tensor 量化的误差随离群值大小线性上升；分组量化（GPTQ/AWQ 常用 128 一组）只让离群值所在的那一组变差。
