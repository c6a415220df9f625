# %% [markdown]
# ---
# description: 在 3 个 prompt、每个 6 条回答的离散问题上训练 DPO，验证它收敛到闭式最优解 π* ∝ π_ref exp(r/β)，隐式奖励与真实奖励只差每个 prompt 一个常数，解析梯度等于数值梯度。
# tags:
#   - DPO
#   - 隐式奖励
#   - KL 正则
#   - 动手验证
# ---
# # DPO 收敛到 KL 正则目标的最优策略
#
# 对应问题：[DPO 训练到收敛，得到的就是 KL 正则目标的最优策略吗？](dpo.md#dpo-convergence) ·
# [DPO 的推导](rlhf.md#dpo-derivation)
#
# ## 设定 {#setup}
#
# 3 个 prompt，每个有 6 条候选回答。参考策略 $\pi_{\text{ref}}$、真实奖励 $r(x,y)$ 随机给定，
# 偏好服从 Bradley–Terry：$P(y_i\succ y_j)=\sigma(r_i-r_j)$。偏好对从参考策略采样，
# 取无穷数据的极限：每个 $(i,j)$ 对以权重 $\pi_{\text{ref}}(y_i)\pi_{\text{ref}}(y_j)$ 出现，标签是 BT 概率（软标签）。
# 策略是表格形式 $\pi_\theta=\mathrm{softmax}(\theta)$，从参考策略初始化。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.preference import dpo_tabular, kl_optimal_policy, implicit_reward, log_softmax

rng = np.random.default_rng(0)
P, K, beta = 3, 6, 0.1
logp_ref = log_softmax(rng.normal(0, 1, (P, K)))
reward = rng.normal(0, 1, (P, K)) + np.array([[0.0], [3.0], [-2.0]])   # 每个 prompt 的奖励平移不同
i, j = np.triu_indices(K, 1)
pi_star = kl_optimal_policy(logp_ref, reward, beta)


def pairs(x):
    p = 1 / (1 + np.exp(-(reward[x, i] - reward[x, j])))
    w = np.exp(logp_ref[x, i] + logp_ref[x, j])
    return p, w

# %% [markdown]
# ## 解析梯度等于数值梯度 {#gradient-check}
#
# 每个偏好对的梯度是 $\beta\,(\sigma(h)-p)\,(e_i-e_j)$：$\sigma(h)$ 是隐式奖励给出的偏好概率，$p$ 是数据里的，
# 两者之差就是这个对的“误差”；softmax 的归一化项在 $\log\pi_i-\log\pi_j$ 里消掉了。

# %%
theta = rng.normal(size=K)
p, w = pairs(0)
loss, grad = dpo_tabular(theta, logp_ref[0], i, j, p, beta, w)
eps = 1e-6
num = np.array([(dpo_tabular(theta + eps * e, logp_ref[0], i, j, p, beta, w)[0]
                 - dpo_tabular(theta - eps * e, logp_ref[0], i, j, p, beta, w)[0]) / (2 * eps) for e in np.eye(K)])
print("max |analytic - numeric| =", np.abs(grad - num).max())
assert np.allclose(grad, num, rtol=1e-5, atol=1e-9)

# %% [markdown]
# ## 训练：收敛到 π* {#training}

# %%
steps, lr = 400, 300.0
tv = np.zeros((P, steps + 1))
thetas = logp_ref.copy()
for x in range(P):
    p, w = pairs(x)
    for t in range(steps + 1):
        tv[x, t] = 0.5 * np.abs(np.exp(log_softmax(thetas[x])) - pi_star[x]).sum()
        thetas[x] -= lr * dpo_tabular(thetas[x], logp_ref[x], i, j, p, beta, w)[1]
pi_dpo = np.exp(log_softmax(thetas))
print("TV(pi_ref, pi*) per prompt:", np.round(tv[:, 0], 3), " after DPO:", tv[:, -1])
assert np.all(tv[:, 0] > 0.1) and np.all(tv[:, -1] < 1e-6)
assert np.allclose(pi_dpo, pi_star, atol=1e-6)

# 隐式奖励 β log(π/π_ref) = r - β log Z(x)：与真实奖励只差每个 prompt 一个常数
offset = implicit_reward(np.log(pi_dpo), logp_ref, beta) - reward
logZ = np.log(np.sum(np.exp(logp_ref + reward / beta), axis=1))
print("offset per prompt:", np.round(offset.mean(1), 3), " -beta log Z:", np.round(-beta * logZ, 3))
assert np.all(offset.std(1) < 1e-5)                                 # 同一 prompt 内是常数
assert np.allclose(offset[:, 0], -beta * logZ, atol=1e-5)          # 常数就是 -β log Z(x)
assert np.ptp(offset[:, 0]) > 1.0                                   # 不同 prompt 的常数不同：跨 prompt 不可比

#| alt: 上图是三个 prompt 上 DPO 策略与闭式最优解 π* 的总变差距离随训练步数下降，纵轴对数坐标，从 0.57 到 0.81 降到 1e-10 以下；下图横轴是真实奖励，纵轴是 DPO 学到的隐式奖励，三个 prompt 各成一条斜率为 1 的直线、彼此上下平移，读者应看出隐式奖励只差每个 prompt 一个常数
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
for x in range(P):
    axes[0].semilogy(np.maximum(tv[x], 1e-16), label=f"prompt {x}")
    r_hat = implicit_reward(np.log(pi_dpo[x]), logp_ref[x], beta)
    axes[1].scatter(reward[x], r_hat, s=18, label=f"prompt {x}")
    g = np.linspace(reward[x].min(), reward[x].max(), 2)
    axes[1].plot(g, g + offset[x].mean(), lw=0.8)
axes[0].set_xlabel("DPO step")
axes[0].set_ylabel("TV(pi_theta, pi*)")
axes[0].set_title("DPO converges to pi*")
axes[0].legend()
axes[1].set_xlabel("true reward r(x, y)")
axes[1].set_ylabel("beta log(pi / pi_ref)")
axes[1].set_title("Implicit reward = r + c(x)")
axes[1].legend(loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 偏好服从 BT、数据覆盖所有回答对、策略足够灵活时，DPO 损失的最小点就是 KL 正则目标的闭式最优解 $\pi^*$。
# - DPO 学到的隐式奖励 $\beta\log(\pi_\theta/\pi_{\text{ref}})$ 恰好等于 $r-\beta\log Z(x)$：只能在同一 prompt 内比较，这与 BT 奖励模型的平移不变性是同一件事。
# - 每个偏好对的梯度由“隐式奖励给出的偏好概率 − 数据中的偏好概率”加权；两者相等时梯度为零。
