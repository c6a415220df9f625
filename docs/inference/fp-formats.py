# %% [markdown]
# ---
# description: 用位运算模拟 bf16（最近偶数舍入），对比 fp16、bf16、fp32 的范围与精度，说明损失缩放为何能救回 fp16 梯度，再枚举 FP8（E4M3、E5M2）与 FP4（E2M1）的全部编码，并构造 QLoRA 的 NF4 码字表。
# tags:
#   - BF16
#   - FP16
#   - FP32
#   - 浮点数
#   - 混合精度
#   - 损失缩放
#   - FP8
#   - NF4
#   - 动手验证
# ---
# # fp16、bf16、fp32、FP8、FP4 的范围与精度
#
# 对应问题：[INT8 量化与反量化怎么做？FP16/BF16 有什么区别？](compression.md#quantization-int8)、
# [FP8 训练用哪种格式？](compression.md#fp8-formats-training)、[QLoRA 的 NF4](compression.md#dequantization-qlora)
#
# ## 三种格式的关键数字 {#key-numbers}
#
# bf16 的位布局就是 fp32 的高 16 位（1 符号 + 8 指数 + 7 尾数），所以用 float32 的位模式就能精确模拟；
# 从 fp32 转成 bf16 要按最近偶数舍入（round-to-nearest-even），不是直接截掉低 16 位。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.quant import to_bf16


def bf16_from_bits(b):
    return np.array([b << 16], dtype=np.uint32).view(np.float32)[0]


fmt = {k: dict(max=f.max, normal=f.smallest_normal, sub=f.smallest_subnormal, eps=f.eps)
       for k, f in (("fp32", np.finfo(np.float32)), ("fp16", np.finfo(np.float16)))}
fmt["bf16"] = dict(max=bf16_from_bits(0x7F7F), normal=bf16_from_bits(0x0080),
                   sub=bf16_from_bits(0x0001), eps=bf16_from_bits(0x3C00))
for k, v in fmt.items():
    print(f"{k}: max {float(v['max']):.4g}, min normal {float(v['normal']):.3g}, "
          f"min subnormal {float(v['sub']):.3g}, eps {float(v['eps']):.3g}")

assert fmt["fp16"]["max"] == 65504 and fmt["fp16"]["eps"] == 2.0**-10
assert np.isclose(fmt["fp16"]["normal"], 6.10e-5, rtol=1e-3) and np.isclose(fmt["fp16"]["sub"], 5.96e-8, rtol=1e-3)
assert fmt["bf16"]["eps"] == 2.0**-7 and fmt["bf16"]["normal"] == fmt["fp32"]["normal"]
assert np.isclose(fmt["bf16"]["max"], 3.39e38, rtol=1e-3)
with np.errstate(over="ignore"):
    assert np.isinf(np.float16(70000.0)) and np.isfinite(to_bf16(np.float32(70000.0)))
assert to_bf16(np.float32(1 + 2**-8)) == 1.0 and to_bf16(np.float32(1 + 2**-7)) == 1.0078125
# 最近偶数舍入与截断不同：1 + 3·2^-9 离 1 + 2^-7 更近，截断却会得到 1
from snippets.inference.quant import bf16_truncate
v = np.float32(1 + 3 * 2**-9)
assert to_bf16(v) == 1 + 2**-7 and bf16_truncate(v) == 1.0

# %% [markdown]
# ## 相对间距：精度是“相对”的 {#relative-spacing}
#
# 在正规数范围内，相邻两个可表示数的相对间距只取决于尾数位数（fp16 约 $2^{-10}$，bf16 约 $2^{-7}$），
# 与数值大小无关；到了次正规数区间相对精度才迅速变差。

# %%
x = np.logspace(-44, 38.5, 4000).astype(np.float32)
x = x[x > 0]


def rel_spacing_bf16(v):
    b = to_bf16(v)
    nxt = (b.view(np.uint32) + np.uint32(1 << 16)).view(np.float32)
    return (nxt.astype(np.float64) - b) / b


with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
    h = x.astype(np.float16)
    ok16 = np.isfinite(h) & (h > 0)
    rel16 = np.spacing(h[ok16]).astype(np.float64) / h[ok16]
    rel32 = np.spacing(x).astype(np.float64) / x
    okb = to_bf16(x) > 0
    relb = rel_spacing_bf16(x[okb])

#| alt: 双对数图：横轴是数值大小，纵轴是到下一个可表示数的间距除以数值；fp32、bf16、fp16 在各自的正规数范围内都是一条水平带（分别约 1e-7、4e-3、5e-4），进入次正规数区间（点线左侧）后相对间距迅速变大
fig, ax = plt.subplots()
ax.plot(x, rel32, label="fp32 (8e, 23m)")
ax.plot(x[okb], relb, label="bf16 (8e, 7m)")
ax.plot(x[ok16], rel16, label="fp16 (5e, 10m)")
for k, c in (("fp16", "C2"), ("bf16", "C1")):
    ax.axvline(float(fmt[k]["normal"]), color=c, ls=":", lw=1)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("|x|")
ax.set_ylabel("gap to next number / |x|")
ax.legend(loc="upper right")
plt.show()

normal16 = (x[ok16] >= fmt["fp16"]["normal"]) & (x[ok16] <= 60000)
assert rel16[normal16].max() <= 2**-10 * (1 + 1e-6) and rel16[normal16].min() >= 2**-11 * (1 - 1e-6)
normalb = (x[okb] >= fmt["bf16"]["normal"]) & (x[okb] < 3e38)
assert relb[normalb].max() <= 2**-7 * (1 + 1e-6) and relb[normalb].min() >= 2**-8 * (1 - 1e-6)
# 间距是 2^-8..2^-7，最近舍入的相对误差只有它的一半：不超过 2^-8（单位舍入）
xs = x[(x > 1e-30) & (x < 1e30)]
rel_err = np.abs(to_bf16(xs).astype(np.float64) - xs) / xs
assert rel_err.max() <= 2**-8 * (1 + 1e-6)

# %% [markdown]
# ## 混合精度为什么要 fp32 主权重和损失缩放 {#mixed-precision}
#
# 两个问题：小更新加到大权重上被舍掉（所以主权重留 fp32）；小梯度在 fp16 里下溢成 0（所以先把 loss 乘一个大数 S）。

# %%
w, lr_g = 1.0, 1e-4
assert np.float16(w) + np.float16(lr_g) == np.float16(w)            # fp16：更新丢失
assert to_bf16(np.float32(w + 1e-3)) == 1.0                          # bf16 更严重
assert np.float32(w) + np.float32(lr_g) != np.float32(w)             # fp32 主权重保留更新

g = np.exp(np.random.default_rng(0).uniform(np.log(1e-12), np.log(1e-2), 200_000))
scales = 2.0 ** np.arange(0, 25)
with np.errstate(over="ignore", under="ignore"):
    zero_frac = [np.mean(np.float16(g * S) == 0) for S in scales]
    inf_frac = [np.mean(np.isinf(np.float16(g * S))) for S in scales]
    bf_zero = np.mean(to_bf16(g.astype(np.float32)) == 0)

#| alt: 对数横轴折线图：梯度在 1e-12 到 1e-2 间对数均匀分布，横轴是损失缩放因子 S；S 越大，fp16 下溢为 0 的比例越低，但 S 过大后开始有梯度溢出成 inf；bf16 不缩放也没有下溢（水平虚线在 0）
fig, ax = plt.subplots()
ax.plot(scales, zero_frac, marker="o", label="fp16: underflow to 0")
ax.plot(scales, inf_frac, marker="s", label="fp16: overflow to inf")
ax.axhline(bf_zero, color="C1", ls="--", label="bf16, no scaling")
ax.set_xscale("log", base=2)
ax.set_xlabel("loss scale S")
ax.set_ylabel("fraction of grads lost")
ax.legend(loc="upper right")
plt.show()

assert zero_frac[0] > 0.3                      # 不缩放时三成以上的梯度直接变 0
best = int(np.argmin(np.array(zero_frac) + np.array(inf_frac)))
assert zero_frac[best] + inf_frac[best] < zero_frac[0] / 2
assert bf_zero == 0.0                          # bf16 的指数范围与 fp32 相同，不下溢
print(f"no scaling: {zero_frac[0]:.0%} lost; best S = 2^{best}: {zero_frac[best] + inf_frac[best]:.0%} lost")

# %% [markdown]
# ## FP8 与 FP4：枚举全部编码 {#fp8-fp4-grids}
#
# 8 位和 4 位浮点数的编码少到可以全部列出来。E4M3（OCP FP8）只有全 1 编码是 NaN、没有 inf，所以能用到 448；
# E5M2 与 IEEE 一样保留最高指数，最大 57344；E2M1（FP4）只有 8 个非负值 0、0.5、1、1.5、2、3、4、6。

# %%
from snippets.inference.quant import minifloat_grid

grids = {f: minifloat_grid(f) for f in ("e4m3", "e5m2", "e2m1")}
for f, g in grids.items():
    normal = g[g >= 1]
    print(f"{f}: {len(g)} non-negative values, max {g[-1]:g}, smallest subnormal {g[1]:g}, "
          f"gap just above 1: {normal[1] - normal[0]:g}")
assert grids["e4m3"][-1] == 448 and grids["e5m2"][-1] == 57344
assert grids["e2m1"].tolist() == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
assert grids["e4m3"][grids["e4m3"] >= 1][1] - 1 == 2**-3 and grids["e5m2"][grids["e5m2"] >= 1][1] - 1 == 2**-2

# %% [markdown]
# ## NF4：按正态分位点放码字 {#nf4}
#
# QLoRA 的 NF4 让 16 个码字落在标准正态的分位点上，负半轴 7 个、正半轴 8 个，再加一个精确的 0，缩放到 $[-1,1]$，
# 所以码字表**不对称**；每 64 个权重一组做 absmax 缩放（没有零点）。对近似正态的权重，它的误差比等间距的 int4 小。

# %%
from snippets.inference.quant import nf4_codebook, nf4_quantize

code = nf4_codebook()
assert (code < 0).sum() == 7 and (code > 0).sum() == 8 and code[7] == 0.0
assert code[0] == -1.0 and code[-1] == 1.0 and not np.allclose(code, -code[::-1])   # 不对称
w = np.random.default_rng(2).standard_normal(64 * 4096)
g = w.reshape(-1, 64)
s4 = np.abs(g).max(1, keepdims=True) / 7
int4 = (np.clip(np.round(g / s4), -8, 7) * s4).ravel()
mse_nf4, mse_int4 = np.mean((nf4_quantize(w) - w) ** 2), np.mean((int4 - w) ** 2)
print(f"MSE on N(0,1) weights, blocks of 64: NF4 {mse_nf4:.4f}, absmax int4 {mse_int4:.4f}")
assert mse_nf4 < mse_int4
# 双重量化：每 64 个权重一个 fp32 scale 是 0.5 位/参数；scale 再按 256 个一组量化成 8 位
plain, double = 32 / 64, 8 / 64 + 32 / (64 * 256)
saved_65b = (plain - double) * 65e9 / 8                       # 字节
print(f"scale overhead: {plain} -> {double:.3f} bits/param; 65B model saves {saved_65b / 1e9:.2f} GB = {saved_65b / 2**30:.2f} GiB")
assert np.isclose(double, 0.127, atol=1e-3) and 2.9e9 < saved_65b < 3.1e9

#| alt: 两行点图：上行是 NF4 的 16 个码字，靠近 0 处密、两端稀，负半轴比正半轴少一个点；下行是 absmax int4 的 16 个等间距码字（缩放到最大值 1），-8/7 在 -1 之外
fig, ax = plt.subplots(figsize=(4.8, 2.2))
ax.plot(code, np.ones_like(code), "o", label="NF4")
ax.plot(np.arange(-8, 8) / 7, np.zeros(16), "s", label="int4 / 7")
ax.set_yticks([0, 1], ["int4", "NF4"])
ax.set_ylim(-0.6, 1.6)
ax.set_xlabel("code value (after absmax scaling)")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - fp16：最大 65504，最小正规数 6.10e-5，最小次正规数 5.96e-8，eps = $2^{-10}$。
# - bf16：范围与 fp32 相同（最大约 3.39e38），eps = $2^{-7}$，精度比 fp16 低。
# - fp16 训练需要损失缩放救回小梯度；bf16 一般不需要，但两者都要 fp32 主权重。
# - fp32 转 bf16 按最近偶数舍入，相对误差不超过 $2^{-8}$，是相邻间距（$2^{-8}$ 到 $2^{-7}$）的一半。
# - E4M3 最大 448、E5M2 最大 57344，FP4（E2M1）只有 8 个非负值；块缩放的误差比较见 [int8-quant](int8-quant.py#block-scaling)。
# - NF4 的码字表不对称（7 负 8 正加 0），对正态权重比等间距 int4 误差小；双重量化把 scale 开销从 0.5 降到约 0.127 位/参数。
