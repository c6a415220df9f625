# %% [markdown]
# ---
# description: 用第一性原理算 KV cache 与训练显存：GPT-3 例子约 9.66 GB，MHA/GQA/MQA/MLA 随序列长度的增长，以及混合精度 Adam 的 16 字节/参数。
# tags:
#   - 显存估算
#   - KV cache
#   - GQA
#   - MLA
#   - 混合精度
#   - Adam
#   - 动手验证
# ---
# # KV cache 与训练显存计算器
#
# 对应问题：[训练和推理要多少显存？](memory.md#llm-memory-estimation)
#
# ## 从每个 token 每层缓存多少个数出发 {#per-token-per-layer}
#
# 每个 token 在每一层要缓存 K 和 V：MHA 是 $2 n_h d_h$ 个数，GQA 是 $2 g d_h$，MQA 是 $2 d_h$，
# MLA 只缓存 $d_c + d_h^R$（DeepSeek-V3 为 512 + 64）。再乘层数、序列长度、batch 和每个数的字节数。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.kv_cache import (
    transformer_params, kv_cache_bytes, mla_cache_bytes, training_memory_bytes,
    activation_bytes_per_layer, GB, GiB,
)

# GPT-3 例子：bs=1，seq=2048（输入加输出），96 层，d=12288 = 96 头 x 128，fp16
L, d, n_h, s = 96, 12288, 96, 2048
d_h = d // n_h
per_token_per_layer = 2 * n_h * d_h            # K 与 V 各 d 个数
first_principles = per_token_per_layer * L * s * 2
calc = kv_cache_bytes(L, n_h, d_h, s, batch=1, bytes_per_elem=2)
assert calc == first_principles
print(f"GPT-3 KV cache, 2048 tokens: {calc / GB:.2f} GB = {calc / GiB:.2f} GiB; per token {calc / s / 2**20:.2f} MiB")

# 常见的错误写法 2*bs*seq*layers*num_head*dim*2 把头数和 d_model 相乘，多乘了 96 倍
naive_formula = 2 * 1 * s * L * n_h * d * 2
assert naive_formula == n_h * calc
print(f"num_head x d_model formula gives {naive_formula / GB:.0f} GB (x{naive_formula // calc})")

# 与权重对比：batch=32 时 KV cache 已接近 fp16 权重本身
weights = 2 * transformer_params(L, d, 50257)
assert kv_cache_bytes(L, n_h, d_h, s, batch=32) > 0.8 * weights
print(f"fp16 weights {weights / GB:.0f} GB vs KV cache at batch 32 {kv_cache_bytes(L, n_h, d_h, s, 32) / GB:.0f} GB")

# %% [markdown]
# ## MHA、GQA、MQA、MLA 随序列长度的增长 {#attention-variants}
#
# 用 DeepSeek-V3 的形状（61 层，128 头 x 128 维）做同一模型的四种假想配置，只改变缓存方式。

# %%
L3, heads, hd = 61, 128, 128
seq = 2 ** np.arange(10, 18)                    # 1K .. 128K
variants = {
    "MHA (128 KV heads)": lambda t: kv_cache_bytes(L3, heads, hd, t),
    "GQA (8 groups)": lambda t: kv_cache_bytes(L3, 8, hd, t),
    "MLA (512 + 64)": lambda t: mla_cache_bytes(L3, 512, 64, t),
    "MQA (1 KV head)": lambda t: kv_cache_bytes(L3, 1, hd, t),
}
fig, ax = plt.subplots(figsize=(7, 4.2))
for name, f in variants.items():
    ax.plot(seq, [f(int(t)) / GB for t in seq], marker="o", label=name)
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.axhline(80, color="gray", ls="--", lw=1)
ax.text(seq[0], 90, "80 GB (one H100)", color="gray")
ax.set_xlabel("sequence length (tokens), batch = 1, bf16")
ax.set_ylabel("KV cache (GB)")
ax.set_title("KV cache vs context length, DeepSeek-V3 shape (61 layers)")
ax.legend()
plt.show()

mla_128k = mla_cache_bytes(L3, 512, 64, 131072)
mha_128k = kv_cache_bytes(L3, heads, hd, 131072)
assert mla_cache_bytes(L3, 512, 64, 1) == 70_272
assert np.isclose(mla_cache_bytes(L3, 512, 64, 1) / kv_cache_bytes(L3, 1, hd, 1), 2.25)
print(f"128K tokens: MHA {mha_128k / GB:.0f} GB, MLA {mla_128k / GB:.2f} GB (x{mha_128k / mla_128k:.1f})")

# %% [markdown]
# ## 训练显存：每参数 16 字节 {#training-memory}
#
# 混合精度 Adam：fp16 权重 2 + fp16 梯度 2 + fp32 主权重 4 + 一阶矩 4 + 二阶矩 4 = 16 字节/参数，
# 还没算激活值。激活值用 Korthikanti et al. (2022) 的 $34sbh + 5as^2b$（每层，字节）。

# %%
models = {"7B": (7e9, 32, 4096, 32), "13B": (13e9, 40, 5120, 40), "70B": (70e9, 80, 8192, 64)}
fig, ax = plt.subplots(figsize=(7, 4.2))
bottom = np.zeros(len(models))
names = list(models)
for part in training_memory_bytes(1):
    vals = np.array([training_memory_bytes(models[m][0])[part] / GB for m in names])
    ax.bar(names, vals, bottom=bottom, label=part)
    bottom += vals
act = np.array([models[m][1] * activation_bytes_per_layer(4096, 1, models[m][2], models[m][3], "selective") / GB
                for m in names])
ax.bar(names, act, bottom=bottom, label="activations (s=4096, b=1, selective recompute)", hatch="//", alpha=0.6)
ax.set_ylabel("GB (10^9 bytes)")
ax.set_title("Full fine-tuning memory: model states 16 B/param + activations")
ax.legend(fontsize=8)
plt.show()

total_7b = sum(training_memory_bytes(7e9).values())
assert total_7b == 112 * GB
assert np.isclose(total_7b / GiB, 104.3, atol=0.05)
print(f"7B model states: {total_7b / GB:.0f} GB = {total_7b / GiB:.1f} GiB")

# GPT-3 的激活值（b=1, s=2048）：不重算 / 选择性重算 / 全重算
for mode in ("none", "selective", "full"):
    print(f"GPT-3 activations, recompute={mode}: {L * activation_bytes_per_layer(s, 1, d, n_h, mode) / GB:.1f} GB")
assert activation_bytes_per_layer(s, 1, d, n_h) > 3 * activation_bytes_per_layer(s, 1, d, n_h, "selective")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - GPT-3 在 2048 个 token 时 KV cache 约 9.66 GB（9.0 GiB）；把头数与 d_model 相乘的写法多乘了一次头数。
# - 同样形状下 MLA 的缓存是 MHA 的 1/57，是 MQA 的 2.25 倍。
# - 全参训练的模型状态是 16 字节/参数，7B 约 112 GB；s=2048 时 GPT-3 注意力里 $s^2$ 项占激活值的七成，选择性重算就是冲着它去的。
