# %% [markdown]
# ---
# description: 验证 int8 非对称量化的性质：最小值映射到 -128、最大值映射到 127、0 被精确表示、误差不超过半个 scale，离群值下分组量化的优势，分组 scale 摊到每个参数的位数，FP8/FP4 的块缩放（1×128、MXFP4、NVFP4），以及 W4A16 的提速随 batch 消失。
# tags:
#   - 量化
#   - INT8
#   - 零点
#   - 分组量化
#   - 离群值
#   - FP8
#   - MXFP4
#   - NVFP4
#   - 动手验证
# ---
# # 量化：int8 仿射量化、分组、块缩放与 W4A16
#
# 对应问题：[INT8 量化与反量化怎么做？](compression.md#quantization-int8)、[per-channel 和 per-group 量化有什么区别？](compression.md#per-channel-per-group)、
# [FP8 训练用哪种格式？](compression.md#fp8-formats-training)、[MXFP4 和 NVFP4 有什么区别？](compression.md#mxfp4-nvfp4)、
# [只量化权重什么时候有用](compression.md#quantization-methods)
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
# ## 粒度的代价：scale 占多少位 {#scale-overhead}
#
# 每组存一个 fp16 scale（非对称时再加一个零点）。4 位权重按 128 个一组时，scale 摊到每个参数上是 $16/128=0.125$ 位；
# per-channel 则是每个输出通道（一行 $d_{in}$ 个权重）一个 scale，开销可以忽略。

# %%
for g in (32, 64, 128):
    print(f"int4, group {g:>3}: {4 + 16 / g:.3f} bits/param (symmetric), {4 + 32 / g:.3f} (with fp16 zero point)")
assert 4 + 16 / 128 == 4.125 and 4 + 32 / 128 == 4.25
d_in = 4096
assert 16 / d_in < 0.004                       # per-channel：每 4096 个权重一个 fp16 scale
# FP4 块格式：4 位元素 + 摊到每个元素上的 8 位 scale（NVFP4 的整张量 fp32 scale 可忽略）
bits_mx, bits_nv = 4 + 8 / 32, 4 + 8 / 16
assert (bits_mx, bits_nv) == (4.25, 4.5)
print(f"bits per element: MXFP4 {bits_mx}, NVFP4 {bits_nv}")

# %% [markdown]
# ## 块缩放：为什么 FP8/FP4 要配很多个 scale {#block-scaling}
#
# 一个 scale 要照顾一整块数：块里的最大值决定 scale，其余的数被压到格式的小数端。DeepSeek-V3 的 FP8 训练把激活按 1×128
# （每个 token 每 128 个通道）、权重按 128×128 分块，各配一个 scale；Blackwell 的 MXFP4 是每 32 个 E2M1 配一个 2 的幂次 scale（E8M0），
# NVFP4 是每 16 个配一个 E4M3 scale（再乘一个整张量的 fp32 scale）。下面给 1024 个通道里的 2 个通道乘上越来越大的倍数，
# 看**普通通道**的相对误差。

# %%
from snippets.inference.quant import block_quantize

rng2 = np.random.default_rng(1)
base_x = rng2.standard_normal((128, 1024))
hot = rng2.choice(1024, 2, replace=False)
normal_ch = np.ones(1024, dtype=bool)
normal_ch[hot] = False
schemes = {"FP8, one scale": (None, "e4m3"), "FP8, 1x128": ((1, 128), "e4m3"),
           "FP4, one scale": (None, "e2m1"), "MXFP4 (32, E8M0)": ((1, 32), "e2m1", "e8m0"),
           "NVFP4 (16, E4M3)": ((1, 16), "e2m1", "e4m3")}
mags = 10.0 ** np.arange(0, 6)
errs = {k: [] for k in schemes}
for m in mags:
    act_x = base_x.copy()
    act_x[:, hot] *= m
    for k, (block, *fmt) in schemes.items():
        y = block_quantize(act_x, block or act_x.shape, *fmt)
        errs[k].append(np.sqrt(np.mean((y - act_x)[:, normal_ch] ** 2) / np.mean(act_x[:, normal_ch] ** 2)))
errs = {k: np.array(v) for k, v in errs.items()}
for k, v in errs.items():
    print(f"{k:>17}: " + "  ".join(f"{e:.3f}" for e in v))
# FP8 的指数位能扛住约 1e3 倍的离群值，再大普通值就掉进次正规数；按 1x128 分块一直稳定
assert errs["FP8, one scale"][3] < 1.1 * errs["FP8, 1x128"][3]
assert errs["FP8, one scale"][5] > 5 * errs["FP8, 1x128"][5]
# FP4 几乎没有动态范围：10 倍的离群值就让整张量一个 scale 失效；分块后 NVFP4 比 MXFP4 准
assert errs["FP4, one scale"][1] > 0.5 and np.all(errs["FP4, one scale"][2:] > 0.99)
assert np.all(errs["NVFP4 (16, E4M3)"] < errs["MXFP4 (32, E8M0)"])

#| alt: 双对数折线图：横轴是 2 个离群通道被放大的倍数，纵轴是普通通道的相对误差；FP8 整张量一个 scale 在 1e3 倍以内与按 1×128 分块一样好，之后迅速变差；FP4 整张量一个 scale 在 10 倍时就接近 100% 误差，MXFP4 与 NVFP4 分块后保持在约 10%–30%，NVFP4 一直更低
fig, ax = plt.subplots(figsize=(4.8, 3.6))
for k, style in zip(schemes, ["-o", "--o", "-s", "--s", ":s"]):
    ax.plot(mags, errs[k], style, label=k)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("outlier channel scale-up")
ax.set_ylabel("error on normal channels")
ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.22), ncol=2)
plt.show()

# %% [markdown]
# ## 只量化权重（W4A16）在什么 batch 下有用 {#w4a16-batch}
#
# W4A16 把权重读取减到 1/4，但计算前要反量化回 16 位，用的还是 bf16 的算力。以 LLaMA-2-7B 形状、A100（312 TFLOPS、2.0 TB/s）为例，
# decode 一步的时间下界是 $\max(\text{FLOPs}/\text{peak},\ \text{bytes}/\text{BW})$：batch 小时由权重字节决定，提速接近 4 倍；
# batch 大到越过拐点后两者都被算力卡住，提速归 1（这里没算 KV cache 与反量化开销，实际更早失去优势）。

# %%
from snippets.inference.kv_cache import transformer_params

N7 = transformer_params(32, 4096, 32000, d_ff=11008, glu=True, tied=False)
peak, bw = 312e12, 2.0e12
batches = np.unique(np.logspace(0, 3.5, 60).astype(int))
t16 = np.maximum(2 * N7 * batches / peak, 2 * N7 / bw)        # bf16 权重，每参数 2 字节
t4 = np.maximum(2 * N7 * batches / peak, 0.5 * N7 / bw)       # int4 权重，每参数 0.5 字节
speedup = t16 / t4
b_half = batches[np.argmax(speedup < 2)]
print(f"W4A16 speedup: batch 1 {speedup[0]:.1f}x, below 2x from batch {b_half}, batch {batches[-1]}: {speedup[-1]:.1f}x")
assert np.isclose(speedup[0], 4.0) and np.isclose(speedup[-1], 1.0) and np.all(np.diff(speedup) <= 1e-12)
assert 50 < b_half < 200

#| alt: 对数横轴折线图：A100 上 W4A16 相对 W16A16 的 decode 提速下界随 batch 增大，从 batch 1 的 4 倍单调下降，batch 约 80 时降到 2 倍，越过拐点后降到 1 倍
fig, ax = plt.subplots()
ax.plot(batches, speedup)
ax.set_xscale("log")
ax.set_xlabel("decode batch size")
ax.set_ylabel("W4A16 speedup (bound)")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 零点取整、结果截断后，$x_{\min}\to-128$、$x_{\max}\to127$、0 精确可表示，误差不超过 scale/2。
# - 离群值会让 per-tensor 量化的误差随离群值大小线性上升；分组量化（GPTQ/AWQ 常用 128 一组）只让离群值所在的那一组变差。
# - 4 位权重每 128 个一组、fp16 scale 时实际是 4.125 位/参数；MXFP4 是 4.25 位，NVFP4 是 4.5 位。
# - W4A16 只在小 batch 的 decode 里接近 4 倍提速，batch 越大越接近 1 倍。
# - FP8 的指数位能扛住约 $10^3$ 倍的离群值，更大的离群值要靠 1×128 这类细粒度 scale；FP4 几乎没有动态范围，整张量一个 scale 不可用，NVFP4（16 个一块、E4M3 scale）误差比 MXFP4（32 个一块、2 的幂 scale）小。
