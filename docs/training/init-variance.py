# %% [markdown]
# ---
# description: 在 50 层、宽 512 的全连接网络里对比 LeCun、Xavier、Kaiming 三种方差缩放初始化，验证 ReLU 需要 2/n、均方根按 2^-25 衰减，以及 sigmoid 的 ×16 只在小输入时成立。
# tags:
#   - 初始化
#   - Xavier
#   - Kaiming
#   - 梯度消失
#   - 动手验证
# ---
# # 初始化方差与激活尺度的逐层传播
#
# 对应问题：[权重初始化：Xavier、Kaiming 与 LeCun](stability.md#weight-initialization)、
# [梯度消失怎么办？](stability.md#vanishing-gradients)
#
# ## 实验设置 {#setup}
#
# 全连接网络 h_l = φ(W_l h_(l−1))，50 层，每层宽 512，输入 h_0 ~ N(0, I)，64 个样本。
# 权重 W_l 先统一采样标准高斯矩阵，再按三种规则缩放（同一组随机数，只有方差不同）：
# LeCun 取 `1/n_in`，Xavier 取 `2/(n_in + n_out)`，Kaiming 取 `2/n_in`。
# 方形层 n_in = n_out 时 Xavier 与 LeCun 完全相同，图里两条曲线重合。
# 推导传递的是二阶矩 E[h²]，所以下面逐层记录**均方根**（RMS，√E[h²]），而不是标准差：
# ReLU 的输出均值不为 0，两者相差一个常数因子。

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
    "ReLU": lambda z: np.maximum(z, 0.0),
}
inits = {"LeCun 1/n": 1.0 / n, "Xavier": 2.0 / (n + n), "Kaiming 2/n": 2.0 / n}


def forward(act, var, x=x0):
    """返回每层输出的均方根与标准差，以及各层的预激活（反向传播用）。"""
    h, rms, std, zs, c = x, [], [], [], np.sqrt(var)
    for W in base:
        z = (h @ W.T) * c
        h = act(z)
        zs.append(z)
        rms.append(np.sqrt(np.mean(h ** 2)))
        std.append(h.std())
    return np.array(rms), np.array(std), zs


runs = {(a, i): forward(f, v) for a, f in acts.items() for i, v in inits.items()}
rms = {k: v[0] for k, v in runs.items()}

#| alt: 三个上下排列的子图，分别是线性、tanh、ReLU 激活下 50 层网络每层输出的均方根（对数纵轴）：线性网络用 1/n 保持在 1、用 2/n 指数爆炸；tanh 用 1/n 缓慢变小；ReLU 只有 Kaiming 2/n 保持在 1 附近，LeCun/Xavier 指数衰减到 1e-8 量级
fig, axes = plt.subplots(3, 1, figsize=(4.8, 7.4), sharex=True)
layers = np.arange(1, depth + 1)
for ax, a in zip(axes, acts):
    for i, style in zip(inits, ["-", "--", "-"]):
        ax.semilogy(layers, rms[(a, i)], style, label=i)
    ax.set_title(f"activation: {a}")
    ax.set_ylabel("RMS of h_l")
axes[-1].set_xlabel("layer l")
axes[0].legend()
plt.show()

# %% [markdown]
# ## 检查 {#checks}
#
# - ReLU 把二阶矩减半，Kaiming（2/n）正好补回：预激活方差每层都是 2，输出的二阶矩保持为输入的 1，50 层后 RMS 仍在 1 附近；
# - 方形层上 Xavier/LeCun 对 ReLU 每层把二阶矩减半、RMS 乘 1/√2，50 层后理论值 2⁻²⁵ ≈ 3.0×10⁻⁸。
#   每层“恰好减半”只在期望意义上成立，有限宽度下 50 层的随机偏差会累积，实测值与理论值差十几个百分点；
#   标准差还要再乘 √(1−1/π) ≈ 0.83（半高斯的标准差与均方根之比），所以标准差比 RMS 小；
# - 线性网络用 1/n 恰好保方差，用 2/n 则每层方差翻倍，50 层后 RMS 约 2²⁵ ≈ 3.4×10⁷；
# - tanh 在 0 附近斜率为 1、远处饱和，用 1/n 时 RMS 缓慢（约 1/√(2l)）而不是指数地变小。

# %%
r50 = {k: v[-1] for k, v in rms.items()}
s50 = {k: v[1][-1] for k, v in runs.items()}
relu_k, relu_x = r50[("ReLU", "Kaiming 2/n")], r50[("ReLU", "Xavier")]
print(f"ReLU + Kaiming: RMS_50 = {relu_k:.3f}")
print(f"ReLU + Xavier : RMS_50 = {relu_x:.2e}, std_50 = {s50[('ReLU', 'Xavier')]:.2e}, "
      f"2^-25 = {2**-25:.2e}, measured / theory = {relu_x / 2**-25:.2f}")
print(f"linear + Kaiming: RMS_50 = {r50[('linear', 'Kaiming 2/n')]:.2e}   (2^25 = {2**25:.2e})")
print(f"tanh + LeCun: RMS_50 = {r50[('tanh', 'LeCun 1/n')]:.3f}   (1/sqrt(100) = 0.1);  "
      f"tanh + Kaiming: {r50[('tanh', 'Kaiming 2/n')]:.2f}")

assert 0.7 <= relu_k <= 1.3
assert 0.7 < relu_x / 2 ** -25 < 1.3                       # 每层恰好乘 1/sqrt(2)，只有随机涨落
ratio_std_rms = s50[("ReLU", "Xavier")] / relu_x
assert abs(ratio_std_rms - np.sqrt(1 - 1 / np.pi)) < 0.03   # 标准差 = RMS * sqrt(1 - 1/pi)
assert np.allclose(rms[("ReLU", "LeCun 1/n")], rms[("ReLU", "Xavier")])
assert 0.8 < r50[("linear", "LeCun 1/n")] < 1.25            # 线性 + 1/n 保方差
assert 0.3 < r50[("linear", "Kaiming 2/n")] / 2 ** 25 < 3   # 线性 + 2/n 爆炸，约 2^25
assert 0.05 < r50[("tanh", "LeCun 1/n")] < 0.2              # tanh：多项式衰减而非指数

# %% [markdown]
# ## 反向：梯度也按同样的倍数缩放 {#backward}
#
# 反向传播 $\delta_{l-1}=W_l^{\top}\big(\phi'(z_l)\odot\delta_l\big)$。对 ReLU，φ′ 以 1/2 的概率为 0，
# 所以每层梯度二阶矩乘 n·Var(W)/2：Kaiming 下约为 1，Xavier（方形）下为 1/2。
# 从最后一层注入一个随机上游梯度，看它传回第 1 层时的大小。

# %%
def backward_rms(act_grad, var, zs, seed=1):
    d = np.random.default_rng(seed).standard_normal((n_samples, n))
    out = []
    for W, z in zip(reversed(base), reversed(zs)):
        d = d * act_grad(z)
        out.append(np.sqrt(np.mean(d ** 2)))
        d = (d @ W) * np.sqrt(var)
    return np.array(out[::-1])                      # 索引 l-1 对应第 l 层


relu_grad = lambda z: (z > 0).astype(float)
g_relu = {f"ReLU + {i.split()[0]}": backward_rms(relu_grad, v, runs[("ReLU", i)][2])
          for i, v in inits.items() if i != "LeCun 1/n"}

# sigmoid：0 点斜率 1/4。按泰勒近似，方差要再乘 16 才能抵消；对比 1/n 与 16/n
sig = lambda z: 1.0 / (1.0 + np.exp(-z))
sig_grad = lambda z: sig(z) * (1.0 - sig(z))
g_sig, zstd_sig = {}, {}
for label, v in {"sigmoid, 1/n": 1.0 / n, "sigmoid, 16/n": 16.0 / n}.items():
    zs = forward(sig, v)[2]
    g_sig[label] = backward_rms(sig_grad, v, zs)
    zstd_sig[label] = np.array([z.std() for z in zs])

#| alt: 对数纵轴上四条曲线，表示从第 50 层注入的梯度传回各层时的均方根：ReLU+Kaiming 基本水平，ReLU+Xavier 向第 1 层指数衰减，sigmoid 用 1/n 衰减到 1e-30 量级，用 16/n 也仍衰减约 10 个数量级
fig, ax = plt.subplots()
for k, v in {**g_relu, **g_sig}.items():
    ax.semilogy(layers, v, label=k)
ax.set_xlabel("layer l (gradient injected at 50)")
ax.set_ylabel("RMS of dL/dz_l")
ax.legend(loc="lower right")
plt.show()

# %%
ratio = {k: v[0] / v[-1] for k, v in {**g_relu, **g_sig}.items()}
for k, r in ratio.items():
    print(f"{k:16s} grad(layer 1) / grad(layer 50) = {r:.2e}")
print("pre-activation std at layer 50:",
      {k: round(float(v[-1]), 2) for k, v in zstd_sig.items()})

assert 0.1 < ratio["ReLU + Kaiming"] < 10
assert ratio["ReLU + Xavier"] < 1e-5
# ×16 大幅缓解了 sigmoid 网络的梯度衰减，但深层时梯度仍然在消失：
assert ratio["sigmoid, 16/n"] > 1e10 * ratio["sigmoid, 1/n"]
assert ratio["sigmoid, 16/n"] < 1e-5
# 原因之一：sigmoid 输出均值 0.5，不是零中心，16/n 时预激活标准差远大于 1，进入饱和区
assert zstd_sig["sigmoid, 16/n"][-1] > 2.0

# %% [markdown]
# ## sigmoid 的 ×16 从哪里来 {#sigmoid-sixteen}
#
# $\sigma(x)\approx \tfrac12+\tfrac14 x$（0 点泰勒展开），所以 Var(σ(x)) ≈ Var(x)/16。
# 这个近似只在输入很小时成立：输入标准差越大，饱和越明显，比值越小于 1/16。

# %%
stds_in = np.logspace(-2, 1, 40)
z = np.random.default_rng(2).standard_normal(400_000)
ratio_sig = np.array([np.var(sig(s * z)) / s ** 2 for s in stds_in])
ratio_tanh = np.array([np.var(np.tanh(s * z)) / s ** 2 for s in stds_in])

#| alt: 横轴为输入标准差（对数），纵轴为激活输出方差与输入方差之比再除以 0 点斜率的平方：sigmoid 与 tanh 两条曲线在输入很小时都接近 1（泰勒近似成立），输入标准差超过 0.3 左右后迅速下降
fig, ax = plt.subplots()
ax.semilogx(stds_in, 16 * ratio_sig, label="sigmoid: 16 Var(out)/Var(x)")
ax.semilogx(stds_in, ratio_tanh, label="tanh: Var(out)/Var(x)")
ax.axhline(1.0, color="gray", ls=":", label="Taylor approximation")
ax.set_xlabel("std of input x")
ax.set_ylabel("ratio / slope(0)^2")
ax.legend(loc="lower left")
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
# - 方差缩放的目标是让 n·Var(W)·（激活对二阶矩的缩放）= 1：线性/tanh 用 1/n，ReLU 用 2/n。
# - 用错因子时，误差按层数指数累积：ReLU + Xavier（方形层）50 层后 RMS 约为理论值 2⁻²⁵，梯度同样。
# - sigmoid 的 ×16 来自 0 点斜率 1/4，只对小输入近似成立；sigmoid 不是零中心的，×16 会把预激活推进饱和区，深层 sigmoid 网络靠初始化救不回来，这也是深层网络改用 ReLU 类激活 + 归一化 + 残差的原因。
