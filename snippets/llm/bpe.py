"""字节级 BPE：GPT-2 式的字节到可见字符映射、预分词、训练（统计相邻对、合并最频繁的一对、记录合并表）、
按合并顺序（rank）编码、逐条回放合并的朴素编码、解码与流式解码，以及 SentencePiece 式的字节回退。"""
import codecs
import functools
import re
import unicodedata
from collections import Counter


# --8<-- [start:bytes_to_unicode]
def bytes_to_unicode():
    """GPT-2 的字节 -> 可见字符映射（只为把合并表写成文本文件，模型本身只看字节）。

    188 个“可打印且不是空格”的字节映射到同码点的字符，其余 68 个（控制字符、空格、
    0x7F-0xA0、软连字符 0xAD）依次映射到 U+0100 起的字符，所以空格 0x20 显示为 'Ġ'（U+0120）。
    """
    keep = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    table = {b: chr(b) for b in keep}
    n = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + n)
            n += 1
    return table
# --8<-- [end:bytes_to_unicode]


# --8<-- [start:pretokenize]
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def _kind(c):
    if c.isspace():
        return "space"
    cat = unicodedata.category(c)[0]
    return {"L": "letter", "N": "number"}.get(cat, "other")


def _run(text, i, kind):
    j = i
    while j < len(text) and _kind(text[j]) == kind:
        j += 1
    return j


def pretokenize(text, digits="gpt2"):
    """按 GPT-2 的预分词规则把文本切成片段，BPE 只在片段内部合并。

    规则按顺序尝试（与正则的分支顺序一致）：英文缩写 's 't 're 've 'm 'll 'd；
    可选一个前导空格 + 连续字母；数字；可选一个前导空格 + 连续的其他符号；
    空白串（若后面紧跟非空白，则留下最后一个空格给下一个片段）。
    digits：'gpt2' 为可选前导空格 + 任意长数字串（GPT-2），
    'group3' 为每段最多 3 位、不带空格（cl100k_base、Llama 3 的 \\p{N}{1,3}），
    'single' 为逐位切分（Qwen2 的 \\p{N}、Llama 2 的 split digits）。
    """
    if digits not in ("gpt2", "group3", "single"):
        raise ValueError(f"digits must be 'gpt2', 'group3' or 'single', got {digits!r}")
    pieces, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        contraction = next((s for s in CONTRACTIONS if text.startswith(s, i)), None)
        lead = 1 if c == " " and i + 1 < n else 0           # 可选的一个前导空格
        nxt = _kind(text[i + lead]) if i + lead < n else None
        if contraction:
            j = i + len(contraction)
        elif nxt == "letter":
            j = _run(text, i + lead, "letter")
        elif _kind(c) == "number" or (digits == "gpt2" and nxt == "number"):
            start = i + (lead if digits == "gpt2" else 0)
            end = _run(text, start, "number")
            j = {"gpt2": end, "group3": min(end, start + 3), "single": start + 1}[digits]
        elif nxt == "other":
            j = _run(text, i + lead, "other")
        else:                                               # 空白串
            j = _run(text, i, "space")
            if j < n and j - i > 1:                         # \s+(?!\S)：把最后一个空白让给后面
                j -= 1
        pieces.append(text[i:j])
        i = j
    return pieces
# --8<-- [end:pretokenize]


@functools.lru_cache(maxsize=None)
def _unicode_class(major):
    """把 \\p{L}（major='L'）或 \\p{N}（'N'）展开成 Python re 能用的字符区间。"""
    parts, start = [], None
    for cp in range(0x110001):
        ok = cp < 0x110000 and not 0xD800 <= cp <= 0xDFFF and unicodedata.category(chr(cp))[0] == major
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            parts.append(f"{re.escape(chr(start))}-{re.escape(chr(cp - 1))}")
            start = None
    return "".join(parts)


def gpt2_regex(digits="gpt2"):
    """对照用：GPT-2 预分词正则（数字规则可换成 \\p{N}{1,3} 或 \\p{N}），\\p{..} 展开成字符类。"""
    L, N = _unicode_class("L"), _unicode_class("N")
    num = {"gpt2": f" ?[{N}]+", "group3": f"[{N}]{{1,3}}", "single": f"[{N}]"}[digits]
    return re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+|{num}| ?[^\s{L}{N}]+|\s+(?!\S)|\s+")


# --8<-- [start:train]
def _merge_pair(ids, pair, new_id):
    """把序列里所有不重叠的 pair（从左到右）替换成 new_id。"""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_bpe(texts, vocab_size, digits="gpt2"):
    """字节级 BPE 训练：词表从 256 个字节出发，每轮合并出现次数最多的相邻对，直到词表达到 vocab_size。

    返回 merges：列表，第 r 条 (a, b) 生成 id 为 256 + r 的新 token（r 也就是它的 rank）。
    出现次数并列时取 (a, b) 最小的一对，保证结果确定。若没有可合并的相邻对，提前停止。
    """
    if isinstance(texts, str):
        texts = [texts]
    if not any(texts):
        raise ValueError("empty corpus: need at least one non-empty training text")
    if vocab_size < 256:
        raise ValueError(f"target vocab {vocab_size} is smaller than the 256-symbol byte alphabet")
    words = Counter()                                       # 预分词后的片段 -> 出现次数
    for t in texts:
        words.update(pretokenize(t, digits))
    splits = {w: list(w.encode("utf-8")) for w in words}
    merges = []
    while 256 + len(merges) < vocab_size:
        pairs = Counter()
        for w, ids in splits.items():
            for a, b in zip(ids, ids[1:]):
                pairs[a, b] += words[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))    # 次数最多，并列取最小的一对
        new_id = 256 + len(merges)
        merges.append(best)
        splits = {w: _merge_pair(ids, best, new_id) for w, ids in splits.items()}
    return merges, splits
# --8<-- [end:train]


# --8<-- [start:encode]
def check_merges(merges):
    """合并表里第 r 条只能引用字节（0-255）或更早合并出的 token（< 256 + r）。"""
    for r, (a, b) in enumerate(merges):
        for t in (a, b):
            if not 0 <= t < 256 + r:
                raise ValueError(f"merge {r} references unknown token {t} (known ids are 0..{255 + r})")


def _utf8(text):
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"text is not valid Unicode: lone surrogate {text[e.start]!r} at index {e.start}") from None


def encode_piece(data, ranks):
    """对一个片段的字节反复找 rank 最小的相邻对并合并，直到没有可合并的对。"""
    ids = list(data)
    while len(ids) > 1:
        pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, float("inf")))
        if pair not in ranks:
            break
        ids = _merge_pair(ids, pair, 256 + ranks[pair])
    return ids


def encode(text, merges, digits="gpt2"):
    check_merges(merges)
    _utf8(text)                                             # 先整体检查，报错位置是整段文本里的下标
    ranks = {pair: r for r, pair in enumerate(merges)}
    out = []
    for piece in pretokenize(text, digits):
        out.extend(encode_piece(_utf8(piece), ranks))
    return out


def encode_replay(text, merges, digits="gpt2"):
    """朴素做法：把训练时的合并按顺序逐条回放到每个片段上。"""
    check_merges(merges)
    _utf8(text)
    out = []
    for piece in pretokenize(text, digits):
        ids = list(_utf8(piece))
        for r, pair in enumerate(merges):
            ids = _merge_pair(ids, pair, 256 + r)
        out.extend(ids)
    return out
# --8<-- [end:encode]


# --8<-- [start:decode]
def build_vocab(merges):
    """id -> 字节串。"""
    check_merges(merges)
    vocab = [bytes([b]) for b in range(256)]
    for a, b in merges:
        vocab.append(vocab[a] + vocab[b])
    return vocab


def decode(ids, vocab, errors="strict"):
    for t in ids:
        if not 0 <= t < len(vocab):
            raise ValueError(f"token id {t} is outside the vocabulary of {len(vocab)} tokens")
    return b"".join(vocab[t] for t in ids).decode("utf-8", errors=errors)


def stream_decode(ids, vocab):
    """逐个 token 输出文本：不完整的 UTF-8 字节先缓存，凑齐一个字符再吐出（流式生成时避免乱码）。"""
    dec = codecs.getincrementaldecoder("utf-8")()
    chunks = [dec.decode(vocab[t]) for t in ids]
    chunks.append(dec.decode(b"", final=True))
    return chunks
# --8<-- [end:decode]


# --8<-- [start:longest_match]
def encode_longest_match(text, merges, digits="gpt2"):
    """对照用：每个片段从左到右贪心取词表里最长的字节串（WordPiece 的编码方式），不看合并顺序。"""
    vocab = build_vocab(merges)
    index = {tok: i for i, tok in enumerate(vocab)}
    longest = max(map(len, vocab))
    out = []
    for piece in pretokenize(text, digits):
        data, i = _utf8(piece), 0
        while i < len(data):
            j = min(len(data), i + longest)
            while data[i:j] not in index:
                j -= 1
            out.append(index[data[i:j]])
            i = j
    return out
# --8<-- [end:longest_match]


# --8<-- [start:byte_fallback]
def encode_byte_fallback(text, pieces):
    """SentencePiece 式的字节回退（简化成逐字符查表）：词表里有的字符直接用，
    没有的字符拆成 UTF-8 字节，写成 <0xNN> 形式的字节 token，而不是一个 <unk>。"""
    out = []
    for c in text:
        if c in pieces:
            out.append(c)
        else:
            out.extend(f"<0x{b:02X}>" for b in _utf8(c))
    return out


def decode_byte_fallback(tokens):
    buf = bytearray()
    for t in tokens:
        if len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
            buf.append(int(t[3:5], 16))
        else:
            buf.extend(t.encode("utf-8"))
    return buf.decode("utf-8")
# --8<-- [end:byte_fallback]


def tokens_per_char(texts, merges, digits="gpt2"):
    """平均每个字符用几个 token（越小压缩越好）。"""
    n_tok = sum(len(encode(t, merges, digits)) for t in texts)
    n_chr = sum(len(t) for t in texts)
    if n_chr == 0:
        raise ValueError("tokens_per_char needs non-empty texts")
    return n_tok / n_chr
