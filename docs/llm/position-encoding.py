# %% [markdown]
# ---
# description: 用 numpy 验证正弦位置编码的点积只依赖相对距离、投影之后却不再是相对的，RoPE 保持相对性，并画出 ALiBi 各头的斜率与偏置、T5 相对位置分桶。
# tags:
#   - 位置编码
#   - 相对位置编码
#   - ALiBi
#   - T5
#   - RoPE
#   - 动手验证
# ---
# # 绝对与相对位置编码：正弦、ALiBi、T5 分桶
#
# 对应问题：[绝对位置编码与相对位置编码有什么区别？](long-context.md#absolute-vs-relative-position-encoding)
#
# ## 实验设置 {#pe-nb-setup}
#
# 实现取自 `snippets/llm/position.py` 与 `snippets/llm/rope.py`。位置记作 $m$、$n$，相对距离 $r=n-m$。
# 正弦编码的模型宽度 $d_{\text{model}}=64$，底数 10000。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.position import (alibi_bias, alibi_slopes, shaw_relative_index, sinusoidal_pe,
                                   sinusoidal_shift, t5_relative_bucket)
from snippets.llm.rope import apply_rope, rope_freqs

rng = np.random.default_rng(0)
d_model, n_pos = 64, 512
pe = sinusoidal_pe(n_pos, d_model)

# %% [markdown]
# ## 正弦编码：点积只依赖距离 {#pe-nb-sinusoidal}
#
# $\mathrm{PE}_m\cdot\mathrm{PE}_n=\sum_j\big[\sin(m\omega_j)\sin(n\omega_j)+\cos(m\omega_j)\cos(n\omega_j)\big]=\sum_j\cos\big((n-m)\omega_j\big)$，
# 只与 $n-m$ 有关；而且存在与 $m$ 无关的旋转矩阵 $M_r$ 使 $\mathrm{PE}_{m+r}=M_r\,\mathrm{PE}_m$。
# 下图从三个不同的起点 $m$ 出发画 $\mathrm{PE}_m\cdot\mathrm{PE}_{m+r}$，三条曲线完全重合。

# %%
offsets = np.arange(0, 200)
starts = (0, 100, 300)
dots = {m: np.array([pe[m] @ pe[m + r] for r in offsets]) for m in starts}
for m in starts[1:]:
    assert np.allclose(dots[m], dots[0])                      # same offset -> same dot product
assert np.allclose(dots[0], np.cos(np.multiply.outer(offsets, 10000.0 ** (-np.arange(0, d_model, 2) / d_model))).sum(1))
assert np.isclose(dots[0][0], d_model / 2)
for r in (1, 7, 50):
    assert np.allclose(pe[r:] , pe[:-r] @ sinusoidal_shift(r, d_model).T)
print(f"PE_m . PE_(m+r) at r = 0, 1, 10, 100: {dots[0][[0, 1, 10, 100]].round(2)}")

#| alt: 横轴为相对距离 r（0 到 200），从三个不同起点 m=0、100、300 算出的正弦位置编码点积曲线完全重合，从 32 开始随距离振荡下降
fig, ax = plt.subplots()
for m, st in zip(starts, ["-", "--", ":"]):
    ax.plot(offsets, dots[m], st, lw=2, label=f"start m = {m}")
ax.set_xlabel("offset r")
ax.set_ylabel("PE_m . PE_(m+r)")
ax.set_title(f"sinusoidal PE, d_model = {d_model}")
ax.legend()
plt.show()

# %% [markdown]
# ## 加到输入、再投影之后，绝对编码不再是相对的 {#pe-nb-projection}
#
# 绝对编码加在输入上：$q_m=W_Q(x+\mathrm{PE}_m)$，$k_n=W_K(y+\mathrm{PE}_n)$。展开 $q_m^\top k_n$ 有内容–内容、
# 内容–位置、位置–内容、位置–位置四项，中间两项依赖绝对位置，所以把两个位置同时平移，分数一般会变。
# RoPE 把旋转作用在投影之后的 $q$、$k$ 上，平移不变性严格成立。

# %%
Wq, Wk = (rng.standard_normal((d_model, d_model)) / np.sqrt(d_model) for _ in range(2))
x, y = rng.standard_normal(d_model), rng.standard_normal(d_model)
abs_score = lambda m, n: (Wq @ (x + pe[m])) @ (Wk @ (y + pe[n]))
theta = rope_freqs(d_model)
rope_score = lambda m, n: apply_rope(Wq @ x, m, theta) @ apply_rope(Wk @ y, n, theta)
shifts = np.arange(0, 300, 10)
abs_vals = np.array([abs_score(5 + t, 25 + t) for t in shifts])
rope_vals = np.array([rope_score(5 + t, 25 + t) for t in shifts])
print(f"same offset 20, shifted start: absolute PE scores range {np.ptp(abs_vals):.3f}, RoPE {np.ptp(rope_vals):.1e}")
assert np.ptp(abs_vals) > 0.1
assert np.ptp(rope_vals) < 1e-10

# %% [markdown]
# ## ALiBi：每个头一个斜率 {#pe-nb-alibi}
#
# 头数 $H$ 为 2 的幂时斜率 $a_h=2^{-8h/H}$，$h=1,\dots,H$。8 个头是 $1/2,1/4,\dots,1/256$；
# 不是 2 的幂时（如 12 个头），先取 8 个头的 8 个斜率，再从 16 个头的斜率里隔一个取 4 个。
# 偏置 $-a_h(m-n)$ 只依赖距离，所以偏置矩阵沿每条对角线为常数（Toeplitz），对 KV cache 里的任意起点都一样。

# %%
for H in (8, 12, 16):
    print(f"H = {H:2d}: slopes {np.array2string(alibi_slopes(H), precision=4, max_line_width=200)}")
s8 = alibi_slopes(8)
assert np.allclose(s8, 0.5 ** np.arange(1, 9))
s12 = alibi_slopes(12)
assert np.allclose(s12[:8], s8) and np.allclose(s12[8:], alibi_slopes(16)[0::2][:4])
B = alibi_bias(np.arange(64), np.arange(64), s8)
for h in range(8):
    for r in range(0, 64, 9):
        assert np.allclose(np.diag(B[h], k=-r), -s8[h] * r)  # constant along each diagonal
assert np.allclose(B, alibi_bias(np.arange(1000, 1064), np.arange(1000, 1064), s8))

dist = np.arange(0, 129)
#| alt: 横轴为距离 m-n（0 到 128），8 条直线是 8 个头的 ALiBi 偏置，斜率从 1/2 到 1/256：第一个头在距离 128 处偏置为 -64，最后一个头几乎是水平线
fig, ax = plt.subplots()
for h in range(8):
    ax.plot(dist, -s8[h] * dist, label=f"a = 1/{int(round(1 / s8[h]))}" if h in (0, 1, 7) else None)
ax.set_xlabel("distance m - n")
ax.set_ylabel("bias added to the logit")
ax.set_title("ALiBi, H = 8 heads")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## T5：相对位置分桶 {#pe-nb-t5}
#
# T5 默认 32 个桶、最大距离 128。双向注意力时一半桶给“键在查询之前”、一半给“键在之后”；每个方向的前 8 个桶是精确距离 0–7，
# 后 8 个桶按对数间隔覆盖 8–127，128 以外全部落进最后一个桶。每个头为每个桶学一个标量偏置，
# 所有层共享这张表。距离 0 总是落在“之前”那一半，所以 32 个桶实际用到 31 个。

# %%
rel = np.arange(-200, 201)
b_bi = t5_relative_bucket(rel)
b_ca = t5_relative_bucket(rel, bidirectional=False)
widths = np.bincount(t5_relative_bucket(-np.arange(0, 128)), minlength=16)[:16]
print("distances per bucket (keys behind, 0..127):", widths.tolist())
assert np.array_equal(widths[:8], np.ones(8))                 # exact buckets
assert np.all(np.diff(widths[8:]) >= 0) and widths[8:].sum() == 120   # widening log buckets
assert np.all(b_bi[rel <= -128] == 15) and np.all(b_bi[rel >= 128] == 31)
assert len(np.unique(b_bi)) == 31
assert np.array_equal(b_ca[(rel <= 0) & (rel > -16)], -rel[(rel <= 0) & (rel > -16)])  # causal: 16 exact

# relative schemes depend only on n - m: the Shaw index and the T5 bucket are Toeplitz too
idx = shaw_relative_index(40, 40, clip=8)
bk = t5_relative_bucket(np.arange(40)[None, :] - np.arange(40)[:, None])
for r in range(-39, 40):
    assert len(set(np.diag(idx, k=r))) == 1 and len(set(np.diag(bk, k=r))) == 1

#| alt: 横轴为相对位置（键减查询，-200 到 200），纵轴为 T5 桶编号：0 附近每个距离一个桶，越远的桶越宽，超过 ±128 后双向曲线分别停在 15 和 31，因果版本只给过去分桶、未来全为 0
fig, ax = plt.subplots()
ax.step(rel, b_bi, where="mid", label="bidirectional (encoder)")
ax.step(rel, b_ca, where="mid", ls="--", label="causal (decoder)")
ax.axvline(-128, color="gray", ls=":")
ax.axvline(128, color="gray", ls=":")
ax.set_xlabel("relative position n - m")
ax.set_ylabel("bucket id")
ax.set_title("T5: 32 buckets, max distance 128")
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# ## 结论 {#pe-nb-conclusion}
#
# - 正弦位置编码两两点积只依赖距离，$\mathrm{PE}_{m+r}$ 是 $\mathrm{PE}_m$ 的固定线性变换；但它加在输入上、经过 $W_Q$、$W_K$ 与内容混合后，
#   注意力分数不再只依赖相对位置。RoPE 在投影之后旋转，分数严格只依赖 $n-m$。
# - ALiBi 的斜率是公比 $2^{-8/H}$ 的等比数列，偏置矩阵沿对角线为常数，与 KV cache 的起点无关。
# - T5 的分桶近处精确、远处对数变宽、128 以外饱和；Shaw 的相对位置索引在裁剪距离外同样饱和。
