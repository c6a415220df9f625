# %% [markdown]
# ---
# description: 在 Lasso 上对比近端梯度（软阈值）与次梯度下降：前者与闭式解一致、给出精确的 0，后者只在 0 附近振荡，说明 L1 的稀疏性来自近端步。
# tags:
#   - 正则化
#   - L1 正则
#   - 动手验证
# ---
# # L1 正则：近端步与次梯度步
#
# 对应问题：[L1 为什么能得到稀疏解？](regularization.md#l1-sparsity)

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.optim import l1_prox_step, l1_subgrad_step, soft_threshold

# %% [markdown]
# ## 近端步给出精确的 0，次梯度步不会 {#l1-prox}
#
# Lasso 目标 $\frac1{2m}\|X\theta-y\|^2+\lambda\|\theta\|_1$。$|\theta|$ 在 0 处不可导：
#
# - 次梯度下降 $\theta\leftarrow\theta-\eta(g+\lambda\operatorname{sign}\theta)$ 每步都把参数推过 0 再推回来，几乎从不精确等于 0；
# - 近端梯度（ISTA）先走光滑部分的梯度步 $z=\theta-\eta g$，再解 $\min_\theta \frac1{2\eta}\|\theta-z\|^2+\lambda\|\theta\|_1$，
#   解是软阈值 $S(z,\eta\lambda)=\operatorname{sign}(z)\max(|z|-\eta\lambda,0)$：$|z|\le\eta\lambda$ 的分量直接变成 0。
#
# 设计矩阵取列正交（$X^{\top}X/m=I$），此时 Lasso 有闭式解 $S(X^{\top}y/m,\lambda)$，可以直接核对。

# %%
rng = np.random.default_rng(0)
m1, d1, lam1 = 200, 10, 0.3
Q1, _ = np.linalg.qr(rng.standard_normal((m1, d1)))
X1 = Q1 * np.sqrt(m1)
true = np.array([2.0, -1.5, 0.2, -0.1, 0, 0, 1.0, 0, 0.05, 0])
y1 = X1 @ true + 0.1 * rng.standard_normal(m1)
grad1 = lambda th: X1.T @ (X1 @ th - y1) / m1
closed = soft_threshold(X1.T @ y1 / m1, lam1)

prox, sub = np.zeros(d1), np.zeros(d1)
zeros_prox, zeros_sub, path_sub = [], [], []
for _ in range(200):
    prox = l1_prox_step(prox, grad1(prox), 0.5, lam1)
    sub = l1_subgrad_step(sub, grad1(sub), 0.5, lam1)
    zeros_prox.append(np.sum(prox == 0))
    zeros_sub.append(np.sum(sub == 0))
    path_sub.append(sub.copy())
path_sub = np.array(path_sub)

#| alt: 次梯度下降前 60 步中七个 Lasso 解为 0 的系数的取值：它们在 0 上下以约 ±0.2 的幅度来回跳动，从不停在 0；同一设置下近端梯度（软阈值）第一步之后这些系数就精确等于 0
fig, ax = plt.subplots()
for j in np.where(closed == 0)[0]:
    ax.plot(path_sub[:60, j], lw=1.2)
ax.axhline(0, color="gray", ls=":")
ax.set_xlabel("step of the subgradient method")
ax.set_ylabel("coefficients with lasso = 0")
plt.show()

# %%
print("closed-form lasso:", np.round(closed, 3))
print("prox (ISTA)      :", np.round(prox, 3), " exact zeros:", zeros_prox[-1])
print("subgradient      :", np.round(sub, 3), " exact zeros:", zeros_sub[-1],
      f" max |coef| where lasso = 0: {np.abs(sub[closed == 0]).max():.3f}")
assert np.allclose(prox, closed, atol=1e-12)
assert zeros_prox[-1] == np.sum(closed == 0) >= 4
assert max(zeros_sub) == 0
assert np.abs(path_sub[-50:, closed == 0]).max() > 1e-2        # 一直在 0 附近振荡

# %% [markdown]
# ## 结论 {#conclusion}
#
# L1 的稀疏性来自近端步（软阈值）：小分量被精确置 0；次梯度下降只会让它们在 0 附近来回跳。
