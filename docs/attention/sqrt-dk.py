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
# 比较原始 logits 与除以 √d_k 后 softmax 的最大概率与 Jacobian 的 Frobenius 范数。

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

fig, ax = plt.subplots(figsize=(5.5, 3.8))
ax.loglog(dks, var_raw, "o-", label="Var(q.k), measured")
ax.loglog(dks, dks, "k--", lw=1, label="d_k (theory)")
ax.loglog(dks, var_scaled, "s-", label="Var(q.k / sqrt(d_k))")
ax.set_xlabel("d_k")
ax.set_ylabel("variance")
ax.set_title("Dot-product variance grows linearly with d_k")
ax.legend()
fig.tight_layout()
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

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for name, style in (("raw", "o-"), ("scaled", "s-")):
    label = "q.k" if name == "raw" else "q.k / sqrt(d_k)"
    axes[0].semilogx(dks2, maxp[name], style, label=label)
    axes[1].semilogx(dks2, jac[name], style, label=label)
axes[0].axhline(1 / n, color="gray", ls=":", label="uniform 1/n")
axes[0].set_ylabel("mean max attention weight")
axes[1].set_ylabel("mean ||J_softmax||_F")
for ax in axes:
    ax.set_xlabel("d_k")
    ax.legend()
axes[0].set_title(f"Saturation of softmax over n={n} keys")
axes[1].set_title("Gradient that passes through softmax")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 实测 Var(q·k)/d_k 与 1 的偏差在 5% 以内，除以 √d_k 后方差回到 1，与推导一致。
# - 不缩放时，d_k 越大 softmax 越接近 one-hot（d_k = 256 时平均最大权重约 0.9），Jacobian 的范数随之下降，
#   传回 logits 的梯度变小；缩放后这两个统计量与 d_k 无关。
# - 小 d_k（4、16）时不缩放的 Jacobian 反而更大：√d_k 的作用不是“让梯度最大”，而是把 logits 的尺度固定在
#   与维度无关的 O(1)，让初始化时的注意力既不饱和也不过于平均。
