# %% [markdown]
# ---
# description: 在玩具矩阵问题上验证 rsLoRA 的 α/√r 让更新幅度与秩无关而 α/r 随秩衰减，PiSSA 的残差量化误差小于直接量化权重，DoRA 在初始化时精确复原 W0，以及 GaLore 的更新落在投影子空间里。
# tags:
#   - LoRA
#   - rsLoRA
#   - DoRA
#   - PiSSA
#   - GaLore
#   - 动手验证
# ---
# # LoRA 变体：rsLoRA、PiSSA、DoRA 与 GaLore
#
# 对应问题：[rsLoRA 为什么把 α/r 改成 α/√r？](peft.md#rslora) ·
# [DoRA、PiSSA、LoRA+、AdaLoRA 分别改了什么？](peft.md#dora-pissa) ·
# [GaLore 和 LoRA 有什么区别？](peft.md#galore)
#
# ## rsLoRA：更新幅度与秩 {#rslora-rank}
#
# 线性回归 L = ‖X Wᵀ − Y‖²/(2n)，d = 512，只有 n = 4 个训练样本（宽度远大于数据，和 rsLoRA 分析的无限宽度极限同一个情形）。
# A 高斯、B = 0，用 SGD 训练 A、B。第一步只有 B 动，ΔW₁ = −η s² Gᵀ X AᵀA / n，训练输入上的输出变化约为 η s² r‖G‖：
# s = α/r 时 ∝ 1/r，s = α/√r 时与 r 无关。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.lora_variants import (absmax_quantize, dora_init, dora_weight, galore_adam_step,
                                             galore_projector, lora_scale, lora_sgd_delta, optimizer_state_floats,
                                             pissa_init)

rng = np.random.default_rng(0)
d, n = 512, 4
X = rng.standard_normal((n, d))
W0 = rng.standard_normal((d, d)) / np.sqrt(d)
Y = X @ W0.T + rng.standard_normal((n, d))
residual = np.linalg.norm(Y - X @ W0.T)
ranks = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])


def fitted(r, rslora, steps, lr=1e-3, alpha=4.0, seeds=3):
    """steps 步 SGD 后，训练输入上的输出变化占残差的比例（对 A 的几个随机初始化取平均）。"""
    vals = [np.linalg.norm(X @ lora_sgd_delta(X, Y, W0, int(r), alpha, lr, steps, np.random.default_rng(100 + s),
                                              rslora=rslora).T) / residual for s in range(seeds)]
    return float(np.mean(vals))


one_step = {rs: np.array([fitted(r, rs, 1) for r in ranks]) for rs in (False, True)}
big = ranks >= 8
lora1, rs1 = one_step[False][big], one_step[True][big]
print("one SGD step, output change / residual:")
print("  alpha/r      :", np.round(one_step[False], 5))
print("  alpha/sqrt(r):", np.round(one_step[True], 5))
assert rs1.max() / rs1.min() < 1.3                           # α/√r：与秩无关
slope = np.polyfit(np.log(ranks[big]), np.log(lora1), 1)[0]
assert -1.15 < slope < -0.85                                   # α/r：∝ 1/r
print(f"  log-log slope under alpha/r: {slope:.2f}")

# %% [markdown]
# 秩到底有没有用，要看一个需要高秩的任务：d = 128、n = 512，目标增量 ΔW* 的奇异值按 e^{−i/24} 缓慢衰减（有效秩几十）。
# 用同样的学习率（η = 0.02、α = 8）训练 50 步，看 ‖ΔW − ΔW*‖/‖ΔW*‖ 随秩怎么变：
# α/r 下秩加到 8 以后误差反而回升（更新被 1/r 压扁，50 步内走不动）；α/√r 下秩越大误差越小。

# %%
d3, n3 = 128, 512
X3 = rng.standard_normal((n3, d3))
W03 = rng.standard_normal((d3, d3)) / np.sqrt(d3)
U3, _ = np.linalg.qr(rng.standard_normal((d3, d3)))
V3, _ = np.linalg.qr(rng.standard_normal((d3, d3)))
dW_target = (U3 * (0.5 * np.exp(-np.arange(d3) / 24))) @ V3.T
Y3 = X3 @ (W03 + dW_target).T
ranks3 = np.array([1, 2, 4, 8, 16, 32, 64, 128])
err = {rs: np.array([np.linalg.norm(lora_sgd_delta(X3, Y3, W03, int(r), 8.0, 0.02, 50, np.random.default_rng(1),
                                                      rslora=rs) - dW_target) / np.linalg.norm(dW_target)
                     for r in ranks3]) for rs in (False, True)}
print("relative error after 50 steps:", {"alpha/r": np.round(err[False], 3).tolist(),
                                          "alpha/sqrt(r)": np.round(err[True], 3).tolist()})
assert np.all(np.diff(err[True]) < 0)                          # rsLoRA：秩越大越好
assert err[False][-1] > err[False].min() + 0.01                # LoRA：大秩反而变差
assert err[True][-1] < err[False].min() - 0.1

#| alt: 上下两张图，横轴都是 LoRA 的秩 r（对数坐标）：上图纵轴是第一步 SGD 后训练输入上的输出变化，α/r 的曲线按 1/r 下降、α/√r 的曲线从 r=8 起几乎水平；下图是训练 50 步后与目标增量的相对误差，α/√r 的误差随秩单调下降，α/r 的误差在 r=8 附近最低、之后回升，读者应看出 rsLoRA 让更大的秩真正带来收益
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
axes[0].loglog(ranks, one_step[False], "o-", label="LoRA  s = α/r")
axes[0].loglog(ranks, one_step[True], "s-", label="rsLoRA  s = α/√r")
axes[0].set(ylabel="output change, step 1")
axes[0].legend(loc="lower left")
axes[1].semilogx(ranks3, err[False], "o-", label="LoRA  s = α/r")
axes[1].semilogx(ranks3, err[True], "s-", label="rsLoRA  s = α/√r")
axes[1].set(xlabel="rank r", ylabel="error after 50 steps")
plt.show()

# %% [markdown]
# ## PiSSA：精确拆分与量化误差 {#pissa-quant}
#
# PiSSA 取 W 的前 r 个奇异值/向量做适配器（B = U_r S_r^{1/2}，A = S_r^{1/2} V_rᵀ），剩下的 W_res = W − BA 冻结。
# 起点与 W 精确相等，和 LoRA 一样不改变模型；区别在于可训练的是最主要的那几个方向。
# 量化基座时（QLoRA 与 QPiSSA），QLoRA 量化的是整个 W，初始误差 ‖W − Q(W)‖；QPiSSA 只量化 W_res，
# 大奇异值留在 16 位的 A、B 里，初始误差 ‖W − Q(W_res) − BA‖ 更小。这里用逐块 absmax 4 bit 量化代替 NF4。

# %%
d2 = 256
U, _ = np.linalg.qr(rng.standard_normal((d2, d2)))
V, _ = np.linalg.qr(rng.standard_normal((d2, d2)))
spectra = {"few large singular values": np.r_[[30.0, 20, 15, 10, 8, 6, 5, 4], np.ones(d2 - 8)],
           "flat spectrum (Gaussian W)": None}
r_list = np.array([1, 2, 4, 8, 16, 32, 64])
ratios = {}
for name, S in spectra.items():
    W = (U * S) @ V.T / np.sqrt(d2) if S is not None else rng.standard_normal((d2, d2)) / np.sqrt(d2)
    err_qlora = np.linalg.norm(W - absmax_quantize(W))
    errs = []
    for r in r_list:
        A, B, W_res = pissa_init(W, int(r))
        assert np.allclose(W_res + B @ A, W)                  # 起点精确等于 W
        errs.append(np.linalg.norm(W - (absmax_quantize(W_res) + B @ A)))
    ratios[name] = np.array(errs) / err_qlora
    print(f"{name}: QPiSSA / QLoRA initial error = {np.round(ratios[name], 3)}")
assert np.all(ratios["few large singular values"] < 1) and ratios["few large singular values"][3] < 0.5
assert np.all(ratios["flat spectrum (Gaussian W)"] < 1.0 + 1e-9)
assert ratios["flat spectrum (Gaussian W)"][0] > 0.95        # 谱是平的时候，前几个方向帮不上忙

#| alt: 横轴是 PiSSA 的秩 r（对数坐标），纵轴是 QPiSSA 与 QLoRA 初始量化误差之比：有少数大奇异值的权重在 r=8 时降到约 0.35，奇异值平坦的高斯权重从接近 1 缓慢下降，读者应看出权重的谱越集中，PiSSA 把大奇异值留在高精度里的好处越大
fig, ax = plt.subplots()
for name, style in zip(ratios, ["o-", "s--"]):
    ax.semilogx(r_list, ratios[name], style, label=name)
ax.axhline(1.0, color="gray", lw=1)
ax.set(xlabel="rank r", ylabel="QPiSSA / QLoRA error", ylim=(0, 1.1), title="4-bit quantisation error at init")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## DoRA：初始化时精确复原 W0 {#dora-init}
#
# DoRA 写成 W′ = m · (W0 + sBA)/‖W0 + sBA‖_c，m 初始化为 W0 的列范数、B = 0，于是 W′ = W0。
# 训练后每一列的范数就是 m（幅度），方向由 LoRA 更新；W′ 仍是一个普通矩阵，可以合并。

# %%
W0s = rng.standard_normal((64, 96))
A = rng.standard_normal((8, 96)) / np.sqrt(96)
m = dora_init(W0s)
assert np.allclose(dora_weight(W0s, A, np.zeros((64, 8)), m, lora_scale(16, 8)), W0s, atol=1e-13)
B = rng.standard_normal((64, 8)) * 0.05
m_new = m * 1.1
Wd = dora_weight(W0s, A, B, m_new, lora_scale(16, 8))
assert np.allclose(np.linalg.norm(Wd, axis=0), m_new[0])     # 列范数 = 幅度向量
print("DoRA: exact at init, column norms after update equal m:", True)

# %% [markdown]
# ## GaLore：更新在投影子空间里，换子空间后累计更新可以是满秩 {#galore-subspace}
#
# GaLore 不加适配器，而是把梯度 G 投影到前 r 个左奇异向量张成的子空间（P ∈ R^{m×r}），在 r × n 上跑 Adam，
# 再投影回去更新整个 W。每次更新秩 ≤ r，但每隔 T 步重新做 SVD 换子空间，累计的更新可以超过 r：这就是“全参数学习”。

# %%
mrow, ncol, rr = 32, 48, 4
Wg = np.zeros((mrow, ncol))
total = Wg.copy()
for switch in range(6):
    Gm = rng.standard_normal((mrow, ncol))
    Pm = galore_projector(Gm, rr)
    state = {}
    W_next = galore_adam_step(total, Gm, Pm, state, lr=0.01)
    assert np.linalg.matrix_rank(W_next - total) <= rr
    total = W_next
print("rank of one GaLore update <=", rr, "; rank after 6 subspace switches:", np.linalg.matrix_rank(total))
assert np.linalg.matrix_rank(total) == 6 * rr
m_, n_, r_ = 4096, 11008, 128
full, galore, lora = (optimizer_state_floats(m_, n_, r_, k) if k != "full" else optimizer_state_floats(m_, n_)
                      for k in ("full", "galore", "lora"))
print(f"Adam states for a 4096 x 11008 matrix: full {full / 1e6:.1f}M, GaLore r=128 {galore / 1e6:.1f}M, "
      f"LoRA r=128 {lora / 1e6:.1f}M floats")
assert galore < 0.05 * full

# %% [markdown]
# ## 结论 {#lora-variants-conclusion}
#
# - rsLoRA：在宽度远大于数据的情形下，α/r 让更新幅度 ∝ 1/r，加大秩反而学得更慢；α/√r 让幅度与秩无关。
# - PiSSA：起点与原权重精确相等；量化时只量化残差，谱越集中，初始误差比 QLoRA 小得越多。
# - DoRA：初始化时精确等于 W0，之后列范数（幅度）与方向分开学习，训练后仍可合并。
# - GaLore：单步更新是低秩的，换子空间后累计更新不受秩 r 限制；Adam 状态只有 2rn + mr 个数。
