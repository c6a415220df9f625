"""Multi-head attention: equality with a per-head loop, masks, KV-cache decoding, GQA/MQA, cross-attention,
parameter / FLOP counts and the low-rank bottleneck."""
import numpy as np
import pytest

from snippets.attention.mha import (
    KVCache, attend, best_low_rank_attention, causal_keep_mask, cross_attention_step, decode_step,
    encoder_kv, forward_flops_per_token, init_attention, kv_cache_bytes_per_token, layer_params,
    masked_softmax, merge_heads, mha_per_head_loop, model_params, multi_head_attention, padding_keep_mask,
    repeat_kv, score_flops_crossover, split_heads, to_additive,
)
from snippets.inference.kv_cache import kv_cache_bytes, transformer_params


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_split_merge_roundtrip_and_head_slices(rng):
    x = rng.normal(size=(2, 5, 12))
    xh = split_heads(x, 3)
    assert xh.shape == (2, 3, 5, 4)
    assert np.array_equal(merge_heads(xh), x)
    # head i is the i-th contiguous slice of the width
    assert np.array_equal(xh[:, 1], x[:, :, 4:8])


@pytest.mark.parametrize("n_heads,n_kv", [(4, 4), (4, 2), (4, 1), (6, 3)])
def test_vectorised_mha_equals_per_head_loop(rng, n_heads, n_kv):
    B, L, d = 3, 6, 24
    p = init_attention(rng, d, n_heads, n_kv)
    x = rng.normal(size=(B, L, d))
    keep = causal_keep_mask(L)[None, None] & padding_keep_mask([6, 4, 2], L)
    y, A = multi_head_attention(x, p, keep)
    y_loop = mha_per_head_loop(x, p, np.broadcast_to(keep[:, 0], (B, L, L)))
    assert np.allclose(y, y_loop, atol=1e-12)
    assert np.allclose(A.sum(-1), 1.0)


def test_gqa_with_groups_equal_heads_is_mha_and_one_group_is_mqa(rng):
    d, h, L = 16, 4, 5
    x = rng.normal(size=(2, L, d))
    base = init_attention(rng, d, h, h)
    mqa = dict(base, Wk=base["Wk"][:, :4], Wv=base["Wv"][:, :4], n_kv_heads=1)
    # MQA by hand: every head uses the same single K, V head
    q = split_heads(x @ base["Wq"], h)
    k1, v1 = x @ mqa["Wk"], x @ mqa["Wv"]
    scores = np.einsum("bhqd,bkd->bhqk", q, k1) / 2.0
    A = masked_softmax(scores)
    by_hand = merge_heads(np.einsum("bhqk,bkd->bhqd", A, v1)) @ base["Wo"]
    assert np.allclose(multi_head_attention(x, mqa)[0], by_hand)
    # GQA with h groups is exactly MHA (repeat_kv with n_rep = 1 is the identity)
    kh = split_heads(x @ base["Wk"], h)
    assert repeat_kv(kh, 1) is kh


def test_repeat_kv_is_repeat_interleave(rng):
    k = rng.normal(size=(1, 2, 3, 4))
    r = repeat_kv(k, 3)
    assert r.shape == (1, 6, 3, 4)
    for i in range(6):
        assert np.array_equal(r[:, i], k[:, i // 3])


def test_kv_cache_decoding_equals_full_recomputation_every_step(rng):
    B, L, d = 2, 9, 32
    p = init_attention(rng, d, 8, 2, layer=3)
    x = rng.normal(size=(B, L, d))
    full, _ = multi_head_attention(x, p, causal_keep_mask(L))
    cache = KVCache(3, 2, 4, batch=B)
    prefill = decode_step(x[:, :4], p, cache)                 # prompt of 4 tokens in one call
    assert np.allclose(prefill, full[:, :4], atol=1e-12)
    for t in range(4, L):
        y = decode_step(x[:, t:t + 1], p, cache)
        assert len(cache) == t + 1
        assert cache.k.shape == (B, 2, t + 1, 4)
        assert np.max(np.abs(y[:, 0] - full[:, t])) < 1e-12


def test_cache_bytes_match_formula_and_inference_helper(rng):
    cache = KVCache(0, 2, 8, batch=1, dtype=np.float16)
    cache.append(np.zeros((1, 2, 5, 8)), np.zeros((1, 2, 5, 8)))
    assert cache.nbytes() == 5 * kv_cache_bytes_per_token(1, 2, 8, bytes_per_elem=2)
    assert kv_cache_bytes_per_token(32, 8, 128) == kv_cache_bytes(32, 8, 128, seq_len=1)


def test_padding_key_gets_exactly_zero_weight(rng):
    p = init_attention(rng, 16, 4)
    x = rng.normal(size=(2, 6, 16))
    keep = padding_keep_mask([6, 3], 6)
    _, A = multi_head_attention(x, p, keep)
    assert np.all(A[1, :, :, 3:] == 0.0)
    assert np.all(A[0] > 0)
    # changing the padded tokens does not change the real tokens' outputs
    x2 = x.copy()
    x2[1, 3:] = rng.normal(size=(3, 16)) * 100
    y1, _ = multi_head_attention(x, p, keep)
    y2, _ = multi_head_attention(x2, p, keep)
    assert np.allclose(y1[1, :3], y2[1, :3])


def test_fully_masked_row_nan_vs_zero_and_finite_min():
    s = np.array([[1.0, 2.0], [3.0, 4.0]])
    keep = np.array([[True, True], [False, False]])
    assert np.all(np.isnan(masked_softmax(s, keep, fully_masked="nan")[1]))
    assert np.array_equal(masked_softmax(s, keep)[1], [0.0, 0.0])
    # a large finite negative instead of -inf: the empty row becomes uniform, not NaN
    add = to_additive(keep, neg=np.finfo(np.float32).min, dtype=np.float32)
    row = masked_softmax((s + add).astype(np.float32))[1]
    assert np.allclose(row, 0.5)
    # summing two float32-min masks overflows to -inf
    with np.errstate(over="ignore"):
        assert np.isneginf(add[1, 0] + add[1, 0])


def test_boolean_and_additive_masks_agree(rng):
    s = rng.normal(size=(3, 5))
    keep = causal_keep_mask(3, 5)
    assert np.allclose(masked_softmax(s, keep), masked_softmax(s + to_additive(keep)))


def test_causal_keep_mask_offset():
    m = causal_keep_mask(2, 5)
    assert m.tolist() == [[True, True, True, True, False], [True] * 5]
    assert np.array_equal(causal_keep_mask(4), np.tril(np.ones((4, 4), bool)))


def test_cross_attention_with_cached_encoder_kv(rng):
    d = 16
    p = init_attention(rng, d, 4, 2)
    memory = rng.normal(size=(2, 7, d))
    dec = rng.normal(size=(2, 3, d))
    enc_keep = padding_keep_mask([7, 4], 7)
    full, A = multi_head_attention(dec, p, enc_keep, context=memory)
    k, v = encoder_kv(memory, p)
    steps = np.concatenate([cross_attention_step(dec[:, t:t + 1], p, k, v, enc_keep) for t in range(3)], axis=1)
    assert np.allclose(steps, full, atol=1e-12)
    assert A.shape == (2, 4, 3, 7)
    assert np.all(A[1, :, :, 4:] == 0.0)


def test_shared_qk_projection_gives_symmetric_psd_scores(rng):
    x = rng.normal(size=(32, 64))
    W = rng.normal(size=(64, 16)) / 8
    S = (x @ W) @ (x @ W).T
    assert np.allclose(S, S.T)
    assert np.linalg.eigvalsh(S).min() > -1e-9
    Wk = rng.normal(size=(64, 16)) / 8
    S2 = (x @ W) @ (x @ Wk).T
    assert not np.allclose(S2, S2.T)
    assert np.mean(np.argmax(S, axis=1) == np.arange(32)) > 0.9
    assert np.mean(np.argmax(S2, axis=1) == np.arange(32)) < 0.3


def test_layer_params_closed_forms():
    d = 1024
    assert layer_params(d, 16) == {"attention": 4 * d * d, "ffn": 8 * d * d}
    for h_kv in (1, 2, 4, 8, 16):
        assert layer_params(d, 16, h_kv)["attention"] == (2 + 2 * h_kv / 16) * d * d
    assert layer_params(d, 16, d_ff=2816, ffn="swiglu")["ffn"] == 3 * d * 2816


def test_llama2_7b_parameter_count_and_agreement_with_memory_helper():
    m = model_params(32, 4096, 32, 32000, d_ff=11008, ffn="swiglu", norm_weights_per_layer=2)
    assert m["total"] == 6_738_415_616
    no_norm = model_params(32, 4096, 32, 32000, d_ff=11008, ffn="swiglu")["total"]
    assert no_norm == transformer_params(32, 4096, 32000, d_ff=11008, glu=True, tied=False)


def test_score_flops_cross_weight_flops_at_six_d():
    for d, h in [(512, 8), (4096, 32)]:
        Lstar = score_flops_crossover(d, h)
        assert Lstar == 6 * d
        f = forward_flops_per_token(1, d, h, 0, Lstar)
        assert f["attention_scores"] == f["attention_proj"] + f["ffn"]


def test_low_rank_bottleneck(rng):
    n, d_h = 24, 4
    q, k = rng.normal(size=(n, d_h)), rng.normal(size=(n, d_h))
    assert np.linalg.matrix_rank(q @ k.T) == d_h
    P = masked_softmax(rng.normal(size=(n, n)) * 2)
    errs = [best_low_rank_attention(P, r)[1] for r in (1, 4, 12, n - 1)]
    assert errs[0] > errs[1] > errs[2] > errs[3]
    assert errs[3] < 1e-10          # row-centred log P has rank n - 1
    assert errs[1] > 0.1


def test_bad_input_raises():
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="5 heads do not divide d_model = 32"):
        init_attention(rng, 32, 5)
    with pytest.raises(ValueError, match="3 KV heads do not divide 8 query heads"):
        init_attention(rng, 32, 8, 3)
    with pytest.raises(ValueError, match="heads do not divide the width"):
        split_heads(np.zeros((1, 2, 10)), 3)
    with pytest.raises(ValueError, match="KV heads do not divide"):
        attend(np.zeros((1, 4, 2, 3)), np.zeros((1, 3, 2, 3)), np.zeros((1, 3, 2, 3)))
    with pytest.raises(ValueError, match="KV heads do not divide"):
        layer_params(64, 8, 3)
    with pytest.raises(ValueError, match="unknown FFN type"):
        layer_params(64, 8, ffn="relu2")
    p = init_attention(rng, 16, 4, 2, layer=1)
    x = rng.normal(size=(1, 3, 16))
    with pytest.raises(ValueError, match="belongs to layer 0, not to layer 1"):
        decode_step(x, p, KVCache(0, 2, 4))
    with pytest.raises(ValueError, match="cache has 4 KV heads of dim 4"):
        decode_step(x, p, KVCache(1, 4, 4))
    with pytest.raises(ValueError, match="cache has 2 KV heads of dim 8"):
        decode_step(x, p, KVCache(1, 2, 8))
    with pytest.raises(ValueError, match="do not fit a cache"):
        KVCache(0, 2, 4).append(np.zeros((1, 3, 1, 4)), np.zeros((1, 3, 1, 4)))
    with pytest.raises(ValueError, match=r"mask shape \(3, 4\) does not broadcast"):
        multi_head_attention(x, p, np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="lengths"):
        padding_keep_mask([5], 3)
    with pytest.raises(ValueError, match="fully_masked"):
        masked_softmax(np.zeros((2, 2)), fully_masked="ignore")
    with pytest.raises(ValueError, match="rank r = 9"):
        best_low_rank_attention(np.full((3, 3), 1 / 3), 9)
