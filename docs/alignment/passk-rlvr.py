# %% [markdown]
# ---
# description: 验证 pass@k 的无偏估计 1 − C(n−c,k)/C(n,k) 的期望恰好等于真实 pass@k、朴素估计 1 − (1−p̂)^k 系统性偏低，并在玩具分布上复现“锐化分布提高 pass@1、却降低大 k 的 pass@k”。
# tags:
#   - RLVR
#   - pass@k
#   - 推理模型
#   - 强化学习
#   - 动手验证
# ---
# # pass@k 的估计与“RL 锐化分布”
#
# 对应问题：[RL 真的让模型学会了新的推理能力吗？](reasoning.md#rlvr-passk-debate) ·
# [画 pass@k 曲线时怎么估计 pass@k？](reasoning.md#passk-estimator)
#
# ## 无偏估计 vs 朴素估计 {#passk-bias}
#
# 一道题单次正确率为 p，真实 pass@k = 1 − (1−p)^k。每题采 n 条、c 条正确：
# 无偏估计是 1 − C(n−c,k)/C(n,k)（从 n 条里不放回地抽 k 条至少一条正确的概率），
# 朴素估计先算 p̂ = c/n 再代入 1 − (1−p̂)^k。下面对 c ~ Binomial(n, p) 精确求期望，并用蒙特卡洛复核。

# %%
import math

import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.passk import pass_at_k, pass_at_k_naive, pass_at_k_true, sharpen

rng = np.random.default_rng(0)
n = 16
ks = np.arange(1, n + 1)
cs = np.arange(n + 1)
bias = {}
for p in (0.05, 0.2):
    pmf = np.array([math.comb(n, c) * p ** c * (1 - p) ** (n - c) for c in cs])
    truth = 1 - (1 - p) ** ks
    unb = np.array([np.sum(pmf * pass_at_k(np.full(n + 1, n), cs, int(k))) for k in ks])
    nai = np.array([np.sum(pmf * pass_at_k_naive(np.full(n + 1, n), cs, int(k))) for k in ks])
    assert np.allclose(unb, truth, atol=1e-12)                 # 精确无偏
    assert np.all(nai[1:] < truth[1:]) and abs(nai[0] - truth[0]) < 1e-12
    c_mc = rng.binomial(n, p, size=20_000)                     # 蒙特卡洛复核
    mc = pass_at_k(np.full(c_mc.shape, n), c_mc, 8).mean()
    assert abs(mc - truth[7]) < 4 * np.sqrt(truth[7] * (1 - truth[7]) / 20_000)
    bias[p] = (truth, unb, nai)
    print(f"p={p}: pass@8 true {truth[7]:.3f}, E[unbiased] {unb[7]:.3f}, E[naive] {nai[7]:.3f}")

#| alt: 横轴是 k（1 到 16），纵轴是 pass@k：p=0.05 和 p=0.2 两道题的真实 pass@k 曲线上叠着无偏估计的期望（圆点，完全重合），朴素估计的期望（虚线）在 k>1 时明显低于真实值，读者应看出 n 固定时朴素估计系统性偏低
fig, ax = plt.subplots()
for i, (p, (truth, unb, nai)) in enumerate(bias.items()):
    ax.plot(ks, truth, "-", color=f"C{i}", label=f"true, p={p}")
    ax.plot(ks, unb, "o", color=f"C{i}", ms=4, label="E[unbiased]" if i == 0 else None)
    ax.plot(ks, nai, "--", color=f"C{i}", label="E[naive]" if i == 0 else None)
ax.set(xlabel="k", ylabel="pass@k", title=f"n = {n} samples per problem")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## RL 锐化分布：pass@1 升、pass@256 降 {#sharpening}
#
# 玩具“基座模型”：400 道题，每题 10 个候选答案，答案 0 是正确的。正确答案的 logit 平均高一些（多数题里它是众数），
# 但也有题目里它只是小概率的答案。把每题分布变成 π^β/Σπ^β（β = 4，相当于温度降到 1/4）来模拟
# “RL 把概率集中到已经常见的答案上”：正确答案是众数的题几乎稳拿，正确答案是少数的题几乎再也采不到。
# 曲线用每题 n = 512 条采样和无偏估计画出，与已知 p 时的真实值对照。

# %%
N_prob, K, n_s = 400, 10, 512
logits = rng.normal(size=(N_prob, K))
logits[:, 0] += 1.0
base = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
tuned = sharpen(base, 3.0)
p_base, p_tuned = base[:, 0], tuned[:, 0]
kk = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
true_base, true_tuned = pass_at_k_true(p_base, kk), pass_at_k_true(p_tuned, kk)
est = {}
for name, pv in (("base", p_base), ("RL-sharpened", p_tuned)):
    c = rng.binomial(n_s, pv)
    est[name] = np.array([pass_at_k(np.full(N_prob, n_s), c, int(k)).mean() for k in kk])
assert np.allclose(est["base"], true_base, atol=0.03) and np.allclose(est["RL-sharpened"], true_tuned, atol=0.03)
print("pass@k base  :", np.round(true_base, 3))
print("pass@k tuned :", np.round(true_tuned, 3))
assert true_tuned[0] > true_base[0] + 0.05                    # pass@1 提高
assert true_tuned[-1] < true_base[-1] - 0.05                  # pass@256 降低
cross = kk[np.argmax(true_tuned < true_base)]
diff_sign = np.sign(true_tuned - true_base)
assert np.sum(diff_sign[1:] != diff_sign[:-1]) == 1           # 两条曲线只交叉一次
solved_base, solved_tuned = (p_base > 1e-3).mean(), (p_tuned > 1e-3).mean()
print(f"curves cross near k = {cross}; problems with p > 0.001: base {solved_base:.2f}, tuned {solved_tuned:.2f}")

#| alt: 横轴是 k（对数坐标，1 到 256），纵轴是数据集的 pass@k：锐化后的模型在小 k 处明显高于基座，但随 k 增大很快变平，基座曲线持续上升并在 k 约为 4 时反超，k=256 时基座接近 1、锐化后约 0.88，圆点是用每题 512 条采样和无偏估计得到的值，读者应看出锐化提高了 pass@1 却收窄了大 k 下能解的题
fig, ax = plt.subplots()
ax.plot(kk, true_base, "-", color="C0", label="base")
ax.plot(kk, true_tuned, "-", color="C1", label="RL-sharpened (β = 3)")
ax.plot(kk, est["base"], "o", color="C0", ms=4)
ax.plot(kk, est["RL-sharpened"], "s", color="C1", ms=4)
ax.set_xscale("log", base=2)
ax.set(xlabel="k", ylabel="pass@k", ylim=(0, 1.02))
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 结论 {#passk-conclusion}
#
# - 无偏估计的期望恰好等于真实 pass@k；朴素估计在 k > 1 时系统性偏低，n 越接近 k 偏得越多，所以画大 k 的曲线要用无偏估计、并且 n ≥ k。
# - 只要“训练”只是把概率集中到已有的高概率答案上，pass@1 就会上升，而原来靠小概率才能答对的题会丢失，
#   大 k 的 pass@k 下降、两条曲线交叉。这是 Yue et al.（2025）观察到的现象的最简模型；它不能说明真实的 RL
#   只做了这件事，反方证据见问题页。
