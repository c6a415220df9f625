# %% [markdown]
# ---
# description: 用 numpy 画出 softmax(z/T) 在不同温度下的分布与熵，验证熵随 T 单调不减、T→∞ 趋于 log n、T→0 趋于 one-hot，以及蒸馏里软目标梯度按 1/T² 缩小。
# tags:
#   - 基础
#   - Softmax
#   - 温度
#   - 知识蒸馏
#   - 动手验证
# ---
# # Softmax 温度：分布形状与熵
#
# 对应问题：[温度系数 T 对 softmax 分布有什么影响？](softmax.md#softmax-temperature)
#
# 结论先行：$p_T=\mathrm{softmax}(z/T)$ 的熵对 $T$ 单调不减，导数是
# $\frac{\mathrm{d}H}{\mathrm{d}T}=\frac{\mathrm{Var}_{p_T}(z)}{T^3}\ge 0$；
# $T\to\infty$ 时趋于均匀分布（熵 $\log n$），$T\to0$ 时趋于 argmax 的 one-hot（熵 0）。
#
# ## 实验设置 {#setup}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.softmax import entropy, softmax_temperature

rng = np.random.default_rng(0)
n = 8
z = np.sort(rng.normal(size=n) * 2)[::-1]      # 一组固定的 logits，降序排列便于看图
print("logits:", np.round(z, 2))

# %% [markdown]
# ## 不同温度下的分布 {#distributions}
#
# 同一组 logits 在五个温度下的概率（类别按 logit 从大到小排列）。

# %%
temps = [0.1, 0.5, 1, 2, 10]
fig, ax = plt.subplots()
for T in temps:
    p = softmax_temperature(z, T)
    ax.plot(np.arange(n), p, "o-", ms=4, label=f"T = {T}, H = {entropy(p):.2f}")
ax.set_xlabel("class (sorted by logit)")
ax.set_ylabel("probability")
ax.set_xticks(range(n))
ax.legend()
ax.set_title("softmax(z / T)")
#| alt: 同一组 8 个 logits 在 T=0.1、0.5、1、2、10 下的 softmax 概率折线：T=0.1 几乎全部概率在第一个类别上，T=10 的折线接近水平的均匀分布，熵随 T 增大
plt.show()

# %% [markdown]
# ## 熵随温度的变化 {#entropy-vs-t}

# %%
Ts = np.logspace(-2, 3, 400)
P = np.array([softmax_temperature(z, T) for T in Ts])
H = entropy(P)
pmax = P.max(axis=1)

fig, ax = plt.subplots()
ax.semilogx(Ts, H, label="entropy H(T)")
ax.axhline(np.log(n), ls="--", color="gray", label=f"log n = {np.log(n):.3f}")
ax.semilogx(Ts, pmax, label="max probability")
ax.set_xlabel("temperature T (log scale)")
ax.set_ylabel("nats / probability")
ax.legend()
ax.set_title("Entropy is non-decreasing in T")
#| alt: 熵与最大概率随温度（对数横轴）的变化：熵从 0 单调上升并趋近虚线 log 8≈2.08，最大概率从 1 单调下降到 1/8
plt.show()

# %% [markdown]
# ## 检查 {#checks}
#
# 1. 熵单调不减；2. $T$ 很大时熵逼近 $\log n$；3. $T$ 很小时最大概率逼近 1 且位置是 argmax；
# 4. 解析导数 $\mathrm{Var}_{p_T}(z)/T^3$ 与数值差分一致；5. 正温度不改变排序（温度缩放校准不改变准确率）。

# %%
assert np.all(np.diff(H) >= -1e-12), "entropy must be non-decreasing in T"
assert abs(H[-1] - np.log(n)) < 1e-3
assert pmax[0] > 1 - 1e-6 and P[0].argmax() == z.argmax()
assert H[0] < 1e-4

for T in [0.3, 1.0, 3.0]:
    h = 1e-5 * T
    dH_num = (entropy(softmax_temperature(z, T + h)) - entropy(softmax_temperature(z, T - h))) / (2 * h)
    p = softmax_temperature(z, T)
    var = np.sum(p * z**2) - np.sum(p * z) ** 2
    assert np.isclose(dH_num, var / T**3, rtol=1e-5), (T, dH_num, var / T**3)
    # 概率比只取决于 logit 差：p_i / p_j = exp((z_i - z_j) / T)
    assert np.isclose(p[0] / p[1], np.exp((z[0] - z[1]) / T))

# 正温度保持排序：对一批样本做温度缩放，argmax（预测类别）一个都不变
Z = rng.normal(size=(500, 10)) * 3
for T in (0.3, 1.7, 5.0):
    assert np.array_equal(softmax_temperature(Z, T).argmax(1), Z.argmax(1))
print("all checks passed")

# %% [markdown]
# ## 蒸馏：软目标的梯度按 1/T² 缩小 {#distillation-t2}
#
# 学生 logits $v$、教师 logits $u$，软目标损失 $L_T=H\big(\mathrm{softmax}(u/T),\mathrm{softmax}(v/T)\big)$。
# 它对 $v$ 的梯度是 $\frac1T(q_T-p_T)$，其中 $q_T$、$p_T$ 分别是学生、教师在温度 $T$ 下的分布；
# $T$ 大时 $q_T-p_T\approx\frac{1}{nT}\big((v-\bar v)-(u-\bar u)\big)$，于是梯度约按 $1/T^2$ 变小。
# 乘回 $T^2$ 之后，梯度尺度与 $T$ 无关，软目标项与硬标签项的相对权重不会随 $T$ 漂移。

# %%
u = rng.normal(size=n) * 2          # teacher logits
v = rng.normal(size=n) * 2          # student logits
Ts_kd = np.logspace(0, 2, 30)
grad_norm = []
for T in Ts_kd:
    g = (softmax_temperature(v, T) - softmax_temperature(u, T)) / T        # d L_T / d v
    grad_norm.append(np.linalg.norm(g))
grad_norm = np.array(grad_norm)
limit = np.linalg.norm(((v - v.mean()) - (u - u.mean())) / n)              # T^2 * gradient as T -> inf

# 数值差分核对梯度公式
T = 4.0
def soft_ce(vv):
    return -np.sum(softmax_temperature(u, T) * np.log(softmax_temperature(vv, T)))
hh = 1e-6
fd = np.array([(soft_ce(v + hh * e) - soft_ce(v - hh * e)) / (2 * hh) for e in np.eye(n)])
assert np.allclose(fd, (softmax_temperature(v, T) - softmax_temperature(u, T)) / T, atol=1e-8)
assert abs(Ts_kd[-1] ** 2 * grad_norm[-1] / limit - 1) < 0.01      # T = 100：T^2 * |grad| 已贴近极限
assert grad_norm[-1] < grad_norm[0] / 500                            # 不乘 T^2 时，T 从 1 到 100 梯度缩小上千倍

fig, ax = plt.subplots()
ax.loglog(Ts_kd, grad_norm, label="|grad|")
ax.loglog(Ts_kd, Ts_kd ** 2 * grad_norm, label="T^2 * |grad|")
ax.axhline(limit, color="gray", ls=":", label="high-T limit")
ax.set_xlabel("distillation temperature T")
ax.set_ylabel("gradient norm")
ax.legend()
#| alt: 蒸馏软目标损失对学生 logits 的梯度范数随温度变化（双对数轴）：未缩放的梯度按约 1/T² 下降，乘以 T² 之后趋于一条水平线
plt.show()
print(f"T=1: |grad| = {grad_norm[0]:.3f};  T=100: |grad| = {grad_norm[-1]:.2e}, T^2|grad| = {Ts_kd[-1]**2 * grad_norm[-1]:.3f}")
