# %% [markdown]
# ---
# description: 构造 SFT packing 的块对角因果掩码与重置的 position_ids，验证它与逐条计算的注意力输出完全一致、标签错位不跨样本，并展示 loss 按 token 平均与按样本平均给各样本的权重不同。
# tags:
#   - SFT
#   - packing
#   - 微调
#   - attention mask
#   - 动手验证
# ---
# # SFT packing：掩码、位置编号、标签错位与 loss 权重
#
# 对应问题：[SFT packing（样本拼接）是什么？会不会改变训练效果？](sft-data.md#sft-packing)
#
# ## 实验设置 {#setup}
#
# 三条 (prompt, response) 拼成一条长度 14 的序列。`pack` 给出 `labels`（prompt 位置为 -100）、
# 每条样本从 0 重新计数的 `position_ids` 和样本编号 `seg_ids`；`block_causal_mask` 构造块对角因果掩码。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.packing import IGNORE, block_causal_mask, pack, reduce_loss, toy_attention

samples = [([5, 6, 7], [8, 9]), ([1, 2], [3, 4, 10, 11]), ([12], [13, 14])]
out = pack(samples)
n = len(out["input_ids"])
print("input_ids   ", out["input_ids"].tolist())
print("labels      ", out["labels"].tolist())
print("position_ids", out["position_ids"].tolist())

M_block = block_causal_mask(out["seg_ids"])
M_naive = np.tril(np.ones((n, n), dtype=bool))

#| alt: 左右两个 14×14 的掩码热图，纵轴是 query 位置、横轴是 key 位置，红线是样本边界：左图普通因果掩码的整个下三角都可见，右图块对角掩码只有三个对角块内的下三角可见，读者应看出块对角掩码切断了样本之间的注意力
fig, axes = plt.subplots(1, 2, figsize=(4.8, 2.9), sharey=True)
for ax, M, title in [(axes[0], M_naive, "causal"), (axes[1], M_block, "block causal")]:
    ax.imshow(M, cmap="Blues", vmin=0, vmax=1.3)
    ax.set_title(title)
    ax.set_xlabel("key j")
    ax.set_xticks([0, 5, 10])
    ax.set_yticks([0, 5, 10])
    ax.grid(False)
    for b in np.cumsum([len(p) + len(r) for p, r in samples])[:-1]:
        ax.axhline(b - 0.5, color="tab:red", lw=1)
        ax.axvline(b - 0.5, color="tab:red", lw=1)
axes[0].set_ylabel("query i")
plt.show()

# %% [markdown]
# ## 与逐条计算是否等价 {#equivalence}
#
# 输入表示取 token 嵌入 + 位置嵌入（标准差 0.5 的随机矩阵），用单头自注意力比较三种做法：
# 块对角掩码 + 重置位置（正确 packing）、只有普通因果掩码、不重置位置。

# %%
rng = np.random.default_rng(0)
d = 16
E, P = 0.5 * rng.standard_normal((20, d)), 0.5 * rng.standard_normal((n, d))
X = E[out["input_ids"]] + P[out["position_ids"]]
Y_pack = toy_attention(X, M_block)
Y_naive = toy_attention(X, M_naive)
Y_nopos = toy_attention(E[out["input_ids"]] + P[np.arange(n)], M_block)

Y_sep, start = np.zeros_like(Y_pack), 0
for p, r in samples:
    ids = np.array(p + r)
    L = len(ids)
    Y_sep[start:start + L] = toy_attention(E[ids] + P[np.arange(L)],
                                           np.tril(np.ones((L, L), dtype=bool)))
    start += L

err = {k: np.abs(v - Y_sep).max(axis=1) for k, v in
       {"block mask + position reset": Y_pack, "naive causal mask": Y_naive,
        "block mask, no position reset": Y_nopos}.items()}
for k, v in err.items():
    print(f"{k:30s} max |diff| vs separate = {v.max():.2e}")

#| alt: 横轴是拼接后的位置，纵轴是与逐条计算输出的最大差（对数刻度）：正确 packing 的差在 1e-16 附近，只用普通因果掩码时从第二条样本开始差到 0.1 到 1 的量级，不重置位置时后两条样本也一样，读者应看出掩码和位置重置缺一不可
labels_short = {"block mask + position reset": "correct packing", "naive causal mask": "causal mask only",
                "block mask, no position reset": "no position reset"}
fig, ax = plt.subplots()
for k, v in err.items():
    ax.semilogy(np.arange(n), v + 1e-18, "o-", label=labels_short[k])
ax.set_xlabel("packed position")
ax.set_ylabel("max |diff| vs unpacked")
ax.set_ylim(1e-19, 1e3)
ax.legend(loc="upper left", ncol=1)
plt.show()

# %%
assert err["block mask + position reset"].max() < 1e-12
assert err["naive causal mask"][:5].max() < 1e-12        # 第一条样本前面没有别人，不受影响
assert err["naive causal mask"][5:].min() > 1e-3          # 之后每个位置都看到了别的样本
assert err["block mask, no position reset"][5:].min() > 1e-3

# %% [markdown]
# ## RoPE 模型里位置重置还必要吗 {#rope-positions}
#
# 上面用的是**绝对**位置嵌入，不重置 position_ids 就会改变结果。RoPE 的注意力分数只依赖相对位置：
# $(R_mq)^{\top}(R_nk)=q^{\top}R_{n-m}k$。有块对角掩码时，同一样本内所有位置整体平移不改变分数，
# 所以理论上不重置也等价（仍建议重置，见正文）。

# %%
def rope(x, pos, base=10000.0):
    half = x.shape[1] // 2
    theta = base ** (-np.arange(half) / half)
    ang = pos[:, None] * theta[None, :]
    x1, x2 = x[:, 0::2], x[:, 1::2]
    out = np.empty_like(x)
    out[:, 0::2] = x1 * np.cos(ang) - x2 * np.sin(ang)
    out[:, 1::2] = x1 * np.sin(ang) + x2 * np.cos(ang)
    return out


Wq, Wk, Wv = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(3))


def rope_attention(Xe, pos, mask):
    q, k, v = rope(Xe @ Wq, pos), rope(Xe @ Wk, pos), Xe @ Wv
    S = np.where(mask, q @ k.T / np.sqrt(d), -np.inf)
    A = np.exp(S - S.max(axis=1, keepdims=True))
    return (A / A.sum(axis=1, keepdims=True)) @ v


Xe = E[out["input_ids"]]
R_reset = rope_attention(Xe, out["position_ids"].astype(float), M_block)
R_cont = rope_attention(Xe, np.arange(n, dtype=float), M_block)
R_naive = rope_attention(Xe, np.arange(n, dtype=float), M_naive)
R_sep, start = np.zeros_like(R_reset), 0
for p_, r_ in samples:
    L = len(p_) + len(r_)
    R_sep[start:start + L] = rope_attention(E[np.array(p_ + r_)], np.arange(L, dtype=float),
                                            np.tril(np.ones((L, L), dtype=bool)))
    start += L
for k, v in {"RoPE, block mask + reset": R_reset, "RoPE, block mask, no reset": R_cont,
             "RoPE, naive causal mask": R_naive}.items():
    print(f"{k:28s} max |diff| vs separate = {np.abs(v - R_sep).max():.2e}")
assert np.abs(R_reset - R_sep).max() < 1e-12
assert np.abs(R_cont - R_sep).max() < 1e-10        # RoPE + 块对角掩码：不重置也等价
assert np.abs(R_naive - R_sep)[5:].max() > 1e-3     # 但掩码必不可少

# %% [markdown]
# ## loss 的归约方式决定样本权重 {#loss-weighting}
#
# 只在 response token 上算 loss。假设每个 token 的 loss 都相同，看每条样本在总 loss 里占的权重：
#
# - 按 token 平均（`mode="token"`）：样本权重正比于它的 response 长度；
# - 按样本平均（`mode="sequence"`）：每条样本权重相同。
#
# 不 packing、每条样本单独成一行、按 token 平均时，长回复同样占更大权重；关键是 packing 前后归约方式要一致。

# %%
valid = out["labels"] != IGNORE
seg = out["seg_ids"]
weights = {}
for mode in ["token", "sequence"]:
    w = []
    for k in range(len(samples)):
        bump = np.zeros(n)
        bump[valid & (seg == k)] = 1.0               # 对样本 k 的每个 token loss 加 1
        w.append(reduce_loss(bump, out["labels"], seg, mode))   # 总 loss 增量 = 样本 k 的权重
    weights[mode] = np.array(w)

resp_len = np.array([len(r) for _, r in samples])
#| alt: 三组柱状图对应三条样本（回复长度 2、4、2）：按 token 平均时三条样本的权重是 0.25、0.5、0.25，按样本平均时都是 1/3，读者应看出按 token 平均让长回复的样本权重更大
fig, ax = plt.subplots()
xs = np.arange(len(samples))
ax.bar(xs - 0.2, weights["token"], 0.4, label="per-token mean")
ax.bar(xs + 0.2, weights["sequence"], 0.4, label="per-sample mean")
ax.set_xticks(xs, [f"s{k}: {L} tok" for k, L in enumerate(resp_len)])
ax.set_ylabel("weight in total loss")
ax.set_ylim(0, 0.75)
ax.legend(loc="upper left")
plt.show()

# %%
print("token weights   ", weights["token"])
print("sequence weights", weights["sequence"])
assert np.allclose(weights["token"], resp_len / resp_len.sum())
assert np.allclose(weights["sequence"], 1 / len(samples))

# %% [markdown]
# ## 标签错位不能跨样本 {#label-shift}
#
# 因果 LM 在算 loss 时把整行错一格：位置 $i$ 预测 `labels[i+1]`。拼接后，样本 $k$ 的最后一个位置会以样本 $k+1$ 的第一个 token 为目标。有 prompt 时那个 token 的 label 本来就是 -100；没有 prompt 的样本（例如续写的文档）就会出问题。
# `pack` 把每条样本第一个位置的 label 也设为 -100，于是整行错位与按样本错位（`next_token_targets`）给出同样的目标。

# %%
from snippets.training.packing import next_token_targets

docs = [([], [21, 22, 23]), ([], [24, 25]), ([26], [27, 28])]   # 前两条没有 prompt
packed = pack(docs)
naive = np.append(packed["labels"][1:], IGNORE)                  # 整行错一格
per_sample = next_token_targets(packed["labels"], packed["seg_ids"])
ends = np.flatnonzero(np.diff(packed["seg_ids"]) != 0)          # 每条样本的最后一个位置
print("input_ids       ", packed["input_ids"].tolist())
print("labels          ", packed["labels"].tolist())
print("targets (shift) ", naive.tolist())
# 如果第一个位置不置 -100，错位后第 0 条样本的最后一个 token 会去预测 24
raw_labels = np.array([21, 22, 23, 24, 25, IGNORE, 27, 28])
leaky = np.append(raw_labels[1:], IGNORE)
print("without the fix ", leaky.tolist(), "-> position", ends[0], "would predict", leaky[ends[0]])
assert leaky[ends[0]] == 24 and leaky[ends[1]] == IGNORE
assert np.all(naive[ends] == IGNORE)
assert np.array_equal(naive, per_sample)
for k, (p_, r_) in enumerate(docs):                              # 与逐条训练的目标逐位相同
    one = pack([(p_, r_)])
    sl = packed["seg_ids"] == k
    assert np.array_equal(per_sample[sl], np.append(one["labels"][1:], IGNORE))

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 块对角因果掩码是必需的：只拼接不加掩码时，后面的样本会“看到”前面的样本。
# - position_ids 要从 0 重新计数：绝对位置编码下不重置会改变结果；RoPE 只依赖相对位置，有掩码时不重置在数学上等价。
# - 标签错位不能跨样本：把每条样本第一个位置的 label 设为 -100（或按样本分别错位），上一条样本的最后一个 token 就不会去预测下一条的开头。
# - loss 的归约范围与方式要和不 packing 时一致，否则各样本的权重会变。
