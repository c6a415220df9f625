# %% [markdown]
# ---
# description: 数值验证 InfoNCE 等于目标为 0 的交叉熵、梯度在负样本间按温度 τ 的 softmax 分配（τ 越小越聚焦最难负样本），以及它的互信息估计不超过 log B。
# tags:
#   - 对比学习
#   - InfoNCE
#   - 温度系数
#   - 动手验证
# ---
# # InfoNCE 的温度系数：τ 如何分配负样本的梯度
#
# 对应问题：[InfoNCE 是什么？温度系数 τ 起什么作用？](contrastive.md#infonce)、[InfoNCE 估计的互信息有上限吗？](contrastive.md#infonce-mi-bound)
#
# 验证四件事：
#
# 1. InfoNCE 就是 logits 为 s/τ、目标类别为 0（正样本）的交叉熵；
# 2. 对第 k 个负样本相似度的梯度是 p_k/τ，负样本之间的梯度份额是温度为 τ 的 softmax，τ 越小越集中在最难负样本上；
# 3. τ → 0 时 $\tau L\to\max(0,\max_k s_k-s_+)$（零间隔的 hinge），τ → ∞ 时负样本被一视同仁；
# 4. 用 InfoNCE 估计互信息，估计值 log B − L 永远不超过 log B（B = K + 1 个候选），真实互信息更大时测不出来。
#
# ## 实验设置 {#infonce-tau-setup}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.retrieval.losses import cross_entropy, infonce, infonce_grad

rng = np.random.default_rng(0)
K = 64
s_pos = 0.8                                      # 查询与正样本的余弦相似度
s_neg = np.sort(rng.uniform(-0.3, 0.6, size=K))[::-1].copy()
s_neg[0] = 0.75                                  # 一个“很难”的负样本，离正样本很近
taus = np.logspace(-2.3, 1, 60)

# %% [markdown]
# ## InfoNCE 等于交叉熵 {#infonce-equals-ce}

# %%
for tau in (0.01, 0.07, 0.5, 2.0):
    logits = np.concatenate([[s_pos], s_neg]) / tau
    assert np.isclose(infonce(s_pos, s_neg, tau), cross_entropy(logits[None], [0])[0])
print("InfoNCE == CE(logits = s / tau, target = 0) for all tested tau")

# %% [markdown]
# ## 最难负样本拿到的梯度份额 {#hardest-negative-share}
#
# 负样本 k 的梯度 $\partial L/\partial s_k=p_k/\tau$，其份额
# $w_k=p_k/\sum_{j\ge1}p_j=\exp(s_k/\tau)/\sum_{j\ge1}\exp(s_j/\tau)$ 与正样本无关。

# %%
def neg_shares(tau):
    g = infonce_grad(s_pos, s_neg, tau)[1:]
    return g / g.sum()

share_hard = np.array([neg_shares(t)[0] for t in taus])
share_top5 = np.array([neg_shares(t)[:5].sum() for t in taus])

#| alt: 折线图：横轴是温度 τ（对数刻度），纵轴是最难负样本与最难 5 个负样本拿到的梯度份额；τ 越小份额越接近 1，τ 增大后降到均匀的 1/K。
fig, ax = plt.subplots()
ax.semilogx(taus, share_hard, label="hardest negative")
ax.semilogx(taus, share_top5, label="5 hardest")
ax.axhline(1 / K, color="gray", ls="--", label="uniform 1/K")
for t in (0.05, 0.07, 0.1):
    ax.axvline(t, color="lightgray", lw=0.8)
ax.set_xlabel("temperature tau")
ax.set_ylabel("share of gradient")
ax.set_title(f"Gradient share vs tau (K={K})")
ax.legend()
plt.show()

assert neg_shares(0.05)[0] > neg_shares(1.0)[0]
assert np.all(np.diff(share_hard) < 0)                     # τ 增大，份额单调下降
assert abs(neg_shares(1e4)[0] - 1 / K) < 1e-4              # τ→∞：均匀
w = neg_shares(0.07)
assert np.isclose(w.sum(), 1) and np.allclose(w, np.exp(s_neg / 0.07) / np.exp(s_neg / 0.07).sum())

# %% [markdown]
# ## 不同温度下的梯度分布 {#negative-weight-profile}

# %%
#| alt: 对数纵轴的折线图：横轴是负样本相似度 s_k，纵轴是它的梯度份额 w_k；四条线对应 τ = 0.02、0.07、0.2、1，τ 越小直线越陡，越像正样本的负样本份额指数级地越大。
fig, ax = plt.subplots()
for t in (0.02, 0.07, 0.2, 1.0):
    ax.plot(s_neg, neg_shares(t), marker=".", label=f"tau={t}")
ax.set_yscale("log")
ax.set_ylim(1e-12, 2)
ax.set_xlabel("negative similarity s_k")
ax.set_ylabel("gradient share w_k")
ax.set_title("Harder negatives weigh more")
ax.legend(ncol=2)
plt.show()

# %% [markdown]
# ## 两个极限与括号放错的写法 {#tau-limits}
#
# 正确写法是 exp(sim/τ)。若把温度放在指数外面写成 exp(sim)/τ，
# 分子不再是 softmax 的一项：它只在 τ = 1 时与正确值相同；τ < 1 时即使正样本已经远远领先，
# 损失也不会趋于 0（约按 1/τ 增长），而且对正样本相似度的导数 −1 + p₀/τ 在 p₀ > τ 时变成正的——
# 梯度下降反而会把正样本推远。

# %%
def wrong_form(s_pos, s_neg, tau):
    denom = np.exp(np.concatenate([[s_pos], s_neg]) / tau).sum()
    return -np.log(np.exp(s_pos) / tau / denom)

correct = np.array([infonce(s_pos, s_neg, t) for t in taus])
wrong = np.array([wrong_form(s_pos, s_neg, t) for t in taus])

#| alt: 上下两幅图：上图对比正确的 exp(s/τ) 与括号放错的 exp(s)/τ 两种损失随 τ 的变化，放错的写法在小 τ 时损失反而暴涨；下图是 τ·L 随 τ 变小趋于虚线 max(0, s_hard − s_pos)，即零间隔的 hinge。
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6))
ax1.loglog(taus, correct, label="exp(s/tau): correct")
ax1.loglog(taus, wrong, ls="--", label="exp(s)/tau: wrong")
ax1.set_xlabel("temperature tau")
ax1.set_ylabel("loss")
ax1.set_title("Where the temperature goes")
ax1.legend()
taus_small = np.logspace(-3, -0.5, 40)
for sp in (0.8, 0.5):
    scaled = np.array([t * infonce(sp, s_neg, t) for t in taus_small])
    line, = ax2.semilogx(taus_small, scaled, label=f"s_pos={sp}")
    ax2.axhline(max(0.0, s_neg.max() - sp), color=line.get_color(), ls=":", lw=1)
ax2.set_xlabel("temperature tau")
ax2.set_ylabel("tau * InfoNCE")
ax2.set_title("Small tau: hinge limit (dotted)")
ax2.legend()
plt.show()

assert np.isclose(wrong_form(s_pos, s_neg, 1.0), infonce(s_pos, s_neg, 1.0))
assert not np.isclose(wrong_form(s_pos, s_neg, 0.1), infonce(s_pos, s_neg, 0.1))
assert np.all(correct > 0)
def d_dspos(f, tau, h=1e-6):
    return (f(s_pos + h, s_neg, tau) - f(s_pos - h, s_neg, tau)) / (2 * h)

assert d_dspos(infonce, 0.07) < 0                          # 正确：增大 s+ 降低损失
assert d_dspos(wrong_form, 0.07) > 0                       # 错误写法：增大 s+ 反而升高损失
assert wrong_form(s_pos, s_neg, 0.01) > 50 > infonce(s_pos, s_neg, 0.01)
assert abs(1e-3 * infonce(s_pos, s_neg, 1e-3) - max(0.0, s_neg.max() - s_pos)) < 1e-2
assert abs(1e-3 * infonce(0.5, s_neg, 1e-3) - (s_neg.max() - 0.5)) < 1e-2
print(f"dL/ds+ at tau=0.07: correct {d_dspos(infonce, 0.07):.3f}, wrong form {d_dspos(wrong_form, 0.07):.3f}")

# %% [markdown]
# ## 互信息估计的上限 log B {#mi-estimate-cap}
#
# 取 d = 4 维的相关高斯：$y=\rho x+\sqrt{1-\rho^2}\,\varepsilon$，真实互信息 $I(x;y)=-\frac d2\log(1-\rho^2)$（单位 nat）。
# 评分函数（critic）直接用最优的那个：$f(x,y)=\log\frac{p(y\mid x)}{p(y)}$。一个 batch 有 B 对样本，
# 矩阵 $F_{ij}=f(x_i,y_j)$ 的对角线是正样本，估计值是 log B − L（L 为以对角线为目标的交叉熵）。
# 即使 critic 是最优的，估计值也贴着 log B 饱和。

# %%
from snippets.retrieval.losses import infonce_mi_lower_bound

d_mi = 4
true_mi = np.linspace(0.1, 10, 34)


def critic_matrix(x, y, rho):
    """log p(y_j | x_i) - log p(y_j) for the correlated Gaussian, up to a constant."""
    sq = ((y[None, :, :] - rho * x[:, None, :]) ** 2).sum(-1)
    return -sq / (2 * (1 - rho**2)) + 0.5 * (y**2).sum(-1)[None, :]


est = {}
for B in (16, 64, 256):
    vals = []
    for I in true_mi:
        rho = np.sqrt(1 - np.exp(-2 * I / d_mi))
        batches = []
        for _ in range(8):
            x = rng.normal(size=(B, d_mi))
            y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=(B, d_mi))
            batches.append(infonce_mi_lower_bound(critic_matrix(x, y, rho)))
        vals.append(np.mean(batches))
    est[B] = np.array(vals)

#| alt: 折线图：横轴是真实互信息（nat），纵轴是 InfoNCE 的估计值；对角虚线是理想情况，B = 16、64、256 三条估计曲线在小互信息处贴着对角线，随后分别在水平虚线 log B 处饱和。
fig, ax = plt.subplots()
ax.plot(true_mi, true_mi, "k--", lw=1, label="estimate = true MI")
for B, v in est.items():
    line, = ax.plot(true_mi, v, label=f"B={B}")
    ax.axhline(np.log(B), color=line.get_color(), ls=":", lw=1)
ax.set_xlabel("true mutual information (nats)")
ax.set_ylabel("InfoNCE estimate")
ax.set_title("The estimate saturates at log B")
ax.legend()
plt.show()

for B, v in est.items():
    assert np.all(v <= np.log(B) + 1e-9)                  # never above log B
    assert abs(v[0] - true_mi[0]) < 0.1                    # small MI: close to the truth
    assert v[-1] > np.log(B) - 0.3 and v[-1] < true_mi[-1] - 4   # large MI: stuck near log B, far below 10 nats
assert np.all(np.diff([est[B][-1] for B in (16, 64, 256)]) > 1)   # a bigger batch raises the ceiling (by log 4 each)
print({B: f"log B = {np.log(B):.2f}, estimate at 10 nats = {v[-1]:.2f}" for B, v in est.items()})

# %% [markdown]
# ## 结论 {#infonce-tau-conclusion}
#
# - 温度只是把相似度缩放成 logit（logit = s/τ），InfoNCE 就是以正样本为目标的 (K+1) 类交叉熵。
# - 负样本之间的梯度按 $\operatorname{softmax}(s_k/\tau)$ 分配：τ 小时几乎全部压在最难的几个负样本上（困难样本挖掘的效果，但也更容易被假负例带偏），τ 大时趋于均匀。
# - τ → 0 时 InfoNCE 退化为零间隔的 hinge 损失。
# - 温度必须放在指数里面：写成 exp(sim)/τ 时，对正样本的导数是 −1 + p₀/τ，只要 p₀ > τ（τ < 1 且 p₀ → 1 时必然如此）梯度方向就是反的。
# - InfoNCE 的互信息估计 log B − L ≤ log B：B = 256 时上限约 5.5 nat，真实互信息是 10 nat 也只能测出这么多；想测更大的互信息，负样本数要指数级增长。
