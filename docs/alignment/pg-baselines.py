# %% [markdown]
# ---
# description: 在能算出精确梯度的 softmax 玩具策略上，用大量随机种子测量 REINFORCE、RLOO、组均值基线与 GRPO 标准化的偏差与方差：RLOO 无偏，组均值恰好缩小 (G−1)/G，GRPO 按题重新加权。
# tags:
#   - GRPO
#   - RLOO
#   - 策略梯度
#   - 基线
#   - 强化学习
#   - 动手验证
# ---
# # 策略梯度的基线：REINFORCE、RLOO、组均值与 GRPO
#
# 对应问题：[RLOO 的留一基线为什么无偏？GRPO 的组均值有什么问题？](grpo.md#rloo-leave-one-out) ·
# [GRPO 之后有哪些改进？](grpo.md#grpo-variants)
#
# ## 玩具问题 {#pg-setup}
#
# P = 4 道题，每题 K = 6 个候选答案，策略 π(·|q) = softmax(θ_q)，奖励 0/1（第 q 道题有 q+2 个答案是对的）。
# 目标 J = (1/P) Σ_q Σ_a π(a|q) r(q,a) 的梯度有闭式解 ∂J/∂θ_{q,a} = π(a|q)(r(q,a) − Σ_b π(b|q) r(q,b))/P。
# 每道题采 G 个答案，四种估计量只差在优势 A_i：REINFORCE 用 r_i，RLOO 减去其余 G−1 条的平均，
# “组均值”减去含自己在内的组平均，GRPO 再除以组内标准差。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.pg_baselines import exact_gradient, grpo_expected_scale, pg_estimates, softmax

rng = np.random.default_rng(0)
P, K = 4, 6
theta = rng.normal(size=(P, K)) * 0.8
reward = np.zeros((P, K))
for q in range(P):
    reward[q, :q + 2] = 1.0
pi = softmax(theta)
p_correct = (pi * reward).sum(-1)
exact = exact_gradient(theta, reward)
print("per-prompt success probability p_q:", np.round(p_correct, 3))

methods = ["reinforce", "rloo", "mean", "grpo"]
Gs = [2, 4, 8, 16, 32, 64]
n_rep = 4000
mean_est, rel_var = {m: {} for m in methods}, {m: [] for m in methods}
for G in Gs:
    for m in methods:
        est = pg_estimates(theta, reward, G, n_rep, rng, m)
        mu = est.mean(0)
        mean_est[m][G] = (mu, est.std(0) / np.sqrt(n_rep))
        rel_var[m].append(((est - mu) ** 2).sum((1, 2)).mean() / (mu ** 2).sum())

# %% [markdown]
# ## 偏差 {#pg-bias}
#
# 逐元素比较“多次估计的平均”与精确梯度（z 是以标准误为单位的差）：
#
# - RLOO 与 REINFORCE 无偏；
# - 组均值的每条优势恰好是 RLOO 的 (G−1)/G 倍，所以期望梯度是精确梯度乘 (G−1)/G，方向不变；
# - GRPO（0/1 奖励、总体标准差）的期望梯度是每道题的精确梯度乘一个题目相关的系数 c(p_q) = E[√(q̂(1−q̂))]/(p_q(1−p_q))，
#   q̂ 是组内正确率；题内方向不变，题间的相对权重变了，所以总方向偏离精确梯度。

# %%
def zmax(mu, se, ref):
    return float(np.max(np.abs(mu - ref) / (se + 1e-15)))


for G in Gs:
    c = grpo_expected_scale(p_correct, G)[:, None]
    refs = {"reinforce": exact, "rloo": exact, "mean": exact * (G - 1) / G, "grpo": exact * c}
    for m in methods:
        mu, se = mean_est[m][G]
        assert zmax(mu, se, refs[m]) < 5, (G, m)
    mu, se = mean_est["mean"][G]
    if G <= 4:                                              # 小 G 时 (G−1)/G 的缩小明显可测
        assert zmax(mu, se, exact) > 5

cos = {}
for G in Gs:
    c = grpo_expected_scale(p_correct, G)[:, None]
    expected_grpo = exact * c
    cos[G] = float((expected_grpo * exact).sum() / np.linalg.norm(expected_grpo) / np.linalg.norm(exact))
print("GRPO weight c(p_q), G=64:", np.round(grpo_expected_scale(p_correct, 64), 3), " 1/sqrt(p(1-p)):",
      np.round(1 / np.sqrt(p_correct * (1 - p_correct)), 3))
print("cosine(E[GRPO], exact gradient):", {G: round(v, 4) for G, v in cos.items()})
assert np.allclose(grpo_expected_scale(p_correct, 4096), 1 / np.sqrt(p_correct * (1 - p_correct)), rtol=1e-3)
assert cos[64] < 0.999                                       # 方向确实变了
mu64 = mean_est["grpo"][64][0]
assert abs((mu64 * exact).sum() / np.linalg.norm(mu64) / np.linalg.norm(exact) - cos[64]) < 2e-3

# %% [markdown]
# ## 方差随组大小 {#pg-variance}
#
# 用“相对方差” E‖ĝ − E ĝ‖² / ‖E ĝ‖² 比较（把 GRPO 除以标准差带来的整体放大去掉）。G ≥ 8 时四者都约按 1/G 下降；
# G = 2 时留一基线只用另外 1 条样本，本身噪声大，RLOO 的优势还不明显。
# 基线把 REINFORCE 的方差降到约三分之一；组均值与 RLOO 只差常数倍 (G−1)/G，相对方差相同。

# %%
rv = {m: np.array(v) for m, v in rel_var.items()}
big = np.array(Gs) >= 8                                     # G 很小时留一基线本身噪声大，先看 G ≥ 8 的斜率
slope = {m: np.polyfit(np.log(np.array(Gs)[big]), np.log(v[big]), 1)[0] for m, v in rv.items()}
print("log-log slope of relative variance vs G (G >= 8):", {m: round(s, 2) for m, s in slope.items()})
print("relative variance at G = 64:", {m: round(float(v[-1]), 4) for m, v in rv.items()})
assert all(-1.25 < s < -0.9 for s in slope.values())
assert np.all(rv["rloo"][1:] < 0.6 * rv["reinforce"][1:])
assert np.allclose(rv["mean"], rv["rloo"], rtol=0.15)

#| alt: 上图横轴是组大小 G（对数），纵轴是相对方差（对数）：四条线都约按 1/G 下降，REINFORCE 最高，RLOO、组均值和 GRPO 几乎重合在下方；下图横轴是单题正确率 p，纵轴是 GRPO 给这道题的权重系数，G=8 和 G=64 的曲线在 p 接近 0 或 1 时升高，RLOO 是常数 1，读者应看出基线降方差、而 GRPO 的标准化按难度重新加权
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
labels = {"reinforce": "REINFORCE", "rloo": "RLOO", "mean": "group mean", "grpo": "GRPO (mean/std)"}
for m, style in zip(methods, ["o-", "s-", "^--", "d-"]):
    axes[0].loglog(Gs, rv[m], style, label=labels[m], ms=4)
axes[0].set(xlabel="group size G", ylabel="relative variance")
axes[0].legend(loc="upper right")
pp = np.linspace(0.03, 0.97, 200)
for G, ls in [(8, "-"), (64, "--")]:
    axes[1].plot(pp, grpo_expected_scale(pp, G), ls, label=f"GRPO, G={G}")
axes[1].axhline(1.0, color="k", lw=1, label="RLOO")
axes[1].plot(p_correct, grpo_expected_scale(p_correct, 64), "ko", ms=4)
axes[1].set(xlabel="per-prompt success p", ylabel="weight on prompt", ylim=(0, 6))
axes[1].legend(loc="upper center", ncol=3)
plt.show()

# %% [markdown]
# ## 结论 {#pg-conclusion}
#
# - 留一基线与这条样本独立，RLOO 无偏；组均值含自己，恰好把优势缩小 (G−1)/G，期望方向不变，只相当于学习率乘了常数。
# - GRPO 的标准化在 0/1 奖励下不改变题内方向，但给每道题乘 c(p) ≈ 1/√(p(1−p))：几乎全对或全错的题被放大，
#   这正是 Dr. GRPO 指出的难度偏置。
# - 方差都按约 1/G 下降；基线的作用是去掉 E[r]² 那部分方差（奖励整体平移时 REINFORCE 的方差会变大，基线不受影响）。
