# %% [markdown]
# ---
# description: 在 50 层、宽 512 的全连接网络里对比 LeCun、Xavier、Kaiming 三种方差缩放初始化，验证 ReLU 需要 2/n、sigmoid 的 ×16 规则只在小输入时成立。
# tags:
#   - 初始化
#   - Xavier
#   - Kaiming
#   - 梯度消失
#   - 动手验证
# ---
# # 初始化方差与激活标准差的逐层传播
#
# 对应问题：[权重初始化：Xavier、Kaiming 与 LeCun](stability.md#weight-initialization)、
# [梯度消失怎么办？](stability.md#vanishing-gradients)
#
# ## 实验设置 {#setup}
#
# 全连接网络 $h_l=\phi(W_l h_{l-1})$，50 层，每层宽 512，输入 $h_0\sim\mathcal N(0,I)$，64 个样本。
# 权重 $W_l$ 先统一采样标准高斯矩阵，再按三种规则缩放（同一组随机数，只有方差不同）：
#
# | 规则 | $\operatorname{Var}(W)$ |
# |---|---|
# | LeCun | $1/n_{\text{in}}$ |
# | Xavier | $2/(n_{\text{in}}+n_{\text{out}})$ |
# | Kaiming | $2/n_{\text{in}}$ |
#
# 方形层 $n_{\text{in}}=n_{\text{out}}$ 时 Xavier 与 LeCun 完全相同，图里两条曲线重合。

# %%
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(0)
n, depth, n_samples = 512, 50, 64
base = [rng.standard_normal((n, n)) for _ in range(depth)]   # 公共随机数
x0 = rng.standard_normal((n_samples, n))

acts = {
    "linear": lambda z: z,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}
inits = {"LeCun 1/n": 1.0 / n, "Xavier 2/(n_in+n_out)": 2.0 / (n + n), "Kaiming 2/n": 2.0 / n}


def forward(act, var, x=x0):
    """返回每层输出的标准差，以及各层的预激活（反向传播用）。"""
    h, stds, zs, c = x, [], [], np.sqrt(var)
    for W in base:
        z = (h @ W.T) * c
        h = act(z)
        zs.append(z)
        stds.append(h.std())
    return np.array(stds), zs


runs = {(a, i): forward(f, v) for a, f in acts.items() for i, v in inits.items()}
std = {k: v[0] for k, v in runs.items()}

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
layers = np.arange(1, depth + 1)
for ax, a in zip(axes, acts):
    for i, style in zip(inits, ["-", "--", "-"]):
        ax.semilogy(layers, std[(a, i)], style, label=i)
    ax.set_title(f"activation = {a}")
    ax.set_xlabel("layer")
axes[0].set_ylabel("std of layer output")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 检查 {#checks}
#
# - ReLU 把二阶矩减半，所以只有 Kaiming（$2/n$）能让 50 层后的标准差保持在 1 附近；
# - 方形层上 Xavier/LeCun 对 ReLU 每层把标准差乘 $1/\sqrt2$，50 层后约 $2^{-25}\approx 3\times10^{-8}$；
# - 线性网络用 $1/n$ 恰好保方差，用 $2/n$ 则每层方差翻倍，50 层后标准差约 $2^{25}$；
# - tanh 在 0 附近斜率为 1、远处饱和，用 $1/n$ 时标准差缓慢（约 $1/\sqrt{2l}$）而不是指数地变小。

# %%
s50 = {k: v[-1] for k, v in std.items()}
relu_k, relu_x = s50[("relu", "Kaiming 2/n")], s50[("relu", "Xavier 2/(n_in+n_out)")]
print(f"ReLU + Kaiming std_50 = {relu_k:.3f}")
print(f"ReLU + Xavier  std_50 = {relu_x:.2e}   (2^-25 = {2**-25:.2e})")
print(f"linear + Kaiming std_50 = {s50[('linear', 'Kaiming 2/n')]:.2e}   (2^25 = {2**25:.2e})")
print(f"tanh + LeCun std_50 = {s50[('tanh', 'LeCun 1/n')]:.3f}   (1/sqrt(100) = 0.1)")

assert 0.5 <= relu_k <= 2.0
assert relu_x < 1e-6
assert 0.1 < relu_x / 2 ** -25 < 10                        # 每层恰好乘 1/sqrt(2) 的量级
assert np.allclose(std[("relu", "LeCun 1/n")], std[("relu", "Xavier 2/(n_in+n_out)")])
assert 0.8 < s50[("linear", "LeCun 1/n")] < 1.25           # 线性 + 1/n 保方差
assert s50[("linear", "Kaiming 2/n")] > 1e6                # 线性 + 2/n 爆炸
assert 0.05 < s50[("tanh", "LeCun 1/n")] < 0.2             # tanh：多项式衰减而非指数

# %% [markdown]
# ## 反向：梯度也按同样的倍数缩放 {#backward}
#
# 反向传播 $\delta_{l-1}=W_l^{\top}\big(\phi'(z_l)\odot\delta_l\big)$。对 ReLU，$\phi'$ 以 1/2 的概率为 0，
# 所以每层梯度二阶矩乘 $n\operatorname{Var}(W)/2$：Kaiming 下约为 1，Xavier（方形）下为 1/2。
# 从最后一层注入一个随机上游梯度，看它传回第 1 层时的大小。

# %%
def backward_rms(act_grad, var, zs, seed=1):
    d = np.random.default_rng(seed).standard_normal((n_samples, n))
    rms = []
    for W, z in zip(reversed(base), reversed(zs)):
        d = d * act_grad(z)
        rms.append(np.sqrt(np.mean(d ** 2)))
        d = (d @ W) * np.sqrt(var)
    return np.array(rms[::-1])                      # 索引 l-1 对应第 l 层


relu_grad = lambda z: (z > 0).astype(float)
g_relu = {i: backward_rms(relu_grad, v, runs[("relu", i)][1])
          for i, v in inits.items() if i != "LeCun 1/n"}

# sigmoid：0 点斜率 1/4。按泰勒近似，方差要再乘 16 才能抵消；对比 1/n 与 16/n
sig = lambda z: 1.0 / (1.0 + np.exp(-z))
sig_grad = lambda z: sig(z) * (1.0 - sig(z))
g_sig, zstd_sig = {}, {}
for label, v in {"sigmoid, Var(W)=1/n": 1.0 / n, "sigmoid, Var(W)=16/n": 16.0 / n}.items():
    _, zs = forward(sig, v)
    g_sig[label] = backward_rms(sig_grad, v, zs)
    zstd_sig[label] = np.array([z.std() for z in zs])

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for k, v in {**{f"relu, {k}": v for k, v in g_relu.items()}, **g_sig}.items():
    ax.semilogy(layers, v, label=k)
ax.set_xlabel("layer")
ax.set_ylabel("RMS of dL/dz at layer")
ax.set_title("Backward: gradient RMS per layer (injected at layer 50)")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
ratio = {k: v[0] / v[-1] for k, v in {**g_relu, **g_sig}.items()}
for k, r in ratio.items():
    print(f"{k:28s} grad(layer 1) / grad(layer 50) = {r:.2e}")
print("pre-activation std at layer 50:",
      {k: round(float(v[-1]), 2) for k, v in zstd_sig.items()})

assert 0.1 < ratio["Kaiming 2/n"] < 10
assert ratio["Xavier 2/(n_in+n_out)"] < 1e-5
# ×16 大幅缓解了 sigmoid 网络的梯度衰减，但深层时梯度仍然在消失：
assert ratio["sigmoid, Var(W)=16/n"] > 1e10 * ratio["sigmoid, Var(W)=1/n"]
assert ratio["sigmoid, Var(W)=16/n"] < 1e-5
# 原因之一：sigmoid 输出均值 0.5，不是零中心，16/n 时预激活标准差远大于 1，进入饱和区
assert zstd_sig["sigmoid, Var(W)=16/n"][-1] > 2.0

# %% [markdown]
# ## sigmoid 的 ×16 从哪里来 {#sigmoid-sixteen}
#
# $\sigma(x)\approx \tfrac12+\tfrac14 x$（0 点泰勒展开），所以 $\operatorname{Var}(\sigma(x))\approx\operatorname{Var}(x)/16$。
# 这个近似只在输入很小时成立：输入标准差越大，饱和越明显，比值越小于 1/16。

# %%
stds_in = np.logspace(-2, 1, 40)
z = np.random.default_rng(2).standard_normal(400_000)
ratio_sig = np.array([np.var(sig(s * z)) / s ** 2 for s in stds_in])
ratio_tanh = np.array([np.var(np.tanh(s * z)) / s ** 2 for s in stds_in])

fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.semilogx(stds_in, 16 * ratio_sig, label="16 * Var(sigmoid(x)) / Var(x)   (slope at 0: 1/4)")
ax.semilogx(stds_in, ratio_tanh, label="Var(tanh(x)) / Var(x)   (slope at 0: 1)")
ax.axhline(1.0, color="gray", ls=":", label="linear (Taylor) approximation")
ax.set_xlabel("std of input x")
ax.set_ylabel("variance ratio / slope(0)^2")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %%
r005 = np.var(sig(0.05 * z)) / 0.05 ** 2
r1 = np.var(sig(1.0 * z)) / 1.0
print(f"std 0.05: ratio = {r005:.5f} (1/16 = {1/16:.5f});  std 1: ratio = {r1:.4f}")
assert abs(r005 * 16 - 1) < 0.02
assert r1 < 0.75 / 16                    # 标准差为 1 时已明显偏离 1/16
assert np.all(np.diff(ratio_sig) < 1e-4)  # 随输入标准差单调下降（允许采样噪声）

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 方差缩放的目标是让 $n\operatorname{Var}(W)\cdot(\text{激活对二阶矩的缩放})=1$：线性/tanh 用 $1/n$，ReLU 用 $2/n$。
# - 用错因子时，误差按层数指数累积：ReLU + Xavier（方形层）50 层后标准差约 $2^{-25}$，梯度同样。
# - sigmoid 的 ×16 来自 0 点斜率 1/4，只对小输入近似成立；sigmoid 不是零中心的，×16 会把预激活推进饱和区，深层 sigmoid 网络靠初始化救不回来，这也是深层网络改用 ReLU 类激活 + 归一化 + 残差的原因。
