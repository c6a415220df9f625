"""文本生成指标：LCS、ROUGE-N、ROUGE-L、BLEU（截断计数 + 简短惩罚 + 平滑），中文分词方式，以及基于向量的 BERTScore / CLIPScore。"""
import math
import re
from collections import Counter

import numpy as np


# --8<-- [start:ngrams]
def ngrams(tokens, n):
    """n-gram 计数（Counter）；序列短于 n 时为空。"""
    if n < 1:
        raise ValueError(f"n-gram order must be >= 1, got {n}")
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
# --8<-- [end:ngrams]


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
    """ROUGE-N：重合的 n-gram 数（每个 n-gram 取候选与参考计数中的较小者）除以参考 n-gram 总数，即召回；同时给出 P 和 F1。

    某一侧没有 n-gram（空序列或短于 n）时，对应的比值记 0。
    """
    c, r = ngrams(candidate, n), ngrams(reference, n)
    overlap = sum(min(cnt, r[g]) for g, cnt in c.items())
    rec = overlap / max(sum(r.values()), 1)
    prec = overlap / max(sum(c.values()), 1)
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"p": prec, "r": rec, "f": f1}


def rouge_l(candidate, reference, beta=1.0):
    """ROUGE-L：R = LCS/|ref|，P = LCS/|cand|，F_beta = (1+b^2) R P / (R + b^2 P)。beta -> inf 时 F -> R。

    候选或参考为空时 LCS = 0，P、R、F 都记 0（与 rouge-score 相同），不做除法。
    """
    if beta <= 0:
        raise ValueError(f"beta must be positive, got {beta}")
    lcs = lcs_length(candidate, reference)
    if lcs == 0:                      # 也覆盖了空候选、空参考：先判断，再做除法
        return {"p": 0.0, "r": 0.0, "f": 0.0}
    rec, prec = lcs / len(reference), lcs / len(candidate)
    b2 = beta * beta
    return {"p": prec, "r": rec, "f": (1 + b2) * rec * prec / (rec + b2 * prec)}
# --8<-- [end:rouge]


# --8<-- [start:zh_tokenize]
def rouge_score_default_tokenize(text):
    """模仿 rouge-score 的默认分词：转小写，把 [a-z0-9] 以外的字符都当分隔符。汉字全部被丢掉。"""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def char_tokenize(text):
    """字级切分：每个汉字一个 token，连续的字母数字算一个词，标点和空白丢弃。"""
    return re.findall(rf"[{_CJK}]|[a-z0-9]+", text.lower())


def fmm_segment(text, vocab, max_len=4):
    """词级切分的最小替身：正向最大匹配（从左到右，每次取词典里最长的词，查不到就单字成词）。

    真实评测用 jieba 等分词器；这里只为说明“词级 ROUGE 依赖分词结果”，不依赖第三方库。
    """
    out, i = [], 0
    chars = char_tokenize(text)
    while i < len(chars):
        for k in range(min(max_len, len(chars) - i), 0, -1):
            word = "".join(chars[i:i + k])
            if k == 1 or word in vocab:
                out.append(word)
                i += k
                break
    return out
# --8<-- [end:zh_tokenize]


# --8<-- [start:bleu]
def modified_precision(candidate, references, n):
    """BLEU 的修正 n-gram 精确率的分子与分母：候选里每个 n-gram 的计数截断到它在任一参考中出现的最大次数。

    返回 (截断后的匹配数, 候选 n-gram 总数)；候选短于 n 时两者都是 0，由调用者决定怎么处理。
    """
    c = ngrams(candidate, n)
    max_ref = Counter()
    for ref in references:
        for g, cnt in ngrams(ref, n).items():
            max_ref[g] = max(max_ref[g], cnt)
    clipped = sum(min(cnt, max_ref[g]) for g, cnt in c.items())
    return clipped, sum(c.values())


def brevity_penalty(c, r):
    """BP = 1 (c > r)，exp(1 - r/c) (c <= r)；c 为候选长度，r 为有效参考长度。只惩罚过短，永远 <= 1。"""
    if c == 0:
        return 0.0
    return 1.0 if c > r else math.exp(1.0 - r / c)


def closest_ref_length(c, references):
    """有效参考长度：与候选长度最接近的参考长度（平局取较短者）。"""
    return min((abs(len(ref) - c), len(ref)) for ref in references)[1]


def corpus_bleu(candidates, references_list, max_n=4, smooth="none"):
    """语料级 BLEU：各句截断计数先累加再相除；BP 用语料总长 c 与总有效参考长 r。权重均匀 w_n = 1/N。

    smooth="none"：任一 p_n 的分子为 0 则 BLEU = 0；
    smooth="exp"：第 k 个分子为 0 的阶数用 1 / (2^k * 分母) 代替（Chen & Cherry 2014 的 method 3，SacreBLEU 的默认）。
    """
    if len(candidates) != len(references_list):
        raise ValueError(f"{len(candidates)} candidates but {len(references_list)} reference lists")
    if any(len(refs) == 0 for refs in references_list):
        raise ValueError("every candidate needs at least one reference")
    if smooth not in ("none", "exp"):
        raise ValueError(f"unknown smoothing {smooth!r} (use 'none' or 'exp')")
    num, den = [0] * max_n, [0] * max_n
    c_len = r_len = 0
    for cand, refs in zip(candidates, references_list):
        c_len += len(cand)
        r_len += closest_ref_length(len(cand), refs)
        for n in range(1, max_n + 1):
            a, b = modified_precision(cand, refs, n)
            num[n - 1] += a
            den[n - 1] += b
    if sum(num) == 0 or min(den) == 0:
        return 0.0                       # 没有任何匹配，或整个语料都短于 max_n 个词
    log_p, k = 0.0, 0
    for a, b in zip(num, den):
        if a == 0:
            if smooth == "none":
                return 0.0               # 几何平均里任一 p_n = 0 则 BLEU = 0
            k += 1
            a = 1.0 / 2 ** k
        log_p += math.log(a / b) / max_n
    return brevity_penalty(c_len, r_len) * math.exp(log_p)
# --8<-- [end:bleu]


# --8<-- [start:bertscore]
def bertscore(cand_emb, ref_emb, cand_idf=None, ref_idf=None):
    """BERTScore（贪心匹配，可选 idf 加权，不含基线重标定）：token 向量先 L2 归一化，取最大余弦。

    P = 候选 token 各自在参考里的最大相似度的（idf 加权）均值；R = 参考 token 各自在候选里的最大相似度的（idf 加权）均值。
    """
    cand_emb, ref_emb = np.atleast_2d(cand_emb), np.atleast_2d(ref_emb)
    if cand_emb.shape[0] == 0 or ref_emb.shape[0] == 0:
        raise ValueError("BERTScore needs at least one token on each side")
    c = cand_emb / np.linalg.norm(cand_emb, axis=1, keepdims=True)
    r = ref_emb / np.linalg.norm(ref_emb, axis=1, keepdims=True)
    sim = r @ c.T                          # (|ref|, |cand|)
    wr = np.ones(len(r)) if ref_idf is None else np.asarray(ref_idf, dtype=float)
    wc = np.ones(len(c)) if cand_idf is None else np.asarray(cand_idf, dtype=float)
    R = float(np.sum(wr * sim.max(axis=1)) / wr.sum())
    P = float(np.sum(wc * sim.max(axis=0)) / wc.sum())
    return {"p": P, "r": R, "f": 2 * P * R / (P + R), "sim": sim}


def rescale_with_baseline(score, b):
    """基线重标定 (s - b) / (1 - b)：b 是随机句对的平均分。线性单调，不改变任何两个系统的排序。"""
    if not b < 1:
        raise ValueError(f"baseline must be below 1, got {b}")
    return (score - b) / (1 - b)


def clipscore(image_emb, text_emb, w=2.5):
    """CLIPScore = w * max(cos(E_I, E_C), 0)，Hessel et al. 2021 取 w = 2.5。"""
    cos = float(image_emb @ text_emb / (np.linalg.norm(image_emb) * np.linalg.norm(text_emb)))
    return w * max(cos, 0.0)
# --8<-- [end:bertscore]
