# %% [markdown]
# ---
# description: 验证 Pascanu 条件只是单向的（循环矩阵谱半径为 2 的 tanh RNN 在饱和时梯度照样消失），以及 GPT-2 把残差分支输出投影按 1/√(2L) 缩放后，初始化时残差流新增的方差与层数无关。
# tags:
#   - 初始化
#   - 梯度爆炸
#   - Transformer
#   - 动手验证
# ---
# # RNN 的谱半径与 Transformer 残差分支的初始化缩放
#
# 对应问题：[梯度爆炸怎么处理？](stability.md#gradient-explosion)、
# [Transformer（GPT-2）怎么初始化？](stability.md#transformer-init)

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.normalization.norms import layer_norm
from snippets.training.init import orthogonal, residual_proj_std

# %% [markdown]
# ## RNN：谱半径大于 1 也可能梯度消失 {#rnn-spectral-radius}
#
# Pascanu et al.（2013）的条件是单向的：循环矩阵 $W$ 的最大奇异值 $\lambda_1<1/\gamma$（$\gamma$ 是 $|\phi'|$ 的上界，tanh 为 1）
# 足以让梯度消失；$\lambda_1>1/\gamma$ 只是梯度爆炸的**必要**条件。下面 $W=2Q$（$Q$ 正交，谱半径与最大奇异值都是 2），
# 但如果输入把 tanh 推进饱和区，$\operatorname{diag}(\phi')$ 很小，40 步后的 $\|\partial h_{40}/\partial h_0\|_2$ 照样消失。

# %%
def rnn_jacobian_norm(W, bias, T=40):
    h, J = np.zeros(W.shape[0]), np.eye(W.shape[0])
    for _ in range(T):
        h = np.tanh(W @ h + bias)
        J = (1 - h ** 2)[:, None] * (W @ J)
    return np.linalg.norm(J, 2)


r_rnn = np.random.default_rng(3)
m = 64
W_rnn = 2.0 * orthogonal(m, m, r_rnn)
rho = np.max(np.abs(np.linalg.eigvals(W_rnn)))
b = r_rnn.standard_normal(m)
norm_free = rnn_jacobian_norm(W_rnn, 0.0 * b)
norm_saturated = rnn_jacobian_norm(W_rnn, 6.0 * b)
norm_contractive = rnn_jacobian_norm(0.5 * orthogonal(m, m, r_rnn), 0.0 * b)
print(f"spectral radius {rho:.2f}: ||dh_40/dh_0|| = {norm_free:.2e} (no input), "
      f"{norm_saturated:.2e} (input std 6, tanh saturated)")
print(f"lambda_1 = 0.5 < 1/gamma = 1: ||dh_40/dh_0|| = {norm_contractive:.2e}")
assert np.isclose(rho, 2.0)
assert norm_free > 1.0 and norm_saturated < 1e-6
assert norm_contractive <= 0.5 ** 40 * 1.0001               # 上界 lambda_1^T，必然消失

# %% [markdown]
# ## Transformer：残差支路按 $1/\sqrt{2L}$ 缩放 {#residual-scaling}
#
# Pre-LN 的残差流 $x_{l+1}=x_l+F_l(\mathrm{LN}(x_l))$ 每个 block 加两次（注意力与 MLP），$L$ 层共 $2L$ 次。
# 取最简单的线性子层 $F(u)=W u$，$W_{ij}\sim\mathcal N(0,s^2)$，$d=256$：$\mathrm{LN}(x)$ 的均方为 1，每次加进去的方差约 $d\,s^2$，
# 各次近似独立，方差相加。GPT-2 把输出投影的标准差从 0.02 缩小为 $0.02/\sqrt{2L}$，初始化时新增的总方差就不再随层数增长。

# %%
d_model = 256
depths = np.array([1, 2, 4, 8, 16, 32, 48])
r_res = np.random.default_rng(4)


def added_variance(L, std):
    x = r_res.standard_normal((32, d_model))
    x_start = x.copy()
    for _ in range(2 * L):
        x = x + layer_norm(x, eps=0.0) @ (r_res.standard_normal((d_model, d_model)) * std).T
    return (x - x_start).var()


plain = np.array([added_variance(L, 0.02) for L in depths])
scaled = np.array([added_variance(L, residual_proj_std(int(L))) for L in depths])

#| alt: 对数坐标下横轴为层数 L、纵轴为初始化时残差流新增的方差：所有输出投影都用标准差 0.02 时新增方差随 L 线性增长（48 层约 10），按 0.02/√(2L) 缩放后保持在约 0.1 不变
fig, ax = plt.subplots()
ax.loglog(depths, plain, "o-", label="std 0.02")
ax.loglog(depths, scaled, "s-", label="std 0.02 / sqrt(2L)")
ax.loglog(depths, 2 * depths * d_model * 0.02 ** 2, ":", color="gray", label="2L d (0.02)^2")
ax.set_xticks(depths, [str(L) for L in depths], minor=False)
ax.xaxis.set_minor_locator(plt.NullLocator())
ax.set_xlabel("number of layers L")
ax.set_ylabel("variance added to the stream")
ax.legend()
plt.show()

# %%
print("added variance, std 0.02       :", np.round(plain, 3))
print("added variance, 0.02/sqrt(2L)  :", np.round(scaled, 3), f"(d * 0.02^2 = {d_model * 0.02**2:.3f})")
assert np.allclose(plain, 2 * depths * d_model * 0.02 ** 2, rtol=0.15)
assert np.allclose(scaled, d_model * 0.02 ** 2, rtol=0.15)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 谱半径大于 1 不保证梯度爆炸：tanh 饱和时梯度照样消失；最大奇异值小于 1 则必然消失。
# - 残差网络里，初始化要控制的是 $2L$ 个残差分支贡献的总方差：输出投影按 $1/\sqrt{2L}$ 缩放后它与深度无关。
