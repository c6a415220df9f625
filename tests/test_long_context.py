"""Tests for the long-context snippets: position encodings (sinusoidal, Shaw, T5 buckets, ALiBi),
RoPE input checks, and the token-merging cost model's input checks."""
import math

import numpy as np
import pytest

from snippets.llm.position import (alibi_bias, alibi_slopes, shaw_logits, shaw_relative_index,
                                   sinusoidal_pe, sinusoidal_shift, t5_relative_bucket)
from snippets.llm.rope import apply_rope, ntk_aware_base, pi_freqs, rope_freqs, yarn_freqs, yarn_mscale
from snippets.llm.token_merging import merged_flops, optimal_merge, score_elements


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---------- sinusoidal absolute position encoding ----------

def test_sinusoidal_matches_the_formula_elementwise():
    pe = sinusoidal_pe(50, 16)
    for m in (0, 7, 49):
        for i in range(16):
            j = i // 2                                     # 0-based pair index
            angle = m / 10000 ** (2 * j / 16)
            assert np.isclose(pe[m, i], math.sin(angle) if i % 2 == 0 else math.cos(angle))


def test_sinusoidal_dot_product_depends_only_on_offset():
    pe = sinusoidal_pe(300, 64)
    G = pe @ pe.T
    for r in (0, 1, 5, 40):
        diag = np.diag(G, k=r)
        assert np.allclose(diag, diag[0])                  # same offset -> same dot product
        assert np.allclose(np.diag(G, k=-r), diag[0])      # and symmetric in the sign of the offset
    assert np.allclose(np.diag(G), 32.0)                   # |PE_m|^2 = d/2 (sin^2 + cos^2 per pair)


def test_sinusoidal_shift_is_a_fixed_linear_map():
    pe = sinusoidal_pe(200, 32)
    for r in (1, 3, 17):
        M = sinusoidal_shift(r, 32)
        assert np.allclose(pe[r:] , pe[:-r] @ M.T)         # PE[m + r] = M_r PE[m] for every m
        assert np.allclose(M.T @ M, np.eye(32))            # a rotation


def test_projected_absolute_encoding_is_not_relative(rng):
    # with learned W_Q, W_K and content added, shifting both positions changes the score
    d, n = 32, 64
    pe = sinusoidal_pe(n, d)
    x, y = rng.standard_normal(d), rng.standard_normal(d)
    Wq, Wk = rng.standard_normal((d, d)) / np.sqrt(d), rng.standard_normal((d, d)) / np.sqrt(d)
    score = lambda m, k: (Wq @ (x + pe[m])) @ (Wk @ (y + pe[k]))
    assert not np.isclose(score(3, 10), score(23, 30))
    theta = rope_freqs(d)                                  # RoPE keeps it relative
    rscore = lambda m, k: apply_rope(Wq @ x, m, theta) @ apply_rope(Wk @ y, k, theta)
    assert np.isclose(rscore(3, 10), rscore(23, 30))


# ---------- Shaw et al. relative position representations ----------

def test_shaw_index_is_clipped_relative_distance():
    idx = shaw_relative_index(6, 6, clip=2)
    assert idx[0, 0] == 2 and idx[0, 1] == 3 and idx[0, 5] == 4 and idx[5, 0] == 0
    assert np.array_equal(idx, np.clip(np.subtract.outer(np.arange(6), np.arange(6)).T, -2, 2) + 2)
    for r in range(-5, 6):                                 # constant along every diagonal
        assert len(set(np.diag(idx, k=r))) == 1


def test_shaw_logits_match_loop_and_are_shift_invariant(rng):
    n, d, D = 7, 8, 3
    Q, K, A = rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((2 * D + 1, d))
    E = shaw_logits(Q, K, A, D)
    for i in range(n):
        for j in range(n):
            a = A[min(max(j - i, -D), D) + D]
            assert np.isclose(E[i, j], Q[i] @ (K[j] + a) / np.sqrt(d))
    with pytest.raises(ValueError, match="A_K must have shape"):
        shaw_logits(Q, K, A[:-1], D)


# ---------- T5 buckets ----------

def test_t5_buckets_exact_then_logarithmic_then_saturated():
    rel = np.arange(-300, 301)
    b = t5_relative_bucket(rel)                            # bidirectional, 32 buckets, max distance 128
    # distance 0 always lands in the "behind" half, so bucket 16 (distance 0, key ahead) is never used
    assert b.min() == 0 and b.max() == 31 and len(np.unique(b)) == 31 and 16 not in b
    assert np.array_equal(t5_relative_bucket(-np.arange(8)), np.arange(8))     # keys behind: exact 0..7
    assert np.array_equal(t5_relative_bucket(np.arange(1, 8)), 16 + np.arange(1, 8))
    assert t5_relative_bucket(-128) == t5_relative_bucket(-10_000) == 15        # saturated
    past = t5_relative_bucket(-np.arange(0, 200))
    assert np.all(np.diff(past) >= 0)                      # monotone in distance
    causal = t5_relative_bucket(-np.arange(0, 200), bidirectional=False)
    assert np.array_equal(causal[:16], np.arange(16)) and causal.max() == 31
    assert np.all(t5_relative_bucket(np.arange(1, 50), bidirectional=False) == 0)  # future -> bucket 0


def test_t5_bucket_rejects_bad_configuration():
    with pytest.raises(ValueError, match="num_buckets"):
        t5_relative_bucket(np.arange(5), num_buckets=7)
    with pytest.raises(ValueError, match="max_distance"):
        t5_relative_bucket(np.arange(5), num_buckets=32, max_distance=8)


# ---------- ALiBi ----------

def test_alibi_slopes_power_of_two_and_reference_fallback():
    s8 = alibi_slopes(8)
    assert np.allclose(s8, [2.0 ** -k for k in range(1, 9)])            # 1/2, 1/4, ..., 1/256
    s16 = alibi_slopes(16)
    assert np.allclose(s16[1:] / s16[:-1], 2 ** -0.5)                   # geometric, ratio 2^(-8/16)
    s12 = alibi_slopes(12)                                               # 8 of the 8-head set + 4 from 16
    assert np.allclose(s12[:8], s8) and np.allclose(s12[8:], alibi_slopes(16)[0::2][:4])
    assert len(set(np.round(s12, 12))) == 12
    with pytest.raises(ValueError, match="n_heads"):
        alibi_slopes(0)


def test_alibi_bias_is_linear_in_distance_and_shift_invariant():
    slopes = alibi_slopes(4)
    B = alibi_bias(np.arange(10), np.arange(10), slopes)
    assert B.shape == (4, 10, 10)
    assert np.allclose(B[:, 5, 5], 0) and np.allclose(B[:, 9, 0], -9 * slopes)
    B2 = alibi_bias(np.arange(100, 110), np.arange(100, 110), slopes)  # e.g. decoding with a KV cache
    assert np.allclose(B, B2)


# ---------- input checks of the RoPE and token-merging snippets ----------

def test_rope_rejects_odd_dims_and_shrinking_scales():
    with pytest.raises(ValueError, match="even head dim"):
        rope_freqs(7)
    with pytest.raises(ValueError, match="last dim"):
        apply_rope(np.ones(6), 3, rope_freqs(8))
    theta = rope_freqs(8)
    with pytest.raises(ValueError, match=">= 1"):
        pi_freqs(theta, 0.5)
    with pytest.raises(ValueError, match=">= 1"):
        ntk_aware_base(10000.0, 0.5, 8)
    with pytest.raises(ValueError, match="alpha < beta"):
        yarn_freqs(theta, 4.0, 4096, alpha=32, beta=1)
    with pytest.raises(ValueError, match="> 0"):
        yarn_mscale(0.0)


def test_token_merging_rejects_non_positive_inputs():
    with pytest.raises(ValueError, match="merge factor g"):
        merged_flops(4096, 1024, 0)
    with pytest.raises(ValueError, match="must be > 0"):
        optimal_merge(0, 1024)
    with pytest.raises(ValueError, match="keep must be"):
        score_elements(4096, 32, 2, "tokens")
