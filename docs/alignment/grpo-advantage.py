# %% [markdown]
# ---
# description: 验证 GRPO 组内标准化优势在 0/1 奖励下的闭式解 A_correct = sqrt((1-q)/q)（G=8 时 2.65、1.0、0.38），全对全错时优势为 0，以及 k3 KL 估计无偏且非负。
# tags:
#   - GRPO
#   - 优势函数
#   - KL 散度
#   - k3 估计
#   - 强化学习
#   - 动手验证
# ---
# # GRPO 的组内优势与 k3 KL 估计
#
# 对应问题：[GRPO 是什么？和 PPO 有什么区别？](grpo.md#grpo)
#
# ## 0/1 奖励下的闭式解 {#closed-form}
#
# 一组 $G$ 条回答里有 $k$ 条答对，组内正确率 $q=k/G$。均值为 $q$，总体标准差为 $\sqrt{q(1-q)}$，所以
# 答对的优势 $A_+=\frac{1-q}{\sqrt{q(1-q)}}=\sqrt{\frac{1-q}{q}}$，答错的优势 $A_-=-\sqrt{\frac{q}{1-q}}$。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.grpo import group_advantages, k3_kl

G = 8
rows = []
for k in range(0, G + 1):
    r = np.array([[1.0] * k + [0.0] * (G - k)])
    A = group_advantages(r)[0]
    A1 = group_advantages(r, ddof=1)[0]
    rows.append((k, A[0] if k > 0 else np.nan, A[-1] if k < G else np.nan, A1[0] if k > 0 else np.nan))
    if 0 < k < G:
        q = k / G
        assert np.isclose(A.mean(), 0, atol=1e-9) and np.isclose(A.std(), 1, atol=1e-5)
        assert np.isclose(A[0], np.sqrt((1 - q) / q), rtol=1e-5)
        assert np.isclose(A[-1], -np.sqrt(q / (1 - q)), rtol=1e-5)
    else:
        assert np.all(A == 0)                       # 全错或全对：优势全为 0，这组不产生梯度
for k, ap, am, ap1 in rows:
    print(f"k={k}: A_correct={ap:.4f}  A_wrong={am:.4f}  (torch-style ddof=1: {ap1:.4f})")

vals = {k: rows[k][1] for k in (1, 4, 7)}
assert np.allclose([vals[1], vals[4], vals[7]], [np.sqrt(7), 1.0, np.sqrt(1 / 7)], rtol=1e-5)
assert np.allclose([vals[1], vals[4], vals[7]], [2.65, 1.00, 0.38], atol=0.005)

# %%
q = np.linspace(0.02, 0.98, 300)
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.plot(q, np.sqrt((1 - q) / q), label="correct answer: sqrt((1-q)/q)")
ax.plot(q, -np.sqrt(q / (1 - q)), label="wrong answer: -sqrt(q/(1-q))")
ks = np.arange(1, G)
ax.scatter(ks / G, [rows[k][1] for k in ks], zorder=3, label=f"G={G}, population std")
ax.scatter(ks / G, [rows[k][3] for k in ks], marker="x", zorder=3, label=f"G={G}, unbiased std (torch default)")
ax.scatter(ks / G, [rows[k][2] for k in ks], zorder=3, color="C1")
ax.axhline(0, color="gray", lw=0.8)
ax.set_xlabel("group accuracy q = k / G")
ax.set_ylabel("advantage")
ax.set_title("GRPO advantages with 0/1 rewards")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 每道题的“总梯度权重” {#difficulty-weight}
#
# 一道题所有回答的优势绝对值之和，只减均值时是 $\sum_i|r_i-q|=2Gq(1-q)$，再除以标准差后变成 $2G\sqrt{q(1-q)}$。
# 后者在 $q$ 接近 0 或 1 时衰减得慢，相当于把极易、极难的题相对放大，这就是 Dr. GRPO 所说的“题目难度偏置”。

# %%
w_norm = [np.abs(group_advantages(np.array([[1.0] * k + [0.0] * (G - k)]))[0]).sum() for k in ks]
w_raw = [np.abs(group_advantages(np.array([[1.0] * k + [0.0] * (G - k)]), scale=False)[0]).sum() for k in ks]
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(ks / G, np.array(w_raw) / max(w_raw), marker="o", label="mean-only (Dr. GRPO)")
ax.plot(ks / G, np.array(w_norm) / max(w_norm), marker="s", label="mean and std (GRPO)")
ax.set_xlabel("group accuracy q")
ax.set_ylabel("sum |A_i| (normalised to max)")
ax.set_title("Per-question weight: std normalisation up-weights very easy / very hard questions")
ax.legend(fontsize=8)
plt.show()
ratio_norm = w_norm[0] / w_norm[3]
ratio_raw = w_raw[0] / w_raw[3]
assert np.isclose(ratio_raw, 7 / 16) and np.isclose(ratio_norm, np.sqrt(7 / 16))
assert ratio_norm > ratio_raw                     # std 归一化让 q=1/8 的题相对 q=1/2 的题更重
print(f"weight of q=1/8 relative to q=1/2: mean-only {ratio_raw:.2f}, GRPO {ratio_norm:.2f}")

# %% [markdown]
# ## k3 KL 估计 {#k3-estimator}
#
# GRPO 把 $\mathbb{D}_{\mathrm{KL}}[\pi_\theta\|\pi_{\mathrm{ref}}]$ 逐 token 写成 $\rho-\log\rho-1$，$\rho=\pi_{\mathrm{ref}}/\pi_\theta$。
# 在 $y\sim\pi_\theta$ 下 $\mathbb{E}[\rho]=1$，所以它与朴素估计 $-\log\rho$ 期望相同（无偏），但恒非负、方差更小。

# %%
rng = np.random.default_rng(0)
V = 50
logits = rng.normal(size=V)
p = np.exp(logits) / np.exp(logits).sum()
shifts = np.linspace(0, 1.5, 7)
exact, m1, m3, s1, s3 = [], [], [], [], []
for sh in shifts:
    lr = logits + sh * rng.normal(size=V)
    p_ref = np.exp(lr) / np.exp(lr).sum()
    y = rng.choice(V, size=20000, p=p)
    k1 = np.log(p[y]) - np.log(p_ref[y])
    k3 = k3_kl(np.log(p[y]), np.log(p_ref[y]))
    exact.append(np.sum(p * np.log(p / p_ref)))
    m1.append(k1.mean()); m3.append(k3.mean()); s1.append(k1.std()); s3.append(k3.std())
    assert np.all(k3 >= 0)
exact, m1, m3 = map(np.array, (exact, m1, m3))
assert np.allclose(m3, exact, atol=0.02 + 0.05 * exact)
assert np.allclose(m1, exact, atol=0.02 + 0.05 * exact)
close = (shifts > 0) & (shifts <= 0.5)
assert all(a < b for a, b, c in zip(s3, s1, close) if c)   # 两个分布接近时 k3 方差更小
print("std k1:", np.round(s1, 3), "\nstd k3:", np.round(s3, 3))

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(exact, exact, color="gray", lw=1, label="exact KL")
ax.errorbar(exact, m1, yerr=s1, fmt="o", capsize=3, label="k1 = log(pi/pi_ref): mean +- std")
ax.errorbar(exact * 1.02, m3, yerr=s3, fmt="s", capsize=3, label="k3 = rho - log rho - 1: mean +- std")
ax.set_xlabel("exact KL(pi_theta || pi_ref)")
ax.set_ylabel("per-token estimate")
ax.set_title("Both estimators are unbiased; k3 is non-negative with lower variance")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 0/1 奖励、$G=8$：答对的优势在 $k=1,4,7$ 时为 2.65、1.00、0.38；用无偏标准差（PyTorch 默认）再乘 $\sqrt{7/8}$。
# - 全对或全错的组优势全为 0，不贡献梯度（DAPO 的动态采样就是把这些组滤掉）。
# - k3 估计无偏、非负，且在两个分布接近时方差比朴素的 $\log(\pi_\theta/\pi_{\mathrm{ref}})$ 小。
