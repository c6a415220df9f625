# %% [markdown]
# ---
# description: 用模拟与闭式解验证 Best-of-N 在不完美验证器下的准确率会饱和在验证器的精确率、低于 oracle 的 pass@N，以及多数投票准确率随 N 的变化与二项式公式一致。
# tags:
#   - 推理模型
#   - test-time scaling
#   - Best-of-N
#   - 多数投票
#   - 动手验证
# ---
# # Best-of-N 与多数投票：准确率随 N 怎么变
#
# 对应问题：[Best-of-N 和多数投票的准确率随 N 怎么变？](reasoning.md#best-of-n-vs-majority)
#
# ## 模型 {#bon-setup}
#
# 一道题，每条采样独立地以概率 p 答对。验证器对答对的采样以概率 tpr 判“通过”，对答错的以概率 fpr 判“通过”。
# Best-of-N 在通过的采样里随机选一条，一条都没通过就在全部 N 条里随机选。
# 记 q = p·tpr + (1−p)·fpr 为单条通过的概率，闭式解是
# acc(N) = [1 − (1−q)^N]·p·tpr/q + (1−q)^N·p·(1−tpr)/(1−q)。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.test_time import (best_of_n_accuracy, majority_vote_accuracy, majority_vote_binomial,
                                          oracle_pass_at_n, simulate_best_of_n, simulate_majority_vote)

rng = np.random.default_rng(0)
p = 0.2
verifiers = {"strong verifier (tpr 0.9, fpr 0.05)": (0.9, 0.05), "weak verifier (tpr 0.8, fpr 0.2)": (0.8, 0.2)}
Ns = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
trials = 20_000
results = {}
for name, (tpr, fpr) in verifiers.items():
    exact = np.array([best_of_n_accuracy(p, n, tpr, fpr) for n in Ns])
    sim = np.array([simulate_best_of_n(p, n, tpr, fpr, trials, rng) for n in Ns])
    se = np.sqrt(exact * (1 - exact) / trials)
    assert np.all(np.abs(sim - exact) < 4 * se)                  # 模拟与闭式解一致
    precision = p * tpr / (p * tpr + (1 - p) * fpr)
    assert abs(exact[-1] - precision) < 1e-6                    # N 大时饱和在验证器的精确率
    assert np.all(np.diff(exact) >= 0)
    results[name] = (exact, sim, precision)
    print(f"{name}: acc(N=1..256) = {np.round(exact, 3)}, limit = precision = {precision:.3f}")

oracle = np.array([oracle_pass_at_n(p, n) for n in Ns])
for exact, _, precision in results.values():
    assert np.all(exact[1:] < oracle[1:]) and precision < 1    # 始终低于 oracle 的 pass@N
print("oracle pass@N:", np.round(oracle, 3))

# %% [markdown]
# ## Best-of-N 的曲线 {#bon-curve}
#
# oracle（完美验证器）的准确率就是 pass@N = 1 − (1−p)^N，随 N 趋于 1；不完美的验证器只能趋于它的精确率 p·tpr/q。
# p = 0.2 时，强验证器的上限约 0.82，弱验证器只有 0.5：N 再大也没用，瓶颈在验证器。

# %%
#| alt: 横轴是采样数 N（对数坐标），纵轴是准确率：oracle 的 pass@N 曲线一路升到接近 1，强验证器和弱验证器的 Best-of-N 曲线分别在约 0.82 和 0.5 处变平，虚线标出各自的精确率上限，圆点是模拟值落在曲线上，读者应看出不完美验证器让 Best-of-N 饱和在 oracle 之下
fig, ax = plt.subplots()
ax.plot(Ns, oracle, "k-", label="oracle = pass@N")
for i, (name, (exact, sim, precision)) in enumerate(results.items()):
    ax.plot(Ns, exact, "-", color=f"C{i}", label=name.split(" (")[0])
    ax.plot(Ns, sim, "o", color=f"C{i}", ms=4)
    ax.axhline(precision, color=f"C{i}", ls=":", lw=1)
ax.set_xscale("log", base=2)
ax.set(xlabel="samples N", ylabel="accuracy", ylim=(0, 1.02), title="Best-of-N, p = 0.2")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 多数投票与二项式公式 {#majority-binomial}
#
# 只有一个错误答案时，多数投票的准确率就是二项分布的尾概率（偶数 N 平票时各一半）。
# p > 1/2 时随 N 趋于 1，p < 1/2 时趋于 0。有 m 个错误答案、错误票均匀分散时，正确答案只要是众数就行：
# p = 0.35、m = 4（每个错误答案 0.1625）时投票越多越准，虽然 p < 1/2。

# %%
Nv = np.arange(1, 42, 2)
cases = {"p=0.6, 1 wrong answer": (0.6, 1), "p=0.45, 1 wrong answer": (0.45, 1), "p=0.35, 4 wrong answers": (0.35, 4)}
curves = {}
for name, (pc, m) in cases.items():
    exact = np.array([majority_vote_accuracy(pc, n, m) for n in Nv])
    if m == 1:
        assert np.allclose(exact, [majority_vote_binomial(pc, n) for n in Nv], atol=1e-12)
    sim = np.array([simulate_majority_vote(pc, n, m, 20_000, rng) for n in Nv[::4]])
    se = np.sqrt(exact[::4] * (1 - exact[::4]) / 20_000)
    assert np.all(np.abs(sim - exact[::4]) < 4 * se + 1e-12)
    curves[name] = (exact, sim)
assert curves["p=0.6, 1 wrong answer"][0][-1] > 0.88
assert curves["p=0.45, 1 wrong answer"][0][-1] < 0.3 and np.all(np.diff(curves["p=0.45, 1 wrong answer"][0]) < 0)
assert curves["p=0.35, 4 wrong answers"][0][-1] > 0.85
print({k: np.round(v[0][[0, 5, -1]], 3).tolist() for k, v in curves.items()})

# %%
#| alt: 横轴是投票数 N，纵轴是多数投票的准确率：p=0.6 的曲线升向 1，p=0.45 且只有一个错误答案的曲线降向 0，p=0.35 但错误票分散在 4 个答案上的曲线升到约 0.88，圆点是模拟值，读者应看出多数投票只在正确答案是众数时才随 N 变好
fig, ax = plt.subplots()
for i, (name, (exact, sim)) in enumerate(curves.items()):
    ax.plot(Nv, exact, "-", color=f"C{i}", label=name)
    ax.plot(Nv[::4], sim, "o", color=f"C{i}", ms=4)
ax.set(xlabel="votes N", ylabel="accuracy", ylim=(0, 1.02), title="Majority voting")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 结论 {#bon-conclusion}
#
# - 不完美验证器下，Best-of-N 的准确率单调上升但饱和在精确率 p·tpr/(p·tpr + (1−p)·fpr)，始终低于 oracle 的 pass@N；
#   p 越小（题越难），同样的误判率 fpr 让上限降得越多。
# - 多数投票不需要验证器，但只有正确答案是众数时才随 N 变好；一个“热门的错误答案”会让它随 N 越来越差。
