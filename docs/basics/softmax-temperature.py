# %% [markdown]
# ---
# description: 用 numpy 画出 softmax(z/T) 在不同温度下的分布与熵，验证熵随 T 单调不减、T→∞ 趋于 log n、T→0 趋于 one-hot。
# tags:
#   - 基础
#   - Softmax
#   - 温度
#   - 动手验证
# ---
# # Softmax 温度：分布形状与熵
#
# 对应问题：[温度系数 T 对 softmax 分布有什么影响？](softmax.md#softmax-temperature)
#
# 结论先行：$p_T=\mathrm{softmax}(z/T)$ 的熵对 $T$ 单调不减，导数是
# $\frac{\mathrm{d}H}{\mathrm{d}T}=\frac{\mathrm{Var}_{p_T}(z)}{T^3}\ge 0$；
# $T\to\infty$ 时趋于均匀分布（熵 $\log n$），$T\to0$ 时趋于 argmax 的 one-hot（熵 0）。
#
# ## 实验设置 {#setup}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.softmax import entropy, softmax_temperature

rng = np.random.default_rng(0)
n = 8
z = np.sort(rng.normal(size=n) * 2)[::-1]      # 一组固定的 logits，降序排列便于看图
print("logits:", np.round(z, 2))

# %% [markdown]
# ## 不同温度下的分布 {#distributions}

# %%
temps = [0.1, 0.5, 1, 2, 10]
fig, axes = plt.subplots(1, len(temps), figsize=(13, 2.8), sharey=True)
for ax, T in zip(axes, temps):
    p = softmax_temperature(z, T)
    ax.bar(np.arange(n), p, color="C0")
    ax.set_title(f"T = {T}, H = {entropy(p):.2f}")
    ax.set_xticks(range(n))
    ax.set_xlabel("class")
axes[0].set_ylabel("probability")
fig.suptitle("softmax(z / T): small T sharpens, large T flattens")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 熵随温度的变化 {#entropy-vs-t}

# %%
Ts = np.logspace(-2, 3, 400)
P = np.array([softmax_temperature(z, T) for T in Ts])
H = entropy(P)
pmax = P.max(axis=1)

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.semilogx(Ts, H, label="entropy H(T)")
ax.axhline(np.log(n), ls="--", color="gray", label=f"log n = {np.log(n):.3f}")
ax.semilogx(Ts, pmax, label="max probability")
ax.set_xlabel("temperature T (log scale)")
ax.set_ylabel("nats / probability")
ax.legend()
ax.set_title("Entropy is non-decreasing in T")
plt.show()

# %% [markdown]
# ## 检查 {#checks}
#
# 1. 熵单调不减；2. $T$ 很大时熵逼近 $\log n$；3. $T$ 很小时最大概率逼近 1 且位置是 argmax；
# 4. 解析导数 $\mathrm{Var}_{p_T}(z)/T^3$ 与数值差分一致。

# %%
assert np.all(np.diff(H) >= -1e-12), "entropy must be non-decreasing in T"
assert abs(H[-1] - np.log(n)) < 1e-3
assert pmax[0] > 1 - 1e-6 and P[0].argmax() == z.argmax()
assert H[0] < 1e-4

for T in [0.3, 1.0, 3.0]:
    h = 1e-5 * T
    dH_num = (entropy(softmax_temperature(z, T + h)) - entropy(softmax_temperature(z, T - h))) / (2 * h)
    p = softmax_temperature(z, T)
    var = np.sum(p * z**2) - np.sum(p * z) ** 2
    assert np.isclose(dH_num, var / T**3, rtol=1e-5), (T, dH_num, var / T**3)
    # 概率比只取决于 logit 差：p_i / p_j = exp((z_i - z_j) / T)
    assert np.isclose(p[0] / p[1], np.exp((z[0] - z[1]) / T))
print("all checks passed")
