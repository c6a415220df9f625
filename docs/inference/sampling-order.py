# %% [markdown]
# ---
# description: 在一个固定分布上检验温度、top-k、top-p、min-p 与重复惩罚：哪些组合与顺序无关、哪些有关，HF 与 vLLM 的顺序何时给出不同的候选集，greedy 为什么会错过最优序列，约束解码的逐步掩码为什么不等于条件分布。
# tags:
#   - 解码
#   - 采样
#   - top-p
#   - beam search
#   - 约束解码
#   - 动手验证
# ---
# # 采样过滤器的顺序、beam search 与约束解码
#
# 对应问题：[大模型有哪些解码策略？](decoding.md#decoding-strategies)、
# [温度、top-k、top-p、min-p 按什么顺序用？](decoding.md#sampling-order)、
# [repetition / presence / frequency penalty](decoding.md#repetition-penalty)、
# [约束解码](decoding.md#constrained-decoding)
#
# ## 一个固定的分布 {#fixed-distribution}
#
# 取 8 个 token 的分布 p = (0.30, 0.20, 0.15, 0.10, 0.10, 0.05, 0.05, 0.05)，logits 取 log p。
# 所有过滤器都把去掉的 token 的 logit 置为 −inf，之后 softmax 就是重新归一化的分布。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.inference.decoding import (
    apply_temperature, beam_search, conditioned_sequence_distribution, greedy_decode,
    masked_sequence_distribution, min_p_filter, presence_frequency_penalty, repetition_penalty,
    sequence_probabilities, softmax, support, top_k_filter, top_p_filter,
)

p0 = np.array([0.30, 0.20, 0.15, 0.10, 0.10, 0.05, 0.05, 0.05])
z = np.log(p0)
V = z.size


def pipe(logits, *steps):
    """按给定顺序依次应用过滤器。"""
    for f in steps:
        logits = f(logits)
    return logits


T = lambda t: (lambda x: apply_temperature(x, t))
TOPK = lambda k: (lambda x: top_k_filter(x, k))
TOPP = lambda p: (lambda x: top_p_filter(x, p))
MINP = lambda m: (lambda x: min_p_filter(x, m))

# %% [markdown]
# ## 温度与 top-p：顺序有关 {#temperature-then-top-p}
#
# 先除以温度再取 nucleus，T < 1 把概率集中到头部，核变小；先取 nucleus 再除以温度，
# 核是在 T = 1 的分布上定的，温度只改变核内的相对概率，不改变候选集。

# %%
rows = {}
rows["T=0.5 then top-p 0.8"] = pipe(z, T(0.5), TOPP(0.8))
rows["top-p 0.8 then T=0.5"] = pipe(z, TOPP(0.8), T(0.5))
rows["T=2 then top-p 0.8"] = pipe(z, T(2.0), TOPP(0.8))
assert support(rows["T=0.5 then top-p 0.8"]) == (0, 1, 2)
assert support(rows["top-p 0.8 then T=0.5"]) == (0, 1, 2, 3, 4)
assert len(support(rows["T=2 then top-p 0.8"])) > len(support(rows["top-p 0.8 then T=0.5"]))
for name, logits in rows.items():
    print(f"{name:24s} support = {support(logits)}")

# %% [markdown]
# ## top-k 与 top-p：重新归一化让顺序有关 {#top-k-top-p}
#
# 两个过滤器保留的都是按概率排序的前缀。若 top-p 直接用原始概率，两者取的就是两个前缀的交集，顺序无关；
# 但实现里（Hugging Face 与 vLLM 都如此）top-p 是在前一步过滤、重新 softmax 之后的分布上算累计概率的。
# 先 top-k=3 后，前三名重新归一化为 0.46、0.31、0.23，top-p=0.7 只要两个；先 top-p 则核有 4 个，再截成 3 个。

# %%
rows["top-k 3 then top-p 0.7"] = pipe(z, TOPK(3), TOPP(0.7))
rows["top-p 0.7 then top-k 3"] = pipe(z, TOPP(0.7), TOPK(3))
assert support(rows["top-k 3 then top-p 0.7"]) == (0, 1)
assert support(rows["top-p 0.7 then top-k 3"]) == (0, 1, 2)

# %% [markdown]
# ## 与顺序无关的组合 {#commuting-filters}
#
# top-k 只看排名，温度（正数缩放）不改变排名，所以两者可交换，得到的分布完全相同。
# min-p 只看 p_i / p_max，任何保留了最大 token 的截断再重新归一化都不改变这个比值，
# 所以"先 top-k 再 min-p"就是两个集合的交集。

# %%
rng = np.random.default_rng(0)
for _ in range(200):
    zr = rng.normal(scale=2.0, size=50)
    t, k = rng.uniform(0.2, 3.0), int(rng.integers(1, 50))
    assert np.allclose(softmax(pipe(zr, T(t), TOPK(k))), softmax(pipe(zr, TOPK(k), T(t))))
    assert set(support(pipe(zr, TOPK(k), MINP(0.1)))) == set(support(TOPK(k)(zr))) & set(support(MINP(0.1)(zr)))
rows["T=0.5 then top-k 3"] = pipe(z, T(0.5), TOPK(3))
rows["top-k 3 then T=0.5"] = pipe(z, TOPK(3), T(0.5))
print("temperature commutes with top-k on 200 random cases")

# %% [markdown]
# ## Hugging Face 与 vLLM 的顺序 {#hf-vs-vllm-order}
#
# 按两者的源码：transformers 的采样链是温度 → top-k → top-p → min-p；vLLM V1 的 sampler 是
# 温度 → min-p → top-k/top-p。同样的 top_p = 0.8、min_p = 0.3，vLLM 先按 min-p 去掉三个尾部 token，
# 再在剩下 5 个重新归一化后的分布上取 nucleus，少了一个候选。

# %%
rows["HF: top-p 0.8, min-p 0.3"] = pipe(z, TOPP(0.8), MINP(0.3))
rows["vLLM: min-p 0.3, top-p 0.8"] = pipe(z, MINP(0.3), TOPP(0.8))
assert support(rows["HF: top-p 0.8, min-p 0.3"]) == (0, 1, 2, 3, 4)
assert support(rows["vLLM: min-p 0.3, top-p 0.8"]) == (0, 1, 2, 3)

names = list(rows)
kept = np.array([[np.isfinite(rows[n][i]) for i in range(V)] for n in names], dtype=float)
probs_shown = np.array([softmax(rows[n]) for n in names])

#| alt: 热图，每一行是一种过滤器组合及其顺序，每一列是 8 个 token（按原始概率从大到小），深色格子表示该 token 留在候选集里、格中数字是重新归一化后的概率：先温度 0.5 再 top-p 只剩 3 个候选，先 top-p 再温度有 5 个；先 top-k 3 再 top-p 0.7 剩 2 个，反过来剩 3 个；温度与 top-k 两种顺序完全一样；HF 顺序保留 5 个，vLLM 顺序保留 4 个
fig, ax = plt.subplots(figsize=(4.8, 4.4), layout="constrained")
ax.imshow(kept, cmap="Blues", vmin=0, vmax=1.6, aspect="auto")
for r in range(len(names)):
    for c in range(V):
        if kept[r, c]:
            ax.text(c, r, f"{probs_shown[r, c]:.2f}".lstrip("0"), ha="center", va="center", fontsize=10)
ax.set_yticks(range(len(names)), names)
ax.set_xticks(range(V), [f"{x:.2f}".lstrip("0") for x in p0])
ax.set_xlabel("token (original probability)")
ax.grid(False)
plt.show()

# %% [markdown]
# ## 重复惩罚与 presence / frequency penalty {#penalties}
#
# 已生成 token 0 三次、token 2 一次。CTRL / Hugging Face 的 repetition penalty 对正 logit 除以 θ、对负 logit 乘以 θ，
# 只看出现与否；OpenAI 的 frequency penalty 按次数线性扣分，presence penalty 出现过就扣一次。
# softmax 对 logits 整体平移不变，repetition penalty 却取决于 logit 的符号：同一个分布，logits 平移后惩罚的效果不同。

# %%
history = [0, 0, 0, 2]
zc = z - z.mean()                      # 有正有负的 logits，分布与 z 相同
rep = softmax(repetition_penalty(zc, history, 1.3))
pf = softmax(presence_frequency_penalty(zc, history, presence=0.5, frequency=0.2))
assert rep[0] < p0[0] and pf[0] < p0[0] and rep[1] > p0[1]
shifted = softmax(repetition_penalty(zc - 10.0, history, 1.3))      # 平移后 logits 全为负
assert np.allclose(softmax(zc), softmax(zc - 10.0)) and not np.allclose(rep, shifted)
print(f"p(token 0): original {p0[0]:.3f}, repetition 1.3 -> {rep[0]:.3f}, same logits shifted by -10 -> {shifted[0]:.3f}")
print(f"p(token 0) with presence 0.5 + frequency 0.2 x 3 -> {pf[0]:.3f}")

# %% [markdown]
# ## greedy 与 beam search {#greedy-vs-beam}
#
# 一个两步的小语言模型：第一步 token 0 的概率最大（0.5），但它之后的分布很平；token 1 之后几乎确定。
# greedy 每步取最大，得到 (0, 0)，概率 0.2；宽度 2 的 beam search 保留了 (1, ·)，找到概率 0.36 的 (1, 1)，
# 与暴力枚举全部 9 个序列的结果一致。

# %%
table = {(): [0.5, 0.4, 0.1], (0,): [0.4, 0.3, 0.3], (1,): [0.05, 0.9, 0.05], (2,): [0.2, 0.4, 0.4]}
lm = lambda prefix: np.array(table[prefix])
seqs = sequence_probabilities(lm, 2)
best = max(seqs, key=seqs.get)
g, g_lp = greedy_decode(lm, 2)
b, b_lp = beam_search(lm, 2, 2, length_penalty=0.0)
assert g == (0, 0) and np.isclose(np.exp(g_lp), 0.2)
assert b == best == (1, 1) and np.isclose(np.exp(b_lp), 0.36)
assert np.isclose(sum(seqs.values()), 1.0)

labels = [f"{s[0]}{s[1]}" for s in seqs]
colors = ["tab:red" if s == g else "tab:green" if s == b else "tab:gray" for s in seqs]

#| alt: 柱状图，横轴是两步小语言模型的全部 9 个序列，纵轴是序列概率：greedy 选出的 00（红色）概率 0.20，beam search 宽度 2 选出的 11（绿色）概率 0.36，是所有序列中最大的
fig, ax = plt.subplots()
ax.bar(labels, list(seqs.values()), color=colors)
ax.set_xlabel("sequence (two tokens)")
ax.set_ylabel("probability")
ax.text(labels.index("00"), seqs[g] + 0.01, "greedy", ha="center", color="tab:red")
ax.text(labels.index("11"), seqs[b] + 0.01, "beam=2", ha="center", color="tab:green")
ax.set_ylim(0, 0.42)
plt.show()

# %% [markdown]
# ## 约束解码：逐步掩码不等于条件分布 {#masking-vs-conditioning}
#
# 约束是"输出必须是 AA 或 BB"。第一步两个 token 都还能走到合法串，不掩；模型以 0.9 选 A，
# 之后只剩 A 合法，于是 AA 以 0.9 的概率被生成。可模型自己几乎不会在 A 之后接 A（0.01），
# 精确的条件分布里 AA 只有 0.009 / (0.009 + 0.09) ≈ 0.09。逐步掩码只看当前一步，会把模型"逼"进它认为很不可能的路径。

# %%
lm2 = lambda prefix: np.array({(): [0.9, 0.1], (0,): [0.01, 0.99], (1,): [0.1, 0.9]}[prefix])
allowed = [(0, 0), (1, 1)]
masked = masked_sequence_distribution(lm2, allowed)
exact = conditioned_sequence_distribution(lm2, allowed)
assert np.isclose(masked[(0, 0)], 0.9) and np.isclose(exact[(0, 0)], 0.009 / 0.099)
print(f"P(AA): step-wise masking {masked[(0, 0)]:.3f}, exact conditional {exact[(0, 0)]:.3f}")

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 温度与 top-p、top-k 与 top-p（实现里都会重新归一化）的顺序会改变候选集；温度与 top-k 可交换，min-p 与保留最大 token 的截断可交换。
# - 同样的参数，transformers（top-p 后 min-p）与 vLLM（min-p 后 top-p）可能给出不同的候选集。
# - repetition penalty 依赖 logit 的正负，不是平移不变的；presence / frequency penalty 是加性的，按出现与否 / 次数扣分。
# - greedy 在局部最优处走错，beam search 宽度 2 就找回了概率 0.36 的序列。
# - 逐步掩码的约束解码生成的分布可以与"模型在约束下的条件分布"差很远（0.9 对 0.09）。
