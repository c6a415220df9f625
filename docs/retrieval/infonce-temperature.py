# %% [markdown]
# ---
# description: 数值验证 InfoNCE 等于目标为 0 的交叉熵、梯度在负样本间按温度 τ 的 softmax 分配，τ 越小越聚焦最难负样本。
# tags:
#   - 对比学习
#   - InfoNCE
#   - 温度系数
#   - 动手验证
# ---
# # InfoNCE 的温度系数：τ 如何分配负样本的梯度
#
# 对应问题：[InfoNCE 是什么？温度系数 τ 起什么作用？](contrastive.md#infonce)
#
# 验证三件事：
#
# 1. InfoNCE 就是 logits 为 $s/\tau$、目标类别为 0（正样本）的交叉熵；
# 2. 对第 $k$ 个负样本相似度的梯度是 $p_k/\tau$，负样本之间的梯度份额是温度为 $\tau$ 的 softmax，$\tau$ 越小越集中在最难负样本上；
# 3. $\tau\to 0$ 时 $\tau L\to\max(0,\max_k s_k-s_+)$（零间隔的 hinge），$\tau\to\infty$ 时负样本被一视同仁。
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
# 负样本 $k$ 的梯度 $\partial L/\partial s_k=p_k/\tau$，其份额
# $w_k=p_k/\sum_{j\ge1}p_j=\exp(s_k/\tau)/\sum_{j\ge1}\exp(s_j/\tau)$ 与正样本无关。

# %%
def neg_shares(tau):
    g = infonce_grad(s_pos, s_neg, tau)[1:]
    return g / g.sum()

share_hard = np.array([neg_shares(t)[0] for t in taus])
share_top5 = np.array([neg_shares(t)[:5].sum() for t in taus])

fig, ax = plt.subplots(figsize=(6.4, 4))
ax.semilogx(taus, share_hard, label="hardest negative")
ax.semilogx(taus, share_top5, label="top-5 hardest negatives")
ax.axhline(1 / K, color="gray", ls="--", label="uniform 1/K")
for t in (0.05, 0.07, 0.1):
    ax.axvline(t, color="lightgray", lw=0.8)
ax.set_xlabel("temperature tau (log scale)")
ax.set_ylabel("share of the negatives' gradient")
ax.set_title(f"InfoNCE: gradient share vs temperature (K={K})")
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
fig, ax = plt.subplots(figsize=(6.4, 4))
for t in (0.02, 0.07, 0.2, 1.0):
    ax.plot(s_neg, neg_shares(t), marker=".", label=f"tau={t}")
ax.set_yscale("log")
ax.set_xlabel("negative similarity s_k")
ax.set_ylabel("gradient share w_k (log scale)")
ax.set_title("Harder negatives get exponentially more weight at small tau")
ax.legend()
plt.show()

# %% [markdown]
# ## 两个极限与括号放错的写法 {#tau-limits}
#
# 正确写法是 $\exp(\mathrm{sim}/\tau)$。若把温度放在指数外面写成 $\exp(\mathrm{sim})/\tau$，
# 分子不再是 softmax 的一项：它只在 $\tau=1$ 时与正确值相同；$\tau<1$ 时即使正样本已经远远领先，
# 损失也不会趋于 0（约按 $1/\tau$ 增长），而且对正样本相似度的导数 $-1+p_0/\tau$ 在 $p_0>\tau$ 时变成正的——
# 梯度下降反而会把正样本推远。

# %%
def wrong_form(s_pos, s_neg, tau):
    denom = np.exp(np.concatenate([[s_pos], s_neg]) / tau).sum()
    return -np.log(np.exp(s_pos) / tau / denom)

correct = np.array([infonce(s_pos, s_neg, t) for t in taus])
wrong = np.array([wrong_form(s_pos, s_neg, t) for t in taus])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.loglog(taus, correct, label="exp(s/tau): correct")
ax1.loglog(taus, wrong, ls="--", label="exp(s)/tau: misplaced parenthesis")
ax1.set_xlabel("temperature tau (log scale)")
ax1.set_ylabel("loss (log scale)")
ax1.set_title("Correct vs misplaced-parenthesis InfoNCE")
ax1.legend(fontsize=8)
taus_small = np.logspace(-3, -0.5, 40)
for sp in (0.8, 0.5):
    scaled = np.array([t * infonce(sp, s_neg, t) for t in taus_small])
    line, = ax2.semilogx(taus_small, scaled, label=f"tau * L, s_pos={sp}")
    ax2.axhline(max(0.0, s_neg.max() - sp), color=line.get_color(), ls=":", lw=1)
ax2.set_xlabel("temperature tau (log scale)")
ax2.set_ylabel("tau * InfoNCE")
ax2.set_title("Small-tau limit: max(0, s_hard - s_pos) (dotted)")
ax2.legend(fontsize=8)
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
# ## 结论 {#infonce-tau-conclusion}
#
# - 温度只是把相似度缩放成 logit（logit $=s/\tau$），InfoNCE 就是以正样本为目标的 $(K+1)$ 类交叉熵。
# - 负样本之间的梯度按 $\operatorname{softmax}(s_k/\tau)$ 分配：$\tau$ 小时几乎全部压在最难的几个负样本上（困难样本挖掘的效果，但也更容易被假负例带偏），$\tau$ 大时趋于均匀。
# - $\tau\to0$ 时 InfoNCE 退化为零间隔的 hinge 损失。
# - 温度必须放在指数里面：写成 $\exp(\mathrm{sim})/\tau$ 时，对正样本的导数是 $-1+p_0/\tau$，只要 $p_0>\tau$（$\tau<1$ 且 $p_0\to1$ 时必然如此）梯度方向就是反的。
