# %% [markdown]
# ---
# description: 一个流水线调度模拟器：GPipe、1F1B 与交错 1F1B 的时间线（甘特图），实测气泡比例等于 (p−1)/(m+p−1)、交错后变为 (p−1)/(vm+p−1)，峰值在途 micro-batch 数从 m 降到 p。
# tags: [分布式训练, 流水线并行, 1F1B, GPipe, 动手验证]
# ---
# # 动手验证：流水线并行的气泡与激活显存
#
# 对应问题：[流水线并行：气泡比例是多少？](distributed.md#pipeline-parallel)、[1F1B 为什么省显存？](distributed.md#one-f-one-b)、
# [交错调度怎么再减气泡？](distributed.md#interleaved-1f1b)
#
# ## 三种调度的时间线 {#timelines}
#
# $p=4$ 台设备、$m=8$ 个 micro-batch，前向 1 个时间单位、反向 2 个（反向要算输入梯度和权重梯度，约为前向的两倍）。
# 每台设备严格按自己的执行顺序运行，一个操作在“本设备空闲且依赖已完成”时立即开始；级间通信时间忽略不计。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.pipeline import schedule_stats, bubble_fraction

p, m, v = 4, 8, 2
runs = {"GPipe": schedule_stats("gpipe", p, m),
        "1F1B": schedule_stats("1f1b", p, m),
        "interleaved 1F1B, v=2": schedule_stats("interleaved", p, m, v)}
for name, st in runs.items():
    print(f"{name:22s} makespan {st['makespan']:5.1f}  bubble {st['bubble']:.3f}  peak in flight per device {st['peak_in_flight']}")

fig, axes = plt.subplots(3, 1, figsize=(4.8, 6.6), sharex=True)
span = max(st["makespan"] for st in runs.values())
for ax, (name, st) in zip(axes, runs.items()):
    for (kind, mb, g), (dev, start, end) in st["timeline"].items():
        chunk = g // p
        color = ("#9ecae1" if kind == "F" else "#1f4e9e") if chunk == 0 else ("#fdae6b" if kind == "F" else "#d1495b")
        ax.barh(dev, end - start, left=start, height=0.8, color=color, edgecolor="white", linewidth=0.5)
        if end - start >= 1 and name != "interleaved 1F1B, v=2":
            ax.text((start + end) / 2, dev, str(mb), ha="center", va="center", fontsize=10,
                    color="black" if kind == "F" else "white")
    ax.set_yticks(range(p), [f"dev {d}" for d in range(p)])
    ax.invert_yaxis()
    ax.set_title(f"{name}: bubble {st['bubble']:.0%}")
    ax.grid(False)
axes[-1].set_xlabel("time (forward of one micro-batch = 1)")
axes[-1].set_xlim(0, span)
#| alt: 三张上下排列的甘特图，纵轴是 4 台设备，横轴是时间；浅色块是前向、深色块是反向，块里的数字是 micro-batch 编号。GPipe 先做完 8 个前向再做 8 个反向，1F1B 在预热后一前一后交替，两者总时长相同、气泡 27%；交错 1F1B 把每台设备的模型分成两段（蓝色和橙色），总时长更短、气泡 16%。
plt.show()

# %% [markdown]
# ## 气泡比例：实测等于公式 {#bubble-formula}
#
# 设备在总时长里忙 $m(t_f+t_b)$，总时长是 $(m+p-1)(t_f+t_b)$，所以气泡比例（空闲 / 总时长）为 $\frac{p-1}{m+p-1}$，GPipe 与 1F1B 相同。
# 交错调度每段块只有 $1/v$ 的层，填充与排空缩短到 $\frac{p-1}{v}(t_f+t_b)$，比例变为 $\frac{p-1}{vm+p-1}$；
# Megatron 论文写成“空闲 / 理想时间”$=\frac{1}{v}\cdot\frac{p-1}{m}$，两者是同一件事。

# %%
ms = np.array([4, 8, 12, 16, 24, 32, 48, 64])
measured = {}
for label, name, vv in [("GPipe", "gpipe", 1), ("1F1B", "1f1b", 1), ("interleaved v=2", "interleaved", 2),
                        ("interleaved v=4", "interleaved", 4)]:
    measured[label] = np.array([schedule_stats(name, p, int(mm), vv)["bubble"] for mm in ms])
    assert np.allclose(measured[label], [bubble_fraction(p, int(mm), vv) for mm in ms])
for mm in ms:                                            # Megatron 的写法：空闲时间 / 理想计算时间
    st = schedule_stats("interleaved", p, int(mm), 2)
    assert np.isclose((st["makespan"] - mm * 3) / (mm * 3), (p - 1) / (2 * mm))
assert np.allclose(measured["GPipe"], measured["1F1B"])
print("p=4 bubble at m=8:", {k: round(float(vv[1]), 3) for k, vv in measured.items()})
print(f"p=8: m=32 gives {bubble_fraction(8, 32):.1%}, m=64 gives {bubble_fraction(8, 64):.1%}")

grid = np.linspace(4, 64, 200)
fig, ax = plt.subplots()
for label, marker, vv in [("GPipe / 1F1B", "o", 1), ("interleaved v=2", "s", 2), ("interleaved v=4", "^", 4)]:
    key = "GPipe" if vv == 1 else label
    ax.plot(ms, measured[key], marker, label=f"{label}, simulated")
    ax.plot(grid, (p - 1) / (vv * grid + p - 1), "-", color="gray", lw=1)
ax.set_xlabel("micro-batches m (p = 4)")
ax.set_ylabel("bubble fraction")
ax.legend()
#| alt: 横轴是 micro-batch 数 m，纵轴是气泡比例；三组模拟点（GPipe/1F1B、交错 v=2、交错 v=4）都落在灰色理论曲线 (p−1)/(vm+p−1) 上，m 越大、v 越大气泡越小。
plt.show()

# %% [markdown]
# ## 峰值激活：GPipe 存 m 份，1F1B 只存 p 份 {#peak-activations}
#
# “在途”指前向已开始、反向尚未结束的 micro-batch，它们的激活都得留在显存里。GPipe 每台设备都要同时存全部 $m$ 份；
# 1F1B 在设备 $s$ 上最多 $p-s$ 份（第一级最多，$p$ 份），与 $m$ 无关。交错调度第一级多一些：$p+\frac{p-1}{v}$ 份整级激活。

# %%
for mm in (8, 16, 32):
    g = schedule_stats("gpipe", p, mm)["peak_in_flight"]
    o = schedule_stats("1f1b", p, mm)["peak_in_flight"]
    i2 = schedule_stats("interleaved", p, mm, 2)["peak_in_flight"]
    print(f"m={mm:2d}: GPipe {g}, 1F1B {o}, interleaved v=2 {i2}")
    assert g == [mm] * p and o == [p - s for s in range(p)] and np.isclose(i2[0], p + (p - 1) / 2)

for bad in [("1f1b", 4, 0, 1), ("interleaved", 4, 6, 2)]:
    try:
        schedule_stats(*bad)
        raise AssertionError("should have raised")
    except ValueError as e:
        print("ValueError:", e)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - GPipe 与 1F1B 的气泡相同，都是 $\frac{p-1}{m+p-1}$（$p=4,m=8$ 时 27%）；要压到 10% 以下需要 $m\ge 9(p-1)$ 左右。
# - 1F1B 的好处在显存：峰值在途 micro-batch 从 $m$ 降到 $p$，于是可以把 $m$ 开大来压气泡。
# - 交错调度把气泡再除以 $v$（$v=2$ 时 16%），代价是级间通信次数 ×$v$、第一级多存 $\frac{p-1}{v}$ 份激活。
