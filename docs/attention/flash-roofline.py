# %% [markdown]
# ---
# description: 用 NVIDIA 公布的 A100、H100 峰值算力与显存带宽画 roofline：大矩阵乘在拐点右边，softmax、掩码、dropout 和 decode 注意力在左边；再算 FlashAttention-3 里指数运算占用的时间比例和 incoherent processing 对 FP8 误差的作用。
# tags: [注意力, FlashAttention, roofline, 算术强度, GPU, FP8, 动手验证]
# ---
# # 动手验证：roofline 上的矩阵乘、逐元素算子与 decode 注意力
#
# 对应问题：[什么是算术强度和 roofline？为什么标准 attention 是 memory-bound？](gpu-roofline.md#attention-memory-bound)、
# [FlashAttention-3 针对 Hopper 做了什么？](flash-attention.md#flash-attention-3)
#
# ## 硬件规格 {#specs}
#
# 取 NVIDIA 数据手册中的稠密（不含 2:4 稀疏）Tensor Core 峰值和显存带宽：
# A100 SXM4 80GB：FP16/BF16 312 TFLOPS，HBM2e 2,039 GB/s，非 Tensor Core 的 FP32 19.5 TFLOPS；
# H100 SXM5：FP16/BF16 989 TFLOPS（手册写 1,979 TFLOPS 是含稀疏的数字），HBM3 3.35 TB/s，FP32 67 TFLOPS。
# 拐点（ridge point）是峰值算力除以带宽：算术强度低于它的算子受带宽限制。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.attention.flash import (gemm_intensity, elementwise_intensity, decode_attention_intensity,
                                      fused_attention_intensity, ridge_point, random_hadamard, round_to_e4m3)
from snippets.inference.kv_cache import attainable_flops

gpus = {"A100 SXM": {"tensor": 312e12, "fp32": 19.5e12, "bw": 2.039e12},
        "H100 SXM": {"tensor": 989e12, "fp32": 67e12, "bw": 3.35e12}}
ridge = {g: ridge_point(s["tensor"], s["bw"]) for g, s in gpus.items()}
ridge_fp32 = {g: ridge_point(s["fp32"], s["bw"]) for g, s in gpus.items()}
print({g: (round(ridge[g]), round(ridge_fp32[g], 1)) for g in gpus}, "FLOP/B ridge: tensor core, FP32 CUDA core")
assert 150 < ridge["A100 SXM"] < 156 and 290 < ridge["H100 SXM"] < 300

# %% [markdown]
# ## 各算子的算术强度 {#intensities}
#
# 全部按 fp16/bf16（每元素 2 字节）。矩阵乘 $(p\times r)(r\times q)$：$2pqr$ FLOPs，至少搬 $2(pr+rq+pq)$ 字节。
# 逐元素算子按每元素读一次、写一次：掩码约 1 次运算、dropout 约 3 次、softmax 约 5 次（减最大值、指数、求和、除法等）。
# decode 注意力：一个新 token 的 g 个 query 头对同一个 KV 头的 n 个缓存位置，4gnd FLOPs，读 2nd 个元素。
# 融合后的 prefill 注意力按理想流量（Q、K、V 读一次、O 写一次）计算。

# %%
work = {
    "GEMM 4096^3": gemm_intensity(4096, 4096, 4096),
    "GEMM 64^3": gemm_intensity(64, 64, 64),
    "GEMV 1x4096x4096": gemm_intensity(1, 4096, 4096),
    "mask on S": elementwise_intensity(1),
    "dropout on P": elementwise_intensity(3),
    "softmax S -> P": elementwise_intensity(5),
    "decode attn, MHA": decode_attention_intensity(4096, 128, q_per_kv=1),
    "decode attn, GQA g=8": decode_attention_intensity(4096, 128, q_per_kv=8),
    "fused attn N=4096": fused_attention_intensity(4096, 128),
}
compute_bound = {"GEMM 4096^3", "fused attn N=4096"}
for name, I in work.items():
    print(f"{name:22s} {I:8.2f} FLOP/B")
    assert all((I > r) == (name in compute_bound) for r in ridge.values()), name
for name in ("mask on S", "dropout on P", "softmax S -> P"):
    assert all(work[name] < r for r in ridge_fp32.values())     # memory-bound even on the FP32 roof
assert np.isclose(gemm_intensity(4096, 4096, 4096), 4096 / 3)  # square GEMM: n / 3
assert abs(work["decode attn, MHA"] - 1) < 0.01 and abs(work["decode attn, GQA g=8"] - 8) < 0.05

# %%
#| alt: 横向柱状图（对数横轴）：九种算子的算术强度，竖虚线是 A100 与 H100 的拐点；只有大矩阵乘和融合后的注意力在拐点右侧，小矩阵乘、GEMV、掩码、dropout、softmax 和 decode 注意力都在左侧。
fig, ax = plt.subplots(figsize=(4.8, 3.8))
names = list(work)
ax.barh(names, [work[n] for n in names], color=["C2" if n in compute_bound else "C1" for n in names])
for (g, r), ls in zip(ridge.items(), ("--", ":")):
    ax.axvline(r, color="k", ls=ls, label=f"{g} ridge {r:.0f}")
ax.set_xscale("log")
ax.minorticks_off()
ax.set_xlabel("arithmetic intensity (FLOP/byte)")
ax.invert_yaxis()
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0))
plt.show()

# %%
#| alt: 对数坐标 roofline：A100 与 H100 两条屋顶线，先沿带宽斜线上升、在拐点后变平；softmax、GQA decode 注意力和 64 维小矩阵乘的点落在 H100 的斜线段，4096 维大矩阵乘落在平顶段。
I = np.logspace(-1, 4, 200)
fig, ax = plt.subplots()
roofs = [ax.loglog(I, attainable_flops(I, s["tensor"], s["bw"]) / 1e12, color=c, label=g)[0]
         for (g, s), c in zip(gpus.items(), ("C0", "C1"))]
points = [ax.loglog(work[n], attainable_flops(work[n], 989e12, 3.35e12) / 1e12, mk, color=c, ms=7, label=n)[0]
          for n, mk, c in zip(("softmax S -> P", "decode attn, GQA g=8", "GEMM 64^3", "GEMM 4096^3"),
                              ("v", "s", "D", "^"), ("C2", "C3", "C4", "C5"))]
ax.minorticks_off()
ax.set_xlabel("arithmetic intensity (FLOP/byte)")
ax.set_ylabel("attainable TFLOP/s")
ax.set_ylim(0.1, 1e6)
ax.add_artist(ax.legend(handles=roofs, loc="lower right"))
ax.legend(handles=points, loc="upper left", title="on the H100 roof")
plt.show()

# %% [markdown]
# 矩阵乘 $(p\times 4096)(4096\times 4096)$ 的强度随 p（一次处理的 token 数）增长，约等于 p；
# 越过拐点所需的 p 就是“多少 token 一起算才能吃满算力”（与 [prefill 与 decode 的 roofline](../inference/prefill-roofline.py) 一致）。

# %%
ps = np.unique(np.round(np.logspace(0, np.log10(4096), 60)).astype(int))
Ip = np.array([gemm_intensity(p, 4096, 4096) for p in ps])
cross = {g: r * 4096 * 4096 / (4096 * 4096 - r * 2 * 4096) for g, r in ridge.items()}   # solve I(p) = ridge
assert 160 < cross["A100 SXM"] < 170 and 335 < cross["H100 SXM"] < 355
assert np.all(np.diff(Ip) > 0)
print({g: round(c) for g, c in cross.items()}, "tokens per GEMM to reach the ridge")

# %%
#| alt: 对数坐标折线图：横轴一次矩阵乘的行数 p，纵轴 (p×4096)(4096×4096) 的算术强度；曲线起初约等于 p，分别在 p≈165 和 p≈345 处越过 A100、H100 的拐点。
fig, ax = plt.subplots()
ax.loglog(ps, Ip, label="(p x 4096)(4096 x 4096)")
for (g, r), ls in zip(ridge.items(), ("--", ":")):
    ax.axhline(r, color="k", ls=ls, label=f"{g} ridge")
ax.minorticks_off()
ax.set_xlabel("rows p (tokens in the batch)")
ax.set_ylabel("FLOP/byte")
ax.legend()
plt.show()

# %% [markdown]
# ## 为什么 S 不能整个放进 SRAM {#s-does-not-fit}
#
# N = 4096 时一个头的 S（fp16）就有 32 MiB，比整张卡所有 SM 的共享内存加起来还大
# （A100：108 个 SM × 最多 164 KB；H100 SXM5：132 个 SM × 最多 228 KB）。

# %%
s_bytes = 4096 ** 2 * 2
smem_total = {"A100 SXM": 108 * 164 * 1024, "H100 SXM": 132 * 228 * 1024}
assert s_bytes == 32 * 2 ** 20 and all(s_bytes > t for t in smem_total.values())
print({g: f"{t / 2**20:.1f} MiB" for g, t in smem_total.items()}, "of shared memory on the whole GPU")

# %% [markdown]
# ## FlashAttention-3：指数运算占多少时间 {#exp-bottleneck}
#
# H100 SXM5 的特殊函数单元（算 exp）只有约 3.9 TFLOPS（FlashAttention-3 论文的数字）。
# S 的每个元素对应 4d 个矩阵乘 FLOPs（QKᵀ 和 PV 各 2d），却要 1 次指数。

# %%
d = 128
matmul_per_exp = 4 * d
exp_share = (989e12 / 3.9e12) / matmul_per_exp          # exp time / matmul time, FP16
exp_share_fp8 = (2 * 989e12 / 3.9e12) / matmul_per_exp  # FP8 doubles the matmul rate, not the exp rate
assert matmul_per_exp == 512 and 0.45 < exp_share < 0.55 and 0.9 < exp_share_fp8 < 1.1
print(f"exp takes {exp_share:.0%} of the matmul time in FP16 and {exp_share_fp8:.0%} in FP8 (d = 128)")

# %% [markdown]
# ## Incoherent processing：旋转不改结果，FP8 误差变小 {#incoherent-processing}
#
# 让 Q、K 的少数通道带上离群值（幅度放大 30 倍），在 FP8 e4m3 下按整张量一个缩放因子量化。
# 先把 Q、K 同乘一个随机正交矩阵 $R=H\,\mathrm{diag}(\pm1)/\sqrt d$（Hadamard 变换加随机符号）：
# $(QR)(KR)^\top=QK^\top$，但离群值被摊到所有通道，量化后的 S 误差更小。

# %%
Qo, Ko = np.random.default_rng(0).standard_normal((2, 512, d))
Qo[:, [3, 77, 100]] *= 30                       # three outlier channels
Ko[:, [3, 77, 100]] *= 30
R = random_hadamard(d, np.random.default_rng(2))
assert np.allclose(R @ R.T, np.eye(d), atol=1e-12)
S_exact = Qo @ Ko.T
assert np.allclose((Qo @ R) @ (Ko @ R).T, S_exact, atol=1e-9)


def rel_err(Qx, Kx):
    return np.linalg.norm(round_to_e4m3(Qx) @ round_to_e4m3(Kx).T - S_exact) / np.linalg.norm(S_exact)


err_plain, err_rot = rel_err(Qo, Ko), rel_err(Qo @ R, Ko @ R)
assert err_rot < err_plain / 3 and np.abs(Qo @ R).max() < np.abs(Qo).max() / 3
print(f"FP8 relative error of S: {err_plain:.4f} per-tensor, {err_rot:.4f} after the random Hadamard rotation")

# %%
#| alt: 折线图：横轴 Q 的 128 个通道（按幅度排序），纵轴每个通道的最大绝对值；旋转前三个离群通道高出其余通道数十倍，随机 Hadamard 旋转后所有通道幅度接近。
fig, ax = plt.subplots()
ax.semilogy(np.sort(np.abs(Qo).max(axis=0))[::-1], label="Q, per-channel max |x|")
ax.semilogy(np.sort(np.abs(Qo @ R).max(axis=0))[::-1], label="QR after random Hadamard")
ax.minorticks_off()
ax.set_xlabel("channel (sorted)")
ax.set_ylabel("max |value|")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - A100、H100 的拐点约 153、295 FLOP/B；大矩阵乘（方阵约 n/3）远在右边，是 compute-bound。
# - 注意力里的掩码、dropout、softmax 强度不到 2 FLOP/B，连 FP32 CUDA core 的拐点（约 10～20）都够不着；
#   decode 注意力的强度约等于每个 KV 头对应的 query 头数（MHA 为 1），都是 memory-bound。
# - 一个头的 S 在 N = 4096 时就比整卡共享内存大，只能分块。
# - H100 上 FP16 指数运算要花掉约一半的矩阵乘时间，FP8 下几乎相当，这是 FlashAttention-3 要把 softmax 藏到矩阵乘背后的原因；
#   随机 Hadamard 旋转不改变 QKᵀ，却压低了离群值，FP8 量化误差随之下降。
