# %% [markdown]
# ---
# description: 对比朴素与稳定 softmax 在 fp16/fp32/fp64 下的出错比例，验证上溢阈值、log-sum-exp 写法、低精度 logits 的舍入，以及 online softmax 必须重标定输出累加器。
# tags:
#   - 基础
#   - Softmax
#   - 数值稳定
#   - 浮点数
#   - 动手验证
# ---
# # Softmax 上溢与下溢：朴素写法 vs 稳定写法
#
# 对应问题：[softmax 的上溢和下溢怎么处理？](softmax.md#softmax-overflow)
#
# ## exp 的上溢阈值 {#thresholds}
#
# $e^x$ 超过浮点最大值就变成 `inf`，阈值是 $\ln(\text{max})$。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.softmax import log_softmax, logsumexp, softmax, softmax_naive

rng = np.random.default_rng(0)
dtypes = [np.float16, np.float32, np.float64]
thr = {dt: float(np.log(float(np.finfo(dt).max))) for dt in dtypes}
under = {dt: float(np.log(float(np.finfo(dt).smallest_subnormal))) for dt in dtypes}
for dt in dtypes:
    print(f"{dt.__name__:8s} overflow above {thr[dt]:8.2f}, exp underflows to 0 below {under[dt]:8.2f}")

assert np.allclose([thr[dt] for dt in dtypes], [11.09, 88.72, 709.78], atol=0.01)

# %% [markdown]
# ## 出错比例 vs logit 大小 {#failure-rate}
#
# 每个规模 $a$ 下取 400 行 logits，$z=a\cdot u$，$u\sim U(-1,1)^8$。
# 一行“出错”指输出含 NaN/inf，或者概率和偏离 1（fp16 里可能每个 $e^{z_i}$ 都没溢出，但分母求和溢出，输出全 0）。
# 规模很大时还会出现第二种失败：整行都很负，$e^{z_i}$ 全部下溢成 0，得到 0/0。

# %%
def broken_rows(fn, Z):
    """每一行是否出错：含 NaN/inf，或者概率和偏离 1。"""
    with np.errstate(over="ignore", invalid="ignore"):
        P = fn(Z).astype(np.float64)
    return ~np.isfinite(P).all(axis=1) | (np.abs(P.sum(axis=1) - 1) > 1e-2)

U = rng.uniform(-1, 1, size=(400, 8))
scales = np.logspace(0, np.log10(3000), 120)
frac = {(name, dt): np.array([broken_rows(fn, (a * U).astype(dt)).mean() for a in scales])
        for name, fn in (("naive", softmax_naive), ("stable", softmax)) for dt in dtypes}

fig, ax = plt.subplots(figsize=(4.8, 4.0))
for i, dt in enumerate(dtypes):
    ax.semilogx(scales, frac[("naive", dt)], color=f"C{i}", label=f"naive {dt.__name__}")
    ax.axvline(thr[dt], color=f"C{i}", ls=":", lw=1)
for dt in dtypes:
    ax.semilogx(scales, frac[("stable", dt)], color="k", lw=2, alpha=0.4)
ax.plot([], [], color="k", lw=2, alpha=0.4, label="stable (all dtypes)")
ax.plot([], [], color="gray", ls=":", lw=1, label="ln(max float)")
ax.set_xlabel("logit scale a")
ax.set_ylabel("fraction of broken rows")
ax.set_title("Naive softmax breaks past ln(max)")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
#| alt: 朴素 softmax 在 fp16、fp32、fp64 下出错行的比例随 logit 规模 a（对数横轴）的变化：三条曲线分别在 11.09、88.72、709.78 附近的点线处从 0 跳升，稳定写法的灰线始终为 0
plt.show()

# %%
# 逐行核对“何时坏掉”的规则，两种失败方式：
# 上溢：分母 sum(e^z) 溢出，即 LSE(z) = log sum e^z 超过阈值（fp16 中 8 个数相加可让 LSE 比 max 大 ln 8）；
# 下溢：整行 e^{z_i} 全部下溢成 0，得到 0/0 = NaN（fp16 里 max(z) < -16.6 就会发生）。
for dt in dtypes:
    assert np.all(frac[("stable", dt)] == 0), dt
    for a in scales[::7]:
        Z = (a * U).astype(dt)
        lse = logsumexp(Z.astype(np.float64))
        clear = (np.abs(lse - thr[dt]) > 0.05) & (np.abs(lse - under[dt]) > 1.0)   # 离阈值太近的行受舍入影响，不判
        expected = (lse > thr[dt]) | (lse < under[dt])
        assert np.array_equal(broken_rows(softmax_naive, Z)[clear], expected[clear]), (dt, a)
    # 最大 logit 低于阈值减 ln 8 时一定安全
    assert np.all(frac[("naive", dt)][scales < thr[dt] - np.log(8)] == 0), dt

# 具体例子
with np.errstate(over="ignore", invalid="ignore"):
    assert np.isnan(softmax_naive(np.array([1000.0, 0.0], dtype=np.float32))).any()
    z16 = np.full(4, 10.0, dtype=np.float16)                 # 每个 e^10 = 22026 都能表示
    assert np.isfinite(np.exp(z16)).all() and softmax_naive(z16).sum() == 0
assert np.allclose(softmax(np.array([1000.0, 0.0], dtype=np.float32)), [1.0, 0.0])
z = rng.normal(size=10)
for c in (-1e3, 1e3):
    assert np.allclose(softmax(z + c), softmax(z))            # 平移不变，所以减最大值不改变结果

# %% [markdown]
# ## 下溢：为什么还需要 log-softmax {#log-softmax}
#
# 减最大值之后分母 $\ge 1$，不会再出现 0/0；但很小的概率仍会在 $e^{z_i-M}$ 处下溢成 0，
# 此时 $\log\mathrm{softmax}$ 变成 $-\infty$，交叉熵就成了 inf。直接算 $z_i-\mathrm{LSE}(z)$ 没有这个问题。

# %%
gaps = np.linspace(0, 200, 401)
Z = np.stack([np.zeros_like(gaps), -gaps], axis=1).astype(np.float32)
with np.errstate(divide="ignore"):
    via_log = np.log(softmax(Z))[:, 1]
via_lse = log_softmax(Z)[:, 1]

fig, ax = plt.subplots()
ax.plot(gaps, via_lse, lw=3, alpha=0.5, label="z_i - LSE(z)")
ax.plot(gaps, np.where(np.isfinite(via_log), via_log, np.nan), "--", label="log(softmax(z))")
ax.axvline(-under[np.float32], color="gray", ls=":", label=f"exp underflow ({-under[np.float32]:.1f})")
ax.set_xlabel("logit gap a  (z = [0, -a], fp32)")
ax.set_ylabel("log p_2")
ax.legend()
ax.set_title("log-softmax via LSE never hits log(0)")
#| alt: fp32 下 z=[0,-a] 第二类的对数概率随 a 的变化：z_i-LSE(z) 是一条直线一直画到 a=200，log(softmax(z)) 的虚线在 a≈103 处断掉（变成 -inf）
plt.show()

# %%
# e^{-a} 还是 fp32 正规数（a < 87.3）时两者一致；87.3 < a < 103.3 落在次正规数区，精度逐渐丢失；再往后直接 -inf
normal = gaps < -np.log(float(np.finfo(np.float32).tiny))
assert np.allclose(via_log[normal], via_lse[normal], rtol=1e-5, atol=1e-5)
sub = np.isfinite(via_log) & ~normal
print("max |error| of log(softmax) in the subnormal range:", float(np.max(np.abs(via_log[sub] - via_lse[sub]))))
assert np.isneginf(via_log[gaps > -under[np.float32] + 1]).all()
assert np.allclose(via_lse, -gaps - np.log1p(np.exp(-gaps)), rtol=1e-6, atol=1e-5)
print("all checks passed")


# %% [markdown]
# ## 低精度 logits 本身的舍入 {#low-precision-logits}
#
# 减最大值解决的是**上溢**，解决不了 logits 在 fp16/bf16 里的**舍入**：fp16 在 1000 附近的间距是 0.5，
# bf16（7 位尾数）在 256～512 之间的间距是 2，舍入误差 $\delta$ 会让概率比变成 $e^{\delta}$ 倍。
# 所以大词表的 LM head 与交叉熵通常在 fp32 里算（PyTorch autocast 也把 softmax、log_softmax、cross_entropy 放进 fp32 列表）。

# %%
def to_bf16(x):
    """fp32 就近舍入（到偶数）到 bf16：只保留高 16 位。"""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)

assert float(np.spacing(np.float16(1000))) == 0.5 and float(to_bf16(301.0)) in (300.0, 302.0)
z64 = np.array([300.7, 300.2, 299.6])
p64 = softmax(z64)
p16 = softmax(z64.astype(np.float16).astype(float))
pbf = softmax(to_bf16(z64).astype(float))
print("fp64:", np.round(p64, 3), " fp16 logits:", np.round(p16, 3), " bf16 logits:", np.round(pbf, 3))
assert np.abs(p16 / p64 - 1).max() > 0.05 and np.allclose(pbf, 1 / 3)   # 没有溢出，分布却变了

# %% [markdown]
# ## online softmax：分块时输出累加器也要重标定 {#online-softmax-rescale}
#
# 注意力要的不是概率本身，而是加权和 $o=\sum_j \mathrm{softmax}(z)_j V_j$。分块计算时维护最大值 $m$、分母 $\ell$ 和
# 未归一化的输出 $a$；最大值变大时，$\ell$ 与 $a$ **都**要乘 $e^{m-m'}$。下面对比正确写法与“只重标定分母”的写法。

# %%
from snippets.basics.softmax import online_softmax_weighted_sum


def forget_to_rescale_output(z, V, block):
    """错误示范：分母重标定了，输出累加器没有。"""
    m, ell, acc = -np.inf, 0.0, 0.0
    for s in range(0, len(z), block):
        m_new = max(m, z[s:s + block].max())
        e = np.exp(z[s:s + block] - m_new)
        ell, acc, m = ell * np.exp(m - m_new) + e.sum(), acc + e @ V[s:s + block], m_new
    return acc / ell


zq = rng.normal(size=256) * 4
zq[200] = 15.0                                 # 最大值出现在靠后的块里
Vq = rng.normal(size=(256, 16))
ref = softmax(zq) @ Vq
blocks = 2 ** np.arange(9)
err_ok = [np.abs(online_softmax_weighted_sum(zq, Vq, b)[0] - ref).max() for b in blocks]
err_bad = [np.abs(forget_to_rescale_output(zq, Vq, b) - ref).max() for b in blocks]
assert max(err_ok) < 1e-12
assert min(err_bad[:-1]) > 0.1 and err_bad[-1] < 1e-12   # 只有一整块（不分块）时才碰巧正确

fig, ax = plt.subplots()
ax.semilogy(blocks, np.maximum(err_ok, 1e-17), "o-", label="rescale l and acc")
ax.semilogy(blocks, np.maximum(err_bad, 1e-17), "s--", label="rescale l only (bug)")
ax.set_xscale("log", base=2)
ax.set_xlabel("block size (256 logits)")
ax.set_ylabel("max |o - exact|")
ax.legend()
#| alt: 分块 online softmax 的输出误差随块大小的变化（对数轴）：同时重标定分母和输出累加器时误差约 1e-16，只重标定分母时误差在 0.1 以上，直到块大小等于全部 256 个 logits
plt.show()
print("online softmax with output rescaling matches the full softmax; without it the output is wrong")
