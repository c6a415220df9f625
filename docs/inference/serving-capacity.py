# %% [markdown]
# ---
# description: 从 Llama-3-8B 的 config.json 出发算参数量、每 token 的 KV 字节数和一张 80 GB 卡在不同上下文长度下能放下的并发序列数，比较 GQA、FP8 KV 与 MHA，估算带宽给出的 TPOT 下界、PD 分离要搬的 KV 和一个 LoRA adapter 的大小，并演示 key 为什么按通道量化。
# tags:
#   - 显存估算
#   - KV cache
#   - GQA
#   - KV cache 量化
#   - 并发
#   - 动手验证
# ---
# # 一张卡能撑多少并发：Llama-3-8B 的 KV cache 计算器
#
# 对应问题：[一张 80 GB 的卡能撑多少并发？](serving.md#gpu-concurrency-estimate)、
# [KV cache 怎么量化？](serving.md#kv-cache-quantization)、[多 LoRA 服务](serving.md#multi-lora-serving)
#
# ## 从 config.json 出发 {#from-config}
#
# Llama-3-8B 的 config.json：32 层、hidden 4096、32 个 query 头、8 个 KV 头（GQA）、FFN 14336、词表 128256、
# 输入输出嵌入不共享；每头维度 4096 / 32 = 128。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.serving import (
    fake_quant, kv_bytes_per_token, llama_param_count, lora_param_count, max_concurrent_sequences,
)

cfg = {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
       "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
       "tie_word_embeddings": False}
L, d_h = cfg["num_hidden_layers"], cfg["hidden_size"] // cfg["num_attention_heads"]
n_params = llama_param_count(cfg)
weights = 2 * n_params                                          # bf16
kv_tok = kv_bytes_per_token(L, cfg["num_key_value_heads"], d_h, 2)
kv_tok_mha = kv_bytes_per_token(L, cfg["num_attention_heads"], d_h, 2)
print(f"parameters {n_params / 1e9:.2f} B, bf16 weights {weights / 1e9:.2f} GB")
print(f"KV per token: GQA {kv_tok / 1024:.0f} KiB, if it were MHA {kv_tok_mha / 1024:.0f} KiB")
assert n_params == 8_030_261_248
assert kv_tok == 2 * 32 * 8 * 128 * 2 == 128 * 1024 and kv_tok_mha == 4 * kv_tok

# %% [markdown]
# ## 并发上限随上下文长度的变化 {#concurrency-table}
#
# 假设：显存按 80 × 10⁹ 字节计，框架只用 90%（vLLM 的 `gpu_memory_utilization` 默认值量级），
# 再给激活、CUDA graph 与临时缓冲留 4 GB（假设值；实际由框架在启动时实测）。剩下的都给 KV cache，
# 每条序列按满上下文长度、16 token 的块向上取整。

# %%
GPU, UTIL, RESERVE = 80e9, 0.9, 4e9
budget = GPU * UTIL - weights - RESERVE
contexts = [2048, 4096, 8192, 16384, 32768, 65536, 131072]
variants = {"GQA, bf16 KV": kv_tok, "GQA, fp8 KV": kv_tok // 2, "MHA (32 KV heads), bf16": kv_tok_mha}
table = {name: [max_concurrent_sequences(GPU, weights, per_tok, n, UTIL, RESERVE) for n in contexts]
         for name, per_tok in variants.items()}
print(f"KV budget {budget / 1e9:.1f} GB = {budget / kv_tok:,.0f} tokens of bf16 GQA KV\n")
print("context   " + "  ".join(f"{name:>24s}" for name in table))
for i, n in enumerate(contexts):
    print(f"{n:7d}   " + "  ".join(f"{table[name][i]:24d}" for name in table))

bf16, fp8, mha = (np.array(table[k]) for k in variants)
assert table["GQA, bf16 KV"][contexts.index(8192)] == 48
assert np.all(np.abs(fp8 - 2 * bf16) <= 1) and np.all(np.abs(mha - bf16 // 4) <= 1)
assert np.all(bf16[:-1] >= 2 * bf16[1:])                        # 上下文翻倍，并发至少减半

#| alt: 双对数坐标，横轴是每条序列的上下文长度（2K 到 128K token），纵轴是一张 80 GB 卡上能同时放下的序列数：Llama-3-8B 的 GQA bf16 KV 在 8K 时为 48 条、128K 时为 3 条；FP8 KV 整体翻倍；若是 32 个 KV 头的 MHA 则只有四分之一，128K 时一条都放不下
fig, ax = plt.subplots()
for name, vals in table.items():
    vals = np.array(vals, dtype=float)
    ax.loglog(contexts, np.where(vals > 0, vals, np.nan), "o-", label=name)
ax.set_xticks(contexts, ["2K", "4K", "8K", "16K", "32K", "64K", "128K"])
ax.minorticks_off()
ax.set_xlabel("context length per sequence (tokens)")
ax.set_ylabel("max concurrent sequences")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 带宽给出的 TPOT 下界 {#tpot-bound}
#
# 显存放满时，每一步 decode 至少要把权重和所有序列的 KV 各读一遍。按 H100 SXM 约 3.35 TB/s 的显存带宽
# （[roofline 一节](memory.md#prefill-compute-vs-decode-memory)用的近似规格），8K 上下文、48 条序列满载时：

# %%
BW = 3.35e12
n8k = table["GQA, bf16 KV"][contexts.index(8192)]
step_bytes = weights + n8k * 8192 * kv_tok
tpot = step_bytes / BW
print(f"bytes read per decode step {step_bytes / 1e9:.1f} GB -> TPOT >= {tpot * 1e3:.1f} ms, "
      f"throughput <= {n8k / tpot:,.0f} tokens/s")
assert 0.010 < tpot < 0.030
assert n8k * 8192 * kv_tok > 3 * weights                        # 满载时 KV 比权重还大得多

# %% [markdown]
# 反过来，给定 TPOT 的 SLO，batch 不能超过 (SLO × 带宽 − 权重) / (每条序列的 KV 字节数)：
# SLO 宽松时显存先到上限，SLO 紧时延迟先到上限。

# %%
per_seq_8k = 8192 * kv_tok
for slo in (0.050, 0.015):
    b_slo = int((slo * BW - weights) // per_seq_8k)
    print(f"TPOT SLO {slo * 1e3:.0f} ms -> at most {b_slo} sequences of 8K by bandwidth; memory allows {n8k}")
    assert (b_slo > n8k) == (slo == 0.050)

# %% [markdown]
# ## PD 分离要搬多少 KV {#pd-transfer}
#
# prefill 节点算完一个 4096 token 的 prompt 后，要把它的 KV cache 传给 decode 节点。链路带宽取 50 GB/s 只是假设值，
# prefill 的算力下界按 [roofline 一节](memory.md#prefill-compute-vs-decode-memory)的 A100 近似规格。

# %%
kv_prompt = 4096 * kv_tok
t_transfer = kv_prompt / 50e9
t_prefill = 2 * n_params * 4096 / 312e12        # 算力下界：2N FLOPs/token，A100 约 312 TFLOPS（近似规格）
print(f"KV of a 4096-token prompt: {kv_prompt / 2**20:.0f} MiB; at an assumed 50 GB/s link: {t_transfer * 1e3:.1f} ms; "
      f"prefill compute bound {t_prefill * 1e3:.0f} ms")
assert kv_prompt == 512 * 2**20 and t_transfer < 0.1 * t_prefill

# %% [markdown]
# ## 一个 LoRA adapter 有多大 {#lora-size}
#
# rank 16、只加在 q、k、v、o 四个投影上：每个矩阵 r × (d_in + d_out) 个参数。

# %%
lora = lora_param_count(cfg, 16)
print(f"rank-16 LoRA on q,k,v,o: {lora / 1e6:.1f} M params = {2 * lora / 1e6:.1f} MB in bf16 "
      f"= KV of {2 * lora / kv_tok:.0f} tokens; {n_params / lora:.0f}x smaller than the base model")
assert 2 * lora < 300 * kv_tok and n_params / lora > 500

# %% [markdown]
# ## key 为什么按通道量化 {#kv-quant-axis}
#
# KIVI 观察到 key 有少数幅度很大的固定通道。合成一个 (512 token × 128 通道) 的 key 矩阵，其中 4 个通道放大 15 倍：
# 按 token 量化时，每个 token 的 scale 被离群通道撑大，其余通道只剩一两个量化级；按通道量化把离群通道隔离在自己的组里。

# %%
rk = np.random.default_rng(0)
keys = rk.normal(size=(512, 128))
outliers = [5, 40, 77, 101]
keys[:, outliers] *= 15
normal = np.ones(128, dtype=bool)
normal[outliers] = False
bits = [2, 3, 4, 8]


def rmse_normal_channels(axis, b):
    """量化误差的均方根，只统计 124 个普通通道（它们的原始幅度约为 1）。"""
    return np.sqrt(np.mean((fake_quant(keys, b, axis=axis) - keys)[:, normal] ** 2))


err_channel = [rmse_normal_channels(0, b) for b in bits]
err_token = [rmse_normal_channels(1, b) for b in bits]
for b, ec, et in zip(bits, err_channel, err_token):
    print(f"{b} bit: RMSE on ordinary channels, per-channel {ec:.3f}, per-token {et:.3f}")
assert all(et > 4 * ec for ec, et in zip(err_channel, err_token))
assert err_token[0] > 1 > err_channel[0]          # 2 bit 按 token：误差比信号本身（幅度 1）还大

#| alt: 横轴是量化位数（2、3、4、8），纵轴是 124 个普通通道上的量化误差均方根（对数刻度）：有 4 个离群通道时，按 token 量化的误差在每个位数下都约是按通道量化的 6 倍，2 bit 时超过 3，比信号本身的幅度 1 还大
fig, ax = plt.subplots()
ax.semilogy(bits, err_token, "s--", label="per-token groups")
ax.semilogy(bits, err_channel, "o-", label="per-channel groups")
ax.set_xticks(bits)
ax.set_xlabel("bits")
ax.set_ylabel("RMSE, ordinary channels")
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - Llama-3-8B 有 8.03 B 参数（bf16 16.1 GB），每 token 的 KV 是 128 KiB；按上面的假设，80 GB 卡在 8K 上下文时能放 48 条序列、128K 时 3 条。
# - FP8 KV 让并发翻倍；同样的形状若用 MHA（32 个 KV 头），并发只有 GQA 的四分之一。
# - 满载时每步要读约 68 GB，TPOT 的带宽下界约 20 ms；TPOT 的 SLO 为 15 ms 时，带宽只允许 31 条 8K 序列；一个 4096 token prompt 的 KV 是 512 MiB；一个 rank-16 LoRA 只相当于约 200 个 token 的 KV。
# - 有离群通道时，按 token 量化会把普通通道的误差放大约 6 倍（2 bit 时比信号还大），按通道量化不受影响。
