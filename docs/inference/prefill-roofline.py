# %% [markdown]
# ---
# description: 用 roofline 模型量化 prefill 与 decode：一次前向的算术强度约等于处理的 token 数，decode 的上限约 1+6d/s、GQA 与 MLA 的注意力强度，以及 TPOT 与 ITL 的口径差别。
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
# 对应问题：[推理的 prefill 和 decode 两个阶段有什么区别？](memory.md#prefill-vs-decode)、
# [decode 时注意力部分的算术强度是多少？](memory.md#decode-attention-intensity)、[TTFT、TPOT、ITL](memory.md#ttft-tpot)
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
from snippets.inference.kv_cache import (transformer_params, kv_cache_bytes, arithmetic_intensity,
                                         attainable_flops, decode_intensity as decode_intensity_gqa)

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
#| alt: 双对数 roofline 图：A100 与 H100 的可达算力随算术强度先沿斜线上升、过拐点后变平；batch 1 与 batch 32 的 decode 落在斜线上（访存受限），512 与 4096 token 的 prefill 落在平台上（计算受限）
fig, ax = plt.subplots()
for name, (peak, bw) in hw.items():
    ax.plot(I, attainable_flops(I, peak, bw) / 1e12, label=f"{name} (ridge {ridge[name]:.0f})")
points = {"decode b=1": decode_intensity(1, 4096), "decode b=32": decode_intensity(32, 4096),
          "prefill 512": prefill_intensity(512), "prefill 4096": prefill_intensity(4096)}
offsets = {"decode b=1": (4, -13), "decode b=32": (4, -13), "prefill 512": (-40, 8), "prefill 4096": (-30, -15)}
peak, bw = hw["A100"]
for label, x in points.items():
    y = attainable_flops(x, peak, bw) / 1e12
    ax.scatter([x], [y], zorder=3, color="k", s=12)
    ax.annotate(label, (x, y), textcoords="offset points", xytext=offsets[label], fontsize=10)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("FLOP per byte")
ax.set_ylabel("attainable TFLOPS")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 算术强度随每次前向的 token 数变化 {#intensity-vs-tokens}
#
# 只看权重时强度 $\approx n$。但 decode 的 batch 里每条序列都要读自己的 KV cache，
# 这部分流量不随 batch 摊薄，所以 MHA 模型在长上下文下把 batch 开到多大，强度也上不去。

# %%
n = np.unique(np.logspace(0, 4.2, 200).astype(int))
#| alt: 双对数图：横轴是一次前向处理的 token 数，纵轴是算术强度；只算权重时强度等于 n，prefill 接近它，而 batch 为 n 的 decode（三条虚线，上下文 512、4096、32768）很快饱和在低处，上下文越长饱和值越低，远低于 A100、H100 的拐点（点线）
fig, ax = plt.subplots(figsize=(4.8, 3.8))
ax.plot(n, [arithmetic_intensity(k, N) for k in n], label="weights only (= n)")
ax.plot(n, [prefill_intensity(k) for k in n], label="prefill, n tokens")
for ctx in (512, 4096, 32768):
    ax.plot(n, [decode_intensity(k, ctx) for k in n], ls="--", label=f"decode, ctx {ctx // 1024 or 0.5}K")
for name, r in ridge.items():
    ax.axhline(r, color="gray", lw=1, ls=":")
    ax.text(2000, r * 1.15, name, color="gray", fontsize=10)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("tokens per forward (prompt or batch)")
ax.set_ylabel("FLOP per byte")
ax.legend(loc="upper left", fontsize=10)
plt.show()

limit_4k = (2 * N + 4 * L * 4096 * d) / (4096 * kv_per_token)
assert decode_intensity(10**6, 4096) < limit_4k < 10          # 再大的 batch 也卡在 ~7.3 FLOP/B
print(f"decode intensity limit at context 4096 (MHA): {limit_4k:.1f} FLOP/B")

# %% [markdown]
# ## 上限从哪来：$1+6d/s$ 与 GQA {#decode-ceiling}
#
# batch 趋于无穷时，权重读取被摊薄，只剩每条序列自己的 KV cache。每条序列每步的 FLOPs 是 $2N+4Lsd$，
# 读的 KV cache 是 $2Lsd$ 个 bf16 数，即 $4Lsd$ 字节，所以上限是 $1+\frac{2N}{4Lsd}$；取 $N\approx12Ld^2$ 得 $1+6d/s$。
# 其中“1”来自注意力本身：MHA 每读 1 个 KV 元素（2 字节）只做 2 次乘加（4 FLOPs）。GQA 每个 KV 头被 $n_h/n_{kv}$ 个 query 头共用，
# 这一项变成 $n_h/n_{kv}$。

# %%
N12 = 12 * L * d * d
for s_ctx in (1024, 4096, 32768):
    lim = decode_intensity_gqa(10**9, s_ctx, N12, L, 32, 32, 128)
    assert np.isclose(lim, 1 + 6 * d / s_ctx, rtol=1e-6)
    print(f"MHA, N = 12 L d^2, context {s_ctx:>5}: ceiling {lim:.2f} = 1 + 6d/s = {1 + 6 * d / s_ctx:.2f}")
# 注意力部分单独看（N → 0）：强度 = 每个 KV 头对应的 query 头数
for n_kv in (32, 8, 1):
    attn = decode_intensity_gqa(1, 4096, 1e-9, L, 32, n_kv, 128)
    assert np.isclose(attn, 32 / n_kv)
# 同一个 7B 形状改成 GQA-8：每条序列读的 KV cache 小 4 倍，4K 上下文下的上限也正好大 4 倍（约 7.3 -> 29）
gqa_lim = decode_intensity_gqa(10**9, 4096, N, L, 32, 8, 128)
assert np.isclose(gqa_lim, 4 * limit_4k, rtol=1e-6)
print(f"context 4096 ceiling: MHA {limit_4k:.1f}, GQA-8 {gqa_lim:.1f} FLOP/B")
# 吸收后的 MLA（DeepSeek-V3 维度）：128 个头共用每 token 576 个 bf16 数，打分 576 维、加权 512 维
mla_attn = 2 * 128 * (576 + 512) / (576 * 2)
print(f"absorbed MLA decode attention: {mla_attn:.0f} FLOP/B")
assert 240 < mla_attn < 243

# %% [markdown]
# ## 每个 token 摊到的时间 {#time-per-token}
#
# 用 roofline 估计一次前向的下界：$t=\max(\text{FLOPs}/\text{peak},\ \text{bytes}/\text{BW})$，再除以这次处理的 token 数。

# %%
def forward_time(flops, bytes_, peak, bw):
    return max(flops / peak, bytes_ / bw)


peak, bw = hw["A100"]
per_tok = [forward_time(2 * N * k, 2 * N, peak, bw) / k for k in n]
#| alt: 双对数图：A100 上每个 token 摊到的时间下界随一次前向处理的 token 数下降，约 150 个 token 以内每步都要花一次完整的权重读取（约 7 ms），之后变平为算力下界约 0.045 ms/token
fig, ax = plt.subplots()
ax.plot(n, np.array(per_tok) * 1e3)
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("tokens per forward pass")
ax.set_ylabel("ms per token (A100 bound)")
plt.show()

tpot = forward_time(2 * N, 2 * N, peak, bw)                        # batch-1 decode 一步
ttft = forward_time(2 * N * 2048 + 2 * L * 2048**2 * d, 2 * N, peak, bw)   # 2048-token prompt
print(f"TPOT lower bound {tpot * 1e3:.1f} ms/token, TTFT lower bound (2048 tokens) {ttft * 1e3:.0f} ms, "
      f"prefill {ttft / 2048 * 1e3:.3f} ms/token")
assert tpot / (ttft / 2048) > 100

# %% [markdown]
# ## TPOT 与 ITL 的平均值不一样 {#tpot-vs-itl}
#
# TPOT 先对每个请求求 $(\text{E2E}-\text{TTFT})/(n_{\text{out}}-1)$，再在请求间平均；ITL 是所有相邻 token 间隔的集合，
# 平均时每个间隔权重相同，长回复占的分量更大。两个请求：A 输出 10 个 token、间隔 20 ms，B 输出 100 个 token、间隔 50 ms。

# %%
gaps = {"A": np.full(9, 20.0), "B": np.full(99, 50.0)}           # ms，n_out - 1 个间隔
tpot_mean = np.mean([g.mean() for g in gaps.values()])
itl_mean = np.concatenate(list(gaps.values())).mean()
print(f"mean TPOT {tpot_mean:.1f} ms, mean ITL {itl_mean:.1f} ms")
assert tpot_mean == 35.0 and np.isclose(itl_mean, (9 * 20 + 99 * 50) / 108)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 一次前向的算术强度约等于它处理的 token 数：batch=1 的 decode 约 1 FLOP/B，远低于 A100/H100 约 150/300 FLOP/B 的拐点，只能用上 1% 左右的算力。
# - prefill 几百个 token 就越过拐点，变成计算受限。
# - 加大 decode batch 能摊薄权重读取，但 KV cache 读取随 batch 线性增长；强度上限约 $1+6d/s$（MHA），7B、4K 上下文约 7.3 FLOP/B，GQA-8 正好是它的 4 倍（约 29），这正是 GQA/MLA 与 KV 量化要解决的问题。
