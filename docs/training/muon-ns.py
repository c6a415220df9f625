# %% [markdown]
# ---
# description: 验证 Muon 的五次 Newton–Schulz 迭代把矩阵的奇异值推到 1 附近（5 步后落在约 0.68–1.13）而不改变奇异向量，与 SVD 得到的精确极分解因子 UVᵀ 对比，并检验 Moonlight 的 0.2·√max(A, B) 缩放让更新的均方根约为 0.2。
# tags:
#   - 优化器
#   - Muon
#   - 动手验证
# ---
# # Muon 的 Newton–Schulz 正交化
#
# 对应问题：[Muon 的 Newton–Schulz 迭代在算什么？](optimizers.md#muon-newton-schulz)
#
# ## 每个奇异值各自迭代 {#scalar-map}
#
# 记 G = U S Vᵀ。X ← aX + b(XXᵀ)X + c(XXᵀ)²X 中每一项都是 U·(σ 的奇次多项式)·Vᵀ，所以奇异向量不变，
# 每个奇异值独立地走一维映射 φ(σ) = aσ + bσ³ + cσ⁵。KellerJordan/Muon 取 (a, b, c) = (3.4445, −4.7750, 2.0315)：
# φ'(0) = a ≈ 3.44，小奇异值被迅速放大；迭代不收敛到恰好 1，而是在 1 附近来回。先除以 Frobenius 范数，保证所有 σ ≤ 1。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.optimizers import NS_COEFFS, muon_update, newton_schulz

a, b, c = NS_COEFFS
phi = lambda s: a * s + b * s ** 3 + c * s ** 5
s0 = np.geomspace(1e-3, 1, 2000)
traj = [s0]
for _ in range(5):
    traj.append(phi(traj[-1]))
out5 = traj[-1]
band = out5[s0 >= 0.01]
print(f"after 5 steps, sigma_0 in [0.01, 1] maps into [{band.min():.3f}, {band.max():.3f}]")
assert 0.65 < band.min() < 0.7 and 1.1 < band.max() < 1.15
assert abs(a ** 5 - 485) < 1                        # a tiny singular value grows ~485x in 5 steps
assert out5[0] < 0.5                                # below ~1e-3 five steps are not enough

fig, ax = plt.subplots()
for k in [1, 2, 3, 5]:
    ax.semilogx(s0, traj[k], label=f"{k} step{'s' if k > 1 else ''}")
ax.axhline(1, color="gray", ls=":")
ax.set_xlabel("initial singular value / ||G||_F")
ax.set_ylabel("singular value after k steps")
ax.legend(loc="upper left")
#| alt: 横轴为初始奇异值与 Frobenius 范数之比（对数刻度，0.001 到 1），纵轴为迭代 k 步后的奇异值：1 步后只有大奇异值接近 1，步数越多曲线越往左抬起，5 步后 0.01 以上的初始值都落在 0.68 到 1.13 之间、围绕 1 波动
plt.show()

# %% [markdown]
# ## 与精确极分解因子对比 {#polar}
#
# 对 64 × 256 的高斯矩阵（像一个隐藏层梯度的动量），迭代 5 步的结果与 SVD 给出的 UVᵀ 比较：
# 输出的奇异向量与 G 相同（把 Uᵀ·O·V 变成对角阵），奇异值都在上面的带里，相对误差约 20 %；
# 经典的三次迭代 X ← 1.5X − 0.5(XXᵀ)X 会精确收敛到 UVᵀ，但它在 0 处的斜率只有 1.5，要多走几步才能把最小的奇异值抬到同样高。

# %%
rng = np.random.default_rng(0)
G = rng.standard_normal((64, 256))
U, S, Vt = np.linalg.svd(G, full_matrices=False)
O = newton_schulz(G)
core = U.T @ O @ Vt.T                               # should be diagonal
off = core - np.diag(np.diag(core))
sv = np.diag(core)
polar = U @ Vt
rel = np.linalg.norm(O - polar) / np.linalg.norm(polar)
print(f"off-diagonal of U^T O V: {np.abs(off).max():.1e}; singular values in [{sv.min():.3f}, {sv.max():.3f}]; "
      f"||O - UV^T|| / ||UV^T|| = {rel:.3f}")
assert np.abs(off).max() < 1e-10
assert np.allclose(sv, phi(phi(phi(phi(phi(S / np.linalg.norm(G)))))), atol=1e-10)
assert 0.65 < sv.min() and sv.max() < 1.15 and 0.1 < rel < 0.3
assert np.allclose(newton_schulz(G.T), O.T, atol=1e-12)        # tall matrices are handled by transposing

X = G / np.linalg.norm(G)
cubic_steps = 0
while np.linalg.svd(X, compute_uv=False).min() < sv.min():
    X = 1.5 * X - 0.5 * (X @ X.T) @ X
    cubic_steps += 1
print(f"the cubic iteration needs {cubic_steps} steps to lift the smallest singular value to {sv.min():.2f}")
assert cubic_steps > 5

# %% [markdown]
# ## 更新的尺度 {#update-rms}
#
# 正交化之后，m × n 矩阵（秩为 min(m, n)）的元素均方根约为 1/√max(m, n)，与矩阵形状有关。
# Moonlight 把更新乘 0.2·√max(m, n)，均方根约为 0.2，与 AdamW 典型的更新幅度相当，因此可以沿用 AdamW 的学习率和权重衰减；
# KellerJordan/Muon 则乘 √max(1, m/n)。

# %%
for shape in [(256, 256), (128, 512), (1024, 256)]:
    g = rng.standard_normal(shape)
    u = muon_update(g, {}, scale="moonlight")
    Ug, _, Vg = np.linalg.svd(g, full_matrices=False)
    exact_rms = 0.2 * np.sqrt(max(shape)) * np.sqrt(np.mean((Ug @ Vg) ** 2))
    rms = np.sqrt(np.mean(u ** 2))
    print(f"{shape}: RMS with exact UV^T = {exact_rms:.3f}, with 5 Newton-Schulz steps = {rms:.3f}")
    assert abs(exact_rms - 0.2) < 1e-9 and 0.15 < rms < 0.22

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 五次 Newton–Schulz 迭代只改奇异值、不改奇异向量；5 步后相对范数 ≥ 0.01 的奇异值都落在约 0.68–1.13。
# - 与精确的 UVᵀ 相差约 20 %，KellerJordan/Muon 的说明认为这种近似不影响训练效果；它只用矩阵乘法，适合 GPU 上用 bf16 计算。
# - Moonlight 的 0.2·√max(m, n) 让不同形状矩阵的更新均方根都约为 0.2。
