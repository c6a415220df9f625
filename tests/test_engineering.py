"""工程专题 snippet 的性质测试：UTF-8/UTF-16/GB18030 编码与 Python 编解码器一致，严格 UTF-8 解码器与
bytes.decode 接受和拒绝同一批序列，排序正确性、稳定性、递归深度与 introsort 的最坏情况，list 的超额分配。"""
import math
import platform
import random
import re
import struct
import sys
import unicodedata

import pytest

from snippets.engineering.gb18030 import gb18030_encode_supplementary, gb18030_linear
from snippets.engineering.pyobjects import list_capacities, read_in_chunks
from snippets.engineering.sorting import introsort, merge_sort, quicksort
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


def _python_decode(data):
    try:
        return "ok", data.decode("utf-8")
    except UnicodeDecodeError as e:
        return "error", e.start


def _our_decode(data):
    try:
        return "ok", utf8_decode(data)
    except ValueError as e:
        return "error", int(re.search(r"at byte (\d+)", str(e)).group(1))


def _decoder_cases():
    """Systematic byte sequences: every 1- and 2-byte sequence; every 3-byte sequence with lead E0–EF and any
    second byte followed by a valid or invalid third byte; 4-byte leads F0–FF with any second byte, and the
    F0–F4 boundaries (second 80/8F/90/BF) against valid/invalid third and fourth bytes; truncated 3-byte
    prefixes of 4-byte sequences; and each 2-byte case after an ASCII prefix (error offsets)."""
    yield from (bytes([a]) for a in range(256))
    yield from (bytes([a, b]) for a in range(256) for b in range(256))
    yield from (bytes([a, b, c]) for a in range(0xE0, 0xF0) for b in range(256) for c in (0x41, 0x80, 0xBF, 0xC0))
    yield from (bytes([a, b, 0x80]) for a in range(0xF0, 0xF5) for b in range(256))
    yield from (bytes([a, b, c, d]) for a in range(0xF0, 0x100) for b in range(256)
                for c in (0x80, 0xBF) for d in (0x80, 0xBF))
    edges = (0x7F, 0x80, 0xBF, 0xC0)
    yield from (bytes([a, b, c, d]) for a in range(0xF0, 0xF5) for b in (0x80, 0x8F, 0x90, 0xBF)
                for c in edges for d in edges)
    yield from (b"ab" + bytes([a, b]) for a in range(0x80, 0x100) for b in (0x41, 0x80, 0xA0, 0xBF, 0xC0))


def test_utf8_decoder_accepts_and_rejects_exactly_what_python_does():
    n = 0
    for data in _decoder_cases():
        assert _our_decode(data) == _python_decode(data), data.hex(" ")
        n += 1
    assert n > 90_000


def test_utf8_decoder_rejects_overlong_surrogate_and_out_of_range():
    # 超长编码（C0 80 = U+0000，E0 80 AF = "/"，F0 8F BF BF = U+FFFF）、代理码点 ED A0 80 = U+D800、
    # 超出 U+10FFFF 的 F4 90 80 80：一个符合标准的解码器都必须拒绝（旧版解码器接受了前四个）
    for bad in ("C0 80", "C1 BF", "E0 80 AF", "E0 9F BF", "ED A0 80", "ED BF BF", "F0 8F BF BF", "F4 90 80 80", "F5 80 80 80"):
        with pytest.raises(ValueError, match="at byte 0"):
            utf8_decode(bytes.fromhex(bad))
    with pytest.raises(ValueError, match="truncated sequence at byte 1"):
        utf8_decode(b"A\xe6\xb1")
    with pytest.raises(TypeError, match="expected bytes"):
        utf8_decode("汉")
    # 紧挨着非法区间的合法边界仍然接受
    for good, cp in (("C2 80", 0x80), ("E0 A0 80", 0x800), ("ED 9F BF", 0xD7FF), ("EE 80 80", 0xE000),
                     ("F0 90 80 80", 0x10000), ("F4 8F BF BF", 0x10FFFF)):
        assert utf8_decode(bytes.fromhex(good)) == chr(cp)


def test_utf8_decoder_roundtrips_every_scalar_value():
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert utf8_decode(text.encode("utf-8")) == text


def test_utf8_well_formed_counts_equal_scalar_values_per_length():
    # 长度为 k 的良构序列个数 = 该长度能编码的 Unicode 标量值个数（代理码点不算）
    def ok(data):
        return _our_decode(data)[0] == "ok"
    cont = range(0x80, 0xC0)
    assert sum(ok(bytes([a, b])) for a in range(0xC0, 0xE0) for b in cont) == 0x800 - 0x80
    assert sum(ok(bytes([a, b, c])) for a in range(0xE0, 0xF0) for b in cont for c in cont) == 0x10000 - 0x800 - 0x800
    pairs = sum(ok(bytes([a, b, 0x80, 0x80])) for a in range(0xF0, 0xF8) for b in cont)
    assert pairs * 64 * 64 == 0x110000 - 0x10000


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


def test_bom_and_normalization_facts():
    assert "abc".encode("utf-8-sig") == bytes.fromhex("EFBBBF") + b"abc"       # UTF-8 BOM = U+FEFF 的 UTF-8
    assert "\ufeff".encode("utf-8") == bytes.fromhex("EFBBBF")
    assert "A".encode("utf-16-le") == b"A\x00" and "A".encode("utf-16-be") == b"\x00A"
    assert "A".encode("utf-16")[:2] in (b"\xff\xfe", b"\xfe\xff")              # 带 BOM，标明字节序
    assert bytes.fromhex("EFBBBF41").decode("utf-8") == "\ufeffA"                # 普通 utf-8 不剥掉 BOM
    assert bytes.fromhex("EFBBBF41").decode("utf-8-sig") == "A"
    composed, decomposed = "\u00e9", "e\u0301"                                   # é 的两种写法
    assert composed != decomposed and len(composed) == 1 and len(decomposed) == 2
    assert unicodedata.normalize("NFC", decomposed) == composed
    assert unicodedata.normalize("NFD", composed) == decomposed
    assert len(composed.encode("utf-8")) == 2 and len(decomposed.encode("utf-8")) == 3
    # NFKC 还把兼容字符折叠掉：全角字母、连字、圈码、上标
    assert unicodedata.normalize("NFKC", "Ａｂｃ１２３") == "Abc123"
    assert unicodedata.normalize("NFKC", "\ufb01") == "fi" and unicodedata.normalize("NFC", "\ufb01") == "\ufb01"
    assert unicodedata.normalize("NFKC", "①²") == "12"
    assert unicodedata.normalize("NFKC", "，：（") == ",:(" and unicodedata.normalize("NFKC", "。") == "。"


def test_gb18030_four_byte_mapping_matches_codec():
    assert gb18030_encode_supplementary(0x10000) == bytes.fromhex("90308130")
    assert gb18030_encode_supplementary(0x10FFFF) == bytes.fromhex("E3329A35")
    assert gb18030_encode_supplementary(0x1F600) == "😀".encode("gb18030") == bytes.fromhex("9439FC36")
    rnd = random.Random(4)
    for cp in [rnd.randrange(0x10000, 0x110000) for _ in range(5000)]:
        seq = gb18030_encode_supplementary(cp)
        assert seq == chr(cp).encode("gb18030")
        assert gb18030_linear(seq) == 189000 + cp - 0x10000
    assert 126 * 10 * 126 * 10 == 1_587_600                                         # 四字节码位总数
    bmp4 = [chr(c).encode("gb18030") for c in range(0x80, 0x10000)
            if not 0xD800 <= c <= 0xDFFF and len(chr(c).encode("gb18030")) == 4]
    assert min(bmp4) == bytes.fromhex("81308130") and max(bmp4) == bytes.fromhex("8431A439")   # 基本平面的四字节区
    assert len("汉".encode("gbk")) == 2 and "汉".encode("gbk") == "汉".encode("gb18030")   # 双字节区兼容 GBK
    with pytest.raises(UnicodeEncodeError):
        "😀".encode("gbk")                                                        # GBK 没有辅助平面
    with pytest.raises(ValueError, match="supplementary"):
        gb18030_encode_supplementary(0xFFFF)
    with pytest.raises(ValueError, match="not a GB18030 four-byte"):
        gb18030_linear(bytes.fromhex("E6B189AA"))


def test_introsort_worst_case_is_n_log_n():
    for n in (64, 512, 4096):
        xs = list(range(n))                                    # 首元素枢轴的最坏输入
        out, cmp, heapsorts = introsort(xs)
        assert out == xs and heapsorts >= 1
        assert cmp <= 5 * n * math.log2(n)                     # 朴素快排是 n(n-1)/2
        if n == 512:                                           # 同一输入上朴素快排多比较 7 倍以上
            assert quicksort(xs)[2] == n * (n - 1) // 2 > 7 * cmp
    rnd = random.Random(5)
    for n in (0, 1, 2, 17, 300, 2000):
        xs = [rnd.randrange(n // 3 + 1) for _ in range(n)]
        assert introsort(xs)[0] == sorted(xs)
        ys = list(range(n))
        rnd.shuffle(ys)
        out, cmp, _ = introsort(ys)
        assert out == sorted(ys) and (n < 2 or cmp <= 2 * n * math.log2(n))
    with pytest.raises(ValueError, match="depth_factor"):
        introsort([3, 1, 2], depth_factor=0)


def test_naive_quicksort_on_sorted_input_exhausts_python_recursion():
    n = sys.getrecursionlimit() + 10
    with pytest.raises(RecursionError):
        quicksort(range(n))
    assert introsort(range(n))[0] == list(range(n))            # 深度有上限，且只递归短的一段


@pytest.mark.skipif(platform.python_implementation() != "CPython" or sys.version_info < (3, 9),
                    reason="list over-allocation formula of CPython >= 3.9")
def test_list_capacity_matches_cpython_getsizeof():
    ptr = struct.calcsize("P")
    empty = sys.getsizeof([])
    lst, caps = [], list_capacities(5000)
    for i, cap in enumerate(caps):
        lst.append(i)
        assert (sys.getsizeof(lst) - empty) // ptr == cap
    assert caps[:9] == [4, 4, 4, 4, 8, 8, 8, 8, 16]
    grows = [b / a for a, b in zip(caps, caps[1:]) if b != a and a > 1000]
    assert all(1.1 < g < 1.15 for g in grows)                 # 大约 1.125 倍
    copies = sum(i for i in range(1, 5001) if caps[i - 1] != (caps[i - 2] if i > 1 else 0))
    assert copies < 9 * 5000                                  # 摊还 O(1)：扩容搬运的总元素数 < 9n
    # tuple 不超额分配：每多一个元素正好多一个指针
    assert sys.getsizeof((1, 2, 3)) - sys.getsizeof((1, 2)) == ptr
    with pytest.raises(ValueError, match="non-negative"):
        list_capacities(-1)


def test_generator_is_lazy_and_single_pass():
    seen = []

    def source():
        for i in range(7):
            seen.append(i)
            yield i

    gen = read_in_chunks(source(), 3)
    assert seen == []                                          # 创建生成器时一行都没执行
    assert next(gen) == [0, 1, 2] and seen == [0, 1, 2]       # 只算到第一块
    assert list(gen) == [[3, 4, 5], [6]]
    assert list(gen) == []                                     # 只能遍历一次
    with pytest.raises(ValueError, match="positive int"):
        list(read_in_chunks([1], 0))


def test_memory_unit_numbers():
    assert round(1e12 / 2**30) == 931                          # 1 TB 硬盘 ≈ 931 GiB
    assert round(7e9 * 2 / 2**30, 2) == 13.04                  # 7B 参数 fp16 = 14 GB ≈ 13.04 GiB
    assert 2**21 // 2**12 == 512                               # 一个 2 MiB 大页 = 512 个 4 KiB 页
    assert 9 * 4 + 12 == 48                                    # x86-64 四级页表：4×9 位索引 + 12 位页内偏移
    assert abs(2**30 / 1e9 - 1) < 0.074                        # GiB 比 GB 大约 7.4%


def test_dict_keeps_insertion_order():
    from collections import OrderedDict
    d = {"b": 1, "a": 2, "c": 3}
    d["a"] = 20                                                # 更新值不改变位置
    assert list(d) == ["b", "a", "c"]
    del d["b"]
    d["b"] = 1                                                 # 删除后再插入排到最后
    assert list(d) == ["a", "c", "b"]
    assert {"x": 1, "y": 2} == {"y": 2, "x": 1}                # 普通 dict 比较不看顺序
    assert OrderedDict(x=1, y=2) != OrderedDict(y=2, x=1)      # OrderedDict 看顺序
