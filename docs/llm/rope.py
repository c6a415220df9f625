# %% [markdown]
# ---
# description: 用 numpy 验证 RoPE 的相对位置性质、旋转块行列式为 1、位置插值等价于缩放位置，并画出远程衰减与 PI/NTK/YaRN 的频率缩放曲线。
# tags:
#   - RoPE
#   - 位置编码
#   - 长上下文
#   - 动手验证
# ---
# # RoPE：相对位置性质、远程衰减与频率缩放
#
# 对应问题：[RoPE 的原理是什么？](long-context.md#rope-basics)、
# [长上下文如何做？](long-context.md#long-context-rope-scaling)
#
# ## 实验设置 {#rope-nb-setup}
#
# 头维 $d_h=128$、底数 $10000$（LLaMA-1/2 的设置）；实现取自 `snippets/llm/rope.py`。
# 第 $j$ 对维度（$j=1,\dots,d_h/2$）的角频率 $\theta_j=\text{base}^{-2(j-1)/d_h}$，代码里的数组下标是 $j-1$。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.rope import (apply_rope, ntk_aware_base, pi_freqs, rope_freqs, rope_matrix,
                               yarn_freqs)

rng = np.random.default_rng(0)
d = 128
theta = rope_freqs(d)

# %% [markdown]
# ## 相对位置性质 {#rope-nb-relative}
#
# $(R_m q)^\top (R_n k)=q^\top R_{n-m}k$：同时平移两个位置，内积不变；每个 $2\times2$ 旋转块的行列式为 1。

# %%
q, k = rng.standard_normal(d), rng.standard_normal(d)
score = lambda m, n: apply_rope(q, m, theta) @ apply_rope(k, n, theta)
for m, n in [(0, 5), (10, 3), (100, 400)]:
    for s in [1, 37, 5000]:
        assert np.isclose(score(m, n), score(m + s, n + s))

R = {m: rope_matrix(m, theta) for m in (7, 19, 12)}
assert np.allclose(R[7].T @ R[19], R[12])                      # R_m^T R_n = R_{n-m}
dets = [np.linalg.det(R[7][i:i + 2, i:i + 2]) for i in range(0, d, 2)]
assert np.allclose(dets, 1.0)
assert np.allclose(R[7].T @ R[7], np.eye(d))                    # 正交：不改变向量长度
print("score(m,n) == score(m+s,n+s): OK;  every 2x2 block has det 1")

# %% [markdown]
# ## 远程衰减 {#rope-nb-decay}
#
# 取同一个随机向量放在相距 $r$ 的两个位置，$\mathbb{E}\,[q^\top R_r q]/\|q\|^2=\frac{2}{d_h}\sum_j\cos(r\theta_j)$。
# 距离越远，各频率的余弦越“对不齐”，平均值越小；底数越大衰减越慢。

# %%
r = np.arange(0, 20001)
curves = {}
for base in (10000.0, 500000.0):
    th = rope_freqs(d, base)
    curves[base] = np.cos(np.multiply.outer(r, th)).mean(axis=1)

# Monte Carlo 核对闭式：随机 q 的平均
Q = rng.standard_normal((4000, d))
for dist in (0, 10, 300):
    mc = np.mean(np.sum(Q * apply_rope(Q, np.full(len(Q), dist), theta), axis=1) / np.sum(Q * Q, axis=1))
    assert abs(mc - curves[10000.0][dist]) < 0.02

c = curves[10000.0]
assert np.isclose(c[0], 1.0)
assert np.abs(c[1000:4000]).mean() < 0.5 * c[:50].mean()          # 远处明显小于近处
assert np.abs(curves[500000.0][1000:4000]).mean() > np.abs(c[1000:4000]).mean()  # 大底数衰减更慢

#| alt: 横轴为相对距离 r（0 到 20000，10 以上取对数），两条曲线从 1 开始随距离振荡衰减，底数 500000 的曲线比底数 10000 的衰减得更慢、在远处更高
# 横轴取对数：画 0–10 的每个整数和其后按几何间隔取的约 1500 个点（20001 个点在对数轴上挤在右端，
# 图不变，图片文件却大十倍）
shown = np.unique(np.concatenate([np.arange(11), np.geomspace(10, 20000, 1500).round().astype(int)]))
fig, ax = plt.subplots()
for base, y in curves.items():
    ax.plot(r[shown], y[shown], lw=1.0, label=f"base = {int(base)}")
ax.set_xscale("symlog", linthresh=10)
ax.set_xlabel("relative distance r = n - m")
ax.set_ylabel("mean of cos(r theta_j)")
ax.set_title("RoPE long-term decay, d_h = 128")
ax.legend()
plt.show()

# %% [markdown]
# ## 为什么直接外推会失败，位置插值又为什么有效 {#rope-nb-extrapolation}
#
# 训练长度 $L=4096$ 时，波长 $2\pi/\theta_j>L$ 的低频维度在训练中连一整圈都没转完；
# 推理到 $L'=4L$ 时这些维度出现训练中从未见过的角度。位置插值（PI）把频率除以 $s=L'/L$，
# 所有角度回到训练见过的范围内；代价是相邻位置的角度差也缩小了 $s$ 倍。

# %%
L, s = 4096, 4.0
wavelength = 2 * np.pi / theta
n_slow = int((wavelength > L).sum())
print(f"{n_slow} of {d // 2} frequency pairs never complete a full turn within {L} tokens")

assert n_slow == 18

seen = L * theta                                        # 训练中每个维度见过的角度上界
extrap = (s * L - 1) * theta
interp = (s * L - 1) * pi_freqs(theta, s)
slow = wavelength > L
assert np.all(extrap[slow] > seen[slow])                # 外推：低频维度出现新角度
assert np.all(interp < seen)                            # 插值：全部落在见过的范围内
# PI 的本质：RoPE(θ/s) 在位置 s·m 上等于 RoPE(θ) 在位置 m 上
x = rng.standard_normal(d)
for m in (1, 123, 4000):
    assert np.allclose(apply_rope(x, s * m, pi_freqs(theta, s)), apply_rope(x, m, theta))

# %% [markdown]
# ## PI、NTK-aware、YaRN 对每个频率的缩放 {#rope-nb-scaling}
#
# 纵轴是新频率与原频率之比 $\theta_j'/\theta_j$。PI 对所有维度一刀切地除以 $s$；
# NTK-aware 只改底数，高频几乎不动、最低频恰好除以 $s$；YaRN（NTK-by-parts）按
# “训练窗口内转了几圈”分段：转满 32 圈以上的高频维度不动，不到 1 圈的低频维度完全插值。

# %%
s = 8.0
ratio_pi = pi_freqs(theta, s) / theta
ratio_ntk = rope_freqs(d, ntk_aware_base(10000.0, s, d)) / theta
ratio_yarn = yarn_freqs(theta, s, L) / theta
assert np.isclose(ratio_ntk[0], 1.0) and np.isclose(ratio_ntk[-1], 1 / s)
assert np.all(np.diff(ratio_ntk) < 0)                   # 频率越低，缩得越多
assert np.isclose(ratio_yarn[0], 1.0) and np.isclose(ratio_yarn[-1], 1 / s)
turns = L * theta / (2 * np.pi)
assert np.allclose(ratio_yarn[turns > 32], 1.0) and np.allclose(ratio_yarn[turns < 1], 1 / s)

#| alt: 横轴为频率对编号 j（1 到 64，高频到低频），纵轴为缩放后与原频率之比：PI 是 1/8 的水平线，NTK-aware 从 1 平滑降到 1/8，YaRN 在高频段保持 1、在波长超过训练长度之后降到 1/8，中间线性过渡
fig, ax = plt.subplots(figsize=(4.8, 3.6))
jj = np.arange(1, d // 2 + 1)
ax.plot(jj, ratio_pi, label="PI: theta / s")
ax.plot(jj, ratio_ntk, label="NTK-aware: new base")
ax.plot(jj, ratio_yarn, label="YaRN: NTK-by-parts")
ax.axvline(np.argmax(wavelength > L) + 1, color="gray", ls=":", label="wavelength > L")
ax.set_ylim(0, 1.05)
ax.set_xlabel("pair j (high -> low frequency)")
ax.set_ylabel("theta_j' / theta_j")
ax.set_title(f"s = {s:g}, L = {L}, d_h = {d}")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 底数与 Llama 3.1 的频率缩放 {#rope-nb-base}
#
# 底数越大，最低频维度的波长越长：底数 $10^4$ 时最长波长约 5.4 万个 token，底数 500000（LLaMA-3）时约 260 万。
# Llama 3.1 把 8K 扩到 128K 用的 `rope_scaling`（factor 8、low_freq_factor 1、high_freq_factor 4、原长 8192）
# 按波长分三段：波长短于 8192/4 的不动，长于 8192 的除以 8，中间线性过渡。这正是 YaRN 的 NTK-by-parts
# 取 $\alpha=1$、$\beta=4$、$s=8$、$L=8192$（只是不带注意力温度）。下面按参考实现的三段规则逐个频率计算，与 `yarn_freqs` 对照。

# %%
theta3 = rope_freqs(d, 500000.0)
longest = {b: 2 * np.pi / rope_freqs(d, b)[-1] for b in (10000.0, 500000.0)}
print("longest wavelength: " + ", ".join(f"base {int(b)}: {w:,.0f} tokens" for b, w in longest.items()))
assert 5.0e4 < longest[10000.0] < 6.0e4 and 2.0e6 < longest[500000.0] < 3.0e6


def llama31_rule(freq, factor=8.0, low=1.0, high=4.0, old_len=8192):
    wavelen = 2 * np.pi / freq
    if wavelen < old_len / high:
        return freq
    if wavelen > old_len / low:
        return freq / factor
    smooth = (old_len / wavelen - low) / (high - low)
    return (1 - smooth) * freq / factor + smooth * freq


ref = np.array([llama31_rule(f) for f in theta3])
assert np.allclose(yarn_freqs(theta3, 8.0, 8192, alpha=1.0, beta=4.0), ref, rtol=1e-12)
kept, divided = int(np.sum(ref == theta3)), int(np.sum(np.isclose(ref, theta3 / 8)))
print(f"Llama 3.1 scaling on d_h = {d}: {kept} pairs kept, {divided} divided by 8, {d // 2 - kept - divided} blended")

# %% [markdown]
# ## 结论 {#rope-nb-conclusion}
#
# - RoPE 的注意力分数只依赖相对位置 $n-m$，每个旋转块都是行列式为 1 的正交矩阵；
# - $q^\top R_r q$ 的平均随距离衰减，底数越大衰减越慢；
# - 训练长度 4096、$d_h=128$ 时，64 对频率中有 18 对在训练窗口内没转满一圈，直接外推会遇到新角度；
#   PI 把所有角度压回训练范围，NTK-aware 与 YaRN 只压低频、保留高频分辨率；
# - Llama 3.1 的 `rope_scaling` 与 $\alpha=1$、$\beta=4$ 的 NTK-by-parts 逐个频率相同。
