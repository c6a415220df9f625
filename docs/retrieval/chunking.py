# %% [markdown]
# ---
# description: 在一篇埋了 60 条已知位置事实的合成长文档上，验证定长分块时被块边界切断的事实比例等于 (L−1−o)/(s−o)，没有重叠时被切断的事实一定找不回来，以及块太小装不下答案、块太大稀释向量的召回率—块大小曲线和父子块（small-to-big）的折中。
# tags:
#   - RAG
#   - 分块
#   - Chunking
#   - 动手验证
# ---
# # 分块大小、重叠与召回率
#
# 对应问题：[文本怎么分块（chunking）？块多大合适？](rag.md#chunking)、
# [为什么要有重叠（overlap）？设多大？](rag.md#chunk-overlap)、[小块检索、大块送入是什么？](rag.md#small-to-big)
#
# ## 实验设置 {#setup}
#
# 一篇 12000 个词的合成文档，填充词来自 400 个无意义的伪词；其中 60 处埋了一条事实：
# `the access code for vault <名字>`，隔 $g$ 个填充词（$g$ 在 0 到 24 之间随机）之后是 `is <号码>`。
# 事实的长度 $L=8+g$ 在 8 到 32 个词之间，名字和号码全文唯一，位置已知（生成器是 `snippets/retrieval/rag.py` 里的 `planted_facts_document`）。
# 查询是 `access code vault <名字>`。一条查询算**命中**，当且仅当前 $k=3$ 个检索到的块里有一块**完整包含**这条事实：
# 名字和号码被切到两块里时，拿到前一块的模型只知道“有个密码”，答不出号码。
#
# 检索器是 [混合检索 notebook](hybrid-retrieval.py#corpus) 里的玩具 embedding 模型（768 维）：每个伪词和名字有自己的随机向量，
# 模板词当作停用词、权重很小；块向量是块内各词向量之和再归一化。所以块越大，名字在块向量里所占的份额越小，
# 和其他块里随机词的“撞车”也越多，这就是稀释。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.retrieval.rag import (ToyEncoder, expand_to_parents, fixed_size_chunks, parent_child_chunks,
                                    planted_facts_document, split_fraction)
L, N_TOK, K = 8, 12000, 3                 # L: the shortest fact (no gap), used for the formula
tokens, facts, queries, FILLER, NAMES = planted_facts_document(seed=0, n_tokens=N_TOK, n_facts=60)
assert len(tokens) == N_TOK and min(f[1] for f in facts) == L and max(f[1] for f in facts) <= 32
print(" ".join(tokens[facts[0][0] - 3: facts[0][0] + facts[0][1] + 3]))
print("query:", " ".join(queries[0]))

# %% [markdown]
# 每个词先编码一次，块向量用前缀和直接求出（等于把块内的词逐个加起来，下面顺手验证一遍）：

# %%
enc = ToyEncoder([(w,) for w in FILLER + NAMES], stopwords=["the", "access", "code", "for", "vault", "is"], dim=768)
vecs = np.array([w * v for v, w in (enc.word_vector(t) for t in tokens)])
prefix = np.vstack([np.zeros(enc.dim), np.cumsum(vecs, axis=0)])
del vecs
qvecs = enc.embed(queries)


def chunk_vectors(spans):
    v = np.array([prefix[e] - prefix[s] for s, e in spans])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


spans = fixed_size_chunks(N_TOK, 64, 16)
assert np.allclose(chunk_vectors(spans[:5]), enc.embed([tokens[s:e] for s, e in spans[:5]]))


def contains(span, fact):
    return span[0] <= fact[0] and fact[0] + fact[1] <= span[1]


def evaluate(size, overlap, k=K):
    """(命中率, 被切断的事实比例, 每个查询送进上下文的词数)。"""
    spans = fixed_size_chunks(N_TOK, size, overlap)
    scores = qvecs @ chunk_vectors(spans).T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hit = [any(contains(spans[c], f) for c in row) for row, f in zip(top, facts)]
    split = [not any(contains(s, f) for s in spans) for f in facts]
    return np.mean(hit), np.mean(split), sum(spans[c][1] - spans[c][0] for c in top[0])

# %% [markdown]
# ## 被切断的事实：公式与实测 {#split-facts}
#
# 块从 $j\cdot t$ 开始（步长 $t=s-o$），起点为 $p$ 的事实能被某一块完整装下，当且仅当 $(p \bmod t)+L\le s$。
# 事实的起点相对块边界均匀分布时，被切断的比例是 $\max(0,\,L-1-o)/(s-o)$；$o\ge L-1$ 时一条都不会被切断。
# 这里把 60 条事实换成“所有可能的起点”来数，和公式逐个对比。

# %%
sizes = [8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
measured = {}
for o in (0, 2, L - 1):
    row = []
    for s in sizes:
        if o >= s:
            row.append(np.nan)
            continue
        sp = fixed_size_chunks(N_TOK, s, o)
        starts = range(0, N_TOK - 2 * s)
        near = lambda p: sp[max(0, p // (s - o) - 2): p // (s - o) + 2]   # the chunks around position p
        row.append(np.mean([not any(a <= p and p + L <= b for a, b in near(p)) for p in starts]))
    measured[o] = np.array(row)
    expect = np.array([split_fraction(L, s, o) if o < s else np.nan for s in sizes])
    assert np.allclose(measured[o], expect, atol=1e-3, equal_nan=True), o
assert np.all(measured[L - 1] == 0)                   # overlap >= L - 1: no fact is ever cut
print("split fraction without overlap:", {s: round(float(v), 3) for s, v in zip(sizes, measured[0])})

#| alt: 双对数坐标，横轴是块大小 s（词），纵轴是被块边界切断的事实比例：无重叠时实测点落在 (L−1)/s 的直线上，s=8 时 0.875、s=512 时约 0.014；重叠 2 个词时略低；重叠 L−1=7 个词时为 0，不在图上
fig, ax = plt.subplots()
ax.loglog(sizes, measured[0], "o", label="measured, overlap 0")
ax.loglog(sizes, [(L - 1) / s for s in sizes], "-", color="C0", alpha=0.6, label="(L - 1) / s")
ax.loglog(sizes, measured[2], "s", color="C1", label="measured, overlap 2")
ax.loglog(sizes, [(L - 3) / (s - 2) for s in sizes], "-", color="C1", alpha=0.6, label="(L - 3) / (s - 2)")
ax.set_xlabel("chunk size s (words)")
ax.set_ylabel("fraction of facts cut")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 召回率与块大小、重叠 {#recall-vs-size}
#
# 没有重叠时，被切断的事实不论排序多好都找不回来，所以命中率不超过“没被切断的比例”；
# 块比事实短时根本装不下它；块越大，事实的那几个词在块向量里越不显眼，排序开始出错，送进上下文的词数也按 $k\cdot s$ 增长。
# 下面比较不重叠和重叠 $s/4$（常见的默认比例）两种切法。

# %%
res = {name: np.array([evaluate(s, o(s)) for s in sizes])
       for name, o in [("overlap 0", lambda s: 0), ("overlap s/4", lambda s: s // 4)]}
for name, r in res.items():
    print(f"{name:12s} hit rate ", {s: round(float(v), 2) for s, v in zip(sizes, r[:, 0])})
    print(f"{'':12s} facts cut", {s: round(float(v), 2) for s, v in zip(sizes, r[:, 1])})

hit0, hitq = res["overlap 0"][:, 0], res["overlap s/4"][:, 0]
assert np.all(hit0 <= 1 - res["overlap 0"][:, 1] + 1e-12)   # a fact that was cut is never found
assert np.all(res["overlap s/4"][:, 1] <= res["overlap 0"][:, 1])
best = int(np.argmax(hitq))
assert hitq[0] < 0.5 and hitq[best] > hitq[0] + 0.3          # too small: most facts do not fit in a chunk
assert hitq[-1] < hitq[best] - 0.2                           # too big: the fact is diluted and lost
assert np.all(hitq[:best + 1] >= hit0[:best + 1])            # up to the best size, overlap only helps
print(f"best size with overlap s/4: s = {sizes[best]}, hit rate {hitq[best]:.2f}, "
      f"{res['overlap s/4'][best, 2]:.0f} words of context per query")

#| alt: 上下两张图，横轴都是块大小 s（对数坐标）：上图纵轴是 top-3 命中率，不重叠与重叠 s/4 两条曲线都先升后降，在几十个词处最高，重叠那条在小块和中等块时更高，块很大时两条都明显下降；下图纵轴是每个查询送进上下文的词数，约为 3·s，随块大小线性增长
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
axes[0].semilogx(sizes, hit0, "o-", label="overlap 0")
axes[0].semilogx(sizes, hitq, "s-", label="overlap s/4")
axes[0].set_ylabel(f"hit rate (top-{K})")
axes[0].set_ylim(0, 1.05)
axes[0].legend(loc="lower center")
axes[1].loglog(sizes, res["overlap 0"][:, 2], "o-", color="C2")
axes[1].set_ylabel("context words per query")
axes[1].set_xlabel("chunk size s (words)")
plt.show()

# %% [markdown]
# ## 父子块：小块检索、大块送入 {#parent-child-demo}
#
# 子块 16 个词（向量集中在名字上，打分准），命中后把它所属的 128 词父块送进上下文（答案完整）。
# 事实只有跨越**父块**边界时才会丢。

# %%
parents, children, parent_of = parent_child_chunks(N_TOK, 128, 16)
child_top = np.argsort(-(qvecs @ chunk_vectors(children).T), axis=1, kind="stable")
s2b = [expand_to_parents(row, parent_of, K) for row in child_top]
hit_s2b = np.mean([any(contains(parents[p], f) for p in ps) for ps, f in zip(s2b, facts)])
cut_by_parents = np.mean([not any(contains(p, f) for p in parents) for f in facts])
hit_flat16, hit_flat128 = hit0[sizes.index(16)], hit0[sizes.index(128)]
print(f"flat 16: {hit_flat16:.2f}   flat 128: {hit_flat128:.2f}   small-to-big 16 -> 128: {hit_s2b:.2f} "
      f"(facts cut by parent boundaries: {cut_by_parents:.2f})")
assert hit_s2b > max(hit_flat16, hit_flat128)
assert hit_s2b <= 1 - cut_by_parents + 1e-12

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 定长分块时被切断的比例就是 $\max(0, L-1-o)/(s-o)$：没有重叠、块又小时损失很大（$L=8$、$s=16$ 时 44%）；重叠 $o\ge L-1$ 保证长度不超过 $L$ 的内容总有一份完整的拷贝，代价是块数变成 $s/(s-o)$ 倍。
# - 召回率对块大小先升后降：太小装不下答案，太大则答案在块向量里被稀释，上下文成本还按 $k\cdot s$ 增长。最佳点取决于答案的长度和检索器，要在自己的数据上扫一遍。
# - 父子块把“打分的单位”和“送给 LLM 的单位”分开，这里同时超过了只用 16 词小块和只用 128 词大块。
