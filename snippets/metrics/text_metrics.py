"""文本生成指标：LCS、ROUGE-N、ROUGE-L、BLEU（截断计数 + 简短惩罚），以及基于向量的 BERTScore / CLIPScore。"""
import math
from collections import Counter

import numpy as np


def ngrams(tokens, n):
    """n-gram 计数（Counter）。"""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


# --8<-- [start:lcs]
def lcs_length(a, b):
    """最长公共子序列长度（LeetCode 1143）：dp[i][j] = a[:i] 与 b[:j] 的 LCS，滚动一行，O(mn) 时间 O(n) 空间。"""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]
# --8<-- [end:lcs]


# --8<-- [start:rouge]
def rouge_n(candidate, reference, n=1):
    """ROUGE-N：重合的 n-gram 数（每个 n-gram 取候选与参考计数中的较小者）除以参考 n-gram 总数，即召回；同时给出 P 和 F1。"""
    c, r = ngrams(candidate, n), ngrams(reference, n)
    overlap = sum(min(cnt, r[g]) for g, cnt in c.items())
    rec = overlap / max(sum(r.values()), 1)
    prec = overlap / max(sum(c.values()), 1)
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"p": prec, "r": rec, "f": f1}


def rouge_l(candidate, reference, beta=1.0):
    """ROUGE-L：R = LCS/|ref|，P = LCS/|cand|，F_beta = (1+b^2) R P / (R + b^2 P)。beta -> inf 时 F -> R。"""
    lcs = lcs_length(candidate, reference)
    rec, prec = lcs / len(reference), lcs / len(candidate)
    if lcs == 0:
        return {"p": 0.0, "r": 0.0, "f": 0.0}
    b2 = beta * beta
    return {"p": prec, "r": rec, "f": (1 + b2) * rec * prec / (rec + b2 * prec)}
# --8<-- [end:rouge]


# --8<-- [start:bleu]
def modified_precision(candidate, references, n):
    """BLEU 的修正 n-gram 精确率：候选里每个 n-gram 的计数截断到它在任一参考中出现的最大次数。"""
    c = ngrams(candidate, n)
    max_ref = Counter()
    for ref in references:
        for g, cnt in ngrams(ref, n).items():
            max_ref[g] = max(max_ref[g], cnt)
    clipped = sum(min(cnt, max_ref[g]) for g, cnt in c.items())
    return clipped, max(sum(c.values()), 0)


def brevity_penalty(c, r):
    """BP = 1 (c > r)，exp(1 - r/c) (c <= r)；c 为候选长度，r 为有效参考长度。只惩罚过短，永远 <= 1。"""
    if c == 0:
        return 0.0
    return 1.0 if c > r else math.exp(1.0 - r / c)


def closest_ref_length(c, references):
    """有效参考长度：与候选长度最接近的参考长度（平局取较短者）。"""
    return min((abs(len(ref) - c), len(ref)) for ref in references)[1]


def corpus_bleu(candidates, references_list, max_n=4):
    """语料级 BLEU：各句截断计数先累加再相除；BP 用语料总长 c 与总有效参考长 r。权重均匀 w_n = 1/N。"""
    num, den = [0] * max_n, [0] * max_n
    c_len = r_len = 0
    for cand, refs in zip(candidates, references_list):
        c_len += len(cand)
        r_len += closest_ref_length(len(cand), refs)
        for n in range(1, max_n + 1):
            a, b = modified_precision(cand, refs, n)
            num[n - 1] += a
            den[n - 1] += b
    if min(num) == 0:
        return 0.0                       # 几何平均里任一 p_n = 0 则 BLEU = 0（句子级常需平滑）
    log_p = sum(math.log(a / b) for a, b in zip(num, den)) / max_n
    return brevity_penalty(c_len, r_len) * math.exp(log_p)
# --8<-- [end:bleu]


# --8<-- [start:bertscore]
def bertscore(cand_emb, ref_emb):
    """BERTScore（无 idf、无基线重标定）：token 向量先 L2 归一化，贪心匹配取最大余弦。

    P = 候选 token 各自在参考里的最大相似度的均值；R = 参考 token 各自在候选里的最大相似度的均值。
    """
    c = cand_emb / np.linalg.norm(cand_emb, axis=1, keepdims=True)
    r = ref_emb / np.linalg.norm(ref_emb, axis=1, keepdims=True)
    sim = r @ c.T                          # (|ref|, |cand|)
    R = float(sim.max(axis=1).mean())
    P = float(sim.max(axis=0).mean())
    return {"p": P, "r": R, "f": 2 * P * R / (P + R), "sim": sim}


def clipscore(image_emb, text_emb, w=2.5):
    """CLIPScore = w * max(cos(E_I, E_C), 0)，Hessel et al. 2021 取 w = 2.5。"""
    cos = float(image_emb @ text_emb / (np.linalg.norm(image_emb) * np.linalg.norm(text_emb)))
    return w * max(cos, 0.0)
# --8<-- [end:bertscore]
