# %% [markdown]
# ---
# description: 用 QR（带符号修正）生成正交与半正交矩阵，验证正交初始化在 100 层线性网络中严格保持范数、高斯初始化的范数与奇异值随深度发散，以及 ReLU 网络即使用正交初始化也得不到动力学等距。
# tags:
#   - 初始化
#   - 正交初始化
#   - 梯度消失
#   - 动手验证
# ---
# # 正交初始化：深度线性网络的范数保持
#
# 对应问题：[正交初始化是什么？](stability.md#orthogonal-initialization)
#
# ## 实验设置 {#setup}
#
# 宽 64 的深度线性网络 h_L = W_L ⋯ W_1 x。对比两种初始化：
#
# - 正交：`orthogonal`（高斯矩阵做 QR，再按 sign(diag R) 修正列符号）；
# - 高斯：W_ij ~ N(0, 1/n)，即 LeCun/Xavier，它只在**期望**意义下保持范数。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.init import input_output_jacobian, lecun_normal, orthogonal

rng = np.random.default_rng(0)
n, depth, n_runs = 64, 100, 6


def norm_trace(make_w, seed):
    r = np.random.default_rng(seed)
    x = r.standard_normal(n)
    h, out = x.copy(), []
    for _ in range(depth):
        h = make_w(r) @ h
        out.append(np.linalg.norm(h) / np.linalg.norm(x))
    return np.array(out)


orth = [norm_trace(lambda r: orthogonal(n, n, r), s) for s in range(n_runs)]
gauss = [norm_trace(lambda r: lecun_normal(n, n, r), s) for s in range(n_runs)]

# 10 层乘积的奇异值谱
def product(make_w, L=10, seed=123):
    r = np.random.default_rng(seed)
    P = np.eye(n)
    for _ in range(L):
        P = make_w(r) @ P
    return P

sv_orth = np.linalg.svd(product(lambda r: orthogonal(n, n, r)), compute_uv=False)
sv_gauss = np.linalg.svd(product(lambda r: lecun_normal(n, n, r)), compute_uv=False)

#| alt: 上下两个子图：上图是 100 层宽 64 的线性网络中输出范数与输入范数之比（对数纵轴），正交初始化的 6 条曲线都恒等于 1，高斯初始化的 6 条曲线随深度随机游走、相差好几倍；下图是 10 层高斯矩阵乘积的奇异值直方图，横跨十几个数量级，而正交初始化的奇异值全部等于 1
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
layers = np.arange(1, depth + 1)
for k in range(n_runs):
    axes[0].semilogy(layers, gauss[k], color="tab:red", alpha=0.5,
                     label="Gaussian N(0, 1/n)" if k == 0 else None)
    axes[0].semilogy(layers, orth[k], color="tab:blue", lw=2,
                     label="orthogonal (QR)" if k == 0 else None)
axes[0].set_xlabel("depth")
axes[0].set_ylabel("||h_L|| / ||x||")
axes[0].legend(loc="lower left")
bins = np.logspace(-16, 2, 55)
axes[1].hist(sv_gauss, bins=bins, color="tab:red", alpha=0.7, label="Gaussian")
axes[1].axvline(1.0, color="tab:blue", lw=3, label="orthogonal: all = 1")
axes[1].set_xscale("log")
axes[1].set_xticks([1e-15, 1e-10, 1e-5, 1.0])
axes[1].set_xlabel("singular values of W_10 ... W_1")
axes[1].set_ylabel("count")
axes[1].legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 检查 {#checks}

# %%
W = orthogonal(n, n, rng)
assert np.allclose(W.T @ W, np.eye(n), atol=1e-12)
final_orth = np.array([o[-1] for o in orth])
final_gauss = np.array([g[-1] for g in gauss])
print("orthogonal: max |ratio - 1| after 100 layers =", np.abs(final_orth - 1).max())
print("Gaussian  : ratio after 100 layers ranges", final_gauss.min(), "to", final_gauss.max())
print("cond(product of 10): orthogonal %.3g, Gaussian %.3g"
      % (sv_orth[0] / sv_orth[-1], sv_gauss[0] / sv_gauss[-1]))

assert np.all(np.abs(final_orth - 1) < 1e-10)
assert final_gauss.max() / final_gauss.min() > 3       # 不同种子之间差好几倍
assert np.allclose(sv_orth, 1.0)
assert sv_gauss[0] / sv_gauss[-1] > 1e3                # 奇异值谱在乘积中迅速摊开

# %% [markdown]
# ## 半正交：矩形矩阵 {#semi-orthogonal}
#
# 正交初始化不限于等宽层。W 的形状为 m×n：
#
# - m ≥ n（升维）时 WᵀW = I_n，对任意输入严格保范数；
# - m < n（降维）时 WWᵀ = I_m，W 是到 m 维子空间的正交投影，随机输入的平方范数期望缩小为 m/n。

# %%
up, down = orthogonal(128, 256, rng), orthogonal(256, 128, rng)   # (fan_in, fan_out)
xs_up, xs_down = rng.standard_normal((2000, 128)), rng.standard_normal((2000, 256))
r_up = np.linalg.norm(xs_up @ up.T, axis=1) / np.linalg.norm(xs_up, axis=1)
r_down = np.linalg.norm(xs_down @ down.T, axis=1) / np.linalg.norm(xs_down, axis=1)
print("up 128->256: ratio in [%.6f, %.6f]" % (r_up.min(), r_up.max()))
print("down 256->128: mean squared ratio %.3f (m/n = 0.5)" % np.mean(r_down ** 2))
assert np.allclose(up.T @ up, np.eye(128)) and np.allclose(down @ down.T, np.eye(128))
assert np.allclose(r_up, 1.0)
assert abs(np.mean(r_down ** 2) - 0.5) < 0.01

# %% [markdown]
# ## 为什么要做符号修正 {#sign-fix}
#
# `np.linalg.qr`（LAPACK Householder）返回的 R 对角元符号不固定，Q 因此不服从正交群上的均匀分布
# （Haar 测度）：Q₁₁ 的分布明显偏向一侧。把 Q 的每一列乘以 sign(R_jj) 就消除了偏差
# （Mezzadri 2007）。对初始化来说偏差未必致命，但修正几乎零成本。

# %%
T, k = 2000, 8
q_raw = np.array([np.linalg.qr(rng.standard_normal((k, k)))[0][0, 0] for _ in range(T)])
q_fix = np.array([orthogonal(k, k, rng)[0, 0] for _ in range(T)])

#| alt: 随机 8×8 正交矩阵左上角元素 Q[0,0] 的两个直方图：直接用 numpy QR 时分布全部偏向负半轴、均值约 -0.3，按 R 对角元符号修正后分布关于 0 对称、均值约 0
fig, ax = plt.subplots()
edges = np.linspace(-1, 1, 41)
ax.hist(q_raw, bins=edges, alpha=0.6, label=f"raw QR, mean {q_raw.mean():+.2f}")
ax.hist(q_fix, bins=edges, alpha=0.6, label=f"sign-fixed, mean {q_fix.mean():+.2f}")
ax.set_xlabel("Q[0, 0] of a random 8x8 orthogonal Q")
ax.set_ylabel("count")
ax.legend(loc="upper right")
plt.show()

# %%
assert abs(q_fix.mean()) < 0.03
assert abs(q_raw.mean()) > 0.2

# %% [markdown]
# ## 非线性网络：ReLU 得不到动力学等距 {#relu-isometry}
#
# 非线性网络从输入到输出的 Jacobian 是 J = D_L W_L ⋯ D_1 W_1，D_l = diag(φ′(z_l))。
# 即使每个 W_l 都正交，D_l 也会改变奇异值：ReLU 的 D_l 大约一半对角元是 0，J 的秩随深度下降，
# 非零奇异值也会摊开；tanh 在输入较小时 φ′ ≈ 1，J 接近正交矩阵。Pennington et al.（2017）用自由概率
# 算出了整个奇异值分布：ReLU 网络在任何初始化下都得不到动力学等距，sigmoid 类网络只有配合正交初始化才能得到。
# 下面取宽 128、深 32，ReLU 用增益 √2，tanh 用增益 1、输入标准差 0.1。

# %%
w, L_jac = 128, 32
x_in = rng.standard_normal(w)
W_relu = [orthogonal(w, w, rng, gain=np.sqrt(2)) for _ in range(L_jac)]
W_tanh = [orthogonal(w, w, rng) for _ in range(L_jac)]
sv_relu = np.linalg.svd(input_output_jacobian(x_in, W_relu, lambda z: np.maximum(z, 0),
                                              lambda z: (z > 0).astype(float)), compute_uv=False)
sv_tanh = np.linalg.svd(input_output_jacobian(0.1 * x_in, W_tanh, np.tanh,
                                              lambda z: 1 - np.tanh(z) ** 2), compute_uv=False)

#| alt: 宽 128、深 32 的网络在正交初始化下从输入到输出的 Jacobian 的奇异值从大到小排列（对数纵轴）：线性网络全部等于 1，tanh 网络都在 0.4 到 0.9 之间，ReLU 网络最大的约为 7、其后跨越十几个数量级迅速下降，约四分之三小于 1e-3
fig, ax = plt.subplots()
idx = np.arange(1, w + 1)
ax.semilogy(idx, np.ones(w), ":", color="gray", label="linear: all = 1")
ax.semilogy(idx, sv_tanh, label="tanh, small input")
ax.semilogy(idx, np.maximum(sv_relu, 1e-16), label="ReLU, gain sqrt(2)")
ax.set_xlabel("index (largest first)")
ax.set_ylabel("singular value of J")
ax.legend(loc="lower left")
plt.show()

# %%
n_zero = int(np.sum(sv_relu < 1e-3))
print(f"ReLU: mean sv^2 = {np.mean(sv_relu**2):.2f}, max sv = {sv_relu[0]:.1f}, "
      f"{n_zero} of {w} singular values < 1e-3")
print(f"tanh: singular values in [{sv_tanh.min():.2f}, {sv_tanh.max():.2f}]")
assert 0.5 < np.mean(sv_relu ** 2) < 1.5          # 平均意义上不消失也不爆炸（增益 sqrt(2) 的作用）
assert sv_relu[0] > 3 and n_zero > w // 4           # 但奇异值从 0 摊到好几：不是等距
assert sv_tanh.min() > 0.3 and sv_tanh.max() <= 1.0

# %% [markdown]
# ## 结论 {#conclusion}
#
# 正交矩阵的所有奇异值都是 1，所以线性网络里任意深度都严格保范数、反向梯度也一样（动力学等距，
# dynamical isometry）；高斯初始化只在期望上保范数，乘积的奇异值谱随深度指数摊开。非线性网络里再乘以激活的增益
# （ReLU 用 √2），这只能保住奇异值的**均方**：ReLU 网络的 Jacobian 奇异值照样摊开，动力学等距只在接近线性的
# tanh 类网络里配合正交初始化才能得到。
