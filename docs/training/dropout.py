# %% [markdown]
# ---
# description: 用蒙特卡洛验证反向（inverted）dropout 只保持期望：训练时二阶矩是测试时的 1/p 倍，下游线性层的方差在训练与测试之间发生偏移。
# tags:
#   - Dropout
#   - 正则化
#   - 动手验证
# ---
# # Dropout：期望不变，方差变了
#
# 对应问题：[Dropout 的原理与训练/测试差异](regularization.md#dropout)
#
# ## 实验设置 {#setup}
#
# 记 $p$ 为**保留**概率（PyTorch `nn.Dropout(p)` 的 `p` 是丢弃概率，等于这里的 $1-p$）。
# 掩码 $\xi\sim\mathrm{Bernoulli}(p)$：
#
# - 原始 dropout：训练时 $h'=\xi h$，测试时输出 $p\,h$；
# - 反向 dropout：训练时 $h'=\xi h/p$，测试时输出 $h$。
#
# 两者都让训练期望等于测试输出；但 $\mathbb E[h'^2]=h^2/p$（反向）与测试时的 $h^2$ 不同。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.dropout import dropout_inverted, dropout_vanilla

rng = np.random.default_rng(0)
h, p, N = 1.7, 0.8, 1_000_000

inv = dropout_inverted(np.full(N, h), p, rng)
van = dropout_vanilla(np.full(N, h), p, rng)
print(f"inverted: mean {inv.mean():.4f} (h = {h}),  E[h'^2]/h^2 = {np.mean(inv**2)/h**2:.4f}  (1/p = {1/p:.4f})")
print(f"vanilla : train mean {van.mean():.4f},  test output p*h = {p*h:.4f}")

assert abs(inv.mean() - h) / h < 1e-2
assert abs(np.mean(inv ** 2) / h ** 2 - 1 / p) / (1 / p) < 1e-2
assert abs(van.mean() - dropout_vanilla(np.array([h]), p, rng, training=False)[0]) / (p * h) < 1e-2
assert dropout_inverted(np.array([h]), p, rng, training=False)[0] == h

# %% [markdown]
# ## 二阶矩随保留概率的变化 {#second-moment}

# %%
ps = np.linspace(0.1, 1.0, 19)
m1 = [dropout_inverted(np.full(200_000, h), q, rng).mean() / h for q in ps]
m2 = [np.mean(dropout_inverted(np.full(200_000, h), q, rng) ** 2) / h ** 2 for q in ps]

fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.plot(ps, m1, "o", label="Monte Carlo E[h'] / h")
ax.plot(ps, m2, "s", label="Monte Carlo E[h'^2] / h^2")
ax.plot(ps, 1 / ps, "k--", label="theory 1/p")
ax.axhline(1.0, color="gray", ls=":")
ax.set_yscale("log")
ax.set_xlabel("keep probability p")
ax.set_ylabel("ratio to test-time value")
ax.set_title("Inverted dropout: mean preserved, second moment inflated")
ax.legend()
plt.tight_layout()
plt.show()

# %%
assert np.allclose(m1, 1.0, atol=0.03)
assert np.allclose(m2, 1 / ps, rtol=0.05)

# %% [markdown]
# ## 下游线性单元的方差偏移 {#variance-shift}
#
# 对 $y=w^{\top}h'$，固定输入时掩码带来的额外方差是
# $\operatorname{Var}_\xi(y)=\frac{1-p}{p}\sum_i w_i^2h_i^2$。在整个数据分布上，训练时 $y$ 的方差等于
# 测试时的方差再加上这一项的期望。若后面接 BatchNorm，它在训练时统计到的方差比测试时真实的方差大
# （Li et al. 2019 称之为 variance shift）。

# %%
d, n_data = 256, 20_000
w = rng.standard_normal(d) / np.sqrt(d)
X = np.abs(rng.standard_normal((n_data, d)))          # 类似 ReLU 输出：非负
q = 0.5
y_test = X @ w
y_train = dropout_inverted(X, q, rng) @ w

x0 = X[0]
y0 = np.array([dropout_inverted(x0, q, rng) @ w for _ in range(20_000)])
var_theory = (1 - q) / q * np.sum(w ** 2 * x0 ** 2)
print(f"single input: MC Var = {y0.var():.4f}, formula = {var_theory:.4f}")
print(f"over data: Var(train) = {y_train.var():.4f}, Var(test) = {y_test.var():.4f}")

fig, ax = plt.subplots(figsize=(6.5, 3.6))
bins = np.linspace(-3, 3, 80)
ax.hist(y_test, bins=bins, density=True, alpha=0.6, label=f"test (no dropout), var {y_test.var():.2f}")
ax.hist(y_train, bins=bins, density=True, alpha=0.6, label=f"train (inverted, p=0.5), var {y_train.var():.2f}")
ax.set_xlabel("y = w . dropout(x)")
ax.set_ylabel("density")
ax.legend()
plt.tight_layout()
plt.show()

# %%
assert abs(y0.var() / var_theory - 1) < 0.03
assert abs(y_train.mean() - y_test.mean()) < 0.02                 # 均值一致
expected_extra = (1 - q) / q * np.mean((X ** 2) @ (w ** 2))
assert abs(y_train.var() - (y_test.var() + expected_extra)) / y_train.var() < 0.03
assert y_train.var() > 1.5 * y_test.var()                          # 方差明显偏移

# %% [markdown]
# ## 结论 {#conclusion}
#
# 反向 dropout 的 $1/p$ 缩放只保证 $\mathbb E[h']=h$；$\mathbb E[h'^2]=h^2/p$，所以训练时激活的二阶矩、
# 下游单元的方差都比测试时大。“测试时不用 dropout 能保持输出范数一致”的说法不成立，只有期望一致。
