"""Distributed training snippets: collectives, ZeRO/FSDP accounting, Megatron tensor parallelism,
pipeline schedules, 3D-parallel memory, MFU, loss scaling and FP8 simulation."""

import numpy as np
import pytest

from snippets.training.distributed import (
    ModelConfig, check_parallel_plan, check_tp_degree, fsdp_model_state_bytes, llama_activation_bytes_per_layer,
    llama_param_count, mfu, mlp_forward, plan_memory_per_gpu, ring_all_gather, ring_all_reduce,
    ring_reduce_scatter, attention_forward, tp_attention_forward, tp_mlp_forward, train_flops_per_token,
    zero_comm_elements, zero_model_state_bytes, zero_sharded_adam_step, gelu)
from snippets.training.loss_scale import (
    DynamicLossScaler, delayed_scale, fp16_backward, fp8_quantize, to_fp8)
from snippets.training.optim import adam_state, adam_step
from snippets.training.pipeline import bubble_fraction, schedule_stats

LLAMA2_70B = ModelConfig(n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ffn=28672, vocab=32000)


# --- collectives -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [1, 2, 3, 5, 8])
def test_ring_all_reduce_equals_sum_and_sends_2_p_minus_1_over_p(p):
    rng = np.random.default_rng(p)
    n = 8 * p
    bufs = [rng.normal(size=n) for _ in range(p)]
    out, sent = ring_all_reduce(bufs)
    for r in out:
        np.testing.assert_allclose(r, np.sum(bufs, axis=0), rtol=1e-12, atol=1e-12)
    assert np.all(sent == 2 * (p - 1) * n // p)


def test_reduce_scatter_then_all_gather_is_all_reduce():
    rng = np.random.default_rng(0)
    bufs = [rng.normal(size=12) for _ in range(4)]
    pieces, owner, sent_rs = ring_reduce_scatter(bufs)
    total = np.sum(bufs, axis=0)
    chunks = np.array_split(total, 4)
    assert sorted(owner) == [0, 1, 2, 3]
    for piece, c in zip(pieces, owner):
        np.testing.assert_allclose(piece, chunks[c])
    full, sent_ag = ring_all_gather(pieces, owner)
    assert all(np.allclose(f, total) for f in full)
    assert np.all(sent_rs == 9) and np.all(sent_ag == 9)       # (p-1)/p * n each


def test_ring_rejects_bad_buffers():
    with pytest.raises(ValueError, match="positive"):
        ring_all_reduce([])
    with pytest.raises(ValueError, match="same length"):
        ring_all_reduce([np.zeros(4), np.zeros(5)])


# --- ZeRO / FSDP ------------------------------------------------------------------------------------------

def test_zero_stage_formulas_and_the_paper_example():
    psi, n = 7.5e9, 64
    totals = [sum(zero_model_state_bytes(psi, n, s).values()) / 1e9 for s in range(4)]
    assert totals[0] == pytest.approx(120.0)
    assert totals[1] == pytest.approx(4 * 7.5 + 12 * 7.5 / 64)          # 31.4 GB
    assert totals[2] == pytest.approx(2 * 7.5 + 14 * 7.5 / 64)          # 16.6 GB
    assert totals[3] == pytest.approx(16 * 7.5 / 64)                    # 1.9 GB
    assert [round(t, 1) for t in totals] == [120.0, 31.4, 16.6, 1.9]


def test_fsdp_strategies_map_to_zero_stages():
    psi, n = 1e9, 32
    assert fsdp_model_state_bytes(psi, n, "FULL_SHARD") == zero_model_state_bytes(psi, n, 3)
    assert fsdp_model_state_bytes(psi, n, "SHARD_GRAD_OP") == zero_model_state_bytes(psi, n, 2)
    assert fsdp_model_state_bytes(psi, n, "NO_SHARD") == zero_model_state_bytes(psi, n, 0)
    hybrid = fsdp_model_state_bytes(psi, n, "HYBRID_SHARD", shard_group_size=8)
    assert sum(hybrid.values()) == pytest.approx(16 * psi / 8)
    with pytest.raises(ValueError, match="does not divide"):
        fsdp_model_state_bytes(psi, 30, "HYBRID_SHARD", shard_group_size=8)
    with pytest.raises(ValueError, match="unknown FSDP"):
        fsdp_model_state_bytes(psi, n, "ZERO4")


def test_zero3_communicates_one_and_a_half_times_dp():
    for n in (2, 8, 1024):
        assert zero_comm_elements(1e9, n, 3) == pytest.approx(1.5 * zero_comm_elements(1e9, n, 0))
        assert zero_comm_elements(1e9, n, 1) == zero_comm_elements(1e9, n, 2) == zero_comm_elements(1e9, n, 0)
    assert zero_comm_elements(1e9, 1024, 0) == pytest.approx(2e9, rel=1e-3)


@pytest.mark.parametrize("bad", [0, -4])
def test_zero_rejects_non_positive_ranks(bad):
    with pytest.raises(ValueError, match="n_ranks must be a positive integer"):
        zero_model_state_bytes(1e9, bad, 1)
    with pytest.raises(ValueError, match="stage"):
        zero_model_state_bytes(1e9, 8, 4)


def test_zero_sharded_adam_matches_plain_data_parallel_adam():
    rng = np.random.default_rng(1)
    p, n = 4, 16
    theta = rng.normal(size=n)
    ref_state = adam_state(theta)
    ref = theta.copy()
    master = np.array_split(theta.copy(), p)
    owner_order = [(r + 1) % p for r in range(p)]
    master = [master[c].copy() for c in owner_order]
    m = [np.zeros_like(x) for x in master]
    v = [np.zeros_like(x) for x in master]
    for t in range(1, 4):
        grads = [rng.normal(size=n) for _ in range(p)]
        params, owner = zero_sharded_adam_step(grads, master, m, v, t, lr=1e-2)
        ref = adam_step(ref, np.mean(grads, axis=0), ref_state, lr=1e-2)
        for r in range(p):
            np.testing.assert_allclose(params[r], ref, rtol=1e-12, atol=1e-12)


# --- tensor parallelism ---------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [1, 2, 4, 8])
def test_megatron_mlp_split_equals_unsplit_with_one_all_reduce(t):
    rng = np.random.default_rng(t)
    x, w1, w2 = rng.normal(size=(5, 16)), rng.normal(size=(16, 32)) / 4, rng.normal(size=(32, 16)) / 6
    y, partials, n_ar = tp_mlp_forward(x, w1, w2, t)
    np.testing.assert_allclose(y, mlp_forward(x, w1, w2), atol=1e-12)
    assert n_ar == 1 and len(partials) == t


def test_row_first_split_would_need_a_reduce_before_gelu():
    rng = np.random.default_rng(2)
    x, w1 = rng.normal(size=(5, 16)), rng.normal(size=(16, 32))
    halves = [x[:, :8] @ w1[:8], x[:, 8:] @ w1[8:]]      # W1 split by rows gives partial sums
    assert not np.allclose(gelu(halves[0]) + gelu(halves[1]), gelu(halves[0] + halves[1]))


@pytest.mark.parametrize("t,kv", [(1, 4), (2, 4), (4, 4), (2, 2)])
def test_head_split_attention_equals_unsplit(t, kv):
    rng = np.random.default_rng(3)
    d, heads, dh = 16, 4, 4
    x = rng.normal(size=(7, d))
    wq, wo = rng.normal(size=(d, heads * dh)) / 4, rng.normal(size=(heads * dh, d)) / 4
    wk, wv = rng.normal(size=(d, kv * dh)) / 4, rng.normal(size=(d, kv * dh)) / 4
    y, _, n_ar = tp_attention_forward(x, wq, wk, wv, wo, heads, kv, t)
    np.testing.assert_allclose(y, attention_forward(x, wq, wk, wv, wo, heads, kv), atol=1e-12)
    assert n_ar == 1


def test_tp_degree_validation_messages():
    with pytest.raises(ValueError, match="tensor-parallel degree 3 does not divide 64 attention heads"):
        check_tp_degree(3, n_heads=64)
    with pytest.raises(ValueError, match="does not divide 8 KV heads"):
        check_tp_degree(16, d_model=8192, n_heads=64, n_kv_heads=8)
    with pytest.raises(ValueError, match="does not divide 100 hidden size"):
        check_tp_degree(8, d_model=100)
    with pytest.raises(ValueError, match="positive"):
        check_tp_degree(0, d_model=8)
    with pytest.raises(TypeError):
        check_tp_degree(2.0, d_model=8)


# --- pipeline -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p,m", [(2, 4), (4, 8), (4, 3), (8, 32), (1, 5)])
def test_gpipe_and_1f1b_bubble_and_peak_activations(p, m):
    g, o = schedule_stats("gpipe", p, m), schedule_stats("1f1b", p, m)
    assert g["bubble"] == pytest.approx((p - 1) / (m + p - 1))
    assert o["bubble"] == pytest.approx(g["bubble"])
    assert g["peak_in_flight"] == [m] * p
    assert o["peak_in_flight"] == [min(p - s, m) for s in range(p)]


@pytest.mark.parametrize("p,m,v", [(4, 8, 2), (4, 8, 4), (2, 6, 3), (8, 16, 2)])
def test_interleaved_divides_the_bubble_by_v(p, m, v):
    st = schedule_stats("interleaved", p, m, v)
    assert st["bubble"] == pytest.approx(bubble_fraction(p, m, v))
    idle = st["makespan"] - m * 3.0
    assert idle / (m * 3.0) == pytest.approx((p - 1) / (v * m))             # Megatron's bubble / ideal time
    assert st["peak_in_flight"][0] == pytest.approx(p + (p - 1) / v)


def test_pipeline_validation():
    with pytest.raises(ValueError, match="micro-batch count must be a positive integer, got 0"):
        schedule_stats("1f1b", 4, 0)
    with pytest.raises(ValueError, match="pipeline stages must be a positive"):
        bubble_fraction(0, 4)
    with pytest.raises(ValueError, match="multiple of 4"):
        schedule_stats("interleaved", 4, 6, 2)
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule_stats("zb", 4, 8)


# --- 3D plan and MFU ------------------------------------------------------------------------------------

def test_llama2_70b_param_count():
    assert llama_param_count(LLAMA2_70B) == 68_976_648_192


def test_plan_validation():
    with pytest.raises(ValueError, match="81 pipeline stages is more than the 80 layers"):
        check_parallel_plan(LLAMA2_70B, 81, 1, 81, 1)
    with pytest.raises(ValueError, match="does not equal 64 GPUs"):
        check_parallel_plan(LLAMA2_70B, 64, 8, 4, 4)
    with pytest.raises(ValueError, match="does not divide 8 KV heads"):
        check_parallel_plan(LLAMA2_70B, 64, 16, 4, 1)
    with pytest.raises(ValueError, match="number of GPUs must be a positive integer"):
        check_parallel_plan(LLAMA2_70B, 0, 8, 1, 1)


def test_plan_memory_scales_as_expected():
    base = plan_memory_per_gpu(LLAMA2_70B, 256, 8, 4, 8, seq_len=4096)
    more_pp = plan_memory_per_gpu(LLAMA2_70B, 512, 8, 8, 8, seq_len=4096)
    assert more_pp["params"] == pytest.approx(base["params"] / 2)
    assert more_pp["activations"] == pytest.approx(base["activations"])   # 1F1B: pp micro-batches x L/pp layers
    no_sp = llama_activation_bytes_per_layer(LLAMA2_70B, 4096, 1, tp=8, sequence_parallel=False)
    sp = llama_activation_bytes_per_layer(LLAMA2_70B, 4096, 1, tp=8, sequence_parallel=True)
    assert sp == pytest.approx(llama_activation_bytes_per_layer(LLAMA2_70B, 4096, 1, tp=1) / 8)
    assert no_sp > sp


def test_flops_and_mfu():
    assert train_flops_per_token(1e9) == 6e9
    f = train_flops_per_token(1e9, n_layers=2, n_heads=4, head_dim=8, seq_len=16)
    assert f == 6e9 + 12 * 2 * 4 * 8 * 16
    assert mfu(1000, 6e9, 12e12) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        mfu(1000, 6e9, 0)


# --- loss scaling and FP8 -------------------------------------------------------------------------------

def test_loss_scaling_rescues_underflowing_fp16_gradients():
    g = np.full(1000, 1e-8)                         # below fp16's smallest subnormal (~6e-8)
    assert np.count_nonzero(fp16_backward(g, 1.0)) == 0
    scaled = fp16_backward(g, 2.0**16)
    assert np.count_nonzero(scaled) == 1000
    np.testing.assert_allclose(scaled.astype(np.float64) / 2**16, g, rtol=1e-3)
    assert np.isinf(fp16_backward([1.0], 2.0**17)[0])   # 131072 > 65504 overflows


def test_dynamic_scaler_halves_on_overflow_and_grows_after_interval():
    s = DynamicLossScaler(init_scale=1024.0, growth_interval=3)
    _, inf = s.unscale(np.array([np.inf], dtype=np.float16))
    assert inf and s.update(inf) is False and s.scale == 512.0
    for _ in range(2):
        assert s.update(False) and s.scale == 512.0
    assert s.update(False) and s.scale == 1024.0 and s.good_steps == 0
    with pytest.raises(ValueError, match="growth_interval"):
        DynamicLossScaler(growth_interval=0)
    with pytest.raises(ValueError):
        DynamicLossScaler(backoff_factor=1.5)


def test_fp8_grids():
    assert to_fp8(1000.0) == 448.0 and to_fp8(1e6, "e5m2") == 57344.0
    assert to_fp8(1 + 2**-3) == 1.125 and to_fp8(1 + 2**-4) == 1.0          # 3 mantissa bits, ties to even
    assert to_fp8(2.0**-9) == 2.0**-9 and to_fp8(2.0**-11) == 0.0            # smallest subnormal 2^-9
    assert to_fp8(1 + 2**-2, "e5m2") == 1.25 and to_fp8(1 + 2**-3, "e5m2") == 1.0
    with pytest.raises(ValueError, match="unknown FP8"):
        to_fp8(1.0, "e3m4")


def test_tile_scaling_beats_per_tensor_with_an_outlier_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 256))
    x[:, 3] *= 1e5                                    # one outlier channel beyond E4M3's 448 / 2^-6 range
    tensor_err = np.abs(fp8_quantize(x) - x)[:, 128:].mean()
    tile_err = np.abs(fp8_quantize(x, block=(1, 128)) - x)[:, 128:].mean()
    e5m2_err = np.abs(fp8_quantize(x, "e5m2") - x)[:, 128:].mean()
    assert tile_err < tensor_err / 10
    assert tile_err < e5m2_err < 3 * tile_err         # E5M2 keeps the range but has one mantissa bit less
    with pytest.raises(ValueError, match="does not tile"):
        fp8_quantize(x, block=(1, 100))
    assert delayed_scale([1.0, 448.0, 2.0]) == 1.0


def test_gradient_accumulation_equals_big_batch_only_with_global_token_normalisation():
    from snippets.training.distributed import accumulate_gradients, lsq_grad_sum
    rng = np.random.default_rng(5)
    w = rng.normal(size=3)
    lengths = [3, 11, 6]                                   # tokens per micro-batch differ
    micro = [(rng.normal(size=(n, 3)), rng.normal(size=n)) for n in lengths]
    X, y = np.vstack([m[0] for m in micro]), np.concatenate([m[1] for m in micro])
    g_sum, n = lsq_grad_sum(w, X, y)
    np.testing.assert_allclose(accumulate_gradients(w, micro, "global"), g_sum / n)
    assert not np.allclose(accumulate_gradients(w, micro, "per_micro"), g_sum / n)
    equal = [(rng.normal(size=(4, 3)), rng.normal(size=4)) for _ in range(3)]
    np.testing.assert_allclose(accumulate_gradients(w, equal, "per_micro"), accumulate_gradients(w, equal))
    with pytest.raises(ValueError, match="at least one"):
        accumulate_gradients(w, [])


def test_zigzag_context_parallel_balances_causal_work():
    from snippets.training.distributed import causal_cp_work
    s = 64
    total = s * (s + 1) // 2
    for n in (2, 4, 8):
        z, plain = causal_cp_work(n, s), causal_cp_work(n, s, zigzag=False)
        assert z.sum() == plain.sum() == total
        assert np.all(z == z[0])                              # every rank does the same work
        assert plain[-1] > 2 * plain[0]                       # the last chunk sees the whole prefix
    with pytest.raises(ValueError, match="not divisible into 8 chunks"):
        causal_cp_work(4, 30)
