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
def utf8_decode(data):
    """按首字节前导 1 的个数判断长度，再把各字节的有效位拼回码点。"""
    out, i = [], 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            n, cp = 1, b
        elif b >> 5 == 0b110:
            n, cp = 2, b & 0x1F
        elif b >> 4 == 0b1110:
            n, cp = 3, b & 0x0F
        elif b >> 3 == 0b11110:
            n, cp = 4, b & 0x07
        else:
            raise ValueError(f"invalid lead byte at {i}")
        for c in data[i + 1:i + n]:
            if c >> 6 != 0b10:
                raise ValueError(f"invalid continuation byte at {i}")
            cp = cp << 6 | c & 0x3F
        if i + n > len(data):
            raise ValueError("truncated sequence")
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
