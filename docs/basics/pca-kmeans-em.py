# %% [markdown]
# ---
# description: 验证 PCA 的特征分解与 SVD 给出同样的主成分、重构误差等于丢弃特征值之和、PCA 与 LDA 方向的差别；k-means 每次迭代目标单调不增、k-means++ 比随机初始化好；GMM 的 EM 对数似然单调上升、ELBO 在 E 步后取等并找回预设参数，以及共享方差趋于 0 时 EM 退化为 k-means。
# tags: [PCA, SVD, LDA, k-means, k-means++ 初始化, EM, GMM, 动手验证]
# ---
# # 动手验证：PCA、k-means 与 EM
#
# 对应问题：[PCA 的原理](unsupervised.md#pca)、[PCA 和 SVD](unsupervised.md#pca-svd)、
# [k-means 为什么收敛](unsupervised.md#kmeans)、[k-means++](unsupervised.md#kmeans-plus-plus)、
# [EM 与 GMM](unsupervised.md#em-gmm)、[EM 的单调性](unsupervised.md#em-monotone)、
# [k-means 和 GMM 的关系](unsupervised.md#kmeans-vs-gmm)
#
# ## PCA：特征分解 = SVD，重构误差 = 丢弃的特征值之和 {#pca-eig-svd}
#
# 500 个 6 维样本，协方差的特征值预先设成 (9, 4, 1, 0.5, 0.2, 0.1)，再随机旋转。
# 协方差取 1/n 归一化，于是中心化数据的奇异值 s_i 与特征值的关系是 λ_i = s_i²/n。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.basics.unsupervised import (gmm_em, gmm_log_joint, gmm_log_resp, kmeans, kmeans_objective, kmeanspp_init,
                                          pca_eig, pca_reconstruct, pca_svd)

rng = np.random.default_rng(0)
true_eigs = np.array([9, 4, 1, 0.5, 0.2, 0.1])
Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
X = (rng.normal(size=(500, 6)) * np.sqrt(true_eigs)) @ Q.T + rng.normal(size=6) * 3

W_eig, lam, mu = pca_eig(X, 6)
W_svd, lam_svd, _ = pca_svd(X, 6)
assert np.allclose(lam, lam_svd)
assert np.allclose(np.abs(np.sum(W_eig * W_svd, axis=1)), 1.0)     # 同一组方向，只差符号

recon_err = []
for k in range(7):
    if k == 0:
        Xh = np.broadcast_to(mu, X.shape)
    else:
        Xh = pca_reconstruct(X, W_eig[:k], mu)
    recon_err.append(np.mean(((X - Xh) ** 2).sum(axis=1)))
recon_err = np.array(recon_err)
tail = np.array([lam[k:].sum() for k in range(7)])
assert np.allclose(recon_err, tail, rtol=1e-10, atol=1e-12)

# 方差最大化：第一主成分上的投影方差 = λ1，不小于任何其他单位方向
dirs = rng.normal(size=(5000, 6))
dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
proj_var = ((X - mu) @ dirs.T).var(axis=0)
assert proj_var.max() <= lam[0] + 1e-9 and np.isclose(((X - mu) @ W_eig[0]).var(), lam[0])

ratio = np.cumsum(lam) / lam.sum()
k90 = int(np.searchsorted(ratio, 0.9) + 1)
print("eigenvalues:", np.round(lam, 3))
print("reconstruction error for k = 0..6:", np.round(recon_err, 3), "= tail sums of eigenvalues")
print(f"cumulative explained variance: {np.round(ratio, 3)}; k for 90%: {k90}")
print(f"max projected variance over 5000 random directions = {proj_var.max():.3f} <= lambda_1 = {lam[0]:.3f}")

#| alt: 横轴是保留的主成分数 k（0 到 6）：柱子是每个主成分的特征值，实线是重构误差（从约 14.2 降到 0），圆点是丢弃特征值之和，与实线完全重合；右侧纵轴的虚线是累计解释方差比例，k=2 时约 87%、k=3 时约 94%
fig, ax = plt.subplots()
ax.bar(np.arange(1, 7), lam, color="C0", alpha=0.5, label="eigenvalue $\\lambda_k$")
ax.plot(np.arange(7), recon_err, "-", color="C3", label="reconstruction error")
ax.plot(np.arange(7), tail, "o", color="k", ms=4, label="sum of dropped $\\lambda$")
ax.set_xlabel("number of components k")
ax.set_ylabel("variance")
ax2 = ax.twinx()
ax2.plot(np.arange(7), np.r_[0, ratio], "--", color="C2")
ax2.set_ylabel("explained variance ratio (dashed)")
ax2.set_ylim(0, 1.05)
ax2.grid(False)
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# ## PCA 和 LDA 的方向可以完全不同 {#pca-lda-directions}
#
# 两类数据沿 x 轴方差很大（但与类别无关），两类只在 y 轴上错开。PCA 只看方差，第一主成分沿 x 轴；
# Fisher LDA 最大化类间距离与类内方差之比，方向是 S_w⁻¹(μ₁ − μ₀)，几乎沿 y 轴。

# %%
r2 = np.random.default_rng(1)
n0 = 300
A0 = r2.normal(size=(n0, 2)) * [3.0, 0.5] + [0, -0.8]
A1 = r2.normal(size=(n0, 2)) * [3.0, 0.5] + [0, 0.8]
XA = np.r_[A0, A1]
yA = np.r_[np.zeros(n0), np.ones(n0)]
pc1 = pca_eig(XA, 1)[0][0]
Sw = np.cov(A0.T, bias=True) + np.cov(A1.T, bias=True)
lda = np.linalg.solve(Sw, A1.mean(0) - A0.mean(0))
lda /= np.linalg.norm(lda)


def fisher_ratio(v):
    p0, p1 = A0 @ v, A1 @ v
    return (p1.mean() - p0.mean()) ** 2 / (p0.var() + p1.var())


print(f"PC1 = {np.round(pc1, 3)}, Fisher ratio {fisher_ratio(pc1):.3f}; LDA = {np.round(lda, 3)}, "
      f"Fisher ratio {fisher_ratio(lda):.3f}")
assert abs(pc1[0]) > 0.99 and abs(lda[1]) > 0.99
assert fisher_ratio(lda) > 100 * fisher_ratio(pc1)

#| alt: 两类散点（蓝、红）都沿水平方向拉得很长，上下错开：PCA 第一主成分（黑色实线）沿水平方向，投影到它上面两类完全重叠；LDA 方向（绿色虚线）沿竖直方向，投影后两类分得很开
fig, ax = plt.subplots()
ax.scatter(A0[:, 0], A0[:, 1], s=5, alpha=0.5, label="class 0")
ax.scatter(A1[:, 0], A1[:, 1], s=5, alpha=0.5, label="class 1")
c = XA.mean(0)
for v, length, style, name in ((pc1, 5.0, "k-", "PCA direction"), (lda, 2.5, "C2--", "LDA direction")):
    v = v if v @ [1, 1] > 0 else -v                 # 方向的符号无关紧要，统一指向右上
    ax.plot([c[0] - length * v[0], c[0] + length * v[0]], [c[1] - length * v[1], c[1] + length * v[1]],
            style, lw=2.5, label=name)
ax.set_xlim(-9, 9)
ax.set_ylim(-3, 4.5)
ax.legend(loc="upper left", ncol=2)
plt.show()

# %% [markdown]
# ## k-means：目标每一步都不增，k-means++ 更好 {#kmeans-runs}
#
# 8 个高斯簇（其中有两对靠得较近），共 800 个点。对 50 个随机种子分别用随机初始化（随机选 8 个样本点）
# 和 k-means++ 初始化运行 Lloyd 算法，记录每次迭代后的目标 J（簇内平方和）。

# %%
r3 = np.random.default_rng(2)
centers_true = np.array([[0, 0], [6, 0], [0, 6], [6, 6], [12, 3], [3, 12], [1.8, 0.5], [13, 5.5]])
XK = np.concatenate([c + 0.6 * r3.normal(size=(100, 2)) for c in centers_true])
J_true, _ = kmeans_objective(XK, np.array([XK[i * 100:(i + 1) * 100].mean(0) for i in range(8)]))

runs = {"random": [], "k-means++": []}
for seed in range(50):
    for init in runs:
        _, _, hist = kmeans(XK, 8, init=init, rng=np.random.default_rng(seed))
        assert np.all(np.diff(hist) <= 1e-9 * hist[0])                  # 单调不增
        runs[init].append(hist)
seed_J = {init: np.array([h[0] for h in hs]) for init, hs in runs.items()}
final_J = {init: np.array([h[-1] for h in hs]) for init, hs in runs.items()}
for init in runs:
    print(f"{init:10s}: J after seeding (median) {np.median(seed_J[init]):8.1f}; final J mean {final_J[init].mean():7.1f}, "
          f"runs within 1% of the planted clustering {np.mean(final_J[init] < 1.01 * J_true):.0%}")
print(f"J of the planted clustering: {J_true:.1f}")
assert np.median(seed_J["k-means++"]) < np.median(seed_J["random"]) / 2
assert final_J["k-means++"].mean() < final_J["random"].mean()
assert np.mean(final_J["k-means++"] < 1.01 * J_true) > np.mean(final_J["random"] < 1.01 * J_true)

#| alt: 上下两张图：上图横轴是迭代次数、纵轴是对数刻度的目标 J，几条随机初始化（蓝）和 k-means++（红）的曲线都单调下降，k-means++ 起点低得多；下图把 50 个种子的最终 J 从小到大排序，k-means++ 的曲线整体更低，约四成种子达到预设聚类的 J（虚线），随机初始化几乎都停在更差的局部最优
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), layout="constrained")
for init, color in (("random", "C0"), ("k-means++", "C1")):
    for h in runs[init][:5]:
        axes[0].semilogy(h, color=color, lw=1)
    axes[1].plot(np.sort(final_J[init]), "o-", ms=3, color=color, label=init)
axes[0].set_xlabel("Lloyd iteration")
axes[0].set_ylabel("objective J")
axes[0].set_title("blue: random init, red: k-means++")
axes[1].axhline(J_true, color="gray", ls="--", label="planted clustering")
axes[1].set_xlabel("seed (sorted by final J)")
axes[1].set_ylabel("final J")
axes[1].legend(loc="upper left")
plt.show()

# %% [markdown]
# ## EM 拟合一维三成分 GMM：对数似然单调上升，找回预设参数 {#em}
#
# 预设 π = (0.5, 0.3, 0.2)、μ = (−2, 1, 4)、σ = (0.7, 0.5, 1.0)，抽 3000 个样本；
# 初始均值取 (−1, 0, 1)，三个方差都从全体样本方差开始。

# %%
r4 = np.random.default_rng(3)
pi_t, mu_t, sd_t = np.array([0.5, 0.3, 0.2]), np.array([-2.0, 1.0, 4.0]), np.array([0.7, 0.5, 1.0])
comp = r4.choice(3, size=3000, p=pi_t)
XG = (mu_t[comp] + sd_t[comp] * r4.normal(size=3000))[:, None]
weights, means, covs, resp, ll = gmm_em(XG, 3, n_iter=500, init_means=[[-1.0], [0.0], [1.0]])
order = np.argsort(means[:, 0])
pi_h, mu_h, sd_h = weights[order], means[order, 0], np.sqrt(covs[order, 0, 0])
print(f"{len(ll) - 1} EM iterations; log-likelihood {ll[0]:.1f} -> {ll[-1]:.1f}")
print("pi   :", np.round(pi_h, 3), " true", pi_t)
print("mu   :", np.round(mu_h, 3), " true", mu_t)
print("sigma:", np.round(sd_h, 3), " true", sd_t)
assert np.all(np.diff(ll) >= -1e-9 * abs(ll[-1]))                     # 每次迭代似然都不下降
assert np.allclose(pi_h, pi_t, atol=0.03) and np.allclose(mu_h, mu_t, atol=0.1) and np.allclose(sd_h, sd_t, atol=0.1)
assert np.allclose(resp.sum(axis=1), 1.0)

# %% [markdown]
# ELBO 的两条性质：记 q 为旧参数 θ_old 下的责任（后验），
# ELBO(q, θ) = Σ_i Σ_j q_ij [log π_j N(x_i | θ_j) − log q_ij]。
# E 步之后 ELBO(q, θ_old) 恰好等于 log p(X | θ_old)（Jensen 不等式取等）；
# M 步让 ELBO(q, θ) 上升，而对任何 θ 都有 log p(X | θ) ≥ ELBO(q, θ)，所以似然不降。

# %%
def elbo_value(Xd, q, w, m, c):
    """ELBO(q, θ) = Σ_i Σ_j q_ij [log π_j N(x_i | θ_j) − log q_ij]。"""
    return float(np.sum(q * (gmm_log_joint(Xd, w, m, c) - np.log(q))))


w0, m0 = np.full(3, 1 / 3), np.array([[-1.0], [0.0], [1.0]])
c0 = np.array([np.var(XG) * np.eye(1)] * 3)
Xs = XG[:400]
log_q, ll_old = gmm_log_resp(Xs, w0, m0, c0)
q = np.exp(log_q)
Nk = q.sum(0)
w1, m1 = Nk / len(Xs), (q.T @ Xs) / Nk[:, None]
c1 = np.array([((q[:, j, None] * (Xs - m1[j])).T @ (Xs - m1[j])) / Nk[j] for j in range(3)])
_, ll_new = gmm_log_resp(Xs, w1, m1, c1)
e_old, e_new = elbo_value(Xs, q, w0, m0, c0), elbo_value(Xs, q, w1, m1, c1)
print(f"log p(X|old) = {ll_old:.4f} = ELBO(q, old) = {e_old:.4f};  ELBO(q, new) = {e_new:.4f} <= log p(X|new) = {ll_new:.4f}")
assert np.isclose(e_old, ll_old, rtol=1e-10)
assert e_new >= e_old and ll_new >= e_new

#| alt: 上下两张图：上图是 3000 个样本的直方图，叠加 EM 拟合出的三成分混合密度（黑线）和三个加权成分（彩色虚线），分别位于 -2、1、4 附近；下图横轴是 EM 迭代次数、纵轴是对数似然，曲线单调上升并趋平
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), layout="constrained")
grid = np.linspace(-5, 8, 400)
dens = [pi_h[j] * np.exp(-(grid - mu_h[j]) ** 2 / (2 * sd_h[j] ** 2)) / (sd_h[j] * np.sqrt(2 * np.pi)) for j in range(3)]
axes[0].hist(XG[:, 0], bins=60, density=True, color="0.8")
for j in range(3):
    axes[0].plot(grid, dens[j], "--", lw=1.5)
axes[0].plot(grid, np.sum(dens, axis=0), "k", lw=1.5, label="fitted mixture")
axes[0].set_xlabel("x")
axes[0].set_ylabel("density")
axes[0].legend(loc="upper right")
axes[1].plot(ll, "o-", ms=3)
axes[1].set_xlabel("EM iteration")
axes[1].set_ylabel("log-likelihood")
plt.show()

# %% [markdown]
# ## 共享方差 σ² → 0：EM 就是 k-means {#hard-limit}
#
# 把 GMM 限制为等权重、所有成分共享协方差 σ²I（σ 固定不学），E 步的责任
# γ_ij ∝ exp(−‖x_i − μ_j‖²/(2σ²))。σ → 0 时它变成“最近中心取 1，其余取 0”，M 步的均值更新就是簇均值：
# 从同一个初始中心出发，EM 与 Lloyd 算法每一步都相同。

# %%
init = kmeanspp_init(XK, 8, np.random.default_rng(7))
c_km, lab_km, _ = kmeans(XK, 8, init=init.copy())
mu_em = init.copy()
sigma_small = 0.01
for it in range(100):
    log_r, _ = gmm_log_resp(XK, np.full(8, 1 / 8), mu_em, np.array([sigma_small ** 2 * np.eye(2)] * 8))
    r = np.exp(log_r)
    new = (r.T @ XK) / np.maximum(r.sum(0), 1e-300)[:, None]
    new[r.sum(0) < 1e-12] = mu_em[r.sum(0) < 1e-12]          # 空簇保持不动，与 kmeans() 一致
    if np.allclose(new, mu_em):
        break
    mu_em = new
print(f"max responsibility is > 0.999 for {np.mean(r.max(1) > 0.999):.1%} of points")
assert np.allclose(mu_em, c_km, atol=1e-8)
assert np.array_equal(r.argmax(1), lab_km)
for s_ in (2.0, 0.5):                                         # σ 大时是软分配
    lr_, _ = gmm_log_resp(XK, np.full(8, 1 / 8), c_km, np.array([s_ ** 2 * np.eye(2)] * 8))
    print(f"sigma = {s_}: mean max responsibility {np.exp(lr_).max(1).mean():.3f}")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - PCA 的两种算法给出同样的方向，特征值 λ_i = s_i²/n；保留 k 个主成分的平均重构误差正好等于丢掉的特征值之和，
#   第一主成分上的投影方差不小于任何其他方向。
# - PCA 只看方差，LDA 看类别可分性：本例中两者方向几乎垂直，LDA 方向上的 Fisher 比大两个数量级以上。
# - Lloyd 算法的目标 J 每次迭代都不增；k-means++ 播种后的起点 J 不到随机初始化的一半，最终结果也更常达到预设聚类。
# - EM 的对数似然每一步都不下降；E 步之后 ELBO 与对数似然相等，M 步之后 ELBO ≤ 新的对数似然；
#   3000 个样本上找回的参数与预设值相差在 0.1 以内。
# - 等权、共享方差 σ² → 0 的 GMM 的 EM 与 k-means 逐步相同。
