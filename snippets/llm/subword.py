"""WordPiece（似然比打分的合并 + 贪心最长匹配编码）与 Unigram LM（Viterbi 切分、暴力枚举对照、
前向-后向 EM、按损失剪枝、subword regularization 采样），在词频表上实现，供与 BPE 对比。"""
import math
from collections import Counter, defaultdict

import numpy as np


def _check_counts(word_counts):
    if not word_counts or not any(c > 0 for c in word_counts.values()):
        raise ValueError("empty corpus: word_counts has no word with a positive count")
    for w, c in word_counts.items():
        if not w or c < 0:
            raise ValueError(f"bad entry {w!r}: {c} (words must be non-empty, counts non-negative)")


# --8<-- [start:wordpiece]
def wordpiece_train(word_counts, vocab_size, prefix="##"):
    """WordPiece 训练（Hugging Face 课程给出的复现；Google 没有公开原始训练代码）。

    每个词先切成字符，非词首字符加前缀 '##'；每轮给所有相邻对打分
    score(a, b) = count(ab) / (count(a) · count(b))，合并分数最高的一对。
    返回 vocab（列表，顺序即加入顺序）与每个词最后的切分。
    """
    _check_counts(word_counts)
    splits = {w: [w[0]] + [prefix + c for c in w[1:]] for w in word_counts}
    vocab = sorted({p for s in splits.values() for p in s})
    if vocab_size < len(vocab):
        raise ValueError(f"target vocab {vocab_size} is smaller than the {len(vocab)}-symbol initial alphabet")
    while len(vocab) < vocab_size:
        unit, pair = Counter(), Counter()
        for w, s in splits.items():
            c = word_counts[w]
            for p in s:
                unit[p] += c
            for a, b in zip(s, s[1:]):
                pair[a, b] += c
        if not pair:
            break
        best = max(pair, key=lambda p: (pair[p] / (unit[p[0]] * unit[p[1]]), pair[p], p))
        a, b = best
        new = a + b[len(prefix):] if b.startswith(prefix) else a + b
        vocab.append(new)
        for w, s in splits.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(new)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return vocab, splits


def wordpiece_encode(word, vocab, prefix="##", unk="[UNK]"):
    """贪心最长匹配：从左到右每次取词表里最长的前缀；有一处匹配不上，整个词记为 [UNK]（BERT 的做法）。"""
    vocab = set(vocab)
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            cand = word[start:end] if start == 0 else prefix + word[start:end]
            if cand in vocab:
                break
            end -= 1
        if end == start:
            return [unk]
        pieces.append(cand)
        start = end
    return pieces
# --8<-- [end:wordpiece]


# --8<-- [start:viterbi]
def unigram_viterbi(text, logp, exclude=None):
    """Unigram LM 切分：在所有切分里找 Σ log p(piece) 最大的一种（动态规划，O(n·L)，L 为最长片段）。
    exclude：临时当作不在词表里的片段（训练时估计“删掉它损失多少”用）。"""
    if not text:
        raise ValueError("cannot segment an empty string")
    if any(not math.isfinite(v) or v > 0 for v in logp.values()):
        raise ValueError("logp must hold finite log-probabilities (<= 0)")
    max_len = max(map(len, logp))
    n = len(text)
    best = [-math.inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(max(0, j - max_len), j):
            piece = text[i:j]
            if piece in logp and piece != exclude and best[i] + logp[piece] > best[j]:
                best[j], back[j] = best[i] + logp[piece], i
    if best[n] == -math.inf:
        k = next(j for j in range(1, n + 1) if best[j] == -math.inf)
        raise ValueError(f"cannot segment {text!r}: no piece covers character {text[k - 1]!r} at position {k - 1}")
    pieces, j = [], n
    while j > 0:
        pieces.append(text[back[j]:j])
        j = back[j]
    return pieces[::-1], best[n]


def all_segmentations(text, pieces):
    """暴力枚举 text 的所有切分（每片都在词表里）；只用于短串对照。"""
    if not text:
        return [[]]
    out = []
    for j in range(1, len(text) + 1):
        if text[:j] in pieces:
            out.extend([text[:j]] + rest for rest in all_segmentations(text[j:], pieces))
    return out
# --8<-- [end:viterbi]


# --8<-- [start:unigram_em]
def _forward_backward(text, logp, max_len):
    n = len(text)
    alpha = np.full(n + 1, -np.inf)
    beta = np.full(n + 1, -np.inf)
    alpha[0] = beta[n] = 0.0
    for j in range(1, n + 1):
        terms = [alpha[i] + logp[text[i:j]] for i in range(max(0, j - max_len), j) if text[i:j] in logp]
        alpha[j] = np.logaddexp.reduce(terms) if terms else -np.inf
    for i in range(n - 1, -1, -1):
        terms = [logp[text[i:j]] + beta[j] for j in range(i + 1, min(n, i + max_len) + 1) if text[i:j] in logp]
        beta[i] = np.logaddexp.reduce(terms) if terms else -np.inf
    return alpha, beta


def unigram_em_step(word_counts, logp):
    """一轮 EM：E 步用前向-后向算每个片段的期望出现次数，M 步归一化成新的概率。返回 (新 logp, 语料对数似然)。"""
    max_len = max(map(len, logp))
    expected = defaultdict(float)
    loglik = 0.0
    for w, c in word_counts.items():
        alpha, beta = _forward_backward(w, logp, max_len)
        z = alpha[len(w)]
        if z == -np.inf:
            raise ValueError(f"word {w!r} cannot be segmented with the current pieces")
        loglik += c * z
        for i in range(len(w)):
            for j in range(i + 1, min(len(w), i + max_len) + 1):
                p = w[i:j]
                if p in logp:
                    expected[p] += c * math.exp(alpha[i] + logp[p] + beta[j] - z)
    log_total = math.log(sum(expected.values()))
    new = {p: math.log(expected[p]) - log_total for p in logp if expected[p] > 1e-9}
    return new, loglik


def unigram_train(word_counts, vocab_size, max_piece_len=6, shrink=0.75, em_iters=3):
    """Unigram 训练（Kudo 2018 的流程，规模缩小）：从“所有出现过的子串”这个大词表出发，
    反复做几轮 EM，再按“删掉该片段后语料似然下降多少”排序，只保留前 shrink 比例，
    直到词表不超过 vocab_size。单个字符永远保留，保证任何词都能切分。"""
    _check_counts(word_counts)
    chars = {c for w in word_counts for c in w}
    if vocab_size < len(chars):
        raise ValueError(f"target vocab {vocab_size} is smaller than the {len(chars)}-character alphabet")
    freq = Counter()
    for w, c in word_counts.items():
        for i in range(len(w)):
            for j in range(i + 1, min(len(w), i + max_piece_len) + 1):
                freq[w[i:j]] += c
    total = sum(freq.values())
    logp = {p: math.log(f / total) for p, f in freq.items()}
    while True:
        for _ in range(em_iters):
            logp, _ = unigram_em_step(word_counts, logp)
            logp.update({c: logp.get(c, -30.0) for c in chars})
        if len(logp) <= vocab_size:
            return logp
        base = {w: unigram_viterbi(w, logp)[1] for w in word_counts}
        loss = {}
        for p in logp:
            if p in chars:
                continue
            loss[p] = sum(c * (base[w] - unigram_viterbi(w, logp, exclude=p)[1])
                          for w, c in word_counts.items() if p in w)
        n_keep = max(vocab_size - len(chars), int(len(loss) * shrink))
        keep = sorted(loss, key=lambda p: (-loss[p], p))[:n_keep]
        logp = {p: logp[p] for p in list(chars) + keep}
# --8<-- [end:unigram_em]


# --8<-- [start:unigram_sample]
def unigram_sample(text, logp, alpha, rng):
    """subword regularization：按 P(切分)^alpha 采样一种切分（前向滤波、后向采样）。
    alpha 越大越接近 Viterbi，alpha→0 接近在所有切分里均匀采样。"""
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    scaled = {p: alpha * v for p, v in logp.items()}
    max_len = max(map(len, scaled))
    fwd, _ = _forward_backward(text, scaled, max_len)
    if fwd[len(text)] == -np.inf:
        raise ValueError(f"cannot segment {text!r} with the given pieces")
    pieces, j = [], len(text)
    while j > 0:
        starts = [i for i in range(max(0, j - max_len), j) if text[i:j] in scaled]
        w = np.array([fwd[i] + scaled[text[i:j]] for i in starts])
        w = np.exp(w - w.max())
        i = starts[rng.choice(len(starts), p=w / w.sum())]
        pieces.append(text[i:j])
        j = i
    return pieces[::-1]
# --8<-- [end:unigram_sample]
