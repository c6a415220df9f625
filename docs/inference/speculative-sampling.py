# %% [markdown]
# ---
# description: 用统计检验验证投机解码的接受拒绝采样输出的正是目标分布 p（草稿 q ≠ p），整轮算法保持马尔可夫目标的联合分布，每轮产出 token 数与 (1−α^{γ+1})/(1−α) 一致，并画出不同接受率与耗时比下加速比随草稿长度的变化。
# tags:
#   - 投机解码
#   - speculative decoding
#   - 推理加速
#   - 动手验证
# ---
# # 投机解码：分布不变与期望加速比
#
# 对应问题：[投机解码为什么不改变输出分布？能加速多少？](serving.md#speculative-decoding)
#
# ## 一个位置的接受拒绝 {#one-position}
#
# 目标分布 p 与草稿分布 q 在 8 个 token 上差别很大（总变差 0.45）。按算法：x ~ q，以 min(1, p(x)/q(x)) 接受，
# 否则从 norm(max(0, p − q)) 重采样。抽 20 万次，与 p 做卡方检验；作为对照，
# "拒绝后直接从 p 重采样"的错误做法会得到 min(p, q) + (1 − α)p，明显偏离 p。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.speculative import (
    acceptance_rate, expected_speedup, expected_tokens_per_round, speculative_generate,
    speculative_round, speculative_sample_many,
)

rng = np.random.default_rng(0)
p = np.array([0.30, 0.22, 0.15, 0.12, 0.08, 0.06, 0.04, 0.03])
q = np.array([0.05, 0.10, 0.30, 0.05, 0.25, 0.05, 0.10, 0.10])
alpha = acceptance_rate(p, q)
print(f"alpha = sum min(p, q) = {alpha:.3f}, TV(p, q) = {1 - alpha:.3f}")

N = 200_000
x, accepted = speculative_sample_many(p, q, N, rng)
freq = np.bincount(x, minlength=p.size) / N
chi2 = N * np.sum((freq - p) ** 2 / p)
CHI2_CRIT_DF7_P001 = 24.32          # 卡方分布 7 个自由度、显著性 0.001 的临界值
tv = 0.5 * np.abs(freq - p).sum()
print(f"chi-square = {chi2:.1f} (critical {CHI2_CRIT_DF7_P001}), TV(empirical, p) = {tv:.4f}")
assert chi2 < CHI2_CRIT_DF7_P001 and tv < 0.01
assert abs(accepted.mean() - alpha) < 0.005

wrong = np.minimum(p, q) + (1 - alpha) * p            # 拒绝后从 p 重采样：分布被拉向 q
assert 0.5 * np.abs(wrong - p).sum() > 0.1

#| alt: 分组柱状图，横轴是 8 个 token，每组三根柱：目标分布 p、草稿分布 q、投机采样 20 万次的经验频率；经验频率与 p 几乎重合而与 q 相差很大，黑色点标出拒绝后错误地从 p 重采样时得到的分布，明显偏向 q
fig, ax = plt.subplots()
idx = np.arange(p.size)
ax.bar(idx - 0.27, p, 0.27, label="target p")
ax.bar(idx, q, 0.27, label="draft q")
ax.bar(idx + 0.27, freq, 0.27, label="speculative (empirical)")
ax.plot(idx, wrong, "k.", markersize=9, label="wrong: resample from p")
ax.set_xlabel("token")
ax.set_ylabel("probability")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 整轮算法：马尔可夫目标的联合分布 {#markov-rounds}
#
# 目标和草稿都是 3 个 token 上的一阶马尔可夫链（转移矩阵不同）。每轮草稿连续提出 γ = 3 个 token，
# 目标模型对 4 个位置打分，从左到右接受拒绝。生成的前两个 token 的联合频率应当等于 p(x₁ | x₀) p(x₂ | x₁)，同样用卡方检验。

# %%
P = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])     # 目标的转移矩阵
Q = np.array([[0.2, 0.3, 0.5], [0.5, 0.2, 0.3], [0.1, 0.6, 0.3]])     # 草稿的转移矩阵
target = lambda prefix: P[prefix[-1]]
draft = lambda prefix: Q[prefix[-1]]
runs = 5000
joint = np.zeros((3, 3))
for _ in range(runs):
    toks, _ = speculative_generate(target, draft, (0,), 2, 3, rng)
    joint[toks[0], toks[1]] += 1
exact = P[0][:, None] * P
tv_joint = 0.5 * np.abs(joint / runs - exact).sum()
chi2_joint = runs * np.sum((joint / runs - exact) ** 2 / exact)
CHI2_CRIT_DF8_P001 = 26.12          # 9 个格子、8 个自由度
print(f"chi-square = {chi2_joint:.1f} (critical {CHI2_CRIT_DF8_P001}), TV = {tv_joint:.4f} over {runs} runs")
assert chi2_joint < CHI2_CRIT_DF8_P001 and runs * exact.min() > 5

# %% [markdown]
# ## 每轮产出的 token 数 {#tokens-per-round}
#
# 上下文无关的 p、q 下每个草稿 token 以同一概率 α 被接受，一轮产出 k + 1 个 token 的概率是
# αᵏ(1 − α)（k < γ）或 α^γ（全部接受再加一个），期望为 (1 − α^{γ+1})/(1 − α)。

# %%
gammas = np.arange(1, 7)
measured, sem = [], []
for g in gammas:
    sizes = np.array([len(speculative_round(lambda _: p, lambda _: q, (), int(g), rng)) for _ in range(3000)])
    measured.append(sizes.mean())
    sem.append(sizes.std() / np.sqrt(sizes.size))
measured, sem = np.array(measured), np.array(sem)
formula = np.array([expected_tokens_per_round(alpha, int(g)) for g in gammas])
assert np.all(np.abs(measured - formula) < 4 * sem)
print("gamma:", gammas, "\nmeasured:", np.round(measured, 3), "\nformula: ", np.round(formula, 3))

#| alt: 横轴是草稿长度 γ（1 到 6），纵轴是每轮产出的 token 数：圆点是 3000 轮模拟的平均值（带误差棒），折线是公式 (1−α^{γ+1})/(1−α)，α 约 0.55，两者重合，且随 γ 增大趋于 1/(1−α)≈2.2
fig, ax = plt.subplots()
ax.plot(gammas, formula, "-", label="(1 - a^(g+1)) / (1 - a)")
ax.errorbar(gammas, measured, yerr=2 * sem, fmt="o", label="simulated (3000 rounds)")
ax.axhline(1 / (1 - alpha), color="gray", ls=":", label="limit 1 / (1 - a)")
ax.set_xlabel("draft length gamma")
ax.set_ylabel("tokens per target forward")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 加速比随草稿长度的变化 {#speedup-vs-gamma}
#
# 一轮的耗时按目标模型一次前向计为 γc + 1（c 是草稿一次前向的相对耗时），加速比 = 期望 token 数 / (γc + 1)。
# 接受率越高，最优 γ 越大；接受率低、草稿又不够便宜时，加速比可以小于 1。

# %%
alphas = [0.6, 0.8, 0.9]
cs = [0.05, 0.25]
gs = np.arange(1, 13)
best_gamma = {}
#| alt: 上下两张图，横轴都是草稿长度 γ（1 到 12），纵轴是加速比：上图耗时比 c=0.05，α=0.9 的加速比一路升到 γ=12 时约 4.7，α=0.8 在 γ=8 附近达到约 3.1，α=0.6 在 γ=4 达到约 1.9；下图 c=0.25，各曲线都更低、峰值出现在更小的 γ（α=0.6 时 γ=2、约 1.3），α=0.6 的曲线在 γ 较大时跌到 1 以下
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True, layout="constrained")
for ax, c in zip(axes, cs):
    for a in alphas:
        s = np.array([expected_speedup(a, int(g), c) for g in gs])
        best_gamma[(a, c)] = int(gs[np.argmax(s)])
        ax.plot(gs, s, "o-", markersize=4, label=f"alpha = {a}")
    ax.axhline(1, color="gray", ls=":")
    ax.set_title(f"cost ratio c = {c}")
    ax.set_ylabel("speedup")
axes[0].legend(loc="lower right")
axes[1].set_xlabel("draft length gamma")
plt.show()

print("best gamma:", best_gamma)
assert best_gamma[(0.6, 0.05)] <= best_gamma[(0.8, 0.05)] <= best_gamma[(0.9, 0.05)]
assert best_gamma[(0.9, 0.25)] <= best_gamma[(0.9, 0.05)]
assert expected_speedup(0.6, 8, 0.25) < 1

# %% [markdown]
# ## DeepSeek-V3 的 MTP 用于投机解码 {#mtp-back-of-envelope}
#
# DeepSeek-V3 的 MTP 模块只多预测 1 个 token（γ = 1），技术报告给出第二个 token 的接受率 85%–90%、
# 解码速度（TPS）为 1.8 倍。γ = 1 时每轮期望产出 1 + α = 1.85–1.90 个 token；若加速比是 1.8，
# 反推的额外开销 c = (1 + α)/1.8 − 1 只有 3%–6%，MTP 模块相对整个模型确实很便宜。

# %%
for a in (0.85, 0.90):
    e = expected_tokens_per_round(a, 1)
    c_implied = e / 1.8 - 1
    print(f"alpha = {a}: tokens per round {e:.2f}, implied overhead c = {c_implied:.3f}")
    assert np.isclose(e, 1 + a) and 0 < c_implied < 0.1

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 草稿 q 与 p 差很多（α = 0.55）时，接受拒绝的输出仍通过了卡方检验；拒绝后从 p 而不是残差重采样就会偏向 q。
# - 整轮算法（草稿 3 个、验证 4 个位置）生成的前两个 token 的联合分布与目标马尔可夫链一致。
# - 每轮 token 数与 (1 − α^{γ+1})/(1 − α) 在 4 个标准误内吻合；α 越大，最优 γ 越大；α 低、c 大时加速比小于 1。
