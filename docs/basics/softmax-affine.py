# %% [markdown]
# ---
# description: 验证 softmax 对 logits 平移不变、对缩放敏感、概率的对数比等于 logit 差、连续两次 softmax 后分布更接近均匀，以及雅可比随饱和趋于 0、z-loss 把 log Z 拉回 0。
# tags:
#   - 基础
#   - Softmax
#   - 动手验证
# ---
# # Softmax 与 logits 的仿射变换
#
# 对应问题：[送入 softmax 的 logits 做了线性变换，输出分布会改变吗？](softmax.md#softmax-affine-invariance)
#
# ## 平移与缩放 {#shift-and-scale}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.softmax import entropy, softmax

rng = np.random.default_rng(0)
z = np.array([2.0, 1.0, 0.5, -0.5, -1.0])
variants = {
    "z": z,
    "z + 100": z + 100,
    "2 z": 2 * z,
    "0.5 z": 0.5 * z,
    "-z": -z,
}
x = np.arange(len(z))
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
ax1.plot(x, softmax(z), "o-", lw=3, alpha=0.5, label="softmax(z)")
ax1.plot(x, softmax(z + 100), "s--", label="softmax(z + 100)")
ax1.set_ylabel("probability")
ax1.set_title("Shift: identical")
ax1.legend()
for name in ("2 z", "0.5 z", "-z"):
    ax2.plot(x, softmax(variants[name]), "o-", label=f"softmax({name})")
ax2.plot(x, softmax(z), "k:", label="softmax(z)")
ax2.set_ylabel("probability")
ax2.set_xlabel("class (logits 2, 1, 0.5, -0.5, -1)")
ax2.set_xticks(x)
ax2.set_title("Scale: acts like a temperature")
ax2.legend()
#| alt: 上图：softmax(z) 与 softmax(z+100) 两条折线完全重合；下图：2z 让分布更尖、0.5z 更平，-z 把排序反过来（最后一类概率最大），点线是原来的 softmax(z)
plt.show()

# %%
p = softmax(z)
assert np.allclose(softmax(z + 100), p)                      # 平移不变
assert not np.allclose(softmax(2 * z), p)                    # 缩放改变分布
assert entropy(softmax(2 * z)) < entropy(p) < entropy(softmax(0.5 * z))
assert np.allclose(softmax(0 * z), 1 / len(z))               # k = 0：均匀分布
assert np.array_equal(np.argsort(softmax(-z)), np.argsort(-p))   # k < 0：排序反转
# 概率比是 logit 差的指数，对数比才等于 logit 差
i, j = 0, 3
assert np.isclose(np.log(p[i] / p[j]), z[i] - z[j])
assert np.isclose(p[i] / p[j], np.exp(z[i] - z[j]))
# 各分量加不同的常数（一般的仿射变换 Wz + b）会改变分布
assert not np.allclose(softmax(z + np.array([0, 1, 0, 0, 0])), p)

# %% [markdown]
# ## 连续两次 softmax {#softmax-twice}
#
# $p=\mathrm{softmax}(z)$ 的分量都在 $(0,1)$ 内，作为新的 logits 两两之差不超过 1，
# 所以 $q=\mathrm{softmax}(p)$ 的最大/最小概率比不超过 $e$，并且熵不会下降。

# %%
Hp, Hq, ratio, ns = [], [], [], []
for _ in range(3000):
    n = int(rng.integers(2, 16))
    zz = rng.normal(size=n) * rng.uniform(0.1, 8)
    pp = softmax(zz)
    qq = softmax(pp)
    Hp.append(entropy(pp) / np.log(n))
    Hq.append(entropy(qq) / np.log(n))
    ratio.append(qq.max() / qq.min())
Hp, Hq, ratio = map(np.array, (Hp, Hq, ratio))

# 3000 个散点画成一张嵌入的位图（dpi 200，手机屏上清晰），坐标轴和文字仍是矢量：
# 逐点矢量的 SVG 有近 500 KB
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6), dpi=200)
ax1.scatter(Hp, Hq, s=4, alpha=0.4, rasterized=True)
ax1.plot([0, 1], [0, 1], "k--", lw=1, label="y = x")
ax1.set_xlabel("H(p) / log n")
ax1.set_ylabel("H(softmax(p)) / log n")
ax1.set_title("A second softmax never lowers entropy")
ax1.legend()
ax2.hist(ratio, bins=50)
ax2.axvline(np.e, color="k", ls="--", label="e")
ax2.set_xlabel("max(q) / min(q),  q = softmax(softmax(z))")
ax2.set_ylabel("count")
ax2.legend()
#| alt: 上图：3000 组随机 logits 上，两次 softmax 后的归一化熵对一次 softmax 的归一化熵的散点，全部在对角线 y=x 上方且都高于 0.8；下图：两次 softmax 后最大与最小概率之比的直方图，全部落在虚线 e 的左边
plt.show()

# %%
assert np.all(Hq >= Hp - 1e-12)
assert np.all(ratio <= np.e + 1e-12)
assert Hq.min() > 0.8          # 归一化熵至少 0.8：非常接近均匀
print(f"min normalized entropy after two softmaxes: {Hq.min():.3f}")


# %% [markdown]
# ## 雅可比：饱和时趋于 0 {#jacobian-saturation}
#
# $J=\mathrm{diag}(p)-pp^\top$。把 logits 乘以 $k$：$k=0$ 时 $p$ 均匀，$\lVert J\rVert_F=\sqrt{n-1}/n$；
# $k$ 越大 $p$ 越接近 one-hot，$J\to 0$，经过 softmax 传回的梯度随之消失。

# %%
from snippets.basics.softmax import softmax_jacobian

zj = rng.normal(size=16)
ks = np.logspace(-2, 3, 60)
jf = np.array([np.linalg.norm(softmax_jacobian(k * zj)) for k in ks])
nj = len(zj)
assert np.isclose(np.linalg.norm(softmax_jacobian(0 * zj)), np.sqrt(nj - 1) / nj)
assert jf[-1] < 1e-3 * jf[0]                           # k = 1000：几乎 one-hot，雅可比几乎为 0
assert np.allclose(softmax_jacobian(zj) @ np.ones(nj), 0)   # 平移方向上没有梯度

fig, ax = plt.subplots()
ax.loglog(ks, jf)
ax.axhline(np.sqrt(nj - 1) / nj, color="gray", ls=":", label="uniform p: sqrt(n-1)/n")
ax.set_xlabel("logit scale k  (softmax(k z), n = 16)")
ax.set_ylabel("||J||_F")
ax.set_ylim(1e-8, 1)
ax.legend()
#| alt: 16 个类别时 softmax 雅可比的 Frobenius 范数随 logit 缩放 k 的变化（双对数轴）：k 很小时贴近均匀分布的值 sqrt(15)/16≈0.24，k 增大后分布趋于 one-hot，范数下降几个数量级
plt.show()

# %% [markdown]
# ## z-loss：交叉熵管不住 log Z {#z-loss-shift}
#
# 交叉熵 $\mathrm{LSE}(z)-z_y$ 对公共平移 $z\to z+c$ 不变，所以它对 $\log Z=\mathrm{LSE}(z)$ 的绝对大小没有任何约束；
# z-loss 加上 $\alpha\log^2 Z$，其梯度 $2\alpha\log Z\cdot p$ 的各分量和为 $2\alpha\log Z$，正好沿平移方向把 $\log Z$ 拉回 0。

# %%
from snippets.basics.softmax import logsumexp, log_softmax

alpha, y = 1e-4, 2
zz = rng.normal(size=10) + 30.0                        # 所有 logits 一起漂到 30 附近
ce = lambda v: -log_softmax(v)[y]
zl = lambda v: ce(v) + alpha * logsumexp(v) ** 2
hd = 1e-5
g_ce = np.array([(ce(zz + hd * e) - ce(zz - hd * e)) / (2 * hd) for e in np.eye(10)])
g_zl = np.array([(zl(zz + hd * e) - zl(zz - hd * e)) / (2 * hd) for e in np.eye(10)])
assert abs(g_ce.sum()) < 1e-6                           # CE 的梯度在平移方向上为 0
assert np.isclose(g_zl.sum(), 2 * alpha * logsumexp(zz), rtol=1e-4)   # z-loss 提供把 log Z 拉回 0 的梯度
assert np.allclose(g_zl - g_ce, 2 * alpha * logsumexp(zz) * softmax(zz), atol=1e-8)
# 只沿平移方向做梯度下降：CE 不动，z-loss 让 log Z 一步步回到 0 附近
v = zz.copy()
for _ in range(2000):
    v -= 500.0 * np.full(10, 2 * alpha * logsumexp(v) / 10)
print(f"log Z before {logsumexp(zz):.2f}, after descending along the shift direction {logsumexp(v):.2f}")
assert abs(logsumexp(v)) < 0.1 and np.isclose(ce(v), ce(zz))
