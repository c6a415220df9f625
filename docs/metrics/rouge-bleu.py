# %% [markdown]
# ---
# description: 手写 LCS 动态规划、ROUGE-L 与带截断计数和简短惩罚的 BLEU，验证 F_beta 随 beta 趋于召回率、"the"×7 的修正精确率是 2/7、正确的 BP 永不超过 1，以及中文 ROUGE 不分词时为 0、字级与词级结果不同。
# tags:
#   - 评测指标
#   - ROUGE
#   - BLEU
#   - LCS
#   - 中文分词
#   - 动手验证
# ---
# # ROUGE-L 与 BLEU 的细节
#
# 对应问题：[生成任务常用哪些评测指标？](generation.md#generation-metrics)
# （[ROUGE-L](generation.md#rouge-l)、[BLEU](generation.md#bleu)、[中文怎么算 ROUGE？](generation.md#rouge-chinese)、[BLEU 为什么要平滑？](generation.md#bleu-smoothing)）
#
# ## LCS 动态规划表 {#lcs-table}
#
# $dp[i][j]$ 是 a 的前 i 个与 b 的前 j 个字符的 LCS 长度：相等时 $dp[i-1][j-1]+1$，否则 $\max(dp[i-1][j], dp[i][j-1])$。

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

#| alt: 8 行 7 列的动态规划表热力图：行是 ABCBDAB 的前缀，列是 BDCABA 的前缀，每格写着对应前缀的 LCS 长度，数值从左上的 0 逐步增大到右下角的 4。
fig, ax = plt.subplots(figsize=(4.8, 5.2))
ax.imshow(dp, cmap="Blues")
for i in range(dp.shape[0]):
    for j in range(dp.shape[1]):
        ax.text(j, i, dp[i, j], ha="center", va="center", fontsize=10,
                color="white" if dp[i, j] >= 3 else "black")
ax.set_xticks(range(len(b) + 1))
ax.set_xticklabels(["-"] + list(b))
ax.set_yticks(range(len(a) + 1))
ax.set_yticklabels(["-"] + list(a))
ax.set_title(f"LCS table: LCS = {dp[-1, -1]}")
ax.grid(False)
plt.show()

# %%
assert dp[-1, -1] == lcs_length(a, b) == 4
assert lcs_length("abcde", "ace") == 3        # LeetCode 1143 的样例

# %% [markdown]
# ## ROUGE-L 的 $F_\beta$ 随 β 变化 {#rouge-l-beta}
#
# $F_\beta=\frac{(1+\beta^2)RP}{R+\beta^2P}$：β = 1 是 F1，β → ∞ 退化为召回 R（Lin 2004 在 DUC 评测里的设定），β → 0 退化为精确率。

# %%
ref = "police killed the gunman".split()
cand = "the gunman police killed the suspect yesterday".split()
betas = np.logspace(-3, 3, 200)
F = [rouge_l(cand, ref, beta)["f"] for beta in betas]
res1 = rouge_l(cand, ref, 1.0)

#| alt: 折线图：横轴是 β（对数刻度），纵轴是 ROUGE-L 的 F_β；曲线从左侧的精确率 P_lcs 单调过渡到右侧的召回率 R_lcs，β = 1 处的竖线对应 F1。
fig, ax = plt.subplots()
ax.semilogx(betas, F, label="ROUGE-L F_beta")
ax.axhline(res1["r"], color="C1", ls="--", label=f"R_lcs = {res1['r']:.3f}")
ax.axhline(res1["p"], color="C2", ls="--", label=f"P_lcs = {res1['p']:.3f}")
ax.axvline(1, color="gray", ls=":", label=f"beta=1: F1 = {res1['f']:.3f}")
ax.set_xlabel("beta")
ax.set_ylabel("score")
ax.legend()
ax.set_title("From precision to recall")
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
# 正确定义：c ≤ r 时 $BP=e^{1-r/c}$（c 候选长度，r 参考长度）。若把分数写反成 $e^{1-c/r}$，
# 短句反而得到大于 1 的奖励。

# %%
ratio = np.linspace(0.2, 2.0, 361)           # c / r
r_len = 100
bp_right = np.array([brevity_penalty(x * r_len, r_len) for x in ratio])
bp_wrong = np.where(ratio > 1, 1.0, np.exp(1 - ratio))

#| alt: 折线图：横轴是候选长度与参考长度之比 c/r，纵轴是简短惩罚 BP；正确的 exp(1 − r/c) 在 c < r 时小于 1、c ≥ r 时等于 1，写反的 exp(1 − c/r) 在短输出处大于 1，变成奖励。
fig, ax = plt.subplots()
ax.plot(ratio, bp_right, lw=2, label="exp(1 - r/c): correct")
ax.plot(ratio, bp_wrong, "--", label="exp(1 - c/r): swapped")
ax.axhline(1, color="gray", lw=0.8)
ax.set_xlabel("length ratio c / r")
ax.set_ylabel("brevity penalty")
ax.legend()
ax.set_title("BP only punishes short output")
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

# %% [markdown]
# ## 中文 ROUGE：不分词就是 0 {#chinese-rouge}
#
# Google 的 `rouge-score` 默认分词器先转小写，再把 `[a-z0-9]` 以外的字符全部当成分隔符，汉字因此一个不剩：
# 参考和候选都变成空列表，ROUGE 恒为 0。中文必须自己传分词器，常见两种：
#
# - **字级**：每个汉字一个 token（`list(text)` 这类写法），不依赖分词器，结果可复现；
# - **词级**：先用 jieba 等分词器切词。这里用一个小词典的正向最大匹配代替 jieba，只为说明词级分数依赖分词结果。
#
# 字级的 n-gram 天然比词级“宽松”：一个两字词在字级是 2 个 unigram 和 1 个 bigram，所以字级 ROUGE-2 里混着大量“词内”匹配。

# %%
from snippets.metrics.text_metrics import char_tokenize, fmm_segment, rouge_score_default_tokenize

zh_ref = "模型在中文摘要任务上的效果明显提升"
zh_cand = "这个模型的中文摘要效果提升明显"
vocab = {"模型", "中文", "摘要", "任务", "效果", "明显", "提升", "这个"}
tokenizers = {
    "rouge-score default": rouge_score_default_tokenize,
    "char-level": char_tokenize,
    "word-level (FMM)": lambda t: fmm_segment(t, vocab),
}
zh_scores = {}
for name, tok in tokenizers.items():
    r_tok, c_tok = tok(zh_ref), tok(zh_cand)
    zh_scores[name] = [rouge_n(c_tok, r_tok, 1)["f"], rouge_n(c_tok, r_tok, 2)["f"], rouge_l(c_tok, r_tok)["f"]]
    print(f"{name:20s} tokens: {len(r_tok):2d} / {len(c_tok):2d}   ROUGE-1/2/L F1 = "
          + " / ".join(f"{v:.3f}" for v in zh_scores[name]))

#| alt: 分组条形图：ROUGE-1、ROUGE-2、ROUGE-L 三组，每组三根柱子对应 rouge-score 默认分词、字级、词级；默认分词的三根柱子都是 0，字级普遍高于词级，ROUGE-2 上的差距最大。
fig, ax = plt.subplots()
width = 0.27
for k, (name, vals) in enumerate(zh_scores.items()):
    ax.bar(np.arange(3) + (k - 1) * width, vals, width, label=name)
    if name == "rouge-score default":
        for x in np.arange(3) + (k - 1) * width:
            ax.text(x, 0.02, "0", ha="center", va="bottom", fontsize=10, color="C0")
ax.set_xticks(range(3))
ax.set_xticklabels(["ROUGE-1", "ROUGE-2", "ROUGE-L"])
ax.set_ylim(0, 1.15)
ax.set_ylabel("F1")
ax.set_title("Chinese ROUGE depends on the tokenizer")
ax.legend(loc="upper right")
ax.grid(axis="x", visible=False)
plt.show()

assert rouge_score_default_tokenize(zh_ref) == [] and zh_scores["rouge-score default"] == [0.0, 0.0, 0.0]
word_ref, word_cand = fmm_segment(zh_ref, vocab), fmm_segment(zh_cand, vocab)
assert len(word_ref) == 10 and len(word_cand) == 8
assert np.isclose(rouge_n(word_cand, word_ref, 1)["r"], 7 / 10)   # 模型 的 中文 摘要 效果 明显 提升
assert np.isclose(rouge_n(word_cand, word_ref, 2)["r"], 1 / 9)    # only 中文摘要 survives as a word bigram
assert all(c > w for c, w in zip(zh_scores["char-level"], zh_scores["word-level (FMM)"]))
assert zh_scores["char-level"][1] > 3 * zh_scores["word-level (FMM)"][1]   # char bigrams include in-word pairs

# %% [markdown]
# ## 句子级 BLEU 与平滑 {#bleu-smoothing-demo}
#
# 短句很容易一个 4-gram 都对不上，p₄ = 0 让几何平均直接为 0。SacreBLEU 默认的 `exp` 平滑把第 k 个分子为 0 的阶数换成
# $1/(2^k\cdot\text{分母})$。另外语料级 BLEU 先累加计数再算，不等于各句 BLEU 的平均。

# %%
ref_a = "the cat sat on the mat".split()
cand_a = "the cat on mat".split()             # p1 = 4/4, p2 = 1/3, p3 = 0/2, p4 = 0/1
plain_a, smooth_a = corpus_bleu([cand_a], [[ref_a]]), corpus_bleu([cand_a], [[ref_a]], smooth="exp")
by_hand = math.exp(1 - 6 / 4) * (1 * (1 / 3) * (1 / (2 * 2)) * (1 / (4 * 1))) ** 0.25
print(f"sentence BLEU without smoothing {plain_a:.3f}, with exp smoothing {smooth_a:.3f}")
assert plain_a == 0.0 and np.isclose(smooth_a, by_hand)

cands = [ref_s, "the quick brown fox".split()]
refs_c = [[ref_s], [ref_s]]
corpus = corpus_bleu(cands, refs_c)
mean_of_sentences = np.mean([corpus_bleu([c], [r], smooth="exp") for c, r in zip(cands, refs_c)])
print(f"corpus BLEU {corpus:.3f} vs mean of smoothed sentence BLEU {mean_of_sentences:.3f}")
assert not np.isclose(corpus, mean_of_sentences)
