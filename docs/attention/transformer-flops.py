# %% [markdown]
# ---
# description: 按 Llama-2-7B 的官方配置逐层数出 6.74B 参数（注意力、FFN、嵌入各占多少），推导每 token 前向 FLOPs 与注意力分数 FLOPs 在 L = 6d 处相交，并验证 Q、K 共用一个投影时分数矩阵对称半正定、对角占优。
# tags:
#   - 注意力
#   - Transformer
#   - 参数量
#   - FLOPs
#   - FFN
#   - 动手验证
# ---
# # 动手验证：每层的参数量与 FLOPs，以及 Q、K 共用投影的后果
#
# 对应问题：[参数量和 FLOPs 按层拆分](mha.md#transformer-params-flops)、
# [注意力分数的 FLOPs 何时超过线性层](mha.md#attention-flops-crossover)、
# [为什么 Q、K、V 用三个不同的投影](mha.md#why-separate-qkv)
#
# ## Llama-2-7B 的参数量 {#llama2-7b-params}
#
# 配置取自 Meta 的参考实现与发布的权重：32 层，d = 4096，32 个头（MHA），SwiGLU 隐层 11008，词表 32000，
# 输入嵌入与输出层不共享，每层两个 RMSNorm 加最后一个 RMSNorm（各 d 个增益）。
# 隐层 11008 来自参考实现的取整规则：先取 2/3 × 4d = 10922，再向上取到 256 的倍数。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.mha import (
    forward_flops_per_token, layer_params, masked_softmax, model_params, score_flops_crossover,
)

L_layers, d, h, V = 32, 4096, 32, 32000
d_ff = 256 * -(-int(2 * 4 * d / 3) // 256)
assert d_ff == 11008
m = model_params(L_layers, d, h, V, d_ff=d_ff, ffn="swiglu", norm_weights_per_layer=2)
for k, v in m.items():
    print(f"{k:10s} {v:>14,d}  ({v / m['total']:.1%})")
assert m["total"] == 6_738_415_616                                     # 6.74 B
per = layer_params(d, h, d_ff=d_ff, ffn="swiglu")
print(f"per layer: attention {per['attention']:,} = 4 d^2, FFN {per['ffn']:,} = 3 d d_ff "
      f"({per['ffn'] / (per['attention'] + per['ffn']):.1%} of the layer)")
assert per["attention"] == 4 * d * d
assert abs(per["ffn"] / (per["attention"] + per["ffn"]) - 2 / 3) < 0.01  # FFN ~ two thirds of each layer

# %% [markdown]
# 头数不改变参数量：d 固定时，不论 h 取 1、8 还是 64，W_Q、W_K、W_V、W_O 都是 d × d。
# 改变的只有 GQA 的 KV 头数，注意力参数是 (2 + 2 h_kv / h) d²。

# %%
assert len({layer_params(d, hh)["attention"] for hh in (1, 8, 32, 64)}) == 1
for h_kv in (32, 8, 1):
    a = layer_params(d, h, h_kv)["attention"]
    print(f"h_kv = {h_kv:2d}: attention = {a / d**2:.4f} d^2")
    assert a == (2 + 2 * h_kv / h) * d * d

# %% [markdown]
# ## 每 token 的前向 FLOPs 与交点 n = 6d {#flops-crossover}
#
# 每个权重做一次乘加，是 2 FLOPs，所以权重部分每 token 约 2 × 参数量（嵌入查表不算乘法，输出层 V × d 要算）。
# 注意力分数部分：一个 query 对 n 个 key 算 q·k（每个头 d_h 次乘加，h 个头合计 d 次），再对 n 个 value 加权求和，
# 每层共 2·n·d + 2·n·d = 4·n·d FLOPs，与头数无关。
# 令 4·n·d 等于每层权重的 2 × 12d²，得 n = 6d；Llama-2 的 SwiGLU 层约 12.07 d²，交点约 6.03 d ≈ 24700。

# %%
assert score_flops_crossover(d, h) == 6 * d
L_star = score_flops_crossover(d, h, d_ff=d_ff, ffn="swiglu")
print(f"Llama-2-7B: score FLOPs equal weight FLOPs at n = {L_star:,.0f} = {L_star / d:.3f} d")
assert abs(L_star / d - 6) < 0.05
f = forward_flops_per_token(L_layers, d, h, V, L_star, d_ff=d_ff, ffn="swiglu")
assert f["attention_scores"] == f["attention_proj"] + f["ffn"]
f4k = forward_flops_per_token(L_layers, d, h, V, 4096, d_ff=d_ff, ffn="swiglu")
total4k = sum(f4k.values())
print(f"at n = 4096: {total4k / 1e9:.2f} GFLOPs per token, scores {f4k['attention_scores'] / total4k:.1%}")
assert abs((f4k["attention_proj"] + f4k["ffn"] + f4k["lm_head"]) / (2 * m["total"]) - 1) < 0.04

# %% [markdown]
# 这里的 n 是一个 token 看到的 key 数。因果训练时第 i 个 token 只看 i 个 key，整条长 n 的序列平均每 token 约 n/2 个，
# 所以按序列长度算，交点要到 n ≈ 12d。

# %%
ctx = np.logspace(2, 6, 80)
weights = (f4k["attention_proj"] + f4k["ffn"] + f4k["lm_head"]) * np.ones_like(ctx)
scores = np.array([forward_flops_per_token(L_layers, d, h, V, c, d_ff=d_ff, ffn="swiglu")["attention_scores"]
                   for c in ctx])

#| alt: 双对数坐标，横轴是一个 token 看到的上下文长度（100 到 100 万），纵轴是每 token 前向 GFLOPs：权重部分是一条约 13.2 GFLOPs 的水平线，注意力分数部分随长度线性上升，两者在约 2.5 万处相交（n = 6d）
fig, ax = plt.subplots()
ax.loglog(ctx, weights / 1e9, label="weights (2 x params)")
ax.loglog(ctx, scores / 1e9, label="attention scores (4 n d per layer)")
ax.loglog(ctx, (weights + scores) / 1e9, "k--", lw=1, label="total")
ax.axvline(L_star, color="gray", lw=1)
ax.text(L_star * 1.15, 0.5, "n = 6d", fontsize=10)
ax.set_xlabel("keys seen by one token, n")
ax.set_ylabel("forward GFLOPs per token")
ax.set_title("Llama-2-7B")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## Q、K 共用一个投影会怎样 {#shared-qk-projection}
#
# 若 W_Q = W_K = W，分数矩阵 S = (XW)(XW)ᵀ 是 Gram 矩阵：对称、半正定，且由 Cauchy–Schwarz，
# s_ij ≤ √(s_ii s_jj)，每个 token 与自己的分数通常最大。随机输入（32 个 token，d = 64，投影到 16 维）下，
# 共用投影时几乎每行的最大分数都在对角线上；两个独立投影时分数不对称，对角线没有特殊地位。

# %%
r = np.random.default_rng(0)
n, dm, dk = 32, 64, 16
X = r.normal(size=(n, dm))
W, Wk = r.normal(size=(dm, dk)) / np.sqrt(dm), r.normal(size=(dm, dk)) / np.sqrt(dm)
S_shared = (X @ W) @ (X @ W).T / np.sqrt(dk)
S_sep = (X @ W) @ (X @ Wk).T / np.sqrt(dk)
diag_top = lambda S: np.mean(np.argmax(S, axis=1) == np.arange(n))
A_shared, A_sep = masked_softmax(S_shared), masked_softmax(S_sep)
print(f"shared W: symmetric={np.allclose(S_shared, S_shared.T)}, min eigenvalue={np.linalg.eigvalsh(S_shared).min():.2e}, "
      f"rows with argmax on the diagonal={diag_top(S_shared):.0%}, mean self-weight={np.mean(np.diag(A_shared)):.2f}")
print(f"separate: symmetric={np.allclose(S_sep, S_sep.T)}, rows with argmax on the diagonal={diag_top(S_sep):.0%}, "
      f"mean self-weight={np.mean(np.diag(A_sep)):.2f}")
assert np.allclose(S_shared, S_shared.T) and np.linalg.eigvalsh(S_shared).min() > -1e-10
assert not np.allclose(S_sep, S_sep.T)
assert diag_top(S_shared) > 0.9 and diag_top(S_sep) < 0.2
assert np.mean(np.diag(A_shared)) > 3 * np.mean(np.diag(A_sep))

#| alt: 上下两张 32×32 的注意力权重热图：上图 Q、K 共用投影，对角线一条亮线（每个 token 主要看自己）；下图 Q、K 用独立投影，亮点散落、没有对角线结构
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), layout="constrained")
for ax, A, title in [(axes[0], A_shared, "shared projection W_Q = W_K"),
                     (axes[1], A_sep, "separate W_Q and W_K")]:
    im = ax.imshow(A, cmap="viridis", vmin=0, vmax=A_shared.max())
    ax.set_title(title)
    ax.set_ylabel("query")
    ax.grid(False)
axes[1].set_xlabel("key")
fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - Llama-2-7B：每层注意力 4d² = 6711 万、FFN 3·d·d_ff = 1.35 亿（占每层约 2/3），32 层加两张嵌入表和 RMSNorm，共 6,738,415,616 个参数。
# - 每 token 前向 FLOPs ≈ 2 × 参数量 + 每层 4·n·d；注意力分数在 n = 6d（Llama-2-7B 约 24700）时追上全部权重的 FLOPs。
# - Q、K 共用投影让分数矩阵对称半正定、对角占优，注意力被拉向自身；独立的 W_Q、W_K 才能表达不对称的关系。
