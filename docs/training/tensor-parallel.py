# %% [markdown]
# ---
# description: 用 numpy 验证 Megatron 张量并行：MLP 先列切再行切、注意力按头切，前向各一次 all-reduce 即与原层一致；序列并行拆成 reduce-scatter 加 all-gather；上下文并行的 zigzag 分块。
# tags: [分布式训练, 张量并行, Megatron, 序列并行, 动手验证]
# ---
# # 动手验证：Megatron 张量并行、序列并行与上下文并行的负载均衡
#
# 对应问题：[张量并行：Megatron 怎么切 MLP 和注意力？](distributed.md#tensor-parallel)、
# [序列并行做了什么？](distributed.md#sequence-parallel)、[因果掩码下上下文并行怎么负载均衡？](distributed.md#cp-load-balance)
#
# ## MLP：先列切再行切，一次 all-reduce {#mlp-column-row}
#
# $Y=\mathrm{GeLU}(XW_1)W_2$。把 $W_1$ 按列切成 $t$ 块、$W_2$ 按对应的行切：rank $i$ 算 $\mathrm{GeLU}(XW_1^{(i)})W_2^{(i)}$，
# 得到 $Y$ 的一个加数。GeLU 是逐元素的，可以直接作用在本地那几列上；前向只需在最后把 $t$ 个加数 all-reduce。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.distributed import (mlp_forward, tp_mlp_forward, attention_forward, tp_attention_forward,
                                           gelu, check_tp_degree, ring_reduce_scatter, ring_all_gather,
                                           ring_all_reduce, llama_activation_bytes_per_layer, ModelConfig,
                                           causal_cp_work)

rng = np.random.default_rng(0)
s, d, f = 8, 32, 128
x = rng.normal(size=(s, d))
w1, w2 = rng.normal(size=(d, f)) / np.sqrt(d), rng.normal(size=(f, d)) / np.sqrt(f)
y_ref = mlp_forward(x, w1, w2)
for t in (1, 2, 4, 8):
    y, partials, n_allreduce = tp_mlp_forward(x, w1, w2, t)
    err = np.abs(y - y_ref).max()
    print(f"t={t}: max |TP - unsplit| = {err:.1e}, all-reduces in forward = {n_allreduce}")
    assert err < 1e-12 and n_allreduce == 1 and len(partials) == t

# %% [markdown]
# 反过来先把 $W_1$ 按行切（同时切 $X$ 的列），每个 rank 得到的是 $XW_1$ 的一个**加数**，而 $\mathrm{GeLU}(a+b)\ne\mathrm{GeLU}(a)+\mathrm{GeLU}(b)$，
# 所以 GeLU 之前就必须先通信一次。

# %%
a, b = x[:, : d // 2] @ w1[: d // 2], x[:, d // 2:] @ w1[d // 2:]
gap = np.abs(gelu(a) + gelu(b) - gelu(a + b)).max()
print(f"max |GeLU(a) + GeLU(b) - GeLU(a + b)| = {gap:.2f}")
assert np.allclose(a + b, x @ w1) and gap > 0.1

# %% [markdown]
# ## 注意力：按头切，GQA 的 KV 头也要能整除 {#attention-heads}
#
# 每个 rank 拿 $n_h/t$ 个 Q 头与 $n_{kv}/t$ 个 KV 头（$W_Q,W_K,W_V$ 列切），各头的 softmax 互不相干，本地算完；
# $W_O$ 行切，输出投影后一次 all-reduce。

# %%
n_heads, n_kv, dh = 8, 4, 4
dm = n_heads * dh
xa = rng.normal(size=(s, dm))
wq, wo = rng.normal(size=(dm, n_heads * dh)) / np.sqrt(dm), rng.normal(size=(n_heads * dh, dm)) / np.sqrt(dm)
wk, wv = rng.normal(size=(dm, n_kv * dh)) / np.sqrt(dm), rng.normal(size=(dm, n_kv * dh)) / np.sqrt(dm)
att_ref = attention_forward(xa, wq, wk, wv, wo, n_heads, n_kv)
for t in (1, 2, 4):
    y, _, n_ar = tp_attention_forward(xa, wq, wk, wv, wo, n_heads, n_kv, t)
    assert np.abs(y - att_ref).max() < 1e-12 and n_ar == 1
print("head-split attention equals the unsplit layer for t = 1, 2, 4 (8 Q heads, 4 KV heads)")

for bad in [(3, dict(n_heads=64)), (16, dict(d_model=8192, n_heads=64, n_kv_heads=8)), (8, dict(d_ffn=100))]:
    try:
        check_tp_degree(bad[0], **bad[1])
        raise AssertionError("should have raised")
    except ValueError as e:
        print("ValueError:", e)

# %% [markdown]
# ## 一层 Transformer 的通信次数 {#per-layer-count}
#
# 注意力块与 MLP 块各一次 all-reduce，前向共 2 次；反向时每块输入端（Megatron 的 $f$ 算子）把输入梯度的加数 all-reduce，同样 2 次。
# 每次 all-reduce 的数据量是一整个激活 $s\times b\times h$。

# %%
def tp_block_forward(x, t):
    """一个（无 norm 的）Transformer 块：x + Attn(x)，再 + MLP。返回输出与 all-reduce 次数。"""
    h1, _, c1 = tp_attention_forward(x, wq, wk, wv, wo, n_heads, n_kv, t)
    x1 = x + h1
    h2, _, c2 = tp_mlp_forward(x1, w1_blk, w2_blk, t)
    return x1 + h2, c1 + c2


w1_blk, w2_blk = rng.normal(size=(dm, 4 * dm)) / np.sqrt(dm), rng.normal(size=(4 * dm, dm)) / np.sqrt(4 * dm)
y_blk, n_fwd = tp_block_forward(xa, 4)
x1_ref = xa + att_ref
assert np.allclose(y_blk, x1_ref + mlp_forward(x1_ref, w1_blk, w2_blk)) and n_fwd == 2
print("forward all-reduces per layer:", n_fwd, "| backward (f operators at the two block inputs): 2")

# %% [markdown]
# ## 序列并行：all-reduce = reduce-scatter + all-gather {#sp-rs-ag}
#
# 张量并行区域之外的 LayerNorm/RMSNorm、dropout、残差在各 TP rank 上是重复计算、重复存储的。序列并行把它们按序列维切开：
# 行切线性层之后不做 all-reduce，而做 **reduce-scatter**（每个 rank 得到求和后的 $s/t$ 个位置），在这 $s/t$ 个位置上做 norm；
# 进入下一个列切线性层前再 **all-gather**。通信量与原来的一次 all-reduce 相同。

# %%
def rms_norm(z, eps=1e-6):
    return z / np.sqrt(np.mean(z * z, axis=-1, keepdims=True) + eps)


t = 4
_, partials, _ = tp_mlp_forward(x, w1, w2, t)
flat = [pt.reshape(-1) for pt in partials]                   # 行优先展开：第 c 块 = 第 c 段 s/t 个位置
pieces, owner, sent_rs = ring_reduce_scatter(flat)
normed = [rms_norm(pc.reshape(s // t, d)).reshape(-1) for pc in pieces]     # 每个 rank 只对 s/t 个位置做 norm
gathered, sent_ag = ring_all_gather(normed, owner)
reduced, sent_ar = ring_all_reduce(flat)
ref_norm = rms_norm(reduced[0].reshape(s, d))
assert all(np.allclose(g.reshape(s, d), ref_norm) for g in gathered)
assert np.all(sent_rs + sent_ag == sent_ar)
print(f"sequence parallel: reduce-scatter {sent_rs[0]} + all-gather {sent_ag[0]} = all-reduce {sent_ar[0]} elements per rank")

# %% [markdown]
# ## 激活显存：TP 只切一半，TP+SP 全部除以 t {#sp-activation-bytes}
#
# 用 LLaMA-2-70B 的形状（$h=8192$，FFN 28672，GQA 8 个 KV 头）逐项估计一层要存的激活（bf16、FlashAttention、无 dropout）：
# 注意力与 MLP 内部的张量被 TP 切分，两个 RMSNorm 的输入输出（$8sbh$ 字节）不被切；加上序列并行后它们也除以 $t$。

# %%
cfg = ModelConfig(n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ffn=28672, vocab=32000)
seq, mb = 4096, 1
per_tok = lambda **kw: llama_activation_bytes_per_layer(cfg, seq, mb, **kw) / (seq * mb * cfg.d_model)
ts = np.array([1, 2, 4, 8])
tp_only = np.array([per_tok(tp=int(t), sequence_parallel=False) for t in ts])
tp_sp = np.array([per_tok(tp=int(t), sequence_parallel=True) for t in ts])
print("bytes per token per layer / h:  TP only", np.round(tp_only, 2), "| TP+SP", np.round(tp_sp, 2))
assert np.allclose(tp_sp, tp_sp[0] / ts)
assert np.isclose(tp_only[-1] - tp_sp[-1], 8 * (1 - 1 / 8))     # 未切分的 8sbh 只在 SP 下被除以 t

fig, ax = plt.subplots()
ax.plot(ts, tp_only, "o-", label="tensor parallel only")
ax.plot(ts, tp_sp, "s-", label="tensor + sequence parallel")
ax.plot(ts, tp_sp[0] / ts, ":", color="gray", label="ideal: (t=1 value) / t")
ax.set_xscale("log", base=2)
ax.set_xticks(ts, [str(t) for t in ts])
ax.set_xlabel("tensor-parallel degree t")
ax.set_ylabel("activation bytes / (s b h)")
ax.legend()
#| alt: 横轴是张量并行度 t（1、2、4、8），纵轴是一层激活字节数除以 s·b·h；只有 TP 时曲线下降越来越慢、趋向 8（t=8 时约 11.2），加上序列并行后与理想的 1/t 虚线重合（t=8 时约 4.2）。
plt.show()

# %% [markdown]
# ## 上下文并行：因果掩码下的负载均衡 {#cp-balance}
#
# 上下文并行把序列切到 $N$ 张卡上。因果掩码下位置 $q$ 只看前 $q+1$ 个 key，按顺序切块时最后一块的工作量最大；
# 把序列切成 $2N$ 块、第 $i$ 张卡拿第 $i$ 块和第 $2N-1-i$ 块，每张卡要算的 (query, key) 对数完全相同。

# %%
for n_cp in (2, 4, 8):
    plain, zig = causal_cp_work(n_cp, 8192, zigzag=False), causal_cp_work(n_cp, 8192)
    print(f"CP={n_cp}: contiguous max/min work {plain.max() / plain.min():5.1f}x, zigzag {zig.max() / zig.min():.1f}x")
    assert np.all(zig == zig[0]) and plain.sum() == zig.sum() == 8192 * 8193 // 2
    assert np.isclose(plain.max() / plain.min(), 2 * n_cp - 1, rtol=0.01)     # 最后一块约是第一块的 2N-1 倍

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 列切 + 行切的 MLP、按头切的注意力都与不切分的层一致，每个块前向只需一次 all-reduce；一层前向 2 次、反向 2 次。
# - 先行切会在 GeLU 前多一次通信，所以 Megatron 选“先列后行”；TP 度必须整除头数、KV 头数与 FFN 维度。
# - 序列并行用 reduce-scatter + all-gather 代替 all-reduce，通信量不变，norm 等操作的激活也能除以 $t$。
# - 上下文并行按“一头一尾”配对分块后，因果掩码下各卡的注意力工作量相同；按顺序切则最后一张卡约是第一张的 $2N-1$ 倍。
