# %% [markdown]
# ---
# description: 验证 Bradley–Terry 概率等于两类 softmax（1.33 对 -0.02 得 0.794 而非 0.9）且对 prompt 平移不变，以及 DPO 损失下降时 chosen 与 rejected 概率可同时下降。
# tags:
#   - RLHF
#   - 奖励模型
#   - Bradley-Terry
#   - DPO
#   - 动手验证
# ---
# # Bradley–Terry 奖励与 DPO 的训练动态
#
# 对应问题：[奖励模型怎么训练？](rlhf.md#reward-model-bradley-terry) ·
# [DPO 的损失怎么来的？有什么缺点？](rlhf.md#dpo-loss)
#
# ## Bradley–Terry 概率 {#bradley-terry}

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.dpo import bt_prob, reward_model_loss, dpo_loss, dpo_grad_weight

r1, r2 = 1.33, -0.02
p = bt_prob(r1, r2)
softmax = np.exp([r1, r2]) / np.exp([r1, r2]).sum()
print(f"P(y1 > y2) = sigma({r1 - r2:.2f}) = {p:.4f}; softmax = {np.round(softmax, 4)}")
assert np.isclose(p, softmax[0]) and np.isclose(p, 0.7941, atol=1e-4)
assert not np.isclose(p, 0.9, atol=0.05)                 # 直觉上假设的 0.9 与这组数不符

# 每个 prompt 加任意常数，概率与损失都不变 -> 不同 prompt 之间的 reward 绝对值不可比
for c in (-5.0, 0.0, 3.0, 100.0):
    assert np.isclose(bt_prob(r1 + c, r2 + c), p)
# 要得到 0.9，分差需要 log 9
assert np.isclose(bt_prob(np.log(9), 0.0), 0.9)

#| alt: 横轴是同一 prompt 下两条回答的奖励差，纵轴是偏好概率，S 形的 sigmoid 曲线上标出两个点：分差 1.35 对应 0.794，分差 log 9 ≈ 2.20 才对应 0.9，读者应看出偏好概率只取决于分差
d = np.linspace(-6, 6, 400)
fig, ax = plt.subplots()
ax.plot(d, bt_prob(d, 0.0), label="sigma(r_w - r_l)")
ax.scatter([r1 - r2], [p], zorder=3, color="C1")
ax.annotate(f"gap 1.35: {p:.3f}", (r1 - r2, p), textcoords="offset points", xytext=(12, -16))
ax.scatter([np.log(9)], [0.9], zorder=3, color="C2")
ax.annotate("gap 2.20: 0.9", (np.log(9), 0.9), textcoords="offset points", xytext=(-110, 6))
ax.set_xlabel("reward gap r_w - r_l (same prompt)")
ax.set_ylabel("P(y_w preferred)")
ax.set_title("Bradley-Terry preference")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## DPO：损失下降，两条回答的概率却都在降 {#likelihood-displacement}
#
# 玩具策略：在 40 条候选回答上的对数线性模型 $\pi_\theta(y)\propto\exp(\theta^\top\phi(y))$。
# chosen 与 rejected 很相似（特征只差第二维的符号），另有一条两者都不是的回答 $y_{\text{other}}$。
# DPO 的梯度方向是 $\phi(y_w)-\phi(y_l)$，它同时抬高了 $y_{\text{other}}$，概率质量被挪到了那里。

# %%
rng = np.random.default_rng(0)
K = 40
phi = rng.normal(0, 0.3, (K, 2))
phi[0], phi[1], phi[2] = [1.0, 0.1], [1.0, -0.1], [0.0, 1.0]   # y_w, y_l, y_other
theta = np.array([2.0, 0.0])


def log_policy(th):
    z = phi @ th
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


ref = log_policy(theta)                   # 参考模型 = 初始策略
beta, lr, steps = 0.1, 5.0, 300
hist = []
for _ in range(steps + 1):
    lp = log_policy(theta)
    loss, margin = dpo_loss(lp[0], lp[1], ref[0], ref[1], beta)
    hist.append((lp[0], lp[1], np.exp(lp[2]), loss, float(margin)))
    # ∂loss/∂θ = -β σ(-margin) (φ_w - φ_l)：归一化项 E_π[φ] 在两条回答里相消
    theta = theta + lr * beta * dpo_grad_weight(margin) * (phi[0] - phi[1])
hist = np.array(hist)

#| alt: 上下两幅图共用横轴 DPO 训练步数：上图中 chosen 与 rejected 的对数概率都在下降（rejected 降得更快），第三条回答 other 的对数概率在上升；下图中 DPO 损失下降、margin 上升，读者应看出损失变小并不意味着 chosen 的概率变大
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
axes[0].plot(hist[:, 0], label="chosen")
axes[0].plot(hist[:, 1], label="rejected")
axes[0].plot(np.log(hist[:, 2]), label="other")
axes[0].set_ylabel("log pi(y)")
axes[0].set_title("Log-probs of three answers")
axes[0].legend(loc="lower left")
axes[1].plot(hist[:, 3], label="DPO loss")
axes[1].plot(hist[:, 4], label="margin")
axes[1].set_xlabel("DPO step")
axes[1].set_title("Loss falls, margin grows")
axes[1].legend(loc="center left")
plt.show()

assert hist[-1, 3] < hist[0, 3] - 0.1                    # 损失明显下降
assert hist[-1, 0] < hist[0, 0] and hist[-1, 1] < hist[0, 1]   # chosen、rejected 都下降
assert hist[-1, 4] > hist[0, 4]                          # 隐式奖励差在变大
assert hist[-1, 2] > 10 * hist[0, 2]                     # 质量流向了第三条回答
assert np.isclose(hist[0, 3], np.log(2))                 # π_θ = π_ref 时损失为 log 2
print(f"log pi(y_w): {hist[0, 0]:.2f} -> {hist[-1, 0]:.2f}; log pi(y_l): {hist[0, 1]:.2f} -> {hist[-1, 1]:.2f}; "
      f"pi(y_other): {hist[0, 2]:.3f} -> {hist[-1, 2]:.3f}; loss {hist[0, 3]:.3f} -> {hist[-1, 3]:.3f}")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 奖励 1.33 对 -0.02 的偏好概率是 $\sigma(1.35)\approx0.794$；要到 0.9，分差得有 $\log 9\approx2.2$。
# - BT 只认同一 prompt 下的分差，给每个 prompt 加常数不改变任何东西。
# - DPO 的损失只依赖 margin：chosen 和 rejected 相似时，margin 变大可以靠两者一起下降来实现，概率质量流向别的回答。
