# %% [markdown]
# ---
# description: 用 numpy 手写的 CART 回归树、bagging 与随机森林，在 40 个独立训练集上实测单棵深树、bagging 与随机森林的预测方差，验证森林方差符合 ρσ² + (1−ρ)σ²/B 且特征子采样降低树间相关性；再检验 OOB 误差与测试误差一致，以及 AdaBoost 训练误差的指数上界。
# tags: [随机森林, Bagging, Boosting, AdaBoost, OOB, 偏差方差, 动手验证]
# ---
# # 动手验证：随机森林为什么降方差
#
# 对应问题：[随机森林为什么能降低方差？](trees.md#random-forest-variance)、[OOB 误差](trees.md#oob-error)、
# [AdaBoost 的权重从哪里来？](trees.md#adaboost-exponential-loss)
#
# ## 实验设置 {#setup}
#
# 回归函数取 Friedman（1991）的第一个基准：y = 10 sin(π x₁x₂) + 20 (x₃ − 0.5)² + 10 x₄ + 5 x₅ + ε，
# 这里 x ∈ [0, 1]⁶（第 6 维是无关特征），ε ~ N(0, 1)。每个训练集 n = 120；共 R = 40 个独立训练集。
# 每个训练集上训练三种模型（叶子至少 5 个样本，不限深度）：
#
# - 单棵深树（全部数据、全部特征）；
# - bagging：B = 20 棵树，每棵用一个 bootstrap 样本、每个节点看全部 6 个特征；
# - 随机森林：同样 20 棵 bootstrap 树，但每个节点只随机看 2 个特征。
#
# 在 100 个固定测试点上记录每棵树的预测。对一个测试点，σ² 是单棵（bootstrap）树预测的方差，
# ρ 是同一训练集上两棵不同树的预测之间的相关系数，两者都把训练集和树的随机性一起算进去。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.basics.trees import (averaged_variance, fit_forest, fit_regression_tree, oob_predict,
                                   predict_tree, adaboost_score, adaboost_stumps)

rng = np.random.default_rng(0)
d, n, R, B, m = 6, 120, 40, 20, 100


def friedman1(X):
    return 10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]


X_test = rng.random((m, d))
f_test = friedman1(X_test)
tree_preds = {"bagging": np.empty((R, B, m)), "forest": np.empty((R, B, m))}
single = np.empty((R, m))
for r in range(R):
    X = rng.random((n, d))
    y = friedman1(X) + rng.normal(size=n)
    for name, mtry in (("bagging", None), ("forest", 2)):
        trees, _ = fit_forest(X, y, B, min_samples_leaf=5, max_features=mtry, rng=rng)
        tree_preds[name][r] = [predict_tree(t, X_test) for t in trees]
    single[r] = predict_tree(fit_regression_tree(X, y, min_samples_leaf=5), X_test)


def sigma2_rho(T):
    """T[r, b, j]：训练集 r 上第 b 棵树在测试点 j 的预测。返回每个测试点的 σ² 与 ρ。"""
    Rr, Bb, _ = T.shape
    D = T - T.mean(axis=(0, 1))
    s2 = (D ** 2).mean(axis=(0, 1))
    S = D.sum(axis=1)                                         # 同一训练集内：Σ_{b≠b'} D_b D_b' = S² − Σ D_b²
    cov = ((S ** 2 - (D ** 2).sum(axis=1)) / (Bb * (Bb - 1))).mean(axis=0)
    return s2, cov / s2

# %% [markdown]
# ## 森林的方差符合 ρσ² + (1 − ρ)σ²/B {#formula-check}
#
# 用前 20 个训练集估计每个测试点的 σ² 与 ρ，代入公式预测 B = 20 的森林方差；
# 再在另外 20 个训练集上直接测森林预测（20 棵树的平均）的方差，对 100 个测试点取平均比较。

# %%
half = R // 2
stats = {}
for name, T in tree_preds.items():
    s2, rho = sigma2_rho(T[:half])
    predicted = averaged_variance(s2, rho, B).mean()
    measured = T[half:].mean(axis=1).var(axis=0).mean()
    s2_all, rho_all = sigma2_rho(T)
    stats[name] = {"sigma2": s2_all.mean(), "rho": np.average(rho_all, weights=s2_all),
                   "pred": predicted, "meas": measured,
                   "bias2": np.mean((T.mean(axis=(0, 1)) - f_test) ** 2),
                   "var_all": T.mean(axis=1).var(axis=0).mean()}
    print(f"{name:8s} sigma^2 = {stats[name]['sigma2']:6.2f}  rho = {stats[name]['rho']:.3f}  "
          f"formula -> Var = {predicted:.2f}, measured on held-out datasets = {measured:.2f}")
    assert abs(predicted - measured) / measured < 0.15

single_var = single.var(axis=0).mean()
single_bias2 = np.mean((single.mean(axis=0) - f_test) ** 2)
print(f"single deep tree: Var = {single_var:.2f}")
bag, rf = stats["bagging"], stats["forest"]
assert rf["rho"] < bag["rho"] / 1.5                 # 特征子采样让树之间的相关性明显变小
assert rf["sigma2"] > bag["sigma2"]                 # 代价：每棵树自己更“随机”，方差更大
assert bag["var_all"] < single_var / 3 and rf["var_all"] < single_var / 3

# %% [markdown]
# B 从 1 增加到 20，森林方差从 σ² 迅速降到接近下限 ρσ²：再加树只能逼近这个下限，
# 要继续降方差只能降低 ρ（特征子采样）。下图的点是实测（取每个森林的前 B 棵树），线是公式。

# %%
Bs = np.array([1, 2, 3, 5, 8, 12, 20])
#| alt: 横轴是森林里的树数 B、纵轴是对数刻度的预测方差：bagging 与随机森林的实测点都落在各自的公式曲线 ρσ²+(1−ρ)σ²/B 上，随 B 增大下降并趋于各自的下限 ρσ²（虚线），随机森林的下限更低；灰色水平线是单棵深树的方差，远高于两种森林
fig, ax = plt.subplots()
for name, color in (("bagging", "C0"), ("forest", "C1")):
    T = tree_preds[name]
    s2, rho = sigma2_rho(T)
    meas = [T[:, :b].mean(axis=1).var(axis=0).mean() for b in Bs]
    curve = [averaged_variance(s2, rho, b).mean() for b in range(1, B + 1)]
    label = "bagging (all 6 features)" if name == "bagging" else "random forest (2 of 6)"
    ax.plot(range(1, B + 1), curve, color=color, label=label)
    ax.plot(Bs, meas, "o", color=color)
    ax.axhline((rho * s2).mean(), color=color, ls="--", lw=1)
    for b, v in zip(Bs, meas):
        assert abs(v - averaged_variance(s2, rho, b).mean()) / v < 0.08
ax.axhline(single_var, color="gray", ls=":", label="single deep tree")
ax.set_yscale("log")
ax.set_xlabel("number of trees B")
ax.set_ylabel("variance of prediction")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 降了方差，偏差呢 {#bias}
#
# 平均不改变偏差：森林的期望预测就是单棵 bootstrap 树的期望预测（bootstrap 树只见到约 63% 的不同样本，
# 偏差比用全部数据的树略高）。特征子采样让每棵树更弱，偏差进一步上升；
# 总误差谁更低取决于数据，所以每个节点看几个特征（`max_features`）是要调的超参数。

# %%
print(f"{'model':18s} {'bias^2':>7s} {'variance':>9s} {'bias^2+var':>11s}")
print(f"{'single deep tree':18s} {single_bias2:7.2f} {single_var:9.2f} {single_bias2 + single_var:11.2f}")
for name in ("bagging", "forest"):
    s = stats[name]
    print(f"{name:18s} {s['bias2']:7.2f} {s['var_all']:9.2f} {s['bias2'] + s['var_all']:11.2f}")
assert rf["bias2"] > bag["bias2"]
assert min(bag["bias2"] + bag["var_all"], rf["bias2"] + rf["var_all"]) < single_bias2 + single_var

# %% [markdown]
# ## OOB 误差约等于测试误差 {#oob}
#
# 每棵树的 bootstrap 样本平均只含约 63.2% 的不同样本，剩下约 36.8% 的“袋外”样本没参与这棵树的训练。
# 对每个训练样本只用没见过它的树来预测，得到的 OOB 误差是测试误差的一个几乎免费的估计。

# %%
r_oob = np.random.default_rng(5)
X = r_oob.random((200, d))
y = friedman1(X) + r_oob.normal(size=200)
trees, in_bag = fit_forest(X, y, 60, min_samples_leaf=5, max_features=2, rng=r_oob)
X_new = r_oob.random((4000, d))
y_new = friedman1(X_new) + r_oob.normal(size=4000)
new_preds = np.array([predict_tree(t, X_new) for t in trees])
oob_curve, test_curve = [], []
for b in range(5, 61, 5):
    o = oob_predict(trees[:b], in_bag[:b], X)
    ok = ~np.isnan(o)
    oob_curve.append(np.mean((o[ok] - y[ok]) ** 2))
    test_curve.append(np.mean((new_preds[:b].mean(axis=0) - y_new) ** 2))
frac_in_bag = (in_bag > 0).mean()
print(f"fraction of distinct samples in a bootstrap sample: {frac_in_bag:.3f} (1 - 1/e = {1 - np.exp(-1):.3f})")
print(f"60 trees: OOB MSE = {oob_curve[-1]:.2f}, test MSE on 4000 new points = {test_curve[-1]:.2f}")
assert abs(frac_in_bag - (1 - np.exp(-1))) < 0.01
assert abs(oob_curve[-1] - test_curve[-1]) / test_curve[-1] < 0.15

#| alt: 横轴是树数 5 到 60、纵轴是均方误差：OOB 误差（圆点）与 4000 个新样本上的测试误差（方块）都随树数增加而下降并趋平，两条线贴得很近；树少时 OOB 偏高，因为每个样本只有少数几棵树能给它做 OOB 预测
fig, ax = plt.subplots()
ax.plot(range(5, 61, 5), oob_curve, "o-", label="OOB MSE")
ax.plot(range(5, 61, 5), test_curve, "s--", label="test MSE (new data)")
ax.set_xlabel("number of trees")
ax.set_ylabel("mean squared error")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## AdaBoost：训练误差被指数损失压住 {#adaboost}
#
# AdaBoost 每轮的样本权重正是指数损失 e^{−y F(x)} 归一化后的值，所以训练集上的平均指数损失恰好等于
# 各轮归一化因子之积 ∏ Z_t，Z_t = 2√(ε_t(1 − ε_t))。因为 1{yF ≤ 0} ≤ e^{−yF}，训练误差不超过这个积；
# 只要每轮的加权错误率 ε_t 都小于 0.5，上界就指数下降。下面用决策树桩在二维圆形边界上验证。

# %%
r_ada = np.random.default_rng(6)
Xa = r_ada.uniform(-1, 1, (300, 2))
ya = np.where((Xa ** 2).sum(axis=1) < 0.5, 1, -1)
flip = r_ada.random(300) < 0.05
ya[flip] *= -1                                                   # 5% 标签噪声
stumps, eps, Z = adaboost_stumps(Xa, ya, 60)
train_err, exp_loss = [], []
for t in range(1, 61):
    F = adaboost_score(stumps[:t], Xa)
    train_err.append(np.mean(np.sign(F) != ya))
    exp_loss.append(np.mean(np.exp(-ya * F)))
train_err, exp_loss, bound = np.array(train_err), np.array(exp_loss), np.cumprod(Z)
assert np.allclose(exp_loss, bound, rtol=1e-9)                   # 平均指数损失 = ∏ Z_t
assert np.allclose(Z, 2 * np.sqrt(eps * (1 - eps)))
assert np.all(train_err <= bound + 1e-12) and np.all(eps < 0.5)
print(f"after 60 rounds: training error {train_err[-1]:.3f}, bound prod Z_t = {bound[-1]:.3f}, "
      f"weighted errors eps_t in [{eps.min():.2f}, {eps.max():.2f}]")

#| alt: 横轴是 AdaBoost 轮数 1 到 60、纵轴是对数刻度：训练误差（阶梯状实线）始终在指数损失上界 ∏Z_t（虚线）之下，两者都随轮数下降，上界平滑地指数下降
fig, ax = plt.subplots()
ax.semilogy(range(1, 61), train_err + 1e-3, "-", label="training error")
ax.semilogy(range(1, 61), bound, "--", label="bound $\\prod_t Z_t$ = mean exp loss")
ax.set_xlabel("boosting round t")
ax.set_ylabel("value")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 用一半训练集估出的 σ² 和 ρ 代入 ρσ² + (1 − ρ)σ²/B，预测的森林方差与另一半训练集上的实测相差不到 15%；
#   随 B 变化的整条曲线与实测相差不到 8%。
# - 每个节点只看 2 个特征让树间相关系数 ρ 明显下降，单棵树的方差 σ² 上升；两种森林的方差都不到单棵深树的 1/3。
# - 平均不降偏差，特征子采样还会抬高偏差：`max_features` 要调。
# - bootstrap 样本里约 63.2% 是不同样本；OOB 误差与新数据上的测试误差相差不到 15%。
# - AdaBoost 的平均指数损失恰好是 ∏ Z_t，训练误差始终在它之下。
