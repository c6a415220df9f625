# %% [markdown]
# ---
# description: 画出 ReLU、GELU、SiLU/Swish 的曲线，数值核对 GELU 的 tanh 近似误差、Swish 的极限形式与非单调最小值，以及 SwiGLU 取 8d/3 隐层时参数量与经典 FFN 相同。
# tags:
#   - 激活函数
#   - SwiGLU
#   - GELU
#   - LLaMA
#   - 动手验证
# ---
# # FFN 激活函数：ReLU、GELU、Swish 与 SwiGLU
#
# 对应问题：[ReLU、GELU、Swish、GLU、SwiGLU 有什么区别？](llama.md#activation-functions-swiglu)、
# [为什么 SwiGLU 的隐层宽度是 8d/3？](llama.md#swiglu-hidden-size)、[GELU 的 tanh 近似误差有多大？](llama.md#gelu-tanh-approx)
#
# ## 曲线与数值性质 {#act-nb-curves}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.activations import gelu, gelu_tanh, llama_ffn_hidden, relu, swish

x = np.linspace(-5, 3, 8001)
assert np.max(np.abs(gelu(x) - gelu_tanh(x))) < 1e-3          # tanh 近似足够好
i_g, i_s = np.argmin(gelu(x)), np.argmin(swish(x))
print(f"GELU min {gelu(x)[i_g]:.4f} at x = {x[i_g]:.3f};  SiLU min {swish(x)[i_s]:.4f} at x = {x[i_s]:.3f}")
assert gelu(x)[i_g] < 0 and swish(x)[i_s] < 0                 # 二者都非单调：负半轴有个小“坑”
assert np.allclose(swish(x, beta=0.0), x / 2)                   # β = 0：线性函数 x/2
assert np.max(np.abs(swish(x, beta=100.0) - relu(x))) < 3e-3    # β → ∞：趋于 ReLU

#| alt: ReLU、GELU、SiLU 与 β=4 的 Swish 曲线：三条平滑曲线在负半轴都有一个小凹坑，β 越大越接近 ReLU
fig, ax = plt.subplots()
ax.plot(x, relu(x), label="ReLU")
ax.plot(x, gelu(x), label="GELU")
ax.plot(x, swish(x), label="SiLU (Swish, beta=1)")
ax.plot(x, swish(x, 4.0), ls="--", label="Swish, beta=4")
ax.axhline(0, color="gray", lw=0.5)
ax.set_xlim(-4, 3)
ax.set_ylim(-0.6, 3)
ax.set_xlabel("x")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## SwiGLU 的隐层宽度 {#act-nb-width}
#
# 经典 FFN 两个矩阵 $d\times4d$、$4d\times d$，共 $8d^2$；SwiGLU 有三个矩阵，隐层取 $h$ 时共 $3dh$。
# 令 $3dh=8d^2$ 得 $h=8d/3$；LLaMA 再向上取整到 256 的倍数。

# %%
ds = np.array([4096, 5120, 6656, 8192])
h = np.array([llama_ffn_hidden(int(d)) for d in ds])
print(dict(zip(ds.tolist(), h.tolist())))
assert h.tolist() == [11008, 13824, 17920, 22016]     # LLaMA-1 7B/13B/33B/65B 的 FFN 宽度
assert np.all(np.abs(3 * ds * h / (8 * ds**2) - 1) < 0.02)   # 取整后与 4d 的 ReLU FFN 相差 < 2%

#| alt: 柱状图：LLaMA 四种宽度下 SwiGLU FFN 的每层参数量（取 8d/3 并向上取整到 256）与 4d 的 ReLU FFN（黑点）几乎重合
fig, ax = plt.subplots()
ax.bar([str(d) for d in ds], 3 * ds * h / 1e6, label="SwiGLU, h = 8d/3 rounded up")
ax.plot([str(d) for d in ds], 8 * ds**2 / 1e6, "ko", label="ReLU FFN, h = 4d")
ax.set_xlabel("model width d")
ax.set_ylabel("FFN params per layer (M)")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#act-nb-conclusion}
#
# - GELU 与 SiLU 都是平滑、非单调的 ReLU 变体，负半轴最小值约 −0.17 与 −0.28；
# - Swish 的 β 在 0 与 ∞ 之间插值出线性函数与 ReLU；
# - SwiGLU 多一个矩阵，把隐层从 $4d$ 缩到 $8d/3$ 后参数量与计算量都与经典 FFN 持平。
