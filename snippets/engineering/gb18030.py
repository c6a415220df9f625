"""GB18030 的四字节区：辅助平面码点与四字节序列之间的线性映射（只用标准库）。"""

# --8<-- [start:gb18030_four_byte]
# 四字节序列 b1 b2 b3 b4：b1、b3 取 0x81–0xFE（126 个值），b2、b4 取 0x30–0x39（10 个值），
# 按“十进制–126 进制”交替的混合进制排成一个线性序号，共 126·10·126·10 = 1,587,600 个。
GB18030_SUPPLEMENTARY_BASE = 189000    # 序列 90 30 81 30 的线性序号，对应 U+10000


def gb18030_linear(seq):
    """四字节序列 -> 线性序号（0 对应 81 30 81 30）。"""
    b1, b2, b3, b4 = seq
    if not (0x81 <= b1 <= 0xFE and 0x30 <= b2 <= 0x39 and 0x81 <= b3 <= 0xFE and 0x30 <= b4 <= 0x39):
        raise ValueError(f"{bytes(seq).hex(' ')} is not a GB18030 four-byte sequence")
    return (((b1 - 0x81) * 10 + (b2 - 0x30)) * 126 + (b3 - 0x81)) * 10 + (b4 - 0x30)


def gb18030_encode_supplementary(cp):
    """辅助平面码点（U+10000–U+10FFFF）的 GB18030 编码：线性序号 = 189000 + (cp - 0x10000)。"""
    if not 0x10000 <= cp <= 0x10FFFF:
        raise ValueError(f"U+{cp:04X} is not in the supplementary planes")
    n = GB18030_SUPPLEMENTARY_BASE + (cp - 0x10000)
    n, b4 = divmod(n, 10)
    n, b3 = divmod(n, 126)
    b1, b2 = divmod(n, 10)
    return bytes([0x81 + b1, 0x30 + b2, 0x81 + b3, 0x30 + b4])
# --8<-- [end:gb18030_four_byte]
