# %% [markdown]
# ---
# description: 数值验证 H(P,Q)=H(P)+KL(P‖Q)、KL 非负且不对称、P 固定时交叉熵与 KL 对模型 logits 的梯度相同，并对比正向与反向 KL 的拟合行为。
# tags:
#   - 基础
#   - 交叉熵
#   - KL 散度
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

fig, ax = plt.subplots(figsize=(8, 3.8))
ax.plot(x, Pd / dx, "k", lw=2, label="P (bimodal target)")
ax.plot(x, gauss(mu_f, s_f), label=f"argmin KL(P||Q): mu={mu_f:.1f}, sigma={s_f:.2f}")
ax.plot(x, gauss(mu_r, s_r), label=f"argmin KL(Q||P): mu={mu_r:.1f}, sigma={s_r:.2f}")
ax.set_xlabel("x")
ax.set_ylabel("density")
ax.legend(fontsize=8)
ax.set_title("Forward KL covers both modes; reverse KL picks one")
plt.show()

# %%
assert abs(mu_f) < 0.2 and s_f > 2.5          # 正向 KL：均值落在两峰中间，方差撑大去覆盖两个峰
assert abs(abs(mu_r) - 3) < 0.2 and s_r < 1.2  # 反向 KL：锁定其中一个峰
print(f"forward: mu={mu_f:.2f}, sigma={s_f:.2f};  reverse: mu={mu_r:.2f}, sigma={s_r:.2f}")
