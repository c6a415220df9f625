"""工程专题 snippet 的性质测试：UTF-8/UTF-16 编码与 str.encode 一致，排序正确性、稳定性、递归深度。"""
import math
import random

from snippets.engineering.sorting import merge_sort, quicksort
from snippets.engineering.utf8 import (
    utf8_decode,
    utf8_encode,
    utf8_encode_codepoint,
    utf16be_encode_codepoint,
)

BOUNDARY = [0, 0x41, 0x7F, 0x80, 0x7FF, 0x800, 0x6C49, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF]


def test_utf8_matches_str_encode_on_boundaries_and_random():
    rnd = random.Random(0)
    cps = BOUNDARY + [rnd.randrange(0x110000) for _ in range(20000)]
    for cp in cps:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        assert utf8_encode_codepoint(cp) == chr(cp).encode("utf-8")
    text = "A汉字😀é\u2028"
    assert utf8_encode(text) == text.encode("utf-8")


def test_utf8_known_values():
    assert utf8_encode("汉") == bytes([0xE6, 0xB1, 0x89])   # 11100110 10110001 10001001
    assert [len(utf8_encode_codepoint(cp)) for cp in (0x7F, 0x7FF, 0xFFFF, 0x10FFFF)] == [1, 2, 3, 4]
    assert [len(utf8_encode_codepoint(cp)) for cp in (0x80, 0x800, 0x10000)] == [2, 3, 4]
    assert ord("a") - ord("A") == 32


def test_utf8_rejects_surrogates_and_out_of_range():
    for bad in (0xD800, 0xDFFF, 0x110000, -1):
        try:
            utf8_encode_codepoint(bad)
        except ValueError:
            continue
        raise AssertionError(hex(bad))


def test_utf8_ascii_compatible_and_self_synchronizing():
    s = "hello, world"
    assert utf8_encode(s) == s.encode("ascii")
    for cp in (0x80, 0x6C49, 0x1F600):
        b = utf8_encode_codepoint(cp)
        assert bin(b[0])[2:].index("0") == len(b)          # 首字节前导 1 的个数 = 字节数
        assert all(c >> 6 == 0b10 for c in b[1:])          # 续字节都是 10xxxxxx


def test_utf8_decode_roundtrip():
    rnd = random.Random(1)
    text = "".join(chr(rnd.choice([rnd.randrange(0x80), rnd.randrange(0x80, 0xD800),
                                   rnd.randrange(0x10000, 0x110000)])) for _ in range(2000))
    assert utf8_decode(text.encode("utf-8")) == text


def test_utf16_surrogate_pair():
    assert utf16be_encode_codepoint(0x1F600) == bytes.fromhex("D83DDE00")
    rnd = random.Random(2)
    for cp in BOUNDARY + [rnd.randrange(0x10000, 0x110000) for _ in range(2000)]:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        assert utf16be_encode_codepoint(cp) == chr(cp).encode("utf-16-be")


def test_sorts_agree_with_sorted():
    rnd = random.Random(0)
    for n in (0, 1, 2, 5, 50, 300):
        xs = [rnd.randrange(20) for _ in range(n)]
        assert quicksort(xs)[0] == sorted(xs)
        assert quicksort(xs, smaller_first=True)[0] == sorted(xs)
        assert merge_sort(xs) == sorted(xs)


def test_merge_sort_is_stable():
    rnd = random.Random(3)
    pairs = [(rnd.randrange(5), i) for i in range(200)]
    assert merge_sort(pairs, key=lambda t: t[0]) == sorted(pairs, key=lambda t: t[0])


def test_quicksort_worst_case_depth_and_comparisons():
    n = 300
    _, depth, cmp = quicksort(range(n))
    assert depth == n - 1
    assert cmp == n * (n - 1) // 2
    # 只递归较短一段：栈深度 <= log2(n)，但比较次数（时间）仍是 n(n-1)/2
    _, depth2, cmp2 = quicksort(range(n), smaller_first=True)
    assert depth2 <= math.log2(n) and cmp2 == n * (n - 1) // 2


def test_quicksort_random_depth_logarithmic_and_expected_comparisons():
    n, trials = 1000, 30
    rnd = random.Random(0)
    depths, cmps = [], []
    for _ in range(trials):
        xs = list(range(n))
        rnd.shuffle(xs)
        _, d, c = quicksort(xs)
        depths.append(d)
        cmps.append(c)
    assert max(depths) < 4 * math.log2(n)
    h = sum(1 / k for k in range(1, n + 1))
    expected = 2 * (n + 1) * h - 4 * n      # 随机输入的期望比较次数
    assert abs(sum(cmps) / trials / expected - 1) < 0.05
