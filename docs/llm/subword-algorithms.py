# %% [markdown]
# ---
# description: 在同一份小语料上对比 BPE、WordPiece 与 Unigram：实现 WordPiece 的似然比打分与贪心最长匹配、Unigram 的 Viterbi 切分（与暴力枚举对照）、EM 训练与剪枝，以及 subword regularization 的采样分布。
# tags:
#   - 分词
#   - BPE
#   - WordPiece
#   - Unigram
#   - SentencePiece
#   - 动手验证
# ---
# # BPE、WordPiece 与 Unigram：同一份语料上的三种切法
#
# 对应问题：[BPE、WordPiece、Unigram、SentencePiece 有什么区别？](tokenization.md#bpe-wordpiece-unigram-sentencepiece)
#
# ## 语料 {#subword-nb-corpus}
#
# 取 `snippets/llm/tok_corpus.py` 的 20 句英文，转成小写、只留字母，得到词频表。三种算法都在这张词频表上训练，
# 各自新增约 200 个子词。

# %%
import math
import re
from collections import Counter

import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.bpe import build_vocab, encode, train_bpe
from snippets.llm.subword import (all_segmentations, unigram_em_step, unigram_sample, unigram_train,
                                  unigram_viterbi, wordpiece_encode, wordpiece_train)
from snippets.llm.tok_corpus import EN_TRAIN

rng = np.random.default_rng(0)
wc = Counter(w for t in EN_TRAIN for w in re.findall(r"[a-z]+", t.lower()))
chars = sorted({c for w in wc for c in w})
print(f"{len(wc)} distinct words, {sum(wc.values())} occurrences, {len(chars)} letters")
N_NEW = 200

# %% [markdown]
# ## 训练三种分词器 {#subword-nb-train}
#
# - BPE：字节级，按频次合并（每个词单独作为一个片段，与 WordPiece、Unigram 的输入对齐）；
# - WordPiece：非词首字符带 `##`，按 $\mathrm{count}(ab)/(\mathrm{count}(a)\,\mathrm{count}(b))$ 合并；
# - Unigram：从所有长度不超过 6 的子串出发，EM 估计概率，按“删掉后似然下降多少”剪枝。

# %%
bpe_texts = [w for w, c in wc.items() for _ in range(c)]
merges, _ = train_bpe(bpe_texts, 256 + N_NEW)
bpe_vocab = build_vocab(merges)
wp_vocab, _ = wordpiece_train(wc, len({w[0] for w in wc} | {"##" + c for w in wc for c in w[1:]}) + N_NEW)
uni_logp = unigram_train(wc, len(chars) + N_NEW)
print(f"BPE {len(merges)} merges | WordPiece vocab {len(wp_vocab)} | Unigram vocab {len(uni_logp)}")
assert len(uni_logp) <= len(chars) + N_NEW

# %% [markdown]
# ## 同一个词的三种切分 {#subword-nb-segmentations}
#
# 训练集里出现过的词（tokenizer、merges、learned）和没出现过的词（tokenization、unbelievable、lowest）。

# %%
words = ["tokenizer", "merges", "learned", "tokenization", "unbelievable", "lowest"]
rows = []
for w in words:
    b = [bpe_vocab[t].decode() for t in encode(w, merges)]
    p = wordpiece_encode(w, wp_vocab)
    u, _ = unigram_viterbi(w, uni_logp)
    rows.append((w, b, p, u))
    print(f"{w:13s} BPE {b}\n{'':13s} WP  {p}\n{'':13s} Uni {u}")
    assert "".join(b) == w and "".join(u) == w
    assert p == ["[UNK]"] or "".join(x.removeprefix("##") for x in p) == w

# %% [markdown]
# WordPiece 的打分偏向“两部分各自都少见、但经常一起出现”的对，高频的字母组合反而合并得晚，
# 所以同样新增 200 个子词，它的切分通常更碎。

# %%
n_pieces = {name: np.mean([len(r[i]) for r in rows]) for i, name in [(1, "BPE"), (2, "WordPiece"), (3, "Unigram")]}
print({k: round(float(v), 2) for k, v in n_pieces.items()})
assert n_pieces["WordPiece"] > n_pieces["BPE"]

# %% [markdown]
# ## Viterbi 等于暴力枚举的最大值 {#subword-nb-viterbi}
#
# Unigram 假设各片段独立，$P(\mathbf x)=\prod_i p(x_i)$；最优切分用动态规划求出。对随机词表与短串，
# 和枚举全部切分取最大值的结果逐一比较。

# %%
checked = 0
for _ in range(200):
    pieces = set("abc") | {"".join(rng.choice(list("abc"), int(rng.integers(2, 4)))) for _ in range(8)}
    logp = {p: float(np.log(rng.uniform(0.01, 1))) for p in pieces}
    text = "".join(rng.choice(list("abc"), int(rng.integers(1, 10))))
    seg, score = unigram_viterbi(text, logp)
    brute = max(sum(logp[p] for p in s) for s in all_segmentations(text, pieces))
    assert math.isclose(score, brute)
    checked += 1
print(f"Viterbi == brute force on {checked} random cases")

# %% [markdown]
# ## EM 让语料似然单调上升 {#subword-nb-em}
#
# 从均匀分布出发做 EM：E 步用前向-后向算每个子串的期望出现次数，M 步归一化。EM 保证似然不下降。

# %%
pieces0 = {w[i:j] for w in wc for i in range(len(w)) for j in range(i + 1, min(len(w), i + 6) + 1)}
logp = {p: -math.log(len(pieces0)) for p in pieces0}
lls = []
for _ in range(8):
    logp, ll = unigram_em_step(wc, logp)
    lls.append(ll)
assert all(b >= a - 1e-6 for a, b in zip(lls, lls[1:]))
print("log-likelihood per EM step:", [round(float(x), 1) for x in lls])

#| alt: 折线图，横轴是 EM 迭代次数 1 到 8，纵轴是语料的对数似然，曲线单调上升并在后几步趋于平缓
fig, ax = plt.subplots()
ax.plot(range(1, len(lls) + 1), lls, marker="o")
ax.set_xlabel("EM iteration")
ax.set_ylabel("corpus log-likelihood")
ax.set_title("Unigram EM never decreases the likelihood")
plt.show()

# %% [markdown]
# ## subword regularization：按 $P^\alpha$ 采样切分 {#subword-nb-sampling}
#
# 训练时不总用最优切分，而是按 $P(\mathbf x)^\alpha$ 采样（Kudo 2018），让模型见到同一个词的多种切法。
# $\alpha$ 越小越平均，越大越接近 Viterbi。下面对 “sentence” 各采 4000 次，与精确分布对比。

# %%
word = "sentence"
segs = all_segmentations(word, set(uni_logp))
exact, empirical = {}, {}
for alpha in (0.1, 1.0):
    w = np.array([alpha * sum(uni_logp[p] for p in s) for s in segs])
    w = np.exp(w - w.max())
    exact[alpha] = w / w.sum()
    cnt = Counter(tuple(unigram_sample(word, uni_logp, alpha, rng)) for _ in range(4000))
    empirical[alpha] = np.array([cnt[tuple(s)] / 4000 for s in segs])
    assert np.abs(empirical[alpha] - exact[alpha]).max() < 0.03
top = np.argsort(-exact[1.0])[:4]
for i in top:
    print(f"{'|'.join(segs[i]):14s} exact a=1: {exact[1.0][i]:.3f}  sampled: {empirical[1.0][i]:.3f}   "
          f"exact a=0.1: {exact[0.1][i]:.3f}")
assert exact[0.1].max() < exact[1.0].max()          # 温度越低（alpha 越小）越分散

#| alt: 分组柱状图，横轴是 sentence 的 4 种最可能切分，每组两根柱子分别是 alpha=1 和 alpha=0.1 时的采样频率：alpha=1 时约九成落在最优切分 se|ntence 上，alpha=0.1 时四种切分的频率更接近
fig, ax = plt.subplots()
x = np.arange(len(top))
ax.bar(x - 0.2, empirical[1.0][top], 0.4, label="alpha = 1.0")
ax.bar(x + 0.2, empirical[0.1][top], 0.4, label="alpha = 0.1")
ax.set_xticks(x, ["|".join(segs[i]) for i in top], rotation=30, ha="right")
ax.set_ylabel("sampled frequency")
ax.set_title("Subword regularization on 'sentence'")
ax.legend()
plt.show()
