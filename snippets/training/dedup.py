"""预训练数据的近似去重（MinHash + LSH）与评测集污染的 n-gram 重叠检查。

记号：文档的 n-gram 集合 A、B，Jaccard J = |A∩B| / |A∪B|；签名长度 k = b·r（b 个 band，每个 r 行）。
"""
import zlib

import numpy as np

PRIME = (1 << 31) - 1          # 梅森素数 2^31 − 1：a·x < 2^62，int64 不溢出


def shingles(text, n=5):
    """按空白切词后的词级 n-gram 集合，每个 n-gram 用 crc32 映射成 [0, 2^31−1) 的整数。"""
    if n < 1:
        raise ValueError(f"n-gram size must be >= 1, got {n}")
    words = text.split()
    grams = {" ".join(words[i:i + n]) for i in range(max(len(words) - n + 1, 0))}
    return np.array(sorted(zlib.crc32(g.encode()) % PRIME for g in grams), dtype=np.int64)


def jaccard(a, b):
    a, b = set(np.asarray(a).tolist()), set(np.asarray(b).tolist())
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# --8<-- [start:minhash]
def make_hashes(num_perm, seed=0):
    """num_perm 个随机线性哈希 h(x) = (a·x + b) mod p，模拟 num_perm 个随机排列。"""
    if num_perm < 1:
        raise ValueError(f"number of permutations must be >= 1, got {num_perm}")
    rng = np.random.default_rng(seed)
    return rng.integers(1, PRIME, num_perm, dtype=np.int64), rng.integers(0, PRIME, num_perm, dtype=np.int64)


def minhash(shingle_ids, hashes):
    """签名的第 i 位是集合在第 i 个哈希下的最小值；两个集合某一位相同的概率恰为 J。"""
    a, b = hashes
    x = np.asarray(shingle_ids, dtype=np.int64)
    if x.size == 0:
        raise ValueError("cannot MinHash an empty shingle set (document shorter than n words)")
    return ((np.outer(a, x) + b[:, None]) % PRIME).min(axis=1)


def estimate_jaccard(sig_a, sig_b):
    """签名逐位相等的比例：J 的无偏估计，方差 J(1−J)/k。"""
    return float(np.mean(np.asarray(sig_a) == np.asarray(sig_b)))
# --8<-- [end:minhash]


# --8<-- [start:lsh]
def lsh_bands(signature_len, bands):
    """把长度 k 的签名切成 bands 段，每段 rows = k / bands 行；不能整除时报错。"""
    if bands < 1:
        raise ValueError(f"bands must be >= 1, got {bands}")
    if signature_len % bands:
        raise ValueError(f"{bands} bands do not divide a signature of length {signature_len}")
    return signature_len // bands


def lsh_candidates(signatures, bands):
    """同一 band 内 r 个值全相同的文档落进同一个桶，桶里的文档两两成为候选对。"""
    sigs = np.asarray(signatures)
    rows = lsh_bands(sigs.shape[1], bands)
    pairs = set()
    for band in range(bands):
        buckets = {}
        for doc, key in enumerate(map(bytes, sigs[:, band * rows:(band + 1) * rows])):
            buckets.setdefault(key, []).append(doc)
        for docs in buckets.values():
            pairs.update((i, j) for k, i in enumerate(docs) for j in docs[k + 1:])
    return pairs


def s_curve(s, bands, rows):
    """Jaccard 为 s 的一对文档成为候选的概率 1 − (1 − s^r)^b。"""
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


def s_curve_threshold(bands, rows):
    """S 曲线最陡处附近的阈值近似 (1/b)^(1/r)。"""
    return (1.0 / bands) ** (1.0 / rows)
# --8<-- [end:lsh]


# --8<-- [start:contamination]
def ngram_overlap(test_text, train_ngrams, n=13):
    """评测样本中出现在训练集 n-gram 集合里的比例（GPT-3 用 13-gram 判断污染）。"""
    words = test_text.lower().split()
    grams = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    return sum(g in train_ngrams for g in grams) / len(grams)


def ngram_set(texts, n=13):
    out = set()
    for t in texts:
        w = t.lower().split()
        out.update(" ".join(w[i:i + n]) for i in range(len(w) - n + 1))
    return out
# --8<-- [end:contamination]
