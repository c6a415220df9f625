# %% [markdown]
# ---
# description: 用第一性原理算 KV cache 与训练显存（单位 GiB = 2^30 字节）：GPT-3 例子 9 GiB，MHA/GQA/MQA/MLA 随序列长度的增长，混合精度 Adam 的 16 字节/参数与激活重计算。
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
# 对应问题：[训练和推理要多少显存？](memory.md#llm-memory-estimation)、[GQA 的 KV cache 怎么算？](memory.md#gqa-kv-cache)、
# [激活重计算能省多少显存？](memory.md#activation-recompute)
#
# ## 从每个 token 每层缓存多少个数出发 {#per-token-per-layer}
#
# 每个 token 在每一层要缓存 K 和 V：MHA 是 $2 n_h d_h$ 个数，GQA 是 $2 g d_h$，MQA 是 $2 d_h$，
# MLA 只缓存 $d_c + d_h^R$（DeepSeek-V3 为 512 + 64）。再乘层数、序列长度、batch 和每个数的字节数。
# 显存一律用 GiB（$2^{30}$ 字节），与 `nvidia-smi` 的 MiB 同一口径。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.kv_cache import (
    transformer_params, kv_cache_bytes, mla_cache_bytes, training_memory_bytes,
    activation_bytes_per_layer, GB, GiB,
)

# 权重：7B 与 70B 在各精度下的 GiB
for n in (7e9, 70e9):
    print(f"{n / 1e9:.0f}B weights: " + ", ".join(f"{name} {n * b / GiB:.1f} GiB"
                                               for name, b in [("fp32", 4), ("bf16", 2), ("int8", 1), ("int4", 0.5)]))
assert np.isclose(7e9 * 2 / GiB, 13.04, atol=0.01) and np.isclose(70e9 * 2 / GiB, 130.4, atol=0.1)

# GPT-3 例子：bs=1，seq=2048（输入加输出），96 层，d=12288 = 96 头 x 128，fp16
L, d, n_h, s = 96, 12288, 96, 2048
d_h = d // n_h
per_token_per_layer = 2 * n_h * d_h            # K 与 V 各 d 个数
first_principles = per_token_per_layer * L * s * 2
calc = kv_cache_bytes(L, n_h, d_h, s, batch=1, bytes_per_elem=2)
assert calc == first_principles
print(f"GPT-3 KV cache, 2048 tokens: {calc / GiB:.2f} GiB (= {calc / GB:.2f} GB); per token {calc / s / 2**20:.2f} MiB")
assert calc == 9 * GiB and calc / s == 4.5 * 2**20

# 常见的错误写法 2*bs*seq*layers*num_head*dim*2 把头数和 d_model 相乘，多乘了 96 倍
naive_formula = 2 * 1 * s * L * n_h * d * 2
assert naive_formula == n_h * calc
print(f"num_head x d_model formula gives {naive_formula / GiB:.0f} GiB (x{naive_formula // calc})")

# 与权重对比：batch=32 时 KV cache 已接近 fp16 权重本身
weights = 2 * transformer_params(L, d, 50257)
assert kv_cache_bytes(L, n_h, d_h, s, batch=32) > 0.8 * weights
# 每 token 的缓存（全部层，bf16）：LLaMA-2-7B、LLaMA-2-70B（GQA-8）、Llama-3-8B（GQA-8）、DeepSeek-V3（MLA）
per_tok = {"LLaMA-2-7B": kv_cache_bytes(32, 32, 128, 1), "LLaMA-2-70B": kv_cache_bytes(80, 8, 128, 1),
           "Llama-3-8B": kv_cache_bytes(32, 8, 128, 1), "DeepSeek-V3": mla_cache_bytes(61, 512, 64, 1)}
print({k: f"{v / 2**10:.1f} KiB" for k, v in per_tok.items()})
assert [per_tok[k] / 2**10 for k in per_tok] == [512, 320, 128, 68.625]
assert kv_cache_bytes(32, 32, 128, 4096) == 2 * GiB and kv_cache_bytes(32, 8, 128, 8192) == GiB
print(f"fp16 weights {weights / GiB:.0f} GiB vs KV cache at batch 32 {kv_cache_bytes(L, n_h, d_h, s, 32) / GiB:.0f} GiB")

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
#| alt: 双对数折线图：DeepSeek-V3 形状下 KV cache（GiB）随序列长度从 1K 到 128K 线性增长，从上到下依次是 MHA、GQA-8、MLA、MQA，MLA 比 MHA 低约 57 倍、只比 MQA 高 2.25 倍
fig, ax = plt.subplots()
for name, f in variants.items():
    ax.plot(seq, [f(int(t)) / GiB for t in seq], marker="o", label=name)
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("tokens (batch 1, bf16)")
ax.set_ylabel("KV cache (GiB)")
ax.legend(loc="upper left")
plt.show()

mla_128k = mla_cache_bytes(L3, 512, 64, 131072)
mha_128k = kv_cache_bytes(L3, heads, hd, 131072)
assert mla_cache_bytes(L3, 512, 64, 1) == 70_272
assert np.isclose(mla_cache_bytes(L3, 512, 64, 1) / kv_cache_bytes(L3, 1, hd, 1), 2.25)
print(f"128K tokens: MHA {mha_128k / GiB:.0f} GiB, MLA {mla_128k / GiB:.2f} GiB (x{mha_128k / mla_128k:.1f})")
assert np.isclose(mha_128k / GiB, 488.0) and np.isclose(mla_128k / GiB, 8.578, atol=1e-3)

# %% [markdown]
# ## 训练显存：每参数 16 字节 {#training-memory}
#
# 混合精度 Adam：fp16 权重 2 + fp16 梯度 2 + fp32 主权重 4 + 一阶矩 4 + 二阶矩 4 = 16 字节/参数，
# 还没算激活值。激活值用 Korthikanti et al. (2022) 的 $34sbd + 5n_hs^2b$（每层，字节）。

# %%
models = {"7B": (7e9, 32, 4096, 32), "13B": (13e9, 40, 5120, 40), "70B": (70e9, 80, 8192, 64)}
#| alt: 堆叠柱状图：7B、13B、70B 全参微调的显存（GiB），从下到上是 bf16 权重、bf16 梯度、fp32 主权重、Adam 的 m 和 v，顶上斜线部分是序列长 4096、选择性重计算时的激活值；模型状态占绝大部分
fig, ax = plt.subplots(figsize=(4.8, 4.4))
bottom = np.zeros(len(models))
names = list(models)
for part in training_memory_bytes(1):
    vals = np.array([training_memory_bytes(models[m][0])[part] / GiB for m in names])
    ax.bar(names, vals, bottom=bottom, label=part)
    bottom += vals
act = np.array([models[m][1] * activation_bytes_per_layer(4096, 1, models[m][2], models[m][3], "selective") / GiB
                for m in names])
ax.bar(names, act, bottom=bottom, label="activations, s=4096", hatch="//", alpha=0.6)
ax.set_ylabel("GiB")
ax.legend(loc="upper left")
plt.show()

total_7b = sum(training_memory_bytes(7e9).values())
assert total_7b == 112 * GB
assert np.isclose(total_7b / GiB, 104.3, atol=0.05)
print(f"7B model states: {total_7b / GiB:.1f} GiB (= {total_7b / GB:.0f} GB)")

# GPT-3 的激活值（b=1, s=2048）：不重算 / 选择性重算 / 全重算
for mode in ("none", "selective", "full"):
    print(f"GPT-3 activations, recompute={mode}: {L * activation_bytes_per_layer(s, 1, d, n_h, mode) / GiB:.1f} GiB")
act_none = L * activation_bytes_per_layer(s, 1, d, n_h)
act_sel = L * activation_bytes_per_layer(s, 1, d, n_h, "selective")
act_full = L * activation_bytes_per_layer(s, 1, d, n_h, "full")
assert act_none > 3 * act_sel
assert np.isclose(act_none / GiB, 256.5, atol=0.1) and np.isclose(act_sel / GiB, 76.5, atol=0.1)
assert np.isclose(act_full / GiB, 4.5, atol=0.01)
assert 0.69 < 1 - act_sel / act_none < 0.71          # s^2 项占七成

# %% [markdown]
# ## 结论 {#conclusion}
#
# - GPT-3 在 2048 个 token 时 KV cache 正好 9 GiB（9.66 GB）；把头数与 d_model 相乘的写法多乘了一次头数。
# - 同样形状下 MLA 的缓存是 MHA 的 1/57，是 MQA 的 2.25 倍。
# - 全参训练的模型状态是 16 字节/参数，7B 约 104 GiB；s=2048 时 GPT-3 注意力里 $s^2$ 项占激活值的七成（257 GiB 中的 180 GiB），选择性重算就是冲着它去的，全重算只剩 4.5 GiB。
