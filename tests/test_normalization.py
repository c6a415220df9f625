"""Properties of snippets/normalization/norms.py."""

import numpy as np
import pytest

from snippets.normalization.norms import (batch_norm, batch_norm_eval, batch_norm_train_step, dyt,
                                         group_norm, layer_norm, layer_norm_jacobian, rms_norm,
                                         spectral_norm_estimate)

rng = np.random.default_rng(0)


def test_batch_norm_statistics_are_per_channel_over_n_h_w():
    x = rng.normal(loc=3.0, scale=2.0, size=(6, 5, 4, 4))
    y = batch_norm(x)
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)
    # not per-pixel: a single position's batch mean is not zero in general
    assert not np.allclose(y.mean(axis=0), 0, atol=1e-3)


def test_batch_norm_affine_can_recover_identity():
    # identity needs gamma = sqrt(sigma^2 + eps) (not sigma) and beta = mu
    x = rng.normal(size=(64, 8)) * 3 + 1
    gamma = np.sqrt(x.var(axis=0) + 1e-5)
    beta = x.mean(axis=0)
    assert np.allclose(batch_norm(x, gamma, beta), x)
    x_small = rng.normal(size=(64, 8)) * 1e-3              # with a tiny variance, eps matters
    assert not np.allclose(batch_norm(x_small, x_small.std(axis=0), x_small.mean(axis=0)), x_small,
                           atol=1e-5)


def test_batch_norm_standardizes_but_does_not_gaussianize():
    x = rng.exponential(size=(20000, 3))                    # skewed input
    y = batch_norm(x)
    skew = ((y - y.mean(0)) ** 3).mean(0) / y.std(0) ** 3
    assert np.allclose(y.mean(0), 0, atol=1e-12) and np.allclose(y.var(0), 1, atol=1e-4)
    assert np.all(skew > 1.5)                               # still the exponential's skewness of 2


def test_batch_norm_needs_more_than_one_value_per_channel():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(rng.normal(size=(1, 4)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(rng.normal(size=(1, 3, 1, 1)))
    batch_norm(rng.normal(size=(1, 3, 2, 2)))               # one image, but 4 positions per channel: fine
    # batch of two: every normalized value is +-1 (up to eps), whatever the inputs
    y = batch_norm(rng.normal(size=(2, 5)) * 7, eps=0.0)
    assert np.allclose(np.abs(y), 1.0)


def test_batch_norm_running_statistics_and_eval_mode():
    mean_true, std_true = np.array([3.0, -1.0]), np.array([2.0, 0.5])
    run_m, run_v = np.zeros(2), np.ones(2)
    r = np.random.default_rng(1)
    for _ in range(200):
        xb = r.normal(mean_true, std_true, size=(32, 2))
        _, run_m, run_v = batch_norm_train_step(xb, run_m, run_v, momentum=0.1)
    # an EMA of noisy batch means: its noise std is sqrt(momentum / (2 - momentum)) * std / sqrt(32)
    noise = np.sqrt(0.1 / 1.9) * std_true / np.sqrt(32)
    assert np.all(np.abs(run_m - mean_true) < 4 * noise)
    assert np.allclose(run_v, std_true ** 2, rtol=0.3)
    # running var stores the unbiased batch variance: one step from zero with momentum 1 gives var(ddof=1)
    xb = r.normal(size=(4, 2))
    _, m1, v1 = batch_norm_train_step(xb, np.zeros(2), np.zeros(2), momentum=1.0)
    assert np.allclose(m1, xb.mean(0)) and np.allclose(v1, xb.var(0, ddof=1))
    # eval mode: a sample's output does not depend on the rest of the batch
    x = r.normal(mean_true, std_true, size=(8, 2))
    assert np.allclose(batch_norm_eval(x, run_m, run_v)[:1], batch_norm_eval(x[:1], run_m, run_v))
    assert not np.allclose(batch_norm(x)[:2], batch_norm(x[:2]))   # training mode does depend on it
    with pytest.raises(ValueError, match="momentum"):
        batch_norm_train_step(xb, run_m, run_v, momentum=1.5)


def test_group_norm_interpolates_between_layer_norm_and_instance_norm():
    x = rng.normal(size=(3, 6, 4, 4)) * 2 + 1
    ln = layer_norm(x.reshape(3, -1)).reshape(x.shape)
    assert np.allclose(group_norm(x, 1), ln)
    inst = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    assert np.allclose(group_norm(x, 6), inst)
    y = group_norm(x, 3)                                    # groups of 2 channels
    g = y.reshape(3, 3, -1)
    assert np.allclose(g.mean(-1), 0, atol=1e-12) and np.allclose(g.var(-1), 1, atol=1e-3)
    assert np.allclose(group_norm(x[:1], 3), y[:1])         # independent of the batch
    with pytest.raises(ValueError, match="does not divide"):
        group_norm(x, 4)


def test_layer_norm_is_not_affine_in_x_and_its_jacobian_has_rank_d_minus_2():
    d = 16
    x, z = rng.normal(size=d), rng.normal(size=d)
    f = lambda v: layer_norm(v, eps=0.0)
    assert not np.allclose(f(x + z), f(x) + f(z) - f(np.zeros(d) + 1e-3 * z))   # not additive
    J = layer_norm_jacobian(x)
    eps = 1e-6
    num = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(d)], axis=1)
    assert np.allclose(J, num, atol=1e-7)
    assert np.allclose(J @ np.ones(d), 0) and np.allclose(J @ x, 0)
    assert np.linalg.matrix_rank(J) == d - 2
    assert not np.allclose(layer_norm_jacobian(x), layer_norm_jacobian(z))       # depends on x
    with pytest.raises(ValueError, match="one vector"):
        layer_norm_jacobian(np.ones((2, 4)))


def test_dyt_is_elementwise_and_bounded_but_not_shift_invariant():
    x = rng.normal(size=(4, 8)) * 10
    y = dyt(x, alpha=0.5, gamma=np.full(8, 2.0), beta=np.full(8, 1.0))
    assert np.all(np.abs(y - 1.0) <= 2.0)
    assert np.allclose(dyt(x[:, :3]), dyt(x)[:, :3])        # each feature only sees itself
    assert not np.allclose(dyt(x + 5), dyt(x))              # unlike LayerNorm
    assert np.allclose(layer_norm(x + 5), layer_norm(x))


def test_spectral_norm_estimate_matches_svd():
    W = rng.normal(size=(30, 20))
    est = spectral_norm_estimate(W, np.random.default_rng(2), n_iter=100)
    assert est == pytest.approx(np.linalg.svd(W, compute_uv=False)[0], rel=1e-6)
    assert np.linalg.svd(W / est, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(ValueError, match="n_iter"):
        spectral_norm_estimate(W, np.random.default_rng(2), n_iter=0)


def test_layer_norm_matches_definition_and_is_per_sample():
    x = rng.normal(size=(3, 7, 16)) * 4 - 2
    y = layer_norm(x, eps=0.0)
    assert np.allclose(y.mean(axis=-1), 0, atol=1e-12)
    assert np.allclose(y.std(axis=-1), 1)
    # independent of the other samples in the batch
    assert np.allclose(layer_norm(x[:1]), layer_norm(x)[:1])


def test_layer_norm_is_invariant_to_shift_and_scale_of_its_input():
    x = rng.normal(size=(5, 32))
    assert np.allclose(layer_norm(3 * x + 7, eps=0.0), layer_norm(x, eps=0.0))


def test_rms_norm_output_has_unit_rms_and_no_recentering():
    x = rng.normal(size=(10, 64)) * 5 + 3
    y = rms_norm(x, eps=0.0)
    assert np.allclose(np.sqrt((y ** 2).mean(axis=-1)), 1.0)
    assert not np.allclose(y.mean(axis=-1), 0, atol=0.1)   # the mean is kept (no re-centering)
    assert np.allclose(rms_norm(4 * x, eps=0.0), y)         # scale invariant


def test_rms_norm_equals_layer_norm_for_zero_mean_input():
    x = rng.normal(size=(8, 128))
    x -= x.mean(axis=-1, keepdims=True)
    assert np.allclose(rms_norm(x, eps=1e-5), layer_norm(x, eps=1e-5))


@pytest.mark.parametrize("d", [4, 64, 1024])
def test_sum_instead_of_mean_would_shrink_the_output_by_sqrt_n(d):
    x = rng.normal(size=(32, d))
    l2 = x / np.sqrt((x ** 2).sum(axis=-1, keepdims=True))
    assert np.allclose(np.sqrt((l2 ** 2).mean(axis=-1)), 1 / np.sqrt(d))
    assert np.allclose(rms_norm(x, eps=0.0), np.sqrt(d) * l2)


def test_weights_before_a_norm_are_scale_invariant_so_the_gradient_is_orthogonal_and_shrinks():
    # L(W) = c . LN(W x): invariant to W -> aW, hence <W, grad> = 0 and grad(aW) = grad(W) / a
    r = np.random.default_rng(3)
    d_in, d_out = 6, 8
    x, c = r.normal(size=d_in), r.normal(size=d_out)
    W = r.normal(size=(d_out, d_in))
    loss = lambda M: float(c @ layer_norm(M @ x, eps=0.0))

    def grad(M, h=1e-6):
        G = np.zeros_like(M)
        for idx in np.ndindex(M.shape):
            E = np.zeros_like(M)
            E[idx] = h
            G[idx] = (loss(M + E) - loss(M - E)) / (2 * h)
        return G
    G = grad(W)
    assert loss(3.0 * W) == pytest.approx(loss(W))
    assert abs(np.sum(W * G)) < 1e-6 * np.linalg.norm(W) * np.linalg.norm(G)
    assert np.allclose(grad(3.0 * W), G / 3.0, atol=1e-6)


def test_fp16_squares_overflow_above_256_so_rms_norm_upcasts():
    x = np.array([300.0, 1.0], dtype=np.float16)
    with np.errstate(over="ignore"):
        assert np.isinf(x[0] * x[0])                         # 300^2 > 65504
        assert np.all(rms_norm(x, eps=np.float16(1e-6)) == 0)  # RMS = inf silently zeroes the output
    y = rms_norm(x.astype(np.float32)).astype(np.float16)   # upcast, normalize, cast back
    assert np.isfinite(y).all() and np.sqrt(np.mean(y.astype(np.float32) ** 2)) == pytest.approx(1, rel=1e-3)


def test_rms_norm_jacobian_has_rank_d_minus_1():
    d = 10
    x = rng.normal(size=d) + 2
    f = lambda v: rms_norm(v, eps=0.0)
    eps = 1e-6
    J = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(d)], axis=1)
    assert np.linalg.matrix_rank(J, tol=1e-6) == d - 1      # only the scale direction is lost
    assert np.allclose(J @ x, 0, atol=1e-6)
