"""检索指标：MRR（逐 cutoff 重扫的朴素实现与提前退出版）、Recall@k / Hit@k、nDCG@k（线性或指数增益）、AP。"""
import numpy as np


# --8<-- [start:mrr_notes]
def MRR(preds, truth, cutoffs):
    mrr = [0 for _ in range(len(cutoffs))]
    for pred, t in zip(preds, truth):
        for i, c in enumerate(cutoffs):
            for j, p in enumerate(pred):
                if j < c and p in t:
                    mrr[i] += 1/(j+1)
                    break
    mrr = [k/len(preds) for k in mrr]
    return mrr
# --8<-- [end:mrr_notes]


# --8<-- [start:mrr_fast]
def mrr_at_cutoffs(preds, truth, cutoffs):
    """每个查询只扫描一次：找到第一个相关结果的名次 rank，对每个 cutoff 判断 rank <= c。

    扫描在 max(cutoffs) 处截止，复杂度 O(sum min(len(pred), max_c) + Q * len(cutoffs))。
    """
    if not preds:
        raise ValueError("MRR needs at least one query")
    if len(preds) != len(truth):
        raise ValueError(f"{len(preds)} ranked lists but {len(truth)} relevance sets")
    if not cutoffs or min(cutoffs) < 1:
        raise ValueError(f"cutoffs must be positive integers, got {cutoffs}")
    max_c = max(cutoffs)
    total = [0.0] * len(cutoffs)
    for pred, t in zip(preds, truth):
        t = set(t)
        rank = next((j + 1 for j, p in enumerate(pred[:max_c]) if p in t), None)
        if rank is None:
            continue
        for i, c in enumerate(cutoffs):
            if rank <= c:
                total[i] += 1.0 / rank
    return [x / len(preds) for x in total]
# --8<-- [end:mrr_fast]


# --8<-- [start:recall_ndcg]
def recall_at_k(pred, relevant, k):
    """Recall@k：前 k 个结果中相关文档的个数，除以相关文档总数。

    没有相关文档的查询上 Recall 无定义（0/0）：报错，由调用者把这类查询排除在平均之外。
    """
    relevant = set(relevant)
    if not relevant:
        raise ValueError("Recall@k is undefined for a query with no relevant documents (drop it from the average)")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return len(set(pred[:k]) & relevant) / len(relevant)


def hit_at_k(pred, relevant, k):
    """Hit@k（命中率）：top-k 里至少有一个相关结果记 1。"""
    relevant = set(relevant)
    return float(any(p in relevant for p in pred[:k]))


def dcg(gains, gain="linear"):
    """DCG = sum_i g(rel_i) / log2(i + 1)，i 从 1 开始。

    gain="linear"：g(rel) = rel（trec_eval 的 ndcg_cut，BEIR 用的就是它）；
    gain="exp"：g(rel) = 2^rel - 1（Burges et al. 2005 的写法，更看重高等级）。
    """
    gains = np.asarray(gains, dtype=float)
    if gain == "exp":
        gains = 2 ** gains - 1
    elif gain != "linear":
        raise ValueError(f"unknown gain {gain!r} (use 'linear' or 'exp')")
    return float(np.sum(gains / np.log2(np.arange(2, len(gains) + 2))))


def ndcg_at_k(pred, rel, k, gain="linear"):
    """nDCG@k = DCG@k / IDCG@k；rel 是“文档 -> 相关度等级”的字典，IDCG 用全部已标注文档的理想排序。"""
    got = [rel.get(p, 0) for p in pred[:k]]
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = dcg(ideal, gain)
    return dcg(got, gain) / idcg if idcg > 0 else 0.0


def average_precision_at_k(pred, relevant, k):
    """AP@k：在前 k 名中每个命中的位置 i 取 Precision@i，求和后除以相关文档数与 k 中较小的一个；MAP 是它在查询上的均值。"""
    relevant = set(relevant)
    if not relevant:
        raise ValueError("AP is undefined for a query with no relevant documents (drop it from the average)")
    hits, s = 0, 0.0
    for i, p in enumerate(pred[:k], start=1):
        if p in relevant:
            hits += 1
            s += hits / i
    return s / min(len(relevant), k)
# --8<-- [end:recall_ndcg]
