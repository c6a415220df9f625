"""推理与部署：显存估算、roofline、量化、bf16 模拟与蒸馏的性质测试。"""
import numpy as np
import pytest

from snippets.inference.kv_cache import (
    transformer_params, kv_cache_bytes, mla_cache_bytes, training_memory_bytes,
    activation_bytes_per_layer, arithmetic_intensity, attainable_flops, decode_intensity,
)
from snippets.inference.quant import (
    qrange, asym_params, quantize, dequantize, quantize_per_group, absmax_quantize,
    to_bf16, bf16_truncate, minifloat_grid, round_to_grid, block_quantize, nf4_codebook, nf4_quantize,
)
from snippets.inference.distill import kd_loss, kd_soft_grad, log_softmax, token_kl


# ---------- 参数量与显存 ----------

def test_param_count_gpt3_and_llama():
    # GPT-3 175B：96 层，d=12288，词表 50257（输入输出共享嵌入）
    n = transformer_params(96, 12288, 50257)
    assert abs(n / 175e9 - 1) < 0.01
    # LLaMA-7B：32 层，d=4096，SwiGLU 隐层 11008，词表 32000，输入输出嵌入不共享
    n = transformer_params(32, 4096, 32000, d_ff=11008, glu=True, tied=False)
    assert abs(n / 6.74e9 - 1) < 0.005


def test_kv_cache_matches_materialised_tensors():
    # 小配置下真的分配每层的 K、V 张量，与公式逐字节对比
    L, h_kv, d_h, s, b = 3, 2, 8, 17, 4
    cache = [(np.zeros((b, h_kv, s, d_h), np.float16), np.zeros((b, h_kv, s, d_h), np.float16))
             for _ in range(L)]
    nbytes = sum(k.nbytes + v.nbytes for k, v in cache)
    assert kv_cache_bytes(L, h_kv, d_h, s, b, bytes_per_elem=2) == nbytes


def test_kv_cache_gpt3_example():
    # 笔记里的配置：bs=1、seq=2048、96 层、d=12288（96 头 x 128）、fp16
    b = kv_cache_bytes(96, 96, 128, 2048, 1, 2)
    per_token = 2 * 12288 * 96 * 2                 # K 与 V，各 d 维，96 层，2 字节
    assert b == per_token * 2048 == 9_663_676_416  # ≈ 9.66 GB = 9.0 GiB
    assert b == 9 * 2**30
    # 笔记原式把 num_head 与 dim(=d_model) 相乘，多乘了一次头数
    notes = 2 * 1 * 2048 * 96 * 96 * 12288 * 2
    assert notes == 96 * b


def test_gqa_mqa_mla_ratios():
    mha = kv_cache_bytes(61, 128, 128, 1)
    gqa = kv_cache_bytes(61, 8, 128, 1)
    mqa = kv_cache_bytes(61, 1, 128, 1)
    mla = mla_cache_bytes(61, 512, 64, 1)
    assert mha / gqa == 16 and gqa / mqa == 8
    assert mla / mqa == pytest.approx(2.25)         # MLA 相当于 2.25 组的 GQA
    assert mha / mla == pytest.approx(32768 / 576)
    assert mla == 70_272                            # DeepSeek-V3：每 token 约 68.6 KiB


def test_training_memory_16_bytes_per_param():
    parts = training_memory_bytes(7e9)
    assert sum(parts.values()) == 16 * 7e9 == 112e9
    assert sum(parts.values()) / 2**30 == pytest.approx(104.3, abs=0.05)


def test_activation_formula_structure():
    s, b, h, a = 2048, 2, 1024, 16
    full = activation_bytes_per_layer(s, b, h, a)
    sel = activation_bytes_per_layer(s, b, h, a, "selective")
    assert full - sel == 5 * a * s * s * b          # 差的正是 s^2 项
    # 线性项随 s 线性增长，二次项随 s^2 增长
    assert activation_bytes_per_layer(2 * s, b, h, a, "selective") == 2 * sel
    assert (activation_bytes_per_layer(2 * s, b, h, a) - activation_bytes_per_layer(2 * s, b, h, a, "selective")) \
        == 4 * (full - sel)
    assert activation_bytes_per_layer(s, b, h, a, "full") == 2 * s * b * h


def test_arithmetic_intensity_decode_vs_prefill():
    N = 7e9
    assert arithmetic_intensity(1, N) == pytest.approx(1.0)          # batch-1 decode ≈ 1 FLOP/B
    assert arithmetic_intensity(2048, N) == pytest.approx(2048.0)    # prefill n 个 token ≈ n FLOP/B
    # KV cache 读取不随 batch 摊薄，强度低于 batch 大小
    assert arithmetic_intensity(64, N, extra_bytes=64 * 5e8) < 64
    ridge = 312e12 / 2.0e12
    assert attainable_flops(1.0, 312e12, 2.0e12) == pytest.approx(2.0e12)
    assert attainable_flops(10 * ridge, 312e12, 2.0e12) == pytest.approx(312e12)


# ---------- int8 仿射量化 ----------

@pytest.mark.parametrize("seed", range(5))
def test_asym_quant_range_and_error_bound(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.3, 1.0, 1000) * rng.uniform(0.1, 10)
    s, z = asym_params(x)
    q = quantize(x, s, z)
    qmin, qmax = qrange(8)
    assert q.min() >= qmin and q.max() <= qmax
    assert qmin <= z <= qmax and isinstance(z, int)
    assert np.max(np.abs(dequantize(q, s, z) - x)) <= s / 2 + 1e-9
    # 区间端点映射到整数端点（零点取整后误差不到半格）
    lo, hi = min(x.min(), 0), max(x.max(), 0)
    assert quantize(lo, s, z) == qmin and quantize(hi, s, z) == qmax


def test_zero_is_exact_and_quantize_is_idempotent():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 3.0, 100)                   # 全正：区间被扩展到含 0
    s, z = asym_params(x)
    assert dequantize(quantize(0.0, s, z), s, z) == 0.0
    q = quantize(x, s, z)
    assert np.array_equal(quantize(dequantize(q, s, z), s, z), q)


def test_unclamped_unrounded_zero_point_is_worse():
    # 笔记原式的 zero_point 不取整：实数 0 一般不能被精确表示
    x = np.array([-0.37, 0.0, 0.91, 2.3])
    qmin, qmax = qrange(8)
    s = (x.max() - x.min()) / (qmax - qmin)
    z_float = qmin - x.min() / s
    q0 = np.round(0.0 / s + z_float)
    assert s * (q0 - z_float) != 0.0
    s2, z2 = asym_params(x)
    assert dequantize(quantize(0.0, s2, z2), s2, z2) == 0.0


def test_per_group_beats_per_tensor_with_outlier():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.02, 4096)
    x[123] = 8.0                                       # 一个离群值
    s, z = asym_params(x)
    err_tensor = np.abs(dequantize(quantize(x, s, z), s, z) - x)
    err_group = np.abs(quantize_per_group(x, 128) - x)
    assert err_group.mean() < err_tensor.mean() / 10


def test_absmax_symmetric():
    x = np.array([-1.0, -0.5, 0.0, 0.25, 0.8])
    q, s = absmax_quantize(x)
    assert q[0] == -127 and q[2] == 0 and s == pytest.approx(1 / 127)
    assert np.max(np.abs(q * s - x)) <= s / 2 + 1e-12


# ---------- bf16 位掩码模拟 ----------

def test_bf16_known_values():
    assert to_bf16(np.float32(1 + 2**-8)) == 1.0               # 恰在中点，平局取偶
    assert to_bf16(np.float32(1 + 2**-7)) == 1.0078125         # bf16 的 eps = 2^-7
    assert to_bf16(np.float32(1 + 3 * 2**-8)) == 1 + 2**-6     # 中点，向偶数尾数进位
    assert np.isfinite(to_bf16(np.float32(70000.0)))           # bf16 的范围与 fp32 相同
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(70000.0))                   # fp16 上限 65504
    assert np.finfo(np.float16).max == 65504


def test_bf16_rounding_properties():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(100_000) * 10.0 ** rng.uniform(-30, 30, 100_000)).astype(np.float32)
    y = to_bf16(x)
    # 低 16 位为零，且舍入是幂等的
    assert np.all(y.view(np.uint32) & 0xFFFF == 0)
    assert np.array_equal(to_bf16(y), y)
    # 最近舍入：相对误差不超过 2^-8（单位舍入），截断则可达 2^-7
    rel = np.abs(y.astype(np.float64) - x) / np.abs(x)
    assert rel.max() <= 2**-8 * (1 + 1e-6)
    rel_t = np.abs(bf16_truncate(x).astype(np.float64) - x) / np.abs(x)
    assert rel_t.max() > 2**-8 and rel_t.max() <= 2**-7
    # 与“取两个相邻 bf16 中更近的一个”逐个一致
    lo = bf16_truncate(np.abs(x)).astype(np.float64)
    hi = (bf16_truncate(np.abs(x)).view(np.uint32) + np.uint32(1 << 16)).view(np.float32).astype(np.float64)
    ax = np.abs(x).astype(np.float64)
    nearest = np.where(ax - lo < hi - ax, lo, np.where(ax - lo > hi - ax, hi, np.nan))
    ok = ~np.isnan(nearest)
    assert np.array_equal(np.abs(y.astype(np.float64))[ok], nearest[ok])


# ---------- 蒸馏 ----------

def test_kd_soft_grad_matches_finite_difference():
    rng = np.random.default_rng(0)
    zs, zt = rng.normal(size=(1, 6)), rng.normal(size=(1, 6))
    T = 3.0
    g = kd_soft_grad(zs, zt, T)
    num = np.zeros_like(zs)
    for i in range(zs.shape[1]):
        e = np.zeros_like(zs); e[0, i] = 1e-6
        num[0, i] = (kd_loss(zs + e, zt, [0], T, alpha=0.0) - kd_loss(zs - e, zt, [0], T, alpha=0.0)) / 2e-6
    assert np.allclose(g, num, atol=1e-6)


def test_t_squared_keeps_soft_gradient_scale():
    # 高温极限下 KL 项的梯度 ∝ 1/T^2；乘 T^2 后梯度大小基本不随 T 变
    rng = np.random.default_rng(0)
    zs, zt = rng.normal(size=(1, 10)), rng.normal(size=(1, 10))
    norms = [np.linalg.norm(kd_soft_grad(zs, zt, T)) for T in (10.0, 20.0, 40.0, 80.0)]
    assert max(norms) / min(norms) < 1.05
    raw = [n / T**2 for n, T in zip(norms, (10.0, 20.0, 40.0, 80.0))]   # 不乘 T^2 的梯度
    assert raw[0] / raw[-1] > 50


def test_log_softmax_normalised():
    z = np.random.default_rng(0).normal(size=(3, 7)) * 50
    assert np.allclose(np.exp(log_softmax(z, 2.0)).sum(-1), 1.0)


# ---------- 参数校验（坏输入给出说清原因的 ValueError） ----------

def test_bad_inputs_raise_value_errors_that_say_what_is_wrong():
    with pytest.raises(ValueError, match="recompute must be 'none', 'selective' or 'full'"):
        activation_bytes_per_layer(2048, 1, 4096, 32, "partial")
    with pytest.raises(ValueError, match="seq_len must be positive"):
        kv_cache_bytes(32, 8, 128, 0)
    with pytest.raises(ValueError, match="group size 100 does not divide 4096"):
        quantize_per_group(np.zeros(4096), 100)
    with pytest.raises(ValueError, match="n_bits must be an integer"):
        qrange(1)
    with pytest.raises(ValueError, match="5 KV heads do not divide 32 query heads"):
        decode_intensity(1, 128, 7e9, 32, 32, 5, 128)
    with pytest.raises(ValueError, match="temperature must be positive"):
        kd_loss(np.zeros((1, 3)), np.zeros((1, 3)), [0], T=0.0)
    with pytest.raises(ValueError, match="direction must be"):
        token_kl(np.zeros(3), np.zeros(3), "both")
    with pytest.raises(ValueError, match=r"block \(1, 128\) does not tile"):
        block_quantize(np.zeros((2, 100)), (1, 128))


# ---------- 显存：GQA、decode 强度 ----------

def test_gqa_kv_cache_scales_with_kv_heads_not_query_heads():
    # 同一模型形状，KV 头数从 32 降到 8：缓存正好变成 1/4，与 query 头数无关
    assert kv_cache_bytes(32, 32, 128, 4096) == 4 * kv_cache_bytes(32, 8, 128, 4096)
    # Llama-3-8B 形状（32 层、8 个 KV 头 × 128）：每 token 128 KiB，8K 上下文 1 GiB
    assert kv_cache_bytes(32, 8, 128, 1) == 128 * 2**10
    assert kv_cache_bytes(32, 8, 128, 8192) == 2**30


@pytest.mark.parametrize("d,s", [(4096, 4096), (8192, 2048), (2048, 32768)])
def test_decode_intensity_ceiling_is_one_plus_six_d_over_s(d, s):
    # MHA、bf16、N = 12 L d^2：batch 趋于无穷时强度趋于 1 + 6d/s
    L, n_h = 4, d // 128
    N = 12 * L * d * d
    limit = 1 + 6 * d / s
    big = decode_intensity(10**9, s, N, L, n_h, n_h, 128)
    assert big == pytest.approx(limit, rel=1e-6)
    assert decode_intensity(64, s, N, L, n_h, n_h, 128) < limit


def test_decode_attention_intensity_equals_query_heads_per_kv_head():
    # 只看注意力（N→0 的极限）：每读 1 个 KV 元素被 n_h/n_kv 个 query 头用，bf16 时强度 = n_h/n_kv
    for n_h, n_kv in [(32, 32), (32, 8), (64, 8), (64, 1)]:
        attn_only = decode_intensity(1, 4096, 1e-9, 1, n_h, n_kv, 128)
        assert attn_only == pytest.approx(n_h / n_kv, rel=1e-9)


# ---------- bf16：NaN 不会变成 inf ----------

def test_bf16_keeps_nan_with_low_payload():
    # 尾数只有最低位为 1 的 NaN（0x7F800001）：加 0x7FFF 进位后会变成 inf
    nan_low = np.array([0x7F800001, 0xFF800001, 0x7FC00000], dtype=np.uint32).view(np.float32)
    assert np.all(np.isnan(to_bf16(nan_low)))
    assert np.isinf(to_bf16(np.float32(np.inf))) and to_bf16(np.float32(-np.inf)) < 0


# ---------- FP8 / FP4 与块缩放 ----------

def test_minifloat_grids_known_values():
    e4m3, e5m2, e2m1 = (minifloat_grid(f) for f in ("e4m3", "e5m2", "e2m1"))
    assert e4m3[-1] == 448 and e4m3[1] == 2.0**-9 and len(e4m3) == 127       # 256 编码 - 2 个 NaN，±0
    assert e5m2[-1] == 57344 and e5m2[1] == 2.0**-16
    assert e2m1.tolist() == [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    # 相对间距：E4M3 在 [1, 2) 里是 2^-3，E5M2 是 2^-2
    assert np.diff(e4m3[(e4m3 >= 1) & (e4m3 <= 2)]).max() == 2.0**-3
    assert np.diff(e5m2[(e5m2 >= 1) & (e5m2 <= 2)]).max() == 2.0**-2


def test_round_to_grid_is_nearest_ties_to_even_and_saturates():
    g = minifloat_grid("e2m1")
    x = np.array([0.25, 0.75, 1.25, 2.5, 5.0, 7.0, 100.0, -2.6, 0.2])
    # 0.25 在 0 与 0.5 正中 -> 偶数编码 0；0.75 -> 1.0；1.25 -> 1.0；2.5 -> 2；5 -> 4；超出饱和到 6
    assert round_to_grid(x, g).tolist() == [0, 1.0, 1.0, 2.0, 4.0, 6.0, 6.0, -3.0, 0.0]
    # 与暴力最近邻一致（非平局处）
    rng = np.random.default_rng(0)
    y = rng.uniform(-6, 6, 2000)
    brute = np.sign(y) * g[np.abs(np.abs(y)[:, None] - g).argmin(axis=1)]
    assert np.array_equal(round_to_grid(y, g), brute)


def test_block_scaling_beats_per_tensor_with_outliers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 1024))
    x[:, 7] *= 200.0                                  # 一个离群通道
    err = lambda y: np.sqrt(np.mean((y - x) ** 2)) / np.sqrt(np.mean(x**2))
    per_tensor = err(block_quantize(x, x.shape, "e2m1"))
    per_block = err(block_quantize(x, (1, 32), "e2m1"))
    assert per_block < per_tensor / 3
    # e8m0 的 scale 是 2 的幂且向上取：块最大值除以 scale 落在 (3, 6]，不饱和，但平均浪费了一部分范围
    mx = block_quantize(x, (1, 32), "e2m1", "e8m0")
    amax = np.abs(x).reshape(256, 32, 32).max(-1)
    scale = 2.0 ** np.ceil(np.log2(amax / 6))
    assert np.all(amax / scale <= 6) and np.all(amax / scale > 3)
    assert err(mx) > per_block
    # NVFP4（16 个一块、E4M3 scale）比 MXFP4（32 个一块、2 的幂 scale）误差小
    nv = block_quantize(x, (1, 16), "e2m1", "e4m3")
    assert err(nv) < err(mx)


def test_nf4_codebook_matches_qlora_and_is_asymmetric():
    code = nf4_codebook()
    published = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                 -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]
    assert np.allclose(code, published, atol=1e-6)
    assert (code < 0).sum() == 7 and (code > 0).sum() == 8 and 0.0 in code
    # 对正态权重，NF4 的误差小于同样 16 个等间距码字的 absmax int4
    w = np.random.default_rng(0).standard_normal(64 * 2000)
    g = w.reshape(-1, 64)
    s = np.abs(g).max(1, keepdims=True) / 7
    int4 = (np.clip(np.round(g / s), -8, 7) * s).ravel()
    assert np.mean((nf4_quantize(w) - w) ** 2) < np.mean((int4 - w) ** 2)


# ---------- 蒸馏：正向与反向 KL ----------

def test_forward_and_reverse_kl_are_different_and_nonnegative():
    rng = np.random.default_rng(0)
    zt, zs = rng.normal(size=(50, 12)) * 3, rng.normal(size=(50, 12))
    fwd, rev = token_kl(zt, zs, "forward"), token_kl(zt, zs, "reverse")
    assert np.all(fwd >= 0) and np.all(rev >= 0)
    assert not np.allclose(fwd, rev)
    assert np.allclose(token_kl(zs, zt, "forward"), rev)     # 反向 KL = 交换两者的正向 KL
    # kd_loss 的软标签项（T = 1、alpha = 0）就是正向 KL 的平均
    assert kd_loss(zs, zt, [0] * 50, T=1.0, alpha=0.0) == pytest.approx(fwd.mean())
