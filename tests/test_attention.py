"""Tests for snippets/attention: attention algebra, softmax calculus, collapse measures, BERT embeddings."""
import math

import numpy as np
import pytest

from snippets.attention.attention import (
    additive_scores,
    causal_mask,
    mean_attention_entropy,
    row_entropy,
    scaled_dot_product_attention,
    self_attention,
    self_attention_grads,
    softmax,
    soft_cap,
    softmax_backward,
    softmax_jacobian,
    softmax_with_sink,
)
from snippets.attention.collapse import (
    cross_entropy_with_z_loss,
    effective_rank,
    entropy_lower_bound,
    rank1_residual,
    san_forward,
    san_residuals,
    uniform_causal_attention,
)
from snippets.attention.embedding import bert_embedding_sum, bert_embedding_three_hot


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---------- softmax ----------

def test_softmax_shift_invariant_not_scale_invariant(rng):
    z = rng.standard_normal(10)
    assert np.allclose(softmax(z + 123.0), softmax(z))
    assert not np.allclose(softmax(2 * z), softmax(z))


def test_softmax_log_ratio_is_logit_difference(rng):
    z = rng.standard_normal(6)
    p = softmax(z)
    # p_i / p_j = exp(z_i - z_j): the LOG ratio equals the logit difference
    assert np.allclose(np.log(p[:, None] / p[None, :]), z[:, None] - z[None, :])
    assert np.allclose(p[:, None] / p[None, :], np.exp(z[:, None] - z[None, :]))


def test_softmax_stable_for_huge_logits():
    p = softmax(np.array([1000.0, 0.0]))
    assert np.all(np.isfinite(p)) and np.allclose(p, [1.0, 0.0])


# ---------- attention forward ----------

def test_sdpa_matches_loop(rng):
    n, m, dk, dv = 5, 7, 4, 3
    Q, K, V = rng.standard_normal((n, dk)), rng.standard_normal((m, dk)), rng.standard_normal((m, dv))
    O, A = scaled_dot_product_attention(Q, K, V)
    for i in range(n):
        w = np.exp(Q[i] @ K.T / np.sqrt(dk))
        w /= w.sum()
        assert np.allclose(A[i], w)
        assert np.allclose(O[i], w @ V)
    assert np.allclose(A.sum(axis=1), 1.0)


def test_causal_mask_blocks_future(rng):
    n, d = 6, 4
    X = rng.standard_normal((n, d))
    W = [rng.standard_normal((d, d)) for _ in range(3)]
    O1, cache = self_attention(X, *W, causal=True)
    A = cache[-1]
    assert np.allclose(np.triu(A, k=1), 0.0)
    assert np.array_equal(causal_mask(3), np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool))
    X2 = X.copy()
    X2[4:] += 10.0                      # change the future tokens only
    O2, _ = self_attention(X2, *W, causal=True)
    assert np.allclose(O1[:4], O2[:4])
    assert not np.allclose(O1[4:], O2[4:])


def test_bidirectional_attention_is_permutation_equivariant(rng):
    n, d = 6, 4
    X = rng.standard_normal((n, d))
    W = [rng.standard_normal((d, d)) for _ in range(3)]
    perm = rng.permutation(n)
    O, _ = self_attention(X, *W)
    Op, _ = self_attention(X[perm], *W)
    assert np.allclose(Op, O[perm])     # equivariant, not invariant: positions must be added


# ---------- entropy ----------

def test_row_entropy_known_values():
    n = 8
    assert np.isclose(row_entropy(np.full(n, 1.0 / n)), np.log(n))
    assert row_entropy(np.eye(n)).max() == 0.0
    p = np.array([0.5, 0.25, 0.25])
    assert np.isclose(row_entropy(p), -(p * np.log(p)).sum())
    assert np.isclose(mean_attention_entropy(np.vstack([np.full(4, 0.25), np.eye(4)[0]])), np.log(4) / 2)


def test_entropy_decreases_with_logit_scale(rng):
    z = rng.standard_normal((20, 16))
    H = [mean_attention_entropy(softmax(b * z)) for b in np.linspace(0, 10, 41)]
    assert np.isclose(H[0], np.log(16))
    assert np.all(np.diff(H) <= 1e-12)   # dH/dbeta = -beta Var_p(z) <= 0


# ---------- softmax calculus ----------

def test_softmax_jacobian_matches_finite_differences(rng):
    z = rng.standard_normal(5)
    J = softmax_jacobian(softmax(z))
    h = 1e-6
    Jfd = np.stack([(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(5)], axis=1)
    assert np.allclose(J, Jfd, atol=1e-8)
    assert np.allclose(J @ np.ones(5), 0.0) and np.allclose(J, J.T)
    assert np.linalg.eigvalsh(J).min() > -1e-12          # PSD


def test_softmax_jacobian_vanishes_when_saturated():
    J = softmax_jacobian(softmax(np.array([40.0, 0.0, -3.0, 1.0])))
    assert np.abs(J).max() < 1e-15


def test_softmax_backward_is_vjp(rng):
    S = rng.standard_normal((4, 6))
    A = softmax(S)
    dA = rng.standard_normal((4, 6))
    dS = softmax_backward(A, dA)
    for i in range(4):
        assert np.allclose(dS[i], softmax_jacobian(A[i]).T @ dA[i])
    assert np.allclose(dS.sum(axis=1), 0.0)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_grads_match_finite_differences(rng, causal):
    n, d = 5, 4
    X = rng.standard_normal((n, d))
    Ws = [rng.standard_normal((d, d)) * 0.7 for _ in range(3)]
    R = rng.standard_normal((n, d))

    def loss(X_, Ws_):
        return float(np.sum(R * self_attention(X_, *Ws_, causal=causal)[0]))

    _, cache = self_attention(X, *Ws, causal=causal)
    grads = self_attention_grads(R, cache, *Ws)
    h = 1e-6
    for k in range(3):
        G = np.zeros((d, d))
        for idx in np.ndindex(d, d):
            Wp = [W.copy() for W in Ws]
            Wm = [W.copy() for W in Ws]
            Wp[k][idx] += h
            Wm[k][idx] -= h
            G[idx] = (loss(X, Wp) - loss(X, Wm)) / (2 * h)
        assert np.allclose(grads[k], G, atol=1e-6)
    GX = np.zeros_like(X)
    for idx in np.ndindex(*X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += h
        Xm[idx] -= h
        GX[idx] = (loss(Xp, Ws) - loss(Xm, Ws)) / (2 * h)
    assert np.allclose(grads[3], GX, atol=1e-6)


def test_collapsed_tokens_kill_query_key_gradients(rng):
    n, d = 8, 6
    x = rng.standard_normal(d)
    X = np.ones((n, 1)) * x[None, :]                     # X = 1 x^T: all tokens identical
    Ws = [rng.standard_normal((d, d)) for _ in range(3)]
    _, cache = self_attention(X, *Ws)
    assert np.allclose(cache[-1], 1.0 / n)               # attention is exactly uniform
    dWq, dWk, dWv, _ = self_attention_grads(rng.standard_normal((n, d)), cache, *Ws)
    assert np.abs(dWq).max() < 1e-12 and np.abs(dWk).max() < 1e-12
    assert np.abs(dWv).max() > 1e-3


# ---------- collapse measures ----------

def test_rank1_residual_properties(rng):
    x = rng.standard_normal(5)
    assert rank1_residual(np.ones((7, 1)) * x) < 1e-15
    X = rng.standard_normal((7, 5))
    r = rank1_residual(X)
    assert np.isclose(rank1_residual(3.7 * X), r)        # scale invariant
    # the column mean is the optimal x: any other x gives a larger distance
    for _ in range(20):
        y = X.mean(axis=0) + 0.1 * rng.standard_normal(5)
        assert np.linalg.norm(X - y) / np.linalg.norm(X) >= r


def test_pure_attention_collapses_and_skip_prevents_it(rng):
    X0 = rng.standard_normal((32, 16))
    bi = san_residuals(X0, 30, "attn", causal=False)
    ca = san_residuals(X0, 30, "attn", causal=True)
    sk = san_residuals(X0, 30, "skip", causal=False)
    assert bi[-1] < 1e-10 and ca[-1] < 1e-4 and sk[-1] > 1e-2
    assert ca[5] > bi[5]                                  # causal collapses too, but more slowly


# ---------- entropy lower bound ----------

def test_entropy_lower_bound_value_and_tightness():
    T = 10
    assert np.isclose(entropy_lower_bound(0.0, T), np.log(T))
    for r in [0.5, 2.0, 8.0]:
        # extremal logits: one up, T-1 down, centred, with ||z||_2 = r
        z = np.full(T, -1.0 / np.sqrt(T * (T - 1)))
        z[0] = np.sqrt((T - 1) / T)
        z *= r
        assert np.isclose(np.linalg.norm(z), r)
        assert np.isclose(row_entropy(softmax(z)), entropy_lower_bound(r, T))


def test_entropy_lower_bound_holds_for_random_logits(rng):
    T = 12
    for _ in range(2000):
        z = rng.standard_normal(T) * rng.uniform(0.1, 5)
        r = np.linalg.norm(z)
        assert row_entropy(softmax(z)) >= entropy_lower_bound(r, T) - 1e-12


# ---------- BERT embeddings ----------

def test_bert_three_hot_equals_sum(rng):
    V, P, G, h, n = 50, 16, 2, 8, 9
    E_tok, E_pos, E_seg = rng.standard_normal((V, h)), rng.standard_normal((P, h)), rng.standard_normal((G, h))
    tok = rng.integers(0, V, n)
    pos = np.arange(n)
    seg = np.array([0] * 5 + [1] * 4)
    a = bert_embedding_sum(tok, pos, seg, E_tok, E_pos, E_seg)
    b = bert_embedding_three_hot(tok, pos, seg, E_tok, E_pos, E_seg)
    assert np.allclose(a, b)
    # and a linear map on the concatenated embeddings is a sum of per-part maps
    W = rng.standard_normal((3 * h, h))
    cat = np.concatenate([E_tok[tok], E_pos[pos], E_seg[seg]], axis=1)
    assert np.allclose(cat @ W, E_tok[tok] @ W[:h] + E_pos[pos] @ W[h:2 * h] + E_seg[seg] @ W[2 * h:])


def test_uniform_attention_alone_does_not_kill_query_gradient(rng):
    # W_Q = 0 makes every logit 0, so attention is exactly uniform, yet tokens differ:
    # dL/dW_Q = X^T G X W_K / sqrt(d) is NOT zero. Only collapsed tokens (X = 1 x^T) force it to 0.
    n, d = 8, 6
    X = rng.standard_normal((n, d))
    Wq, Wk, Wv = np.zeros((d, d)), rng.standard_normal((d, d)), rng.standard_normal((d, d))
    _, cache = self_attention(X, Wq, Wk, Wv)
    assert np.allclose(cache[-1], 1.0 / n)
    dWq = self_attention_grads(rng.standard_normal((n, d)), cache, Wq, Wk, Wv)[0]
    assert np.abs(dWq).max() > 1e-3


def test_cosine_logits_cannot_focus(rng):
    # logits in [-1, 1] (cosine attention without temperature): max weight <= e^2 / (e^2 + n - 1)
    for n in (16, 64, 1024):
        bound = np.e**2 / (np.e**2 + n - 1)
        z = -np.ones(n)
        z[0] = 1.0
        assert np.isclose(softmax(z)[0], bound)
        Z = rng.uniform(-1, 1, size=(200, n))
        assert softmax(Z).max() <= bound + 1e-15
    assert np.isclose(np.e**2 / (np.e**2 + 1023), 0.00717, atol=1e-5)


# ---------- input checks ----------

def test_sdpa_rejects_mismatched_shapes(rng):
    Q, K, V = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    with pytest.raises(ValueError, match="query dim 4 != key dim 3"):
        scaled_dot_product_attention(Q, K[:, :3], V)
    with pytest.raises(ValueError, match="5 keys but 4 values"):
        scaled_dot_product_attention(Q, K, V[:4])
    with pytest.raises(ValueError, match="mask shape"):
        scaled_dot_product_attention(Q, K, V, mask=causal_mask(3))
    with pytest.raises(ValueError, match="one probability vector"):
        softmax_jacobian(np.full((2, 2), 0.5))


def test_collapse_helpers_reject_bad_input(rng):
    with pytest.raises(ValueError, match="unknown variant"):
        san_forward(rng.standard_normal((4, 3)), 2, variant="mlp")
    with pytest.raises(ValueError, match="at least 2 keys"):
        entropy_lower_bound(1.0, 1)
    with pytest.raises(ValueError, match="non-zero"):
        rank1_residual(np.zeros((3, 2)))


# ---------- additive attention ----------

def test_additive_scores_match_definition_and_stay_bounded(rng):
    d_a = 16
    for d_k in (4, 64, 1024):
        q, K = rng.standard_normal(d_k), rng.standard_normal((50, d_k))
        W_q, W_k = rng.standard_normal((d_a, d_k)), rng.standard_normal((d_a, d_k))
        v = rng.standard_normal(d_a) / np.sqrt(d_a)
        e = additive_scores(q, K, W_q, W_k, v)
        assert np.allclose(e, [v @ np.tanh(W_q @ q + W_k @ k) for k in K])
        assert np.abs(e).max() <= np.abs(v).sum() + 1e-12      # |e_j| <= ||v||_1 for every d_k
    with pytest.raises(ValueError, match="do not match"):
        additive_scores(np.ones(3), np.ones((2, 4)), np.ones((2, 3)), np.ones((2, 4)), np.ones(2))


# ---------- determinant vs conditioning ----------

def test_uniform_causal_attention_tiny_det_but_well_conditioned():
    n = 64
    P = uniform_causal_attention(n)
    assert np.allclose(P.sum(axis=1), 1.0) and np.allclose(np.triu(P, 1), 0.0)
    sign, logdet = np.linalg.slogdet(P)
    assert sign == 1 and np.isclose(logdet, -math.lgamma(n + 1))   # det = 1/64! = e^-205.2
    assert round(logdet) == -205
    assert 190 < np.linalg.cond(P) < 193                            # yet cond_2 = 191: well conditioned
    # scaling a matrix changes det by c^n but leaves the condition number unchanged
    assert np.isclose(np.linalg.cond(0.1 * P), np.linalg.cond(P))


def test_effective_rank_extremes(rng):
    n = 16
    assert np.isclose(effective_rank(np.full((n, n), 1.0 / n)), 1.0)
    assert np.isclose(effective_rank(np.eye(n)), n)
    A = softmax(rng.standard_normal((n, n)))
    assert 1.0 < effective_rank(A) < n


# ---------- follow-up helpers: gates, soft-capping, sinks, z-loss ----------

def test_scalar_gate_is_a_temperature_but_elementwise_gate_changes_direction(rng):
    d, n = 16, 50
    q, K = rng.standard_normal(d), rng.standard_normal((n, d))
    base = K @ q
    assert np.allclose(K @ (0.3 * q), 0.3 * base)                  # scalar gate: same ranking, new temperature
    flips = 0
    for _ in range(50):
        g = rng.uniform(0, 2, d)                                   # element-wise gate (GLU-like)
        gated = K @ (g * q)
        assert not np.allclose(gated / np.linalg.norm(gated), base / np.linalg.norm(base))
        flips += int(np.argmax(gated) != np.argmax(base))
    assert flips > 0                                               # it can change which key wins


def test_random_embeddings_are_nearly_orthogonal_in_high_dimension(rng):
    h = 768
    E = rng.standard_normal((2000, h))
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    cos = (E[:1000] * E[1000:]).sum(axis=1)
    assert abs(cos.std() * np.sqrt(h) - 1) < 0.1                   # cos ~ N(0, 1/h): std 0.036 at h = 768


def test_soft_cap_bounds_and_is_near_identity_for_small_logits():
    z = np.linspace(-500, 500, 1001)
    c = soft_cap(z, 50.0)
    assert np.all(np.abs(c) < 50.0) and np.all(np.diff(c) > 0)    # bounded and order-preserving
    assert np.allclose(soft_cap(np.array([0.5, -2.0]), 50.0), [0.5, -2.0], atol=2e-3)
    with pytest.raises(ValueError, match="cap must be > 0"):
        soft_cap(z, 0.0)


def test_softmax_with_sink_rescales_ordinary_softmax(rng):
    z = rng.standard_normal((4, 9))
    w = softmax_with_sink(z, 0.7)
    p_sink = np.exp(0.7) / (np.exp(z).sum(axis=1) + np.exp(0.7))
    assert np.allclose(w, softmax(z) * (1 - p_sink)[:, None])
    assert np.all(w.sum(axis=1) < 1)
    assert np.allclose(softmax_with_sink(z, -1e9), softmax(z))     # a very negative sink does nothing


def test_z_loss_pins_the_offset_that_cross_entropy_ignores(rng):
    z = rng.standard_normal(10)
    ce0, zl0 = cross_entropy_with_z_loss(z, 3)
    ce1, zl1 = cross_entropy_with_z_loss(z + 20.0, 3)
    assert np.isclose(ce0, ce1)                                    # CE is shift invariant
    assert zl1 > 50 * zl0                                          # z-loss is not
    assert np.isclose(ce0, -np.log(softmax(z)[3]))
    with pytest.raises(ValueError, match="target index"):
        cross_entropy_with_z_loss(z, 10)
