# %% [markdown]
# ---
# description: 用位掩码模拟 bf16，对比 fp16、bf16、fp32 的范围与精度：fp16 上限 65504、最小正规数 6.10e-5，bf16 精度更低但范围与 fp32 相同，以及损失缩放为何能救回 fp16 梯度。
# tags:
#   - BF16
#   - FP16
#   - FP32
#   - 浮点数
#   - 混合精度
#   - 损失缩放
#   - 动手验证
# ---
# # fp16、bf16、fp32 的范围与精度
#
# 对应问题：[INT8 量化与反量化怎么做？FP16/BF16 有什么区别？](compression.md#quantization-int8)
#
# ## 三种格式的关键数字 {#key-numbers}
#
# bf16 就是 fp32 的高 16 位（1 符号 + 8 指数 + 7 尾数），所以用 float32 的位模式就能精确模拟。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.quant import to_bf16


def bf16_from_bits(b):
    return np.array([b << 16], dtype=np.uint32).view(np.float32)[0]


fmt = {
    "fp32": dict(max=np.finfo(np.float32).max, normal=np.finfo(np.float32).smallest_normal,
                 sub=np.finfo(np.float32).smallest_subnormal, eps=np.finfo(np.float32).eps),
    "fp16": dict(max=np.finfo(np.float16).max, normal=np.finfo(np.float16).smallest_normal,
                 sub=np.finfo(np.float16).smallest_subnormal, eps=np.finfo(np.float16).eps),
    "bf16": dict(max=bf16_from_bits(0x7F7F), normal=bf16_from_bits(0x0080),
                 sub=bf16_from_bits(0x0001), eps=bf16_from_bits(0x3C00)),
}
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

fig, ax = plt.subplots(figsize=(7, 4.3))
ax.plot(x, rel32, label="fp32 (8 exp, 23 mantissa)")
ax.plot(x[okb], relb, label="bf16 (8 exp, 7 mantissa)")
ax.plot(x[ok16], rel16, label="fp16 (5 exp, 10 mantissa)")
for k, c in (("fp16", "C2"), ("bf16", "C1")):
    ax.axvline(float(fmt[k]["normal"]), color=c, ls=":", lw=1)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("|x|")
ax.set_ylabel("gap to next representable number / |x|")
ax.set_title("Relative precision is flat in the normal range; dotted = smallest normal")
ax.legend(fontsize=8)
plt.show()

normal16 = (x[ok16] >= fmt["fp16"]["normal"]) & (x[ok16] <= 60000)
assert rel16[normal16].max() <= 2**-10 * (1 + 1e-6) and rel16[normal16].min() >= 2**-11 * (1 - 1e-6)
normalb = (x[okb] >= fmt["bf16"]["normal"]) & (x[okb] < 3e38)
assert relb[normalb].max() <= 2**-7 * (1 + 1e-6) and relb[normalb].min() >= 2**-8 * (1 - 1e-6)

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

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(scales, zero_frac, marker="o", label="fp16: underflow to 0")
ax.plot(scales, inf_frac, marker="s", label="fp16: overflow to inf")
ax.axhline(bf_zero, color="C1", ls="--", label="bf16 without scaling: underflow")
ax.set_xscale("log", base=2)
ax.set_xlabel("loss scale S")
ax.set_ylabel("fraction of gradients lost")
ax.set_title("Gradients log-uniform in [1e-12, 1e-2]")
ax.legend(fontsize=8)
plt.show()

assert zero_frac[0] > 0.3                      # 不缩放时三成以上的梯度直接变 0
best = int(np.argmin(np.array(zero_frac) + np.array(inf_frac)))
assert zero_frac[best] + inf_frac[best] < zero_frac[0] / 2
assert bf_zero == 0.0                          # bf16 的指数范围与 fp32 相同，不下溢
print(f"no scaling: {zero_frac[0]:.0%} lost; best S = 2^{best}: {zero_frac[best] + inf_frac[best]:.0%} lost")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - fp16：最大 65504，最小正规数 6.10e-5，最小次正规数 5.96e-8，eps = $2^{-10}$。
# - bf16：范围与 fp32 相同（最大约 3.39e38），eps = $2^{-7}$，精度比 fp16 低。
# - fp16 训练需要损失缩放救回小梯度；bf16 一般不需要，但两者都要 fp32 主权重。
