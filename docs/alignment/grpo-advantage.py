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
# 一组 $G$ 条回答里有 $k$ 条答对，组内正确率 $q=k/G$。均值为 $q$，总体标准差为 $\sqrt{q(1-q)}$，所以
# 答对的优势 $A_+=\frac{1-q}{\sqrt{q(1-q)}}=\sqrt{\frac{1-q}{q}}$，答错的优势 $A_-=-\sqrt{\frac{q}{1-q}}$。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.grpo import group_advantages, k3_kl, kl_estimators

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
#| alt: 横轴是组内正确率 q，纵轴是优势：答对的优势曲线从左上方随 q 增大而下降，答错的优势曲线在零下随 q 增大而更负；G=8 的离散点落在曲线上，无偏标准差的点整体略小，读者应看出难题里偶然答对的那条回答优势最大
q = np.linspace(0.04, 0.96, 300)
ks = np.arange(1, G)
fig, ax = plt.subplots(figsize=(4.8, 3.6))
ax.plot(q, np.sqrt((1 - q) / q), label="correct")
ax.plot(q, -np.sqrt(q / (1 - q)), label="wrong")
ax.scatter(ks / G, [rows[k][1] for k in ks], zorder=3, color="C0", label="G=8")
ax.scatter(ks / G, [rows[k][2] for k in ks], zorder=3, color="C1")
ax.scatter(ks / G, [rows[k][3] for k in ks], marker="x", zorder=3, color="k", label="G=8, ddof=1")
ax.axhline(0, color="gray", lw=0.8)
ax.set_ylim(-5, 5)
ax.set_xlabel("group accuracy q = k / G")
ax.set_ylabel("advantage")
ax.set_title("GRPO advantage, 0/1 rewards")
ax.legend(loc="upper center", ncol=2)
plt.show()

# %% [markdown]
# ## 每道题的“总梯度权重” {#difficulty-weight}
#
# 一道题所有回答的优势绝对值之和，只减均值时是 $\sum_i|r_i-q|=2Gq(1-q)$，再除以标准差后变成 $2G\sqrt{q(1-q)}$。
# 后者在 $q$ 接近 0 或 1 时衰减得慢，相当于把极易、极难的题相对放大，这就是 Dr. GRPO 所说的“题目难度偏置”。

# %%
#| alt: 横轴是组内正确率 q，纵轴是一道题所有回答优势绝对值之和（各自除以最大值）；只减均值的曲线在两端迅速降到接近 0，除以标准差的曲线两端下降慢得多，读者应看出标准差归一化放大了极易和极难的题
w_norm = [np.abs(group_advantages(np.array([[1.0] * k + [0.0] * (G - k)]))[0]).sum() for k in ks]
w_raw = [np.abs(group_advantages(np.array([[1.0] * k + [0.0] * (G - k)]), scale=False)[0]).sum() for k in ks]
fig, ax = plt.subplots()
ax.plot(ks / G, np.array(w_raw) / max(w_raw), marker="o", label="mean only (Dr. GRPO)")
ax.plot(ks / G, np.array(w_norm) / max(w_norm), marker="s", label="mean and std (GRPO)")
ax.set_ylim(0, 1.1)
ax.set_xlabel("group accuracy q")
ax.set_ylabel("sum |A_i| / max")
ax.set_title("Per-question weight")
ax.legend(loc="lower center")
plt.show()
ratio_norm = w_norm[0] / w_norm[3]
ratio_raw = w_raw[0] / w_raw[3]
assert np.isclose(ratio_raw, 7 / 16) and np.isclose(ratio_norm, np.sqrt(7 / 16))
assert ratio_norm > ratio_raw                     # std 归一化让 q=1/8 的题相对 q=1/2 的题更重
print(f"weight of q=1/8 relative to q=1/2: mean-only {ratio_raw:.2f}, GRPO {ratio_norm:.2f}")

# %% [markdown]
# ## k3 KL 估计 {#k3-estimator}
#
# GRPO 把 $\mathbb{D}_{\mathrm{KL}}[\pi_\theta\|\pi_{\mathrm{ref}}]$ 逐 token 写成 $u-\log u-1$，$u=\pi_{\mathrm{ref}}/\pi_\theta$。
# 在 $y\sim\pi_\theta$ 下 $\mathbb{E}[u]=1$，所以它与朴素估计 $-\log u$ 期望相同（无偏），但恒非负、在两个分布接近时方差更小。

# %%
#| alt: 横轴是精确的 KL，纵轴是每个 token 的估计值；灰色对角线是精确值，k1 与 k3 的均值都落在对角线上，KL 较小时 k1 的误差棒明显更长，读者应看出两者都无偏、两个分布接近时 k3 方差更小
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

fig, ax = plt.subplots()
ax.plot(exact, exact, color="gray", lw=1, label="exact")
ax.errorbar(exact, m1, yerr=s1, fmt="o", capsize=3, label="k1")
ax.errorbar(exact * 1.03, m3, yerr=s3, fmt="s", capsize=3, label="k3")
ax.set_xlabel("exact KL(pi_theta || pi_ref)")
ax.set_ylabel("estimate, mean +- std")
ax.set_title("Both unbiased; k3 is never negative")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 把估计量当损失反传 {#kl-as-loss}
#
# GRPO 把 KL 估计直接加进损失再求导，采样分布不参与求导。对一个 softmax 分布 $\pi_\theta=\mathrm{softmax}(z)$，
# 在所有 token 上精确求期望（不采样），用有限差分比较三种估计量“当损失”的梯度与正、反向 KL 的真实梯度：
# $k_1$ 的期望梯度为 0，$k_2$ 给出反向 KL $\mathbb{D}_{\mathrm{KL}}[\pi_\theta\|\pi_{\mathrm{ref}}]$ 的梯度，
# $k_3$ 给出正向 KL $\mathbb{D}_{\mathrm{KL}}[\pi_{\mathrm{ref}}\|\pi_\theta]$ 的梯度。


# %%
def log_softmax(z):
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def fd_grad(f, z, e=1e-6):
    g = np.zeros_like(z)
    for i in range(len(z)):
        d = np.zeros_like(z)
        d[i] = e
        g[i] = (f(z + d) - f(z - d)) / (2 * e)
    return g


z0, lq = rng.normal(size=12), log_softmax(rng.normal(size=12))
p0 = np.exp(log_softmax(z0))                     # 采样分布，stop-gradient
surrogate = {name: (lambda z, j=j: np.sum(p0 * kl_estimators(log_softmax(z), lq)[j]))
             for j, name in enumerate(["k1", "k2", "k3"])}
g_rev = fd_grad(lambda z: np.sum(np.exp(log_softmax(z)) * (log_softmax(z) - lq)), z0)
g_fwd = fd_grad(lambda z: np.sum(np.exp(lq) * (lq - log_softmax(z))), z0)
g = {name: fd_grad(f, z0) for name, f in surrogate.items()}
for name, v in g.items():
    print(f"{name}: |grad| = {np.linalg.norm(v):.4f}, dist to reverse-KL grad {np.linalg.norm(v - g_rev):.2e}, "
          f"to forward-KL grad {np.linalg.norm(v - g_fwd):.2e}")
assert np.linalg.norm(g["k1"]) < 1e-7
assert np.allclose(g["k2"], g_rev, atol=1e-7)
assert np.allclose(g["k3"], g_fwd, atol=1e-7)
assert np.linalg.norm(g_rev - g_fwd) > 1e-2           # 分布离得远时两者明显不同

# %% [markdown]
# ## 组大小 G：一组没有梯度信号的概率 {#group-size}
#
# 0/1 奖励，单题每条回答独立以概率 $p$ 答对。整组全对或全错时优势全为 0，概率为 $p^G+(1-p)^G$；
# 至少有一条答对（难题才有正信号）的概率为 $1-(1-p)^G$。下面用模拟核对闭式解。

# %%
#| alt: 横轴是单题正确率 p，纵轴是一组没有梯度信号的概率，四条曲线对应 G 等于 4、8、16、64，都是两端高、中间低的 U 形，G 越大 U 形越窄越低，读者应看出很容易或很难的题在小组里几乎总是白采
ps = np.linspace(0.0, 1.0, 201)
fig, ax = plt.subplots()
for Gs in (4, 8, 16, 64):
    ax.plot(ps, ps ** Gs + (1 - ps) ** Gs, label=f"G={Gs}")
ax.set_xlabel("per-sample accuracy p")
ax.set_ylabel("P(no signal)")
ax.set_title("All-correct or all-wrong groups")
ax.legend(loc="upper center", ncol=4)
ax.set_ylim(0, 1.25)
plt.show()

sim_rng = np.random.default_rng(1)
for Gs, pp in ((4, 0.9), (16, 0.9), (64, 0.9)):
    rew = (sim_rng.random((50_000, Gs)) < pp).astype(float)
    dead = np.all(group_advantages(rew) == 0, axis=1).mean()
    closed = pp ** Gs + (1 - pp) ** Gs
    print(f"G={Gs:2d}, p={pp}: simulated {dead:.4f}, closed form {closed:.4f}")
    assert abs(dead - closed) < 4 * np.sqrt(closed * (1 - closed) / 50_000) + 1e-4
assert np.allclose([0.9 ** Gs + 0.1 ** Gs for Gs in (4, 16, 64)], [0.656, 0.185, 0.0012], atol=5e-4)
assert np.allclose([1 - 0.95 ** Gs for Gs in (8, 64)], [0.34, 0.96], atol=5e-3)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 0/1 奖励、$G=8$：答对的优势在 $k=1,4,7$ 时为 2.65、1.00、0.38；用无偏标准差（PyTorch 默认）再乘 $\sqrt{7/8}$。
# - 除以标准差让几乎全对、几乎全错的题权重相对变大（难度偏置）。
# - k1、k3 估计 KL 的值都无偏，k3 非负且在两个分布接近时方差更小；但当损失反传时，k1 的期望梯度为 0，k2 才给出反向 KL 的梯度，k3 给出的是正向 KL 的梯度。
# - 全对或全错的组优势全为 0，不贡献梯度，这种组的概率 $p^G+(1-p)^G$ 随 $G$ 增大迅速下降（DAPO 的动态采样就是把这些组滤掉）。
