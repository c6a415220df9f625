"""流水线并行调度模拟器：GPipe、1F1B（PipeDream-Flush）与交错 1F1B（interleaved，Megatron-LM）。

记号：p 台设备（流水线级），m 个 micro-batch，v 个虚拟级（每台设备放 v 段模型块，交错调度用）。
一个 micro-batch 在一台设备上前向耗时 tf、反向耗时 tb（交错时每段块各为 tf/v、tb/v），忽略级间通信时间。
"""


# --8<-- [start:validate]
def _positive_int(name, value):
    """参数检查：流水线级数、micro-batch 数、虚拟级数都必须是正整数。"""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value
# --8<-- [end:validate]


# --8<-- [start:orders]
def gpipe_order(p, m):
    """GPipe：每台设备先做完全部 m 个前向，再做全部 m 个反向。op = (类型, micro-batch, 模型块)。"""
    return [[("F", i, 0) for i in range(m)] + [("B", i, 0) for i in range(m)] for _ in range(p)]


def one_f_one_b_order(p, m):
    """1F1B：设备 s 先做 min(p-s-1, m) 个预热前向，之后一前一后交替，最后把剩下的反向做完。
    于是设备 s 上同时“前向已做、反向未做”的 micro-batch 最多 p-s 个，而不是 m 个。"""
    orders = []
    for s in range(p):
        warm = min(p - s - 1, m)
        order = [("F", i, 0) for i in range(warm)]
        for i in range(m - warm):
            order += [("F", warm + i, 0), ("B", i, 0)]
        order += [("B", i, 0) for i in range(m - warm, m)]
        orders.append(order)
    return orders


def interleaved_order(p, m, v):
    """交错 1F1B（Narayanan et al., 2021）：设备 d 放模型块 d, d+p, …, d+(v-1)p。
    micro-batch 按 p 个一组轮流过 v 个块；预热前向数为 2(p-d-1) + (v-1)p。要求 m 是 p 的倍数。"""
    if m % p:
        raise ValueError(f"interleaved schedule needs the micro-batch count {m} to be a multiple of {p} stages")
    total = m * v

    def fwd(k):
        return ("F", (k // (p * v)) * p + k % p, (k // p) % v)

    def bwd(k):
        return ("B", (k // (p * v)) * p + k % p, v - 1 - (k // p) % v)

    orders = []
    for d in range(p):
        warm = min(2 * (p - d - 1) + (v - 1) * p, total)
        order = [fwd(k) for k in range(warm)]
        for k in range(total - warm):
            order += [fwd(warm + k), bwd(k)]
        order += [bwd(k) for k in range(total - warm, total)]
        orders.append(order)
    return orders
# --8<-- [end:orders]


# --8<-- [start:simulate]
def simulate(orders, p, v=1, tf=1.0, tb=2.0):
    """按每台设备的执行顺序做列表调度：一个 op 在“本设备空闲”且“依赖完成”后立即开始。
    依赖：F(i, 块 g) 需要 F(i, g-1)；B(i, g) 需要 B(i, g+1)，最后一块的 B 需要它自己的 F。
    全局块号 g = c*p + d（设备 d 上的第 c 段）。返回 (每个 op 的 (设备, 开始, 结束) 字典, 总时长)。"""
    n_chunks = p * v
    cost = {"F": tf / v, "B": tb / v}
    done = {}
    free = [0.0] * p
    pos = [0] * p
    remaining = sum(len(o) for o in orders)
    while remaining:
        progressed = False
        for d in range(p):
            if pos[d] == len(orders[d]):
                continue
            kind, i, c = orders[d][pos[d]]
            g = c * p + d
            if kind == "F":
                dep = ("F", i, g - 1) if g > 0 else None
            else:
                dep = ("B", i, g + 1) if g < n_chunks - 1 else ("F", i, g)
            if dep is not None and dep not in done:
                continue
            start = max(free[d], done[dep][2] if dep else 0.0)
            end = start + cost[kind]
            done[(kind, i, g)] = (d, start, end)
            free[d] = end
            pos[d] += 1
            remaining -= 1
            progressed = True
        if not progressed:
            raise RuntimeError("schedule deadlocks: every device waits on an op that never runs")
    return done, max(free)


def schedule_stats(name, p, m, v=1, tf=1.0, tb=2.0):
    """运行一种调度，返回气泡比例、每台设备的峰值在途 micro-batch 数（以“整级激活”为单位）与时间线。"""
    p, m, v = _positive_int("pipeline stages", p), _positive_int("micro-batch count", m), _positive_int("virtual stages", v)
    if name == "gpipe":
        orders = gpipe_order(p, m)
    elif name == "1f1b":
        orders = one_f_one_b_order(p, m)
    elif name == "interleaved":
        orders = interleaved_order(p, m, v)
    else:
        raise ValueError(f"unknown schedule {name!r} (gpipe, 1f1b, interleaved)")
    if name != "interleaved" and v != 1:
        raise ValueError(f"{name} has one model chunk per device; use v=1")
    done, makespan = simulate(orders, p, v, tf, tb)
    busy = m * (tf + tb)                                  # 每台设备的计算时间都一样
    peak = []
    for d in range(p):        # 在途 = 前向已开始、反向未结束的块数（激活从 F 开始占用到 B 结束）；除以 v 折算成整级
        events = sorted((start, 1) if kind == "F" else (end, -1)     # 同一时刻先释放（-1 排在前）再占用
                        for (kind, _, g), (dev, start, end) in done.items() if dev == d)
        level, best = 0, 0
        for _, delta in events:
            level += delta
            best = max(best, level)
        peak.append(best / v)
    return {"bubble": 1 - busy / makespan, "makespan": makespan, "peak_in_flight": peak, "timeline": done}
# --8<-- [end:simulate]


# --8<-- [start:bubble]
def bubble_fraction(p, m, v=1):
    """理论气泡比例（空闲 / 总时长）：(p-1)/(v*m + p-1)；v=1 即 GPipe / 1F1B 的 (p-1)/(m+p-1)。
    Megatron 论文用“空闲 / 理想计算时间”= (p-1)/(v*m)，两种写法描述同一件事。"""
    p, m, v = _positive_int("pipeline stages", p), _positive_int("micro-batch count", m), _positive_int("virtual stages", v)
    return (p - 1) / (v * m + p - 1)
# --8<-- [end:bubble]
