# %% [markdown]
# ---
# description: 在一个过度自信的合成分类器上画可靠性图，比较 Platt scaling 与自己实现的保序回归（PAV）前后的 ECE，检验 ECE 分桶估计的偏差；再模拟点击数据，负样本按比例 w 下采样后训练逻辑回归，验证原始概率被抬高、q = p/(p + (1−p)/w) 还原后与真实点击率一致。
# tags: [校准, ECE, Platt scaling, 保序回归, CTR, 负采样, 动手验证]
# ---
# # 动手验证：概率校准与负采样后的 CTR 还原
#
# 对应问题：[模型校准是什么？](imbalance-calibration.md#model-calibration)、
# [Platt 和保序回归怎么选？](imbalance-calibration.md#platt-vs-isotonic)、[ECE 的缺陷](imbalance-calibration.md#ece)、
# [负采样后 CTR 怎么校准？](imbalance-calibration.md#negative-sampling-calibration)
#
# ## 一个过度自信的分类器 {#setup}
#
# 样本的真实正例概率是 q = σ(z)，z ~ N(0, 1.5²)。分类器看到的信息没问题（排序正确），
# 但输出被扭曲成 s = σ(3z + 0.5)：logit 放大 3 倍（过度自信）再整体上移。
# 校准集（拟合校准映射）和测试集（评估）互不重叠。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.basics.calibration import (apply_platt, downsampling_correction, expected_calibration_error,
                                         fit_platt, isotonic_pav, negative_downsample, predict_isotonic,
                                         reliability_curve)
from snippets.basics.classic import fit_logistic, sigmoid
from snippets.metrics.auc import auc_rank

rng = np.random.default_rng(0)


def make_data(n, rng, distort):
    z = rng.normal(0, 1.5, n)
    y = (rng.random(n) < sigmoid(z)).astype(float)
    return distort(z), y


def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


overconfident = lambda z: sigmoid(3 * z + 0.5)
s_cal, y_cal = make_data(5000, rng, overconfident)
s_te, y_te = make_data(50000, rng, overconfident)   # 测试集大，ECE 的分桶噪声小

A, B = fit_platt(logit(s_cal), y_cal)
p_platt = apply_platt(logit(s_te), A, B)
starts, vals = isotonic_pav(s_cal, y_cal)
p_iso = predict_isotonic(starts, vals, s_te)

ece = {name: expected_calibration_error(y_te, p, n_bins=15)
       for name, p in (("raw", s_te), ("Platt", p_platt), ("isotonic", p_iso))}
auc = {name: auc_rank(y_te, p) for name, p in (("raw", s_te), ("Platt", p_platt), ("isotonic", p_iso))}
for name in ece:
    print(f"{name:9s} ECE (15 bins) = {ece[name]:.4f}   AUC = {auc[name]:.4f}")
print(f"Platt fit: P = 1/(1 + exp(A f + B)) with A = {A:.3f}, B = {B:.3f}  (ideal: A = -1/3, B = 0.5/3)")
assert ece["Platt"] < ece["raw"] / 5 and ece["isotonic"] < ece["raw"] / 5
assert abs(auc["Platt"] - auc["raw"]) < 1e-12          # 单调递增的变换不改变排序
assert auc["isotonic"] <= auc["raw"] + 1e-12            # 阶梯函数会造出并列，AUC 只可能略降
assert abs(A + 1 / 3) < 0.05 and abs(B - 0.5 / 3) < 0.05
assert np.all(np.diff(vals) >= 0)                       # PAV 的结果单调

#| alt: 可靠性图，横轴是平均预测概率、纵轴是桶内实际正例率：原始输出（方块）呈 S 形偏离对角线，低概率处高估不足、高概率处过度自信；Platt scaling（圆点）和保序回归（三角）校准后都贴在对角线上
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1], ":", color="gray", label="perfect calibration")
for name, p, marker in (("raw", s_te, "s"), ("Platt", p_platt, "o"), ("isotonic", p_iso, "^")):
    mp, fp, _ = reliability_curve(y_te, p, n_bins=15)
    ax.plot(mp, fp, marker + "-", ms=4, label=f"{name} (ECE {ece[name]:.3f})")
ax.set_xlabel("mean predicted probability")
ax.set_ylabel("fraction of positives")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 校准集小时 Platt 更稳，扭曲不是 S 形时保序回归更好 {#platt-isotonic-sizes}
#
# 两种扭曲：上面的 S 形扭曲（logit 上是线性的，Platt 的两参数模型恰好能表示），以及一个 logit 上有折点的扭曲：
# z < 0 时 s = σ(z)（已经校准），z > 0 时 s = σ(4z)（只在高分一侧过度自信），一条直线拟合不了两段斜率。
# 这里知道每个样本的真实概率 q，所以直接用 E|ĝ(s) − q| 衡量校准误差（不分桶，没有 ECE 的估计偏差）。
# 对校准集大小 50 到 20000 各重复 20 次取平均。

# %%
def kinked(z):
    return sigmoid(np.where(z < 0, z, 4 * z))


def make_data_q(n, rng, distort):
    z = rng.normal(0, 1.5, n)
    q = sigmoid(z)
    return distort(z), (rng.random(n) < q).astype(float), q


sizes = np.array([50, 200, 1000, 5000, 20000])
r_sz = np.random.default_rng(1)
results = {}
for dname, distort in (("sigmoid-shaped", overconfident), ("kinked", kinked)):
    s_t, _, q_t = make_data_q(20000, r_sz, distort)
    res = np.zeros((2, len(sizes)))
    for i, nc in enumerate(sizes):
        for rep in range(20):
            s_c, y_c, _ = make_data_q(int(nc), r_sz, distort)
            a, b = fit_platt(logit(s_c), y_c)
            st, vl = isotonic_pav(s_c, y_c)
            res[0, i] += np.mean(np.abs(apply_platt(logit(s_t), a, b) - q_t)) / 20
            res[1, i] += np.mean(np.abs(predict_isotonic(st, vl, s_t) - q_t)) / 20
    results[dname] = res
    print(f"{dname:15s} Platt:", np.round(res[0], 4), " isotonic:", np.round(res[1], 4))

sig, kin = results["sigmoid-shaped"], results["kinked"]
assert np.all(sig[0] < sig[1])          # 扭曲在 Platt 的模型族里：任何样本量下 Platt 都更好
assert kin[0, 0] < kin[1, 0]            # 50 个校准样本：即使模型族不对，Platt 也更稳
assert kin[1, -1] < kin[0, -1] / 2      # 折点扭曲 + 足够多的数据：保序回归明显更好
assert np.all(np.diff(kin[1]) < 0)      # 保序回归随数据增多持续改善，Platt 停在模型误差上

#| alt: 上下两张图，横轴是对数刻度的校准集大小 50 到 20000、纵轴是与真实概率的平均绝对误差：上图（S 形扭曲）Platt 在所有规模上都更低；下图（logit 上有折点的扭曲）小样本时 Platt 更低，但它停在一个平台降不下去，保序回归随样本增多持续下降，大样本时远低于 Platt
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True, layout="constrained")
for ax, (dname, res) in zip(axes, results.items()):
    ax.loglog(sizes, res[0], "o-", label="Platt scaling")
    ax.loglog(sizes, res[1], "^-", label="isotonic (PAV)")
    ax.set_title(f"{dname} distortion")
    ax.set_ylabel("mean |g(s) - q|")
    ax.legend(loc="upper right")
axes[1].set_xlabel("calibration set size")
plt.show()

# %% [markdown]
# ## ECE 的估计偏差：完美校准的模型也有正的 ECE {#ece-bias}
#
# 让标签就按预测概率生成（y ~ Bernoulli(p)），模型完美校准，真实 ECE 为 0。
# 分桶估计却总是正的：每个桶里的正例率有抽样噪声，取绝对值后不会相互抵消。样本越少、桶越多，偏差越大。

# %%
r_b = np.random.default_rng(2)
bias_table = {}
for nb in (10, 50):
    for n_eval in (200, 2000, 20000):
        vals_e = []
        for _ in range(100):
            p = r_b.random(n_eval)
            yb = (r_b.random(n_eval) < p).astype(float)
            vals_e.append(expected_calibration_error(yb, p, n_bins=nb))
        bias_table[(nb, n_eval)] = np.mean(vals_e)
        print(f"bins = {nb:2d}, n = {n_eval:5d}: mean ECE of a perfectly calibrated model = {np.mean(vals_e):.4f}")
assert bias_table[(10, 200)] > 0.03 and bias_table[(10, 20000)] < 0.01
assert all(bias_table[(50, n)] > bias_table[(10, n)] for n in (200, 2000, 20000))

# %% [markdown]
# ## 负采样后的 CTR：原始概率偏高，q = p/(p + (1−p)/w) 还原 {#ctr-downsampling}
#
# 模拟 40 万次曝光，3 个特征，真实点击概率 q = σ(−4.2 + x·β)（平均点击率约 2.5%）。
# 保留全部点击、负样本每个以 w = 0.05 的概率保留，在下采样后的数据上训练逻辑回归（带截距），
# 然后在**全部**曝光上比较模型的原始输出 p、还原后的 q̂ 与真实的 q。

# %%
r_ctr = np.random.default_rng(3)
N, w = 400_000, 0.05
beta = np.array([0.8, -0.5, 0.3])
Xc = r_ctr.normal(size=(N, 3))
q_true = sigmoid(-4.2 + Xc @ beta)
clicks = (r_ctr.random(N) < q_true).astype(float)
keep = negative_downsample(clicks, w, r_ctr)
Xd = np.c_[Xc[keep], np.ones(keep.sum())]
coef = fit_logistic(Xd, clicks[keep], lam=0.0)
p_raw = sigmoid(np.c_[Xc, np.ones(N)] @ coef)
q_hat = downsampling_correction(p_raw, w)

print(f"kept {keep.sum()} of {N} rows ({clicks.sum():.0f} clicks); CTR in the training sample = {clicks[keep].mean():.3f}")
print(f"empirical CTR = {clicks.mean():.4f}; mean raw p = {p_raw.mean():.4f}; mean corrected q = {q_hat.mean():.4f}")
print(f"fitted intercept = {coef[-1]:.3f}, true intercept - ln w = {-4.2 - np.log(w):.3f}; slopes = {np.round(coef[:3], 3)}")
rel_err = np.abs(q_hat - q_true) / q_true
print(f"median relative error of q_hat vs true q: {np.median(rel_err):.3f}")
assert p_raw.mean() > 10 * clicks.mean()                       # 不还原，预估点击率被抬高一个数量级
assert abs(q_hat.mean() / clicks.mean() - 1) < 0.05             # 还原后与真实点击率一致
assert abs(coef[-1] - (-4.2 - np.log(w))) < 0.1                  # 下采样只把截距平移了 -ln w
assert np.allclose(coef[:3], beta, atol=0.06)
assert np.median(rel_err) < 0.05
assert np.allclose(np.log(q_hat / (1 - q_hat)), np.log(p_raw / (1 - p_raw)) + np.log(w))
# 论文里的例子：平均点击率 0.1%，负样本按 0.01 下采样，训练集里的点击率约 9%（“大约 10%”），还原回 0.1%
ctr0, w0 = 0.001, 0.01
ctr_ds = ctr0 / (ctr0 + (1 - ctr0) * w0)
print(f"He et al. example: 0.1% CTR, w = 0.01 -> {ctr_ds:.3%} in the sample -> corrected {downsampling_correction(ctr_ds, w0):.4%}")
assert abs(downsampling_correction(ctr_ds, w0) - ctr0) < 1e-15

# %% [markdown]
# 另一种做法是训练时给保留下来的负样本加权 1/w（重要性加权），它直接学到原始分布下的概率，
# 不需要事后还原；两者在模型设定正确时给出几乎一样的概率。

# %%
sw = np.where(clicks[keep] == 1, 1.0, 1.0 / w)
coef_w = fit_logistic(Xd, clicks[keep], lam=0.0, sample_weight=sw)
q_w = sigmoid(np.c_[Xc, np.ones(N)] @ coef_w)
print(f"weighted training: mean q = {q_w.mean():.4f}; intercept = {coef_w[-1]:.3f}")
assert abs(q_w.mean() / clicks.mean() - 1) < 0.05
assert np.median(np.abs(q_w - q_hat) / q_hat) < 0.05

#| alt: 双对数坐标，横轴是真实点击率 q、纵轴是预估点击率（按 q 分桶取平均）：负采样训练后的原始输出（方块）整条线高出对角线约一个数量级，按公式还原后的 q̂（圆点）和负样本加权训练（三角）都落在对角线上
bins = np.quantile(q_true, np.linspace(0, 1, 16))
idx = np.clip(np.searchsorted(bins, q_true, side="right") - 1, 0, 14)
fig, ax = plt.subplots()
lo, hi = q_true.min(), 1.0
ax.plot([lo, hi], [lo, hi], ":", color="gray", label="y = x")
for arr, marker, label in ((p_raw, "s", "raw p (downsampled model)"), (q_hat, "o", "corrected q"),
                           (q_w, "^", "weighted training")):
    ax.loglog([q_true[idx == b].mean() for b in range(15)], [arr[idx == b].mean() for b in range(15)],
              marker, ms=5, label=label)
ax.set_xlabel("true click probability q")
ax.set_ylabel("predicted click probability")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 过度自信的分类器经 Platt scaling 或保序回归后，ECE 降到原来的 1/5 以下；Platt 是单调递增变换，AUC 不变。
# - 扭曲是 S 形（logit 线性）或校准集很小时 Platt 更好；扭曲超出 Platt 的模型族且校准数据充足时，保序回归明显更好。
# - 完美校准的模型在 200 个样本、10 个桶时 ECE 的期望也在 0.03 以上：比较模型的 ECE 要用同样的样本量和桶数。
# - 负样本按 w = 0.05 下采样后，模型的平均预估点击率比真实值高一个数量级；q = p/(p + (1−p)/w) 还原后与真实点击率相差不到 5%，
#   对逻辑回归来说这正好等于把截距平移 ln w。
