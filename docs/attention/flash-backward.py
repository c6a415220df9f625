# %% [markdown]
# ---
# description: 用 numpy 验证 FlashAttention 的反向重计算：只用 Q、K、V、O、dO 和每行的 log-sum-exp，逐块重算 P 得到的 dQ、dK、dV 与保存 P 的标准反向、有限差分一致，并估算重算与读 N×N 矩阵的代价。
# tags: [注意力, FlashAttention, 反向传播, 重计算, 动手验证]
# ---
# # 动手验证：反向传播靠重计算，不存 N×N 矩阵
#
# 对应问题：[FlashAttention 的反向传播怎么做？](flash-attention.md#flash-attention-backward)
#
# ## 三种梯度逐元素一致 {#three-gradients-agree}
#
# 前向只留下输出 O 和每行的 $L_i=m_i+\log\ell_i$。反向按 FlashAttention-2 的顺序：外层遍历键块（dK_j、dV_j 留在片上），
# 内层遍历查询块，用 $P_{ij}=\exp(S_{ij}-L_i)$ 重算概率。对照组是保存了 P 的标准反向。损失取 $\phi=\sum (dO\odot O)$，
# 于是 $\partial\phi/\partial O=dO$。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.attention.flash import (HBMCounter, standard_attention, standard_attention_backward,
                                      flash_attention_forward, flash_attention_backward)

rng = np.random.default_rng(0)
N, d = 96, 16
Q, K, V, dO = (rng.standard_normal((N, d)) for _ in range(4))
blocks = [(16, 16), (32, 8), (7, 5), (96, 96)]
worst = {}
for causal in (False, True):
    O, P = standard_attention(Q, K, V, causal=causal)
    ref = standard_attention_backward(Q, K, V, P, dO)
    for bq, bk in blocks:
        O_f, L = flash_attention_forward(Q, K, V, bq, bk, causal=causal)
        grads = flash_attention_backward(Q, K, V, O_f, dO, L, bq, bk, causal=causal)
        for name, g, r in zip(("dQ", "dK", "dV"), grads, ref):
            err = np.abs(g - r).max()
            worst[name] = max(worst.get(name, 0.0), err)
            assert err < 1e-12
print({k: f"{v:.1e}" for k, v in worst.items()}, "= max |recompute - stored P| over block sizes")

# %% [markdown]
# 反向里 softmax 那一步需要每行的 $\sum_j P_{ij}\,dP_{ij}$；它恰好等于 $D_i=dO_i\cdot O_i$，只要两个长度 d 的向量，
# 不必对 N×N 的 dP 做行归约。

# %%
O, P = standard_attention(Q, K, V, causal=True)
dP = dO @ V.T
D = np.sum(dO * O, axis=1)
assert np.allclose(D, np.sum(P * dP, axis=1), atol=1e-12)

# %% [markdown]
# ## 与有限差分对照 {#finite-difference}
#
# 在 N = 10、d = 4 的小问题上，对 Q、K、V 的每个元素做中心差分（步长 1e-6），与重算得到的梯度比较。

# %%
n, dd = 10, 4
q, k, v, do = rng.standard_normal((4, n, dd))
fd_err, h = {}, 1e-6
for causal in (False, True):
    def loss(*x):
        return np.sum(do * flash_attention_forward(*x, 4, 3, causal=causal)[0])
    o, lse = flash_attention_forward(q, k, v, 4, 3, causal=causal)
    grads = flash_attention_backward(q, k, v, o, do, lse, 4, 3, causal=causal)
    for which, (name, g) in enumerate(zip(("dQ", "dK", "dV"), grads)):
        num = np.zeros_like(g)
        for idx in np.ndindex(g.shape):
            e = np.zeros((3, n, dd))
            e[(which, *idx)] = h
            num[idx] = (loss(*(np.stack([q, k, v]) + e)) - loss(*(np.stack([q, k, v]) - e))) / (2 * h)
        fd_err[name] = max(fd_err.get(name, 0.0), np.abs(num - g).max() / np.abs(g).max())
        assert fd_err[name] < 1e-7
print({k_: f"{v_:.1e}" for k_, v_ in fd_err.items()}, "= relative error vs finite differences")

# %%
#| alt: 柱状图：dQ、dK、dV 三个梯度，左柱是重计算反向与保存 P 的标准反向之差（约 1e-15），右柱是与有限差分的相对误差（约 1e-10），都远低于各自的阈值。
fig, ax = plt.subplots()
x = np.arange(3)
ax.bar(x - 0.2, [worst[k_] for k_ in ("dQ", "dK", "dV")], 0.4, label="vs stored-P backward (abs)")
ax.bar(x + 0.2, [fd_err[k_] for k_ in ("dQ", "dK", "dV")], 0.4, label="vs finite differences (rel)")
ax.set_yscale("log")
ax.set_xticks(x, ["dQ", "dK", "dV"])
ax.minorticks_off()
ax.set_ylabel("max error")
ax.legend()
plt.show()

# %% [markdown]
# ## 为反向保存了什么 {#saved-for-backward}
#
# 标准实现为反向保存 P（每个头 N² 个数，训练带 dropout 时还有同样大小的掩码）；FlashAttention 只多存
# 每行一个 fp32 的 L，输出 O 两者本来都要存。

# %%
Ns = 2 ** np.arange(9, 17)
p_bytes = Ns.astype(float) ** 2 * 2          # P in fp16
l_bytes = Ns * 4.0                           # L in fp32
o_bytes = Ns * 128 * 2.0                     # O for head dim 128, fp16 (kept by both)
assert p_bytes[Ns == 8192][0] == 128 * 2 ** 20 and l_bytes[Ns == 8192][0] == 32 * 2 ** 10
print(f"N = 8192, one head: P = {p_bytes[Ns == 8192][0] / 2**20:.0f} MiB, L = {l_bytes[Ns == 8192][0] / 2**10:.0f} KiB")

# %%
#| alt: 对数坐标折线图：横轴序列长度，纵轴每个头为反向保存的字节数；标准实现保存的 P 随 N 平方增长，FlashAttention 只多存的 L 随 N 线性增长，两者都要的输出 O 也是线性。
fig, ax = plt.subplots()
ax.loglog(Ns, p_bytes, "o-", label="standard: P (N^2, fp16)")
ax.loglog(Ns, o_bytes, "s--", label="both: O (N x 128, fp16)")
ax.loglog(Ns, l_bytes, "^-", label="flash: L (N, fp32)")
ax.set_xlabel("sequence length N")
ax.minorticks_off()
ax.set_ylabel("bytes saved per head")
ax.legend()
plt.show()

# %% [markdown]
# ## 重算为什么比读 P 便宜 {#recompute-cost}
#
# 数一下保存 P 的标准反向经过 HBM 的 N×N 元素：读 P 算 dV、写 dP、读 P 和 dP、写 dS、
# 为 dQ 和 dK 各读一次 dS，共 7N² 个，再加 8Nd 个输入输出。

# %%
for n_ in (64, 128, 256):
    io, X = HBMCounter(), rng.standard_normal((4, n_, 32))
    standard_attention_backward(*X[:3], standard_attention(*X[:3])[1], X[3], io=io)
    assert io.total == 7 * n_ ** 2 + 8 * n_ * 32

# %% [markdown]
# 重算一个 S_ij 是一次长度 d 的点积（2d FLOPs，在 Tensor Core 上）；标准反向每个 N×N 元素要搬 7 次 fp16（14 字节）。
# 用 A100 SXM（312 TFLOPS 稠密 FP16、2.039 TB/s）和 H100 SXM（989 TFLOPS、3.35 TB/s）的规格换成时间：

# %%
gpus = {"A100": (312e12, 2.039e12), "H100": (989e12, 3.35e12)}
dims = np.array([32, 64, 128, 256])
recompute = {g: 2 * dims / peak for g, (peak, bw) in gpus.items()}
traffic = {g: 7 * 2 / bw for g, (peak, bw) in gpus.items()}
for g in gpus:
    assert np.all(recompute[g] < traffic[g])
    print(f"{g}: recompute {recompute[g][dims == 128][0] * 1e12:.2f} ps vs stored-P traffic "
          f"{traffic[g] * 1e12:.2f} ps per N x N element (d = 128)")

# %%
#| alt: 折线图：横轴头维 d，纵轴每个 N×N 元素的耗时（皮秒）；A100、H100 上重算一次点积的时间随 d 线性增长，始终低于标准反向搬运 7 个 fp16 元素所需时间（两条水平虚线）。
fig, ax = plt.subplots()
for g, c in zip(gpus, ("C0", "C1")):
    ax.plot(dims, recompute[g] * 1e12, "o-", color=c, label=f"{g}: recompute S (2d FLOPs)")
    ax.axhline(traffic[g] * 1e12, color=c, ls="--", label=f"{g}: move 7 fp16 values")
ax.set_xlabel("head dim d")
ax.set_ylabel("time per N x N element (ps)")
ax.set_ylim(0, 13)
ax.legend(loc="upper center", ncol=1)
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 只凭 Q、K、V、O、dO 和 L，逐块重算 P 得到的梯度与保存 P 的标准反向相差 1e-15 量级，与有限差分一致；
#   $D_i=dO_i\cdot O_i$ 代替了对 dP 的行归约。
# - 每个头为反向多存的只是 N 个 fp32（N = 8192 时 32 KiB），标准实现的 P 要 128 MiB。
# - 每个 N×N 元素，重算一次点积比标准反向在 HBM 上搬运它的时间短（A100 上 d = 128 时约 0.8 ps 对 6.9 ps），
#   所以 FLOPs 变多、总时间反而变短。
