# %% [markdown]
# ---
# description: 在玩具回归任务上对比 LoRA 的几种初始化：A、B 全零时梯度恰为 0 永不更新；B=0、A 高斯时初始输出等于基座且只有 B 先动；两者都高斯则一开始就偏离基座。
# tags:
#   - LoRA
#   - PEFT
#   - 微调
#   - 初始化
#   - 动手验证
# ---
# # LoRA 的初始化：为什么 B=0、A 高斯
#
# 对应问题：[LoRA 的 A、B 为什么一个零一个高斯？](finetuning.md#lora-init)
#
# ## 实验设置 {#setup}
#
# 冻结的“预训练”权重 $W_0\in\mathbb R^{32\times32}$，目标是 $W_0+\Delta W^\star$（$\Delta W^\star$ 秩为 4）。
# 只训练 LoRA 旁路：$H=XW_0^{\top}+\frac{\alpha}{r}XA^{\top}B^{\top}$，$r=4,\ \alpha=8$，全批量梯度下降，
# 梯度用 `lora_grads` 的解析式。四种初始化：
#
# | 记号 | A | B | 初始 $\Delta W$ |
# |---|---|---|---|
# | `B_zero`（LoRA 默认） | 高斯 | 0 | 0 |
# | `A_zero` | 0 | 高斯 | 0 |
# | `both_zero` | 0 | 0 | 0 |
# | `both_gauss` | 高斯 | 高斯 | $\ne0$ |

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.lora import lora_forward, lora_grads, lora_init

rng = np.random.default_rng(0)
d_in = d_out = 32
r, alpha, n, lr, steps = 4, 8.0, 256, 0.1, 400
X = rng.standard_normal((n, d_in))
W0 = rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)
dW_star = 0.3 * rng.standard_normal((d_out, r)) @ rng.standard_normal((r, d_in)) / np.sqrt(d_in * r)
Y = X @ (W0 + dW_star).T
H_base = X @ W0.T


def loss_and_grad(A, B):
    R = lora_forward(X, W0, A, B, alpha) - Y
    loss = 0.5 * np.mean(np.sum(R ** 2, axis=1))
    dA, dB = lora_grads(X, A, B, alpha, R / n)
    return loss, dA, dB


runs = {}
for mode in ["B_zero", "A_zero", "both_zero", "both_gauss"]:
    A, B = lora_init(d_in, d_out, r, np.random.default_rng(1), mode)
    rec = {"H0": lora_forward(X, W0, A, B, alpha), "loss": [], "gA": [], "gB": []}
    for t in range(steps):
        loss, dA, dB = loss_and_grad(A, B)
        rec["loss"].append(loss)
        rec["gA"].append(np.linalg.norm(dA))
        rec["gB"].append(np.linalg.norm(dB))
        A, B = A - lr * dA, B - lr * dB
    runs[mode] = {k: np.array(v) if k != "H0" else v for k, v in rec.items()}

#| alt: 上下两幅图：上图是四种初始化的训练 loss（对数纵轴），both_zero 是一条水平线不下降，B_zero 和 A_zero 从基座的 loss 开始下降，both_gauss 起点高得多；下图是 B_zero 前 20 步的梯度范数，dL/dA 在第 0 步为 0、随后变大，dL/dB 一开始就非零，both_zero 的梯度始终为 0，读者应看出全零初始化是驻点
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
for mode, rec in runs.items():
    axes[0].semilogy(rec["loss"], label=mode)
axes[0].set_xlabel("step")
axes[0].set_ylabel("training loss")
axes[0].set_title("Loss under four LoRA inits")
axes[0].legend(loc="lower left")
t = np.arange(20)
axes[1].plot(t, runs["B_zero"]["gA"][:20], "o-", label="B_zero: |dL/dA|")
axes[1].plot(t, runs["B_zero"]["gB"][:20], "s-", label="B_zero: |dL/dB|")
axes[1].plot(t, runs["both_zero"]["gA"][:20] + runs["both_zero"]["gB"][:20], "k--",
             label="both_zero: both")
axes[1].set_xlabel("step")
axes[1].set_ylabel("gradient norm")
axes[1].set_title("First 20 steps")
axes[1].legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 检查 {#checks}

# %%
bz, az, zz, gg = (runs[m] for m in ["B_zero", "A_zero", "both_zero", "both_gauss"])
for m, rec in runs.items():
    dev = np.linalg.norm(rec["H0"] - H_base) / np.linalg.norm(H_base)
    print(f"{m:10s} initial loss {rec['loss'][0]:.4f}  final {rec['loss'][-1]:.2e}  "
          f"||H0 - H_base|| / ||H_base|| = {dev:.3f}")

# A = B = 0：鞍点/驻点，梯度恰为 0，永远不动
assert zz["gA"][0] == 0.0 and zz["gB"][0] == 0.0
assert np.all(zz["loss"] == zz["loss"][0])
# B = 0, A 高斯：初始输出与基座完全相同；第 0 步只有 B 有梯度，之后 A 才开始动
assert np.array_equal(bz["H0"], H_base)
assert bz["gA"][0] == 0.0 and bz["gB"][0] > 0.0 and bz["gA"][1] > 0.0
assert bz["loss"][-1] < 1e-3 * bz["loss"][0]
# A = 0, B 高斯：同样保持初始输出，也能学（哪个置零是约定）
assert np.array_equal(az["H0"], H_base) and az["loss"][-1] < 1e-3 * az["loss"][0]
# 两者都高斯：一开始就偏离基座，初始 loss 明显高于基座
assert not np.allclose(gg["H0"], H_base)
assert gg["loss"][0] > 2 * bz["loss"][0]

# %% [markdown]
# ## 结论 {#conclusion}
#
# - $A=B=0$ 的问题不是“梯度消失”或“神经元对称”，而是 $\partial L/\partial B=s\,G^{\top}XA^{\top}$ 与
#   $\partial L/\partial A=s\,B^{\top}G^{\top}X$ 都恰好为 0：这是一个驻点，梯度下降永远不会离开。
# - 只把 B 置零：$\Delta W=0$，微调从预训练模型本身出发；$A\ne0$ 使 B 在第一步就有梯度，B 一旦非零 A 也开始更新。
# - 两者都高斯：在这个凸的玩具问题上也能收敛，但起点已偏离基座（初始 loss 高得多）。在真实大模型上，
#   这相当于一开始就往每层注入随机扰动、破坏预训练能力，这才是它的主要代价。
