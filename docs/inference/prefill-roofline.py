# %% [markdown]
# ---
# description: 用 roofline 模型量化 prefill 与 decode：一次前向的算术强度约等于这次前向处理的 token 数，batch=1 的 decode 只有约 1 FLOP/B，远低于 GPU 的拐点。
# tags:
#   - 推理
#   - prefill
#   - decode
#   - roofline
#   - 算术强度
#   - TTFT
#   - TPOT
#   - 动手验证
# ---
# # prefill 与 decode 的 roofline
#
# 对应问题：[推理的 prefill 和 decode 两个阶段有什么区别？](memory.md#prefill-vs-decode)
#
# ## 模型与硬件 {#setup}
#
# 以 LLaMA-2-7B 的形状为例（32 层，d=4096，MHA，fp16 权重）。一次前向处理 $n$ 个 token：
# 矩阵乘约 $2Nn$ 次浮点运算，而权重无论 $n$ 多大都只需从显存读一遍（$2N$ 字节），
# 所以只看权重时算术强度 $\approx n$ FLOP/B。硬件取近似的公开规格（稠密 bf16）：
# A100 SXM 约 312 TFLOPS、2.0 TB/s；H100 SXM 约 989 TFLOPS、3.35 TB/s。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.kv_cache import transformer_params, kv_cache_bytes, arithmetic_intensity, attainable_flops

L, d = 32, 4096
N = transformer_params(L, d, 32000, d_ff=11008, glu=True, tied=False)     # ≈ 6.74e9
kv_per_token = kv_cache_bytes(L, 32, 128, 1)                              # 512 KiB
hw = {"A100": (312e12, 2.0e12), "H100": (989e12, 3.35e12)}
ridge = {k: p / bw for k, (p, bw) in hw.items()}
print({k: round(v) for k, v in ridge.items()}, "FLOP/B ridge points")


def decode_intensity(batch, ctx):
    """batch 条序列各解码 1 个 token，每条有 ctx 个历史 token：权重读一次，KV cache 每条各读一遍。"""
    flops = batch * (2 * N + 4 * L * ctx * d)          # 线性层 + 注意力（q·K 与 p·V）
    bytes_ = 2 * N + batch * ctx * kv_per_token
    return flops / bytes_


def prefill_intensity(n):
    flops = 2 * N * n + 2 * L * n * n * d               # 线性层 + 因果注意力
    bytes_ = 2 * N + n * kv_per_token                   # 读权重 + 写 KV cache
    return flops / bytes_


assert np.isclose(arithmetic_intensity(1, N), 1.0)
assert np.isclose(decode_intensity(1, 0), 1.0)
assert all(prefill_intensity(2048) > r for r in ridge.values())
assert all(decode_intensity(1, 4096) < r / 50 for r in ridge.values())
print(f"decode b=1 ctx=4096: {decode_intensity(1, 4096):.2f} FLOP/B; prefill n=2048: {prefill_intensity(2048):.0f} FLOP/B")

# %% [markdown]
# ## Roofline 图 {#roofline}

# %%
I = np.logspace(-0.5, 4, 300)
fig, ax = plt.subplots(figsize=(7, 4.3))
for name, (peak, bw) in hw.items():
    ax.plot(I, attainable_flops(I, peak, bw) / 1e12, label=f"{name} roof (ridge ~ {ridge[name]:.0f} FLOP/B)")
points = {"decode b=1": decode_intensity(1, 4096), "decode b=32": decode_intensity(32, 4096),
          "prefill 512": prefill_intensity(512), "prefill 4096": prefill_intensity(4096)}
peak, bw = hw["A100"]
for label, x in points.items():
    y = attainable_flops(x, peak, bw) / 1e12
    ax.scatter([x], [y], zorder=3)
    ax.annotate(label, (x, y), textcoords="offset points", xytext=(5, -12), fontsize=8)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("arithmetic intensity (FLOP / byte)")
ax.set_ylabel("attainable TFLOPS")
ax.set_title("7B fp16, context 4096: decode is memory-bound, prefill compute-bound")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 算术强度随每次前向的 token 数变化 {#intensity-vs-tokens}
#
# 只看权重时强度 $\approx n$。但 decode 的 batch 里每条序列都要读自己的 KV cache，
# 这部分流量不随 batch 摊薄，所以 MHA 模型在长上下文下把 batch 开到多大，强度也上不去。

# %%
n = np.unique(np.logspace(0, 4.2, 200).astype(int))
fig, ax = plt.subplots(figsize=(7, 4.3))
ax.plot(n, [arithmetic_intensity(k, N) for k in n], label="weights only (= n)")
ax.plot(n, [prefill_intensity(k) for k in n], label="prefill of n prompt tokens")
for ctx in (512, 4096, 32768):
    ax.plot(n, [decode_intensity(k, ctx) for k in n], ls="--", label=f"decode, batch n, context {ctx}")
for name, r in ridge.items():
    ax.axhline(r, color="gray", lw=1, ls=":")
    ax.text(1.2, r * 1.1, f"{name} ridge", color="gray", fontsize=8)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("tokens per forward pass (prompt length, or decode batch size)")
ax.set_ylabel("FLOP / byte")
ax.set_title("Arithmetic intensity vs tokens per forward (7B, MHA, fp16)")
ax.legend(fontsize=8)
plt.show()

limit_4k = (2 * N + 4 * L * 4096 * d) / (4096 * kv_per_token)
assert decode_intensity(10**6, 4096) < limit_4k < 10          # 再大的 batch 也卡在 ~7.5 FLOP/B
print(f"decode intensity limit at context 4096 (MHA): {limit_4k:.1f} FLOP/B")

# %% [markdown]
# ## 每个 token 摊到的时间 {#time-per-token}
#
# 用 roofline 估计一次前向的下界：$t=\max(\text{FLOPs}/\text{peak},\ \text{bytes}/\text{BW})$，再除以这次处理的 token 数。

# %%
def forward_time(flops, bytes_, peak, bw):
    return max(flops / peak, bytes_ / bw)


peak, bw = hw["A100"]
per_tok = [forward_time(2 * N * k, 2 * N, peak, bw) / k for k in n]
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(n, np.array(per_tok) * 1e3)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("tokens per forward pass")
ax.set_ylabel("time per token (ms), A100 lower bound")
ax.set_title("Batch-1 decode pays a full weight read for every token")
plt.show()

tpot = forward_time(2 * N, 2 * N, peak, bw)                        # batch-1 decode 一步
ttft = forward_time(2 * N * 2048 + 2 * L * 2048**2 * d, 2 * N, peak, bw)   # 2048-token prompt
print(f"TPOT lower bound {tpot * 1e3:.1f} ms/token, TTFT lower bound (2048 tokens) {ttft * 1e3:.0f} ms, "
      f"prefill {ttft / 2048 * 1e3:.3f} ms/token")
assert tpot / (ttft / 2048) > 100

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 一次前向的算术强度约等于它处理的 token 数：batch=1 的 decode 约 1 FLOP/B，远低于 A100/H100 约 150/300 FLOP/B 的拐点，只能用上 1% 左右的算力。
# - prefill 几百个 token 就越过拐点，变成计算受限。
# - 加大 decode batch 能摊薄权重读取，但 KV cache 读取随 batch 线性增长；MHA、4K 上下文下强度上限只有 7 FLOP/B 左右，这正是 GQA/MLA 与 KV 量化要解决的问题。
