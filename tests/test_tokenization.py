"""分词 snippet 的性质测试：字节映射、预分词与正则等价、BPE 训练/编码/解码、WordPiece、Unigram。"""
import math
import re
from collections import Counter

import numpy as np
import pytest

from snippets.llm.bpe import (build_vocab, bytes_to_unicode, check_merges, decode, decode_byte_fallback,
                              encode, encode_byte_fallback, encode_replay, gpt2_regex, pretokenize,
                              stream_decode, tokens_per_char, train_bpe)
from snippets.llm.subword import (all_segmentations, unigram_em_step, unigram_sample, unigram_train,
                                  unigram_viterbi, wordpiece_encode, wordpiece_train)
from snippets.llm.tok_corpus import EN_HELDOUT, EN_TRAIN, ZH_HELDOUT, ZH_TRAIN

rng = np.random.default_rng(0)

POOL = (list("abcXYZ e'stlrvmd") + list("0123456789") + [" ", " ", "  ", "\n", "\t", "\r\n", "\xa0"]
        + list(",.!?-_()[]{}#@$%^&*=+/\\|<>~`\"") + ["'s", "'ll", "'re", "'ve", "'m", "'d", "'t"]
        + list("中文分词字节汉") + ["😀", "👩\u200d💻", "🇨🇳", "e\u0301", "\u0301", "ß", "Ω", "й", "ا", "क", "ি"]
        + ["١٢٣", "Ⅻ", "½", "²", "\x00", "\x1f", "\ufffd", "\uffff", "\U0010fffd", "\u2028", "\u200b"])


def random_text(n_max=30):
    n = int(rng.integers(0, n_max))
    return "".join(POOL[i] for i in rng.integers(0, len(POOL), n))


MERGES, _ = train_bpe(EN_TRAIN + ZH_TRAIN, 700)
VOCAB = build_vocab(MERGES)


# ---------------------------------------------------------------- byte-level mapping
def test_bytes_to_unicode_is_a_bijection_onto_visible_characters():
    table = bytes_to_unicode()
    assert sorted(table) == list(range(256))
    assert len(set(table.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ"


def test_bytes_to_unicode_keeps_the_gpt2_ranges():
    # GPT-2 encoder.py 原样保留 '!'..'~'、'¡'..'¬'、'®'..'ÿ' 这 188 个字节，其余 68 个移到 U+0100 之后
    kept = set(range(ord("!"), ord("~") + 1)) | set(range(ord("¡"), ord("¬") + 1)) | set(range(ord("®"), ord("ÿ") + 1))
    table = bytes_to_unicode()
    assert {b for b, c in table.items() if ord(c) == b} == kept
    assert len(kept) == 188
    assert sorted(ord(c) for b, c in table.items() if b not in kept) == list(range(256, 256 + 68))


# ---------------------------------------------------------------- pre-tokenization
@pytest.mark.parametrize("digits", ["gpt2", "group3", "single"])
def test_pretokenize_equals_the_regex_on_random_strings(digits):
    pat = gpt2_regex(digits)
    for _ in range(400):
        s = random_text()
        assert pretokenize(s, digits) == pat.findall(s), repr(s)


def test_pretokenize_examples_and_lossless():
    assert pretokenize("Hello world's  12345!!\n\n x") == ["Hello", " world", "'s", " ", " 12345", "!!", "\n\n", " x"]
    assert pretokenize("pi 3.14159", "group3") == ["pi", " ", "3", ".", "141", "59"]
    assert pretokenize("2024年", "single") == ["2", "0", "2", "4", "年"]
    for _ in range(200):
        s = random_text()
        assert "".join(pretokenize(s)) == s


def test_group3_never_emits_more_than_three_digits():
    for n in range(1, 12):
        pieces = pretokenize("x" + "7" * n, "group3")
        assert all(len(p) <= 3 for p in pieces[1:]) and "".join(pieces[1:]) == "7" * n
        assert [len(p) for p in pieces[1:]] == [3] * (n // 3) + ([n % 3] if n % 3 else [])


# ---------------------------------------------------------------- BPE
def test_training_splits_equal_rank_order_encoding_of_each_piece():
    merges, splits = train_bpe(EN_TRAIN + ZH_TRAIN, 500)
    for piece, ids in splits.items():
        assert encode(piece, merges) == ids


def test_classic_toy_example_merges():
    # hug×10 pug×5 pun×12 bun×4 hugs×5：先合并 u+g（20 次），再 u+n（16 次），再 h+ug（15 次）
    texts = ["hug"] * 10 + ["pug"] * 5 + ["pun"] * 12 + ["bun"] * 4 + ["hugs"] * 5
    merges, _ = train_bpe(texts, 259)
    vocab = build_vocab(merges)
    assert [vocab[256 + r] for r in range(3)] == [b"ug", b"un", b"hug"]


def test_smaller_vocab_is_a_prefix_of_the_merge_list():
    small, _ = train_bpe(EN_TRAIN + ZH_TRAIN, 400)
    assert small == MERGES[:len(small)] and len(small) == 400 - 256


def test_rank_order_encoding_equals_replaying_every_merge():
    for _ in range(300):
        s = random_text(40)
        assert encode(s, MERGES) == encode_replay(s, MERGES)


def test_round_trip_on_random_unicode():
    for _ in range(300):
        s = random_text(40)
        assert decode(encode(s, MERGES), VOCAB) == s
    for s in ["", " ", "\x00", "😀👩\u200d💻🇨🇳", "e\u0301\u0301", "\ufffd\uffff\U0010ffff", "中文 token\t\n  "]:
        assert decode(encode(s, MERGES), VOCAB) == s


def test_every_id_sequence_is_bytes_and_streaming_decode_never_emits_half_characters():
    s = "字节级 BPE 😀 ok"
    ids = encode(s, [])                      # 没有合并：每个字节一个 token
    assert len(ids) == len(s.encode("utf-8"))
    with pytest.raises(UnicodeDecodeError):  # 截断在一个汉字的中间
        decode(ids[:1], VOCAB)
    assert decode(ids[:1], VOCAB, errors="replace") == "\ufffd"
    chunks = stream_decode(ids, VOCAB)
    assert "".join(chunks) == s
    assert all(c == "" or len(c) == 1 for c in chunks)


def test_tokens_per_char_never_increases_with_more_merges():
    for texts in (EN_HELDOUT, ZH_HELDOUT):
        ratios = [tokens_per_char(texts, MERGES[:k]) for k in range(0, len(MERGES) + 1, 50)]
        assert all(b <= a for a, b in zip(ratios, ratios[1:]))
    # 256 个字节的起点：英文 1 token/字符，中文 3 token/字符（UTF-8 三字节）
    assert tokens_per_char(EN_HELDOUT, []) == 1.0
    assert tokens_per_char(ZH_HELDOUT, []) == pytest.approx(3.0)


def test_byte_fallback_round_trip_and_unknown_cjk_becomes_three_bytes():
    pieces = set("分词器把文本变成整数")
    toks = encode_byte_fallback("分词器把龘变成整数", pieces)
    assert toks[4:7] == ["<0xE9>", "<0xBE>", "<0x98>"]
    assert decode_byte_fallback(toks) == "分词器把龘变成整数"


def test_bpe_bad_inputs():
    with pytest.raises(ValueError, match="empty corpus"):
        train_bpe(["", ""], 300)
    with pytest.raises(ValueError, match="smaller than the 256-symbol byte alphabet"):
        train_bpe(["abc"], 200)
    with pytest.raises(ValueError, match="merge 1 references unknown token 999"):
        check_merges([(97, 98), (256, 999)])
    with pytest.raises(ValueError, match="merge 0 references unknown token 256"):
        encode("ab", [(256, 97)])
    with pytest.raises(ValueError, match="lone surrogate .* at index 1"):
        encode("a\ud800b", MERGES)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        decode([len(VOCAB)], VOCAB)
    with pytest.raises(ValueError, match="digits must be"):
        pretokenize("1", digits="pairs")


# ---------------------------------------------------------------- WordPiece
WC = {"hug": 10, "pug": 5, "pun": 12, "bun": 4, "hugs": 5}


def test_wordpiece_first_merge_maximises_the_likelihood_ratio():
    vocab, _ = wordpiece_train(WC, 8)
    alphabet = ["##g", "##n", "##s", "##u", "b", "h", "p"]
    assert vocab[:7] == alphabet
    # count(##g ##s)=5, count(##g)=20, count(##s)=5 -> 5/100 是最高分；最频繁的对 (##u ##g)=20 只有 20/(36·20)
    assert vocab[7] == "##gs"


def test_wordpiece_greedy_longest_match():
    vocab, _ = wordpiece_train(WC, 15)
    for w in ["hugs", "bugs", "pun", "puns"]:
        pieces = wordpiece_encode(w, vocab)
        assert "".join(p.removeprefix("##") for p in pieces) == w
        first = max((w[:j] for j in range(1, len(w) + 1) if w[:j] in vocab), key=len)
        assert pieces[0] == first
    assert wordpiece_encode("mug", vocab) == ["[UNK]"]


# ---------------------------------------------------------------- Unigram
def test_viterbi_equals_brute_force_max():
    chars = "abc"
    for _ in range(60):
        pieces = set(chars) | {"".join(rng.choice(list(chars), int(rng.integers(2, 4)))) for _ in range(8)}
        logp = {p: float(np.log(rng.uniform(0.01, 1.0))) for p in pieces}
        text = "".join(rng.choice(list(chars), int(rng.integers(1, 9))))
        best, score = unigram_viterbi(text, logp)
        brute = max(all_segmentations(text, pieces), key=lambda seg: sum(logp[p] for p in seg))
        assert score == pytest.approx(sum(logp[p] for p in brute))
        assert "".join(best) == text


def test_em_never_decreases_the_likelihood():
    wc = Counter("the then there these other thermal threw throw".split() * 3)
    pieces = {w[i:j] for w in wc for i in range(len(w)) for j in range(i + 1, min(len(w), i + 4) + 1)}
    logp = {p: -math.log(len(pieces)) for p in pieces}           # 从均匀分布出发
    lls = []
    for _ in range(6):
        logp, ll = unigram_em_step(wc, logp)
        lls.append(ll)
    assert all(b >= a - 1e-6 for a, b in zip(lls, lls[1:]))
    assert lls[-1] > lls[0]


def test_unigram_training_reaches_the_target_and_keeps_all_characters():
    wc = Counter(w for t in EN_TRAIN for w in re.findall(r"[a-z]+", t.lower()))
    logp = unigram_train(wc, 120)
    assert len(logp) <= 120
    assert {c for w in wc for c in w} <= set(logp)
    assert math.isclose(sum(math.exp(v) for v in logp.values()), 1.0, rel_tol=0.05)


def test_subword_sampling_matches_the_tempered_distribution():
    logp = {"a": math.log(0.3), "b": math.log(0.2), "ab": math.log(0.4), "ba": math.log(0.1)}
    text, alpha = "abab", 0.5
    segs = all_segmentations(text, set(logp))
    w = np.array([math.exp(alpha * sum(logp[p] for p in s)) for s in segs])
    exact = dict(zip(map(tuple, segs), w / w.sum()))
    r = np.random.default_rng(1)
    counts = Counter(tuple(unigram_sample(text, logp, alpha, r)) for _ in range(6000))
    for seg, p in exact.items():
        assert abs(counts[seg] / 6000 - p) < 0.02


def test_subword_bad_inputs():
    with pytest.raises(ValueError, match="empty corpus"):
        wordpiece_train({}, 10)
    with pytest.raises(ValueError, match="smaller than the 7-symbol initial alphabet"):
        wordpiece_train(WC, 5)
    with pytest.raises(ValueError, match="no piece covers character 'z' at position 2"):
        unigram_viterbi("abz", {"a": -1.0, "b": -1.0})
    with pytest.raises(ValueError, match="alpha must be positive"):
        unigram_sample("ab", {"a": -1.0, "b": -1.0}, 0.0, rng)
    with pytest.raises(ValueError, match="smaller than the 3-character alphabet"):
        unigram_train({"abc": 2}, 2)
