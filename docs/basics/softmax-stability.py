# %% [markdown]
# ---
# description: 对比朴素 softmax 与减最大值的稳定 softmax 在 fp16/fp32/fp64 下的 NaN 比例，验证上溢阈值 11.09/88.72/709.78 与 log-sum-exp 写法。
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

from snippets.basics.softmax import log_softmax, softmax, softmax_naive

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
def bad_fraction(fn, Z):
    with np.errstate(over="ignore", invalid="ignore"):
        P = fn(Z)
    s = P.astype(np.float64).sum(axis=1)
    return np.mean(~np.isfinite(P).all(axis=1) | (np.abs(s - 1) > 1e-2))

U = rng.uniform(-1, 1, size=(400, 8))
scales = np.logspace(0, np.log10(3000), 120)
frac = {(name, dt): [] for name in ("naive", "stable") for dt in dtypes}
for a in scales:
    for dt in dtypes:
        Z = (a * U).astype(dt)
        frac[("naive", dt)].append(bad_fraction(softmax_naive, Z))
        frac[("stable", dt)].append(bad_fraction(softmax, Z))
frac = {k: np.array(v) for k, v in frac.items()}

fig, ax = plt.subplots(figsize=(7.5, 3.8))
for i, dt in enumerate(dtypes):
    ax.semilogx(scales, frac[("naive", dt)], color=f"C{i}", label=f"naive {dt.__name__}")
    ax.axvline(thr[dt], color=f"C{i}", ls=":", lw=1)
    ax.text(thr[dt] * 1.05, 0.5 + 0.12 * i, f"{thr[dt]:.2f}", color=f"C{i}")
for dt in dtypes:
    ax.semilogx(scales, frac[("stable", dt)], color="k", lw=2, alpha=0.4)
ax.plot([], [], color="k", lw=2, alpha=0.4, label="stable (all dtypes)")
ax.set_xlabel("logit scale a (z = a * u, u ~ U(-1, 1))")
ax.set_ylabel("fraction of broken rows")
ax.set_title("Naive softmax breaks once the logits pass ln(max float)")
ax.legend(loc="center left", fontsize=8)
plt.show()

# %%
# 逐行核对“何时坏掉”的规则，两种失败方式：
# 上溢：分母 sum(e^z) 溢出，即 LSE(z) = log sum e^z 超过阈值（fp16 中 8 个数相加可让 LSE 比 max 大 ln 8）；
# 下溢：整行 e^{z_i} 全部下溢成 0，得到 0/0 = NaN（fp16 里 max(z) < -16.6 就会发生）。
for dt in dtypes:
    assert np.all(frac[("stable", dt)] == 0), dt
    for a in scales[::7]:
        Z = (a * U).astype(dt)
        with np.errstate(over="ignore", invalid="ignore"):
            P = softmax_naive(Z)
        broken = ~np.isfinite(P).all(axis=1) | (np.abs(P.astype(float).sum(axis=1) - 1) > 1e-2)
        Z64 = Z.astype(np.float64)
        lse = Z64.max(1) + np.log(np.exp(Z64 - Z64.max(1, keepdims=True)).sum(1))
        clear = (np.abs(lse - thr[dt]) > 0.05) & (np.abs(lse - under[dt]) > 1.0)   # 离阈值太近的行受舍入影响，不判
        expected = (lse > thr[dt]) | (lse < under[dt])
        assert np.array_equal(broken[clear], expected[clear]), (dt, a)
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

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.plot(gaps, via_lse, lw=3, alpha=0.5, label="z_i - LSE(z)")
ax.plot(gaps, np.where(np.isfinite(via_log), via_log, np.nan), "--", label="log(softmax(z)), -inf not drawn")
ax.axvline(-under[np.float32], color="gray", ls=":", label=f"fp32 exp underflow ({-under[np.float32]:.1f})")
ax.set_xlabel("logit gap a  (z = [0, -a], float32)")
ax.set_ylabel("log p_2")
ax.legend(fontsize=8)
ax.set_title("log-softmax via log-sum-exp never hits log(0)")
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
