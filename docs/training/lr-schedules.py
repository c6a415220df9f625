# %% [markdown]
# ---
# description: 画出 warmup + 余弦、WSD、线性衰减到 0 三种学习率调度并在关键点检验公式；用蒙特卡洛说明 Adam 前几步的更新幅度最大（第 1 步就是 sign），RAdam 的整流系数怎样自动“预热”，并在一个确定性的小实验里对比有无 warmup 的 loss 尖峰。
# tags:
#   - 学习率
#   - warmup
#   - WSD
#   - 优化器
#   - 动手验证
# ---
# # 学习率调度与 warmup
#
# 对应问题：[学习率为什么要预热？](optimizers.md#lr-warmup)、[余弦、WSD 与线性衰减](optimizers.md#lr-schedules)
#
# ## 三种调度 {#schedules}
#
# 总步数 T = 10000，warmup W = 500，峰值 η = 3e-4。余弦降到峰值的 10 %；WSD 在最后 10 % 的步数里线性降到 10 %；
# 线性衰减直接降到 0。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.optimizers import adam, radam_rectifier
from snippets.training.schedules import lr_at

T, W, peak = 10_000, 500, 3e-4
steps = np.arange(T + 1)
cos = lr_at(steps, T, peak, W, "cosine", min_ratio=0.1)
wsd = lr_at(steps, T, peak, W, "wsd", min_ratio=0.1, decay_frac=0.1)
lin = lr_at(steps, T, peak, W, "linear", min_ratio=0.0)

# key points of the formulas
assert cos[0] == 0 and np.isclose(cos[W // 2], peak / 2) and np.isclose(cos[W], peak)
mid = W + (T - W) // 2
assert np.isclose(cos[mid], peak * (0.1 + 0.9 * 0.5))          # half-way through the decay: the average
assert np.isclose(cos[T], 0.1 * peak) and np.all(np.diff(cos[W:]) <= 0)
assert np.allclose(wsd[W:9000 + 1], peak) and np.isclose(wsd[9500], peak * 0.55) and np.isclose(wsd[T], 0.1 * peak)
assert np.isclose(lin[T], 0.0) and np.isclose(lin[mid], peak / 2)
# how much "learning-rate area" each schedule spends
area = {k: v.sum() / (peak * T) for k, v in [("cosine", cos), ("WSD", wsd), ("linear", lin)]}
print("area under lr / (peak * T):", {k: round(float(a), 3) for k, a in area.items()})
assert area["WSD"] > area["cosine"] > area["linear"]

fig, ax = plt.subplots()
ax.plot(steps, cos / peak, label="warmup + cosine (to 10%)")
ax.plot(steps, wsd / peak, label="WSD (last 10% decays)")
ax.plot(steps, lin / peak, "--", label="linear decay to 0")
ax.set_xlabel("step")
ax.set_ylabel("lr / peak lr")
ax.legend(loc="lower left")
#| alt: 三条学习率曲线，横轴为训练步数（0 到 10000），纵轴为学习率与峰值之比：三者前 500 步都线性升到 1；余弦曲线随后平滑降到 0.1，WSD 一直保持 1 直到第 9000 步再线性降到 0.1，线性衰减从 1 直线降到 0
plt.show()

# %% [markdown]
# ## Adam 的前几步最“大” {#early-steps}
#
# 梯度是纯噪声 g ~ N(0, 1) 时，Adam 的归一化更新 u_t = m̂_t/√v̂_t 在第 1 步恰好是 sign(g)，均方根为 1；
# 之后 m 对噪声做平均而 v 不会，均方根降到 √((1−β1)/(1+β1)) ≈ 0.23。也就是说，自适应学习率 1/√v̂ 在只见过一两个样本时最不可靠，
# 而 Adam 恰恰在这时迈出最大的步子。RAdam 用整流系数 r_t 压低这些步：ρ_t ≤ 4（前 4 步）时 r_t = 0，之后缓慢升向 1。

# %%
rng = np.random.default_rng(0)
runs, n = 4000, 300
b1, b2 = 0.9, 0.999
m = np.zeros(runs)
v = np.zeros(runs)
rms = []
for t in range(1, n + 1):
    g = rng.standard_normal(runs)
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    u = (m / (1 - b1 ** t)) / np.sqrt(v / (1 - b2 ** t))
    rms.append(np.sqrt(np.mean(u ** 2)))
rms = np.array(rms)
steady = np.sqrt((1 - b1) / (1 + b1))
print(f"RMS of Adam's update on pure noise: t=1 {rms[0]:.3f}, t=10 {rms[9]:.3f}, t=300 {rms[-1]:.3f} (theory {steady:.3f})")
assert np.isclose(rms[0], 1.0) and abs(rms[-1] / steady - 1) < 0.1 and rms[9] > 1.3 * steady

r = radam_rectifier(np.arange(1, 20001))
first = np.argmax(r > 0) + 1
print(f"RAdam: r_t = 0 for t < {first}; r_t at t = 10, 100, 1000, 10000: {np.round(r[[9, 99, 999, 9999]], 3)}")
assert first == 5 and np.all(np.diff(r[first - 1:]) > 0) and r[99] < 0.25 and r[-1] > 0.99

# %% [markdown]
# ## 有无 warmup 的 loss 尖峰 {#warmup-spike}
#
# 高维逻辑回归（d = 1000，n = 2000，batch 16），Adam 峰值学习率 0.02，常数调度。不加 warmup 时，前十几步每个坐标都以约 η 的幅度移动，
# 带噪的方向在 1000 维里累积，logits 被推得很大，损失先**升**到初值的 1.4 倍再回落；线性 warmup 100 步后损失从不超过初值。
# 同一个峰值学习率在 warmup 之后是稳定的：问题只出在开头。

# %%
data = np.random.default_rng(1)
n_ex, dim = 2000, 1000
X = data.standard_normal((n_ex, dim))
w_true = data.standard_normal(dim) * 3 / np.sqrt(dim)
y = (X @ w_true > 0).astype(float)
X_eval, y_eval = X[:256], y[:256]


def eval_loss(w):
    z = X_eval @ w
    return np.mean(np.logaddexp(0, z) - y_eval * z)


def train(warmup, peak_lr=0.02, steps=400, batch=16, seed=1):
    order = np.random.default_rng(seed)
    w, st, losses, step_rms = np.zeros(dim), {}, [], []
    for t in range(steps):
        idx = order.integers(0, n_ex, batch)
        p = 1 / (1 + np.exp(-X[idx] @ w))
        g = X[idx].T @ (p - y[idx]) / batch
        losses.append(eval_loss(w))
        w_new = adam(w, g, st, lr_at(t, steps, peak_lr, warmup, "constant"))
        step_rms.append(np.sqrt(np.mean((w_new - w) ** 2)))
        w = w_new
    return np.array(losses), np.array(step_rms)


L0 = np.log(2)
no_warm, rms_no = train(warmup=0)
warm, rms_w = train(warmup=100)
print(f"max loss: no warmup {no_warm.max():.3f} (step {no_warm.argmax()}), warmup {warm.max():.3f}; initial {L0:.3f}")
assert no_warm[:50].max() > 1.3 * L0            # early spike without warmup
assert warm.max() <= L0 + 1e-9                  # never above the initial loss with warmup
assert rms_no[:5].mean() > 3 * rms_w[:5].mean() and rms_no.argmax() < 5   # the largest steps come first

fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True, layout="constrained")
axes[0].plot(no_warm, label="no warmup")
axes[0].plot(warm, label="100-step warmup")
axes[0].axhline(L0, color="gray", ls=":")
axes[0].set_ylabel("eval loss")
axes[0].legend(loc="upper right")
axes[1].semilogy(rms_no, label="no warmup")
axes[1].semilogy(rms_w, label="100-step warmup")
axes[1].set_xlabel("step")
axes[1].set_ylabel("RMS of the update")
#| alt: 上图是两条评估损失曲线：不加 warmup 时损失在前 20 步左右从 0.69 升到约 0.95 再回落，加 100 步 warmup 时损失单调下降、从不超过初值；下图是每步更新幅度的均方根（对数纵轴）：不加 warmup 时第 1 步最大、随后下降，加 warmup 时更新幅度从很小逐渐增大
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 余弦、WSD、线性衰减的公式在 warmup 终点、衰减中点和终点的取值都与定义一致；WSD 花在高学习率上的“面积”最多。
# - 纯噪声梯度下 Adam 的更新均方根从第 1 步的 1 降到约 0.23：自适应学习率最不可靠的时候步子最大。RAdam 的 r_t 前 4 步为 0，第 100 步仍不到 0.25。
# - 同一个峰值学习率，不加 warmup 时开头出现 loss 尖峰，加 100 步 warmup 后损失从不超过初值。
