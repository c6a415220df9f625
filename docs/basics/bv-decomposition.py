# %% [markdown]
# ---
# description: 在已知真函数和噪声的合成问题上，用 2000 个训练集实测多项式回归的偏差²、方差与噪声，验证三者之和等于期望测试误差；再复现最小范数回归的双下降，并演示交叉验证之外做特征选择与调参带来的乐观偏差。
# tags: [偏差方差, 交叉验证, 双下降, 数据泄漏, 动手验证]
# ---
# # 动手验证：偏差–方差分解、双下降与交叉验证的泄漏
#
# 对应问题：[偏差–方差分解是什么？](bias-variance.md#bias-variance-decomposition)、
# [双下降是什么？](bias-variance.md#double-descent)、[交叉验证里的数据泄漏](bias-variance.md#data-leakage)、
# [嵌套交叉验证](bias-variance.md#nested-cross-validation)
#
# ## 实验设置 {#setup}
#
# 真函数 f(x) = sin(πx)，x ~ U[-1, 1]，观测 y = f(x) + ε，ε ~ N(0, 0.3²)。每个训练集 n = 30 个点，
# 共抽 R = 2000 个训练集，对每个训练集拟合 0 到 8 次多项式（Legendre 基最小二乘）。
# 在 [-1, 1] 上 200 个等距测试点上统计：每个测试点配一个新的带噪声标签，算出实测的期望测试误差，
# 再和 bias² + variance + σ² 比较。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.basics.classic import bias_variance_decomposition, fit_poly, poly_features

rng = np.random.default_rng(0)
f = lambda x: np.sin(np.pi * x)
sigma, n, R = 0.3, 30, 2000
x_test = np.linspace(-1, 1, 200)
f_test = f(x_test)
degrees = np.arange(9)

rows = []
preds_by_degree = {}
for deg in degrees:
    preds = np.empty((R, len(x_test)))
    sq_err = np.empty(R)
    r_data = np.random.default_rng(1)          # 每个次数用同一批训练集
    for r in range(R):
        x = r_data.uniform(-1, 1, n)
        y = f(x) + sigma * r_data.normal(size=n)
        preds[r] = poly_features(x_test, deg) @ fit_poly(x, y, deg)
        y_test = f_test + sigma * rng.normal(size=len(x_test))   # 新鲜的测试标签
        sq_err[r] = np.mean((y_test - preds[r]) ** 2)
    dec = bias_variance_decomposition(preds, f_test, sigma ** 2)
    dec["measured"] = sq_err.mean()
    dec["se"] = sq_err.std(ddof=1) / np.sqrt(R)
    rows.append(dec)
    preds_by_degree[deg] = preds

print(" deg    bias^2  variance   noise    sum    measured (± s.e.)")
for deg, d in zip(degrees, rows):
    print(f"{deg:4d}  {d['bias2']:8.4f} {d['variance']:8.4f} {d['noise']:7.3f} {d['total']:8.4f}"
          f"  {d['measured']:8.4f} ± {d['se']:.4f}")

# %% [markdown]
# ## 三项之和等于实测的期望测试误差 {#decomposition-check}
#
# 实测误差与 bias² + variance + σ² 之差都在 4 个标准误之内（差来自测试噪声的抽样）。
# 偏差² 随次数增大而下降，方差随次数增大而上升，总误差在中间的次数取到最小。
# sin(πx) 是奇函数，偶次项几乎不降偏差却增加方差，所以曲线在奇偶次之间有锯齿；方差也不严格单调：
# 训练点 x 是随机的，“方差”里还含有模型设定偏差随训练集 x 的分布而变的那一部分。

# %%
bias2 = np.array([d["bias2"] for d in rows])
var = np.array([d["variance"] for d in rows])
total = np.array([d["total"] for d in rows])
measured = np.array([d["measured"] for d in rows])
se = np.array([d["se"] for d in rows])

assert np.all(np.abs(measured - total) < 4 * se + 1e-12)
best = int(np.argmin(total))
assert 0 < best < degrees[-1]                          # U 形：最优复杂度在中间
assert bias2[0] > 50 * bias2[best] and bias2[1] > 10 * bias2[best]     # 简单模型：偏差主导
assert var[-1] > 10 * var[best] and var[-1] > bias2[-1]                # 复杂模型：方差主导
print(f"best degree = {best}: bias^2 = {bias2[best]:.4f}, variance = {var[best]:.4f}, "
      f"total = {total[best]:.4f} (noise floor {sigma**2:.2f})")
print(f"degree 1: bias^2 = {bias2[1]:.3f}, variance = {var[1]:.4f}; degree 8: bias^2 = {bias2[8]:.4f}, "
      f"variance = {var[8]:.3f}")

#| alt: 横轴是多项式次数 0 到 8、纵轴是对数刻度的误差：偏差平方随次数下降，方差随次数上升，噪声是 0.09 的水平线，三者之和（黑色实线）与实测测试误差（圆点）重合，呈 U 形，在 3 次时最低；图例在图下方
fig, ax = plt.subplots(figsize=(4.8, 4.0), layout="constrained")
ax.semilogy(degrees, bias2, "s--", label="bias$^2$")
ax.semilogy(degrees, var, "^--", label="variance")
ax.axhline(sigma ** 2, color="gray", ls=":", label="noise $\\sigma^2$")
ax.semilogy(degrees, total, "-", color="k", label="bias$^2$ + var + noise")
ax.semilogy(degrees, measured, "o", color="C3", label="measured test MSE")
ax.set_xlabel("polynomial degree")
ax.set_ylabel("error")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
ax.set_ylim(5e-5, 50)
plt.show()

# %% [markdown]
# ## 高偏差与高方差长什么样 {#fits}
#
# 同样 20 个训练集：1 次多项式的拟合彼此很接近但整体偏离 sin(πx)（高偏差、低方差）；
# 8 次多项式的平均很接近真函数，单个拟合却在两端剧烈摆动（低偏差、高方差）。

# %%
#| alt: 上下两张图，各画 20 条灰色的拟合曲线、一条黑色真函数 sin(πx) 和一条红色平均拟合：上图 1 次多项式的灰线挤在一起但都是直线、偏离真函数；下图 8 次多项式的灰线在两端上下乱甩，但红色平均几乎与真函数重合
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True, layout="constrained")
for ax, deg in zip(axes, (1, 8)):
    for r in range(20):
        ax.plot(x_test, preds_by_degree[deg][r], color="0.7", lw=0.8)
    ax.plot(x_test, f_test, "k", lw=2, label="true f")
    ax.plot(x_test, preds_by_degree[deg].mean(axis=0), "C1--", lw=2, label="mean fit")
    ax.set_title(f"degree {deg}")
    ax.set_ylim(-2, 2)
    ax.legend(loc="lower right")
axes[1].set_xlabel("x")
plt.show()

# %% [markdown]
# ## 双下降：最小范数回归越过插值阈值之后 {#double-descent-demo}
#
# 用“弱特征”线性模型复现双下降：真实模型 y = x·β + ε，x 有 D = 400 个独立标准正态分量，
# β 的每个分量相同（‖β‖ = 1），噪声 σ = 0.5，训练集 n = 40。模型只用前 p 个特征做最小二乘；
# p > n 时方程欠定，取范数最小的解 $\hat\beta=X^\top(XX^\top)^{-1}y$。x 各向同性，所以测试风险
# = ‖β̂ - β‖² + σ²，可以精确算出。对 30 个训练集取中位数。

# %%
n_dd, D, sig_dd, S = 40, 400, 0.5, 30
beta = np.ones(D) / np.sqrt(D)
ps = np.unique(np.r_[np.arange(2, n_dd - 3, 4), np.arange(n_dd - 3, n_dd + 4),
                     np.round(np.geomspace(n_dd + 5, D, 12)).astype(int)])
risk = np.empty((S, len(ps)))
r_dd = np.random.default_rng(2)
for s in range(S):
    X = r_dd.normal(size=(n_dd, D))
    y = X @ beta + sig_dd * r_dd.normal(size=n_dd)
    for i, p in enumerate(ps):
        Xp = X[:, :p]
        if p <= n_dd:
            b = np.linalg.solve(Xp.T @ Xp, Xp.T @ y)          # 普通最小二乘（p = n 时是插值）
        else:
            b = Xp.T @ np.linalg.solve(Xp @ Xp.T, y)          # 最小范数插值
        err = beta.copy()
        err[:p] -= b
        risk[s, i] = err @ err + sig_dd ** 2
med = np.median(risk, axis=0)

peak = ps[int(np.argmax(med))]
under_best = med[ps < n_dd].min()
print(f"peak at p = {peak} (n = {n_dd}); median risk there = {med.max():.1f}")
print(f"best p < n: {under_best:.3f}; p = D = {D}: {med[-1]:.3f}; null model (predict 0): {1 + sig_dd**2:.3f}")
assert abs(peak - n_dd) <= 1                       # 峰值在插值阈值 p = n
assert med[-1] < med[ps == n_dd][0] / 10           # 越过阈值后风险重新下降
assert np.all(np.diff(med[ps >= n_dd + 5]) < 0)    # p > n 之后单调下降
assert med[-1] < under_best                        # 这个设定下，过参数化一端比欠参数化的最好点还低

#| alt: 横轴是对数刻度的特征数 p、纵轴是对数刻度的测试风险中位数：p 小于 40 时风险随 p 缓慢上升，在 p = n = 40 处出现尖峰（插值阈值，竖虚线），之后随 p 增大单调下降，到 p = 400 时降到约 1.2
fig, ax = plt.subplots()
ax.loglog(ps, med, "o-", ms=4)
ax.axvline(n_dd, color="gray", ls="--", label="p = n (interpolation threshold)")
ax.axhline(1 + sig_dd ** 2, color="C2", ls=":", label="null predictor")
ax.set_xlabel("number of features p")
ax.set_ylabel("test risk (median)")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# 这个设定下 p = D 时的风险略低于 p < n 里最好的风险，但只低一点，也只比“全部预测 0”好一点：
# 双下降说明“过参数化不一定过拟合”，不等于“越大越好”。第二次下降能否低于第一个谷底取决于信噪比和
# β 在特征上的分布；加适量的岭正则，p = n 处的尖峰会被削平。
#
# ## 交叉验证之外做特征选择：纯噪声上也能“学”到 {#leakage}
#
# 标签完全随机（50 个样本、两类各半），特征是 2000 维纯噪声，任何方法的真实准确率都是 50%。
# 错误做法：先用**全部数据**挑出与标签相关性最高的 20 个特征，再做 5 折交叉验证；
# 正确做法：每一折只用该折的训练部分挑特征。分类器用最近类中心。

# %%
def nearest_centroid_acc(Xtr, ytr, Xva, yva):
    c0, c1 = Xtr[ytr == 0].mean(axis=0), Xtr[ytr == 1].mean(axis=0)
    pred = (((Xva - c1) ** 2).sum(1) < ((Xva - c0) ** 2).sum(1)).astype(int)
    return np.mean(pred == yva)


def top_features(X, y, m):
    Xc, yc = X - X.mean(0), y - y.mean()
    corr = np.abs(Xc.T @ yc) / (np.linalg.norm(Xc, axis=0) * np.linalg.norm(yc))
    return np.argsort(-corr)[:m]


from snippets.basics.classic import stratified_kfold_indices

r_leak = np.random.default_rng(3)
wrong, right = [], []
for rep in range(20):
    Xn = r_leak.normal(size=(50, 2000))
    yn = r_leak.permutation(np.r_[np.zeros(25, int), np.ones(25, int)])
    sel_all = top_features(Xn, yn, 20)                 # 泄漏：用了验证折的标签
    for tr, va in stratified_kfold_indices(yn, 5, r_leak):
        wrong.append(nearest_centroid_acc(Xn[tr][:, sel_all], yn[tr], Xn[va][:, sel_all], yn[va]))
        sel = top_features(Xn[tr], yn[tr], 20)          # 正确：只用训练折
        right.append(nearest_centroid_acc(Xn[tr][:, sel], yn[tr], Xn[va][:, sel], yn[va]))
print(f"feature selection on all data, then CV: accuracy {np.mean(wrong):.3f}")
print(f"feature selection inside each fold:      accuracy {np.mean(right):.3f}  (truth: 0.5)")
assert np.mean(wrong) > 0.85
assert abs(np.mean(right) - 0.5) < 0.05

# %% [markdown]
# ## 用同一个 CV 分数既调参又报告：乐观偏差 {#nested-cv}
#
# 还是纯噪声数据。候选“模型”是 40 个随机的 5 维特征子集（相当于 40 组超参数），
# 用 5 折 CV 选出分数最高的那个。直接报告这个最高 CV 分数是乐观的；
# 嵌套 CV 在外层每一折上重新做一遍内层选择，只用外层验证折打分。

# %%
def cv_score(X, y, cols, rng):
    return np.mean([nearest_centroid_acc(X[tr][:, cols], y[tr], X[va][:, cols], y[va])
                    for tr, va in stratified_kfold_indices(y, 5, rng)])


r_nest = np.random.default_rng(4)
naive, nested = [], []
for rep in range(15):
    Xn = r_nest.normal(size=(60, 200))
    yn = r_nest.permutation(np.r_[np.zeros(30, int), np.ones(30, int)])
    subsets = [r_nest.choice(200, size=5, replace=False) for _ in range(40)]
    naive.append(max(cv_score(Xn, yn, c, r_nest) for c in subsets))
    outer = []
    for tr, va in stratified_kfold_indices(yn, 5, r_nest):
        best_c = max(subsets, key=lambda c: cv_score(Xn[tr], yn[tr], c, r_nest))   # 内层只看训练折
        outer.append(nearest_centroid_acc(Xn[tr][:, best_c], yn[tr], Xn[va][:, best_c], yn[va]))
    nested.append(np.mean(outer))
print(f"best-of-40 CV score reported directly: {np.mean(naive):.3f}")
print(f"nested CV estimate:                    {np.mean(nested):.3f}  (truth: 0.5)")
assert np.mean(naive) > 0.6
assert abs(np.mean(nested) - 0.5) < 0.05

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 对每个次数，bias² + variance + σ² 与实测的期望测试误差在蒙特卡洛误差内相等；偏差随复杂度降、方差随复杂度升，
#   总误差呈 U 形。
# - 最小范数回归的测试风险在插值阈值 p = n 处出现尖峰，越过之后单调下降：这就是双下降。
# - 在全部数据上挑特征再做交叉验证，纯噪声也能得到 85% 以上的“准确率”；把特征选择放进每一折就回到 50%。
# - 用同一组 CV 分数选 40 个候选里最好的并直接报告，会高估；嵌套 CV 给出接近 50% 的无偏估计。
