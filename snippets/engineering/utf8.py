"""手写 UTF-8 / UTF-16 编码与 UTF-8 解码（只用标准库），用于对照 str.encode。"""

# --8<-- [start:utf8_encode]
def utf8_encode_codepoint(cp):
    """把一个码点按 UTF-8 规则打包成 1-4 个字节。"""
    if not 0 <= cp <= 0x10FFFF:
        raise ValueError("code point out of range")
    if 0xD800 <= cp <= 0xDFFF:
        raise ValueError("surrogates are not encodable")
    if cp < 0x80:                      # 0xxxxxxx
        return bytes([cp])
    if cp < 0x800:                     # 110xxxxx 10xxxxxx
        return bytes([0xC0 | cp >> 6, 0x80 | cp & 0x3F])
    if cp < 0x10000:                   # 1110xxxx 10xxxxxx 10xxxxxx
        return bytes([0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])
    return bytes([0xF0 | cp >> 18,     # 11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
                  0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])


def utf8_encode(text):
    return b"".join(utf8_encode_codepoint(ord(ch)) for ch in text)
# --8<-- [end:utf8_encode]


# --8<-- [start:utf8_decode]
# 合法首字节 -> (总字节数, 第 2 个字节的允许范围)。第 2 个字节的范围收窄，
# 正好排除了超长编码（C0、C1、E0 80–9F、F0 80–8F）、代理码点（ED A0–BF）
# 和大于 U+10FFFF 的值（F4 90–BF、F5–FF）；其余续字节都是 80–BF。
UTF8_LEADS = {
    **{b: (2, 0x80, 0xBF) for b in range(0xC2, 0xE0)},
    0xE0: (3, 0xA0, 0xBF),
    **{b: (3, 0x80, 0xBF) for b in range(0xE1, 0xED)},
    0xED: (3, 0x80, 0x9F),
    0xEE: (3, 0x80, 0xBF), 0xEF: (3, 0x80, 0xBF),
    0xF0: (4, 0x90, 0xBF),
    0xF1: (4, 0x80, 0xBF), 0xF2: (4, 0x80, 0xBF), 0xF3: (4, 0x80, 0xBF),
    0xF4: (4, 0x80, 0x8F),
}


def utf8_decode(data):
    """严格的 UTF-8 解码：只接受 Unicode 表 3-7 的良构序列，否则报出非法序列起点的下标。"""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    out, i = [], 0
    while i < len(data):
        b = data[i]
        if b < 0x80:                                   # 0xxxxxxx：ASCII
            out.append(chr(b))
            i += 1
            continue
        if b not in UTF8_LEADS:                        # 80–C1、F5–FF 不能当首字节
            raise ValueError(f"invalid start byte 0x{b:02X} at byte {i}")
        n, lo, hi = UTF8_LEADS[b]
        cp = b & (0x7F >> n)                           # 首字节去掉 n 个前导 1 和一个 0
        for k in range(1, n):
            if i + k >= len(data):
                raise ValueError(f"truncated sequence at byte {i}")
            c = data[i + k]
            if not (lo <= c <= hi if k == 1 else 0x80 <= c <= 0xBF):
                raise ValueError(f"invalid continuation byte 0x{c:02X} at byte {i}")
            cp = cp << 6 | c & 0x3F
        out.append(chr(cp))
        i += n
    return "".join(out)
# --8<-- [end:utf8_decode]


# --8<-- [start:utf16_encode]
def utf16be_encode_codepoint(cp):
    """UTF-16（大端）：BMP 直接 2 字节；辅助平面拆成代理对 4 字节。"""
    if cp < 0x10000:
        return cp.to_bytes(2, "big")
    v = cp - 0x10000                   # 20 位
    hi = 0xD800 | v >> 10              # 高代理：D800-DBFF
    lo = 0xDC00 | v & 0x3FF            # 低代理：DC00-DFFF
    return hi.to_bytes(2, "big") + lo.to_bytes(2, "big")
# --8<-- [end:utf16_encode]
