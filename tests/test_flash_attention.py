"""Tests for snippets/attention/flash.py: tiled attention with online softmax, IO counts, recomputation
backward, varlen and block masks, split-KV merging, roofline intensities, incoherent processing."""
import numpy as np
import pytest

from snippets.attention.flash import (
    EMPTY,
    FULL,
    PARTIAL,
    HBMCounter,
    block_sizes_for_sram,
    classify_blocks,
    cu_seqlens_from_lengths,
    decode_attention_intensity,
    document_mask,
    elementwise_intensity,
    flash_attention_backward,
    flash_attention_forward,
    flash_attention_io,
    fused_attention_intensity,
    gemm_intensity,
    mask_from_mask_mod,
    merge_partial_attention,
    online_softmax_update,
    random_hadamard,
    ridge_point,
    round_to_e4m3,
    sram_footprint,
    split_kv_attention,
    standard_attention,
    standard_attention_backward,
    standard_attention_io,
    varlen_attention,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def qkv(rng, n, d, nk=None, dv=None):
    nk = n if nk is None else nk
    dv = d if dv is None else dv
    return rng.standard_normal((n, d)), rng.standard_normal((nk, d)), rng.standard_normal((nk, dv))


def dense_lse(Q, K, causal=False):
    S = Q @ K.T / np.sqrt(Q.shape[1])
    if causal:
        S = np.where(np.tril(np.ones(S.shape, dtype=bool)), S, -np.inf)
    m = S.max(axis=1)
    return m + np.log(np.exp(S - m[:, None]).sum(axis=1))


# ---------- forward: equality with naive attention ----------

@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bq,bk", [(1, 1), (5, 7), (16, 16), (33, 8), (100, 100), (128, 3)])
def test_tiled_forward_equals_naive(rng, causal, bq, bk):
    Q, K, V = qkv(rng, 70, 12, dv=9)
    O_ref, _ = standard_attention(Q, K, V, causal=causal)
    O, L = flash_attention_forward(Q, K, V, bq, bk, causal=causal)
    assert np.abs(O - O_ref).max() < 1e-12
    assert np.abs(L - dense_lse(Q, K, causal)).max() < 1e-12


def test_cross_attention_with_more_keys_than_queries(rng):
    Q, K, V = qkv(rng, 9, 8, nk=41, dv=5)
    O_ref, P = standard_attention(Q, K, V)
    O, _ = flash_attention_forward(Q, K, V, 4, 6)
    assert np.allclose(O, O_ref, atol=1e-13)
    assert np.allclose(P.sum(axis=1), 1.0)


def test_forward_is_invariant_to_a_shift_of_all_scores(rng):
    # adding a constant to every score of a row must not change the output: softmax shift invariance,
    # which the running max makes numerically safe even for huge logits
    Q, K, V = qkv(rng, 20, 4)
    O1, _ = flash_attention_forward(Q, K, V, 8, 8)
    K_big = np.hstack([K, np.full((20, 1), 1.0)])
    Q_big = np.hstack([Q, np.full((20, 1), 5e3)])
    O2, _ = flash_attention_forward(Q_big, K_big, V, 8, 8, scale=1 / np.sqrt(4))
    assert np.all(np.isfinite(O2))
    assert np.allclose(O1, O2, atol=1e-12)


# ---------- online softmax invariants ----------

def test_online_update_invariants_hold_after_every_block(rng):
    s = rng.standard_normal((3, 40)) * 4
    v = rng.standard_normal((40, 6))
    m, l, acc = np.full(3, -np.inf), np.zeros(3), np.zeros((3, 6))
    for end in range(8, 41, 8):
        m, l, acc = online_softmax_update(m, l, acc, s[:, end - 8:end], v[end - 8:end])
        seen = s[:, :end]
        assert np.allclose(m, seen.max(axis=1))
        assert np.allclose(l, np.exp(seen - m[:, None]).sum(axis=1))        # l = sum exp(s - m)
        w = np.exp(seen - seen.max(axis=1, keepdims=True))
        assert np.allclose(acc / l[:, None], (w / w.sum(axis=1, keepdims=True)) @ v[:end])
        assert np.all(l >= 1.0 - 1e-12)                                     # the max term contributes e^0 = 1


def test_order_of_key_blocks_does_not_matter(rng):
    Q, K, V = qkv(rng, 16, 8, nk=48)
    O, L = flash_attention_forward(Q, K, V, 16, 12)
    perm = np.concatenate([np.arange(36, 48), np.arange(12, 36), np.arange(0, 12)])
    O_p, L_p = flash_attention_forward(Q, K[perm], V[perm], 16, 12)
    assert np.allclose(O, O_p, atol=1e-13) and np.allclose(L, L_p, atol=1e-13)


def test_merge_of_partials_is_exact_and_associative(rng):
    Q, K, V = qkv(rng, 5, 8, nk=60)
    O_full, L_full = flash_attention_forward(Q, K, V, 5, 60)
    idx = np.array_split(np.arange(60), 3)
    parts = [flash_attention_forward(Q, K[i], V[i], 5, len(i)) for i in idx]
    O3, L3 = merge_partial_attention([p[0] for p in parts], [p[1] for p in parts])
    O12, L12 = merge_partial_attention([parts[0][0], parts[1][0]], [parts[0][1], parts[1][1]])
    O_nested, L_nested = merge_partial_attention([O12, parts[2][0]], [L12, parts[2][1]])
    assert np.allclose(O3, O_full, atol=1e-13) and np.allclose(L3, L_full, atol=1e-13)
    assert np.allclose(O_nested, O3, atol=1e-13) and np.allclose(L_nested, L3, atol=1e-13)


def test_fully_masked_rows_give_zero_not_nan(rng):
    Q, K, V = qkv(rng, 6, 4)
    mask = np.ones((6, 6), dtype=bool)
    mask[2] = False
    O, L = flash_attention_forward(Q, K, V, 4, 4, mask=mask)
    O_ref, _ = standard_attention(Q, K, V, mask=mask)
    assert np.all(O[2] == 0) and L[2] == -np.inf
    assert np.allclose(O, O_ref)


# ---------- IO counts ----------

@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("n,d,bq,bk", [(50, 4, 7, 3), (64, 8, 16, 16), (97, 6, 32, 5), (40, 3, 64, 64)])
def test_counted_hbm_accesses_equal_the_closed_forms(rng, causal, n, d, bq, bk):
    Q, K, V = qkv(rng, n, d)
    io_f, io_s = HBMCounter(), HBMCounter()
    flash_attention_forward(Q, K, V, bq, bk, causal=causal, io=io_f)
    standard_attention(Q, K, V, causal=causal, io=io_s)
    assert io_f.total == flash_attention_io(n, d, bq, bk, causal=causal)
    assert io_s.total == standard_attention_io(n, d, causal=causal)


def test_io_follows_n2_d2_over_m():
    d = 32
    for M in (6 * d * 32, 6 * d * 128):
        n = 32768
        flash = flash_attention_io(n, d, *block_sizes_for_sram(M, d, N=n))
        assert abs(flash / (12 * n * n * d * d / M) - 1) < 0.02
        assert abs(standard_attention_io(n, d) / flash / (M / (3 * d * d)) - 1) < 0.03
    # fixed M: quadrupling N multiplies the traffic by ~16, i.e. it grows as N^2
    M = 6 * d * 64
    a, b = (flash_attention_io(n, d, *block_sizes_for_sram(M, d, N=n)) for n in (8192, 32768))
    assert abs(b / a - 16) < 0.1


def test_causal_skipping_halves_the_key_value_reads():
    n, d, B = 8192, 64, 64
    kv_full = flash_attention_io(n, d, B, B) - 2 * n * d - n
    kv_causal = flash_attention_io(n, d, B, B, causal=True) - 2 * n * d - n
    T = n // B
    assert kv_causal / kv_full == pytest.approx((T + 1) / (2 * T))


def test_block_sizes_for_sram_fit_and_grow_with_m():
    for d in (2, 16, 64, 128):
        previous = 0
        for M in range(6 * d, 6 * d * 300, 97 * d):
            bq, bk = block_sizes_for_sram(M, d)
            assert sram_footprint(bq, bk, d) <= M
            assert bq >= previous and bk <= d
            previous = bq


def test_sram_argument_is_checked(rng):
    Q, K, V = qkv(rng, 32, 8)
    need = sram_footprint(16, 8, 8)
    flash_attention_forward(Q, K, V, 16, 8, sram=need)                 # exactly enough is fine
    with pytest.raises(ValueError, match="cannot hold one tile"):
        flash_attention_forward(Q, K, V, 16, 8, sram=need - 1)


# ---------- backward by recomputation ----------

@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bq,bk", [(8, 8), (5, 11), (64, 64)])
def test_recomputation_backward_equals_stored_p_backward(rng, causal, bq, bk):
    Q, K, V = qkv(rng, 45, 6)
    dO = rng.standard_normal((45, 6))
    O, P = standard_attention(Q, K, V, causal=causal)
    ref = standard_attention_backward(Q, K, V, P, dO)
    O_f, L = flash_attention_forward(Q, K, V, bq, bk, causal=causal)
    for g, r in zip(flash_attention_backward(Q, K, V, O_f, dO, L, bq, bk, causal=causal), ref):
        assert np.abs(g - r).max() < 1e-12


def test_backward_matches_finite_differences(rng):
    Q, K, V = qkv(rng, 7, 3)
    dO = rng.standard_normal((7, 3))
    O, L = flash_attention_forward(Q, K, V, 3, 2, causal=True)
    grads = flash_attention_backward(Q, K, V, O, dO, L, 3, 2, causal=True)
    h = 1e-6
    for which, g in enumerate(grads):
        for idx in [(0, 0), (3, 1), (6, 2)]:
            plus, minus = [Q.copy(), K.copy(), V.copy()], [Q.copy(), K.copy(), V.copy()]
            plus[which][idx] += h
            minus[which][idx] -= h
            f = [np.sum(dO * flash_attention_forward(*x, 3, 2, causal=True)[0]) for x in (plus, minus)]
            assert (f[0] - f[1]) / (2 * h) == pytest.approx(g[idx], abs=1e-7)


def test_delta_identity(rng):
    Q, K, V = qkv(rng, 20, 5)
    dO = rng.standard_normal((20, 5))
    O, P = standard_attention(Q, K, V)
    assert np.allclose(np.sum(dO * O, axis=1), np.sum(P * (dO @ V.T), axis=1))


def test_standard_backward_moves_seven_n_by_n_matrices(rng):
    Q, K, V = qkv(rng, 30, 4)
    _, P = standard_attention(Q, K, V)
    io = HBMCounter()
    standard_attention_backward(Q, K, V, P, rng.standard_normal((30, 4)), io=io)
    assert io.total == 7 * 30 * 30 + 8 * 30 * 4


# ---------- varlen, document masks, block masks ----------

def test_cu_seqlens_and_document_mask():
    cu = cu_seqlens_from_lengths([3, 5, 2])
    assert cu.tolist() == [0, 3, 8, 10] and cu.dtype == np.int32
    keep = document_mask(cu, causal=True)
    assert keep.shape == (10, 10)
    assert keep[4, 3] and not keep[3, 4]                    # same document, causal
    assert not keep[3, 2]                                    # token 3 starts the second document
    assert not keep[3, 0] and not keep[9, 7] and keep[9, 8]
    assert keep.sum() == 3 * 4 // 2 + 5 * 6 // 2 + 2 * 3 // 2


def test_varlen_equals_attention_per_sequence_and_block_sparse_mask(rng):
    lengths = [5, 17, 1, 30]
    cu = cu_seqlens_from_lengths(lengths)
    Q, K, V = qkv(rng, int(cu[-1]), 8)
    per_seq = np.concatenate([standard_attention(Q[s:e], K[s:e], V[s:e], causal=True)[0]
                              for s, e in zip(cu[:-1], cu[1:])])
    O_var, _ = varlen_attention(Q, K, V, cu, causal=True, block_q=8, block_k=8)
    O_mask, _ = flash_attention_forward(Q, K, V, 8, 8, mask=document_mask(cu))
    assert np.abs(O_var - per_seq).max() < 1e-12 and np.abs(O_mask - per_seq).max() < 1e-12


def test_classify_blocks_agrees_with_the_dense_mask(rng):
    keep = rng.random((37, 29)) < 0.3
    keep[:8, :8] = True
    keep[8:16, 8:16] = False
    kinds = classify_blocks(keep, 8, 8)
    assert kinds.shape == (5, 4)
    for i in range(5):
        for j in range(4):
            tile = keep[8 * i:8 * i + 8, 8 * j:8 * j + 8]
            assert kinds[i, j] == (FULL if tile.all() else PARTIAL if tile.any() else EMPTY)
    assert kinds[0, 0] == FULL and kinds[1, 1] == EMPTY


def test_mask_mod_matches_explicit_masks():
    causal = mask_from_mask_mod(lambda q, k: q >= k, 12, 12)
    assert np.array_equal(causal, np.tril(np.ones((12, 12), dtype=bool)))
    window = mask_from_mask_mod(lambda q, k: (q >= k) & (q - k < 3), 12, 12)
    assert window.sum() == 3 * 12 - 3


def test_block_sparse_io_scales_with_the_number_of_non_empty_tiles(rng):
    n, d, B = 96, 4, 16
    Q, K, V = qkv(rng, n, d)
    keep = mask_from_mask_mod(lambda q, k: (q >= k) & (q - k < 20), n, n)
    io = HBMCounter()
    flash_attention_forward(Q, K, V, B, B, mask=keep, io=io)
    tiles = np.sum(classify_blocks(keep, B, B) != EMPTY)
    assert io.reads == n * d + tiles * B * 2 * d


# ---------- split-KV decoding ----------

@pytest.mark.parametrize("splits", [1, 2, 3, 10, 50])
def test_split_kv_equals_full_attention(rng, splits):
    q, K, V = qkv(rng, 2, 16, nk=50)
    O, L = split_kv_attention(q, K, V, splits)
    O_ref, _ = standard_attention(q, K, V)
    assert np.allclose(O, O_ref, atol=1e-13)
    assert np.allclose(L, dense_lse(q, K), atol=1e-12)


# ---------- roofline ----------

def test_roofline_intensities():
    assert gemm_intensity(512, 512, 512) == pytest.approx(512 / 3)
    assert gemm_intensity(1, 4096, 4096) == pytest.approx(1.0, rel=1e-3)     # GEMV: ~1 FLOP per byte
    assert elementwise_intensity(5) == pytest.approx(1.25)
    assert decode_attention_intensity(100_000, 128, q_per_kv=4) == pytest.approx(4.0, rel=1e-3)
    assert fused_attention_intensity(4096, 128) == pytest.approx(2048)
    assert fused_attention_intensity(4096, 128, causal=True) == pytest.approx(1024)
    assert ridge_point(312e12, 2.039e12) == pytest.approx(153.0, rel=1e-3)


# ---------- incoherent processing ----------

def test_random_hadamard_is_orthogonal_and_keeps_scores(rng):
    R = random_hadamard(64, rng)
    assert np.allclose(R @ R.T, np.eye(64), atol=1e-12)
    Q, K, _ = qkv(rng, 10, 64)
    assert np.allclose((Q @ R) @ (K @ R).T, Q @ K.T, atol=1e-10)
    x = np.zeros(64)
    x[5] = 1.0                                        # a single outlier spreads evenly over all channels
    assert np.allclose(np.abs(x @ R), 1 / 8)


def test_round_to_e4m3_keeps_three_mantissa_bits(rng):
    x = rng.standard_normal(1000)
    y = round_to_e4m3(x)
    big = np.abs(x) > np.abs(x).max() * 2.0 ** -6 * 2   # normal range after scaling
    assert np.all(np.abs(y[big] - x[big]) <= np.abs(x[big]) * 2.0 ** -4 + 1e-15)
    assert np.max(np.abs(y)) == pytest.approx(np.max(np.abs(x)))
    assert len(np.unique(np.round(y[(y > 1) & (y < 2)] / np.abs(x).max() * 448, 9))) <= 16


# ---------- bad input ----------

def test_bad_input_raises_value_error(rng):
    Q, K, V = qkv(rng, 8, 4)
    with pytest.raises(ValueError, match="block_q must be a positive integer"):
        flash_attention_forward(Q, K, V, 0, 4)
    with pytest.raises(ValueError, match="block_k must be a positive integer"):
        flash_attention_forward(Q, K, V, 4, -2)
    with pytest.raises(ValueError, match="block_q must be a positive integer"):
        flash_attention_forward(Q, K, V, 2.5, 4)
    with pytest.raises(ValueError, match="same head dim"):
        flash_attention_forward(Q, K[:, :3], V, 4, 4)
    with pytest.raises(ValueError, match="same number of tokens"):
        flash_attention_forward(Q, K, V[:5], 4, 4)
    with pytest.raises(ValueError, match="2-D"):
        flash_attention_forward(Q[None], K, V, 4, 4)
    with pytest.raises(ValueError, match="as many queries as keys"):
        flash_attention_forward(Q[:3], K, V, 4, 4, causal=True)
    with pytest.raises(ValueError, match="mask must have shape"):
        flash_attention_forward(Q, K, V, 4, 4, mask=np.ones((8, 7), dtype=bool))
    with pytest.raises(ValueError, match="too small for one block"):
        block_sizes_for_sram(6 * 64 - 1, 64)
    with pytest.raises(ValueError, match="O and dO must have shape"):
        flash_attention_backward(Q, K, V, Q[:5], Q, np.zeros(8))
    with pytest.raises(ValueError, match="cu_seqlens must start at 0"):
        varlen_attention(Q, K, V, [0, 3, 7])
    with pytest.raises(ValueError, match="sequence length must be a positive integer"):
        cu_seqlens_from_lengths([3, 0, 2])
    with pytest.raises(ValueError, match="num_splits 9 exceeds the 8 cached keys"):
        split_kv_attention(Q[:1], K, V, 9)
    with pytest.raises(ValueError, match="power of 2"):
        random_hadamard(48, rng)
    with pytest.raises(ValueError, match="must be positive"):
        ridge_point(0, 1e12)
    with pytest.raises(ValueError, match="m must be a positive integer"):
        gemm_intensity(0, 4, 4)
