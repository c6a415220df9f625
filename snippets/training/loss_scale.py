"""混合精度训练：动态损失缩放（loss scaling）与 FP8（E4M3 / E5M2）的模拟量化。

fp16 用 numpy.float16 真实舍入；FP8 没有 numpy 类型，按“尾数位数 + 指数范围 + 饱和”逐元素模拟。
"""
import numpy as np


# --8<-- [start:scaler]
class DynamicLossScaler:
    """动态损失缩放，逻辑与 torch.amp.GradScaler 相同（默认值也相同）：

    - 前向后把 loss 乘 scale 再反向，梯度整体放大 scale 倍，躲开 fp16 的下溢；
    - 更新前把梯度除回 scale；若出现 inf/NaN，跳过这一步并把 scale 乘 backoff_factor（减半）；
    - 连续 growth_interval 步没有溢出，scale 乘 growth_factor（翻倍），尽量用满 fp16 的范围。
    """

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000):
        if init_scale <= 0 or growth_factor <= 1 or not 0 < backoff_factor < 1:
            raise ValueError("need init_scale > 0, growth_factor > 1 and 0 < backoff_factor < 1")
        if not isinstance(growth_interval, int) or growth_interval <= 0:
            raise ValueError(f"growth_interval must be a positive integer, got {growth_interval!r}")
        self.scale = float(init_scale)
        self.growth_factor, self.backoff_factor = growth_factor, backoff_factor
        self.growth_interval = growth_interval
        self.good_steps = 0

    def unscale(self, fp16_grads):
        """fp16 梯度 → fp32 并除以 scale；返回 (梯度, 是否有 inf/NaN)。"""
        g = np.asarray(fp16_grads, dtype=np.float32) / np.float32(self.scale)
        return g, not np.all(np.isfinite(g))

    def update(self, found_inf):
        """返回这一步是否应该执行 optimizer.step()。"""
        if found_inf:
            self.scale *= self.backoff_factor
            self.good_steps = 0
            return False
        self.good_steps += 1
        if self.good_steps == self.growth_interval:
            self.scale *= self.growth_factor
            self.good_steps = 0
        return True
# --8<-- [end:scaler]


# --8<-- [start:fp16_grads]
def fp16_backward(true_grads, scale):
    """模拟“loss 乘 scale 后在 fp16 里算出的梯度”：真实梯度 x scale，再舍入到 fp16（可能下溢为 0 或上溢为 inf）。"""
    with np.errstate(over="ignore"):
        return (np.asarray(true_grads, dtype=np.float64) * scale).astype(np.float16)
# --8<-- [end:fp16_grads]


# --8<-- [start:fp8]
FP8_FORMATS = {
    # 尾数位数、最小正规数的指数、最大有限值（E4M3 不表示 inf，把最大指数的大部分编码留给有限数）
    "e4m3": {"mantissa": 3, "min_exp": -6, "max": 448.0},
    "e5m2": {"mantissa": 2, "min_exp": -14, "max": 57344.0},
}


def to_fp8(x, fmt="e4m3"):
    """把实数舍入到最近的 FP8 可表示值（就近舍入到偶数），超出范围的饱和到 ±max（转换时的常见做法）。"""
    if fmt not in FP8_FORMATS:
        raise ValueError(f"unknown FP8 format {fmt!r} (e4m3 or e5m2)")
    spec = FP8_FORMATS[fmt]
    x = np.asarray(x, dtype=np.float64)
    _, e = np.frexp(np.abs(x))                     # |x| = f * 2^e，f ∈ [0.5, 1)
    exp = np.maximum(e - 1, spec["min_exp"])       # 次正规区间用最小指数，间距固定
    step = np.ldexp(1.0, exp - spec["mantissa"])
    q = np.round(x / step) * step
    return np.clip(q, -spec["max"], spec["max"])


def fp8_quantize(x, fmt="e4m3", block=None):
    """带缩放因子的 FP8 量化（返回反量化后的值，便于比误差）。

    block=None：整个张量一个 scale（per-tensor）；block=(1, 128)：DeepSeek-V3 激活的 1x128 tile；
    block=(128, 128)：权重的 128x128 block。scale = amax / max，使每组的最大值恰好映射到 FP8 的最大值。
    """
    x = np.asarray(x, dtype=np.float64)
    fmax = FP8_FORMATS[fmt]["max"] if fmt in FP8_FORMATS else None
    if fmax is None:
        raise ValueError(f"unknown FP8 format {fmt!r} (e4m3 or e5m2)")
    if block is None:
        amax = np.max(np.abs(x))
        scale = amax / fmax if amax > 0 else 1.0
        return to_fp8(x / scale, fmt) * scale
    if x.ndim != 2:
        raise ValueError(f"block scaling needs a 2-D tensor, got {x.ndim}-D")
    br, bc = block
    rows, cols = x.shape
    if rows % br or cols % bc:
        raise ValueError(f"block {block} does not tile a tensor of shape {x.shape}")
    tiles = x.reshape(rows // br, br, cols // bc, bc)
    amax = np.abs(tiles).max(axis=(1, 3), keepdims=True)
    scale = np.where(amax > 0, amax / fmax, 1.0)
    return (to_fp8(tiles / scale, fmt) * scale).reshape(rows, cols)


def delayed_scale(amax_history, fmt="e4m3", margin=0):
    """Transformer Engine 的 delayed scaling：用过去若干步 amax 的最大值定本步的 scale（把值映射到 max / 2^margin）。"""
    return max(amax_history) * 2.0**margin / FP8_FORMATS[fmt]["max"]
# --8<-- [end:fp8]
