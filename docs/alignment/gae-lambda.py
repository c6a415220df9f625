# %% [markdown]
# ---
# description: 验证 GAE 的逆序递推等于 n 步优势的 λ 加权和（λ=0 为 TD 误差、λ=1 为蒙特卡洛），并在已知真值的链式环境里量出偏差随 λ 下降、方差随 λ 上升。
# tags:
#   - GAE
#   - PPO
#   - 强化学习
#   - 动手验证
# ---
# # GAE：λ 加权与偏差–方差折中
#
# 对应问题：[GAE 和 λ-return 是什么关系？γ、λ 各起什么作用？](rlhf.md#gae-lambda-return)
#
# ## 递推等于显式加权 {#recursion-vs-sum}
#
# 对一条随机回合，分别用逆序递推 $\hat A_t=\delta_t+\gamma\lambda\hat A_{t+1}$ 和显式公式
# $\hat A_t=(1-\lambda)\sum_{n\ge1}\lambda^{n-1}\hat A_t^{(n)}$（回合结束后的权重全部给蒙特卡洛优势）计算，两者应逐位相等。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.ppo import gae, n_step_advantages, lambda_weighted_advantage

rng = np.random.default_rng(0)
T = 12
r, v = rng.normal(size=T), np.append(rng.normal(size=T), 0.0)    # 最后一项是终止状态的价值 0
for gamma, lam in ((1.0, 0.95), (0.95, 0.5), (0.99, 0.0), (0.9, 1.0)):
    assert np.allclose(gae(r, v, gamma, lam), lambda_weighted_advantage(r, v, gamma, lam))
A = n_step_advantages(r, v, 0.95)
assert np.allclose(gae(r, v, 0.95, 0.0), A[:, 0])                # λ = 0：一步 TD 误差 δ_t
assert np.allclose(gae(r, v, 0.95, 1.0), A[np.arange(T), T - 1 - np.arange(T)])  # λ = 1：回报减 V
print("recursion == weighted sum for all (gamma, lambda) pairs")
# RLHF 常用的 λ = 0.95、γ = 1：第 l 个 TD 误差的权重 0.95^l，100 个 token 后约 0.006，有效视野 1/(1-γλ) = 20
assert np.isclose(0.95 ** 100, 0.0059, atol=1e-4) and np.isclose(1 / (1 - 0.95), 20.0)

# %% [markdown]
# ## 一个已知真值的链式环境 {#chain-mdp}
#
# 7 个状态排成一条链，从中间出发，策略每步以 1/2 的概率向左或向右；走出右端得奖励 1，走出左端得 0，
# 每步奖励另加标准差 0.3 的噪声，$\gamma=0.95$。真值 $V^\pi$ 解一个线性方程组即得，
# $Q(s,a)=\bar r(s,a)+\gamma V^\pi(s')$。critic 故意不准：$\hat V=V^\pi+\varepsilon(s)$，$\varepsilon(s)\sim\mathcal N(0,0.6^2)$。
#
# 对第一步的动作，策略梯度真正需要的是 $Q(s_0,a_0)-\hat V(s_0)$（减去只依赖状态的基线不改变梯度的期望），
# 于是把 $\hat A_0$ 的误差定义为 $\hat A_0-\big(Q(s_0,a_0)-\hat V(s_0)\big)$，在 4000 条回合上统计偏差与方差。

# %%
N, s0, gamma, noise = 7, 3, 0.95, 0.3
P, b = np.zeros((N, N)), np.zeros(N)
for s in range(N):
    for step in (1, -1):
        s2 = s + step
        if s2 == N:
            b[s] += 0.5 * 1.0
        elif s2 >= 0:
            P[s, s2] += 0.5 * gamma
V = np.linalg.solve(np.eye(N) - P, b)                                # V = b + P V


def q_value(s, step):
    s2 = s + step
    return (1.0 if s2 == N else 0.0) + (gamma * V[s2] if 0 <= s2 < N else 0.0)


V_hat = V + rng.normal(0, 0.6, N)
lams = np.linspace(0, 1, 11)
M = 4000
err = np.zeros((len(lams), M))
first = np.zeros(M, dtype=int)
for m in range(M):
    s, states, rewards = s0, [], []
    while 0 <= s < N:
        step = 1 if rng.random() < 0.5 else -1
        if not states:
            first[m] = step                                          # 第一步的动作 a_0
        states.append(s)
        rewards.append((1.0 if s + step == N else 0.0) + rng.normal(0, noise))
        s += step
    values = np.append(V_hat[states], 0.0)
    target = q_value(s0, first[m]) - V_hat[s0]
    for k, lam in enumerate(lams):
        err[k, m] = gae(np.array(rewards), values, gamma, lam)[0] - target

bias2 = sum(0.5 * err[:, first == a].mean(1) ** 2 for a in (1, -1))
var = sum(0.5 * err[:, first == a].var(1) for a in (1, -1))
mse = bias2 + var
for lam, b2, vv in zip(lams, bias2, var):
    print(f"lambda={lam:.1f}  bias^2={b2:.4f}  variance={vv:.4f}  mse={b2 + vv:.4f}")

# λ = 0 的偏差有解析式：E[r + γ V̂(s') - V̂(s0)] - (Q - V̂(s0)) = γ ε(s')
for a in (1, -1):
    sel = first == a
    exact = gamma * (V_hat[s0 + a] - V[s0 + a])
    assert abs(err[0, sel].mean() - exact) < 4 * err[0, sel].std() / np.sqrt(sel.sum())
    assert abs(err[-1, sel].mean()) < 4 * err[-1, sel].std() / np.sqrt(sel.sum())   # λ = 1 无偏
assert bias2[0] > 20 * bias2[-1]
assert np.all(np.diff(var) > 0)                                      # 方差随 λ 单调上升
assert var[-1] > 5 * var[0]
assert 0 < np.argmin(mse) < len(lams) - 1                            # 最优 λ 在区间内部
print(f"best lambda = {lams[np.argmin(mse)]:.1f}")

#| alt: 上图是 GAE 给第 n 步优势的权重 (1-λ)λ^(n-1)，λ=0.5 时权重集中在前几步，λ=0.95 时拖得很长；下图横轴 λ 从 0 到 1，偏差平方从约 0.12 降到 0，方差从约 0.09 升到 0.72，两者之和在 λ=0.3 左右最小，读者应看出 λ 在偏差与方差之间折中
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
n = np.arange(1, 31)
for lam in (0.5, 0.9, 0.95):
    axes[0].plot(n, (1 - lam) * lam ** (n - 1), marker="o", ms=3, label=f"lambda={lam}")
axes[0].set_xlabel("n (steps before bootstrapping)")
axes[0].set_ylabel("weight")
axes[0].set_title("GAE weight on the n-step advantage")
axes[0].legend()
axes[1].plot(lams, bias2, marker="o", label="bias^2")
axes[1].plot(lams, var, marker="s", label="variance")
axes[1].plot(lams, mse, marker="^", label="bias^2 + var")
axes[1].set_yscale("log")
axes[1].set_xlabel("lambda")
axes[1].set_title("Advantage error vs lambda")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 逆序递推和“n 步优势按 $(1-\lambda)\lambda^{n-1}$ 加权”是同一个量，$\lambda=0$ 是一步 TD 误差，$\lambda=1$ 是回报减 $\hat V$。
# - critic 不准时，$\lambda$ 越小越依赖 $\hat V$，偏差越大（$\lambda=0$ 时恰为 $\gamma\varepsilon(s')$）；$\lambda$ 越大越依赖采样到的整条回报，方差越大。
# - 在这个环境里最优的 $\lambda$ 约为 0.3；critic 越准、奖励噪声越大，最优 $\lambda$ 越小。
