# %% [markdown]
# ---
# description: 用 numpy 从两两比较拟合 Bradley–Terry 评分（牛顿法求最大似然），恢复预设的模型强度并给出 bootstrap 置信区间；偏爱第一位的裁判在位置分配不均时扭曲排名，两种顺序各评一次取平均或把位置作为协变量即可消除；在线 Elo 的结果随对局顺序变化，BT 的最大似然不变。
# tags:
#   - 评测指标
#   - Chatbot Arena
#   - Elo
#   - Bradley-Terry
#   - LLM-as-a-judge
#   - 动手验证
# ---
# # 竞技场评分：Bradley–Terry、位置偏差与在线 Elo
#
# 对应问题：[Chatbot Arena 的 Elo 是怎么算的？](llm-eval.md#arena-elo-bradley-terry) ·
# [为什么不用在线 Elo？](llm-eval.md#online-elo-vs-bt) ·
# [位置偏差怎么测、怎么消？](llm-eval.md#judge-position-bias)
#
# 记号：模型 i 的强度 $\theta_i$（自然对数尺度），一局对战中第一位的模型胜出的概率 $\sigma(\theta_i-\theta_j+b)$，
# b 是裁判对第一个位置的偏好（b = 0 表示无偏）。Elo 分 $R = 1000 + \theta\cdot 400/\ln 10$。
#
# ## 从两两比较恢复强度 {#recover-strengths}

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.metrics.llm_eval import (bootstrap_bt, fit_bradley_terry, kendall_tau, online_elo, swap_debias,
                                       to_elo_scale)

rng = np.random.default_rng(0)
theta = np.array([-1.2, -0.6, -0.3, 0.0, 0.2, 0.5, 0.9, 1.4])
theta -= theta.mean()
M = len(theta)


def random_pairs(n, rng):
    i = rng.integers(0, M, n)
    j = (i + rng.integers(1, M, n)) % M          # j != i
    return np.stack([i, j], axis=1)


def judge(pairs, b, rng):
    """第一列的模型排在第一位；返回“第一位胜”的 0/1 结果。"""
    p = 1 / (1 + np.exp(-(theta[pairs[:, 0]] - theta[pairs[:, 1]] + b)))
    return (rng.random(len(pairs)) < p).astype(float)


pairs = random_pairs(6000, rng)
y = judge(pairs, 0.0, rng)
est, _ = fit_bradley_terry(pairs, y, M)
lo, hi, _ = bootstrap_bt(pairs, y, M, 100, rng)
print("tau =", kendall_tau(est, theta), "| max |est - true| =", np.abs(est - theta).max().round(3))
print("95% CI width (Elo points):", np.round((hi - lo) * 400 / np.log(10)))
assert kendall_tau(est, theta) > 0.9 and np.abs(est - theta).max() < 0.15
assert np.mean((lo <= theta) & (theta <= hi)) >= 0.75     # 8 个区间里大多数覆盖真值

# %%
#| alt: 横轴是 8 个模型的真实 Elo 分，纵轴是从 6000 局两两比较拟合出的 Elo 分和 95% bootstrap 置信区间：点几乎落在对角线上，区间宽约几十分；读者应看出 BT 最大似然能恢复预设强度，且相邻模型的区间可能重叠
fig, ax = plt.subplots()
tr, es = to_elo_scale(theta), to_elo_scale(est)
ax.errorbar(tr, es, yerr=[es - to_elo_scale(lo), to_elo_scale(hi) - es], fmt="o", capsize=3, label="BT fit, 95% CI")
ax.plot([tr.min(), tr.max()], [tr.min(), tr.max()], "--", color="gray", label="y = x")
ax.set(xlabel="true Elo", ylabel="fitted Elo", title="Bradley-Terry recovers strengths")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 位置偏差扭曲排名 {#position-bias}
#
# 裁判偏爱第一位（b = 1.0，相当于给第一位加了 174 Elo 分）。如果位置随机分配，偏差对每个模型的影响相同，排名不变；
# 但评测脚本常把“新模型”固定放在第一位与老模型比。这里让编号大的模型总在第一位，而真实强度里有几个老模型更强（把 θ 打乱），
# 直接拟合就会系统性抬高新模型。两种修正：
# 1. 每一对按两种顺序各评一次，用 `swap_debias` 合成一个结果（两次矛盾记平局），位置效应被抵消；
# 2. 把“谁在第一位”作为协变量和强度一起拟合（与竞技场 style control 同一个思路），同时估计出 b。

# %%
theta_shuffled = rng.permutation(theta)           # 新老模型的强度与编号无关
theta_backup, theta = theta, theta_shuffled
raw = random_pairs(8000, rng)
first = np.where(raw[:, 0] > raw[:, 1], raw[:, 0], raw[:, 1])      # 编号大的（新模型）在第一位
second = np.where(raw[:, 0] > raw[:, 1], raw[:, 1], raw[:, 0])
pairs_ab = np.stack([first, second], 1)

b = 1.0
y_ab = judge(pairs_ab, b, rng)                    # 新模型在第一位
y_ba = judge(pairs_ab[:, ::-1], b, rng)           # 交换顺序再评一次
naive, _ = fit_bradley_terry(pairs_ab, y_ab, M)
swapped, _ = fit_bradley_terry(pairs_ab, swap_debias(y_ab, y_ba), M)
both = np.vstack([pairs_ab, pairs_ab[:, ::-1]])
adj, beta = fit_bradley_terry(both, np.r_[y_ab, y_ba], M, covariates=np.ones(len(both)))

taus = {name: kendall_tau(v, theta) for name, v in [("naive", naive), ("swapped", swapped), ("covariate", adj)]}
print({k: round(v, 3) for k, v in taus.items()}, "| estimated position effect b =", beta.round(3))
print("naive error vs model index:", np.round(naive - theta, 2))
assert taus["naive"] < 0.8 and taus["swapped"] == 1.0 and taus["covariate"] == 1.0
assert abs(beta[0] - b) < 0.1 and np.abs(adj - theta).max() < 0.15
assert np.corrcoef(np.arange(M), naive - theta)[0, 1] > 0.9          # 偏差正比于“坐第一位的频率”
assert np.ptp(swapped) < np.ptp(theta)            # 平均后的概率被压缩，刻度变小但顺序正确

# %%
#| alt: 横轴是模型编号 0 到 7（编号越大越常坐第一位），纵轴是 Elo 分：真实值、直接拟合、交换顺序平均、位置协变量四组点；直接拟合的点随编号增大越来越高于真实值，另外两种修正与真实排名一致；读者应看出位置偏差只有在位置分配不均时才改变排名，而交换顺序能消除它
fig, ax = plt.subplots(figsize=(4.8, 4.0))
x = np.arange(M)
ax.plot(x, to_elo_scale(theta), "k*", ms=9, label="true")
ax.plot(x - 0.15, to_elo_scale(naive), "o", label="judged once (biased)")
ax.plot(x, to_elo_scale(swapped), "s", label="both orders, averaged")
ax.plot(x + 0.15, to_elo_scale(adj), "^", label="position as covariate")
ax.set(xlabel="model index (higher = shown first)", ylabel="Elo", title="Position bias b = 1.0")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
plt.show()
theta = theta_backup

# %% [markdown]
# ## 在线 Elo 依赖顺序 {#online-elo-order}
#
# 在线 Elo 每局按 $R_i \mathrel{+}= K(y-E)$ 更新，最近的对局权重大；同一批对局换一个顺序，分数就不同。
# BT 的最大似然只依赖对局的集合，与顺序无关。用第一节的 6000 局（无偏裁判），打乱顺序 30 次。

# %%
orders = [rng.permutation(len(y)) for _ in range(30)]
elo4 = np.array([online_elo(pairs[o], y[o], M, k=4) for o in orders])
elo32 = np.array([online_elo(pairs[o], y[o], M, k=32) for o in orders])
bt_runs = np.array([to_elo_scale(fit_bradley_terry(pairs[o], y[o], M)[0]) for o in orders[:5]])
print("std of each model's rating across orders, K=4 :", elo4.std(0).round(1))
print("std of each model's rating across orders, K=32:", elo32.std(0).round(1))
assert np.allclose(bt_runs, bt_runs[0])           # 最大似然与顺序无关
assert elo32.std(0).mean() > 2 * elo4.std(0).mean() > 0
rank_flips = np.mean([kendall_tau(e, theta) < 1 for e in elo32])
print(f"orderings where K=32 online Elo mis-ranks at least one pair: {rank_flips:.0%}")
assert rank_flips > 0.5 and kendall_tau(bt_runs[0], theta) == 1.0

# %%
#| alt: 横轴是模型的真实 Elo 分，纵轴是在线 Elo 分：K=32 时 30 种对局顺序得到的分数在每个模型上下散开几十分，K=4 时散得少得多，BT 最大似然对所有顺序是同一组点；读者应看出在线 Elo 的结果取决于对局顺序和 K，最大似然不取决于
fig, ax = plt.subplots()
tr = to_elo_scale(theta)
for e, label, c in [(elo32, "online Elo, K=32", "C1"), (elo4, "online Elo, K=4", "C0")]:
    ax.plot(np.repeat(tr[None], len(e), 0).ravel(), (e - e.mean(1, keepdims=True) + 1000).ravel(),
            ".", color=c, alpha=0.4, label=label)
ax.plot(tr, bt_runs[0] - bt_runs[0].mean() + 1000, "k_", ms=16, mew=2, label="BT MLE (any order)")
ax.set(xlabel="true Elo", ylabel="rating (centred at 1000)", title="30 orderings of the same games")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - BT 最大似然就是一个逻辑回归，6000 局就能把 8 个模型排对，bootstrap 给出每个分数的不确定性（这里的区间宽几十 Elo 分）。
# - 裁判的位置偏好在位置随机分配时只是噪声；当某些模型总坐第一位时，它直接变成这些模型的分数。交换顺序各评一次、或把位置作为协变量拟合，都能恢复真实排名，后者还能估计出偏差的大小。
# - 在线 Elo 的结果依赖对局顺序和 K，K 越大越不稳定；同一批数据的 BT 最大似然唯一。
