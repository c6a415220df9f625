# %% [markdown]
# ---
# description: 在高斯特征上验证 FID 公式：同分布为 0、协方差相同时等于均值差的平方范数、协方差成比例时有闭式解，并展示有限样本下 FID 的正偏差随样本数下降。
# tags:
#   - 评测指标
#   - FID
#   - 图像生成
#   - 动手验证
# ---
# # FID：两个高斯之间的 Fréchet 距离
#
# 对应问题：[FID](generation.md#fid)
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

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
ax1.plot(shifts, fid_shift, "o", ms=3, label="FID")
ax1.plot(shifts, shifts**2, "k--", lw=1, label="||delta||^2")
ax1.set_xlabel("mean shift ||delta||  (same covariance)")
ax1.set_ylabel("FID")
ax1.legend()
ax2.plot(scales, fid_scale, "o", ms=3, label="FID")
ax2.plot(scales, (scales - 1) ** 2 * np.trace(S), "k--", lw=1, label="(c - 1)^2 tr(Sigma)")
ax2.set_xlabel("covariance scale c  (Sigma_g = c^2 Sigma_r)")
ax2.legend()
fig.tight_layout()
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

fig, ax = plt.subplots(figsize=(6, 3.6))
ax.loglog(Ns, means, "o-", label="mean FID of two samples from the same Gaussian")
ax.loglog(Ns, means[0] * Ns[0] / np.array(Ns), "k--", lw=1, label="~ 1/N")
ax.set_xlabel("samples per set N")
ax.set_ylabel("FID (true value 0)")
ax.legend(fontsize=8)
ax.set_title("FID estimated from samples is biased upward")
plt.show()

# %%
assert np.all(means > 0)
assert np.all(np.diff(means) < 0)
assert means[0] / means[-1] > 20          # N 增大 50 倍，偏差下降一个数量级以上（约 1/N）
print("mean FID by N:", {N: round(float(v), 4) for N, v in zip(Ns, means)})
