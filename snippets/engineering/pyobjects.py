"""CPython 对象的几个可观测的实现细节：list 的超额分配、生成器的惰性求值（只用标准库）。"""

# --8<-- [start:list_growth]
def list_capacities(n_appends):
    """模拟 CPython（3.9 起 Objects/listobject.c 的 list_resize）逐个 append 时的容量变化。

    容量不够时新容量 = (newsize + newsize // 8 + 6) 向下取到 4 的倍数，约 1.125 倍增长，
    返回每次 append 之后的容量列表。
    """
    if not isinstance(n_appends, int) or n_appends < 0:
        raise ValueError(f"n_appends must be a non-negative int, got {n_appends!r}")
    caps, allocated = [], 0
    for newsize in range(1, n_appends + 1):
        if newsize > allocated:
            allocated = (newsize + (newsize >> 3) + 6) & ~3
        caps.append(allocated)
    return caps
# --8<-- [end:list_growth]


# --8<-- [start:generator]
def read_in_chunks(items, size):
    """惰性地把可迭代对象切成长度为 size 的块：每次 next() 才算下一块。"""
    if not isinstance(size, int) or size <= 0:
        raise ValueError(f"chunk size must be a positive int, got {size!r}")
    chunk = []
    for x in items:
        chunk.append(x)
        if len(chunk) == size:
            yield chunk          # 在这里暂停，保存局部变量和执行位置
            chunk = []
    if chunk:
        yield chunk              # 函数返回时抛出 StopIteration，for 循环据此结束
# --8<-- [end:generator]
