# %% [markdown]
# ---
# description: 验证 softmax 对 logits 平移不变、对缩放敏感、概率的对数比等于 logit 差，以及连续两次 softmax 后分布更接近均匀。
# tags:
#   - 基础
#   - Softmax
#   - 动手验证
# ---
# # Softmax 与 logits 的仿射变换
#
# 对应问题：[送入 softmax 的 logits 做了线性变换，输出分布会变吗？](softmax.md#softmax-affine-invariance)
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
fig, axes = plt.subplots(1, len(variants), figsize=(13, 2.8), sharey=True)
for ax, (name, v) in zip(axes, variants.items()):
    ax.bar(range(len(z)), softmax(v), color="C1" if name in ("z", "z + 100") else "C0")
    ax.set_title(f"softmax({name})")
    ax.set_xticks(range(len(z)))
axes[0].set_ylabel("probability")
fig.suptitle("Adding a constant changes nothing; scaling acts like a temperature")
fig.tight_layout()
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

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.scatter(Hp, Hq, s=4, alpha=0.4)
ax1.plot([0, 1], [0, 1], "k--", lw=1, label="y = x")
ax1.set_xlabel("H(p) / log n")
ax1.set_ylabel("H(softmax(p)) / log n")
ax1.set_title("Second softmax never lowers entropy")
ax1.legend()
ax2.hist(ratio, bins=50)
ax2.axvline(np.e, color="k", ls="--", label="e")
ax2.set_xlabel("max(q) / min(q)")
ax2.set_title("q = softmax(softmax(z)) is nearly uniform")
ax2.legend()
fig.tight_layout()
plt.show()

# %%
assert np.all(Hq >= Hp - 1e-12)
assert np.all(ratio <= np.e + 1e-12)
assert Hq.min() > 0.8          # 归一化熵至少 0.8：非常接近均匀
print(f"min normalized entropy after two softmaxes: {Hq.min():.3f}")
