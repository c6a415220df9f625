# %% [markdown]
# ---
# description: 在高斯特征上验证 FID 公式：同分布为 0、协方差相同时等于均值差的平方范数、协方差成比例时有闭式解；展示有限样本下的正偏差随样本数下降，以及 FID 看不见前两阶矩以外的差别而 MMD 看得见。
# tags:
#   - 评测指标
#   - FID
#   - 图像生成
#   - 动手验证
# ---
# # FID：两个高斯之间的 Fréchet 距离
#
# 对应问题：[FID](generation.md#fid)，追问 [FID 有哪些缺陷，有什么替代指标？](generation.md#fid-limitations)
#
# $$\mathrm{FID}=\|\mu_r-\mu_g\|^2+\operatorname{tr}\big(\Sigma_r+\Sigma_g-2(\Sigma_r\Sigma_g)^{1/2}\big)$$
#
# 真实 FID 的特征来自 Inception-v3（2048 维）；这里直接在合成的高斯特征上算，检验公式本身。
#
# ## 闭式情形 {#closed-form}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.metrics.fid import fid_from_features, frechet_distance, sqrtm_psd

rng = np.random.default_rng(0)
d = 16
A = rng.normal(size=(d, d))
S = A @ A.T / d + 0.1 * np.eye(d)
mu = rng.normal(size=d)
u = rng.normal(size=d)
u /= np.linalg.norm(u)

shifts = np.linspace(0, 3, 31)
fid_shift = [frechet_distance(mu, S, mu + t * u, S) for t in shifts]
scales = np.linspace(0.25, 2.5, 46)
fid_scale = [frechet_distance(mu, S, mu, c**2 * S) for c in scales]

#| alt: 上下两幅图：上图横轴是协方差相同时的均值偏移 ‖δ‖，FID 的散点落在虚线 ‖δ‖² 上；下图横轴是协方差缩放倍数 c（Σ_g = c²Σ_r），FID 的散点落在虚线 (c − 1)² tr Σ 上，c = 1 时为 0。
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6))
ax1.plot(shifts, fid_shift, "o", ms=3, label="FID")
ax1.plot(shifts, shifts**2, "k--", lw=1, label="||delta||^2")
ax1.set_xlabel("mean shift ||delta|| (same covariance)")
ax1.set_ylabel("FID")
ax1.legend()
ax2.plot(scales, fid_scale, "o", ms=3, label="FID")
ax2.plot(scales, (scales - 1) ** 2 * np.trace(S), "k--", lw=1, label="(c-1)^2 tr(Sigma)")
ax2.set_xlabel("covariance scale c (Sigma_g = c^2 Sigma_r)")
ax2.set_ylabel("FID")
ax2.legend()
plt.show()

# %%
assert abs(frechet_distance(mu, S, mu, S)) < 1e-9
assert np.allclose(fid_shift, shifts**2, atol=1e-9)
assert np.allclose(fid_scale, (scales - 1) ** 2 * np.trace(S), atol=1e-8)
# tr((S1 S2)^{1/2}) 与对称写法 tr((S1^{1/2} S2 S1^{1/2})^{1/2}) 相同：用 (S1 S2) 的特征值验证
B = rng.normal(size=(d, d))
S2 = B @ B.T / d + 0.1 * np.eye(d)
ev = np.linalg.eigvals(S @ S2)                     # S1 S2 与对称正定矩阵相似，特征值为正实数
r = sqrtm_psd(S)
assert np.isclose(np.sum(np.sqrt(ev.real)), np.trace(sqrtm_psd(r @ S2 @ r)))

# %% [markdown]
# ## 有限样本偏差 {#sample-bias}
#
# 两组样本来自**同一个**高斯，真实 FID 为 0，但用样本均值与样本协方差估计出来的 FID 总是正的，且随样本数 $N$ 增大而下降。
# 这就是比较 FID 时必须固定样本数（常用 50k）的原因。

# %%
L = np.linalg.cholesky(S)
Ns = [100, 200, 500, 1000, 2000, 5000]
means = []
for N in Ns:
    vals = [fid_from_features(rng.normal(size=(N, d)) @ L.T + mu, rng.normal(size=(N, d)) @ L.T + mu)
            for _ in range(10)]
    means.append(np.mean(vals))
means = np.array(means)

#| alt: 双对数坐标的折线图：横轴是每组样本数 N，纵轴是同一高斯的两组样本算出的 FID（真实值为 0）；FID 始终为正，并沿着虚线大约按 1/N 下降。
fig, ax = plt.subplots()
ax.loglog(Ns, means, "o-", label="same Gaussian, 2 samples")
ax.loglog(Ns, means[0] * Ns[0] / np.array(Ns), "k--", lw=1, label="~ 1/N")
ax.set_xlabel("samples per set N")
ax.set_ylabel("FID (true value 0)")
ax.legend()
ax.set_title("Finite-sample FID is biased up")
plt.show()

# %%
assert np.all(means > 0)
assert np.all(np.diff(means) < 0)
assert means[0] / means[-1] > 20          # N 增大 50 倍，偏差下降一个数量级以上（约 1/N）
print("mean FID by N:", {N: round(float(v), 4) for N, v in zip(Ns, means)})

# %% [markdown]
# ## FID 只看前两阶矩 {#gaussian-assumption}
#
# FID 把两组特征都当成高斯，只用到均值和协方差。构造一个与标准高斯**均值、协方差完全相同**的双峰分布
# （第一维是 $\pm a$ 两个尖峰加少量噪声，$a=0.95$，方差仍为 1），两者形状截然不同，FID 却接近 0。
# 高斯核 MMD（CMMD 用的距离，这里在 2 维玩具特征上取带宽 $\sigma=0.5$）比较的是整个分布，能看出差别。

# %%
from snippets.metrics.fid import mmd2_rbf

n2, a_peak = 2000, 0.95
signs = rng.choice([-1.0, 1.0], size=(n2, 1))
bimodal = np.hstack([signs * a_peak + np.sqrt(1 - a_peak**2) * rng.normal(size=(n2, 1)), rng.normal(size=(n2, 1))])
gauss_a, gauss_b = rng.normal(size=(n2, 2)), rng.normal(size=(n2, 2))
fid_same, fid_bimodal = fid_from_features(gauss_a, gauss_b), fid_from_features(gauss_a, bimodal)
mmd_same, mmd_bimodal = mmd2_rbf(gauss_a, gauss_b, sigma=0.5), mmd2_rbf(gauss_a, bimodal, sigma=0.5)
print(f"FID: Gaussian vs Gaussian {fid_same:.4f}, Gaussian vs bimodal {fid_bimodal:.4f}")
print(f"MMD^2: Gaussian vs Gaussian {mmd_same:.4f}, Gaussian vs bimodal {mmd_bimodal:.4f}")
assert np.allclose(bimodal.mean(0), 0, atol=0.06) and np.allclose(np.cov(bimodal, rowvar=False), np.eye(2), atol=0.08)
assert fid_bimodal < 0.02                      # FID barely notices
assert mmd_bimodal > 10 * mmd_same             # MMD does

#| alt: 散点图：蓝色是标准二维高斯的样本，红色是均值和协方差与它相同的双峰分布的样本，红点在横轴 ±0.95 处聚成两条竖带；标题给出两者的 FID 接近 0，而 MMD 明显大于两组高斯之间的 MMD。
fig, ax = plt.subplots(figsize=(4.8, 3.6))
ax.scatter(gauss_a[:600, 0], gauss_a[:600, 1], s=6, alpha=0.5, label="Gaussian")
ax.scatter(bimodal[:600, 0], bimodal[:600, 1], s=6, alpha=0.5, label="bimodal, same mean and cov")
ax.set_xlabel("feature 1")
ax.set_ylabel("feature 2")
ax.set_title(f"FID = {fid_bimodal:.3f}, MMD ratio = {mmd_bimodal / mmd_same:.0f}x")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), markerscale=3)
plt.show()
