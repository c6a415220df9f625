# %% [markdown]
# ---
# description: 验证 GRPO 组内标准化优势在 0/1 奖励下的闭式解（G=8 时 2.65、1.0、0.38）、除以标准差带来的难度偏置、k1/k2/k3 的值与当损失反传时的梯度，以及组大小 G 决定一组没有梯度信号的概率。
# tags:
#   - GRPO
#   - 优势函数
#   - KL 散度
#   - k3 估计
#   - 强化学习
#   - 动手验证
# ---
# # GRPO 的组内优势、KL 估计与组大小
#
# 对应问题：[GRPO 是什么？和 PPO 有什么区别？](grpo.md#grpo) ·
# [k1、k2、k3 三种 KL 估计有什么区别？](grpo.md#grpo-kl-estimators) ·
# [组大小 G 怎么选？](grpo.md#grpo-group-size)
#
# ## 0/1 奖励下的闭式解 {#closed-form}
#
# 一组 G 条回答里有 k 条答对，组内正确率 q = k/G，均值为 q，总体标准差为 $\sqrt{q(1-q)}$，所以答对的优势 $A_+=\frac{1-q}{\sqrt{q(1-q)}}=\sqrt{\frac{1-q}{q}}$，答错的优势 $A_-=-\sqrt{\frac{q}{1-q}}$。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.grpo import group_advantages, k3_kl, kl_estimators

G = 8
ks = np.arange(1, G)
R = (np.arange(G)[None, :] < np.arange(G + 1)[:, None]).astype(float)   # 第 k 行：k 条答对
A, A1 = group_advantages(R), group_advantages(R, ddof=1)
q = ks / G
assert np.all(A[[0, G]] == 0)                     # 全错或全对：优势全为 0，这组不产生梯度
assert np.allclose(A[ks].mean(1), 0) and np.allclose(A[ks].std(1), 1, atol=1e-5)
assert np.allclose(A[ks, 0], np.sqrt((1 - q) / q), rtol=1e-5)          # 答对
assert np.allclose(A[ks, -1], -np.sqrt(q / (1 - q)), rtol=1e-5)        # 答错
assert np.allclose(A1[ks], A[ks] * np.sqrt((G - 1) / G))               # ddof=1 只差常数
print("A_correct, k=1..7:", np.round(A[ks, 0], 2))
assert np.allclose(A[[1, 4, 7], 0], [2.65, 1.00, 0.38], atol=0.005)

# %%
#| alt: 横轴是组内正确率 q，纵轴是优势：答对的优势曲线从左上方随 q 增大而下降，答错的优势曲线在零下随 q 增大而更负；G=8 的离散点落在曲线上，无偏标准差的点整体略小，读者应看出难题里偶然答对的那条回答优势最大
qq = np.linspace(0.04, 0.96, 300)
fig, ax = plt.subplots(figsize=(4.8, 3.6))
ax.plot(qq, np.sqrt((1 - qq) / qq), label="correct")
ax.plot(qq, -np.sqrt(qq / (1 - qq)), label="wrong")
ax.scatter(q, A[ks, 0], color="C0", zorder=3, label="G=8")
ax.scatter(q, A[ks, -1], color="C1", zorder=3)
ax.scatter(q, A1[ks, 0], marker="x", color="k", zorder=3, label="G=8, ddof=1")
ax.axhline(0, color="gray", lw=0.8)
ax.set(ylim=(-5, 5), xlabel="group accuracy q = k / G", ylabel="advantage", title="GRPO advantage, 0/1 rewards")
ax.legend(loc="upper center", ncol=2)
plt.show()

# %% [markdown]
# ## 每道题的“总梯度权重” {#difficulty-weight}
#
# 一道题所有回答的优势绝对值之和，只减均值时是 $2Gq(1-q)$，再除以标准差后变成 $2G\sqrt{q(1-q)}$。
# 后者在 q 接近 0 或 1 时衰减得慢，相当于把极易、极难的题相对放大，这就是 Dr. GRPO 所说的“题目难度偏置”。

# %%
#| alt: 横轴是组内正确率 q，纵轴是一道题所有回答优势绝对值之和（各自除以最大值）；只减均值的曲线在两端迅速降到接近 0，除以标准差的曲线两端下降慢得多，读者应看出标准差归一化放大了极易和极难的题
w_norm = np.abs(A[ks]).sum(1)
w_raw = np.abs(group_advantages(R, scale=False)[ks]).sum(1)
fig, ax = plt.subplots()
ax.plot(q, w_raw / w_raw.max(), marker="o", label="mean only (Dr. GRPO)")
ax.plot(q, w_norm / w_norm.max(), marker="s", label="mean and std (GRPO)")
ax.set(ylim=(0, 1.1), xlabel="group accuracy q", ylabel="sum |A_i| / max", title="Per-question weight")
ax.legend(loc="lower center")
plt.show()
assert np.allclose(w_raw, 2 * G * q * (1 - q)) and np.allclose(w_norm, 2 * G * np.sqrt(q * (1 - q)), rtol=1e-5)
assert w_norm[0] / w_norm[3] > w_raw[0] / w_raw[3]     # std 归一化让 q=1/8 的题相对 q=1/2 的题更重

# %% [markdown]
# ## k3 KL 估计 {#k3-estimator}
#
# GRPO 把 $\mathbb{D}_{\mathrm{KL}}[\pi_\theta\|\pi_{\mathrm{ref}}]$ 逐 token 写成 $u-\log u-1$，$u=\pi_{\mathrm{ref}}/\pi_\theta$。
# 从 π_θ 采样时 u 的期望为 1，所以它与朴素估计 $-\log u$ 期望相同（无偏），但恒非负、在两个分布接近时方差更小。

# %%
#| alt: 横轴是精确的 KL，纵轴是每个 token 的估计值；灰色对角线是精确值，k1 与 k3 的均值都落在对角线上，KL 较小时 k1 的误差棒明显更长，读者应看出两者都无偏、两个分布接近时 k3 方差更小
rng = np.random.default_rng(0)
V, shifts = 50, np.linspace(0, 1.5, 7)
logits = rng.normal(size=V)
lp = logits - np.log(np.exp(logits).sum())
stats = []                                        # (exact, mean k1, mean k3, std k1, std k3)
for sh in shifts:
    lr = logits + sh * rng.normal(size=V)
    lq = lr - np.log(np.exp(lr).sum())
    y = rng.choice(V, size=20000, p=np.exp(lp))
    k1, _, k3 = kl_estimators(lp[y], lq[y])
    assert np.all(k3 >= 0) and np.allclose(k3, k3_kl(lp[y], lq[y]))
    stats.append((np.sum(np.exp(lp) * (lp - lq)), k1.mean(), k3.mean(), k1.std(), k3.std()))
ex, m1, m3, s1, s3 = np.array(stats).T
assert np.allclose(m1, ex, atol=0.02 + 0.05 * ex) and np.allclose(m3, ex, atol=0.02 + 0.05 * ex)
close = (shifts > 0) & (shifts <= 0.5)
assert np.all(s3[close] < s1[close])              # 两个分布接近时 k3 方差更小

fig, ax = plt.subplots()
ax.plot(ex, ex, color="gray", lw=1, label="exact")
ax.errorbar(ex, m1, yerr=s1, fmt="o", capsize=3, label="k1")
ax.errorbar(ex * 1.03, m3, yerr=s3, fmt="s", capsize=3, label="k3")
ax.set(xlabel="exact KL(pi_theta || pi_ref)", ylabel="estimate, mean +- std",
       title="Both unbiased; k3 is never negative")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 把估计量当损失反传 {#kl-as-loss}
#
# GRPO 把 KL 估计直接加进损失再求导，采样分布不参与求导。对一个 softmax 分布，在所有 token 上精确求期望（不采样），
# 用有限差分比较三种估计量“当损失”的梯度与正、反向 KL 的真实梯度：k1 的期望梯度为 0，
# k2 给出反向 KL（π_θ 在前）的梯度，k3 给出正向 KL（π_ref 在前）的梯度。

# %%
def log_softmax(z):
    return z - z.max() - np.log(np.exp(z - z.max()).sum())


def fd_grad(f, z, e=1e-6):                       # 中心差分
    return np.array([(f(z + e * d) - f(z - e * d)) / (2 * e) for d in np.eye(len(z))])


z0, lq = rng.normal(size=12), log_softmax(rng.normal(size=12))
p0 = np.exp(log_softmax(z0))                     # 采样分布，stop-gradient
g = [fd_grad(lambda z, j=j: p0 @ kl_estimators(log_softmax(z), lq)[j], z0) for j in range(3)]
g_rev = fd_grad(lambda z: np.exp(log_softmax(z)) @ (log_softmax(z) - lq), z0)
g_fwd = fd_grad(lambda z: np.exp(lq) @ (lq - log_softmax(z)), z0)
print("|grad k1| =", round(float(np.linalg.norm(g[0])), 8))
assert np.linalg.norm(g[0]) < 1e-7                # k1：期望梯度为 0
assert np.allclose(g[1], g_rev, atol=1e-7)        # k2：反向 KL 的梯度
assert np.allclose(g[2], g_fwd, atol=1e-7)        # k3：正向 KL 的梯度
assert np.linalg.norm(g_rev - g_fwd) > 1e-2       # 分布离得远时两者明显不同

# %% [markdown]
# ## 组大小 G：一组没有梯度信号的概率 {#group-size}
#
# 0/1 奖励，单题每条回答独立以概率 p 答对。整组全对或全错时优势全为 0，概率为 `p**G + (1-p)**G`；
# 至少有一条答对（难题才有正信号）的概率为 `1 - (1-p)**G`。下面用模拟核对闭式解。

# %%
#| alt: 横轴是单题正确率 p，纵轴是一组没有梯度信号的概率，四条曲线对应 G 等于 4、8、16、64，都是两端高、中间低的 U 形，G 越大 U 形越窄越低，读者应看出很容易或很难的题在小组里几乎总是白采
ps = np.linspace(0.0, 1.0, 201)
fig, ax = plt.subplots()
for Gs in (4, 8, 16, 64):
    ax.plot(ps, ps ** Gs + (1 - ps) ** Gs, label=f"G={Gs}")
ax.set(xlabel="per-sample accuracy p", ylabel="P(no signal)", title="All-correct or all-wrong groups",
       ylim=(0, 1.25))
ax.legend(loc="upper center", ncol=4)
plt.show()

sim_rng = np.random.default_rng(1)
for Gs in (4, 16, 64):
    dead = np.all(group_advantages((sim_rng.random((50_000, Gs)) < 0.9) * 1.0) == 0, axis=1).mean()
    closed = 0.9 ** Gs + 0.1 ** Gs
    assert abs(dead - closed) < 4 * np.sqrt(closed * (1 - closed) / 50_000) + 1e-4
assert np.allclose([0.9 ** Gs + 0.1 ** Gs for Gs in (4, 16, 64)], [0.656, 0.185, 0.0012], atol=5e-4)
assert np.allclose([1 - 0.95 ** Gs for Gs in (8, 64)], [0.34, 0.96], atol=5e-3)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 0/1 奖励、G=8：答对的优势在 k=1、4、7 时为 2.65、1.00、0.38；用无偏标准差（PyTorch 默认）再乘 √(7/8)。
# - 除以标准差让几乎全对、几乎全错的题权重相对变大（难度偏置）。
# - k1、k3 估计 KL 的值都无偏，k3 非负且在两个分布接近时方差更小；但当损失反传时，k1 的期望梯度为 0，k2 才给出反向 KL 的梯度，k3 给出的是正向 KL 的梯度。
# - 全对或全错的组优势全为 0，不贡献梯度，这种组的概率随 G 增大迅速下降（DAPO 的动态采样就是把这些组滤掉）。
