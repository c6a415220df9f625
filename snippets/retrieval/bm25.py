"""稀疏检索与结果融合：分词、BM25（Lucene 的 IDF 写法）、top-k、RRF 与归一化线性融合（numpy + 标准库）。"""
import math
import re
from collections import Counter

import numpy as np


# --8<-- [start:bm25]
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")


def tokenize(text):
    """小写后切出英文/数字串；每个汉字单独成词（真实系统用分词器或字 n-gram）。"""
    return _TOKEN.findall(text.lower())


def bm25_index(docs_tokens, k1=1.2, b=0.75):
    """为已分词的文档建 BM25 统计量：词频、文档频率 n(t)、文档数 N、平均长度 avgdl。"""
    if len(docs_tokens) == 0:
        raise ValueError("cannot index an empty corpus")
    if k1 < 0:
        raise ValueError(f"k1 must be >= 0, got {k1}")
    if not 0 <= b <= 1:
        raise ValueError(f"b must be in [0, 1], got {b}")
    tfs = [Counter(toks) for toks in docs_tokens]
    df = Counter(t for tf in tfs for t in tf)
    lengths = np.array([len(toks) for toks in docs_tokens], dtype=float)
    return {"tfs": tfs, "df": df, "N": len(tfs), "len": lengths,
            "avgdl": max(lengths.mean(), 1e-12), "k1": k1, "b": b}


def bm25_idf(n_t, N):
    """Lucene 的 IDF：log(1 + (N - n + 0.5) / (n + 0.5))，恒为正。"""
    return math.log(1.0 + (N - n_t + 0.5) / (n_t + 0.5))


def bm25_scores(index, query_tokens):
    """查询对每篇文档的 BM25 分数，返回形状 (N,) 的数组。

    score(D, Q) = sum_{t in Q} IDF(t) * f(t, D) (k1 + 1) / (f(t, D) + k1 (1 - b + b |D| / avgdl))
    查询里重复的词按出现次数重复累加（与 Lucene 对布尔查询逐子句求和一致）。
    """
    if len(query_tokens) == 0:
        raise ValueError("query has no tokens")
    k1, b, N = index["k1"], index["b"], index["N"]
    norm = k1 * (1.0 - b + b * index["len"] / index["avgdl"])      # (N,)
    scores = np.zeros(N)
    for t in query_tokens:
        n_t = index["df"].get(t, 0)
        if n_t == 0:
            continue                                               # 语料里没有的词不贡献分数
        f = np.array([tf.get(t, 0) for tf in index["tfs"]], dtype=float)
        sat = np.divide(f * (k1 + 1.0), f + norm, out=np.zeros(N), where=f > 0)   # 词频饱和项
        scores += bm25_idf(n_t, N) * sat
    return scores
# --8<-- [end:bm25]


# --8<-- [start:top_k]
def top_k(scores, k):
    """分数从高到低的前 k 个下标；同分按下标升序（结果可复现）。"""
    scores = np.asarray(scores, dtype=float)
    if not 1 <= k <= len(scores):
        raise ValueError(f"k = {k} must be between 1 and the corpus size {len(scores)}")
    order = np.lexsort((np.arange(len(scores)), -scores))
    return order[:k]
# --8<-- [end:top_k]


# --8<-- [start:rrf]
def rrf_fuse(rankings, k=60):
    """倒数排名融合（Cormack et al. 2009）：score(d) = sum_r 1 / (k + rank_r(d))，rank 从 1 开始。

    rankings: 若干个排好序的文档 id 列表（各路召回的结果，长度可以不同）；
    没出现在某一路里的文档，这一路不贡献分数。返回 (融合后的 id 列表, 对应分数)。
    """
    if len(rankings) == 0:
        raise ValueError("need at least one ranking to fuse")
    if k < 0:
        raise ValueError(f"RRF constant k must be >= 0, got {k}")
    fused = {}
    for r, ranking in enumerate(rankings):
        ranking = list(ranking)
        if len(set(ranking)) != len(ranking):
            raise ValueError(f"ranking {r} lists a document twice")
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    ids = sorted(fused, key=lambda d: (-fused[d], d))
    return ids, [fused[d] for d in ids]
# --8<-- [end:rrf]


# --8<-- [start:linear_fuse]
def minmax(scores):
    """把一路分数线性缩放到 [0, 1]；全相等时返回全 0。"""
    s = np.asarray(scores, dtype=float)
    span = s.max() - s.min()
    return np.zeros_like(s) if span == 0 else (s - s.min()) / span


def linear_fuse(score_lists, weights):
    """分数归一化后的加权和：sum_r w_r * minmax(s_r)，每路给出全部 N 篇文档的分数。"""
    if len(score_lists) == 0 or len(score_lists) != len(weights):
        raise ValueError(f"{len(score_lists)} score lists but {len(weights)} weights")
    n = {len(s) for s in score_lists}
    if len(n) != 1:
        raise ValueError(f"score lists have different lengths {sorted(n)}")
    return sum(w * minmax(s) for w, s in zip(weights, score_lists))
# --8<-- [end:linear_fuse]
