# %% [markdown]
# ---
# description: 用 Chinchilla 的参数化损失 L(N, D) 在 C = 6ND 约束下求计算最优的参数量与 token 数（闭式解与数值解一致），画 iso-FLOP 曲线，算小模型“过训练”多花的训练算力、重复数据的有效 token 数，以及评价指标怎样制造“涌现”。
# tags:
#   - Scaling law
#   - Chinchilla
#   - 预训练
#   - 动手验证
# ---
# # Scaling law：计算最优配比、过训练与重复数据
#
# 对应问题：[Scaling law：参数量与 token 数怎么配？](pretraining.md#scaling-laws)、
# [为什么要“过训练”？](pretraining.md#overtraining)、[数据重复多 epoch](pretraining.md#data-repetition-epochs)、
# [涌现能力](pretraining.md#emergent-abilities)
#
# ## 闭式解与数值解 {#closed-form-vs-numeric}
#
# Chinchilla 的 Approach 3 把最终损失写成 L(N, D) = E + A/N^α + B/D^β。
# 代入 D = C/(6N) 后，沿 iso-FLOP 曲线对 log N 求导置零，得到 N_opt ∝ C^(β/(α+β))。
# 下面在 10^19 到 10^26 FLOPs 上把闭式解和黄金分割搜索的数值解对比。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.scaling import (BESIROGLU, CHINCHILLA, chinchilla_loss, compute_optimal,
                                       compute_optimal_numeric, effective_tokens, inference_breakeven_tokens,
                                       isoflop_curve, overtrain_cost)

budgets = np.logspace(19, 26, 15)
for C in budgets:
    n_cf, d_cf = compute_optimal(C)
    n_num, d_num = compute_optimal_numeric(C)
    assert abs(n_num / n_cf - 1) < 1e-5 and abs(d_num / d_cf - 1) < 1e-5

print(f"{'C (FLOPs)':>10} | {'N_opt':>9} {'D_opt':>9} {'D/N':>6} | refit: {'N_opt':>9} {'D_opt':>9} {'D/N':>6}")
for C in [1e21, 1e22, 1e23, 5.76e23, 1e24, 1e25]:
    n, d = compute_optimal(C)
    nb, db = compute_optimal(C, BESIROGLU)
    print(f"{C:10.2e} | {n:9.2e} {d:9.2e} {d / n:6.1f} | refit: {nb:9.2e} {db:9.2e} {db / nb:6.1f}")

# %% [markdown]
# 正文里四舍五入后的拟合值（α = 0.34，β = 0.28）给出的 N_opt ∝ C^0.45，比 Approach 1、2 的 0.50 小，
# 所以 token/参数比随预算缓慢上升：10^23–10^24 FLOPs 时约为 78–98，而不是 20。
# Besiroglu et al.（2024）用同一函数形式对重建数据重新拟合，指数回到约 0.51，比值落在 18–19 附近，与“20”一致。
# 论文 TeX 源码里没有四舍五入的系数（α = 0.3392，β = 0.2849，E = 1.6934）在 Gopher 的预算 5.76 × 10^23 下给出 40B 参数，
# 正文的取整值只给 32B：这个拟合对末位数字很敏感。

# %%
ratio = lambda C, fit: (lambda nd: nd[1] / nd[0])(compute_optimal(C, fit))
r23, r24 = ratio(1e23, CHINCHILLA), ratio(1e24, CHINCHILLA)
assert 60 < r23 < r24 < 110                      # published fit: far from 20 and rising with C
a = CHINCHILLA["beta"] / (CHINCHILLA["alpha"] + CHINCHILLA["beta"])
assert abs(np.log10(r24 / r23) - (1 - 2 * a)) < 1e-9   # D/N ∝ C^(1-2a)
for C in [1e23, 5.76e23, 1e24]:
    assert 15 < ratio(C, BESIROGLU) < 25          # refit: the "20 tokens per parameter" rule
tex = dict(E=1.6934, A=406.4, B=410.7, alpha=0.3392, beta=0.2849)
n_tex, n_rounded = compute_optimal(5.76e23, tex)[0], compute_optimal(5.76e23)[0]
print(f"Gopher budget: N_opt = {n_tex / 1e9:.0f}B with the TeX coefficients, {n_rounded / 1e9:.0f}B with the rounded ones")
assert 38e9 < n_tex < 42e9 and 30e9 < n_rounded < 34e9
# Chinchilla itself: 70B parameters on 1.4T tokens is about the Gopher budget
assert abs(6 * 70e9 * 1.4e12 / 5.76e23 - 1) < 0.03

# %% [markdown]
# ## iso-FLOP 曲线 {#isoflop}
#
# 固定算力 C，沿 N 扫描（D = C/(6N) 随之变化）：每条曲线都是 log N 上的一个“碗”，碗底就是计算最优的 N。
# 碗底附近很平：N 偏离最优 2 倍，损失只差百分之一左右。

# %%
n_grid = np.logspace(8, 12, 400)
fig, ax = plt.subplots()
for C in [1e21, 1e22, 1e23, 1e24]:
    L = isoflop_curve(C, n_grid)
    n_opt, d_opt = compute_optimal(C)
    ax.semilogx(n_grid, L, label=f"C = {C:.0e}")
    ax.plot(n_opt, chinchilla_loss(n_opt, d_opt), "ko", ms=4)
    i = np.argmin(L)
    assert abs(np.log(n_grid[i] / n_opt)) < 0.03          # grid minimum sits on the closed form
    off = isoflop_curve(C, np.array([n_opt / 2, n_opt * 2]))
    assert np.all(off - L[i] < 0.02 * L[i])               # flat bottom: 2x off costs < 2 % loss
ax.set_ylim(1.8, 3.0)
ax.set_xlabel("parameters N")
ax.set_ylabel("loss L(N, C/6N) (nats)")
ax.legend(loc="upper right")
#| alt: 四条 iso-FLOP 曲线，横轴为对数刻度的参数量 N、纵轴为 Chinchilla 拟合的损失：每条曲线都是一个碗，黑点标出碗底（计算最优的 N），算力越大碗底越低、越靠右，碗底附近相当平坦
plt.show()

# %% [markdown]
# ## 过训练：为推理成本把模型做小 {#overtrain-cost}
#
# 取计算最优点 (N_opt, D_opt) 达到的损失 L*，把模型缩到 s·N_opt，再求达到同一 L* 需要多少 token。
# 训练算力之比 6·sN_opt·D / C 随 s 变小先缓后急：缩到一半只多花约 20–26 %，缩到 1/4 就要 3–4.5 倍，
# 再小就永远达不到 L*（A/N^α 一项已经超过了预算）。推理每 token 约 2N FLOPs，小模型省下的推理算力可以抵掉训练多花的部分。

# %%
C = 1e23
shrinks = np.linspace(0.22, 1.0, 60)
fig, ax = plt.subplots()
for fit, name in [(CHINCHILLA, "Hoffmann fit"), (BESIROGLU, "Besiroglu refit")]:
    cost = np.array([overtrain_cost(C, s, fit)[0] for s in shrinks])
    assert abs(cost[-1] - 1) < 1e-9 and np.all(np.diff(cost) < 0)   # smaller model -> more training compute
    ax.semilogy(shrinks, cost, label=name)
half = overtrain_cost(C, 0.5)[0], overtrain_cost(C, 0.5, BESIROGLU)[0]
quarter = overtrain_cost(C, 0.25)[0], overtrain_cost(C, 0.25, BESIROGLU)[0]
print(f"half-size model: {half[0]:.2f}x / {half[1]:.2f}x training compute; quarter-size: {quarter[0]:.2f}x / {quarter[1]:.2f}x")
assert 1.15 < half[0] < half[1] < 1.3 and 2.5 < quarter[0] < quarter[1] < 5
be = inference_breakeven_tokens(C, 0.5, BESIROGLU)
print(f"break-even for the half-size model at C = 1e23: {be:.2e} inference tokens")
assert 1e11 < be < 1e13
ax.set_xlabel("model size / compute-optimal size")
ax.set_ylabel("training compute / C (same loss)")
ax.legend(loc="upper right")
#| alt: 横轴是模型相对计算最优尺寸的比例（0.22 到 1），纵轴是达到同一损失所需训练算力的倍数（对数刻度）：两条拟合的曲线在比例为 1 时都等于 1，缩到一半时只多 20% 多，缩到四分之一附近迅速上升到数倍
plt.show()

# %% [markdown]
# Llama 3 8B 用了约 15T token（约 1,900 token/参数），训练算力 6 × 8×10^9 × 15×10^12 ≈ 7.2 × 10^23 FLOPs。
# 按再拟合的公式外推，达到同样损失的计算最优模型只要约 1/5.5 的算力；差额换来的是推理时只有 8B 参数。
# 这是公式外推（拟合数据最大只到 16B 参数、500B token，语料也不同），只看量级。

# %%
c_llama = 6 * 8e9 * 15e12
target = chinchilla_loss(8e9, 15e12, BESIROGLU)
cs = np.logspace(21, 25, 4001)
reach = cs[np.argmax([chinchilla_loss(*compute_optimal(c, BESIROGLU), BESIROGLU) <= target for c in cs])]
print(f"tokens/param = {15e12 / 8e9:.0f}; compute-optimal compute for the same loss = {reach:.2e} "
      f"({c_llama / reach:.1f}x less)")
assert 4 < c_llama / reach < 7

# %% [markdown]
# ## 重复数据的收益递减 {#repetition}
#
# Muennighoff et al.（2023）把重复 R = epochs − 1 次的数据折算为有效 token：D' = U + U·R*·(1 − e^(−R/R*))，R* ≈ 15.4。
# 每个 token 的平均价值 D'/(U·epochs)：4 个 epoch 时约 0.93（与唯一数据几乎一样），16 个 epoch 约 0.66，
# 40 个 epoch 约 0.38；无限重复时有效数据的上限是 (1 + R*)·U ≈ 16.4·U。

# %%
epochs = np.arange(1, 101)
value = effective_tokens(1.0, epochs) / epochs
v4, v16, v40 = value[3], value[15], value[39]
print(f"value per token: 4 epochs {v4:.2f}, 16 epochs {v16:.2f}, 40 epochs {v40:.2f}")
assert v4 > 0.9 and 0.6 < v16 < 0.7 and 0.35 < v40 < 0.4
assert effective_tokens(1.0, 1e6) < 16.4 and np.all(np.diff(value) < 0)
fig, ax = plt.subplots()
ax.semilogx(epochs, value, label="D' / (U x epochs)")
ax.axvline(4, color="gray", ls=":", label="4 epochs")
ax.axvline(16, color="gray", ls="--", label="16 epochs")
ax.set_xlabel("epochs over the same unique data")
ax.set_ylabel("value of a repeated token")
ax.legend(loc="lower left")
#| alt: 横轴是对同一批唯一数据重复的 epoch 数（对数刻度），纵轴是每个 token 的平均价值：4 个 epoch 时仍在 0.93 左右，16 个 epoch 降到约 0.66，100 个 epoch 时只剩约 0.16
plt.show()

# %% [markdown]
# ## 指标怎样制造“涌现” {#emergence-metric}
#
# Schaeffer et al.（2023）的论点：每个 token 的交叉熵 L(N) 随参数量按幂律平滑下降，每个 token 的正确率 p = exp(−L) 也平滑上升；
# 但要求 ℓ 个 token 全对的精确匹配率是 p^ℓ，小模型上几乎为 0，到某个尺度才开始爬升，看起来像“突然出现”。
# 下面取 L(N) ∝ N^(−0.37)（纯属示意，让 p 在 10^7 参数时为 0.5、10^12 时为 0.99），ℓ = 20。

# %%
logn = np.linspace(7, 12, 501)
alpha_toy = np.log10(0.693 / 0.01) / 5
per_token_loss = 0.693 * (10 ** (logn - 7)) ** (-alpha_toy)      # smooth power law (illustrative)
p = np.exp(-per_token_loss)
ell = 20
exact = p ** ell
onset = logn[np.argmax(exact > 0.05)]
print(f"exact match stays below 5% until log10 N = {onset:.2f}, where per-token accuracy is already "
      f"{p[np.argmax(exact > 0.05)]:.2f}")
assert onset > 8.5 and p[np.argmax(exact > 0.05)] > 0.8
slope_p, slope_x = np.diff(p), np.diff(exact)
assert np.argmax(slope_p) == 0                           # per-token accuracy improves fastest for the smallest models
assert len(logn) // 3 < np.argmax(slope_x) < len(logn) - 2   # exact match: flat, then a late climb
fig, ax = plt.subplots()
ax.plot(logn, p, label="per-token accuracy p")
ax.plot(logn, exact, label=f"exact match p^{ell}")
ax.set_xlabel("log10 parameters")
ax.set_ylabel("metric")
ax.legend(loc="upper left")
#| alt: 横轴是参数量的对数（7 到 12），两条曲线：逐 token 正确率从 0.5 平滑上升到 0.99，小模型处上升最快；要求 20 个 token 全对的精确匹配率在 log10 N 约 8.8 以前几乎为 0，之后才陡然爬升到约 0.8，看起来像突然出现的能力
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - C = 6ND 约束下的最优配比有闭式解，和数值最优一致；iso-FLOP 曲线的碗底很平。
# - 正文的 Approach 3 拟合在 10^23–10^24 FLOPs 给出约 80–100 token/参数；“约 20 token/参数”来自 Approach 1、2 和再拟合。
# - 把模型缩小一半只多花约 20–26 % 的训练算力，缩到 1/4 要 3–4.5 倍；Llama 3 8B 的 15T token 约是同损失计算最优算力的 5 倍。
# - 重复 4 个 epoch 几乎不损失价值，16 个 epoch 后每个 token 只值约 2/3。
# - 同一条平滑的逐 token 曲线，换成精确匹配指标，小模型处几乎为 0、后段才爬升，看起来像“涌现”。
