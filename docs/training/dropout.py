# %% [markdown]
# ---
# description: 用蒙特卡洛验证反向（inverted）dropout 只保持期望：训练时二阶矩是测试时的 1/p 倍，下游线性层的方差在训练与测试之间发生偏移；并用有限差分核对它的反向传播。
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
from snippets.training.dropout import dropout_inverted, dropout_inverted_backward, dropout_vanilla

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

#| alt: 横轴为保留概率 p、纵轴（对数）为训练时统计量与测试时的比值：蒙特卡洛得到的一阶矩比值在所有 p 下都等于 1，二阶矩比值沿理论曲线 1/p 变化，p=0.1 时达到 10 倍
fig, ax = plt.subplots()
ax.plot(ps, m1, "o", label="E[h'] / h")
ax.plot(ps, m2, "s", label="E[h'^2] / h^2")
ax.plot(ps, 1 / ps, "k--", label="theory 1/p")
ax.axhline(1.0, color="gray", ls=":")
ax.set_yscale("log")
ax.set_xlabel("keep probability p")
ax.set_ylabel("train / test")
ax.legend(loc="upper right")
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

#| alt: 下游线性单元 y 在测试时（不用 dropout）与训练时（反向 dropout，p=0.5）的两个直方图：两者中心相同，训练时的分布明显更宽，方差约为测试时的 3.7 倍
fig, ax = plt.subplots()
bins = np.linspace(-3, 3, 80)
ax.hist(y_test, bins=bins, density=True, alpha=0.6, label=f"test, var {y_test.var():.2f}")
ax.hist(y_train, bins=bins, density=True, alpha=0.6, label=f"train p=0.5, var {y_train.var():.2f}")
ax.set_xlabel("y = w . dropout(x)")
ax.set_ylabel("density")
ax.legend(loc="upper left")
plt.show()

# %%
assert abs(y0.var() / var_theory - 1) < 0.03
assert abs(y_train.mean() - y_test.mean()) < 0.02                 # 均值一致
expected_extra = (1 - q) / q * np.mean((X ** 2) @ (w ** 2))
assert abs(y_train.var() - (y_test.var() + expected_extra)) / y_train.var() < 0.03
assert y_train.var() > 1.5 * y_test.var()                          # 方差明显偏移

# %% [markdown]
# ## 反向传播：同一个掩码、同样的缩放 {#backward}
#
# 掩码在前向时采样一次，之后 $h'=h\odot\xi/p$ 对 $h$ 是逐元素线性的，所以 $\partial L/\partial h=\partial L/\partial h'\odot\xi/p$。
# 用有限差分核对（掩码固定）：

# %%
h_vec = rng.standard_normal(40)
w_vec = rng.standard_normal(40)
out, mask = dropout_inverted(h_vec, 0.7, rng, return_mask=True)
loss = lambda v: 0.5 * np.sum(w_vec * (v * mask / 0.7)) ** 2
grad_out = np.sum(w_vec * out) * w_vec                          # dL/dh'
grad_h = dropout_inverted_backward(grad_out, mask, 0.7)
eps = 1e-6
numeric = np.array([(loss(h_vec + eps * e) - loss(h_vec - eps * e)) / (2 * eps) for e in np.eye(40)])
print(f"max |analytic - numeric| = {np.abs(grad_h - numeric).max():.1e}; "
      f"dropped units get gradient 0: {np.all(grad_h[~mask] == 0)}")
assert np.allclose(grad_h, numeric, atol=1e-6)
assert np.all(grad_h[~mask] == 0)

# %% [markdown]
# ## 结论 {#conclusion}
#
# 反向 dropout 的 $1/p$ 缩放只保证 $\mathbb E[h']=h$；$\mathbb E[h'^2]=h^2/p$，所以训练时激活的二阶矩、
# 下游单元的方差都比测试时大，测试时去掉 dropout 只保持期望一致，不保持范数或方差。
# 反向传播用前向时的同一个掩码，梯度只流过被保留的单元，并带同样的 $1/p$ 因子。
