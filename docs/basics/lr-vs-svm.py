# %% [markdown]
# ---
# description: 验证逻辑回归梯度 Xᵀ(p−y)/n 与数值梯度一致、线性可分时不加正则的权重范数无限增长；用对偶坐标下降训练线性 SVM，检查 KKT 条件与对偶间隙，并演示远处新增的正确样本改变逻辑回归的边界却不改变 SVM 的边界。
# tags: [逻辑回归, SVM, 支持向量, hinge loss, 对偶, 动手验证]
# ---
# # 动手验证：逻辑回归与 SVM
#
# 对应问题：[逻辑回归怎么推导？](linear-models.md#logistic-regression)、[线性可分时会怎样？](linear-models.md#logistic-separable)、
# [逻辑回归和 SVM 的区别](linear-models.md#lr-vs-svm)、[SVM 的对偶与支持向量](linear-models.md#svm-dual)
#
# ## 逻辑回归的梯度与 Hessian {#lr-gradient}
#
# 记 p = σ(Xw)，平均交叉熵 L(w) 的梯度是 Xᵀ(p − y)/n，Hessian 是 Xᵀ diag(p(1 − p)) X / n。
# 用中心差分检验，并检查 Hessian 半正定（所以 L 是凸函数）。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.basics.classic import (fit_linear_svm_dual, fit_logistic, hinge_objective, logistic_loss_grad_hess,
                                     sigmoid)

rng = np.random.default_rng(0)
Xg = np.c_[rng.normal(size=(200, 3)), np.ones(200)]
yg = (rng.random(200) < sigmoid(Xg @ np.array([1.0, -2.0, 0.5, 0.3]))).astype(float)
w = rng.normal(size=4)
loss, grad, hess = logistic_loss_grad_hess(w, Xg, yg)
h = 1e-6
num_grad = np.array([(logistic_loss_grad_hess(w + h * e, Xg, yg)[0] - logistic_loss_grad_hess(w - h * e, Xg, yg)[0]) / (2 * h)
                     for e in np.eye(4)])
num_hess = np.array([(logistic_loss_grad_hess(w + h * e, Xg, yg)[1] - logistic_loss_grad_hess(w - h * e, Xg, yg)[1]) / (2 * h)
                     for e in np.eye(4)])
print("analytic gradient:", np.round(grad, 6))
print("numeric  gradient:", np.round(num_grad, 6))
assert np.allclose(grad, num_grad, atol=1e-7)
assert np.allclose(hess, num_hess, atol=1e-6)
assert np.linalg.eigvalsh(hess).min() >= -1e-12

# %% [markdown]
# ## 四种损失与间隔 {#losses}
#
# 把标签记成 y ∈ {−1, +1}、分数记成 f(x)，间隔 m = y f(x)。0-1 损失是 1{m ≤ 0}；SVM 的 hinge 损失 max(0, 1 − m)；
# 逻辑回归的对数损失 log(1 + e^{−m})（除以 ln 2 后在 m = 0 处等于 1）；AdaBoost 的指数损失 e^{−m}。
# 三个替代损失都是 0-1 损失的凸上界；hinge 在 m ≥ 1 时恰好为 0，对数损失永远为正。

# %%
marg = np.linspace(-2, 3, 501)
zero_one = (marg <= 0).astype(float)
hinge = np.maximum(0, 1 - marg)
logl = np.log1p(np.exp(-marg)) / np.log(2)
expl = np.exp(-marg)
assert np.all(hinge >= zero_one) and np.all(logl >= zero_one - 1e-12) and np.all(expl >= zero_one)
assert np.all(hinge[marg >= 1] == 0) and np.all(logl > 0)

#| alt: 横轴是间隔 m = y·f(x)、纵轴是损失：0-1 损失是 m≤0 时为 1 的阶梯，hinge 损失在 m≥1 后变为 0，对数损失（除以 ln2）和指数损失都平滑下降但永远大于 0，三条替代损失都在阶梯之上，指数损失在 m 为负时增长最快
fig, ax = plt.subplots()
ax.plot(marg, zero_one, "k", label="0-1")
ax.plot(marg, hinge, label="hinge (SVM)")
ax.plot(marg, logl, label="log loss / ln 2 (LR)")
ax.plot(marg, expl, "--", label="exponential (AdaBoost)")
ax.set_ylim(0, 4)
ax.set_xlabel("margin m = y f(x)")
ax.set_ylabel("loss")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## SVM 的 KKT 条件与对偶间隙 {#svm-kkt}
#
# 对偶坐标下降解出 α 后，w = Σ α_i y_i x_i。KKT 条件：α_i = 0 的样本间隔 ≥ 1（在间隔带外，对解没有影响），
# 0 < α_i < C 的样本恰好在间隔边界上（y_i f(x_i) = 1），α_i = C 的样本在间隔带内或被分错。
# 原问题与对偶问题的目标值相等（强对偶）。截距作为一个取值恒为 1 的特征放进 x（因此也被正则化）。

# %%
n_pts = 120
Xs = np.r_[rng.normal([-1.5, -1.0], 0.9, (n_pts // 2, 2)), rng.normal([1.5, 1.0], 0.9, (n_pts // 2, 2))]
ys = np.r_[-np.ones(n_pts // 2), np.ones(n_pts // 2)]
Xs1 = np.c_[Xs, np.ones(n_pts)]
C = 1.0
w_svm, alpha = fit_linear_svm_dual(Xs1, ys, C=C, n_epochs=2000, tol=1e-12)
margin = ys * (Xs1 @ w_svm)
tol = 1e-6
free = (alpha > tol) & (alpha < C - tol)
assert np.all(margin[alpha <= tol] >= 1 - 1e-4)
assert np.allclose(margin[free], 1, atol=1e-4)
assert np.all(margin[alpha >= C - tol] <= 1 + 1e-4)
primal = hinge_objective(w_svm, Xs1, ys, C)
dual = alpha.sum() - 0.5 * w_svm @ w_svm
print(f"support vectors: {np.sum(alpha > tol)} of {n_pts} ({free.sum()} on the margin, {np.sum(alpha >= C - tol)} at alpha = C)")
print(f"primal objective {primal:.6f}, dual objective {dual:.6f}, gap {primal - dual:.2e}")
assert primal - dual < 1e-6 * primal

# %% [markdown]
# ## 新增分类正确、在间隔带外的样本：LR 的边界会动，SVM 不会 {#far-points}
#
# 在正类一侧加 150 个分类正确、SVM 间隔 y f(x) 在 1.2 到 3 之间的点（都在间隔带外），集中在左上方。
# 这些点的 α 都是 0，SVM 的解不变；逻辑回归的每个样本都贡献梯度 (p − y)x，这些点的 p 还没饱和到 1，
# 会把边界推离它们。为了只比较“多了样本”的影响，两次拟合用同样的总正则强度（λ 按样本数缩放）。

# %%
cand = rng.normal([-0.5, 2.5], 0.8, (3000, 2))
m_c = np.c_[cand, np.ones(len(cand))] @ w_svm
far = cand[(m_c > 1.2) & (m_c < 3.0)][:150]
Xf = np.r_[Xs, far]
yf = np.r_[ys, np.ones(len(far))]
Xf1 = np.c_[Xf, np.ones(len(yf))]
w_svm2, alpha2 = fit_linear_svm_dual(Xf1, yf, C=C, n_epochs=2000, tol=1e-12)
lam = 1e-2
w_lr = fit_logistic(Xs1, (ys + 1) / 2, lam=lam)
w_lr2 = fit_logistic(Xf1, (yf + 1) / 2, lam=lam * n_pts / len(yf))    # Σ 损失 + 同样的 λ‖w‖²


def boundary_angle(w):
    return np.degrees(np.arctan2(w[1], w[0]))


print(f"added {len(far)} points; SVM: w = {np.round(w_svm, 4)} -> {np.round(w_svm2, 4)}; "
      f"new points with alpha > 0: {np.sum(alpha2[n_pts:] > tol)}")
print(f"LR : w = {np.round(w_lr, 3)} -> {np.round(w_lr2, 3)}")
print(f"normal direction: SVM {boundary_angle(w_svm):.2f} -> {boundary_angle(w_svm2):.2f} deg, "
      f"LR {boundary_angle(w_lr):.2f} -> {boundary_angle(w_lr2):.2f} deg")
assert len(far) == 150
assert np.all(alpha2[n_pts:] <= tol)
assert np.allclose(w_svm, w_svm2, atol=1e-4)
assert abs(boundary_angle(w_lr2) - boundary_angle(w_lr)) > 5

#| alt: 二维散点图：负类（蓝）在左下、正类（红）在右上，另有 150 个新加的、在间隔带外的正类点（浅色，左上方）；SVM 加点前后的决策边界（黑色实线与灰色虚线）完全重合，支持向量画了圈；逻辑回归加点后的边界（橙色点线）相对加点前（橙色实线）转动了约 15 度
fig, ax = plt.subplots()
ax.scatter(Xs[ys < 0, 0], Xs[ys < 0, 1], s=10, label="class -1")
ax.scatter(Xs[ys > 0, 0], Xs[ys > 0, 1], s=10, label="class +1")
ax.scatter(far[:, 0], far[:, 1], s=6, color="C1", alpha=0.3, label="added +1")
sv = alpha > tol
ax.scatter(Xs[sv, 0], Xs[sv, 1], s=60, facecolors="none", edgecolors="k", lw=0.8)
xx = np.linspace(-4, 10, 10)
for wv, ls, color, lab in ((w_svm, "-", "k", "SVM"), (w_svm2, "--", "0.5", "SVM + added"),
                           (w_lr, "-", "C3", "LR"), (w_lr2, ":", "C3", "LR + added")):
    ax.plot(xx, -(wv[0] * xx + wv[2]) / wv[1], ls=ls, color=color, lw=1.5, label=lab)
ax.set_xlim(-4, 10)
ax.set_ylim(-4, 4)
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 线性可分时，不加正则的逻辑回归权重发散 {#separable}
#
# 数据线性可分时，把 w 放大任意倍都能继续降低交叉熵（每个 p 更接近 0 或 1），损失下确界 0 取不到，
# 梯度下降的 ‖w‖ 随迭代无限增长（大约按 log t 增长）。加 L2 正则后有唯一的有限解。

# %%
Xsep = np.c_[np.r_[rng.normal(-2, 0.5, (50, 2)), rng.normal(2, 0.5, (50, 2))], np.ones(100)]
ysep = np.r_[np.zeros(50), np.ones(50)]
w_gd = np.zeros(3)
norms, losses = [], []
for t in range(1, 10001):
    loss_t, g_t, _ = logistic_loss_grad_hess(w_gd, Xsep, ysep)
    w_gd -= 0.5 * g_t
    if t in (10, 100, 1000, 10000):
        norms.append(np.linalg.norm(w_gd))
        losses.append(loss_t)
w_reg = fit_logistic(Xsep, ysep, lam=1e-2)
print("||w|| at t = 10, 100, 1e3, 1e4:", np.round(norms, 2), " loss:", np.array(losses))
print(f"with L2 (lambda = 0.01): ||w|| = {np.linalg.norm(w_reg):.2f}")
assert np.all(np.diff(norms) > 0) and np.all(np.diff(losses) < 0)
_, g_reg, _ = logistic_loss_grad_hess(w_reg, Xsep, ysep, 1e-2)
assert np.abs(g_reg).max() < 1e-8

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 逻辑回归的梯度 Xᵀ(p − y)/n、Hessian Xᵀ diag(p(1 − p)) X / n 与数值微分一致，Hessian 半正定：交叉熵下的逻辑回归是凸问题。
# - hinge、对数、指数损失都是 0-1 损失的凸上界；hinge 对间隔 ≥ 1 的样本损失为 0，所以 SVM 的解只由支持向量决定。
# - 对偶坐标下降得到的解满足 KKT 条件，对偶间隙为 0；新增 150 个在间隔带外的正确样本不改变 SVM 的边界，却让逻辑回归的边界转动。
#   间隔极大的样本对逻辑回归的影响也很小（梯度 ∝ 1 − p ≈ e^{−m}），真正有差别的是间隔中等的样本。
# - 线性可分且不加正则时，逻辑回归的 ‖w‖ 随迭代单调增长、损失趋于 0 但取不到；加 L2 后收敛到有限解。
