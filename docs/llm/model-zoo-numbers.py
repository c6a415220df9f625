# %% [markdown]
# ---
# description: 用 Llama、Qwen、DeepSeek、Kimi K2、GLM-4.5、gpt-oss 的公开 config 重建总参数与激活参数（与官方数字相差 1% 以内，激活参数的口径各家不同），计算每 token 的 KV cache（MHA、GQA、MLA、滑窗混合），并验证线性注意力的递推形式。
# tags:
#   - LLM
#   - 模型结构
#   - MoE
#   - KV cache
#   - 线性注意力
#   - 动手验证
# ---
# # 由公开配置算模型的参数量与 KV cache
#
# 对应问题：[主流开源大模型的结构有什么区别？](model-zoo.md#open-model-architecture-comparison)、
# [总参数和激活参数怎么从 config 算出来？](model-zoo.md#params-from-config)、
# [线性注意力为什么是 O(N)？](model-zoo.md#linear-attention-state)
#
# ## 参数量重建 {#zoo-nb-params}
#
# 配置字段取自各模型的 config.json（`snippets/llm/model_zoo.py` 的 `CONFIGS`）。FFN 全是 SwiGLU（每个专家 3 个矩阵），
# 注意力分 GQA 与 MLA 两种；偏置、q/k 归一化、attention sink 也计入。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.model_zoo import (ACTIVE_CONVENTION, CONFIGS, active_by_convention, kv_cache_bytes,
                                    kv_cache_bytes_per_token, linear_attention_parallel,
                                    linear_attention_recurrent, mtp_module_params, param_count)

rng = np.random.default_rng(0)
# 官方数字：模型卡 / README / 技术报告（见问题页参考块），单位 B
PUBLISHED = {
    "Llama-3.1-405B": (405, None), "Llama-4-Maverick": (400, 17), "Qwen3-235B-A22B": (235, 22),
    "DeepSeek-V3": (671, 36.7), "Kimi-K2": (1000, 32), "GLM-4.5": (355, 32),
    "gpt-oss-120b": (117, 5.1), "gpt-oss-20b": (21, 3.6),
}
stats = {name: param_count(cfg) for name, cfg in CONFIGS.items()}
print(f"{'model':18s} {'total':>9s} {'published':>9s} {'active':>8s} {'published':>9s}  convention")
for name, (tot, act) in PUBLISHED.items():
    p = stats[name]
    a = active_by_convention(p, ACTIVE_CONVENTION.get(name, "with_embedding"))
    shown = f"{act:8.1f}B" if act else f"{'-':>9s}"
    print(f"{name:18s} {p['total'] / 1e9:8.1f}B {tot:8.1f}B {a / 1e9:7.2f}B {shown}  {ACTIVE_CONVENTION.get(name, '-')}")
    assert abs(p["total"] / 1e9 / tot - 1) < (0.03 if name == "Kimi-K2" else 0.01)
    if act:
        assert abs(a / 1e9 / act - 1) < 0.02

# %% [markdown]
# 总参数没有歧义，重建值都在 1% 以内（Kimi K2 的 README 把 1.03T 写成 “1T”）。激活参数则各家口径不同：
# Llama 4 与 Qwen3 的数字含输入 embedding，DeepSeek、Kimi、gpt-oss 不含输入 embedding（查表不算计算），
# GLM-4.5 的 32B 连输出层也不含。同一个模型，三种口径能差出几个百分点：

# %%
for name in ["DeepSeek-V3", "GLM-4.5", "gpt-oss-120b"]:
    p = stats[name]
    vals = {c: round(active_by_convention(p, c) / 1e9, 2)
            for c in ("with_embedding", "no_input_embedding", "no_embedding_no_head")}
    print(name, vals)
p = stats["gpt-oss-120b"]
assert (active_by_convention(p, "with_embedding") - active_by_convention(p, "no_input_embedding")) / p["active"] > 0.1

#| alt: 上下两张横向条形图，对数横轴：上图是各模型的总参数（从 gpt-oss-20b 的约 21B 到 Kimi K2 的约 1T），下图是激活参数（含 embedding）占总参数的比例，稠密模型是 100%，MoE 模型在 3% 到 20% 之间，Kimi K2 约 3%、Llama 4 Maverick 约 4% 最稀疏，gpt-oss-20b 约 20%
names = [n for n in CONFIGS if n not in ("Llama-2-7B", "Llama-3-8B")]
tot = np.array([stats[n]["total"] for n in names]) / 1e9
frac = np.array([(stats[n]["active"] + stats[n]["embedding"]) / stats[n]["total"] for n in names])
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharey=True, layout="constrained")
y = np.arange(len(names))
axes[0].barh(y, tot)
axes[0].set_xscale("log")
axes[0].set_xlabel("total parameters (B)")
axes[0].set_yticks(y, names)
axes[1].barh(y, frac * 100, color="tab:orange")
axes[1].set_xscale("log")
axes[1].set_xlabel("active / total (%)")
axes[0].invert_yaxis()
plt.show()

# %% [markdown]
# DeepSeek-V3 在 Hugging Face 上的权重是 685B：主模型 671B，再加 1 个 MTP 模块。这个模块是一整层（MLA + 257 个专家的 MoE）
# 加一个 $d\times2d$ 的投影，embedding 与输出层和主模型共享：

# %%
mtp = mtp_module_params(CONFIGS["DeepSeek-V3"])
print(f"MTP module: {mtp / 1e9:.2f}B unique parameters (README_WEIGHTS: 11.5B)")
assert abs(mtp / 1e9 / 11.5 - 1) < 0.015

# %% [markdown]
# ## 每 token 的 KV cache {#zoo-nb-kv}
#
# GQA：$2\,L\,n_{kv}\,d_h$ 个数；MLA：$L\,(d_c+d_h^R)=L\times576$ 个数。gpt-oss 一半层是 128 token 的滑窗，
# 这些层的缓存不随序列增长。下面按 BF16（2 字节）算。

# %%
kv_models = ["Llama-2-70B", "Llama-3.1-405B", "Qwen2.5-72B", "Qwen3-235B-A22B", "GLM-4.5",
             "Llama-4-Maverick", "DeepSeek-V3", "Kimi-K2", "gpt-oss-120b"]
for n in kv_models:
    b = kv_cache_bytes_per_token(CONFIGS[n])
    print(f"{n:18s} {b / 1024:7.1f} KiB/token   128K context: {kv_cache_bytes(CONFIGS[n], 131072) / 2**30:6.2f} GiB")
assert kv_cache_bytes_per_token(CONFIGS["DeepSeek-V3"]) == 61 * 576 * 2
assert kv_cache_bytes_per_token(CONFIGS["Llama-3.1-405B"]) / kv_cache_bytes_per_token(CONFIGS["DeepSeek-V3"]) > 7
# 滑窗层只存 128 个 token：序列很长时 gpt-oss 的缓存约等于只有 18 个全局层
g = CONFIGS["gpt-oss-120b"]
assert kv_cache_bytes(g, 131072) < 1.01 * 18 * 2 * 8 * 64 * 2 * 131072

#| alt: 双对数折线图，横轴是上下文长度（1K 到 128K token），纵轴是一条序列的 KV cache（GiB，BF16）：Llama 3.1 405B 最高，128K 时约 63 GiB；Qwen3-235B 约 23.5 GiB；DeepSeek-V3 的 MLA 约 8.6 GiB；gpt-oss-120b 约 4.5 GiB 最低；所有曲线都随长度线性增长
L = np.logspace(10, 17, 15, base=2).astype(int)
fig, ax = plt.subplots()
for n in ["Llama-3.1-405B", "Qwen3-235B-A22B", "DeepSeek-V3", "gpt-oss-120b"]:
    ax.plot(L, [kv_cache_bytes(CONFIGS[n], int(t)) / 2**30 for t in L], label=n)
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("context length (tokens)")
ax.set_ylabel("KV cache per sequence (GiB)")
ax.legend()
plt.show()

# %% [markdown]
# ## 线性注意力：O(1) 的状态 {#zoo-nb-linear}
#
# 去掉 softmax、换成特征映射 $\phi$ 之后，因果注意力可以写成递推：$S_t=S_{t-1}+\phi(k_t)v_t^\top$，
# $o_t=S_t^\top\phi(q_t)/z_t^\top\phi(q_t)$。并行写法要 $T\times T$ 的矩阵，递推写法每步只更新一个 $d\times d_v$ 的状态。

# %%
T, d, dv = 256, 16, 16
Q, K, V = rng.standard_normal((T, d)), rng.standard_normal((T, d)), rng.standard_normal((T, dv))
par, rec = linear_attention_parallel(Q, K, V), linear_attention_recurrent(Q, K, V)
print("max |parallel - recurrent| =", float(np.abs(par - rec).max()))
assert np.allclose(par, rec)
state = d * dv + d                       # S 与 z
kv_softmax = 2 * T * d                   # softmax 注意力要缓存的 K、V
print(f"state: {state} numbers for any length; softmax KV cache at T = {T}: {kv_softmax} numbers")
assert state < kv_softmax
