# %% [markdown]
# ---
# description: 用蒙特卡洛验证 q·k 的方差等于 d_k，并比较除与不除 √d_k 时 softmax 的饱和程度与 Jacobian 大小。
# tags:
#   - 注意力
#   - Transformer
#   - Softmax
#   - 动手验证
# ---
# # 为什么要除以 √d_k：方差与 softmax 饱和
#
# 对应问题：[attention 为什么要除以 √d_k？](scaling.md#attention-sqrt-dk-scaling)
#
# ## 实验设置 {#setup}
#
# q 与 k 的分量独立同分布于 N(0, 1)。先测 q·k 的方差随 d_k 的变化，再取 n = 64 个 key，
# 比较原始 logits 与除以 √d_k 后 softmax 的最大概率与 Jacobian 的 Frobenius 范数
# （Jacobian 的推导见[方差大为什么会让梯度变小](scaling.md#sqrt-dk-softmax-saturation)）。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.attention import softmax, softmax_jacobian

rng = np.random.default_rng(0)

# %% [markdown]
# ## q·k 的方差 {#variance}
#
# 每个 d_k 取 10 万对样本（分块生成以节省内存）。理论值：均值 0，方差 d_k；除以 √d_k 后方差为 1。

# %%
dks = np.array([4, 16, 64, 256, 1024])
N, chunk = 100_000, 10_000
var_raw = []
for dk in dks:
    s = []
    for _ in range(N // chunk):
        q = rng.standard_normal((chunk, dk))
        k = rng.standard_normal((chunk, dk))
        s.append(np.einsum("ij,ij->i", q, k))
    s = np.concatenate(s)
    var_raw.append(s.var())
var_raw = np.array(var_raw)
var_scaled = var_raw / dks
for dk, v in zip(dks, var_raw):
    print(f"d_k={dk:5d}  Var(q.k)={v:9.2f}  Var/d_k={v / dk:.3f}")

for dk, v in zip(dks, var_raw):
    if dk in (16, 64, 256):
        assert abs(v / dk - 1) < 0.05
assert np.all(np.abs(var_scaled - 1) < 0.05)

#| alt: 双对数坐标下 q·k 的实测方差随 d_k 沿理论直线 d_k 增长，除以 √d_k 后方差始终贴着 1
fig, ax = plt.subplots()
ax.loglog(dks, var_raw, "o-", label="Var(q.k), measured")
ax.loglog(dks, dks, "k--", lw=1, label="d_k (theory)")
ax.loglog(dks, var_scaled, "s-", label="Var(q.k / sqrt(d_k))")
ax.set_xlabel("d_k")
ax.set_ylabel("variance")
ax.set_title("Var(q.k) grows like d_k")
ax.legend()
plt.show()

# %% [markdown]
# ## softmax 饱和与 Jacobian {#saturation}
#
# softmax 的 Jacobian 为 $J=\operatorname{diag}(p)-pp^\top$。对各向同性的上游梯度 g，
# $\mathbb{E}\|J^\top g\|^2\propto\|J\|_F^2$，所以 $\|J\|_F$ 衡量有多少梯度能穿过 softmax 回到 logits。

# %%
n, trials = 64, 2000
dks2 = np.array([4, 16, 64, 256, 1024, 4096])
stats = {"raw": ([], []), "scaled": ([], [])}
for dk in dks2:
    # Given q, the n logits q.k_j are i.i.d. N(0, ||q||^2): sample them directly instead of
    # materialising n keys of dimension d_k (same distribution, far less memory).
    qnorm = np.sqrt(rng.chisquare(dk, size=(trials, 1)))
    z = qnorm * rng.standard_normal((trials, n))
    for name, s in (("raw", 1.0), ("scaled", 1 / np.sqrt(dk))):
        p = softmax(z * s, axis=-1)
        jf = np.mean([np.linalg.norm(softmax_jacobian(pi)) for pi in p])
        stats[name][0].append(p.max(axis=1).mean())
        stats[name][1].append(jf)
maxp = {k: np.array(v[0]) for k, v in stats.items()}
jac = {k: np.array(v[1]) for k, v in stats.items()}
for i, dk in enumerate(dks2):
    print(f"d_k={dk:5d}  max p: raw {maxp['raw'][i]:.3f} scaled {maxp['scaled'][i]:.3f}"
          f"   ||J||_F: raw {jac['raw'][i]:.4f} scaled {jac['scaled'][i]:.4f}")

i256 = list(dks2).index(256)
assert jac["scaled"][i256] > jac["raw"][i256]            # scaling keeps more gradient at d_k = 256
assert maxp["raw"][i256] > 0.8                            # unscaled attention is nearly one-hot
assert np.all(np.diff(jac["raw"][2:]) < 0)                # and gets worse as d_k grows
assert jac["raw"][-1] < 0.5 * jac["scaled"][-1]
assert jac["scaled"].max() / jac["scaled"].min() < 1.05   # scaled: independent of d_k
assert maxp["scaled"].max() / maxp["scaled"].min() < 1.1

#| alt: 上下两幅图：不缩放时 64 个 key 上的最大注意力权重随 d_k 升向 1、softmax Jacobian 范数随之下降；除以 √d_k 后两条曲线都是水平线
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
for name, style in (("raw", "o-"), ("scaled", "s-")):
    label = "q.k" if name == "raw" else "q.k / sqrt(d_k)"
    axes[0].semilogx(dks2, maxp[name], style, label=label)
    axes[1].semilogx(dks2, jac[name], style, label=label)
axes[0].axhline(1 / n, color="gray", ls=":", label="uniform 1/n")
axes[0].set_ylabel("max weight")
axes[1].set_ylabel("||J||_F")
axes[1].set_xlabel("d_k")
axes[0].legend()
axes[0].set_title(f"softmax over n = {n} keys")
plt.show()

# %% [markdown]
# ## 对照：加性注意力的打分不随 d_k 变大 {#additive}
#
# 加性注意力（Bahdanau 式）$e_j=v^\top\tanh(W_qq+W_kk_j)$：$W_q$、$W_k$ 按 $\mathcal N(0,1/d_k)$ 初始化时
# tanh 的输入方差与 $d_k$ 无关，而且 tanh 把每个隐单元限制在 $[-1,1]$，所以 $|e_j|\le\lVert v\rVert_1$。
# 不缩放的点积没有这层保护，标准差按 $\sqrt{d_k}$ 增长。这与“大 $d_k$ 时加性注意力优于不缩放的点积注意力”的观察一致。

# %%
from snippets.attention.attention import additive_scores

d_a, m_keys = 64, 256
std_dot, std_add, bound_ok = [], [], []
for dk in dks2:
    q = rng.standard_normal(dk)
    K = rng.standard_normal((m_keys, dk))
    W_q, W_k = (rng.standard_normal((d_a, dk)) / np.sqrt(dk) for _ in range(2))
    v = rng.standard_normal(d_a) / np.sqrt(d_a)
    e = additive_scores(q, K, W_q, W_k, v)
    std_dot.append((K @ q).std())
    std_add.append(e.std())
    bound_ok.append(np.abs(e).max() <= np.abs(v).sum())
std_dot, std_add = np.array(std_dot), np.array(std_add)
for dk, a, b in zip(dks2, std_dot, std_add):
    print(f"d_k={dk:5d}  std of dot-product logits {a:6.2f}   std of additive logits {b:.3f}")

assert all(bound_ok)
assert np.all(np.abs(std_dot / np.sqrt(dks2) - 1) < 0.2)      # unscaled dot: std grows like sqrt(d_k)
assert std_add.max() / std_add.min() < 1.6                     # additive: roughly flat in d_k
assert std_dot[-1] > 50 * std_add[-1]

#| alt: 双对数坐标下，不缩放点积打分的标准差随 d_k 按 √d_k 增长到约 60，加性注意力打分的标准差始终在 0.4 到 0.7 之间
fig, ax = plt.subplots()
ax.loglog(dks2, std_dot, "o-", label="dot product q.k")
ax.loglog(dks2, std_add, "s-", label="additive v.tanh(Wq q + Wk k)")
ax.loglog(dks2, np.sqrt(dks2), "k--", lw=1, label="sqrt(d_k)")
ax.set_xlabel("d_k")
ax.set_ylabel("std of the logits")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 实测 Var(q·k)/d_k 与 1 的偏差在 5% 以内，除以 √d_k 后方差回到 1，与推导一致。
# - 不缩放时，d_k 越大 softmax 越接近 one-hot（d_k = 256 时平均最大权重约 0.9），Jacobian 的范数随之下降，
#   传回 logits 的梯度变小；缩放后这两个统计量与 d_k 无关。
# - 小 d_k（4、16）时不缩放的 Jacobian 反而更大：√d_k 的作用不是“让梯度最大”，而是把 logits 的尺度固定在
#   与维度无关的 O(1)，让初始化时的注意力既不饱和也不过于平均。
# - 加性注意力的打分被 tanh 限住，标准差不随 $d_k$ 增长；不缩放的点积打分按 $\sqrt{d_k}$ 增长，这正是要除以 $\sqrt{d_k}$ 的原因。
