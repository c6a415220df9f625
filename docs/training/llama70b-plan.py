# %% [markdown]
# ---
# description: 给 LLaMA-2-70B 结构的模型在 64 到 2048 张 80 GB 卡上排 3D 并行方案，逐项估算每卡参数、梯度、优化器状态与激活，并算出流水线气泡、训练 FLOPs 与给定 MFU 下的训练时间。
# tags: [分布式训练, 3D 并行, 显存估算, MFU, 动手验证]
# ---
# # 动手验证：70B 模型的并行方案与每卡显存
#
# 对应问题：[3D/4D 并行怎么组合？](distributed.md#3d-parallelism)、[70B 模型在 N 张 80 GB 卡上每卡显存多少？](distributed.md#llama-70b-plan)、
# [MFU 怎么算？](distributed.md#mfu)
#
# ## 模型与参数量 {#model}
#
# 结构取 LLaMA-2-70B 的公开配置：80 层，$d=8192$，64 个注意力头（每头 128 维），GQA 8 个 KV 头，SwiGLU 的 FFN 维度 28672，词表 32000，输入输出嵌入不共享。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.distributed import (ModelConfig, llama_param_count, plan_memory_per_gpu, check_parallel_plan,
                                           llama_activation_bytes_per_layer, train_flops_per_token, mfu)
from snippets.training.pipeline import bubble_fraction

cfg = ModelConfig(n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ffn=28672, vocab=32000)
psi = llama_param_count(cfg)
per_layer = (psi - 2 * cfg.vocab * cfg.d_model - cfg.d_model) / cfg.n_layers
print(f"parameters {psi:,} ({psi / 1e9:.2f} B); per layer {per_layer / 1e6:.1f} M; embeddings {2 * cfg.vocab * cfg.d_model / 1e6:.0f} M")
assert abs(psi / 1e9 - 68.98) < 0.01
print(f"mixed-precision Adam model states: {16 * psi / 1e9:.0f} GB in total")

# %% [markdown]
# ## 每层激活 {#activations}
#
# bf16、FlashAttention（不存 $s\times s$ 的注意力矩阵）、无 dropout，一层要存的张量逐项相加约为 $33.5\,sbh$ 字节
# （$s=4096$、micro-batch $b=1$ 时约 1.12 GB）。张量并行 + 序列并行把它整体除以 $t$；全量重计算只存每层输入 $2sbh$。

# %%
seq, mb = 4096, 1
layer_act = llama_activation_bytes_per_layer(cfg, seq, mb)
print(f"one layer, s={seq}, b={mb}: {layer_act / 1e9:.2f} GB = {layer_act / (seq * mb * cfg.d_model):.1f} s*b*h bytes")
assert np.isclose(layer_act / (seq * mb * cfg.d_model), 33.5)
assert np.isclose(llama_activation_bytes_per_layer(cfg, seq, mb, tp=8), layer_act / 8)

# %% [markdown]
# ## 五个方案 {#plans}
#
# 统一假设：H100 80 GB、每节点 8 卡；ZeRO-1（分布式优化器）在数据并行组内切优化器状态；1F1B 调度，第一级同时持有 $p$ 个 micro-batch；
# 序列并行打开。表里是第一个流水线级（最满的那张卡）的估计，不含 CUDA 上下文、通信缓冲和显存碎片（实践中留 10–20 GB 余量）。

# %%
plans = [
    ("DP64 ZeRO-3", dict(n_gpus=64, tp=1, pp=1, dp=64, zero_stage=3)),
    ("DP64 ZeRO-3 + full recompute", dict(n_gpus=64, tp=1, pp=1, dp=64, zero_stage=3, recompute="full")),
    ("TP8 DP8 (64 GPUs)", dict(n_gpus=64, tp=8, pp=1, dp=8)),
    ("TP4 PP8 DP16 (512 GPUs)", dict(n_gpus=512, tp=4, pp=8, dp=16)),
    ("TP8 PP4 DP16 (512 GPUs)", dict(n_gpus=512, tp=8, pp=4, dp=16)),
]
keys = ["params", "grads", "optimizer", "activations", "gather buffers"]
table = {}
print(f"{'plan':30s}" + "".join(f"{k[:8]:>9s}" for k in keys) + f"{'total':>9s}  (GB)")
for name, kw in plans:
    mem = plan_memory_per_gpu(cfg, seq_len=seq, micro_batch=mb, **kw)
    table[name] = mem
    print(f"{name:30s}" + "".join(f"{mem.get(k, 0) / 1e9:9.1f}" for k in keys) + f"{mem['total'] / 1e9:9.1f}")

totals = {k: vv["total"] / 1e9 for k, vv in table.items()}
assert totals["DP64 ZeRO-3"] > 80                                   # 不重计算，80 层激活放不下
assert totals["DP64 ZeRO-3 + full recompute"] < 40
assert 50 < totals["TP8 DP8 (64 GPUs)"] < 70
assert totals["TP8 PP4 DP16 (512 GPUs)"] < totals["TP4 PP8 DP16 (512 GPUs)"]   # 同样 32 路模型并行，TP 大激活小
# 1F1B：流水线级数翻倍，参数减半，但第一级的激活不变（p 个 micro-batch × L/p 层）
a = plan_memory_per_gpu(cfg, 256, 8, 2, 16, seq)["activations"]
b = plan_memory_per_gpu(cfg, 512, 8, 4, 16, seq)["activations"]
assert np.isclose(a, b)

fig, ax = plt.subplots(figsize=(4.8, 3.6))
names = list(table)
left = np.zeros(len(names))
for k, color in zip(keys, ["#1f4e9e", "#6a8fd0", "#2e933c", "#edae49", "#8d6a9f"]):
    vals = np.array([table[n].get(k, 0) / 1e9 for n in names])
    ax.barh(range(len(names)), vals, left=left, color=color, label=k)
    left += vals
ax.axvline(80, color="C1", ls="--", lw=1.2)
ax.set_yticks(range(len(names)), [n.replace(" (", "\n(").replace(" + ", "\n+ ") for n in names])
ax.invert_yaxis()
ax.set_xlabel("GB per GPU (first pipeline stage)")
ax.legend(loc="lower right")
ax.grid(axis="y", visible=False)
#| alt: 横向堆叠条形图，五个并行方案各一条，分段是参数、梯度、优化器状态、激活和 ZeRO-3 的参数收集缓冲，橙色虚线是 80 GB；只用 ZeRO-3 不重计算的方案约 111 GB 超线，其余方案在 16 到 59 GB 之间，TP8 PP4 DP16 最小。
plt.show()

# %% [markdown]
# ## 非法方案会被拒绝 {#invalid}

# %%
for n_gpus, tp, pp, dp in [(128, 16, 1, 8), (81, 1, 81, 1), (64, 8, 4, 4), (0, 8, 1, 1)]:
    try:
        check_parallel_plan(cfg, n_gpus, tp, pp, dp)
        raise AssertionError("should have raised")
    except ValueError as e:
        print(f"tp={tp}, pp={pp}, dp={dp}, N={n_gpus}: ValueError: {e}")

# %% [markdown]
# ## 气泡、FLOPs 与训练时间 {#bubble-flops-time}
#
# 设全局 batch 为 $2^{22}\approx4.2$M token（1024 条 4096 长的序列）。数据并行度 $d$ 决定每个流水线要过几个 micro-batch：$m=1024/(d\cdot b)$。
# 训练 FLOPs 用 $6N$ 加注意力项 $12\,L\,H\,Q\,T$（PaLM 的口径）；再假设 2048 张卡、MFU 40%，估算训练 $2\times10^{12}$ 个 token 的时间。

# %%
seqs_per_step = 1024
for name, kw in plans[2:]:
    m = seqs_per_step // (kw["dp"] * mb)
    bub = bubble_fraction(kw["pp"], m) if kw["pp"] > 1 else 0.0
    print(f"{name:30s} micro-batches per pipeline m={m:4d}, bubble {bub:.1%}")
assert np.isclose(bubble_fraction(4, 64), 3 / 67)

f_tok = train_flops_per_token(psi, cfg.n_layers, cfg.n_heads, cfg.d_model // cfg.n_heads, seq)
attn_share = 1 - 6 * psi / f_tok
print(f"training FLOPs per token: {f_tok:.3e} (attention term {attn_share:.1%} of it)")
assert 0.06 < attn_share < 0.08

peak, n_gpus, target_mfu, tokens = 989e12, 2048, 0.40, 2e12      # H100 SXM 稠密 bf16 峰值
tok_per_s = target_mfu * n_gpus * peak / f_tok
days = tokens / tok_per_s / 86400
print(f"at MFU {target_mfu:.0%} on {n_gpus} GPUs: {tok_per_s / n_gpus:.0f} tokens/s per GPU, {days:.1f} days for {tokens:.0e} tokens")
assert np.isclose(mfu(tok_per_s / n_gpus, f_tok, peak), target_mfu)
assert 10 < days < 15

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 70B 模型的模型状态共约 1.1 TB；64 卡上 TP8 × DP8（ZeRO-1）每卡约 59 GB，纯 ZeRO-3 必须配合全量重计算才放得下。
# - 512 卡上 TP8 × PP4 × DP16 每卡约 22 GB；同样 32 路模型并行时 TP 越大，激活越小（序列并行把激活整体除以 $t$），但 TP 必须留在节点内。
# - 1F1B 下流水线级数不改变第一级的激活量；$m=64$、$p=4$ 时气泡约 4.5%。
# - 序列 4096 时注意力 FLOPs 约占 7%；2048 张 H100 在 40% MFU 下训练 $2\times10^{12}$ token 约需 13 天。
