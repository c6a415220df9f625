# %% [markdown]
# ---
# description: 数值验证 H(P,Q)=H(P)+KL(P‖Q)、KL 非负且不对称、P 固定时交叉熵与 KL 梯度相同，对比正向与反向 KL 的拟合行为，以及 k1、k2、k3 三种 KL 估计的偏差与方差。
# tags:
#   - 基础
#   - 交叉熵
#   - KL 散度
#   - RLHF
#   - 动手验证
# ---
# # 交叉熵与 KL 散度
#
# 对应问题：[交叉熵和 KL 散度是什么关系？](losses.md#cross-entropy-vs-kl)
#
# ## 恒等式与梯度 {#identity}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.losses import cross_entropy, entropy, kl_divergence
from snippets.basics.softmax import softmax

rng = np.random.default_rng(0)
gaps, kls, kls_rev = [], [], []
for _ in range(2000):
    n = int(rng.integers(2, 10))
    P = rng.dirichlet(np.ones(n) * 0.5)
    Q = rng.dirichlet(np.ones(n) * 0.5)
    gaps.append(cross_entropy(P, Q) - entropy(P) - kl_divergence(P, Q))
    kls.append(kl_divergence(P, Q))
    kls_rev.append(kl_divergence(Q, P))
gaps, kls, kls_rev = map(np.array, (gaps, kls, kls_rev))
assert np.abs(gaps).max() < 1e-10          # H(P,Q) = H(P) + KL(P||Q)
assert kls.min() >= -1e-12                  # Gibbs 不等式
assert np.mean(np.abs(kls - kls_rev) > 1e-3) > 0.9   # 几乎总是不对称

# P 固定时：d H(P, softmax(z)) / dz = d KL(P || softmax(z)) / dz = softmax(z) - P
P = rng.dirichlet(np.ones(6))
z = rng.normal(size=6)
h = 1e-6
E = np.eye(6)
g_ce = np.array([(cross_entropy(P, softmax(z + h * e)) - cross_entropy(P, softmax(z - h * e))) / (2 * h) for e in E])
g_kl = np.array([(kl_divergence(P, softmax(z + h * e)) - kl_divergence(P, softmax(z - h * e))) / (2 * h) for e in E])
assert np.allclose(g_ce, g_kl, atol=1e-8) and np.allclose(g_ce, softmax(z) - P, atol=1e-7)
print("identity, non-negativity, asymmetry and equal gradients: OK")

# %% [markdown]
# ## 正向 KL 与反向 KL：用一个高斯去拟合双峰分布 {#forward-vs-reverse}
#
# 在网格上把 $P$ 设为双峰混合，$Q_{\mu,\sigma}$ 为单个高斯，分别最小化 $\mathrm{KL}(P\|Q)$（正向，MLE / 交叉熵训练）
# 与 $\mathrm{KL}(Q\|P)$（反向，变分推断、RLHF 的 KL 惩罚项的方向）。

# %%
x = np.linspace(-8, 8, 801)
dx = x[1] - x[0]

def gauss(m, s):
    return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

Pd = 0.5 * gauss(-3, 0.8) + 0.5 * gauss(3, 0.8)
Pd = Pd * dx / np.sum(Pd * dx)
mus = np.linspace(-5, 5, 81)
sigmas = np.linspace(0.3, 5, 48)
fwd = np.full((len(mus), len(sigmas)), np.inf)
rev = np.full_like(fwd, np.inf)
for i, m in enumerate(mus):
    for j, s in enumerate(sigmas):
        Qd = gauss(m, s) * dx
        Qd = np.maximum(Qd / Qd.sum(), 1e-300)
        fwd[i, j] = kl_divergence(Pd, Qd)
        rev[i, j] = kl_divergence(Qd, np.maximum(Pd, 1e-300))
i_f, j_f = np.unravel_index(np.argmin(fwd), fwd.shape)
i_r, j_r = np.unravel_index(np.argmin(rev), rev.shape)
mu_f, s_f, mu_r, s_r = mus[i_f], sigmas[j_f], mus[i_r], sigmas[j_r]

fig, ax = plt.subplots(figsize=(4.8, 4.0))
ax.plot(x, Pd / dx, "k", lw=2, label="P (bimodal target)")
ax.plot(x, gauss(mu_f, s_f), label=f"min KL(P||Q): mu={mu_f:.1f}, sigma={s_f:.2f}")
ax.plot(x, gauss(mu_r, s_r), label=f"min KL(Q||P): mu={mu_r:.1f}, sigma={s_r:.2f}")
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.set_title("Forward KL covers, reverse KL picks a mode")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
#| alt: 用单个高斯拟合两个峰在 ±3 的双峰分布：最小化正向 KL(P‖Q) 的高斯均值约 0、标准差约 3.3，摊在两峰之间；最小化反向 KL(Q‖P) 的高斯落在其中一个峰上，标准差约 0.8
plt.show()

# %%
assert abs(mu_f) < 0.2 and s_f > 2.5          # 正向 KL：均值落在两峰中间，方差撑大去覆盖两个峰
assert abs(abs(mu_r) - 3) < 0.2 and s_r < 1.2  # 反向 KL：锁定其中一个峰
print(f"forward: mu={mu_f:.2f}, sigma={s_f:.2f};  reverse: mu={mu_r:.2f}, sigma={s_r:.2f}")


# %% [markdown]
# ## k1、k2、k3：从样本估计 KL {#kl-estimators}
#
# RLHF 里要估计 $\mathrm{KL}(\pi_\theta\|\pi_{\text{ref}})$，样本来自 $q=\pi_\theta$，记 $r=p(x)/q(x)$（$p=\pi_{\text{ref}}$）。
# 在 1000 个类别的分布上，让 $p$ 逐渐偏离 $q$，比较三种单样本估计的均值（偏差）与标准差。

# %%
from snippets.basics.losses import kl_estimators

V = 1000
logits_q = rng.normal(size=V) * 2
q = softmax(logits_q)
noise = rng.normal(size=V)
scales = np.linspace(0.02, 1.5, 25)
true_kl, mean_k, std_k = [], [], []
for c in scales:
    p = softmax(logits_q + c * noise)
    ks = kl_estimators(np.log(q), np.log(p))             # 每个类别上的估计值
    true_kl.append(kl_divergence(q, p))
    mean_k.append([q @ k for k in ks])                   # 精确的期望（按 q 加权），不是采样
    std_k.append([np.sqrt(q @ k ** 2 - (q @ k) ** 2) for k in ks])
true_kl, mean_k, std_k = map(np.array, (true_kl, mean_k, std_k))

assert np.allclose(mean_k[:, 0], true_kl) and np.allclose(mean_k[:, 2], true_kl)   # k1、k3 无偏
bias2 = mean_k[:, 1] - true_kl
assert np.all(np.abs(bias2[:3]) < 0.05 * true_kl[:3])                             # k2：KL 小时偏差相对很小
assert abs(bias2[-1]) > 0.05 * true_kl[-1]                                        # 分布差得远时偏差明显
assert np.all(std_k[:5, 2] < 0.2 * std_k[:5, 0])                                  # 接近时 k3 的标准差远小于 k1

# 用 5000 个样本核对：采样平均也落在真值附近
xs = rng.choice(V, size=5000, p=q)
p = softmax(logits_q + 0.3 * noise)
k1, k2, k3 = kl_estimators(np.log(q[xs]), np.log(p[xs]))
kl03 = kl_divergence(q, p)
assert abs(k3.mean() - kl03) < 4 * k3.std() / np.sqrt(len(xs))
print(f"KL = {kl03:.4f}; sample means k1 {k1.mean():.4f}, k2 {k2.mean():.4f}, k3 {k3.mean():.4f}; "
      f"std k1 {k1.std():.3f}, k3 {k3.std():.3f}")

fig, ax = plt.subplots()
for j, name in enumerate(("k1 = -log r", "k2 = (log r)^2 / 2", "k3 = r - 1 - log r")):
    ax.loglog(true_kl, std_k[:, j], label=name)
ax.set_xlabel("true KL(q || p)")
ax.set_ylabel("std of one-sample estimate")
ax.legend()
#| alt: 三种单样本 KL 估计的标准差随真实 KL 的变化（双对数轴）：k1 的标准差远大于 k2 和 k3，两个分布越接近差距越大；k2 与 k3 的曲线几乎重合
plt.show()
