"""RAG 流程中的小部件：分块（定长 + 重叠、按分隔符递归、父子块）、玩具 embedding 模型、
带引用的上下文拼装，以及 RAGAS 风格的评测指标（numpy + 标准库）。"""
import zlib

import numpy as np


# --8<-- [start:fixed_chunks]
def fixed_size_chunks(n_tokens, size, overlap=0):
    """把长度为 n_tokens 的序列切成定长块，相邻块重叠 overlap 个 token；返回 [start, end) 区间列表。

    步长 stride = size - overlap；最后一块到序列末尾为止（可能更短）。
    """
    if size < 1:
        raise ValueError(f"chunk size must be >= 1, got {size}")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap {overlap} must be >= 0 and smaller than the chunk size {size}")
    if n_tokens < 1:
        raise ValueError("nothing to chunk: the document is empty")
    stride = size - overlap
    spans, start = [], 0
    while True:
        end = min(start + size, n_tokens)
        spans.append((start, end))
        if end == n_tokens:
            return spans
        start += stride


def split_fraction(span_len, size, overlap=0):
    """长度为 span_len 的事实均匀随机落在序列里时，没有任何一块能完整装下它的概率（忽略序列末尾）。

    块从 j*t 开始（t = size - overlap），事实起点 p 满足 (p mod t) + span_len <= size 时才被某块装下，
    所以被切断的比例是 max(0, span_len - 1 - overlap) / t；span_len > size 时永远装不下。
    """
    if span_len > size:
        return 1.0
    stride = size - overlap
    return max(0, span_len - 1 - overlap) / stride
# --8<-- [end:fixed_chunks]


# --8<-- [start:recursive_split]
def recursive_split(text, max_chars, separators=("\n\n", "\n", ". ", " ")):
    """按分隔符优先级递归切分：先按段落，段落太长再按行、句、词，最后硬切。

    分隔符保留在前一段的末尾，所以把结果直接拼起来就是原文；相邻的小段会合并到不超过 max_chars。
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    if len(text) <= max_chars:
        return [text] if text else []
    for i, sep in enumerate(separators):
        if sep in text:
            parts = text.split(sep)
            pieces = [p + sep for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
            rest = separators[i + 1:]
            break
    else:                                        # 没有任何分隔符：按字符硬切
        return [text[i:i + max_chars] for i in range(0, len(text), max_chars)]
    out, buf = [], ""
    for piece in pieces:
        if len(piece) > max_chars:               # 这一段本身太长：用更细的分隔符继续切
            if buf:
                out.append(buf)
                buf = ""
            out.extend(recursive_split(piece, max_chars, rest))
        elif len(buf) + len(piece) <= max_chars:
            buf += piece
        else:
            out.append(buf)
            buf = piece
    if buf:
        out.append(buf)
    return out
# --8<-- [end:recursive_split]


# --8<-- [start:parent_child]
def parent_child_chunks(n_tokens, parent_size, child_size):
    """父子块（small-to-big）：先切不重叠的父块，再把每个父块切成子块；返回 (父块列表, 子块列表, 子块 -> 父块)。

    检索时对子块打分（小块语义集中），送进上下文时换成它所属的父块（大块上下文完整）。
    """
    if child_size > parent_size:
        raise ValueError(f"child size {child_size} is larger than the parent size {parent_size}")
    parents = fixed_size_chunks(n_tokens, parent_size)
    children, parent_of = [], []
    for p, (s, e) in enumerate(parents):
        for cs, ce in fixed_size_chunks(e - s, child_size):
            children.append((s + cs, s + ce))
            parent_of.append(p)
    return parents, children, parent_of


def expand_to_parents(child_ranking, parent_of, k):
    """把子块的排序换成父块的排序（去重、保持先后），取前 k 个父块。"""
    seen, out = set(), []
    for c in child_ranking:
        p = parent_of[c]
        if p not in seen:
            seen.add(p)
            out.append(p)
            if len(out) == k:
                break
    return out
# --8<-- [end:parent_child]


# --8<-- [start:toy_dense]
def _hashed_unit(key, dim):
    """由字符串确定的随机单位向量（zlib.crc32 作种子，不受 Python 哈希随机化影响）。"""
    v = np.random.default_rng(zlib.crc32(key.encode("utf-8"))).normal(size=dim)
    return v / np.linalg.norm(v)


class ToyEncoder:
    """玩具 embedding 模型，代替一个预训练好的双塔编码器（不下载任何模型）。

    - 词表里的词：所属同义词组的向量 + 一点词自身的扰动，所以同义词的余弦很高（预训练学到的东西）；
    - 词表外的串（型号、订单号）：字符 3-gram 哈希向量的平均，像 fastText 的子词，长得像的编号向量也像，
      模型分不清 sku4821 和 sku4812；
    - 停用词权重小；一段文本的向量是各词向量的加权和，再 L2 归一化。
    """

    def __init__(self, synonym_groups, stopwords=(), dim=64, word_noise=0.35, stop_weight=0.2, oov_weight=0.5):
        if dim < 2:
            raise ValueError(f"dim must be >= 2, got {dim}")
        self.dim, self.stop_weight, self.oov_weight = dim, stop_weight, oov_weight
        self.stop = {w: _hashed_unit(f"word:{w}", dim) for w in stopwords}
        self.table, self._oov = {}, {}
        for g, group in enumerate(synonym_groups):
            center = _hashed_unit(f"group:{g}", dim)
            for w in group:
                if w in self.table:
                    raise ValueError(f"word {w!r} is in two synonym groups")
                v = center + word_noise * _hashed_unit(f"word:{w}", dim)
                self.table[w] = v / np.linalg.norm(v)

    def word_vector(self, w):
        """(单位向量, 权重)；词表外的词算一次后缓存。"""
        if w in self.table:
            return self.table[w], 1.0
        if w in self.stop:
            return self.stop[w], self.stop_weight
        if w not in self._oov:
            padded = f"<{w}>"
            grams = [padded[i:i + 3] for i in range(len(padded) - 2)]
            v = np.mean([_hashed_unit(f"3g:{g}", self.dim) for g in grams], axis=0)
            self._oov[w] = v / np.linalg.norm(v)
        return self._oov[w], self.oov_weight

    def embed(self, docs_tokens):
        out = np.zeros((len(docs_tokens), self.dim))
        for i, toks in enumerate(docs_tokens):
            for t in toks:
                v, w = self.word_vector(t)
                out[i] += w * v
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def index(self, docs_tokens):
        if len(docs_tokens) == 0:
            raise ValueError("cannot index an empty corpus")
        self.doc_vecs = self.embed(docs_tokens)
        return self

    def scores(self, query_tokens):
        """查询与每篇文档的余弦相似度（向量都已归一化，就是点积）。"""
        if len(query_tokens) == 0:
            raise ValueError("query has no tokens")
        return self.doc_vecs @ self.embed([query_tokens])[0]
# --8<-- [end:toy_dense]


# --8<-- [start:assemble]
def assemble_context(chunks, ranking, budget_tokens, count_tokens=lambda s: len(s.split())):
    """按排序把块放进 token 预算，给每块编号 [1], [2], …，返回 (提示词里的上下文, 编号 -> 块下标)。

    重复的块只放一次；放不下的块跳过（后面更短的块仍可能放得下）。
    """
    if budget_tokens < 1:
        raise ValueError(f"token budget must be >= 1, got {budget_tokens}")
    used, lines, cite = 0, [], {}
    for idx in ranking:
        if idx in cite.values():
            continue
        cost = count_tokens(chunks[idx])
        if used + cost > budget_tokens:
            continue
        n = len(cite) + 1
        cite[n] = idx
        lines.append(f"[{n}] {chunks[idx]}")
        used += cost
    return "\n".join(lines), cite
# --8<-- [end:assemble]


# --8<-- [start:ragas]
def context_precision(relevant_flags):
    """ragas 的 context precision：sum_k Precision@k * v_k / (前 K 个里相关块的个数)，v_k 为第 k 块是否相关。

    相关块排得越靠前分数越高；一个相关块都没有时记 0。
    """
    v = np.asarray(relevant_flags, dtype=float)
    if v.size == 0:
        raise ValueError("no retrieved contexts to score")
    if v.sum() == 0:
        return 0.0
    precision_at_k = np.cumsum(v) / np.arange(1, len(v) + 1)
    return float((precision_at_k * v).sum() / v.sum())


def supported_fraction(flags, what):
    """被支持的陈述占比：faithfulness（答案里的陈述能否由上下文推出，|V|/|S|）
    与 context recall（参考答案里的陈述能否在检索到的上下文里找到）都是这个形式，只是陈述的来源不同。"""
    f = np.asarray(flags, dtype=float)
    if f.size == 0:
        raise ValueError(f"no {what} to check")
    return float(f.mean())


def answer_relevance(question_vec, generated_question_vecs):
    """RAGAS 的 answer relevance：由答案反推出 n 个问题，取它们与原问题向量余弦相似度的平均。"""
    q = np.asarray(question_vec, dtype=float)
    g = np.atleast_2d(np.asarray(generated_question_vecs, dtype=float))
    if g.shape[0] == 0:
        raise ValueError("no generated questions")
    cos = g @ q / (np.linalg.norm(g, axis=1) * np.linalg.norm(q))
    return float(cos.mean())
# --8<-- [end:ragas]


# ---- 合成语料（notebook 用的、自带标注的数据；不在页面上展示）-------------------------------------------

FAQ_TABLE = """
laptop: laptop keyboard trackpad usb | battery charge power | screen display panel | slow laggy sluggish
phone: phone sim app android | camera lens photo | crack shatter smash | call voice ring
printer: printer paper toner tray | jam stuck blocked | ink cartridge refill | wifi wireless network
router: router modem ethernet firmware | reset reboot restart | password passphrase credentials | speed bandwidth throughput
headphones: headphones earbuds audio bluetooth | pair connect link | noise hiss static | volume loudness gain
tv: tv remote hdmi channel | picture image colour | subtitles captions transcript | mount bracket wall
washer: washer drum laundry detergent | leak drip puddle | spin rotate tumble | smell odour stink
fridge: fridge freezer compressor shelf | cold chill cool | ice frost frozen | hum buzz rattle
bike: bike pedal chain saddle | brake stop halt | tyre tire wheel | gear shift derailleur
watch: watch strap wrist face | waterproof water swim | heart pulse bpm | sync upload transfer
vacuum: vacuum hoover dust carpet | suction pull draw | filter mesh hepa | dock base station
coffee: coffee espresso grinder beans | descale limescale decalcify | milk froth steam | bitter burnt sour
"""
FAQ_FILLER = ("how do i fix my the when after update problem issue help please new "
              "again sometimes always morning week stopped working").split()


def synthetic_faq(seed=0, docs_per_topic=15, n_id_queries=60, n_paraphrase_queries=60):
    """180 篇合成的产品客服 FAQ 和两类带标注的查询（见 hybrid-retrieval notebook）。

    每行 FAQ_TABLE 是一个产品类别：4 个主题词 | 3 个概念，每个概念 3 个同义说法。每篇文档 = 全库唯一的型号
    + 2 个主题词 + 2 个概念（每个概念一种说法，一半的情况下再加第二种）+ 4 个通用词，打乱顺序。
    型号查询：型号 + 一个概念词，相关文档只有那一篇；改写查询：两个概念各一种说法 + 产品名 + 一个通用词，
    相关文档是同类别里恰好写了这两个概念的文档。
    """
    rng = np.random.default_rng(seed)
    topics = []
    for line in FAQ_TABLE.strip().splitlines():
        name, rest = line.split(": ")
        ctx, *concepts = [part.split() for part in rest.split(" | ")]
        topics.append((name, ctx, [tuple(c) for c in concepts]))
    docs, doc_topic, doc_concepts, skus = [], [], [], []
    for t_i, (_, ctx, concepts) in enumerate(topics):
        for _ in range(docs_per_topic):
            sku = f"sku{rng.integers(1000, 10000)}"
            while sku in skus:
                sku = f"sku{rng.integers(1000, 10000)}"
            chosen = rng.choice(3, size=2, replace=False)
            words = [sku] + list(rng.choice(ctx, size=2, replace=False))
            for c in chosen:
                words += list(rng.choice(concepts[c], size=1 + int(rng.random() < 0.5), replace=False))
            words += list(rng.choice(FAQ_FILLER, size=4))
            rng.shuffle(words)
            docs.append(" ".join(words))
            doc_topic.append(t_i)
            doc_concepts.append(set(int(c) for c in chosen))
            skus.append(sku)
    n = len(docs)
    queries, relevant, qtype = [], [], []
    for i in rng.choice(n, size=n_id_queries, replace=False):
        c = rng.choice(sorted(doc_concepts[i]))
        queries.append(f"{skus[i]} {topics[doc_topic[i]][2][c][rng.integers(3)]}")
        relevant.append({int(i)})
        qtype.append("id")
    for _ in range(n_paraphrase_queries):
        t_i = rng.integers(len(topics))
        pair = set(int(c) for c in rng.choice(3, size=2, replace=False))
        words = [topics[t_i][2][c][rng.integers(3)] for c in sorted(pair)]
        product = topics[t_i][1][rng.integers(4)]
        queries.append(" ".join(words + [product, rng.choice(FAQ_FILLER)]))
        relevant.append({j for j in range(n) if doc_topic[j] == t_i and doc_concepts[j] == pair})
        qtype.append("paraphrase")
    return {"topics": topics, "docs": docs, "queries": queries, "relevant": relevant,
            "qtype": np.array(qtype), "filler": FAQ_FILLER}


def planted_facts_document(seed=0, n_tokens=12000, n_facts=60, max_gap=24):
    """一篇合成长文档（见 chunking notebook）：400 个伪词作填充，60 处埋一条事实
    “the access code for vault <名字> <0 到 max_gap 个填充词> is <号码>”，名字和号码全文唯一。

    返回 (tokens, facts, queries)，facts 是 (起点, 长度, 名字, 号码)，查询是 access code vault <名字>。"""
    rng = np.random.default_rng(seed)
    syl = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "da", "ve", "zu", "ho", "gi", "fe", "bu", "ya"]
    words = sorted({"".join(rng.choice(syl, size=3)) for _ in range(3000)})
    filler, names = words[:400], words[400:400 + n_facts]          # names never occur as filler
    tokens = list(rng.choice(filler, size=n_tokens))
    slots = rng.choice(n_tokens // 100, size=n_facts, replace=False) * 100 + rng.integers(0, 60, size=n_facts)
    facts = []
    for i, p in enumerate(sorted(slots)):
        name, number, gap = names[i], f"n{rng.integers(10**5, 10**6)}", int(rng.integers(0, max_gap + 1))
        fact = ["the", "access", "code", "for", "vault", name] + list(rng.choice(filler, size=gap)) + ["is", number]
        tokens[p:p + len(fact)] = fact
        facts.append((int(p), len(fact), name, number))
    queries = [["access", "code", "vault", name] for _, _, name, _ in facts]
    return tokens, facts, queries, filler, names
