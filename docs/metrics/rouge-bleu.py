# %% [markdown]
# ---
# description: 手写 LCS 动态规划、ROUGE-L 与带截断计数和简短惩罚的 BLEU，验证 F_beta 随 beta 趋于召回率、"the"×7 的修正精确率是 2/7，以及正确的 BP 永不超过 1。
# tags:
#   - 评测指标
#   - ROUGE
#   - BLEU
#   - LCS
#   - 动手验证
# ---
# # ROUGE-L 与 BLEU 的细节
#
# 对应问题：[生成任务常用哪些评测指标？](generation.md#generation-metrics)
# （[ROUGE-L](generation.md#rouge-l)、[BLEU](generation.md#bleu)）
#
# ## LCS 动态规划表 {#lcs-table}
#
# $dp[i][j]$ 是 $a$ 的前 $i$ 个与 $b$ 的前 $j$ 个字符的 LCS 长度：相等时 $dp[i-1][j-1]+1$，否则 $\max(dp[i-1][j], dp[i][j-1])$。

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

from snippets.metrics.text_metrics import (brevity_penalty, corpus_bleu, lcs_length, modified_precision,
                                           rouge_l, rouge_n)

a, b = "ABCBDAB", "BDCABA"
dp = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
for i in range(1, len(a) + 1):
    for j in range(1, len(b) + 1):
        dp[i, j] = dp[i - 1, j - 1] + 1 if a[i - 1] == b[j - 1] else max(dp[i - 1, j], dp[i, j - 1])

fig, ax = plt.subplots(figsize=(5, 5.4))
ax.imshow(dp, cmap="Blues")
for i in range(dp.shape[0]):
    for j in range(dp.shape[1]):
        ax.text(j, i, dp[i, j], ha="center", va="center", fontsize=9)
ax.set_xticks(range(len(b) + 1))
ax.set_xticklabels(["-"] + list(b))
ax.set_yticks(range(len(a) + 1))
ax.set_yticklabels(["-"] + list(a))
ax.set_title(f"LCS DP table: LCS({a}, {b}) = {dp[-1, -1]}")
ax.grid(False)
plt.show()

# %%
assert dp[-1, -1] == lcs_length(a, b) == 4
assert lcs_length("abcde", "ace") == 3        # LeetCode 1143 的样例

# %% [markdown]
# ## ROUGE-L 的 $F_\beta$ 随 $\beta$ 变化 {#rouge-l-beta}
#
# $F_\beta=\frac{(1+\beta^2)RP}{R+\beta^2P}$：$\beta=1$ 是 F1，$\beta\to\infty$ 退化为召回 $R$（Lin 2004 在 DUC 评测里的设定），$\beta\to0$ 退化为精确率。

# %%
ref = "police killed the gunman".split()
cand = "the gunman police killed the suspect yesterday".split()
betas = np.logspace(-3, 3, 200)
F = [rouge_l(cand, ref, beta)["f"] for beta in betas]
res1 = rouge_l(cand, ref, 1.0)

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.semilogx(betas, F, label="ROUGE-L F_beta")
ax.axhline(res1["r"], color="C1", ls="--", label=f"R_lcs = {res1['r']:.3f}")
ax.axhline(res1["p"], color="C2", ls="--", label=f"P_lcs = {res1['p']:.3f}")
ax.axvline(1, color="gray", ls=":", label=f"beta = 1: F1 = {res1['f']:.3f}")
ax.set_xlabel("beta (log scale)")
ax.set_ylabel("score")
ax.legend(fontsize=8)
ax.set_title("F_beta moves from precision (beta -> 0) to recall (beta -> inf)")
plt.show()

# %%
assert abs(rouge_l(cand, ref, 1e6)["f"] - res1["r"]) < 1e-9
assert abs(rouge_l(cand, ref, 1e-6)["f"] - res1["p"]) < 1e-9
assert np.isclose(res1["f"], 2 * res1["p"] * res1["r"] / (res1["p"] + res1["r"]))
assert np.all(np.diff(F) >= -1e-12)           # 这里 R > P，所以 F_beta 随 beta 单调增
print(f"LCS = {lcs_length(cand, ref)}, P = {res1['p']:.3f}, R = {res1['r']:.3f}, F1 = {res1['f']:.3f}")
print("ROUGE-1:", {k: round(v, 3) for k, v in rouge_n(cand, ref, 1).items()})

# %% [markdown]
# ## BLEU：截断计数 {#bleu-clipping}
#
# Papineni et al. (2002) 的经典例子：候选是 7 个 "the"。不截断时 unigram 精确率是 7/7；
# 截断到参考中的最大出现次数（参考 1 里 "the" 出现 2 次）后是 2/7。

# %%
cand7 = ["the"] * 7
refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
clipped, total = modified_precision(cand7, refs, 1)
unclipped = sum(1 for w in cand7 if any(w in r for r in refs))
print(f"unclipped p1 = {unclipped}/{total}, clipped p1 = {clipped}/{total}")
assert (clipped, total) == (2, 7) and unclipped == 7

# %% [markdown]
# ## 简短惩罚 BP {#brevity-penalty}
#
# 正确定义：$c\le r$ 时 $BP=e^{1-r/c}$（$c$ 候选长度，$r$ 参考长度）。若把分数写反成 $e^{1-c/r}$，
# 短句反而得到大于 1 的奖励。

# %%
ratio = np.linspace(0.2, 2.0, 361)           # c / r
r_len = 100
bp_right = np.array([brevity_penalty(x * r_len, r_len) for x in ratio])
bp_wrong = np.where(ratio > 1, 1.0, np.exp(1 - ratio))

fig, ax = plt.subplots(figsize=(7, 3.6))
ax.plot(ratio, bp_right, lw=2, label="BP = exp(1 - r/c) for c <= r (Papineni et al.)")
ax.plot(ratio, bp_wrong, "--", label="exp(1 - c/r): swapped, rewards short output")
ax.axhline(1, color="gray", lw=0.8)
ax.set_xlabel("candidate length / reference length  (c / r)")
ax.set_ylabel("brevity penalty")
ax.legend(fontsize=8)
ax.set_title("Brevity penalty only punishes short candidates")
plt.show()

# %%
assert np.all(bp_right <= 1 + 1e-12) and np.all(bp_right[ratio > 1] == 1)
assert np.all(np.diff(bp_right) >= -1e-12)   # 越短罚得越重
assert np.all(bp_wrong[ratio < 1] > 1)       # 写反的公式会奖励短输出
assert np.isclose(brevity_penalty(50, 100), math.exp(-1))

# 截断精确率 + BP 一起：只输出参考的前半句，精确率全是 1，分数完全由 BP 决定
ref_s = "the quick brown fox jumps over the lazy dog again".split()
half = ref_s[:5]
assert np.isclose(corpus_bleu([half], [[ref_s]]), math.exp(1 - len(ref_s) / len(half)))
assert np.isclose(corpus_bleu([ref_s], [[ref_s]]), 1.0)
print(f"BLEU of a perfect half sentence: {corpus_bleu([half], [[ref_s]]):.3f} (= e^(1-10/5))")
