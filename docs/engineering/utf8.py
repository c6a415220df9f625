# %% [markdown]
# ---
# description: 手写 UTF-8 位打包编码器并与 str.encode 逐一对照，统计各码点区间的字节数，验证“汉”的编码与 U+1F600 的 UTF-16 代理对。
# tags:
#   - Unicode
#   - UTF-8
#   - UTF-16
#   - 字符编码
#   - 动手验证
# ---
# # 手写 UTF-8 编码器
#
# 对应问题：[从 ASCII 到 Unicode：UTF-8、UTF-16 是怎么编码的？](encoding.md#ascii-unicode-utf8)
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

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.step(cps, b8, where="post", label="UTF-8 (1-4 bytes)")
ax.step(cps, np.array(b16) + 0.05, where="post", label="UTF-16 (2 or 4 bytes)")
ax.step(cps, np.array(b32) - 0.05, where="post", label="UTF-32 (always 4)")
for x, name in [(0x80, "U+0080"), (0x800, "U+0800"), (0x10000, "U+10000")]:
    ax.axvline(x, color="lightgray", lw=0.8)
    ax.text(x * 1.1, 0.6, name, fontsize=8, color="gray")
ax.axvspan(0x4E00, 0x9FFF, color="C3", alpha=0.12, label="CJK Unified Ideographs")
ax.set_xscale("log")
ax.set_yticks([1, 2, 3, 4])
ax.set_ylim(0.4, 4.5)
ax.set_xlabel("code point (log scale)")
ax.set_ylabel("bytes per code point")
ax.set_title("Encoded size by code point")
ax.legend(fontsize=8, loc="upper left")
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

fig, ax = plt.subplots(figsize=(6.4, 3.6))
x = np.arange(3)
for i, (name, v) in enumerate(sizes.items()):
    ax.bar(x + (i - 1) * 0.25, v, width=0.25, label=name)
ax.set_xticks(x, ["UTF-8", "UTF-16", "UTF-32"])
ax.set_ylabel("bytes per character")
ax.set_title("Average bytes per character by script")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#utf8-conclusion}
#
# - 按“首字节前导 1 的个数 = 字节数、续字节以 10 开头”的规则手写的编码器与 `str.encode` 在全部抽样码点上一致。
# - “汉”（U+6C49）的 UTF-8 是 `E6 B1 89`（二进制 11100110 10110001 10001001）。
# - 码点空间是 17 个平面共 1,114,112 个，需要 21 位表示，但并不是 $2^{21}$ 个。
# - U+1F600 在 UTF-16 中是代理对 `D83D DE00`，UTF-8 中 4 字节。
