# %% [markdown]
# ---
# description: 手写 UTF-8 编码器与严格解码器，并与 Python 编解码器逐一对照：各区间的字节数、非法序列的拒绝、“汉”的编码与 U+1F600 的 UTF-16 代理对。
# tags:
#   - Unicode
#   - UTF-8
#   - UTF-16
#   - 字符编码
#   - 动手验证
# ---
# # 手写 UTF-8 编码器与严格解码器
#
# 对应问题：[从 ASCII 到 Unicode：UTF-8、UTF-16 是怎么编码的？](encoding.md#ascii-unicode-utf8)，
# 追问：[UTF-8 解码器必须拒绝哪些字节序列？](encoding.md#utf8-ill-formed)
#
# ## 编码器与标准库对照 {#utf8-encoder-check}

# %%
import random

import numpy as np
import matplotlib.pyplot as plt

from snippets.engineering.utf8 import utf8_decode, utf8_encode, utf8_encode_codepoint, utf16be_encode_codepoint

examples = {"A": 0x41, "é": 0xE9, "汉": 0x6C49, "中": 0x4E2D, "☺": 0x263A, "😀": 0x1F600}
for ch, cp in examples.items():
    assert ord(ch) == cp
    assert utf8_encode(ch) == ch.encode("utf-8"), ch
    print(f"U+{cp:04X} {ch!r}: {utf8_encode(ch).hex(' ').upper():12s} "
          f"bits {' '.join(f'{b:08b}' for b in utf8_encode(ch))}")

# “汉”：0x6C49 = 110 1100 0100 1001（15 位）-> 11100110 10110001 10001001 = E6 B1 89
assert f"{0x6C49:b}" == "110110001001001" and len(f"{0x6C49:b}") == 15
assert utf8_encode("汉") == bytes([0b11100110, 0b10110001, 0b10001001]) == bytes.fromhex("E6B189")
assert ord("a") - ord("A") == 32 and chr(ord("A") | 0x20) == "a"

rnd = random.Random(0)
sample = [rnd.randrange(0x110000) for _ in range(50000)]
checked = 0
for cp in sample:
    if 0xD800 <= cp <= 0xDFFF:
        continue
    assert utf8_encode_codepoint(cp) == chr(cp).encode("utf-8")
    checked += 1
text = "".join(chr(c) for c in sample if not 0xD800 <= c <= 0xDFFF)
assert utf8_decode(utf8_encode(text)) == text
print(f"{checked} random code points: hand-written encoder == str.encode, decode round-trips")

# %% [markdown]
# ## 各区间的字节数与码点数量 {#utf8-length-by-range}

# %%
ranges = [(0x0000, 0x007F), (0x0080, 0x07FF), (0x0800, 0xFFFF), (0x10000, 0x10FFFF)]
for k, (lo, hi) in enumerate(ranges, start=1):
    assert len(utf8_encode_codepoint(lo)) == len(utf8_encode_codepoint(hi)) == k
counts = [hi - lo + 1 for lo, hi in ranges]
assert counts == [128, 1920, 63488, 1048576]
assert sum(counts) == 0x110000 == 17 * 65536 == 1_114_112   # 17 个平面
assert sum(counts) < 2 ** 21                                   # 需要 21 位，但总数不是 2^21
# 无 BOM 的 UTF-16：BMP 2 字节，辅助平面 4 字节（代理对）
assert utf16be_encode_codepoint(0x1F600) == bytes.fromhex("D83DDE00") == "😀".encode("utf-16-be")
print("U+1F600 in UTF-16BE:", utf16be_encode_codepoint(0x1F600).hex(" ").upper())

# %% [markdown]
# ## 图：每个码点占几个字节 {#utf8-bytes-plot}

# %%
cps = np.unique(np.round(np.logspace(0, np.log10(0x10FFFF), 400)).astype(int))
cps = cps[(cps < 0xD800) | (cps > 0xDFFF)]
b8 = [len(chr(c).encode("utf-8")) for c in cps]
b16 = [len(chr(c).encode("utf-16-le")) for c in cps]
b32 = [len(chr(c).encode("utf-32-le")) for c in cps]
assert b8 == [len(utf8_encode_codepoint(int(c))) for c in cps]

#| alt: 阶梯图：横轴是对数刻度的码点（标出 0x80、0x800、0x10000、0x10FFFF 四个边界），纵轴是每个码点的字节数；UTF-8 在边界处从 1 字节逐级升到 4 字节，UTF-16 在 0x10000 以下是 2 字节、以上是 4 字节，UTF-32 始终 4 字节，浅色带标出的中日韩统一表意文字区在 UTF-8 里占 3 字节。
fig, ax = plt.subplots()
ax.step(cps, b8, where="post", label="UTF-8")
ax.step(cps, np.array(b16) + 0.06, where="post", label="UTF-16")
ax.step(cps, np.array(b32) - 0.06, where="post", label="UTF-32")
ax.axvspan(0x4E00, 0x9FFF, color="C3", alpha=0.15, label="CJK")
ax.set_xscale("log")
edges = [0x80, 0x800, 0x10000, 0x10FFFF]
ax.set_xticks(edges, [f"{x:X}" for x in edges])
ax.minorticks_off()
ax.set_yticks([1, 2, 3, 4])
ax.set_ylim(0.5, 5.3)
ax.set_xlabel("code point (hex, log scale)")
ax.set_ylabel("bytes per code point")
ax.legend(loc="upper left", ncol=4, columnspacing=1.0, handlelength=1.5)
plt.show()

# %% [markdown]
# ## 不同文本的编码体积 {#utf8-text-size}
#
# 英文文本 UTF-8 最省；常用汉字在 UTF-8 里占 3 字节、在 UTF-16 里占 2 字节。

# %%
texts = {"English": "The quick brown fox jumps over the lazy dog",
         "Chinese": "汉字编码从国标到统一码的演变过程",
         "Emoji": "😀😃😄😁😆😅"}
sizes = {name: [len(t.encode(e)) / len(t) for e in ("utf-8", "utf-16-le", "utf-32-le")] for name, t in texts.items()}
assert sizes["English"] == [1.0, 2.0, 4.0]
assert sizes["Chinese"] == [3.0, 2.0, 4.0]
assert sizes["Emoji"] == [4.0, 4.0, 4.0]

#| alt: 分组柱状图：英文、中文、emoji 三种文本在 UTF-8、UTF-16、UTF-32 下平均每个字符的字节数；英文在 UTF-8 下最省（1 字节），常用汉字在 UTF-16 下比 UTF-8 省（2 对 3 字节），emoji 三种编码都是 4 字节。
fig, ax = plt.subplots()
x = np.arange(3)
for i, (name, v) in enumerate(sizes.items()):
    ax.bar(x + (i - 1) * 0.25, v, width=0.25, label=name)
ax.set_xticks(x, ["UTF-8", "UTF-16", "UTF-32"])
ax.set_ylabel("bytes per character")
ax.set_yticks([0, 1, 2, 3, 4])
ax.set_ylim(0, 5.2)
ax.legend(loc="upper left", ncol=3)
plt.show()

# %% [markdown]
# ## 严格解码：与 bytes.decode 拒绝同样的序列 {#utf8-strict-decoder}
#
# 严格解码器按 Unicode 第 3 章表 3-7 只接受良构序列。下面在全部 65,536 个 2 字节序列和全部
# “首字节 E0–EF × 任意第二字节 × 合法第三字节”的 3 字节序列上，与 Python 的 `bytes.decode("utf-8")`
# 对照：接受与否、解码结果、出错位置都一致。

# %%
import re


def python_result(data):
    try:
        return "ok", data.decode("utf-8")
    except UnicodeDecodeError as e:
        return "error", e.start


def our_result(data):
    try:
        return "ok", utf8_decode(data)
    except ValueError as e:
        return "error", int(re.search(r"at byte (\d+)", str(e)).group(1))


cases = [bytes([a, b]) for a in range(256) for b in range(256)]
cases += [bytes([a, b, 0x80]) for a in range(0xE0, 0xF0) for b in range(256)]
assert all(our_result(c) == python_result(c) for c in cases)
accepted2 = sum(our_result(bytes([a, b]))[0] == "ok" for a in range(0xC0, 0xE0) for b in range(0x80, 0xC0))
assert accepted2 == 0x800 - 0x80 == 1920            # 良构 2 字节序列数 = U+0080–U+07FF 的码点数
for bad in ("C0 80", "E0 80 AF", "ED A0 80", "F4 90 80 80"):
    assert our_result(bytes.fromhex(bad)) == ("error", 0) == python_result(bytes.fromhex(bad))
print(f"{len(cases)} sequences: strict decoder agrees with bytes.decode; {accepted2} well-formed 2-byte sequences")
print("C0 80 as a lenient decoder would read it:", hex((0xC0 & 0x1F) << 6 | 0x80 & 0x3F), "(an overlong U+0000)")

# %% [markdown]
# ## 结论 {#utf8-conclusion}
#
# - 按“首字节前导 1 的个数 = 字节数、续字节以 10 开头”的规则手写的编码器与 `str.encode` 在全部抽样码点上一致。
# - “汉”（U+6C49）的 UTF-8 是 `E6 B1 89`（二进制 11100110 10110001 10001001）。
# - 码点空间是 17 个平面共 1,114,112 个，需要 21 位表示，但并不是 $2^{21}$ 个。
# - U+1F600 在 UTF-16 中是代理对 `D83D DE00`，UTF-8 中 4 字节。
# - 只看前导 1 拼位的解码器会把 `C0 80` 读成 U+0000；按表 3-7 收窄第二个字节范围的严格解码器与 `bytes.decode` 拒绝完全相同的序列，
#   良构 2 字节序列正好 1920 个，等于 U+0080–U+07FF 的码点数。
